/* wolfSSL's codes and names in the shared vocabulary (wolfssl_map.h): error codes
 * against outcomes, suite, group and version names against IANA ids, and the
 * process-wide set-up.
 *
 * wolfSSL_Init must run once before any context is made and is not safe to race,
 * so it runs under pthread_once with the suite table: TCP cases run the server role
 * in another thread. */
#include "wolfssl_map.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "harness/vocab/util.h"

/* ---- process-wide state, built once ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_code; /* wolfSSL_Init's return */
static uint16_t suites[TH_MAX_SUITES];
static size_t n_suites;
static char version_str[48];

static int have_id(uint16_t id)
{
    for (size_t i = 0; i < n_suites; i++)
        if (suites[i] == id)
            return 1;
    return 0;
}

/* wolfSSL_get_ciphers lists its names (some twice, under an old spelling too); each
 * one's IANA id comes from the library itself. */
static void suites_build(void)
{
    static char names[16384];
    if (wolfSSL_get_ciphers(names, (int)sizeof(names)) != WOLFSSL_SUCCESS)
        return;
    char *save = NULL;
    for (char *n = strtok_r(names, ":", &save); n && n_suites < TH_MAX_SUITES;
         n = strtok_r(NULL, ":", &save)) {
        unsigned char b0 = 0, b1 = 0;
        int flags = 0;
        if (wolfSSL_get_cipher_suite_from_name(n, &b0, &b1, &flags) != 0)
            continue;
        uint16_t id = (uint16_t)(b0 << 8 | b1);
        if (!have_id(id))
            suites[n_suites++] = id;
    }
}

static void init_once(void)
{
    init_code = wolfSSL_Init();
    if (init_code != WOLFSSL_SUCCESS)
        return;
    suites_build();
    snprintf(version_str, sizeof(version_str), "wolfSSL %s", wolfSSL_lib_version());
}

int th_wolfssl_init(int *code)
{
    pthread_once(&once, init_once);
    if (code)
        *code = init_code;
    return init_code == WOLFSSL_SUCCESS ? 0 : -1;
}

const char *th_wolfssl_version(void)
{
    if (th_wolfssl_init(NULL) != 0)
        return "wolfSSL (wolfSSL_Init failed)";
    return version_str[0] ? version_str : "wolfSSL (wolfSSL_Init failed)";
}

size_t th_wolfssl_suites(uint16_t *out, size_t cap)
{
    if (th_wolfssl_init(NULL) != 0)
        return 0;
    size_t n = n_suites < cap ? n_suites : cap;
    memcpy(out, suites, n * sizeof(*out));
    return n;
}

int th_wolfssl_has_suite(uint16_t id)
{
    return th_wolfssl_init(NULL) == 0 && have_id(id);
}

/* ---- names ---- */

uint16_t th_wolfssl_group_id(const char *name)
{
    static const struct {
        const char *name;
        uint16_t id;
    } map[] = {
        {"SECP256R1", 0x0017},
        {"SECP384R1", 0x0018},
        {"SECP521R1", 0x0019},
        {"X25519", 0x001D},
        {"X448", 0x001E},
        {"BRAINPOOLP256R1", 0x001A},
        {"BRAINPOOLP384R1", 0x001B},
        {"BRAINPOOLP512R1", 0x001C},
        {"FFDHE_2048", 0x0100},
        {"FFDHE_3072", 0x0101},
        {"FFDHE_4096", 0x0102},
        {"FFDHE_6144", 0x0103},
        {"FFDHE_8192", 0x0104},
        {"SECP224R1", 0x0015},
        {"SECP256K1", 0x0016},
    };
    for (size_t i = 0; name && i < TH_ARRAY_LEN(map); i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].id;
    return 0;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The key_share group of one ServerHello body (RFC 8446 4.1.3: version, random,
 * session id, suite, compression, extensions); 0 when it has none. */
static uint16_t hello_key_share(const unsigned char *p, size_t len)
{
    if (len < 35 || len < 35 + (size_t)p[34] + 5)
        return 0;
    size_t at = 35 + p[34] + 3; /* past the session id, suite and compression */
    size_t end = at + 2 + get16(p + at);
    if (end > len)
        return 0;
    for (at += 2; at + 4 <= end; at += 4 + get16(p + at + 2))
        if (get16(p + at) == 0x0033 && get16(p + at + 2) >= 2 && at + 6 <= end)
            return (uint16_t)get16(p + at + 4);
    return 0;
}

void th_wolfssl_hello_group(const unsigned char *buf, size_t len, uint16_t *group)
{
    /* plaintext handshake records; a ServerHello heads its record */
    for (size_t at = 0; at + 9 <= len; at += 5 + get16(buf + at + 3)) {
        size_t rec = get16(buf + at + 3);
        if (buf[at] != 22 || at + 5 + rec > len)
            return;
        if (buf[at + 5] == 2) {
            size_t hs = (size_t)buf[at + 6] << 16 | get16(buf + at + 7);
            uint16_t g = hs + 4 <= rec ? hello_key_share(buf + at + 9, hs) : 0;
            if (g)
                *group = g;
        }
    }
}

uint16_t th_wolfssl_version_id(const char *name)
{
    static const struct {
        const char *name;
        uint16_t v;
    } names[] = {
        {"TLSv1", TH_TLS10}, {"TLSv1.1", TH_TLS11}, {"TLSv1.2", TH_TLS12}, {"TLSv1.3", TH_TLS13}};
    for (size_t i = 0; name && i < TH_ARRAY_LEN(names); i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].v;
    return 0;
}

void th_wolfssl_error_text(int code, char *out, size_t cap)
{
    char buf[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)code, buf, sizeof(buf));
    th_strlcpy(out, buf, cap);
}

