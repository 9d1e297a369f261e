/* The OpenSSL client's certificate verdicts of issue 12, in real handshakes over the
 * in-memory pair: legacy versions keep the library's certificate checks, a leaf
 * sent without its intermediate is incomplete_chain where a chain ending at an
 * unknown root is unknown_ca, the outcomes named after OpenSSL's own reasons (name
 * constraints, path length, invalid CA, unknown critical extension, malformed), and
 * anchors or CRLs the library will not load. Each verdict keeps OpenSSL's code. */
#include "pairdrive.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include "backends/openssl_map.h"
#include "harness/vocab/util.h"

extern const struct th_backend th_backend_openssl, th_backend_gnutls, th_backend_mbedtls;
static const struct th_backend *const B = &th_backend_openssl;

static void no_error_queued(const struct th_error *e, const char *what)
{
    ok(ERR_peek_error() == 0, "%s: no OpenSSL error left queued", what);
}

/* The client refuses the server's leaf with `want` and OpenSSL's verify code `code`
 * (0: any). The run is freed. */
static void expect_refused(struct run *r, enum th_outcome want, long code, const char *what)
{
    if (handshake(r) == 0) {
        check_failed(&r->cerr, r->cst, want, what);
        if (code)
            is_int(r->cerr.code, code, "%s: X509 verify error %ld", what, code);
    }
    run_free(r);
}

static void expect_accepted(struct run *r, uint16_t version, const char *what)
{
    if (handshake(r) == 0 && check_ok(r, what) && version)
        is_int(r->cneg.version, version, "%s: version", what);
    run_free(r);
}

/* ---- bug 1: allowing TLS 1.0/1.1 must not switch certificate checks off ---- */

static void weak_leaf(const char *leaf, unsigned cv, unsigned sv, enum th_outcome want, long code)
{
    struct run r;
    char what[128];
    snprintf(what, sizeof(what), "%s, client versions 0x%x, server 0x%x", leaf, cv, sv);
    run_init2(&r, leaf, B, B);
    r.ccfg.versions = cv;
    r.scfg.versions = sv;
    expect_refused(&r, want, code, what);
}

static void test_legacy_keeps_checks(void)
{
    unsigned all = V10 | V11 | V12 | V13;
    /* the reference: without legacy versions */
    weak_leaf("rsa1024", V12 | V13, V12 | V13, TH_WEAK_KEY, X509_V_ERR_EE_KEY_TOO_SMALL);
    weak_leaf("sha1", V12 | V13, V12 | V13, TH_WEAK_SIGNATURE, X509_V_ERR_CA_MD_TOO_WEAK);
    /* 1.0-1.3 allowed, 1.3 negotiated: refused exactly as without 1.0 */
    weak_leaf("rsa1024", all, V12 | V13, TH_WEAK_KEY, X509_V_ERR_EE_KEY_TOO_SMALL);
    weak_leaf("sha1", all, V12 | V13, TH_WEAK_SIGNATURE, X509_V_ERR_CA_MD_TOO_WEAK);
    weak_leaf("rsa1024", V11 | V12, V12, TH_WEAK_KEY, X509_V_ERR_EE_KEY_TOO_SMALL);
    /* a TLS 1.0 handshake itself: still refused for the certificate */
    weak_leaf("rsa1024", all, V10, TH_WEAK_KEY, X509_V_ERR_EE_KEY_TOO_SMALL);
    weak_leaf("sha1", V10, V10, TH_WEAK_SIGNATURE, X509_V_ERR_CA_MD_TOO_WEAK);
    /* negative: the legacy handshake still works with a good leaf */
    struct run r;
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.versions = all;
    r.scfg.versions = V10;
    expect_accepted(&r, TH_TLS10, "rsa2048 over TLS 1.0 (security level 0 handshake)");
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.versions = r.scfg.versions = V11;
    expect_accepted(&r, TH_TLS11, "rsa2048 over TLS 1.1");
    /* verify off still accepts the weak leaf on a legacy client */
    run_init2(&r, "rsa1024", B, B);
    r.ccfg.versions = all;
    r.ccfg.verify = 0;
    expect_accepted(&r, TH_TLS13, "rsa1024, verify off, 1.0-1.3");
}

