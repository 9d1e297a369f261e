/* The GnuTLS backend's client against chains the shared vocabulary has names for
 * since issue 12, served by the GnuTLS and OpenSSL servers over the in-memory pair:
 * an issuer's name constraints, its path length, an issuer that is no CA, an
 * Ed25519 leaf, and trust anchors or CRLs GnuTLS will not load (anchor_unusable, a
 * refusal of the client's context with GnuTLS's code and text). Each refusal keeps
 * GnuTLS's status bits and text beside the outcome. */
#include "pairdrive.h"

#include "gnutls_certs.h"

extern const struct th_backend th_backend_gnutls;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const G = &th_backend_gnutls;
static const struct th_backend *const O = &th_backend_openssl;

/* The GnuTLS client checks the chain `name` (made by make_chains) against the
 * anchor file `anchor`, served by each server backend. */
static void expect_chain(const char *name, const char *anchor, enum th_outcome want)
{
    const struct th_backend *servers[] = {G, O};
    for (size_t i = 0; i < TH_ARRAY_LEN(servers); i++) {
        struct run r;
        char what[128];
        run_init2(&r, "rsa2048", G, servers[i]);
        snprintf(r.chain, sizeof(r.chain), "%s/%s.chain.pem", pd_tmpdir, name);
        snprintf(r.key, sizeof(r.key), "%s/%s.key.pem", pd_tmpdir, name);
        snprintf(r.ca, sizeof(r.ca), "%s/%s.pem", pd_tmpdir, anchor);
        snprintf(what, sizeof(what), "gnutls->%s: %s", servers[i]->name, name);
        if (handshake(&r) == 0) {
            if (want == TH_OK)
                check_ok(&r, what);
            else
                check_failed(&r.cerr, r.cst, want, what);
        }
        run_free(&r);
    }
}

/* The chains, written into the test's folder: each leaf for localhost. */
static int make_chains(void)
{
    struct tc root, nc, pl0, sub, notca, ed, nc_leaf, deep, under_notca, nc_ok;
    const struct tc_opts ca = {.ca = 1, .pathlen = -1}, leaf = {.pathlen = -1, .san = "localhost"};
    int rc = tc_make(&root, "test root", NULL, ca) | tc_write_one(pd_tmpdir, "root", &root) |
             tc_make(&nc, "nc", &root,
                     (struct tc_opts){.ca = 1, .pathlen = -1, .permitted = "permitted.test"}) |
             tc_make(&pl0, "pathlen0", &root, (struct tc_opts){.ca = 1, .pathlen = 0}) |
             tc_make(&sub, "sub-ca", &pl0, ca) |
             tc_make(&notca, "not-a-ca", &root, (struct tc_opts){.ca = -1, .pathlen = -1}) |
             tc_make(&ed, "localhost", &root,
                     (struct tc_opts){
                         .pk = GNUTLS_PK_EDDSA_ED25519, .pathlen = -1, .san = "localhost"}) |
             tc_make(&nc_leaf, "localhost", &nc, leaf) | tc_make(&deep, "localhost", &sub, leaf) |
             tc_make(&under_notca, "localhost", &notca, leaf) |
             tc_make(&nc_ok, "a.permitted.test", &nc,
                     (struct tc_opts){.pathlen = -1, .san = "a.permitted.test"});
    if (rc == 0)
        rc = tc_write(pd_tmpdir, "nc-excluded", (const struct tc *[]){&nc_leaf, &nc}, 2) |
             tc_write(pd_tmpdir, "nc-permitted", (const struct tc *[]){&nc_ok, &nc}, 2) |
             tc_write(pd_tmpdir, "path-too-long", (const struct tc *[]){&deep, &sub, &pl0}, 3) |
             tc_write(pd_tmpdir, "issuer-not-ca", (const struct tc *[]){&under_notca, &notca}, 2) |
             tc_write(pd_tmpdir, "ed25519", (const struct tc *[]){&ed}, 1);
    struct tc *all[] = {&root, &nc, &pl0, &sub, &notca, &ed, &nc_leaf, &deep, &under_notca, &nc_ok};
    for (size_t i = 0; i < TH_ARRAY_LEN(all); i++)
        tc_free(all[i]);
    return rc == 0 ? 0 : -1;
}

static void test_chains(void)
{
    if (!ok(make_chains() == 0, "test chains written"))
        return;
    /* GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, told apart by the chain as sent */
    expect_chain("nc-excluded", "root", TH_NAME_CONSTRAINTS);
    expect_chain("path-too-long", "root", TH_PATH_LENGTH);
    /* GNUTLS_CERT_SIGNER_NOT_CA */
    expect_chain("issuer-not-ca", "root", TH_INVALID_CA);
    /* negative: a good leaf straight under the same root (and an Ed25519 one) */
    expect_chain("ed25519", "root", TH_OK);
}

/* A hostname inside the permitted subtree passes the name-constrained issuer. */
static void test_nc_permitted(void)
{
    struct run r;
    run_init2(&r, "rsa2048", G, O);
    snprintf(r.chain, sizeof(r.chain), "%s/nc-permitted.chain.pem", pd_tmpdir);
    snprintf(r.key, sizeof(r.key), "%s/nc-permitted.key.pem", pd_tmpdir);
    snprintf(r.ca, sizeof(r.ca), "%s/root.pem", pd_tmpdir);
    r.ccfg.hostname = r.ccfg.sni = "a.permitted.test";
    if (handshake(&r) == 0)
        check_ok(&r, "nc-permitted as a.permitted.test");
    run_free(&r);
}

/* A client context whose anchors or CRLs GnuTLS refuses: anchor_unusable with
 * GnuTLS's code and text; a file that cannot be read at all stays the harness's
 * internal_error. */
static void expect_anchor(const char *ca, const char *crl, enum th_outcome want, const char *what)
{
    struct run r;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    run_init2(&r, "rsa2048", G, G);
    if (ca)
        r.ccfg.ca_file = ca;
    r.ccfg.crl_file = crl;
    ok(G->ctx_new(&r.ccfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    is_str(th_outcome_name(e.outcome), th_outcome_name(want), "%s: outcome", what);
    ok(e.code != 0 && e.text[0], "%s: native code %ld, text '%s'", what, e.code, e.text);
    if (ctx)
        G->ctx_free(ctx);
}

static void test_anchors(void)
{
    char root[512], key[512], junk[512];
    pki_path(root, sizeof(root), "root.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    snprintf(junk, sizeof(junk), "%s/junk.pem", pd_tmpdir);
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", f);
        fclose(f);
    }
    expect_anchor(root, root, TH_ANCHOR_UNUSABLE, "a CRL file holding no CRL");
    expect_anchor(key, NULL, TH_ANCHOR_UNUSABLE, "a CA file holding no certificate");
    expect_anchor(junk, NULL, TH_ANCHOR_UNUSABLE, "a CA file that does not decode");
    expect_anchor("/nonexistent/ca.pem", NULL, TH_INTERNAL_ERROR, "a CA file that is not there");
}

int main(void)
{
    if (pd_begin("gnutls-cert") != 0 || G->init() != 0)
        return pd_end();
    test_chains();
    test_nc_permitted();
    test_anchors();
    G->cleanup();
    return pd_end();
}
