/* Client certificates (mTLS, issue 12 item 5) on the OpenSSL backend, in real
 * handshakes over the in-memory pair: an OpenSSL server that requests or requires a
 * client certificate and judges it with the same outcome names a client uses for a
 * server's (expired, unknown_ca, bad_eku, self_signed), certificate_required when a
 * required one is missing, and what each end reports (cert_requested, client_cert).
 * The OpenSSL client presents the PKI's client leaves; a GnuTLS client without a
 * certificate, and a GnuTLS or mbedTLS server where it can ask for one, stand for
 * the other libraries. */
#include "pairdrive.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "backends/openssl_map.h"

extern const struct th_backend th_backend_openssl, th_backend_gnutls, th_backend_mbedtls;
static const struct th_backend *const B = &th_backend_openssl;

static char cchain[512], ckey[512];

/* A run whose server (sb) asks for a client certificate (mode) trusting root.pem,
 * and whose client (cb) presents the PKI's `client_leaf` (NULL: none). */
static void init_cauth(struct run *r, const struct th_backend *cb, const struct th_backend *sb,
                       enum th_client_auth mode, const char *client_leaf, unsigned versions)
{
    char f[128];
    run_init2(r, "rsa2048", cb, sb);
    r->ccfg.versions = r->scfg.versions = versions;
    r->scfg.client_auth = mode;
    r->scfg.client_ca_file = r->ca;
    if (client_leaf) {
        snprintf(f, sizeof(f), "%s.chain.pem", client_leaf);
        pki_path(cchain, sizeof(cchain), f);
        snprintf(f, sizeof(f), "%s.key.pem", client_leaf);
        pki_path(ckey, sizeof(ckey), f);
        r->ccfg.cert_file = cchain;
        r->ccfg.key_file = ckey;
    }
}

/* The client reads after its handshake: in TLS 1.3 a server's refusal of the
 * client's certificate arrives only then, as an alert. */
static enum th_step client_read(struct run *r)
{
    char buf[64];
    size_t got = 0;
    enum th_step st = TH_STEP_WANT_READ;
    for (int i = 0; i < 8 && st == TH_STEP_WANT_READ; i++)
        st = r->cb->read(r->c, buf, sizeof(buf), &got, &r->cerr);
    return st;
}

static const char *vname(unsigned versions)
{
    return versions == V13 ? "TLS 1.3" : "TLS 1.2";
}

/* ---- accepted ---- */

static void test_good(unsigned v)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s: require, good client leaf", vname(v));
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUIRE, "client", v);
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        ok(r.cneg.cert_requested && r.cneg.client_cert, "%s: client saw the request, sent one",
           what);
        ok(r.sneg.client_cert, "%s: server got and verified one", what);
        struct th_error e = {0};
        ok(transfer(&r, 1, "hello", &e) == 0 && transfer(&r, 0, "back", &e) == 0,
           "%s: data flows both ways", what);
    }
    run_free(&r);
}

/* request: a client without a certificate still connects; none: nothing is asked
 * even of a client that has one. */
static void test_optional(unsigned v)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s: request, client has none", vname(v));
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUEST, NULL, v);
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        ok(r.cneg.cert_requested, "%s: client saw the request", what);
        ok(!r.cneg.client_cert && !r.sneg.client_cert, "%s: none sent, none arrived", what);
    }
    run_free(&r);
    snprintf(what, sizeof(what), "%s: request, good client leaf", vname(v));
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUEST, "client", v);
    if (handshake(&r) == 0 && check_ok(&r, what))
        ok(r.cneg.client_cert && r.sneg.client_cert, "%s: sent and verified", what);
    run_free(&r);
    snprintf(what, sizeof(what), "%s: none, client has a leaf", vname(v));
    init_cauth(&r, B, B, TH_CLIENT_AUTH_NONE, "client", v);
    if (handshake(&r) == 0 && check_ok(&r, what))
        ok(!r.cneg.cert_requested && !r.cneg.client_cert && !r.sneg.client_cert,
           "%s: not asked, not sent, none arrived", what);
    run_free(&r);
}

/* A resumed session keeps its client certificate: a server with client auth needs a
 * session id context, or OpenSSL refuses to resume (tickets included). */
static void test_resume(unsigned v)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s: require, resumed", vname(v));
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUIRE, "client", v);
    r.ccfg.resume = TH_RESUME_TICKET;
    r.scfg.session_cache = 0; /* tickets only: no id context from the cache set-up */
    struct th_error e = {0};
    if (handshake(&r) == 0 && check_ok(&r, "first connection") &&
        ok(transfer(&r, 1, "ticket", &e) == 0, "%s: first connection reads", what)) {
        struct th_session *sess = r.cb->session_get(r.c);
        disconnect(&r);
        if (ok(sess != NULL, "%s: a session to resume", what) && connect_pair(&r, sess) == 0 &&
            check_ok(&r, what)) {
            ok(r.cneg.resumed && r.sneg.resumed, "%s: both ends resumed", what);
            ok(r.sneg.client_cert, "%s: server still has the verified client certificate", what);
        }
        r.cb->session_free(sess);
    }
    run_free(&r);
}

