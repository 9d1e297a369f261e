/* NSS's set-up and its codes and names in the shared vocabulary (nss_map.h).
 *
 * NSS is a process-wide library: one initialisation (here without a certificate or
 * module database: certificates and keys are loaded from the harness's PEM files
 * into memory), one cipher policy, one server session cache. All of it happens once
 * under pthread_once: TCP cases run the server role in another thread. */
#include "nss_map.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <nss.h>
#include <prerror.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "harness/vocab/util.h"

/* ---- process-wide set-up, once ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static PRErrorCode once_err;
static const char *once_what;
static char version_str[48];

static void init_once(void)
{
    snprintf(version_str, sizeof(version_str), "NSS %s", NSS_GetVersion());
    /* Keep an NSS someone else initialised (a second library in the process). */
    if (!NSS_IsInitialized() && NSS_NoDB_Init(NULL) != SECSuccess) {
        once_err = PR_GetError();
        once_what = "NSS_NoDB_Init";
        return;
    }
    if (NSS_SetDomesticPolicy() != SECSuccess) {
        once_err = PR_GetError();
        once_what = "NSS_SetDomesticPolicy";
        return;
    }
    /* The server's session-id cache is NSS's, one per process (0: its defaults). */
    if (SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
        once_err = PR_GetError();
        once_what = "SSL_ConfigServerSessionIDCache";
    }
}

int th_nss_init(struct th_error *err)
{
    pthread_once(&once, init_once);
    if (!once_what)
        return 0;
    th_nss_error_code(err, TH_INTERNAL_ERROR, once_err, once_what);
    return -1;
}

const char *th_nss_version(void)
{
    struct th_error err;
    if (th_nss_init(&err) != 0 && !version_str[0])
        return "NSS (not initialised)";
    return version_str;
}

/* ---- suites and groups ---- */

int th_nss_suite_known(uint16_t id)
{
    const PRUint16 *all = SSL_GetImplementedCiphers();
    for (PRUint16 i = 0; i < SSL_NumImplementedCiphers; i++)
        if (all[i] == id)
            return 1;
    return 0;
}

/* A suite we can run: an IANA entry, a certificate the test PKI has (RSA, ECDSA), no
 * PSK or static (EC)DH (no credentials for them), and an encrypting cipher. */
static int suite_usable(uint16_t id)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s)
        return 0;
    int auth = !strcmp(s->auth, "RSA") || !strcmp(s->auth, "ECDSA") || !strcmp(s->auth, "any");
    int kx = !strcmp(s->kx, "TLS13") || !strcmp(s->kx, "ECDHE") || !strcmp(s->kx, "DHE") ||
             !strcmp(s->kx, "RSA");
    return auth && kx && strcmp(s->cipher, "None") != 0;
}

size_t th_nss_suites(uint16_t *out, size_t cap)
{
    const PRUint16 *all = SSL_GetImplementedCiphers();
    size_t n = 0;
    for (PRUint16 i = 0; i < SSL_NumImplementedCiphers && n < cap; i++)
        if (suite_usable(all[i]))
            out[n++] = all[i];
    return n;
}

/* NSS 3.87's groups (sslt.h SSLNamedGroup: the values are IANA's); no x448. */
static const uint16_t nss_groups[] = {
    ssl_grp_ec_curve25519, ssl_grp_ec_secp256r1, ssl_grp_ec_secp384r1,
    ssl_grp_ec_secp521r1,  ssl_grp_ffdhe_2048,   ssl_grp_ffdhe_3072,
    ssl_grp_ffdhe_4096,    ssl_grp_ffdhe_6144,   ssl_grp_ffdhe_8192};

size_t th_nss_groups(uint16_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(nss_groups) && n < cap; i++)
        out[n++] = nss_groups[i];
    return n;
}

int th_nss_group_known(uint16_t id)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(nss_groups); i++)
        if (nss_groups[i] == id)
            return 1;
    return 0;
}

/* ---- errors ---- */

/* Certificate verdicts (SEC_ERROR_* from CERT_PKIXVerifyCert, or the name check). */
static enum th_outcome cert_outcome(PRErrorCode code)
{
    switch (code) {
    case SEC_ERROR_EXPIRED_CERTIFICATE:
    case SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE: return TH_EXPIRED;
    case SEC_ERROR_UNKNOWN_ISSUER:
    case SEC_ERROR_UNTRUSTED_ISSUER:
    case SEC_ERROR_UNTRUSTED_CERT: return TH_UNKNOWN_CA;
    case SEC_ERROR_BAD_SIGNATURE: return TH_BAD_SIGNATURE;
    case SEC_ERROR_INADEQUATE_CERT_TYPE: return TH_BAD_EKU;
    case SEC_ERROR_INADEQUATE_KEY_USAGE: return TH_BAD_KEY_USAGE;
    case SEC_ERROR_REVOKED_CERTIFICATE: return TH_REVOKED;
    case SEC_ERROR_CERT_NOT_IN_NAME_SPACE: return TH_NAME_CONSTRAINTS;
    case SEC_ERROR_PATH_LEN_CONSTRAINT_INVALID: return TH_PATH_LENGTH;
    case SEC_ERROR_CA_CERT_INVALID: return TH_INVALID_CA;
    case SEC_ERROR_UNKNOWN_CRITICAL_EXTENSION: return TH_UNKNOWN_CRITICAL_EXTENSION;
    case SEC_ERROR_CERT_SIGNATURE_ALGORITHM_DISABLED: return TH_WEAK_SIGNATURE;
    case SEC_ERROR_INVALID_KEY:
    case SSL_ERROR_WEAK_SERVER_CERT_KEY: return TH_WEAK_KEY;
    case SSL_ERROR_BAD_CERT_DOMAIN: return TH_HOSTNAME_MISMATCH;
    case SEC_ERROR_BAD_DER:
    case SEC_ERROR_EXTENSION_VALUE_INVALID:
    case SEC_ERROR_CERT_BAD_ACCESS_LOCATION:
    case SEC_ERROR_INPUT_LEN:
    case SSL_ERROR_RX_MALFORMED_CERTIFICATE:
    case SSL_ERROR_BAD_CERTIFICATE: return TH_BAD_CERTIFICATE;
    default: return TH_OK;
    }
}