/* ---- errors ---- */

/* A chain error in a failed step's code (wolfSSL returns the verify error itself
 * when the verify callback refused): the certificate outcome, or -1 when code is no
 * such error. */
static int cert_outcome(int code)
{
    switch (code) {
    case ASN_AFTER_DATE_E: return TH_EXPIRED;
    case ASN_BEFORE_DATE_E: return TH_NOT_YET_VALID;
    case ASN_NO_SIGNER_E: return TH_UNKNOWN_CA;
    case ASN_SELF_SIGNED_E: return TH_SELF_SIGNED;
    case ASN_SIG_CONFIRM_E:
    case SIG_VERIFY_E: return TH_BAD_SIGNATURE;
    case ASN_SIG_HASH_E:
    case ASN_SIG_KEY_E:
    case ASN_SIG_OID_E: return TH_WEAK_SIGNATURE;
    case CRL_CERT_REVOKED:
    case OCSP_CERT_REVOKED: return TH_REVOKED;
    case DOMAIN_NAME_MISMATCH:
    case IPADDR_MISMATCH: return TH_HOSTNAME_MISMATCH;
    case ASN_NAME_INVALID_E: return TH_NAME_CONSTRAINTS;
    case ASN_PATHLEN_INV_E:
    case ASN_PATHLEN_SIZE_E:
    case MAX_CHAIN_ERROR: return TH_PATH_LENGTH;
    case NOT_CA_ERROR: return TH_INVALID_CA;
    case ASN_CRIT_EXT_E: return TH_UNKNOWN_CRITICAL_EXTENSION;
    case EXTKEYUSE_AUTH_E: return TH_BAD_EKU;
    case KEYUSE_SIGNATURE_E:
    case KEYUSE_ENCIPHER_E: return TH_BAD_KEY_USAGE;
    case RSA_KEY_SIZE_E:
    case ECC_KEY_SIZE_E: return TH_WEAK_KEY;
    case ASN_PARSE_E:
    case ASN_VERSION_E:
    case ASN_GETINT_E:
    case ASN_RSA_KEY_E:
    case ASN_OBJECT_ID_E:
    case ASN_TAG_NULL_E:
    case ASN_EXPECT_0_E:
    case ASN_BITSTR_E:
    case ASN_UNKNOWN_OID_E:
    case ASN_DATE_SZ_E:
    case ASN_TIME_E:
    case ASN_INPUT_E:
    case ASN_ALT_NAME_E:
    case ASN_ECC_KEY_E: return TH_BAD_CERTIFICATE;
    case CRL_MISSING: return TH_HANDSHAKE_FAILURE;
    default: return -1;
    }
}

/* The X509_V_ERR_* numbers this build's verify callback reports (OPENSSL_EXTRA
 * converts its own codes: ASN_AFTER_DATE_E becomes 14, ERROR_IN_CERT_NOT_AFTER_FIELD,
 * not 10); -1 for one it does not say enough with. */