/* ---- refused by the server ---- */

/* The server refuses the client's certificate with `want` and X509 code `code`; in
 * TLS 1.2 the client fails its handshake on the alert, in TLS 1.3 its first read
 * does (`cwant` either way). */
static void expect_refused(const struct th_backend *cb, const char *leaf, unsigned v,
                           enum th_client_auth mode, enum th_outcome want, long code,
                           enum th_outcome cwant)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s: %s, client leaf %s", vname(v),
             mode == TH_CLIENT_AUTH_REQUIRE ? "require" : "request", leaf ? leaf : "(none)");
    init_cauth(&r, cb, B, mode, leaf, v);
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, want, what);
        if (code)
            is_int(r.serr.code, code, "%s: X509 verify error %ld", what, code);
        ok(!r.sneg.client_cert, "%s: server reports no accepted client certificate", what);
        enum th_step cst = r.cst == TH_STEP_DONE ? client_read(&r) : r.cst;
        check_failed(&r.cerr, cst, cwant, "client");
        ok(strstr(r.cerr.text, "alert") != NULL || r.cerr.code != 0,
           "%s: the client's text keeps the library's words: '%s'", what, r.cerr.text);
    }
    run_free(&r);
}

static void test_refused(unsigned v)
{
    /* the alerts OpenSSL sends: certificate_expired (45), unknown_ca (48),
     * unsupported_certificate (43) for a purpose, and on a missing certificate
     * certificate_required (116) in 1.3, handshake_failure (40) in 1.2 */
    expect_refused(B, "client-expired", v, TH_CLIENT_AUTH_REQUIRE, TH_EXPIRED,
                   X509_V_ERR_CERT_HAS_EXPIRED, TH_EXPIRED);
    /* sent alone, not self-issued, its issuer unknown: OpenSSL's error 20, read as
     * for a server's leaf (th_ossl_chain_outcome); test_untrusted sends the root */
    expect_refused(B, "client-untrusted", v, TH_CLIENT_AUTH_REQUIRE, TH_INCOMPLETE_CHAIN,
                   X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, TH_UNKNOWN_CA);
    expect_refused(B, "client-self-signed", v, TH_CLIENT_AUTH_REQUIRE, TH_SELF_SIGNED,
                   X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, TH_UNKNOWN_CA);
    /* a verifying server refuses a bad certificate whether it required or requested */
    expect_refused(B, "client-expired", v, TH_CLIENT_AUTH_REQUEST, TH_EXPIRED,
                   X509_V_ERR_CERT_HAS_EXPIRED, TH_EXPIRED);
    expect_refused(B, NULL, v, TH_CLIENT_AUTH_REQUIRE, TH_CERTIFICATE_REQUIRED, 0,
                   v == V13 ? TH_CERTIFICATE_REQUIRED : TH_HANDSHAKE_FAILURE);
}

/* A client chain that ends at a root the server does not trust (leaf + untrusted
 * root as sent): unknown_ca, OpenSSL's error 19, as for a server's chain. */
static void test_untrusted(unsigned v)
{
    char full[512], leaf[512], root[512], what[96];
    snprintf(full, sizeof(full), "%s/client-untrusted-full.pem", pd_tmpdir);
    pki_path(leaf, sizeof(leaf), "client-untrusted.chain.pem");
    pki_path(root, sizeof(root), "untrusted-root.pem");
    FILE *out = fopen(full, "w");
    for (int i = 0; out && i < 2; i++) {
        FILE *in = fopen(i ? root : leaf, "r");
        int ch;
        while (in && (ch = fgetc(in)) != EOF)
            fputc(ch, out);
        if (in)
            fclose(in);
    }
    if (out)
        fclose(out);
    snprintf(what, sizeof(what), "%s: require, client-untrusted with its root", vname(v));
    struct run r;
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUIRE, "client-untrusted", v);
    r.ccfg.cert_file = full;
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, TH_UNKNOWN_CA, what);
        is_int(r.serr.code, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "%s: X509 code 19", what);
    }
    run_free(&r);
}

/* serverAuth-only EKU: bad_eku on the server (the same mapping, the client role's
 * purpose); the alert it sends is unsupported_certificate. */
static void test_bad_eku(unsigned v)
{
    struct run r;
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUIRE, "client-server-eku", v);
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, TH_BAD_EKU, "client-server-eku");
        is_int(r.serr.code, X509_V_ERR_INVALID_PURPOSE, "client-server-eku: X509 code 26");
        ok(strstr(r.serr.text, "the client sent") != NULL, "the text names the client: '%s'",
           r.serr.text);
    }
    run_free(&r);
}

/* The mapping alone: INVALID_PURPOSE on a serverAuth-only leaf is bad_eku when a
 * server judged a client, not when a client judged a server (it has serverAuth). */
