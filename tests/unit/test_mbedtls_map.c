/* The mbedTLS backend's mappings (mbedtls_map.c): verification flags with the chain
 * the verify callback saw, MBEDTLS_ERR_* codes and received alerts against the shared
 * outcomes, version names, and the texts a person reads. Unknown codes and names must
 * fall back, never invent. */
#include "backends/mbedtls_map.h"
#include "tap.h"

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

static void test_flags(void)
{
    static const struct th_mbedtls_chain leaf_only = {1, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0};
    static const struct th_mbedtls_chain self = {1, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 1};
    static const struct th_mbedtls_chain bad_sig = {2, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0};
    static const struct th_mbedtls_chain top_only = {2, 0, 0};
    static const struct {
        uint32_t flags;
        const struct th_mbedtls_chain *chain;
        enum th_outcome want;
        const char *what;
    } cases[] = {
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &leaf_only, TH_UNKNOWN_CA, "a lone leaf, untrusted"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &self, TH_SELF_SIGNED, "a lone self-issued leaf"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &bad_sig, TH_BAD_SIGNATURE, "a leaf with a parent"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &top_only, TH_UNKNOWN_CA, "the top flagged"},
        {MBEDTLS_X509_BADCERT_REVOKED | MBEDTLS_X509_BADCERT_EXPIRED, &top_only, TH_REVOKED,
         "revoked before expired"},
        {MBEDTLS_X509_BADCERT_EXPIRED, &top_only, TH_EXPIRED, "expired"},
        {MBEDTLS_X509_BADCERT_FUTURE, &top_only, TH_NOT_YET_VALID, "not yet valid"},
        {MBEDTLS_X509_BADCERT_BAD_KEY, &top_only, TH_WEAK_KEY, "short key"},
        {MBEDTLS_X509_BADCERT_BAD_MD, &top_only, TH_WEAK_SIGNATURE, "weak hash"},
        {MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, &top_only, TH_BAD_EKU, "EKU"},
        {MBEDTLS_X509_BADCERT_KEY_USAGE, &top_only, TH_BAD_KEY_USAGE, "key usage"},
        {MBEDTLS_X509_BADCERT_CN_MISMATCH, &top_only, TH_HOSTNAME_MISMATCH, "name"},
        /* negative: flags with no outcome of their own */
        {MBEDTLS_X509_BADCRL_EXPIRED, &top_only, TH_HANDSHAKE_FAILURE, "an expired CRL"},
        {0, &top_only, TH_HANDSHAKE_FAILURE, "no flag"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_mbedtls_flags_outcome(cases[i].flags, cases[i].chain)),
               th_outcome_name(cases[i].want), "flags: %s", cases[i].what);
}

static void test_codes(void)
{
    static const struct {
        int ret, alert;
        enum th_outcome want;
    } cases[] = {
        {MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN, -1, TH_NO_SHARED_CIPHER},
        {MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION, -1, TH_PROTOCOL_VERSION},
        {MBEDTLS_ERR_SSL_INVALID_MAC, -1, TH_BAD_RECORD_MAC},
        {MBEDTLS_ERR_SSL_CONN_EOF, -1, TH_TRUNCATED},
        {MBEDTLS_ERR_NET_CONN_RESET, -1, TH_IO_ERROR},
        {MBEDTLS_ERR_SSL_ALLOC_FAILED, -1, TH_INTERNAL_ERROR},
        {MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION,
         TH_PROTOCOL_VERSION},
        /* negative: codes with no outcome of their own */
        {MBEDTLS_ERR_SSL_BAD_INPUT_DATA, -1, TH_HANDSHAKE_FAILURE},
        {0, -1, TH_HANDSHAKE_FAILURE},
        {-0x7fff, 40, TH_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_mbedtls_ret_outcome(cases[i].ret, cases[i].alert)),
               th_outcome_name(cases[i].want), "mbedTLS code -0x%04x", -cases[i].ret);
    is_str(th_outcome_name(th_mbedtls_ret_outcome(MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, 46)),
           th_outcome_name(th_outcome_from_alert(46)), "a received alert maps as the alert does");
}

static void test_names_texts(void)
{
    is_int(th_mbedtls_version_id("TLSv1.2"), TH_TLS12, "TLSv1.2");
    is_int(th_mbedtls_version_id("TLSv1.0"), TH_TLS10, "TLSv1.0");
    is_int(th_mbedtls_version_id("TLSv1.3"), 0, "TLSv1.3: not one 2.28 has");
    is_int(th_mbedtls_version_id("unknown"), 0, "an unknown name: 0");
    is_int(th_mbedtls_version_id(NULL), 0, "no name: 0");
    ok(strncmp(th_mbedtls_version(), "mbed TLS 2.", 11) == 0, "version '%s'", th_mbedtls_version());

    char text[160];
    th_mbedtls_flags_text(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_NOT_TRUSTED, text,
                          sizeof(text));
    ok(strstr(text, "expired") && strchr(text, ';') && !strchr(text, '\n'),
       "two flags on one line: '%s'", text);
    th_mbedtls_flags_text(0, text, sizeof(text));
    is_str(text, "unknown flags", "no flag: says so");

    struct th_error e = {0};
    th_mbedtls_error(&e, MBEDTLS_ERR_SSL_ALLOC_FAILED, "mbedtls_ssl_setup");
    ok(strncmp(e.text, "mbedtls_ssl_setup: SSL - ", 25) == 0, "what, then mbedTLS's words: '%s'",
       e.text);
    is_int(e.code, MBEDTLS_ERR_SSL_ALLOC_FAILED, "the code kept");
    ok(e.outcome == TH_INTERNAL_ERROR && e.file == NULL, "internal_error, no harness place");
    th_mbedtls_error(NULL, -1, "nothing to fill"); /* must not crash */
    ok(1, "a NULL error is accepted");
}

int main(void)
{
    th_mbedtls_init();
    test_flags();
    test_codes();
    test_names_texts();
    return done_testing();
}
