/* Client certificates (mTLS, issue 12 item 5) on both libcurl flavours: each
 * presents the PKI's client leaf (CURLOPT_SSLCERT/SSLKEY, PEM) to a server of the
 * test's own (curl_tsrv.h, the OpenSSL backend) that requests or requires one, and
 * reports whether it was asked and sent one; the server's refusals reach the client
 * as the outcome its alert names, with curl's code and text. */
#include "curlcheck.h"

#include <signal.h>

#include "curl_tsrv.h"

static char cchain[512], ckey[512], missing[512];

static struct th_tls_config cauth_client(const char *leaf, unsigned versions)
{
    struct th_tls_config cfg = client_cfg();
    cfg.versions = versions;
    if (leaf) {
        snprintf(cchain, sizeof(cchain), "%s/%s.chain.pem", pkidir, leaf);
        snprintf(ckey, sizeof(ckey), "%s/%s.key.pem", pkidir, leaf);
        cfg.cert_file = cchain;
        cfg.key_file = ckey;
    }
    return cfg;
}

/* The server's view of its latest connection. */
static const struct th_negotiated *last_neg(const struct tsrv *s)
{
    return &s->neg[s->conns > 0 && s->conns <= TS_MAX ? s->conns - 1 : TS_MAX - 1];
}

static const char *vname(unsigned versions)
{
    return versions == V13 ? "TLS 1.3" : "TLS 1.2";
}

/* Against a server requiring a client certificate. */
static void test_require(struct tsrv *s, unsigned v)
{
    char what[96];
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        const struct th_backend *b = flavours[i];
        struct th_fetch_result r;
        struct th_tls_config cfg = cauth_client("client", v);
        snprintf(what, sizeof(what), "%s require, good client leaf", vname(v));
        int rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
        if (fetch_ok(b, &r, rc, what)) {
            ok(r.neg.cert_requested && r.neg.client_cert, "%s %s: asked, and sent one", b->name,
               what);
            ok(last_neg(s)->client_cert, "%s %s: the server verified it", b->name, what);
            is_int(r.http_status, 200, "%s %s: HTTP 200", b->name, what);
        }
        result_free(&r);

        cfg = cauth_client(NULL, v);
        snprintf(what, sizeof(what), "%s require, no client certificate", vname(v));
        rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
        /* TLS 1.3 has an alert for it (116); a TLS 1.2 server can only send
         * handshake_failure */
        fetch_fails(b, &r, rc, v == V13 ? TH_CERTIFICATE_REQUIRED : TH_HANDSHAKE_FAILURE, what);
        result_free(&r);

        cfg = cauth_client("client-expired", v);
        snprintf(what, sizeof(what), "%s require, expired client leaf", vname(v));
        rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
        fetch_fails(b, &r, rc, TH_EXPIRED, what); /* alert certificate_expired */
        result_free(&r);
    }
}

/* Against a server that only requests one: without one the fetch succeeds. */
static void test_request(struct tsrv *s)
{
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        const struct th_backend *b = flavours[i];
        struct th_fetch_result r;
        struct th_tls_config cfg = cauth_client(NULL, V12 | V13);
        int rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
        if (fetch_ok(b, &r, rc, "request, no client certificate")) {
            ok(r.neg.cert_requested, "%s: saw the request", b->name);
            ok(!r.neg.client_cert && !last_neg(s)->client_cert, "%s: sent none, none arrived",
               b->name);
        }
        result_free(&r);
    }
}

/* Against a server that asks nothing: a client with a certificate sends none. */
static void test_none(struct tsrv *s)
{
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        const struct th_backend *b = flavours[i];
        struct th_fetch_result r;
        struct th_tls_config cfg = cauth_client("client", V12 | V13);
        int rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
        if (fetch_ok(b, &r, rc, "no request, client has a leaf"))
            ok(!r.neg.cert_requested && !r.neg.client_cert && !last_neg(s)->client_cert,
               "%s: not asked, sent none", b->name);
        result_free(&r);
        /* a certificate file the library cannot load: the harness's set-up */
        cfg.cert_file = missing;
        cfg.key_file = missing;
        rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
        fetch_fails(b, &r, rc, TH_INTERNAL_ERROR, "a client certificate file that is missing");
        result_free(&r);
    }
}

static void test_caps(void)
{
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        struct th_caps caps;
        flavours[i]->caps(&caps);
        ok((caps.features & TH_CAP_CLIENT_CERT) && !(caps.features & TH_CAP_CLIENT_AUTH),
           "%s: presents a client certificate; no server role", flavours[i]->name);
    }
}

/* A server asking in `mode` at `versions`; the test run against it. */
static void with_server(enum th_client_auth mode, unsigned versions,
                        void (*test)(struct tsrv *s, unsigned v))
{
    struct tsrv s;
    char ca[512];
    tsrv_init(&s, "rsa2048");
    pki_path(ca, sizeof(ca), "root.pem");
    s.cfg.versions = versions;
    s.cfg.client_auth = mode;
    s.cfg.client_ca_file = ca;
    if (tsrv_start(&s) == 0) {
        test(&s, versions);
        tsrv_stop(&s);
    }
}

static void run_request(struct tsrv *s, unsigned v)
{
    (void)v;
    test_request(s);
}

static void run_none(struct tsrv *s, unsigned v)
{
    (void)v;
    test_none(s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("curl-cauth") != 0 || cc_flavours_ready() != 0)
        return pd_end();
    snprintf(missing, sizeof(missing), "%s/missing.pem", pd_tmpdir);
    test_caps();
    with_server(TH_CLIENT_AUTH_REQUIRE, V13, test_require);
    with_server(TH_CLIENT_AUTH_REQUIRE, V12, test_require);
    with_server(TH_CLIENT_AUTH_REQUEST, V12 | V13, run_request);
    with_server(TH_CLIENT_AUTH_NONE, V12 | V13, run_none);
    return cc_end();
}
