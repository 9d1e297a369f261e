/* OpenSSL's names and codes in the shared vocabulary (openssl_map.h): IANA suite and
 * group ids against OpenSSL's names and NIDs, X509 verify codes, packed SSL errors
 * and received alerts against outcomes, and what an SSL negotiated and what its peer
 * presented in IANA terms. The OpenSSL backend and curl-openssl read libssl through
 * these, so the two cannot drift apart. */
#include "openssl_map.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "harness/vocab/util.h"
#include "openssl_cauth.h"
#include "openssl_early.h"
#include "openssl_ocsp.h"

/* ---- suites: IANA id -> OpenSSL name, built once by th_ossl_ciphers_build ---- */

struct cipher_name {
    uint16_t id;
    char name[64]; /* OpenSSL's name for the suite */
};

/* More than OpenSSL 3.0 knows with ALL:COMPLEMENTOFALL (about 170). */
#define MAX_CIPHERS 256

static struct cipher_name ciphers[MAX_CIPHERS];
static size_t n_ciphers;

static const char tls13_all[] = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:"
                                "TLS_AES_128_CCM_8_SHA256";

/* Every suite the library can negotiate at security level 0, in OpenSSL's order:
 * the TLS 1.3 ones (including both CCM suites, off by default) first. */
static SSL_CTX *permissive_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx && SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1 &&
        SSL_CTX_set_ciphersuites(ctx, tls13_all) == 1)
        return ctx;
    SSL_CTX_free(ctx);
    return NULL;
}

int th_ossl_ciphers_build(void)
{
    SSL_CTX *ctx = permissive_ctx();
    if (!ctx)
        return -1;
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(sk) && n_ciphers < MAX_CIPHERS; i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        ciphers[n_ciphers].id = (uint16_t)(SSL_CIPHER_get_protocol_id(c) & 0xffff);
        th_strlcpy(ciphers[n_ciphers].name, SSL_CIPHER_get_name(c),
                   sizeof(ciphers[n_ciphers].name));
        n_ciphers++;
    }
    SSL_CTX_free(ctx);
    return 0;
}

const char *th_ossl_cipher_name(uint16_t id)
{
    for (size_t i = 0; i < n_ciphers; i++)
        if (ciphers[i].id == id)
            return ciphers[i].name;
    return NULL;
}

size_t th_ossl_suites(uint16_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < n_ciphers && n < cap; i++)
        out[n++] = ciphers[i].id;
    return n;
}

/* ---- groups ---- */

/* Groups: IANA id, OpenSSL's group name (for set1_groups_list), NID (what
 * SSL_get_negotiated_group returns). */
static const struct {
    uint16_t iana;
    const char *name;
    int nid;
} group_map[] = {
    {0x001D, "X25519", NID_X25519},          {0x001E, "X448", NID_X448},
    {0x0017, "P-256", NID_X9_62_prime256v1}, {0x0018, "P-384", NID_secp384r1},
    {0x0019, "P-521", NID_secp521r1},        {0x0100, "ffdhe2048", NID_ffdhe2048},
    {0x0101, "ffdhe3072", NID_ffdhe3072},    {0x0102, "ffdhe4096", NID_ffdhe4096},
    {0x0103, "ffdhe6144", NID_ffdhe6144},    {0x0104, "ffdhe8192", NID_ffdhe8192},
};

const char *th_ossl_group_name(uint16_t iana)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].iana == iana)
            return group_map[i].name;
    return NULL;
}

static uint16_t group_from_nid(int nid)
{
    /* A group OpenSSL has no NID for comes back as TLSEXT_nid_unknown | IANA id. */
    if (nid & TLSEXT_nid_unknown)
        return (uint16_t)(nid & 0xffff);
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].nid == nid)
            return group_map[i].iana;
    return 0;
}

/* ---- errors ---- */

/* OpenSSL's first queued error is the root cause (a missing file's errno), where the
 * last one only says "system lib". */
void th_ossl_queued_error(struct th_error *err, const char *what)
{
    unsigned long e = ERR_peek_error();
    char buf[200] = "no OpenSSL error queued";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    th_error_set(err, TH_INTERNAL_ERROR, (long)e, "%s: %s", what, buf);
    ERR_clear_error();
}