static void test_defaults_changed(void)
{
    struct th_caps caps;
    char want[16];
    B->caps(&caps);
    snprintf(want, sizeof(want), "level %d", th_ossl_default_security_level());
    ok(caps.defaults_changed[0] && strstr(caps.defaults_changed[0], "client: security level 0") &&
           strstr(caps.defaults_changed[0], "1.0 or 1.1") && strstr(caps.defaults_changed[0], want),
       "caps list the client's lowered level: %s", caps.defaults_changed[0]);
    ok(caps.defaults_changed[1] && strstr(caps.defaults_changed[1], "server: security level 0"),
       "caps list the server's lowered level: %s", caps.defaults_changed[1]);
    ok(caps.defaults_changed[2] == NULL, "and nothing else");
}

/* ---- bug 3: incomplete_chain from the chain as sent and error 20 ---- */

/* A file in the temp folder with the named PKI files one after another. */
static void cat_pki(char *out, size_t cap, const char *name, const char *a, const char *b)
{
    char pa[512], pb[512], buf[8192];
    snprintf(out, cap, "%s/%s", pd_tmpdir, name);
    pki_path(pa, sizeof(pa), a);
    pki_path(pb, sizeof(pb), b);
    FILE *o = fopen(out, "w");
    for (int i = 0; o && i < 2; i++) {
        FILE *in = fopen(i ? pb : pa, "r");
        size_t n;
        while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
            fwrite(buf, 1, n, o);
        if (in)
            fclose(in);
    }
    if (o)
        fclose(o);
}

