/* The OpenSSL backend's mappings (openssl_map.c), read without a connection: suite and
 * group names, X509 verify codes, packed SSL reasons and received alerts against the
 * shared outcomes, the queued-error text, and what an SSL that has negotiated nothing
 * reports. Unknown codes and ids must fall back, never crash or invent. */
#include "backends/openssl_map.h"
#include "tap.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

extern const struct th_backend th_backend_openssl;

static void test_suites(void)
{
    uint16_t ids[512];
    size_t n = th_ossl_suites(ids, 512);
    ok(n > 50, "%zu suites in the table", n);
    is_int(ids[0] >> 8, 0x13, "TLS 1.3 suites first (0x%04x)", ids[0]);
    is_int(th_ossl_suites(ids, 3), 3, "the cap is kept");
    is_int(th_ossl_suites(ids, 0), 0, "cap 0: nothing written");
    is_str(th_ossl_cipher_name(0xC02F), "ECDHE-RSA-AES128-GCM-SHA256", "0xC02F by OpenSSL's name");
    is_str(th_ossl_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256", "0x1301 by its name");
    ok(th_ossl_cipher_name(0xFFFF) == NULL, "an unknown suite has no name");
    ok(th_ossl_cipher_name(0x0000) == NULL, "TLS_NULL_WITH_NULL_NULL has no name");
}

static void test_groups(void)
{
    is_str(th_ossl_group_name(0x001D), "X25519", "x25519");
    is_str(th_ossl_group_name(0x0017), "P-256", "secp256r1");
    is_str(th_ossl_group_name(0x0100), "ffdhe2048", "ffdhe2048");
    ok(th_ossl_group_name(0x9999) == NULL, "an unknown group has no name");
    ok(th_ossl_group_name(0) == NULL, "group 0 has no name");
}

static void test_verify(void)
{
    static const struct {
        int code;
        enum th_outcome want;
    } cases[] = {
        {X509_V_ERR_CERT_HAS_EXPIRED, TH_EXPIRED},
        {X509_V_ERR_CERT_NOT_YET_VALID, TH_NOT_YET_VALID},
        {X509_V_ERR_HOSTNAME_MISMATCH, TH_HOSTNAME_MISMATCH},
        {X509_V_ERR_IP_ADDRESS_MISMATCH, TH_HOSTNAME_MISMATCH},
        {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, TH_SELF_SIGNED},
        {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, TH_UNKNOWN_CA},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, TH_UNKNOWN_CA},
        {X509_V_ERR_CERT_SIGNATURE_FAILURE, TH_BAD_SIGNATURE},
        {X509_V_ERR_CERT_REVOKED, TH_REVOKED},
        {X509_V_ERR_EE_KEY_TOO_SMALL, TH_WEAK_KEY},
        {X509_V_ERR_CA_MD_TOO_WEAK, TH_WEAK_SIGNATURE},
        {X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE, TH_BAD_KEY_USAGE},
        /* without the certificate, a bad purpose cannot be told to be the EKU */
        {X509_V_ERR_INVALID_PURPOSE, TH_BAD_KEY_USAGE},
        /* the certificate outcomes of issue 12, by OpenSSL 3.0's numbers */
        {47, TH_NAME_CONSTRAINTS}, /* permitted subtree violation */
        {48, TH_NAME_CONSTRAINTS}, /* excluded subtree violation */
        {49, TH_NAME_CONSTRAINTS}, /* subtree min/max */
        {51, TH_NAME_CONSTRAINTS}, /* unsupported constraint type */
        {52, TH_NAME_CONSTRAINTS}, /* unsupported constraint syntax */
        {53, TH_NAME_CONSTRAINTS}, /* unsupported name syntax */
        {25, TH_PATH_LENGTH},
        {38, TH_PATH_LENGTH}, /* proxy path length */
        {79, TH_INVALID_CA},
        {34, TH_UNKNOWN_CRITICAL_EXTENSION},
        {41, TH_BAD_CERTIFICATE}, /* invalid or duplicate extension */
        {42, TH_BAD_CERTIFICATE}, /* invalid policy extension */
        {13, TH_BAD_CERTIFICATE}, /* bad notBefore */
        {14, TH_BAD_CERTIFICATE}, /* bad notAfter */
        {6, TH_BAD_CERTIFICATE},  /* issuer key does not decode */
        {78, TH_BAD_CERTIFICATE}, /* inner and outer signature algorithms differ */
        {87, TH_BAD_CERTIFICATE}, /* empty subjectAltName (X509_STRICT) */
        {93, TH_BAD_CERTIFICATE}, /* extensions in a v1 certificate (X509_STRICT) */
        {94, TH_BAD_CERTIFICATE}, /* explicit EC parameters (X509_STRICT) */
        /* negative: near neighbours that mean something else */
        {24, TH_BAD_CERTIFICATE},   /* NO_ISSUER_PUBLIC_KEY since 1.1.0, not INVALID_CA */
        {37, TH_HANDSHAKE_FAILURE}, /* INVALID_NON_CA: a proxy path, not a non-CA issuer */
        {50, TH_HANDSHAKE_FAILURE}, /* APPLICATION_VERIFICATION: not a name constraint */
        {45, TH_HANDSHAKE_FAILURE}, /* unsupported extension feature: not malformed */
        {36, TH_HANDSHAKE_FAILURE}, /* a CRL's critical extension: not the certificate's */
        {22, TH_HANDSHAKE_FAILURE}, /* chain too long for the depth limit: not path length */
        {95, TH_HANDSHAKE_FAILURE}, /* past 3.0's last code */
        /* negative: codes with no outcome of their own */
        {X509_V_ERR_OUT_OF_MEM, TH_HANDSHAKE_FAILURE},
        {X509_V_OK, TH_HANDSHAKE_FAILURE},
        {-1, TH_HANDSHAKE_FAILURE},
        {99999, TH_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_ossl_verify_outcome(cases[i].code, NULL)),
               th_outcome_name(cases[i].want), "X509 verify code %d", cases[i].code);
}

