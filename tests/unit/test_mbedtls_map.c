/* The mbedTLS backend's mappings (mbedtls_map.c): verification flags with the chain
 * the verify callback saw and the chain as sent, MBEDTLS_ERR_* codes and received
 * alerts against the shared outcomes, issuers mbedTLS passes over, anchor files it
 * refuses, version names, and the texts a person reads. Unknown codes and names must
 * fall back, never invent. */
#include "backends/mbedtls_map.h"
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

/* Fixed certificates (one P-256 key, 2025-2125): only names and basicConstraints
 * matter to the issuer checks. Made with Python's cryptography package. CRIT_EXT is
 * a self-signed CA with a critical extension of an unregistered OID. */
static const char ROOT[] = "-----BEGIN CERTIFICATE-----\n"
                           "MIIBNDCB26ADAgECAhROXZtu4UXiBS1pjDdxZuRLcbe8uDAKBggqhkjOPQQDAjAP\n"
                           "MQ0wCwYDVQQDDARyb290MCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAxMDAwMDAw\n"
                           "WjAPMQ0wCwYDVQQDDARyb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYLIX\n"
                           "XM4t+Tx07k7hhJ59FU/pUN/WQ6lF5h9U68sqyxvU+xwstNhVMlgssuLOmvt1Nt8E\n"
                           "noEYzJ+bGEqhrCUemaMTMBEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNI\n"
                           "ADBFAiAI7iYTxoPgGgh6QqoTt/hFbiUPlk4kxCiT1fbDvUHbiQIhAJLTJPc2BIYO\n"
                           "LvXZU0GE3w6EzhzI38gG2axtCMQ+DeBV\n"
                           "-----END CERTIFICATE-----\n";