static void test_chains(void)
{
    struct run r;
    char file[512];
    run_init2(&r, "no-intermediate", B, B);
    expect_refused(&r, TH_INCOMPLETE_CHAIN, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "leaf sent without its intermediate");
    /* the same leaf with its intermediate: the chain check passes */
    run_init2(&r, "no-intermediate", B, B);
    cat_pki(file, sizeof(file), "no-intermediate-full.pem", "no-intermediate.pem",
            "intermediate.pem");
    r.scfg.cert_file = file;
    expect_accepted(&r, 0, "the same leaf with its intermediate");
    /* negative: a chain that ends at a root the client does not trust */
    run_init2(&r, "untrusted", B, B);
    cat_pki(file, sizeof(file), "untrusted-full.pem", "untrusted.pem", "untrusted-root.pem");
    r.scfg.cert_file = file;
    expect_refused(&r, TH_UNKNOWN_CA, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                   "a complete chain to an untrusted root");
    /* negative: leaf and intermediate sent, root not trusted by the client */
    run_init2(&r, "rsa2048", B, B);
    pki_path(r.ca, sizeof(r.ca), "untrusted-root.pem");
    expect_refused(&r, TH_UNKNOWN_CA, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "leaf and intermediate, root unknown");
    /* negative: a self-signed leaf alone stays self_signed */
    run_init2(&r, "self-signed", B, B);
    expect_refused(&r, TH_SELF_SIGNED, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed");
    /* A leaf sent alone whose issuer is a root the client lacks looks the same on
     * the wire (error 20, one certificate): OpenSSL cannot tell it from a missing
     * intermediate, and neither can the backend. */
    run_init2(&r, "untrusted", B, B);
    expect_refused(&r, TH_INCOMPLETE_CHAIN, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "untrusted leaf sent alone (indistinguishable)");
}

/* ---- the outcomes named after OpenSSL's reasons (pki objects of issue 12) ---- */

static int pki_has(const char *file)
{
    char p[512];
    pki_path(p, sizeof(p), file);
    return access(p, R_OK) == 0;
}

/* leaf served with its chain as hostname host, trusting anchor (NULL: root). */
static void new_leaf(const char *leaf, const char *host, const char *anchor, enum th_outcome want,
                     long code)
{
    char what[160], f[128];
    struct run r;
    snprintf(f, sizeof(f), "%s.chain.pem", leaf);
    snprintf(what, sizeof(what), "%s as %s%s%s", leaf, host, anchor ? " under " : "",
             anchor ? anchor : "");
    if (!pki_has(f) || (anchor && (snprintf(f, sizeof(f), "%s.pem", anchor), !pki_has(f)))) {
        skip(1, what); /* the PKI does not make it (yet) */
        return;
    }
    run_init2(&r, leaf, B, B);
    r.ccfg.hostname = host;
    if (anchor)
        pki_path(r.ca, sizeof(r.ca), f);
    if (want == TH_OK)
        expect_accepted(&r, 0, what);
    else
        expect_refused(&r, want, code, what);
}

static X509 *read_cert(const char *file)
{
    char p[512];
    pki_path(p, sizeof(p), file);
    FILE *f = fopen(p, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return x;
}

static void verify_malformed(void)
{
    X509 *leaf = read_cert("malformed.pem"), *inter = read_cert("intermediate.pem"),
         *root = read_cert("root.pem");
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    STACK_OF(X509) *sent = sk_X509_new_null();
    if (ok(leaf && inter && root && store && sctx && sent, "malformed: the files read")) {
        X509_STORE_add_cert(store, root);
        sk_X509_push(sent, leaf);
        sk_X509_push(sent, inter);
        X509_STORE_CTX_init(sctx, store, leaf, sent);
        X509_STORE_CTX_set_default(sctx, "ssl_server");
        ok(X509_verify_cert(sctx) != 1, "malformed: the chain check fails");
        int code = X509_STORE_CTX_get_error(sctx);
        /* OpenSSL finds no issuer for a certificate it flags invalid */
        is_int(code, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "malformed: %s",
               X509_verify_cert_error_string(code));
        ok(X509_get_extension_flags(leaf) & EXFLAG_INVALID, "malformed: flagged invalid");
        is_str(th_outcome_name(th_ossl_chain_outcome(code, leaf, 2)), "bad_certificate",
               "malformed: bad_certificate");
    }
    sk_X509_free(sent);
    X509_STORE_CTX_free(sctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(inter);
    X509_free(root);
    ERR_clear_error();
}

/* OpenSSL will not serve a leaf with two subjectAltName extensions (the check of
 * its own certificate fails: X509V3 "invalid certificate"), so another library
 * serves it to the OpenSSL client: the first of GnuTLS and mbedTLS (TLS 1.2) that
 * loads it. */
static void test_malformed(void)
{
    static const struct th_backend *const servers[] = {&th_backend_gnutls, &th_backend_mbedtls};
    struct run r;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    if (!pki_has("malformed.chain.pem")) {
        skip(1, "malformed");
        return;
    }
    run_init2(&r, "malformed", B, B);
    ok(B->ctx_new(&r.scfg, &ctx, &e) != 0 && strstr(e.text, "invalid certificate"),
       "the OpenSSL server refuses to load the malformed leaf: %s", e.text);
    B->ctx_free(ctx);
    ERR_clear_error();
    for (size_t i = 0; i < TH_ARRAY_LEN(servers); i++) {
        run_init2(&r, "malformed", B, servers[i]);
        r.ccfg.versions = r.scfg.versions = V12;
        memset(&e, 0, sizeof(e));
        ctx = NULL;
        if (servers[i]->ctx_new(&r.scfg, &ctx, &e) != 0) {
            printf("# %s will not serve it either: %s\n", servers[i]->name, e.text);
            continue;
        }
        servers[i]->ctx_free(ctx);
        char what[96];
        snprintf(what, sizeof(what), "malformed leaf served by %s", servers[i]->name);
        expect_refused(&r, TH_BAD_CERTIFICATE, X509_V_ERR_INVALID_EXTENSION, what);
        return;
    }
    /* None does (the case is then the server's): OpenSSL's chain check on the
     * leaf as a client would receive it, through the backend's mapping. */
    verify_malformed();
}

static void test_new_outcomes(void)
{
    new_leaf("nc-permitted", "localhost", NULL, TH_OK, 0);
    new_leaf("nc-permitted", "127.0.0.1", NULL, TH_OK, 0);
    /* excluded.test is outside the permitted subtrees too, and OpenSSL checks those
     * first: 47, not 48 */
    new_leaf("nc-excluded", "excluded.test", NULL, TH_NAME_CONSTRAINTS,
             X509_V_ERR_PERMITTED_VIOLATION);
    new_leaf("nc-excluded-ip", "127.0.0.2", NULL, TH_NAME_CONSTRAINTS,
             X509_V_ERR_EXCLUDED_VIOLATION);
    new_leaf("path-too-long", "localhost", NULL, TH_PATH_LENGTH, X509_V_ERR_PATH_LENGTH_EXCEEDED);
    new_leaf("issuer-not-ca", "localhost", NULL, TH_INVALID_CA, X509_V_ERR_INVALID_CA);
    new_leaf("issuer-no-bc", "localhost", NULL, TH_INVALID_CA, X509_V_ERR_INVALID_CA);
    new_leaf("unknown-critical", "localhost", NULL, TH_UNKNOWN_CRITICAL_EXTENSION,
             X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION);
    test_malformed();
    new_leaf("expired-intermediate", "localhost", NULL, TH_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED);
    /* good leaves with other keys */
    new_leaf("ed25519", "localhost", NULL, TH_OK, 0);
    new_leaf("ecdsa-p384", "localhost", NULL, TH_OK, 0);
    new_leaf("ecdsa-p521", "localhost", NULL, TH_OK, 0);
    new_leaf("rsa4096", "localhost", NULL, TH_OK, 0);
    /* wildcards: one label only; OpenSSL accepts a partial label (RFC 6125 6.4.3
     * MAY) unless X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS is set, which it is not */
    new_leaf("wildcard", "a.wild.test", NULL, TH_OK, 0);
    new_leaf("wildcard", "a.b.wild.test", NULL, TH_HOSTNAME_MISMATCH, X509_V_ERR_HOSTNAME_MISMATCH);
    new_leaf("wildcard", "wild.test", NULL, TH_HOSTNAME_MISMATCH, X509_V_ERR_HOSTNAME_MISMATCH);
    new_leaf("wildcard-partial", "ab.wild.test", NULL, TH_OK, 0);
    new_leaf("wildcard-partial", "b.wild.test", NULL, TH_HOSTNAME_MISMATCH,
             X509_V_ERR_HOSTNAME_MISMATCH);
    /* anchors: OpenSSL loads all three; the chain check then judges them */
    new_leaf("anchored-nc", "localhost", "anchor-nc", TH_OK, 0);
    new_leaf("anchored-critical", "localhost", "anchor-critical", TH_UNKNOWN_CRITICAL_EXTENSION,
             X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION);
    new_leaf("anchored-dsa", "localhost", "anchor-dsa", TH_OK, 0);
}

/* ---- anchors and CRLs the library will not load ---- */

static void expect_anchor(struct th_tls_config *cfg, enum th_outcome want, const char *what)
{
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(B->ctx_new(cfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    is_str(th_outcome_name(e.outcome), th_outcome_name(want), "%s: outcome", what);
    ok(e.code != 0 && e.text[0], "%s: native code %ld and text '%s'", what, e.code, e.text);
    no_error_queued(&e, what);
    if (ctx)
        B->ctx_free(ctx);
}

static void test_anchors(void)
{
    struct run r;
    char junk[512];
    snprintf(junk, sizeof(junk), "%s/junk.pem", pd_tmpdir);
    FILE *f = fopen(junk, "w");
    if (f) {
        fputs("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
              f);
        fclose(f);
    }
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.crl_file = r.ca; /* holds no CRL */
    expect_anchor(&r.ccfg, TH_ANCHOR_UNUSABLE, "CRL file without a CRL");
    r.ccfg.crl_file = NULL;
    r.ccfg.ca_file = r.key; /* a key, no certificate */
    expect_anchor(&r.ccfg, TH_ANCHOR_UNUSABLE, "CA file with a key only");
    r.ccfg.ca_file = junk;
    expect_anchor(&r.ccfg, TH_ANCHOR_UNUSABLE, "CA file with a certificate that does not decode");
    r.ccfg.ca_file = r.ca;
    r.ccfg.crl_file = junk;
    expect_anchor(&r.ccfg, TH_ANCHOR_UNUSABLE, "CRL file with a certificate");
    /* negative: a file that is not there is no verdict of the library */
    r.ccfg.crl_file = NULL;
    r.ccfg.ca_file = "/nonexistent/ca.pem";
    expect_anchor(&r.ccfg, TH_INTERNAL_ERROR, "missing CA file");
    r.ccfg.ca_file = r.ca;
    r.ccfg.crl_file = "/nonexistent/crl.pem";
    expect_anchor(&r.ccfg, TH_INTERNAL_ERROR, "missing CRL file");
    /* negative: the PKI's own CA and CRL load */
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.crl_file = r.crl;
    expect_accepted(&r, 0, "root and CRL load");
}

int main(void)
{
    pd_on_refusal = no_error_queued;
    if (pd_begin("openssl-cert") != 0)
        return pd_end();
    ok(B->init() == 0, "init");
    test_legacy_keeps_checks();
    test_defaults_changed();
    test_chains();
    test_new_outcomes();
    test_anchors();
    return pd_end();
}
