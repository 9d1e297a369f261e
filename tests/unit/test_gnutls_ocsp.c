/* OCSP stapling on the GnuTLS backend: its server stapling each of the test PKI's
 * responses (or refusing to: GnuTLS's own checks when it loads one), its client asking
 * for (request) or insisting on (require) a staple, the outcomes it gives each
 * response (revoked, ocsp_invalid, ocsp_missing, a must-staple leaf without one), and
 * what it reports in struct th_negotiated.ocsp, also after a failed handshake; then
 * the same against the OpenSSL backend where its caps say it staples or asks. Both
 * TLS 1.2 (CertificateStatus message) and 1.3 (a Certificate entry extension). */
#include "pairdrive.h"

#include <gnutls/gnutls.h>

extern const struct th_backend th_backend_gnutls;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const G = &th_backend_gnutls;

static char staple_file[512];

static const char *staple_name(enum th_staple s)
{
    static const char *const names[] = {"not_asked", "none",    "good",
                                        "revoked",   "unknown", "invalid"};
    return (unsigned)s < TH_ARRAY_LEN(names) ? names[s] : "?";
}

static const char *mode_name(enum th_ocsp_mode m)
{
    return m == TH_OCSP_OFF ? "off" : m == TH_OCSP_REQUEST ? "request" : "require";
}

/* One case: the server serves `leaf` stapling `resp` (a PKI response name; NULL:
 * none), the client asks in `mode`, both ends at `versions`. */
struct ocase {
    const char *leaf, *resp;
    enum th_ocsp_mode mode;
    unsigned versions;
    enum th_outcome want;  /* the client's outcome; TH_OK: the handshake completes */
    enum th_staple staple; /* what the client reports */
};

static void ocsp_init(struct run *r, const struct th_backend *cb, const struct th_backend *sb,
                      const struct ocase *k)
{
    char f[128];
    run_init2(r, k->leaf, cb, sb);
    r->ccfg.versions = r->scfg.versions = k->versions;
    r->ccfg.ocsp = k->mode;
    if (k->resp) {
        snprintf(f, sizeof(f), "%s.der", k->resp);
        pki_path(staple_file, sizeof(staple_file), f);
        r->scfg.ocsp_file = staple_file;
    }
}

static void describe(char *out, size_t cap, const struct th_backend *cb,
                     const struct th_backend *sb, const struct ocase *k, const char *extra)
{
    snprintf(out, cap, "%s->%s %s %s, staple %s, client %s%s", cb->name, sb->name,
             k->versions == V13 ? "1.3" : "1.2", k->leaf, k->resp ? k->resp : "none",
             mode_name(k->mode), extra);
}

/* After the client refused the staple, the server has heard of it (an alert). */
static void check_server_heard(struct run *r, const char *what)
{
    ok(r->sst == TH_STEP_FAILED, "%s: the server hears of it (%s: %s)", what,
       th_outcome_name(r->serr.outcome), r->serr.text);
}

static void expect_case(const struct th_backend *cb, const struct th_backend *sb,
                        const struct ocase *k, int verify)
{
    struct run r;
    char what[200];
    describe(what, sizeof(what), cb, sb, k, verify ? "" : ", verify off");
    ocsp_init(&r, cb, sb, k);
    r.ccfg.verify = verify;
    if (handshake(&r) == 0) {
        if (k->want == TH_OK) {
            check_ok(&r, what);
        } else {
            check_failed(&r.cerr, r.cst, k->want, what);
            check_server_heard(&r, what);
        }
        if (cb == G)
            is_str(staple_name(r.cneg.ocsp), staple_name(k->staple), "%s: staple seen", what);
        if (sb == G)
            is_int(r.sneg.ocsp, TH_STAPLE_NOT_ASKED, "%s: the server reports no staple", what);
    }
    run_free(&r);
}

