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
    c.s.cert = junk;
    memset(&err, 0, sizeof(err));
    ok(th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) == -1 && !cctx && !sctx,
       "a server certificate the library refuses: no contexts left");
    ok(strncmp(err.text, "server configuration refused by openssl: ", 41) == 0 &&
           strstr(err.text, "(code "),
       "...in the library's words with its code: %s", err.text);
    ok(err.outcome != TH_OK, "the library's outcome is kept (%s)", th_outcome_name(err.outcome));
}

int main(void)
{
    ossl = th_backend_find("openssl");
    if (!ossl) {
        skip(1, "no OpenSSL backend in this build");
        return done_testing();
    }
    if (pd_begin("endpoint") == 0) {
        test_resolve();
        test_resolve_errors();
        test_ctxs();
    }
    return pd_end();
}