/* Error 20 on a leaf sent alone is incomplete_chain; with more sent, or another
 * code, the chain as sent changes nothing. */
static void test_chain(void)
{
    static const struct {
        int code, sent;
        enum th_outcome want;
    } cases[] = {
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 1, TH_INCOMPLETE_CHAIN},
        /* negative */
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 2, TH_UNKNOWN_CA},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 3, TH_UNKNOWN_CA},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0, TH_UNKNOWN_CA},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, -1, TH_UNKNOWN_CA},
        {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 1, TH_UNKNOWN_CA},
        {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, 1, TH_UNKNOWN_CA},
        {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 1, TH_SELF_SIGNED},
        {X509_V_ERR_CERT_HAS_EXPIRED, 1, TH_EXPIRED},
        {X509_V_ERR_PERMITTED_VIOLATION, 3, TH_NAME_CONSTRAINTS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_ossl_chain_outcome(cases[i].code, NULL, cases[i].sent)),
               th_outcome_name(cases[i].want), "X509 verify code %d, %d sent", cases[i].code,
               cases[i].sent);
    /* a self-issued leaf alone is never an incomplete chain */
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"me", -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    is_str(th_outcome_name(th_ossl_chain_outcome(20, x, 1)), "unknown_ca",
           "a self-issued leaf sent alone: unknown_ca");
    X509_free(x);
    /* two subjectAltName extensions: OpenSSL flags it invalid and finds no issuer
     * (a fresh certificate: the flags are computed once) */
    x = X509_new();
    X509_set_version(x, X509_VERSION_3);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    GENERAL_NAMES *san = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *dns = GENERAL_NAME_new();
    ASN1_IA5STRING *host = ASN1_IA5STRING_new();
    ASN1_STRING_set(host, "localhost", -1);
    GENERAL_NAME_set0_value(dns, GEN_DNS, host);
    sk_GENERAL_NAME_push(san, dns);
    X509_add1_ext_i2d(x, NID_subject_alt_name, san, 0, X509V3_ADD_APPEND);
    X509_add1_ext_i2d(x, NID_subject_alt_name, san, 0, X509V3_ADD_APPEND);
    GENERAL_NAMES_free(san);
    ok(X509_get_extension_flags(x) & EXFLAG_INVALID, "a duplicate extension: flagged invalid");
    is_str(th_outcome_name(th_ossl_chain_outcome(20, x, 2)), "bad_certificate",
           "error 20 on a certificate flagged invalid: bad_certificate");
    is_str(th_outcome_name(th_ossl_chain_outcome(2, x, 1)), "bad_certificate",
           "error 2 on it: bad_certificate");
    /* negative: other codes on it keep their meaning */
    is_str(th_outcome_name(th_ossl_chain_outcome(10, x, 1)), "expired", "error 10 on it: expired");
    ERR_clear_error();
    X509_NAME_free(n);
    X509_free(x);
}

