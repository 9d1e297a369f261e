/* OCSP stapling (issue 12 item 6) on the OpenSSL backend, in real handshakes over
 * the in-memory pair, TLS 1.2 and 1.3: an OpenSSL server stapling each of the test
 * PKI's responses unchanged, and an OpenSSL client asking for (request) or
 * requiring (require) a staple, with the outcome and staple status it reports, the
 * native code and text beside them, and the staple seen after a failed handshake
 * too. OpenSSL has no must-staple check: a must-staple leaf without a staple is
 * accepted on request (the library's behaviour, reported as it is). */
#include "pairdrive.h"

#include <unistd.h>

#include <openssl/err.h>

#include "backends/openssl_map.h"
#include "backends/openssl_ocsp.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_openssl;

static char ocsp_file[512];

static const char *vname(unsigned versions)
{
    return versions == V13 ? "TLS 1.3" : "TLS 1.2";
}

static const char *staple_name(enum th_staple s)
{
    static const char *const n[] = {"not_asked", "none", "good", "revoked", "unknown", "invalid"};
    return (unsigned)s < TH_ARRAY_LEN(n) ? n[s] : "?";
}

/* A run whose server serves `leaf` stapling the PKI's response `resp` (NULL: none)
 * to a client in `mode`. */
static void init_ocsp(struct run *r, const char *leaf, const char *resp, enum th_ocsp_mode mode,
                      unsigned v)
{
    char f[128];
    run_init2(r, leaf, B, B);
    r->ccfg.versions = r->scfg.versions = v;
    r->ccfg.ocsp = mode;
    if (resp) {
        snprintf(f, sizeof(f), "%s.der", resp);
        pki_path(ocsp_file, sizeof(ocsp_file), f);
        r->scfg.ocsp_file = ocsp_file;
    }
}

static void expect_ok(const char *leaf, const char *resp, enum th_ocsp_mode mode, unsigned v,
                      enum th_staple want, const char *what)
{
    struct run r;
    char w[160];
    snprintf(w, sizeof(w), "%s: %s, %s stapling %s", vname(v), what, leaf, resp ? resp : "none");
    init_ocsp(&r, leaf, resp, mode, v);
    if (handshake(&r) == 0 && check_ok(&r, w)) {
        is_str(staple_name(r.cneg.ocsp), staple_name(want), "%s: client saw the staple", w);
        is_str(staple_name(r.sneg.ocsp), "not_asked", "%s: a server reports no staple", w);
        struct th_error e = {0};
        ok(transfer(&r, 1, "hello", &e) == 0, "%s: data flows", w);
    }
    run_free(&r);
}

/* The client refuses: its outcome and native text (with needle), the staple it
 * saw kept after the failed handshake, and the server told by an alert. */
static void expect_refused(const char *leaf, const char *resp, enum th_ocsp_mode mode, unsigned v,
                           enum th_outcome want, enum th_staple seen, const char *needle)
{
    struct run r;
    char w[160];
    snprintf(w, sizeof(w), "%s: %s stapling %s, client %s", vname(v), leaf, resp ? resp : "none",
             mode == TH_OCSP_REQUIRE ? "requires" : "requests");
    init_ocsp(&r, leaf, resp, mode, v);
    if (handshake(&r) == 0) {
        check_failed(&r.cerr, r.cst, want, w);
        ok(strstr(r.cerr.text, needle) != NULL, "%s: text names '%s'", w, needle);
        ok(strstr(r.cerr.text, "bad_certificate_status_response") != NULL,
           "%s: text names the alert sent", w);
        is_str(staple_name(r.cneg.ocsp), staple_name(seen), "%s: staple seen after the failure", w);
        ok(r.sst == TH_STEP_FAILED, "%s: the server fails too (%s: %s)", w,
           th_outcome_name(r.serr.outcome), r.serr.text);
        ok(ERR_peek_error() == 0, "%s: OpenSSL's error queue left empty", w);
    }
    run_free(&r);
}

static void test_good(unsigned v)
{
    expect_ok("rsa2048", "ocsp-good", TH_OCSP_REQUEST, v, TH_STAPLE_GOOD, "request");
    expect_ok("rsa2048", "ocsp-good", TH_OCSP_REQUIRE, v, TH_STAPLE_GOOD, "require");
    expect_ok("rsa2048", "ocsp-delegated", TH_OCSP_REQUIRE, v, TH_STAPLE_GOOD,
              "require, delegated responder");
    expect_ok("must-staple", "ocsp-must-staple", TH_OCSP_REQUIRE, v, TH_STAPLE_GOOD,
              "require, must-staple leaf");
    /* a client that does not ask gets no staple and reports none asked */
    expect_ok("rsa2048", "ocsp-good", TH_OCSP_OFF, v, TH_STAPLE_NOT_ASKED, "off");
    /* request tolerates a server without one */
    expect_ok("rsa2048", NULL, TH_OCSP_REQUEST, v, TH_STAPLE_NONE, "request");
    /* OpenSSL does not enforce RFC 7633: the deviation the scenarios declare */
    expect_ok("must-staple", NULL, TH_OCSP_REQUEST, v, TH_STAPLE_NONE,
              "request, must-staple leaf (OpenSSL has no must-staple check)");
}

