/* Endpoint configuration: pki names and files resolved into struct th_tls_config,
 * both ends' contexts made, and what fails named. */
#include "pairdrive.h"

#include "case_helpers.h"
#include "harness/run/endpoint.h"

static const struct th_backend *ossl;

static void test_resolve(void)
{
    struct th_case c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    struct th_endpoint_cfg ec;
    struct th_error err = {0};
    char want[600];
    c.c.crl = (char *)"pki:crl";
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == 0, "client resolves: %s", err.text);
    snprintf(want, sizeof(want), "%s/root", pkidir);
    ok(ec.cfg.ca_file && strncmp(ec.cfg.ca_file, want, strlen(want)) == 0, "pki:root is %s",
       ec.cfg.ca_file ? ec.cfg.ca_file : "(null)");
    ok(ec.cfg.crl_file && strstr(ec.cfg.crl_file, "/crl") != NULL, "pki:crl is %s",
       ec.cfg.crl_file ? ec.cfg.crl_file : "(null)");
    ok(ec.cfg.role == TH_ROLE_CLIENT && ec.cfg.verify == 1, "a client that verifies");
    is_str(ec.cfg.hostname, "localhost", "hostname");
    is_int(ec.cfg.versions, TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13), "versions");

    c.c.ca = NULL;
    c.c.crl = NULL;
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == 0 && !ec.cfg.ca_file && !ec.cfg.crl_file,
       "no ca, no crl: none given");

    ok(th_endpoint_server(&c, pkidir, &ec, &err) == 0, "server resolves: %s", err.text);
    ok(ec.cfg.cert_file && strstr(ec.cfg.cert_file, "rsa2048") != NULL,
       "the default certificate is pki:rsa2048 (%s)", ec.cfg.cert_file);
    ok(ec.cfg.key_file && strstr(ec.cfg.key_file, "rsa2048") != NULL &&
           strcmp(ec.cfg.key_file, ec.cfg.cert_file) != 0,
       "its key beside it (%s)", ec.cfg.key_file);
    ok(ec.cfg.role == TH_ROLE_SERVER && ec.cfg.tickets && ec.cfg.session_cache,
       "a server with tickets and a cache");

    /* a path stays as given */
    c.c.ca = ec.chain;
    struct th_endpoint_cfg e2;
    ok(th_endpoint_client(&c, pkidir, &e2, &err) == 0, "a file path resolves");
    is_str(e2.cfg.ca_file, ec.chain, "...to itself");
}

static void test_resolve_errors(void)
{
    struct th_case c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    struct th_endpoint_cfg ec;
    struct th_error err = {0};
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/no-such-ca.pem", pd_tmpdir);
    c.c.ca = missing;
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == -1, "a missing file is an error");
    ok(strstr(err.text, missing) != NULL, "...naming it: %s", err.text);

    c.c.ca = (char *)"pki:no-such-object";
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == -1 && strstr(err.text, "no-such-object"),
       "an unknown pki name is an error naming it: %s", err.text);

    c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    c.s.cert = (char *)"pki:root";
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_server(&c, pkidir, &ec, &err) == -1 && err.text[0],
       "a CA is not a server certificate: %s", err.text);

    /* the PKI folder is not there: the file it would hold is named */
    char nowhere[600];
    snprintf(nowhere, sizeof(nowhere), "%s/not-a-pki", pd_tmpdir);
    c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_server(&c, nowhere, &ec, &err) == -1 && strstr(err.text, nowhere),
       "a PKI that was never generated: %s", err.text);
}

static void test_ctxs(void)
{
    struct th_case c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    struct th_ctx *cctx = (struct th_ctx *)1, *sctx = (struct th_ctx *)1;
    struct th_error err = {0};
    ok(th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) == 0 && cctx && sctx,
       "both contexts made: %s", err.text);
    th_endpoint_ctxs_free(&c, cctx, sctx);

    c.server = NULL; /* an external target: the client's only */
    ok(th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) == 0 && cctx && !sctx,
       "no server of ours: the client's context only");
    th_endpoint_ctxs_free(&c, cctx, sctx);
    th_endpoint_ctxs_free(&c, NULL, NULL);
    ok(1, "freeing nothing is fine");

    /* negative: a file that is missing, one the library refuses */
    char missing[600], junk[600];
    snprintf(missing, sizeof(missing), "%s/gone.pem", pd_tmpdir);
    c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    c.c.ca = missing;
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) == -1 && !cctx && !sctx,
       "a missing file: no contexts");
    ok(strncmp(err.text, "cannot resolve the case's files: ", 33) == 0 &&
           strstr(err.text, missing) != NULL,
       "...and the reason names it: %s", err.text);

    snprintf(junk, sizeof(junk), "%s/junk.pem", pd_tmpdir);
    FILE *f = fopen(junk, "w");
    fputs("not a certificate\n", f);
    fclose(f);
    c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    c.s.cert = c.s.key = junk;
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) == -1 && !cctx && !sctx,
       "a server certificate the library refuses: no contexts left");
    ok(strncmp(err.text, "server configuration refused by openssl: ", 41) == 0 &&
           strstr(err.text, "(code "),
       "...in the library's words with its code: %s", err.text);
    ok(err.outcome != TH_OK, "the library's outcome is kept (%s)", th_outcome_name(err.outcome));
}