static void test_map(void)
{
    char f[512];
    pki_path(f, sizeof(f), "client-server-eku.pem");
    FILE *fp = fopen(f, "r");
    X509 *x = fp ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
    if (fp)
        fclose(fp);
    if (!ok(x != NULL, "read %s", f))
        return;
    is_str(th_outcome_name(th_ossl_peer_chain_outcome(X509_V_ERR_INVALID_PURPOSE, x, 2, 1)),
           "bad_eku", "serverAuth-only leaf judged as a client's: bad_eku");
    is_str(th_outcome_name(th_ossl_peer_chain_outcome(X509_V_ERR_INVALID_PURPOSE, x, 2, 0)),
           "bad_key_usage", "the same leaf judged as a server's: its EKU fits, so key usage");
    is_str(th_outcome_name(th_ossl_reason_outcome(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)),
           "certificate_required", "SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE");
    X509_free(x);
}

/* ---- configuration refused ---- */

static void expect_ctx_fails(const struct th_tls_config *cfg, enum th_outcome want,
                             const char *what)
{
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    int rc = B->ctx_new(cfg, &ctx, &e);
    ok(rc != 0 && ctx == NULL, "%s: ctx_new fails", what);
    is_str(th_outcome_name(e.outcome), th_outcome_name(want), "%s: outcome (%s)", what, e.text);
    ok(ERR_peek_error() == 0, "%s: no OpenSSL error left queued", what);
    if (ctx)
        B->ctx_free(ctx);
}

static void test_config(void)
{
    struct run r;
    char junk[512], missing[512];
    snprintf(junk, sizeof(junk), "%s/junk.pem", pd_tmpdir);
    snprintf(missing, sizeof(missing), "%s/missing.pem", pd_tmpdir);
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", f);
        fclose(f);
    }
    init_cauth(&r, B, B, TH_CLIENT_AUTH_REQUIRE, "client", V13);
    r.scfg.client_ca_file = NULL;
    expect_ctx_fails(&r.scfg, TH_INTERNAL_ERROR, "client auth without client_ca");
    r.scfg.client_ca_file = junk;
    expect_ctx_fails(&r.scfg, TH_ANCHOR_UNUSABLE, "a client_ca that does not decode");
    r.ccfg.cert_file = missing;
    expect_ctx_fails(&r.ccfg, TH_INTERNAL_ERROR, "a client certificate file that is missing");
    r.ccfg.cert_file = cchain;
    r.ccfg.key_file = r.key; /* the server's key: not the client leaf's */
    expect_ctx_fails(&r.ccfg, TH_INTERNAL_ERROR, "a client key that does not match");
}

static void test_caps(void)
{
    struct th_caps caps;
    B->caps(&caps);
    ok((caps.features & TH_CAP_CLIENT_CERT) && (caps.features & TH_CAP_CLIENT_AUTH),
       "openssl claims client certificates in both roles");
}

/* ---- other libraries ---- */

/* A GnuTLS client with no certificate against the OpenSSL server requiring one. */
static void test_gnutls_client(void)
{
    expect_refused(&th_backend_gnutls, NULL, V13, TH_CLIENT_AUTH_REQUIRE, TH_CERTIFICATE_REQUIRED,
                   0, TH_CERTIFICATE_REQUIRED);
    expect_refused(&th_backend_gnutls, NULL, V12, TH_CLIENT_AUTH_REQUIRE, TH_CERTIFICATE_REQUIRED,
                   0, TH_HANDSHAKE_FAILURE);
}

/* The OpenSSL client's certificate against another library's server, where that
 * backend claims it can ask (the other helpers' part of issue 12). */
static void test_other_servers(void)
{
    const struct th_backend *servers[] = {&th_backend_gnutls, &th_backend_mbedtls};
    for (size_t i = 0; i < TH_ARRAY_LEN(servers); i++) {
        struct th_caps caps;
        servers[i]->caps(&caps);
        if (!(caps.features & TH_CAP_CLIENT_AUTH)) {
            char why[96];
            snprintf(why, sizeof(why), "%s cannot ask for client certificates yet",
                     servers[i]->name);
            skip(3, why);
            continue;
        }
        struct run r;
        char what[96];
        snprintf(what, sizeof(what), "openssl client, %s server: good client leaf",
                 servers[i]->name);
        init_cauth(&r, B, servers[i], TH_CLIENT_AUTH_REQUIRE, "client", V12 | V13);
        if (handshake(&r) == 0 && check_ok(&r, what)) {
            ok(r.cneg.cert_requested && r.cneg.client_cert, "%s: client asked, sent", what);
            ok(r.sneg.client_cert, "%s: the server has it", what);
        }
        run_free(&r);
    }
}

int main(void)
{
    if (pd_begin("openssl-cauth") != 0)
        return pd_end();
    test_caps();
    test_map();
    test_config();
    test_good(V13);
    test_good(V12);
    test_optional(V13);
    test_optional(V12);
    test_resume(V13);
    test_resume(V12);
    test_refused(V13);
    test_refused(V12);
    test_untrusted(V13);
    test_untrusted(V12);
    test_bad_eku(V13);
    test_bad_eku(V12);
    test_gnutls_client();
    test_other_servers();
    return pd_end();
}