/* A trust anchor or CRL file the library would not load: anchor_unusable, with
 * OpenSSL's first queued error (PEM, X509, ASN1: its verdict on the contents). A
 * file that could not even be opened (ERR_LIB_SYS) is the harness's problem, not a
 * fact about the library: internal_error, as th_ossl_queued_error says. */
void th_ossl_anchor_error(struct th_error *err, const char *what)
{
    unsigned long e = ERR_peek_error();
    th_ossl_queued_error(err, what);
    if (err && e && ERR_GET_LIB(e) != ERR_LIB_SYS)
        err->outcome = TH_ANCHOR_UNUSABLE;
}

/* ---- security levels ---- */

static pthread_once_t level_once = PTHREAD_ONCE_INIT;
static int default_level = -1;

static void read_default_level(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx)
        default_level = SSL_CTX_get_security_level(ctx);
    SSL_CTX_free(ctx);
    ERR_clear_error();
}

int th_ossl_default_security_level(void)
{
    pthread_once(&level_once, read_default_level);
    return default_level;
}

/* libssl sets the chain check's auth level from the SSL's security level, then
 * lets a level set on the SSL's own verify parameters override it
 * (ssl_verify_cert_chain): pinning it on the context's parameters (which every SSL
 * copies) keeps the certificate checks where the library has them by default. */
int th_ossl_lower_security_level(SSL_CTX *ctx, int level)
{
    int def = th_ossl_default_security_level();
    if (def < 0)
        return -1;
    SSL_CTX_set_security_level(ctx, level);
    X509_VERIFY_PARAM_set_auth_level(SSL_CTX_get0_param(ctx), def);
    return 0;
}

/* INVALID_PURPOSE says only "not for a TLS server" (or client): an EKU without
 * the role's purpose (xku: XKU_SSL_SERVER or XKU_SSL_CLIENT) is bad_eku; otherwise
 * it was the key usage bits. */
static enum th_outcome purpose_outcome(X509 *cert, uint32_t xku)
{
    if (cert && (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) &&
        !(X509_get_extended_key_usage(cert) & xku))
        return TH_BAD_EKU;
    return TH_BAD_KEY_USAGE;
}

static enum th_outcome verify_outcome(int code, X509 *cert, uint32_t xku);

enum th_outcome th_ossl_verify_outcome(int code, X509 *cert)
{
    return verify_outcome(code, cert, XKU_SSL_SERVER);
}

static enum th_outcome verify_outcome(int code, X509 *cert, uint32_t xku)
{
    switch (code) {
    /* name constraints: a violated subtree, or a constraint or name form OpenSSL
     * cannot check (it fails closed) */
    case X509_V_ERR_PERMITTED_VIOLATION:
    case X509_V_ERR_EXCLUDED_VIOLATION:
    case X509_V_ERR_SUBTREE_MINMAX:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE:
    case X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case X509_V_ERR_UNSUPPORTED_NAME_SYNTAX: return TH_NAME_CONSTRAINTS;
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED: return TH_PATH_LENGTH;
    /* an issuer with CA:FALSE or without basicConstraints. (24 is
     * NO_ISSUER_PUBLIC_KEY since OpenSSL 1.1.0; 1.0.x used it for INVALID_CA.) */
    case X509_V_ERR_INVALID_CA: return TH_INVALID_CA;
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: return TH_UNKNOWN_CRITICAL_EXTENSION;
    /* malformed: an extension that does not decode or appears twice (EXFLAG_INVALID),
     * bad time fields, a key or signature algorithm that does not decode or
     * disagrees with itself, and the RFC 5280 profile checks of X509_V_FLAG_X509_STRICT
     * (80-94; this backend does not set it, a caller of the map may). */
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_INVALID_POLICY_EXTENSION:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_NO_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
    case X509_V_ERR_SIGNATURE_ALGORITHM_INCONSISTENCY:
    case X509_V_ERR_PATHLEN_INVALID_FOR_NON_CA:
    case X509_V_ERR_PATHLEN_WITHOUT_KU_KEY_CERT_SIGN:
    case X509_V_ERR_KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA:
    case X509_V_ERR_ISSUER_NAME_EMPTY:
    case X509_V_ERR_SUBJECT_NAME_EMPTY:
    case X509_V_ERR_MISSING_AUTHORITY_KEY_IDENTIFIER:
    case X509_V_ERR_MISSING_SUBJECT_KEY_IDENTIFIER:
    case X509_V_ERR_EMPTY_SUBJECT_ALT_NAME:
    case X509_V_ERR_EMPTY_SUBJECT_SAN_NOT_CRITICAL:
    case X509_V_ERR_CA_BCONS_NOT_CRITICAL:
    case X509_V_ERR_AUTHORITY_KEY_IDENTIFIER_CRITICAL:
    case X509_V_ERR_SUBJECT_KEY_IDENTIFIER_CRITICAL:
    case X509_V_ERR_CA_CERT_MISSING_KEY_USAGE:
    case X509_V_ERR_EXTENSIONS_REQUIRE_VERSION_3:
    case X509_V_ERR_EC_KEY_EXPLICIT_PARAMS: return TH_BAD_CERTIFICATE;
    case X509_V_ERR_CERT_HAS_EXPIRED: return TH_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID: return TH_NOT_YET_VALID;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return TH_HOSTNAME_MISMATCH;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return TH_SELF_SIGNED;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: return TH_UNKNOWN_CA;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE: return TH_BAD_SIGNATURE;
    case X509_V_ERR_CERT_REVOKED: return TH_REVOKED;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL: return TH_WEAK_KEY;
    case X509_V_ERR_CA_MD_TOO_WEAK: return TH_WEAK_SIGNATURE;
    case X509_V_ERR_INVALID_PURPOSE: return purpose_outcome(cert, xku);
    case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN: return TH_BAD_KEY_USAGE;
    default: return TH_HANDSHAKE_FAILURE;
    }
}

