/* Client certificates (mTLS) on the GnuTLS backend: its server requesting or
 * requiring one and judging the test PKI's client leaves with the same outcome
 * names a client gives a server's chain, its client presenting one, what both ends
 * report in struct th_negotiated, bad configurations, and the same cases against the
 * other backends where their caps say they can. */
#include "pairdrive.h"

extern const struct th_backend th_backend_gnutls;
extern const struct th_backend th_backend_openssl;
extern const struct th_backend th_backend_mbedtls;
static const struct th_backend *const G = &th_backend_gnutls;

static char client_chain[512], client_key[512];

/* A run whose server asks for a client certificate (`mode`, client CA root) and
 * whose client holds `leaf` (NULL: none), both ends at `versions`. */
static void mtls_init(struct run *r, const struct th_backend *cb, const struct th_backend *sb,
                      enum th_client_auth mode, const char *leaf, unsigned versions)
{
    char f[128];
    run_init2(r, "rsa2048", cb, sb);
    r->ccfg.versions = r->scfg.versions = versions;
    r->scfg.client_auth = mode;
    r->scfg.client_ca_file = r->ca;
    if (leaf) {
        snprintf(f, sizeof(f), "%s.chain.pem", leaf);
        pki_path(client_chain, sizeof(client_chain), f);
        snprintf(f, sizeof(f), "%s.key.pem", leaf);
        pki_path(client_key, sizeof(client_key), f);
        r->ccfg.cert_file = client_chain;
        r->ccfg.key_file = client_key;
    }
}

static const char *vname(unsigned versions)
{
    return versions == V13 ? "1.3" : "1.2";
}

/* The server accepts: both ends report what the client sent. */
static void expect_accepted(const struct th_backend *cb, const struct th_backend *sb,
                            enum th_client_auth mode, const char *leaf, unsigned versions)
{
    struct run r;
    char what[160];
    snprintf(what, sizeof(what), "%s->%s %s %s, client %s", cb->name, sb->name, vname(versions),
             mode == TH_CLIENT_AUTH_REQUIRE ? "require" : "request", leaf ? leaf : "none");
    mtls_init(&r, cb, sb, mode, leaf, versions);
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        if (cb == G) {
            is_int(r.cneg.cert_requested, 1, "%s: client saw the request", what);
            is_int(r.cneg.client_cert, leaf != NULL, "%s: client says it sent one", what);
        }
        if (sb == G)
            is_int(r.sneg.client_cert, leaf != NULL, "%s: server accepted one", what);
    }
    run_free(&r);
}

/* In TLS 1.3 the client's handshake ends before the server has judged its
 * certificate: the refusal reaches it as an alert on its first read. */
static void client_reads_refusal(struct run *r)
{
    char buf[64];
    size_t got = 0;
    enum th_step st = TH_STEP_WANT_READ;
    for (int i = 0; i < 8 && st == TH_STEP_WANT_READ; i++)
        st = r->cb->read(r->c, buf, sizeof(buf), &got, &r->cerr);
    r->cst = st;
}

/* The server refuses the client's certificate (or its absence) with `swant`; the
 * client reads the alert as `cwant` (TH_OK: not checked). */
static void expect_refused(const struct th_backend *cb, const struct th_backend *sb,
                           const char *leaf, unsigned versions, enum th_outcome swant,
                           enum th_outcome cwant)
{
    struct run r;
    char what[160];
    snprintf(what, sizeof(what), "%s->%s %s require, client %s", cb->name, sb->name,
             vname(versions), leaf ? leaf : "none");
    mtls_init(&r, cb, sb, TH_CLIENT_AUTH_REQUIRE, leaf, versions);
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, swant, what);
        if (r.cst == TH_STEP_DONE && versions == V13)
            client_reads_refusal(&r);
        if (cwant != TH_OK) {
            ok(r.cst == TH_STEP_FAILED, "%s: client fails too", what);
            is_str(th_outcome_name(r.cerr.outcome), th_outcome_name(cwant),
                   "%s: client reads the alert (%s)", what, r.cerr.text);
        }
        if (sb == G)
            is_int(r.sneg.client_cert, 0, "%s: server accepted none", what);
        if (cb == G)
            is_int(r.cneg.client_cert, leaf != NULL, "%s: client says it sent one", what);
    }
    run_free(&r);
}

