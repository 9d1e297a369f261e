/* The libcurl client backends, both flavours, against chains made here (GnuTLS's
 * API, gnutls_certs.h) and served by a server of the test's own (curl_tsrv.h): an
 * Ed25519 leaf (issue 12, bug 2: libcurl-gnutls 7.88's CURLOPT_CERTINFO failed the
 * transfer with "Out of memory" for most of them), an issuer's name constraints and
 * path length, an issuer that is no CA, trust anchors the library will not load, and
 * the library defaults each flavour says it changes. */
#include "curlcheck.h"

#include <signal.h>

#include "curl_tsrv.h"
#include "gnutls_certs.h"

#define N_ED 4 /* fresh Ed25519 leaves: most, not all, broke CURLOPT_CERTINFO */

/* Writes the chains into the test's folder; 0 when all were made. */
static int make_chains(void)
{
    struct tc root, nc, pl0, sub, notca, ed[N_ED], nc_leaf, deep, under_notca;
    const struct tc_opts ca = {.ca = 1, .pathlen = -1}, leaf = {.pathlen = -1, .san = "localhost"};
    const struct tc_opts ed_leaf = {
        .pk = GNUTLS_PK_EDDSA_ED25519, .pathlen = -1, .san = "localhost"};
    int rc = tc_make(&root, "test root", NULL, ca) | tc_write_one(pd_tmpdir, "root", &root) |
             tc_make(&nc, "nc", &root,
                     (struct tc_opts){.ca = 1, .pathlen = -1, .permitted = "permitted.test"}) |
             tc_make(&pl0, "pathlen0", &root, (struct tc_opts){.ca = 1, .pathlen = 0}) |
             tc_make(&sub, "sub-ca", &pl0, ca) |
             tc_make(&notca, "not-a-ca", &root, (struct tc_opts){.ca = -1, .pathlen = -1}) |
             tc_make(&nc_leaf, "localhost", &nc, leaf) | tc_make(&deep, "localhost", &sub, leaf) |
             tc_make(&under_notca, "localhost", &notca, leaf);
    for (int i = 0; i < N_ED; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ed25519-%d", i);
        rc |= tc_make(&ed[i], "localhost", &root, ed_leaf) |
              tc_write(pd_tmpdir, name, (const struct tc *[]){&ed[i]}, 1);
        tc_free(&ed[i]);
    }
    if (rc == 0)
        rc = tc_write(pd_tmpdir, "nc-excluded", (const struct tc *[]){&nc_leaf, &nc}, 2) |
             tc_write(pd_tmpdir, "path-too-long", (const struct tc *[]){&deep, &sub, &pl0}, 3) |
             tc_write(pd_tmpdir, "issuer-not-ca", (const struct tc *[]){&under_notca, &notca}, 2);
    struct tc *all[] = {&root, &nc, &pl0, &sub, &notca, &nc_leaf, &deep, &under_notca};
    for (size_t i = 0; i < TH_ARRAY_LEN(all); i++)
        tc_free(all[i]);
    return rc == 0 ? 0 : -1;
}

/* Each flavour fetches from a server of chain `name`, trusting the test's root;
 * want[f] per flavour. */
static void expect_chain(const char *name, const enum th_outcome want[2])
{
    struct tsrv s;
    char ca[512];
    tsrv_init(&s, "rsa2048");
    snprintf(s.chain, sizeof(s.chain), "%s/%s.chain.pem", pd_tmpdir, name);
    snprintf(s.key, sizeof(s.key), "%s/%s.key.pem", pd_tmpdir, name);
    snprintf(ca, sizeof(ca), "%s/root.pem", pd_tmpdir);
    if (tsrv_start(&s) != 0)
        return;
    for (size_t f = 0; f < N_FLAVOURS; f++) {
        const struct th_backend *b = flavours[f];
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        char what[64];
        cfg.ca_file = ca;
        snprintf(what, sizeof(what), "chain %s", name);
        int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
        if (want[f] == TH_OK)
            fetch_ok(b, &r, rc, what);
        else
            fetch_fails(b, &r, rc, want[f], what);
        result_free(&r);
    }
    tsrv_stop(&s);
}

static void test_chains(void)
{
    if (!ok(make_chains() == 0, "test chains written"))
        return;
    for (int i = 0; i < N_ED; i++) {
        char name[32];
        snprintf(name, sizeof(name), "ed25519-%d", i);
        expect_chain(name, (const enum th_outcome[]){TH_OK, TH_OK});
    }
    /* curl-openssl through the OpenSSL backend's table (X509 errors 47, 25, 79),
     * curl-gnutls through the GnuTLS backend's (the umbrella told apart by the
     * chain as sent, SIGNER_NOT_CA) */
    expect_chain("nc-excluded",
                 (const enum th_outcome[]){TH_NAME_CONSTRAINTS, TH_NAME_CONSTRAINTS});
    expect_chain("path-too-long", (const enum th_outcome[]){TH_PATH_LENGTH, TH_PATH_LENGTH});
    expect_chain("issuer-not-ca", (const enum th_outcome[]){TH_INVALID_CA, TH_INVALID_CA});
}

/* Trust anchors or a CRL the TLS library will not load: anchor_unusable, with
 * curl's code and text (CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE). */
static void test_anchors(uint16_t port)
{
    char junk[512], key[512];
    snprintf(junk, sizeof(junk), "%s/junk.pem", pd_tmpdir);
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", f);
        fclose(f);
    }
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        const struct th_backend *b = flavours[i];
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        cfg.ca_file = junk;
        int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
        fetch_fails(b, &r, rc, TH_ANCHOR_UNUSABLE, "a CA file that does not decode");
        result_free(&r);
        cfg = client_cfg();
        cfg.crl_file = key; /* a key, no CRL */
        rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
        fetch_fails(b, &r, rc, TH_ANCHOR_UNUSABLE, "a CRL file holding no CRL");
        result_free(&r);
    }
}

/* What each flavour says it changes of its library's defaults. */
static void test_defaults_changed(void)
{
    struct th_caps caps;
    th_backend_curl_openssl.caps(&caps);
    ok(caps.defaults_changed[0] && strstr(caps.defaults_changed[0], "security level 0") &&
           strstr(caps.defaults_changed[0], "chain check keeps") && !caps.defaults_changed[1],
       "curl-openssl: lists its one change: '%s'",
       caps.defaults_changed[0] ? caps.defaults_changed[0] : "(none)");
    th_backend_curl_gnutls.caps(&caps);
    ok(caps.defaults_changed[0] == NULL, "curl-gnutls: changes no default");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("curl-cert") != 0 || cc_flavours_ready() != 0)
        return pd_end();
    test_defaults_changed();
    test_chains();
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    if (tsrv_start(&s) == 0) {
        test_anchors(s.port);
        tsrv_stop(&s);
    }
    return cc_end();
}