static const char NOT_CA[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBNDCB2qADAgECAhQVy0+ALbZpYoyiquL2nz7fCLVCvzAKBggqhkjOPQQDAjAP\n"
                             "MQ0wCwYDVQQDDARyb290MCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAxMDAwMDAw\n"
                             "WjARMQ8wDQYDVQQDDAZub3QtY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARg\n"
                             "shdczi35PHTuTuGEnn0VT+lQ39ZDqUXmH1TryyrLG9T7HCy02FUyWCyy4s6a+3U2\n"
                             "3wSegRjMn5sYSqGsJR6ZoxAwDjAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0kA\n"
                             "MEYCIQD3+UnP5eB1RVm48kVMhyDftCf+JZEcAWvjNtw6HeBQ9wIhAOaHlVH/UsLS\n"
                             "ormGJFWJePmkE9L3N6VmOCaUY8DoWNRL\n"
                             "-----END CERTIFICATE-----\n";
static const char NO_BC[] = "-----BEGIN CERTIFICATE-----\n"
                            "MIIBIDCBx6ADAgECAhQtZiyBuH/d6/2AJZio75H7p4GIMTAKBggqhkjOPQQDAjAP\n"
                            "MQ0wCwYDVQQDDARyb290MCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAxMDAwMDAw\n"
                            "WjAQMQ4wDAYDVQQDDAVuby1iYzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGCy\n"
                            "F1zOLfk8dO5O4YSefRVP6VDf1kOpReYfVOvLKssb1PscLLTYVTJYLLLizpr7dTbf\n"
                            "BJ6BGMyfmxhKoawlHpkwCgYIKoZIzj0EAwIDSAAwRQIhAIrNxbtkyQzz7qJGcsLx\n"
                            "883ycnGO0EUrHMMK7nsPgkZOAiArlbq92jReVVtPTu8mZFSOeCE4cYGALcyRCR0r\n"
                            "PBT/8Q==\n"
                            "-----END CERTIFICATE-----\n";
static const char LEAF_NOT_CA[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBNTCB26ADAgECAhQytJJQe0+kBB6g2rtFKzWhx4EjKjAKBggqhkjOPQQDAjAR\n"
    "MQ8wDQYDVQQDDAZub3QtY2EwIBcNMjUwMTAxMDAwMDAwWhgPMjEyNTAxMDEwMDAw\n"
    "MDBaMBAxDjAMBgNVBAMMBWxlYWYxMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
    "YLIXXM4t+Tx07k7hhJ59FU/pUN/WQ6lF5h9U68sqyxvU+xwstNhVMlgssuLOmvt1\n"
    "Nt8EnoEYzJ+bGEqhrCUemaMQMA4wDAYDVR0TAQH/BAIwADAKBggqhkjOPQQDAgNJ\n"
    "ADBGAiEAxVpBnZKktizXWJSZIc+yzQs3TlIP5lliTS2+gjl37TICIQCcyA85/5a1\n"
    "8E42IlL8y849a8zX0Rg0wvmltXzF4ivpjg==\n"
    "-----END CERTIFICATE-----\n";
static const char LEAF_NO_BC[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBMzCB2qADAgECAhRNqHdriC+1If3dQzSpxSx/rocXCjAKBggqhkjOPQQDAjAQ\n"
    "MQ4wDAYDVQQDDAVuby1iYzAgFw0yNTAxMDEwMDAwMDBaGA8yMTI1MDEwMTAwMDAw\n"
    "MFowEDEOMAwGA1UEAwwFbGVhZjIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARg\n"
    "shdczi35PHTuTuGEnn0VT+lQ39ZDqUXmH1TryyrLG9T7HCy02FUyWCyy4s6a+3U2\n"
    "3wSegRjMn5sYSqGsJR6ZoxAwDjAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0gA\n"
    "MEUCIA3B5F4pT7GywcvAz0Cjtg1Wvoat31+FtNYYK8bVtWv0AiEAtzNA3/7C314d\n"
    "gc8WFBBTsbwUoDnvNZ2WS2fCBiNBcAw=\n"
    "-----END CERTIFICATE-----\n";
static const char PATHLEN0[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBOzCB4qADAgECAhQvp+rxn24ZpyoC5Hp1eeL5iNoe3DAKBggqhkjOPQQDAjAP\n"
                               "MQ0wCwYDVQQDDARyb290MCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAxMDAwMDAw\n"
                               "WjATMREwDwYDVQQDDAhwYXRobGVuMDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA\n"
                               "BGCyF1zOLfk8dO5O4YSefRVP6VDf1kOpReYfVOvLKssb1PscLLTYVTJYLLLizpr7\n"
                               "dTbfBJ6BGMyfmxhKoawlHpmjFjAUMBIGA1UdEwEB/wQIMAYBAf8CAQAwCgYIKoZI\n"
                               "zj0EAwIDSAAwRQIhAIphUpLlCXAZjg2cbL73BMzVJDx113fUxf3co/thQ3f0AiB0\n"
                               "4FuMBMlt8b4IaOsyFirbfI9wC2rj5Vv12L7V23+7Dg==\n"
                               "-----END CERTIFICATE-----\n";
static const char SUB_CA[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBOjCB4aADAgECAhQa1zIM1sMEV04k5hqA/c03d9a2yDAKBggqhkjOPQQDAjAT\n"
                             "MREwDwYDVQQDDAhwYXRobGVuMDAgFw0yNTAxMDEwMDAwMDBaGA8yMTI1MDEwMTAw\n"
                             "MDAwMFowETEPMA0GA1UEAwwGc3ViLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
                             "QgAEYLIXXM4t+Tx07k7hhJ59FU/pUN/WQ6lF5h9U68sqyxvU+xwstNhVMlgssuLO\n"
                             "mvt1Nt8EnoEYzJ+bGEqhrCUemaMTMBEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjO\n"
                             "PQQDAgNIADBFAiEAmOgzMbt6cPML8Pkm81bWX7uhvZ4PaJSIz3hSsZ2GQjQCIEBJ\n"
                             "hepWintCVPL8yHeSZvrhJwywSn8f/4JohjGQ1Bnd\n"
                             "-----END CERTIFICATE-----\n";
static const char CRIT_EXT[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBNDCB3KADAgECAgEFMAoGCCqGSM49BAMCMA8xDTALBgNVBAMMBGNyaXQwIBcN\n"
                               "MjUwMTAxMDAwMDAwWhgPMjEyNTAxMDEwMDAwMDBaMA8xDTALBgNVBAMMBGNyaXQw\n"
                               "WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARgshdczi35PHTuTuGEnn0VT+lQ39ZD\n"
                               "qUXmH1TryyrLG9T7HCy02FUyWCyy4s6a+3U23wSegRjMn5sYSqGsJR6ZoycwJTAP\n"
                               "BgNVHRMBAf8EBTADAQH/MBIGCSsGAQQBg7IDAQEB/wQCBQAwCgYIKoZIzj0EAwID\n"
                               "RwAwRAIgfhjyd1mbxO3akezspwJt0IEiwONth8eKJDJEBwcCg6UCIGKx9soxcJfX\n"
                               "MPcwFjs5+79uUtiTZXvTtSy3grpMqcSb\n"
                               "-----END CERTIFICATE-----\n";

static void test_flags(void)
{
    /* len built, leaf flags, leaf self-issued, sent, issuer_why */
    static const struct th_mbedtls_chain leaf_only = {1, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0, 2,
                                                      TH_OK};
    static const struct th_mbedtls_chain self = {1, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 1, 1, TH_OK};
    static const struct th_mbedtls_chain bad_sig = {2, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0, 2,
                                                    TH_OK};
    static const struct th_mbedtls_chain top_only = {2, 0, 0, 2, TH_OK};
    static const struct th_mbedtls_chain alone = {1, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0, 1, TH_OK};
    static const struct th_mbedtls_chain not_ca = {1, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0, 2,
                                                   TH_INVALID_CA};
    static const struct th_mbedtls_chain pathlen = {2, 0, 0, 3, TH_PATH_LENGTH};
    static const struct th_mbedtls_chain sig_and_why = {2, MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0, 2,
                                                        TH_INVALID_CA};
    static const struct {
        uint32_t flags;
        const struct th_mbedtls_chain *chain;
        enum th_outcome want;
        const char *what;
    } cases[] = {
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &leaf_only, TH_UNKNOWN_CA,
         "a lone leaf built, more sent, untrusted"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &self, TH_SELF_SIGNED, "a lone self-issued leaf"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &bad_sig, TH_BAD_SIGNATURE, "a leaf with a parent"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &top_only, TH_UNKNOWN_CA, "the top flagged"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &alone, TH_INCOMPLETE_CHAIN,
         "a leaf sent alone, its issuer unknown"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &not_ca, TH_INVALID_CA, "the issuer passed over: no CA"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &pathlen, TH_PATH_LENGTH,
         "the issuer passed over: path length"},
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, &sig_and_why, TH_BAD_SIGNATURE,
         "a bad signature before an issuer's reason"},
        {MBEDTLS_X509_BADCERT_EXPIRED, &alone, TH_EXPIRED, "expired: the chain is not asked"},
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
        {1u << 30, &pathlen, TH_HANDSHAKE_FAILURE, "an unknown flag, whatever the chain"},
        {0, &top_only, TH_HANDSHAKE_FAILURE, "no flag"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_mbedtls_flags_outcome(cases[i].flags, cases[i].chain)),
               th_outcome_name(cases[i].want), "flags: %s", cases[i].what);
}

/* A list of certificates parsed from the PEM texts given, NULL-terminated. */
static void parse_list(mbedtls_x509_crt *list, ...)
{
    va_list ap;
    va_start(ap, list);
    mbedtls_x509_crt_init(list);
    for (const char *pem; (pem = va_arg(ap, const char *)) != NULL;)
        if (mbedtls_x509_crt_parse(list, (const unsigned char *)pem, strlen(pem) + 1) != 0)
            ok(0, "a fixed certificate parses");
    va_end(ap);
}

static void test_issuer_refused(void)
{
    mbedtls_x509_crt not_ca_sent, no_bc_sent, path_sent, leaf_alone, anchors, not_ca_anchor, none;
    parse_list(&not_ca_sent, LEAF_NOT_CA, NOT_CA, NULL);
    parse_list(&no_bc_sent, LEAF_NO_BC, NO_BC, NULL);
    parse_list(&path_sent, SUB_CA, PATHLEN0, NULL); /* the leaf left out: not looked at */
    parse_list(&leaf_alone, LEAF_NOT_CA, NULL);
    parse_list(&anchors, ROOT, NULL);
    parse_list(&not_ca_anchor, NOT_CA, NULL);
    mbedtls_x509_crt_init(&none);
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&not_ca_sent, 1, &not_ca_sent, &anchors)),
           "invalid_ca", "issuer sent, CA:FALSE");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&no_bc_sent, 1, &no_bc_sent, &anchors)),
           "invalid_ca", "issuer sent, no basicConstraints");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&leaf_alone, 1, &leaf_alone, &not_ca_anchor)),
           "invalid_ca", "issuer among the anchors, CA:FALSE");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&path_sent, 2, &path_sent, &anchors)),
           "path_length", "sub-CA under pathlen:0 with a leaf below");
    /* negative: nothing passed over */
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&path_sent, 1, &path_sent, &anchors)), "ok",
           "pathlen:0 directly above the certificate checked: allowed");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&leaf_alone, 1, &leaf_alone, &anchors)), "ok",
           "the issuer nowhere: no reason");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&anchors, 1, &leaf_alone, &anchors)), "ok",
           "a self-issued top is not its own issuer");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(&path_sent, 2, &none, &none)), "ok",
           "empty lists");
    is_str(th_outcome_name(th_mbedtls_issuer_refused(NULL, 1, &path_sent, &anchors)), "ok",
           "no top");
    mbedtls_x509_crt *all[] = {&not_ca_sent, &no_bc_sent,    &path_sent, &leaf_alone,
                               &anchors,     &not_ca_anchor, &none};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        mbedtls_x509_crt_free(all[i]);
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
        /* X.509 parse errors of a certificate the peer sent */
        {MBEDTLS_ERR_X509_INVALID_EXTENSIONS + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG, -1,
         TH_UNKNOWN_CRITICAL_EXTENSION}, /* -0x2562 */
        {MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE, -1, TH_UNKNOWN_CRITICAL_EXTENSION},
        {MBEDTLS_ERR_X509_INVALID_EXTENSIONS, -1, TH_BAD_CERTIFICATE}, /* duplicate */
        {MBEDTLS_ERR_X509_INVALID_EXTENSIONS + MBEDTLS_ERR_ASN1_INVALID_LENGTH, -1,
         TH_BAD_CERTIFICATE},
        {MBEDTLS_ERR_X509_INVALID_FORMAT + MBEDTLS_ERR_ASN1_OUT_OF_DATA, -1, TH_BAD_CERTIFICATE},
        {MBEDTLS_ERR_X509_INVALID_DATE, -1, TH_BAD_CERTIFICATE},
        {MBEDTLS_ERR_X509_UNKNOWN_VERSION, -1, TH_BAD_CERTIFICATE},
        {MBEDTLS_ERR_X509_SIG_MISMATCH, -1, TH_BAD_CERTIFICATE},
        {MBEDTLS_ERR_X509_ALLOC_FAILED, -1, TH_INTERNAL_ERROR},
        /* negative: codes with no outcome of their own */
        {MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG + MBEDTLS_ERR_OID_NOT_FOUND, -1,
         TH_HANDSHAKE_FAILURE}, /* an algorithm it lacks is not malformed */
        {MBEDTLS_ERR_PK_UNKNOWN_PK_ALG, -1, TH_HANDSHAKE_FAILURE},       /* an Ed25519 or DSA key */
        {MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, -1, TH_HANDSHAKE_FAILURE}, /* the flags say */
        {MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG, -1,
         TH_HANDSHAKE_FAILURE},
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

