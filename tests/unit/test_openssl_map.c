/* The OpenSSL backend's mappings (openssl_map.c), read without a connection: suite and
 * group names, X509 verify codes, packed SSL reasons and received alerts against the
 * shared outcomes, the queued-error text, and what an SSL that has negotiated nothing
 * reports. Unknown codes and ids must fall back, never crash or invent. */
#include "backends/openssl_map.h"
#include "tap.h"

#include <openssl/err.h>

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
    test_reasons();
    test_queued_error();
    test_fresh_ssl();
    return done_testing();
}