/* The security level: read once from the library; lowering it keeps the chain
 * check's auth level at the default. */
static void test_levels(void)
{
    int def = th_ossl_default_security_level();
    ok(def >= 1 && def <= 5, "the library's default security level: %d", def);
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ok(ctx != NULL, "an SSL_CTX"))
        return;
    is_int(X509_VERIFY_PARAM_get_auth_level(SSL_CTX_get0_param(ctx)), -1,
           "a fresh context's verify parameters leave the auth level unset");
    ok(th_ossl_lower_security_level(ctx, 0) == 0, "lowered to 0");
    is_int(SSL_CTX_get_security_level(ctx), 0, "the handshake runs at level 0");
    is_int(X509_VERIFY_PARAM_get_auth_level(SSL_CTX_get0_param(ctx)), def,
           "certificate checks keep level %d", def);
    SSL *ssl = SSL_new(ctx);
    ok(ssl && X509_VERIFY_PARAM_get_auth_level(SSL_get0_param(ssl)) == def,
       "a connection inherits the certificate checks' level");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

/* A file the library would not load: its verdict (anchor_unusable) unless it could
 * not be opened at all. */
static void test_anchor_error(void)
{
    struct th_error e = {0};
    ERR_clear_error();
    ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);
    th_ossl_anchor_error(&e, "ca.pem");
    is_int(e.outcome, TH_ANCHOR_UNUSABLE, "PEM refused: anchor_unusable");
    is_int(ERR_GET_REASON((unsigned long)e.code), PEM_R_NO_START_LINE,
           "the native code is kept: %s", e.text);
    ok(strstr(e.text, "ca.pem: error:") == e.text, "and the native text: %s", e.text);
    memset(&e, 0, sizeof(e));
    ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
    th_ossl_anchor_error(&e, "ca.pem");
    is_int(e.outcome, TH_ANCHOR_UNUSABLE, "X509 refused: anchor_unusable");
    /* negative: the file could not be opened; nothing queued */
    memset(&e, 0, sizeof(e));
    ERR_raise_data(ERR_LIB_SYS, 2, "calling fopen(%s, %s)", "ca.pem", "r");
    ERR_raise(ERR_LIB_BIO, BIO_R_NO_SUCH_FILE);
    th_ossl_anchor_error(&e, "ca.pem");
    is_int(e.outcome, TH_INTERNAL_ERROR, "a file that cannot be opened: internal_error");
    memset(&e, 0, sizeof(e));
    th_ossl_anchor_error(&e, "ca.pem");
    is_int(e.outcome, TH_INTERNAL_ERROR, "nothing queued: internal_error");
    is_int(ERR_peek_error(), 0, "the queue is left empty");
    th_ossl_anchor_error(NULL, "no error to fill"); /* must not crash */
    ok(1, "a NULL error is accepted");
}