/* ---- anchor and CRL files ---- */

static char dir[64];

static const char *write_file(const char *name, const char *a, const char *b)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(a, f) < 0 || (b && fputs(b, f) < 0) || fclose(f) != 0)
        ok(0, "write %s", path);
    return path;
}

static void expect_anchor(const char *path, int crl, enum th_outcome want, long code,
                          const char *text, const char *what)
{
    struct th_error e = {0};
    int ret;
    if (crl) {
        mbedtls_x509_crl c;
        mbedtls_x509_crl_init(&c);
        ret = mbedtls_x509_crl_parse_file(&c, path);
        mbedtls_x509_crl_free(&c);
    } else {
        mbedtls_x509_crt c;
        mbedtls_x509_crt_init(&c);
        ret = mbedtls_x509_crt_parse_file(&c, path);
        mbedtls_x509_crt_free(&c);
    }
    if (!ok(ret != 0, "%s: mbedTLS refuses the file (%d)", what, ret))
        return;
    th_mbedtls_anchor_error(&e, ret, path, crl);
    is_str(th_outcome_name(e.outcome), th_outcome_name(want), "%s: outcome", what);
    if (code)
        is_int(e.code, code, "%s: the refused object's own code", what);
    else
        ok(e.code != 0, "%s: a native code (%ld)", what, e.code);
    ok(strstr(e.text, text) != NULL, "%s: '%s' names '%s'", what, e.text, text);
    ok(e.file == NULL && !e.input, "%s: the library's word, no harness place", what);
}