/* The GnuTLS server against each of the PKI's client leaves, both versions. */
static void test_gnutls_server(void)
{
    for (int i = 0; i < 2; i++) {
        unsigned v = i ? V12 : V13;
        expect_accepted(G, G, TH_CLIENT_AUTH_REQUIRE, "client", v);
        expect_accepted(G, G, TH_CLIENT_AUTH_REQUEST, "client", v);
        expect_accepted(G, G, TH_CLIENT_AUTH_REQUEST, NULL, v);
        /* TLS 1.2 has no certificate_required alert: the client reads handshake_failure */
        expect_refused(G, G, NULL, v, TH_CERTIFICATE_REQUIRED,
                       v == V13 ? TH_CERTIFICATE_REQUIRED : TH_HANDSHAKE_FAILURE);
        expect_refused(G, G, "client-expired", v, TH_EXPIRED, TH_EXPIRED);
        expect_refused(G, G, "client-server-eku", v, TH_BAD_EKU, TH_OK);
        expect_refused(G, G, "client-self-signed", v, TH_SELF_SIGNED, TH_UNKNOWN_CA);
        /* the PKI sends a leaf under a root alone, so the chain as sent cannot say
         * whether an intermediate is missing: incomplete_chain, as for a server's */
        expect_refused(G, G, "client-untrusted", v, TH_INCOMPLETE_CHAIN, TH_UNKNOWN_CA);
    }
}

/* dst: the PKI files srcs[0..n) back to back; 0 when written. */
static int concat(const char *dst, const char *const *srcs, size_t n)
{
    char path[512];
    int c, rc = 0;
    pki_path(path, sizeof(path), dst);
    FILE *o = fopen(path, "w");
    for (size_t i = 0; o && rc == 0 && i < n; i++) {
        pki_path(path, sizeof(path), srcs[i]);
        FILE *in = fopen(path, "r");
        while (in && (c = fgetc(in)) != EOF)
            fputc(c, o);
        rc = in && fclose(in) == 0 ? 0 : -1;
    }
    return o && fclose(o) == 0 && rc == 0 ? 0 : -1;
}

/* A client certificate chained up to the untrusted root, root included: an unknown
 * CA with nothing missing. */
static void test_untrusted_chain(void)
{
    const char *chain[] = {"client-untrusted.chain.pem", "untrusted-root.pem"};
    const char *key[] = {"client-untrusted.key.pem"};
    if (ok(concat("client-untrusted-full.chain.pem", chain, 2) == 0 &&
               concat("client-untrusted-full.key.pem", key, 1) == 0,
           "client-untrusted with its root written"))
        expect_refused(G, G, "client-untrusted-full", V13, TH_UNKNOWN_CA, TH_UNKNOWN_CA);
}

/* No client_auth: no request, and a client holding a certificate sends none. */
static void test_not_asked(void)
{
    struct run r;
    mtls_init(&r, G, G, TH_CLIENT_AUTH_NONE, "client", V13);
    if (handshake(&r) == 0 && check_ok(&r, "no client_auth")) {
        is_int(r.cneg.cert_requested, 0, "no client_auth: no request seen");
        is_int(r.cneg.client_cert, 0, "no client_auth: client sent none");
        is_int(r.sneg.client_cert, 0, "no client_auth: server got none");
    }
    run_free(&r);
}