enum th_outcome th_nss_outcome(PRErrorCode code, int alert)
{
    enum th_outcome o = cert_outcome(code);
    if (o != TH_OK)
        return o;
    /* The peer said why in an alert (NSS names each alert as an error of its own). */
    if (alert >= 0 && code != PR_END_OF_FILE_ERROR && code != PR_CONNECT_RESET_ERROR)
        return th_outcome_from_alert(alert);
    switch (code) {
    case SSL_ERROR_NO_CYPHER_OVERLAP:
    case SSL_ERROR_NO_CIPHERS_SUPPORTED: return TH_NO_SHARED_CIPHER;
    case SSL_ERROR_UNSUPPORTED_VERSION:
    case SSL_ERROR_PROTOCOL_VERSION_ALERT:
    case SSL_ERROR_RX_MALFORMED_SERVER_HELLO: return TH_PROTOCOL_VERSION;
    case SSL_ERROR_BAD_MAC_READ:
    case SSL_ERROR_BAD_MAC_ALERT:
    case SSL_ERROR_DECRYPTION_FAILURE: return TH_BAD_RECORD_MAC;
    case SSL_ERROR_NO_CERTIFICATE:
    case SSL_ERROR_RX_CERTIFICATE_REQUIRED_ALERT: return TH_CERTIFICATE_REQUIRED;
    case PR_END_OF_FILE_ERROR: return TH_TRUNCATED;
    case PR_CONNECT_RESET_ERROR:
    case PR_IO_ERROR: return TH_IO_ERROR;
    case SEC_ERROR_NO_MEMORY:
    case SEC_ERROR_LIBRARY_FAILURE:
    case SSL_ERROR_GENERATE_RANDOM_FAILURE: return TH_INTERNAL_ERROR;
    default: return TH_HANDSHAKE_FAILURE;
    }
}

void th_nss_error_code(struct th_error *err, enum th_outcome o, PRErrorCode code, const char *what)
{
    const char *name = PR_ErrorToName(code);
    const char *text = PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT);
    char buf[64];
    if (!name) {
        snprintf(buf, sizeof(buf), "error %d", (int)code);
        name = buf;
    }
    if (what)
        th_error_set(err, o, (long)code, "%s: %s: %s", what, name, text ? text : "");
    else
        th_error_set(err, o, (long)code, "%s: %s", name, text ? text : "");
}

void th_nss_error(struct th_error *err, const char *what)
{
    th_nss_error_code(err, TH_INTERNAL_ERROR, PR_GetError(), what);
}

/* ---- names ---- */

const char *th_nss_sig_scheme_name(unsigned scheme)
{
    static const struct {
        unsigned id;
        const char *name;
    } names[] = {
        {ssl_sig_rsa_pkcs1_sha1, "rsa_pkcs1_sha1"},
        {ssl_sig_rsa_pkcs1_sha256, "rsa_pkcs1_sha256"},
        {ssl_sig_rsa_pkcs1_sha384, "rsa_pkcs1_sha384"},
        {ssl_sig_rsa_pkcs1_sha512, "rsa_pkcs1_sha512"},
        {ssl_sig_ecdsa_secp256r1_sha256, "ecdsa_secp256r1_sha256"},
        {ssl_sig_ecdsa_secp384r1_sha384, "ecdsa_secp384r1_sha384"},
        {ssl_sig_ecdsa_secp521r1_sha512, "ecdsa_secp521r1_sha512"},
        {ssl_sig_ecdsa_sha1, "ecdsa_sha1"},
        {ssl_sig_rsa_pss_rsae_sha256, "rsa_pss_rsae_sha256"},
        {ssl_sig_rsa_pss_rsae_sha384, "rsa_pss_rsae_sha384"},
        {ssl_sig_rsa_pss_rsae_sha512, "rsa_pss_rsae_sha512"},
        {ssl_sig_rsa_pss_pss_sha256, "rsa_pss_pss_sha256"},
        {ssl_sig_rsa_pss_pss_sha384, "rsa_pss_pss_sha384"},
        {ssl_sig_rsa_pss_pss_sha512, "rsa_pss_pss_sha512"},
        {ssl_sig_ed25519, "ed25519"},
        {ssl_sig_ed448, "ed448"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(names); i++)
        if (names[i].id == scheme)
            return names[i].name;
    return "";
}