/* ---- bring your own chain: tests/data/byo/ ---- */

static char byo_dir[PATH_MAX];

static char *byo(const char *name)
{
    static char buf[4][PATH_MAX + 64];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, PATH_MAX + 64, "%s/%s", byo_dir, name);
    return p;
}

static void test_own_files(void)
{
    struct th_case c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    struct th_endpoint_cfg ec;
    struct th_error err = {0};
    c.s.cert = byo("leaf.pem");
    c.s.key = byo("leaf.key.pem");
    ok(th_endpoint_server(&c, pkidir, &ec, &err) == 0, "server files resolve: %s", err.text);
    is_str(ec.cfg.cert_file, c.s.cert, "cert_file is the scenario's file");
    is_str(ec.cfg.key_file, c.s.key, "key_file is its key file, not one beside it in the PKI");

    /* a pki leaf with its key named explicitly */
    c.s.cert = c.s.key = (char *)"pki:ecdsa-p256";
    ok(th_endpoint_server(&c, pkidir, &ec, &err) == 0 && strstr(ec.cfg.key_file, "ecdsa-p256") &&
           strcmp(ec.cfg.key_file, ec.cfg.cert_file) != 0,
       "key pki:NAME is the leaf's key file (%s)", ec.cfg.key_file);

    /* the client's own: resolved into cert_file and key_file */
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == 0 && !ec.cfg.cert_file && !ec.cfg.key_file,
       "no client certificate: none given");
    c.c.cert = byo("leaf.pem");
    c.c.key = byo("leaf.key.pem");
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == 0, "client files resolve: %s", err.text);
    ok(ec.cfg.cert_file && strcmp(ec.cfg.cert_file, c.c.cert) == 0 && ec.cfg.key_file &&
           strcmp(ec.cfg.key_file, c.c.key) == 0,
       "the client's cert_file and key_file");
    c.c.cert = (char *)"pki:rsa2048";
    c.c.key = NULL;
    ok(th_endpoint_client(&c, pkidir, &ec, &err) == 0 && strstr(ec.cfg.key_file, "rsa2048"),
       "a pki client leaf brings its key (%s)", ec.cfg.key_file ? ec.cfg.key_file : "(null)");

    /* negative: a file without its key never comes from the reader; a case made so
     * is the harness's fault, named */
    c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    c.s.cert = byo("leaf.pem");
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_server(&c, pkidir, &ec, &err) == -1 && strstr(err.text, "needs its key file") &&
           !err.input,
       "a certificate file without a key: %s", err.text);
    c.s.key = byo("gone.key.pem");
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_server(&c, pkidir, &ec, &err) == -1 && strstr(err.text, "gone.key.pem"),
       "a key file that went away is named: %s", err.text);
}

/* One handshake of c over memory: the client's step result and its error. */
static enum th_step own_handshake(struct th_case *c, struct th_error *cerr)
{
    struct run r;
    struct th_error err = {0};
    memset(&r, 0, sizeof(r));
    r.cb = c->client;
    r.sb = c->server;
    if (!ok(th_endpoint_ctxs(c, pkidir, &r.cctx, &r.sctx, &err) == 0, "contexts: %s", err.text))
        return TH_STEP_FAILED;
    enum th_step st = connect_pair(&r, NULL) == 0 ? r.cst : TH_STEP_FAILED;
    *cerr = r.cerr;
    run_free(&r);
    return st;
}

/* The files reach a real server: a handshake against the user's own root passes,
 * and the same chain is refused by a client that trusts only the test PKI. */
static void test_own_chain_handshake(void)
{
    struct th_case c = tc_case(TH_KIND_HANDSHAKE, "t/endpoint", ossl, ossl);
    struct th_error e = {0};
    c.s.cert = byo("leaf.pem");
    c.s.key = byo("leaf.key.pem");
    c.c.ca = byo("ca.pem");
    is_int(own_handshake(&c, &e), TH_STEP_DONE, "own chain, own root: the handshake completes (%s)",
           e.text);
    c.c.ca = (char *)"pki:root";
    enum th_step st = own_handshake(&c, &e);
    /* the leaf is served alone: a client may tell that its issuer was not sent */
    ok(st == TH_STEP_FAILED && (e.outcome == TH_UNKNOWN_CA || e.outcome == TH_INCOMPLETE_CHAIN),
       "own chain, the test PKI's root: refused (%s: %s)", th_outcome_name(e.outcome), e.text);
}

int main(void)
{
    const char *here = __FILE__, *cut = strstr(here, "unit/test_endpoint.c");
    snprintf(byo_dir, sizeof(byo_dir), "%.*sdata/byo", (int)(cut ? cut - here : 0), here);
    ossl = th_backend_find("openssl");
    if (!ossl) {
        skip(1, "no OpenSSL backend in this build");
        return done_testing();
    }
    if (pd_begin("endpoint") == 0) {
        test_resolve();
        test_resolve_errors();
        test_ctxs();
        test_own_files();
        test_own_chain_handshake();
    }
    return pd_end();
}