/* Error 20 says only that no issuer of the chain's last certificate was found, and
 * OpenSSL gives it alike for a leaf sent without its intermediate and for a leaf
 * sent alone whose issuer is a root the client lacks. The chain as sent tells the
 * first apart where a server misconfiguration is the likely reading: a leaf alone,
 * not self-issued. A longer chain that stops short of a trust anchor reads as an
 * unknown CA (servers may leave the root out), as do 19 and 2. */
enum th_outcome th_ossl_chain_outcome(int code, X509 *cert, int n_sent)
{
    return th_ossl_peer_chain_outcome(code, cert, n_sent, 0);
}

enum th_outcome th_ossl_peer_chain_outcome(int code, X509 *cert, int n_sent, int peer_is_client)
{
    /* OpenSSL 3.0 marks a certificate whose extensions do not decode or repeat
     * (two subjectAltName) EXFLAG_INVALID, and then finds no issuer for it: error
     * 20, "unable to get local issuer certificate", with X509V3 "invalid
     * certificate" queued. Its own flag says why. */
    if (cert && (X509_get_extension_flags(cert) & EXFLAG_INVALID) &&
        (code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE))
        return TH_BAD_CERTIFICATE;
    if (code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY && n_sent == 1 &&
        !(cert && (X509_get_extension_flags(cert) & EXFLAG_SI)))
        return TH_INCOMPLETE_CHAIN;
    return verify_outcome(code, cert, peer_is_client ? XKU_SSL_CLIENT : XKU_SSL_SERVER);
}

enum th_outcome th_ossl_reason_outcome(int reason)
{
    switch (reason) {
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_NO_CIPHER_MATCH:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_KEY_SHARE: return TH_NO_SHARED_CIPHER;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_INAPPROPRIATE_FALLBACK: return TH_PROTOCOL_VERSION;
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
    case SSL_R_DECRYPTION_FAILED: return TH_BAD_RECORD_MAC;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING: return TH_TRUNCATED;
    /* a server requiring a client certificate got none: its own words for what a
     * TLS 1.3 server also says with alert 116 */
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: return TH_CERTIFICATE_REQUIRED;
    /* a client's status callback refused the staple (openssl_ocsp.c has why) */
    case SSL_R_INVALID_STATUS_RESPONSE: return TH_OCSP_INVALID;
    default:
        /* A received alert is reported as reason 1000 + its description. */
        if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
            return th_outcome_from_alert(reason - SSL_AD_REASON_OFFSET);
        return TH_HANDSHAKE_FAILURE;
    }
}

/* ---- what a connection negotiated, and what its peer presented ---- */