static int x509_outcome(int x)
{
    switch (x) {
    case 9: /* CERT_NOT_YET_VALID */
    case 13: /* ERROR_IN_CERT_NOT_BEFORE_FIELD */ return TH_NOT_YET_VALID;
    case 10: /* CERT_HAS_EXPIRED */
    case 14: /* ERROR_IN_CERT_NOT_AFTER_FIELD */ return TH_EXPIRED;
    case 4: /* UNABLE_TO_DECRYPT_CERT_SIGNATURE */
    case 7: /* CERT_SIGNATURE_FAILURE */ return TH_BAD_SIGNATURE;
    case 23: /* CERT_REVOKED */ return TH_REVOKED;
    case 24: /* INVALID_CA */ return TH_INVALID_CA;
    case 25: /* PATH_LENGTH_EXCEEDED */ return TH_PATH_LENGTH;
    case 26: /* INVALID_PURPOSE */ return TH_BAD_EKU;
    case 34: /* UNHANDLED_CRITICAL_EXTENSION */ return TH_UNKNOWN_CRITICAL_EXTENSION;
    case 47: /* PERMITTED_VIOLATION */
    case 48: /* EXCLUDED_VIOLATION */ return TH_NAME_CONSTRAINTS;
    case 62: /* HOSTNAME_MISMATCH */
    case 64: /* IP_ADDRESS_MISMATCH */ return TH_HOSTNAME_MISMATCH;
    case 66: /* EE_KEY_TOO_SMALL */
    case 67: /* CA_KEY_TOO_SMALL */ return TH_WEAK_KEY;
    case 68: /* CA_MD_TOO_WEAK */ return TH_WEAK_SIGNATURE;
    default: return -1;
    }
}

/* No issuer found (wolfSSL's ASN_NO_SIGNER_E; X509 2, 18, 19, 20, 21): a self-signed
 * leaf, a leaf that came alone (its intermediates missing, as the OpenSSL backend
 * reads its error 20), or a chain under a root the client lacks. */
static int no_issuer(int x)
{
    return x == 2 || x == 18 || x == 19 || x == 20 || x == 21;
}

enum th_outcome th_wolfssl_verify_outcome(int code, int x509, int depth, int sent, int self_issued)
{
    /* The X509 number first: a refusal by the verify callback comes back from the
     * step as -188 whatever the reason, and the callback's own code says it. */
    int o = x509 > 0 ? x509_outcome(x509) : x509 < 0 ? cert_outcome(x509) : -1;
    if (o < 0 && code != ASN_NO_SIGNER_E)
        o = cert_outcome(code);
    if (o >= 0 && o != TH_UNKNOWN_CA)
        return (enum th_outcome)o;
    if (code == ASN_NO_SIGNER_E || x509 == ASN_NO_SIGNER_E || no_issuer(x509)) {
        if (depth == 0 && self_issued)
            return TH_SELF_SIGNED;
        if (depth == 0 && sent == 1)
            return TH_INCOMPLETE_CHAIN;
        return TH_UNKNOWN_CA;
    }
    return o >= 0 ? (enum th_outcome)o : TH_HANDSHAKE_FAILURE;
}

enum th_outcome th_wolfssl_outcome(int code, int alert)
{
    int o = cert_outcome(code);
    if (o >= 0)
        return (enum th_outcome)o;
    switch (code) {
    case FATAL_ERROR: return alert >= 0 ? th_outcome_from_alert(alert) : TH_HANDSHAKE_FAILURE;
    case MATCH_SUITE_ERROR:
    case UNSUPPORTED_SUITE: return TH_NO_SHARED_CIPHER;
    case VERSION_ERROR:
    case UNSUPPORTED_PROTO_VERSION: return TH_PROTOCOL_VERSION;
    case VERIFY_MAC_ERROR:
    case DECRYPT_ERROR:
    case AES_GCM_AUTH_E: /* TLS 1.3 records: wolfCrypt's own code comes through */
    case AES_CCM_AUTH_E:
    case MAC_CMP_FAILED_E: return TH_BAD_RECORD_MAC;
    case SOCKET_PEER_CLOSED_E: return TH_TRUNCATED;
    case OCSP_INVALID_STATUS:
    case BAD_CERTIFICATE_STATUS_ERROR:
    case ASN_OCSP_CONFIRM_E:
    case BAD_OCSP_RESPONDER:
    case OCSP_LOOKUP_FAIL:
    case OCSP_CERT_UNKNOWN: return TH_OCSP_INVALID;
    case NO_PEER_CERT: return TH_CERTIFICATE_REQUIRED;
    case SOCKET_ERROR_E: return TH_IO_ERROR;
    case MEMORY_ERROR:
    case BAD_FUNC_ARG:
    case BAD_STATE_E:
    case SIDE_ERROR: return TH_INTERNAL_ERROR;
    default: return TH_HANDSHAKE_FAILURE;
    }
}
