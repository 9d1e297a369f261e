/* OCSP stapling (issue 12 item 6) on the libcurl client backends, both flavours,
 * against an OpenSSL server of the test's own over TCP (curl_tsrv.h) stapling each
 * of the test PKI's responses. curl has one switch, CURLOPT_SSL_VERIFYSTATUS: it is
 * client.ocsp require, and a refusal of curl's own is CURLE_SSL_INVALIDCERTSTATUS
 * (91), told apart by its text: ocsp_missing, revoked, ocsp_invalid. Underneath,
 * the flavours differ: curl-openssl asks for no staple without it (request is
 * refused as something it cannot do), while curl-gnutls's GnuTLS asks in every
 * ClientHello and judges a staple in its chain check (60 with status bits), so for
 * it off is request and a must-staple leaf needs its staple in every mode. */
#include "curlcheck.h"

#include <curl/curl.h>

#include <signal.h>

#include "curl_tsrv.h"

static const char *staple_name(enum th_staple s)
{
    static const char *const n[] = {"not_asked", "none", "good", "revoked", "unknown", "invalid"};
    return (unsigned)s < TH_ARRAY_LEN(n) ? n[s] : "?";
}

struct want {
    enum th_outcome outcome; /* TH_OK: the fetch succeeds */
    enum th_staple seen;
    long code; /* the CURLcode of a refusal; 0: any */
};

/* Each flavour fetches, with mode, from a server of `leaf` stapling `resp` (NULL:
 * none); want[f] per flavour. */
static void expect_staple(const char *leaf, const char *resp, enum th_ocsp_mode mode,
                          const struct want want[2])
{
    struct tsrv s;
    char file[512];
    tsrv_init(&s, leaf);
    if (resp) {
        snprintf(file, sizeof(file), "%s/%s.der", pkidir, resp);
        s.cfg.ocsp_file = file;
    }
    if (tsrv_start(&s) != 0)
        return;
    for (size_t f = 0; f < N_FLAVOURS; f++) {
        const struct th_backend *b = flavours[f];
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        char what[128];
        cfg.ocsp = mode;
        static const char *const mode_name[] = {"off", "request", "require"};
        snprintf(what, sizeof(what), "%s %s stapling %s", mode_name[mode], leaf,
                 resp ? resp : "none");
        int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
        if (want[f].outcome == TH_OK)
            fetch_ok(b, &r, rc, what);
        else
            fetch_fails(b, &r, rc, want[f].outcome, what);
        if (want[f].code)
            ok(r.err.code == want[f].code, "%s %s: CURLcode %ld", b->name, what, r.err.code);
        is_str(staple_name(r.neg.ocsp), staple_name(want[f].seen), "%s %s: staple seen", b->name,
               what);
        result_free(&r);
    }
    tsrv_stop(&s);
}

#define BOTH(o, s, c)                                                                              \
    (const struct want[2])                                                                         \
    {                                                                                              \
        {o, s, c},                                                                                 \
        {                                                                                          \
            o, s, c                                                                                \
        }                                                                                          \
    }

/* A refusal that curl-openssl makes itself after the handshake (91) and
 * curl-gnutls's GnuTLS makes inside the chain check (60, with status bits). */
#define SPLIT(o, s)                                                                                \
    (const struct want[2])                                                                         \
    {                                                                                              \
        {o, s, CURLE_SSL_INVALIDCERTSTATUS},                                                       \
        {                                                                                          \
            o, s, CURLE_PEER_FAILED_VERIFICATION                                                   \
        }                                                                                          \
    }

/* A must-staple leaf (RFC 7633) without a staple: curl-openssl connects unless it
 * requires one (OpenSSL has no must-staple check); GnuTLS enforces it inside the
 * chain check (GNUTLS_CERT_MISSING_OCSP_STATUS), whatever the mode. */
static void test_must_staple(void)
{
    const long v = CURLE_PEER_FAILED_VERIFICATION;
    expect_staple("must-staple", NULL, TH_OCSP_OFF,
                  (const struct want[2]){{TH_OK, TH_STAPLE_NOT_ASKED, 0},
                                         {TH_OCSP_MISSING, TH_STAPLE_NONE, v}});
    expect_staple("must-staple", NULL, TH_OCSP_REQUEST,
                  (const struct want[2]){{TH_INTERNAL_ERROR, TH_STAPLE_NOT_ASKED, 0},
                                         {TH_OCSP_MISSING, TH_STAPLE_NONE, v}});
    expect_staple(
        "must-staple", "ocsp-must-staple", TH_OCSP_OFF,
        (const struct want[2]){{TH_OK, TH_STAPLE_NOT_ASKED, 0}, {TH_OK, TH_STAPLE_GOOD, 0}});
}