static void expect_bad_ctx(struct th_tls_config *cfg, enum th_outcome want, const char *what)
{
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(G->ctx_new(cfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    is_str(th_outcome_name(e.outcome), th_outcome_name(want), "%s: outcome", what);
    ok(e.text[0] != '\0', "%s: says why ('%s')", what, e.text);
    if (ctx)
        G->ctx_free(ctx);
}

static void test_bad_config(void)
{
    struct run r;
    char rsa_key[512];
    pki_path(rsa_key, sizeof(rsa_key), "rsa1024.key.pem"); /* not the client leaf's key */
    mtls_init(&r, G, G, TH_CLIENT_AUTH_REQUIRE, "client", V13);
    r.scfg.client_ca_file = NULL;
    expect_bad_ctx(&r.scfg, TH_INTERNAL_ERROR, "require without a client CA");
    r.scfg.client_ca_file = rsa_key;
    expect_bad_ctx(&r.scfg, TH_ANCHOR_UNUSABLE, "a client CA file holding no certificate");
    r.scfg.client_ca_file = "/nonexistent/ca.pem";
    expect_bad_ctx(&r.scfg, TH_INTERNAL_ERROR, "a client CA file that is not there");
    r.ccfg.key_file = rsa_key;
    expect_bad_ctx(&r.ccfg, TH_INTERNAL_ERROR, "a client key that is not the leaf's");
    r.ccfg.key_file = "/nonexistent/key.pem";
    expect_bad_ctx(&r.ccfg, TH_INTERNAL_ERROR, "a client key that is not there");
    r.ccfg.key_file = client_key;
    r.ccfg.cert_file = rsa_key;
    expect_bad_ctx(&r.ccfg, TH_INTERNAL_ERROR, "a client chain holding no certificate");
    run_free(&r);
}

/* The GnuTLS ends against another backend's, where its caps say it can. */
static void test_cross(const struct th_backend *other)
{
    struct th_caps caps;
    other->caps(&caps);
    /* the newest version both have (mbedTLS 2.28: TLS 1.2) */
    unsigned v = caps.versions & V13 ? V13 : V12;
    enum th_outcome none = v == V13 ? TH_CERTIFICATE_REQUIRED : TH_HANDSHAKE_FAILURE;
    if (caps.features & TH_CAP_CLIENT_CERT) {
        expect_accepted(other, G, TH_CLIENT_AUTH_REQUIRE, "client", v);
        expect_accepted(other, G, TH_CLIENT_AUTH_REQUIRE, "client", V12);
        expect_refused(other, G, "client-expired", v, TH_EXPIRED, TH_EXPIRED);
        expect_refused(other, G, "client-untrusted-full", v, TH_UNKNOWN_CA, TH_UNKNOWN_CA);
        expect_refused(other, G, NULL, v, TH_CERTIFICATE_REQUIRED, none);
        expect_refused(other, G, NULL, V12, TH_CERTIFICATE_REQUIRED, TH_HANDSHAKE_FAILURE);
    } else {
        skip(1, "client certificates from this backend's client (no TH_CAP_CLIENT_CERT yet)");
    }
    if (caps.features & TH_CAP_CLIENT_AUTH) {
        expect_accepted(G, other, TH_CLIENT_AUTH_REQUIRE, "client", v);
        expect_accepted(G, other, TH_CLIENT_AUTH_REQUEST, NULL, V12);
        expect_refused(G, other, "client-expired", v, TH_EXPIRED, TH_EXPIRED);
        expect_refused(G, other, "client-untrusted-full", v, TH_UNKNOWN_CA, TH_UNKNOWN_CA);
        expect_refused(G, other, NULL, v, TH_CERTIFICATE_REQUIRED, none);
    } else {
        skip(1, "this backend's server asking for client certificates (no TH_CAP_CLIENT_AUTH)");
    }
}

int main(void)
{
    struct th_caps caps;
    if (pd_begin("gnutls-mtls") != 0 || G->init() != 0)
        return pd_end();
    G->caps(&caps);
    ok((caps.features & (TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH)) ==
           (TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH),
       "caps: client certificates in both roles");
    test_gnutls_server();
    test_untrusted_chain();
    test_not_asked();
    test_bad_config();
#ifdef TH_HAVE_OPENSSL
    if (th_backend_openssl.init == NULL || th_backend_openssl.init() == 0)
        test_cross(&th_backend_openssl);
#endif
#ifdef TH_HAVE_MBEDTLS
    if (th_backend_mbedtls.init == NULL || th_backend_mbedtls.init() == 0)
        test_cross(&th_backend_mbedtls);
#endif
    G->cleanup();
    return pd_end();
}