static void test_reasons(void)
{
    static const struct {
        int reason;
        enum th_outcome want;
    } cases[] = {
        {SSL_R_NO_SHARED_CIPHER, TH_NO_SHARED_CIPHER},
        {SSL_R_NO_SUITABLE_KEY_SHARE, TH_NO_SHARED_CIPHER},
        {SSL_R_WRONG_VERSION_NUMBER, TH_PROTOCOL_VERSION},
        {SSL_R_UNSUPPORTED_PROTOCOL, TH_PROTOCOL_VERSION},
        {SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, TH_BAD_RECORD_MAC},
        {SSL_R_UNEXPECTED_EOF_WHILE_READING, TH_TRUNCATED},
        /* a received alert: 1000 + its description */
        {SSL_AD_REASON_OFFSET + SSL_AD_PROTOCOL_VERSION, TH_PROTOCOL_VERSION},
        {SSL_AD_REASON_OFFSET + SSL_AD_UNKNOWN_CA, TH_UNKNOWN_CA},
        /* negative: no reason, and numbers past the alert range */
        {0, TH_HANDSHAKE_FAILURE},
        {SSL_AD_REASON_OFFSET + 256, TH_HANDSHAKE_FAILURE},
        {-5, TH_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_ossl_reason_outcome(cases[i].reason)),
               th_outcome_name(cases[i].want), "SSL reason %d", cases[i].reason);
    is_str(th_outcome_name(th_ossl_reason_outcome(SSL_AD_REASON_OFFSET + SSL_AD_HANDSHAKE_FAILURE)),
           th_outcome_name(th_outcome_from_alert(SSL_AD_HANDSHAKE_FAILURE)),
           "a received alert maps as the alert does");
}

static void test_queued_error(void)
{
    struct th_error e = {0};
    ERR_clear_error();
    th_ossl_queued_error(&e, "loading x");
    is_str(e.text, "loading x: no OpenSSL error queued", "empty queue: says so");
    is_int(e.code, 0, "empty queue: code 0");
    is_int(e.outcome, TH_INTERNAL_ERROR, "a set-up failure is internal_error");
    ok(e.file == NULL, "the library's failure has no harness place");
    ERR_raise(ERR_LIB_SSL, SSL_R_NO_SHARED_CIPHER);
    ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);
    th_ossl_queued_error(&e, "handshake");
    is_int(ERR_GET_REASON((unsigned long)e.code), SSL_R_NO_SHARED_CIPHER,
           "the first queued error is the one kept: %s", e.text);
    ok(strncmp(e.text, "handshake: error:", 17) == 0, "its text follows what: '%s'", e.text);
    is_int(ERR_peek_error(), 0, "the queue is left empty");
    th_ossl_queued_error(NULL, "no error to fill"); /* must not crash */
    ok(1, "a NULL error is accepted");
}

/* An SSL that has negotiated nothing reports nothing. */
static void test_fresh_ssl(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    if (!ok(ssl != NULL, "an SSL to read"))
        return;
    struct th_negotiated neg;
    memset(&neg, 0xff, sizeof(neg));
    th_ossl_negotiated(ssl, &neg);
    ok(neg.version == 0 && neg.suite == 0 && neg.group == 0 && neg.alpn[0] == '\0' &&
           neg.resumed == 0,
       "negotiated: all zero before a suite is agreed");
    struct th_peer_info pi;
    is_int(th_ossl_peer_info(ssl, &pi), -1, "peer_info: -1 with no peer certificate");
    ok(pi.chain == NULL && pi.n_certs == 0 && pi.sig_scheme[0] == '\0', "peer_info: empty");
    SSL_free(ssl);
    SSL_CTX_free(ctx);
}

int main(void)
{
    if (!ok(th_backend_openssl.init() == 0, "the OpenSSL backend initialises (builds the table)"))
        return done_testing();
    test_suites();
    test_groups();
    test_verify();
    test_chain();
    test_levels();
    test_anchor_error();
    test_reasons();
    test_queued_error();
    test_fresh_ssl();
    return done_testing();
}