static void test_anchors(void)
{
    const int crit = MBEDTLS_ERR_X509_INVALID_EXTENSIONS + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG;
    snprintf(dir, sizeof(dir), "/tmp/th-mbedtls-map-XXXXXX");
    if (!ok(mkdtemp(dir) != NULL, "temp folder"))
        return;
    /* mbedtls_x509_crt_parse_file says only "1 failed" here: the code is found again */
    expect_anchor(write_file("two.pem", ROOT, CRIT_EXT), 0, TH_ANCHOR_UNUSABLE, crit,
                  "certificate 2 of 2 refused: X509 - The extension tag or value is invalid",
                  "a good root, then one with an unknown critical extension");
    expect_anchor(write_file("one.pem", CRIT_EXT, NULL), 0, TH_ANCHOR_UNUSABLE, crit,
                  "certificate 1 of 1 refused", "a root with an unknown critical extension");
    expect_anchor(
        write_file("crl.pem", "-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n", NULL),
        1, TH_ANCHOR_UNUSABLE, 0, "CRL 1 of 1 refused", "a CRL that is not one");
    /* negative: no verdict on the library where the file itself is the problem */
    expect_anchor(write_file("none.pem", "no PEM here\n", NULL), 0, TH_INTERNAL_ERROR, 0,
                  "none.pem", "a file with no certificate");
    expect_anchor(write_file("certs.pem", ROOT, NULL), 1, TH_INTERNAL_ERROR, 0, "certs.pem",
                  "certificates where CRLs were asked for");
    expect_anchor("/nonexistent/ca.pem", 0, TH_INTERNAL_ERROR, MBEDTLS_ERR_PK_FILE_IO_ERROR,
                  "/nonexistent/ca.pem", "a missing file");
    const char *names[] = {"two.pem", "one.pem", "crl.pem", "none.pem", "certs.pem"};
    char path[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    th_mbedtls_init();
    test_flags();
    test_issuer_refused();
    test_anchors();
    test_codes();
    test_names_texts();
    return done_testing();
}