/* require: curl-openssl refuses after the handshake (91, curl's own check),
 * curl-gnutls's GnuTLS inside the chain check (60, with status bits). */
#define SPLIT(o, s)                                                                                \
    (const struct want[2])                                                                         \
    {                                                                                              \
        {o, s, CURLE_SSL_INVALIDCERTSTATUS},                                                       \
        {                                                                                          \
            o, s, CURLE_PEER_FAILED_VERIFICATION                                                   \
        }                                                                                          \
    }

static void test_require(void)
{
    const enum th_ocsp_mode m = TH_OCSP_REQUIRE;
    expect_staple("rsa2048", "ocsp-good", m, BOTH(TH_OK, TH_STAPLE_GOOD, 0));
    expect_staple("rsa2048", "ocsp-delegated", m, BOTH(TH_OK, TH_STAPLE_GOOD, 0));
    expect_staple("must-staple", "ocsp-must-staple", m, BOTH(TH_OK, TH_STAPLE_GOOD, 0));
    /* both flavours: curl's own check, "No OCSP response received" */
    expect_staple("rsa2048", NULL, m,
                  BOTH(TH_OCSP_MISSING, TH_STAPLE_NONE, CURLE_SSL_INVALIDCERTSTATUS));
    expect_staple("revoked", "ocsp-revoked", m, SPLIT(TH_REVOKED, TH_STAPLE_REVOKED));
    expect_staple("rsa2048", "ocsp-expired", m, SPLIT(TH_OCSP_INVALID, TH_STAPLE_INVALID));
    expect_staple("rsa2048", "ocsp-wrong-responder", m, SPLIT(TH_OCSP_INVALID, TH_STAPLE_INVALID));
    expect_staple("rsa2048", "ocsp-other-cert", m, SPLIT(TH_OCSP_INVALID, TH_STAPLE_INVALID));
}

/* off, and request where a flavour has it: curl-openssl asks for nothing, so it
 * sees nothing, and it refuses request before connecting; curl-gnutls asks and
 * judges in both (GnuTLS's default), a missing staple fine. */
static void test_off_request(void)
{
    const long v = CURLE_PEER_FAILED_VERIFICATION;
    for (int m = TH_OCSP_OFF; m <= TH_OCSP_REQUEST; m++) {
        enum th_outcome ossl = m == TH_OCSP_OFF ? TH_OK : TH_INTERNAL_ERROR;
        expect_staple(
            "rsa2048", "ocsp-good", m,
            (const struct want[2]){{ossl, TH_STAPLE_NOT_ASKED, 0}, {TH_OK, TH_STAPLE_GOOD, 0}});
        expect_staple(
            "rsa2048", NULL, m,
            (const struct want[2]){{ossl, TH_STAPLE_NOT_ASKED, 0}, {TH_OK, TH_STAPLE_NONE, 0}});
        expect_staple("revoked", "ocsp-revoked", m,
                      (const struct want[2]){{ossl, TH_STAPLE_NOT_ASKED, 0},
                                             {TH_REVOKED, TH_STAPLE_REVOKED, v}});
        expect_staple("rsa2048", "ocsp-expired", m,
                      (const struct want[2]){{ossl, TH_STAPLE_NOT_ASKED, 0},
                                             {TH_OCSP_INVALID, TH_STAPLE_INVALID, v}});
        expect_staple("rsa2048", "ocsp-other-cert", m,
                      (const struct want[2]){{ossl, TH_STAPLE_NOT_ASKED, 0},
                                             {TH_OCSP_INVALID, TH_STAPLE_INVALID, v}});
    }
}

static void test_caps(uint16_t port)
{
    struct th_caps c;
    struct th_tls_config cfg = client_cfg();
    const unsigned all = TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE | TH_CAP_OCSP_STAPLE;
    th_backend_curl_openssl.caps(&c);
    ok((c.features & all) == TH_CAP_OCSP_REQUIRE, "curl-openssl: caps claim OCSP require only");
    th_backend_curl_gnutls.caps(&c);
    ok((c.features & all) == (TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE),
       "curl-gnutls: caps claim OCSP request and require");
    cfg.ocsp = TH_OCSP_REQUEST;
    fetch_refused(&th_backend_curl_openssl, &cfg, port, "require only", "ocsp request");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("curl-ocsp") != 0 || cc_flavours_ready() != 0)
        return pd_end();
    test_require();
    test_off_request();
    test_must_staple();
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    if (tsrv_start(&s) == 0) {
        test_caps(s.port);
        tsrv_stop(&s);
    }
    return cc_end();
}