static void test_refused(unsigned v)
{
    expect_refused("rsa2048", NULL, TH_OCSP_REQUIRE, v, TH_OCSP_MISSING, TH_STAPLE_NONE,
                   "no OCSP staple");
    expect_refused("must-staple", NULL, TH_OCSP_REQUIRE, v, TH_OCSP_MISSING, TH_STAPLE_NONE,
                   "no OCSP staple");
    expect_refused("revoked", "ocsp-revoked", TH_OCSP_REQUEST, v, TH_REVOKED, TH_STAPLE_REVOKED,
                   "cert status revoked, reason keyCompromise");
    expect_refused("rsa2048", "ocsp-expired", TH_OCSP_REQUEST, v, TH_OCSP_INVALID,
                   TH_STAPLE_INVALID, "status expired");
    expect_refused("rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUIRE, v, TH_OCSP_INVALID,
                   TH_STAPLE_INVALID, "OCSP_basic_verify");
    expect_refused("rsa2048", "ocsp-other-cert", TH_OCSP_REQUEST, v, TH_OCSP_INVALID,
                   TH_STAPLE_INVALID, "another certificate");
}

/* With a CRL the store checks revocation on every chain it verifies, the
 * responder's included: the PKI's CRLs cover root and intermediate, so a good
 * staple stays good, and a delegated responder's chain passes the CRL check too. */
static void test_with_crl(void)
{
    static const char *const resp[] = {"ocsp-good", "ocsp-delegated"};
    for (size_t i = 0; i < TH_ARRAY_LEN(resp); i++) {
        struct run r;
        char w[96];
        snprintf(w, sizeof(w), "%s with a CRL", resp[i]);
        init_ocsp(&r, "rsa2048", resp[i], TH_OCSP_REQUIRE, V13);
        r.ccfg.crl_file = r.crl;
        if (handshake(&r) == 0 && check_ok(&r, w))
            is_str(staple_name(r.cneg.ocsp), "good", "%s: good", w);
        run_free(&r);
    }
}

/* verify 0 accepts anything and still reports what came. */
static void test_verify_off(void)
{
    struct run r;
    init_ocsp(&r, "revoked", "ocsp-revoked", TH_OCSP_REQUIRE, V13);
    r.ccfg.verify = 0;
    if (handshake(&r) == 0 && check_ok(&r, "verify 0, revoked staple"))
        is_str(staple_name(r.cneg.ocsp), "revoked", "verify 0: the revoked staple is reported");
    run_free(&r);
}

/* A resumed TLS 1.2 session has no Certificate and so no staple: asked, none came,
 * and no failure even under require (the first connection's staple was checked). */
static void test_resume(void)
{
    struct run r;
    init_ocsp(&r, "rsa2048", "ocsp-good", TH_OCSP_REQUIRE, V12);
    r.ccfg.resume = TH_RESUME_SESSION_ID;
    struct th_error e = {0};
    if (handshake(&r) == 0 && check_ok(&r, "TLS 1.2 require, first connection") &&
        ok(transfer(&r, 1, "x", &e) == 0, "first connection reads")) {
        struct th_session *sess = r.cb->session_get(r.c);
        disconnect(&r);
        if (ok(sess != NULL, "a session to resume") && connect_pair(&r, sess) == 0) {
            ok(r.cst == TH_STEP_DONE && r.cneg.resumed, "resumed (%s)", r.cerr.text);
            is_str(staple_name(r.cneg.ocsp), "none", "resumed: asked, no staple");
        }
        r.cb->session_free(sess);
    }
    run_free(&r);
}

static void test_config(void)
{
    struct run r;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    init_ocsp(&r, "rsa2048", "no-such-response", TH_OCSP_OFF, V13);
    ok(B->ctx_new(&r.scfg, &ctx, &e) != 0 && e.outcome == TH_INTERNAL_ERROR,
       "a missing OCSP file: internal_error");
    ok(strstr(e.text, "no-such-response.der") != NULL, "names the file: '%s'", e.text);
    run_free(&r);
    B->ctx_free(ctx);
    /* the library is given the bytes as they are: a file that is no OCSP response is
     * stapled too, and the client names the parse failure */
    expect_refused("rsa2048", "rsa2048.key", TH_OCSP_REQUEST, V13, TH_OCSP_INVALID,
                   TH_STAPLE_INVALID, "d2i_OCSP_RESPONSE");
}

static void test_caps(void)
{
    struct th_caps c;
    B->caps(&c);
    unsigned all = TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE | TH_CAP_OCSP_STAPLE;
    ok((c.features & all) == all, "caps: request, require and staple");
    ok(th_ossl_reason_outcome(SSL_R_INVALID_STATUS_RESPONSE) == TH_OCSP_INVALID,
       "map: a refused status response alone is ocsp_invalid");
}

int main(void)
{
    if (pd_begin("openssl-ocsp") != 0)
        return pd_end();
    /* "rsa2048.key" above: a PEM file under a .der name, made here */
    char src[512], dst[512];
    pki_path(src, sizeof(src), "rsa2048.key.pem");
    pki_path(dst, sizeof(dst), "rsa2048.key.der");
    ok(link(src, dst) == 0, "a non-OCSP file to staple");
    test_caps();
    test_config();
    test_good(V13);
    test_good(V12);
    test_refused(V13);
    test_refused(V12);
    test_with_crl();
    test_verify_off();
    test_resume();
    return pd_end();
}