/* The GnuTLS client against the GnuTLS server: every response the server takes. */
static void test_pair(void)
{
    for (int i = 0; i < 2; i++) {
        unsigned v = i ? V12 : V13;
        const struct ocase cases[] = {
            {"rsa2048", "ocsp-good", TH_OCSP_REQUEST, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", "ocsp-good", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", "ocsp-delegated", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", "ocsp-good", TH_OCSP_OFF, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", NULL, TH_OCSP_REQUEST, v, TH_OK, TH_STAPLE_NONE},
            {"rsa2048", NULL, TH_OCSP_REQUIRE, v, TH_OCSP_MISSING, TH_STAPLE_NONE},
            {"rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUEST, v, TH_OCSP_INVALID,
             TH_STAPLE_INVALID},
            {"rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUIRE, v, TH_OCSP_INVALID,
             TH_STAPLE_INVALID},
            /* RFC 7633: GnuTLS's own check wants a staple for this leaf */
            {"must-staple", NULL, TH_OCSP_REQUEST, v, TH_OCSP_MISSING, TH_STAPLE_NONE},
            {"must-staple", "ocsp-must-staple", TH_OCSP_REQUEST, v, TH_OK, TH_STAPLE_GOOD},
            {"must-staple", "ocsp-must-staple", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
            {"must-staple", "ocsp-must-staple", TH_OCSP_OFF, v, TH_OK, TH_STAPLE_GOOD},
            {"must-staple", NULL, TH_OCSP_OFF, v, TH_OCSP_MISSING, TH_STAPLE_NONE},
        };
        for (size_t j = 0; j < TH_ARRAY_LEN(cases); j++)
            expect_case(G, G, &cases[j], 1);
    }
}

/* GnuTLS checks a response when it loads one, before any client asks: one for another
 * certificate, a stale one, and - GnuTLS's own rule - a revoked one (it counts a
 * revoked status as already expired) are refused with its code. */
static void expect_refused(const char *leaf, const char *resp, int code)
{
    struct run r;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    char what[160];
    const struct ocase k = {leaf, resp, TH_OCSP_REQUEST, V13, TH_OK, TH_STAPLE_NONE};
    ocsp_init(&r, G, G, &k);
    snprintf(what, sizeof(what), "gnutls server %s stapling %s", leaf, resp);
    ok(G->ctx_new(&r.scfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    is_str(th_outcome_name(e.outcome), th_outcome_name(TH_OCSP_INVALID), "%s: outcome", what);
    is_int(e.code, code, "%s: GnuTLS's code (%s)", what, e.text);
    if (ctx)
        G->ctx_free(ctx);
    run_free(&r);
}

static void test_server_refuses(void)
{
    expect_refused("rsa2048", "ocsp-other-cert", GNUTLS_E_OCSP_MISMATCH_WITH_CERTS);
    expect_refused("rsa2048", "ocsp-expired", GNUTLS_E_EXPIRED);
    expect_refused("revoked", "ocsp-revoked", GNUTLS_E_EXPIRED);
    /* a staple for the right leaf, served with another: the same check */
    expect_refused("ecdsa-p256", "ocsp-good", GNUTLS_E_OCSP_MISMATCH_WITH_CERTS);
}

static void test_bad_files(void)
{
    struct run r;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    run_init2(&r, "rsa2048", G, G);
    r.scfg.ocsp_file = "/nonexistent/ocsp.der";
    ok(G->ctx_new(&r.scfg, &ctx, &e) != 0, "a response file that is not there: refused");
    is_str(th_outcome_name(e.outcome), th_outcome_name(TH_INTERNAL_ERROR),
           "a response file that is not there: internal_error (%s)", e.text);
    r.scfg.ocsp_file = r.chain; /* PEM, not a DER response */
    ok(G->ctx_new(&r.scfg, &ctx, &e) != 0, "a file that is no response: refused");
    is_str(th_outcome_name(e.outcome), th_outcome_name(TH_OCSP_INVALID),
           "a file that is no response: ocsp_invalid (%s)", e.text);
    if (ctx)
        G->ctx_free(ctx);
    run_free(&r);
}

/* A client that checks no chain (verify 0): GnuTLS checks no staple either, so what
 * it reports and require's verdict are our own reading of the staple. */
static void test_verify_off(void)
{
    const struct ocase cases[] = {
        {"rsa2048", "ocsp-good", TH_OCSP_REQUIRE, V13, TH_OK, TH_STAPLE_GOOD},
        {"rsa2048", "ocsp-delegated", TH_OCSP_REQUIRE, V12, TH_OK, TH_STAPLE_GOOD},
        {"rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUEST, V13, TH_OK, TH_STAPLE_INVALID},
        {"rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUIRE, V13, TH_OCSP_INVALID,
         TH_STAPLE_INVALID},
        {"rsa2048", NULL, TH_OCSP_REQUIRE, V12, TH_OCSP_MISSING, TH_STAPLE_NONE},
        {"rsa2048", NULL, TH_OCSP_REQUEST, V12, TH_OK, TH_STAPLE_NONE},
    };
    for (size_t j = 0; j < TH_ARRAY_LEN(cases); j++)
        expect_case(G, G, &cases[j], 0);
}

#ifdef TH_HAVE_OPENSSL
/* The GnuTLS client against the OpenSSL server, which staples what GnuTLS's will not
 * (revoked, stale, for another certificate), and the OpenSSL client against the
 * GnuTLS server; each where the other's caps say it can. */
static void test_cross(void)
{
    const struct th_backend *O = &th_backend_openssl;
    struct th_caps caps;
    O->caps(&caps);
    for (int i = 0; i < 2; i++) {
        unsigned v = i ? V12 : V13;
        const struct ocase to_openssl[] = {
            {"rsa2048", "ocsp-good", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", "ocsp-delegated", TH_OCSP_REQUEST, v, TH_OK, TH_STAPLE_GOOD},
            {"revoked", "ocsp-revoked", TH_OCSP_REQUEST, v, TH_REVOKED, TH_STAPLE_REVOKED},
            {"rsa2048", "ocsp-expired", TH_OCSP_REQUEST, v, TH_OCSP_INVALID, TH_STAPLE_INVALID},
            {"rsa2048", "ocsp-other-cert", TH_OCSP_REQUEST, v, TH_OCSP_INVALID, TH_STAPLE_INVALID},
            {"rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUIRE, v, TH_OCSP_INVALID,
             TH_STAPLE_INVALID},
            {"must-staple", NULL, TH_OCSP_REQUEST, v, TH_OCSP_MISSING, TH_STAPLE_NONE},
            {"rsa2048", NULL, TH_OCSP_REQUIRE, v, TH_OCSP_MISSING, TH_STAPLE_NONE},
        };
        const struct ocase from_openssl[] = {
            {"rsa2048", "ocsp-good", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", "ocsp-delegated", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
            {"rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUEST, v, TH_OCSP_INVALID,
             TH_STAPLE_INVALID},
            {"rsa2048", NULL, TH_OCSP_REQUIRE, v, TH_OCSP_MISSING, TH_STAPLE_NONE},
            {"must-staple", "ocsp-must-staple", TH_OCSP_REQUIRE, v, TH_OK, TH_STAPLE_GOOD},
        };
        if (!(caps.features & TH_CAP_OCSP_STAPLE))
            skip(1, "the OpenSSL server stapling (no TH_CAP_OCSP_STAPLE)");
        else
            for (size_t j = 0; j < TH_ARRAY_LEN(to_openssl); j++)
                expect_case(G, O, &to_openssl[j], 1);
        if ((caps.features & (TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE)) !=
            (TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE))
            skip(1, "the OpenSSL client asking for a staple (no TH_CAP_OCSP_REQUEST/REQUIRE)");
        else
            for (size_t j = 0; j < TH_ARRAY_LEN(from_openssl); j++)
                expect_case(O, G, &from_openssl[j], 1);
    }
}
#endif

int main(void)
{
    struct th_caps caps;
    if (pd_begin("gnutls-ocsp") != 0 || G->init() != 0)
        return pd_end();
    G->caps(&caps);
    unsigned all = TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE | TH_CAP_OCSP_STAPLE;
    is_int(caps.features & all, all, "caps: request, require and staple");
    test_pair();
    test_server_refuses();
    test_bad_files();
    test_verify_off();
#ifdef TH_HAVE_OPENSSL
    if (th_backend_openssl.init == NULL || th_backend_openssl.init() == 0)
        test_cross();
#endif
    G->cleanup();
    return pd_end();
}