void th_ossl_negotiated(SSL *ssl, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    /* before the suite: a handshake the staple check failed has none */
    out->ocsp = th_ossl_ocsp_seen(ssl);
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    if (!cipher)
        return;
    out->version = (uint16_t)SSL_version(ssl);
    out->suite = (uint16_t)(SSL_CIPHER_get_protocol_id(cipher) & 0xffff);
    /* RSA key transport has no group, whatever the session remembers. */
    if (SSL_CIPHER_get_kx_nid(cipher) != NID_kx_rsa)
        out->group = group_from_nid(SSL_get_negotiated_group(ssl));
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len >= sizeof(out->alpn))
        alpn_len = sizeof(out->alpn) - 1;
    if (alpn)
        memcpy(out->alpn, alpn, alpn_len);
    out->resumed = SSL_session_reused(ssl);
    th_ossl_cert_state(ssl, out);
    th_ossl_early_state(ssl, out);
}

/* The IANA SignatureScheme from the pair OpenSSL 3.0 reports (signature type and
 * digest NIDs). RSA-PSS names the key: rsae for an rsaEncryption key, pss for an
 * RSA-PSS one. TLS 1.0/1.1's MD5+SHA1 has no scheme: "". */
static const char *sig_scheme_name(int type, int md, const EVP_PKEY *leaf_key)
{
    static const struct {
        int type, md;
        const char *name;
    } map[] = {
        {EVP_PKEY_RSA, NID_sha1, "rsa_pkcs1_sha1"},
        {EVP_PKEY_RSA, NID_sha256, "rsa_pkcs1_sha256"},
        {EVP_PKEY_RSA, NID_sha384, "rsa_pkcs1_sha384"},
        {EVP_PKEY_RSA, NID_sha512, "rsa_pkcs1_sha512"},
        {EVP_PKEY_EC, NID_sha1, "ecdsa_sha1"},
        {EVP_PKEY_EC, NID_sha256, "ecdsa_secp256r1_sha256"},
        {EVP_PKEY_EC, NID_sha384, "ecdsa_secp384r1_sha384"},
        {EVP_PKEY_EC, NID_sha512, "ecdsa_secp521r1_sha512"},
        {EVP_PKEY_ED25519, NID_undef, "ed25519"},
        {EVP_PKEY_ED448, NID_undef, "ed448"},
    };
    if (type == EVP_PKEY_RSA_PSS) {
        int pss_key = leaf_key && EVP_PKEY_get_base_id(leaf_key) == EVP_PKEY_RSA_PSS;
        switch (md) {
        case NID_sha256: return pss_key ? "rsa_pss_pss_sha256" : "rsa_pss_rsae_sha256";
        case NID_sha384: return pss_key ? "rsa_pss_pss_sha384" : "rsa_pss_rsae_sha384";
        case NID_sha512: return pss_key ? "rsa_pss_pss_sha512" : "rsa_pss_rsae_sha512";
        default: return "";
        }
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(map); i++)
        if (map[i].type == type && (map[i].md == md || map[i].md == NID_undef))
            return map[i].name;
    return "";
}

/* The chain as the peer sent it: on a client, SSL_get_peer_cert_chain holds the
 * leaf too (on a server it would not). */
int th_ossl_peer_info(SSL *ssl, struct th_peer_info *out)
{
    memset(out, 0, sizeof(*out));
    STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
    if (!sk || sk_X509_num(sk) == 0)
        return -1;
    for (int i = 0; i < sk_X509_num(sk); i++) {
        int n = i2d_X509(sk_X509_value(sk, i), NULL);
        if (n <= 0)
            continue;
        out->chain = th_xrealloc(out->chain, out->chain_len + (size_t)n);
        unsigned char *p = out->chain + out->chain_len;
        if (i2d_X509(sk_X509_value(sk, i), &p) == n) {
            out->chain_len += (size_t)n;
            out->n_certs++;
        }
    }
    int type = NID_undef, md = NID_undef;
    if (SSL_get_peer_signature_type_nid(ssl, &type) == 1) {
        SSL_get_peer_signature_nid(ssl, &md);
        X509 *leaf = sk_X509_value(sk, 0);
        th_strlcpy(out->sig_scheme, sig_scheme_name(type, md, X509_get0_pubkey(leaf)),
                   sizeof(out->sig_scheme));
    }
    ERR_clear_error();
    return 0;
}
