/* th_serve_tls_fd (harness/http/serve.c) with the OpenSSL backend: a user's own
 * chain file served as given; client certificates required (a client without one
 * gets no handshake, one with a good certificate gets through, and the page and the
 * log say it verified) and requested (none is fine, and said); an OCSP response
 * stapled as given (when the backend can staple); a configuration the library
 * refuses said in its words. */
#include "pairdrive.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "harness/http/serve.h"
#include "harness/vocab/util.h"
#include "serve_thread.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const OSSL = &th_backend_openssl;

#define SEC 1000000000ull

/* ---- th_serve_tls_fd in a thread ---- */

/* With t's settings (st_start copies them); its log kept for the checks. */
static int srv_start(struct st_srv *s, const struct th_serve_tls *t)
{
    return st_start(s, OSSL, NULL, 0, t, tmpfile());
}

/* ---- one client connection ---- */

/* A client trusting root, presenting leaf (a pki name; NULL: none), asking for a
 * staple as ocsp says. */
static struct th_ctx *client_ctx(const char *leaf, enum th_ocsp_mode ocsp)
{
    static char ca[512], chain[512], key[512];
    pki_path(ca, sizeof(ca), "root.pem");
    struct th_tls_config cfg = st_client_cfg(ca);
    cfg.ocsp = ocsp;
    if (leaf) {
        snprintf(chain, sizeof(chain), "%s/%s.chain.pem", pkidir, leaf);
        snprintf(key, sizeof(key), "%s/%s.key.pem", pkidir, leaf);
        cfg.cert_file = chain;
        cfg.key_file = key;
    }
    struct th_ctx *ctx = NULL;
    struct th_error e;
    return OSSL->ctx_new(&cfg, &ctx, &e) == 0 ? ctx : NULL;
}

/* GET / with Connection: close: the response into out, what was negotiated into
 * neg; the bytes read, or -1 when no response came (the failure in *e). A TLS 1.3
 * server refuses a missing client certificate after the client's handshake ended,
 * so the refusal shows on the read. */
static long get_root(struct th_ctx *ctx, uint16_t port, char *out, size_t cap,
                     struct th_negotiated *neg, struct th_error *e)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    struct th_tcp t;
    struct th_conn *c = NULL;
    uint64_t ns;
    memset(e, 0, sizeof(*e));
    memset(neg, 0, sizeof(*neg));
    int fd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 5 * SEC, &ns, e);
    if (fd < 0)
        return -1;
    th_tcp_init(&t, fd);
    long got = -1;
    enum th_step st = TH_STEP_FAILED;
    if (OSSL->conn_new(ctx, &t.io, NULL, &c, e) == 0)
        while ((st = OSSL->handshake(c, e)) != TH_STEP_DONE && st_settle(&t, st) == TH_STEP_DONE)
            ;
    if (st == TH_STEP_DONE) {
        OSSL->negotiated(c, neg);
        size_t off = 0, len = strlen(req), n = 0;
        while (off < len && (st = OSSL->write(c, req + off, len - off, &n, e)) != TH_STEP_FAILED &&
               st != TH_STEP_CLOSED && st_settle(&t, st) == TH_STEP_DONE)
            off += n, n = 0;
        size_t have = 0;
        while (have < cap - 1) {
            n = 0;
            st = OSSL->read(c, out + have, cap - 1 - have, &n, e);
            have += n;
            if (st == TH_STEP_CLOSED || st == TH_STEP_FAILED || st_settle(&t, st) != TH_STEP_DONE)
                break;
        }
        out[have] = '\0';
        got = have ? (long)have : -1;
    }
    if (c)
        OSSL->conn_free(c);
    th_tcp_close(&t);
    return got;
}

static char resp[1 << 14];

/* ---- the cases ---- */

/* A copy of a pki file under a name of the user's in the temp folder. */
static int copy_file(const char *from_name, const char *to)
{
    char from[512];
    size_t len = 0;
    pki_path(from, sizeof(from), from_name);
    char *data = th_read_file(from, &len);
    int rc = data ? th_write_file_atomic(to, data, len) : -1;
    free(data);
    return rc;
}

static void test_own_chain(struct th_ctx *plain)
{
    char chain[300], key[300], log[4096];
    struct th_negotiated neg;
    struct th_error e;
    struct st_srv s;
    snprintf(chain, sizeof(chain), "%s/my chain.pem", pd_tmpdir);
    snprintf(key, sizeof(key), "%s/my key.pem", pd_tmpdir);
    if (!ok(copy_file("ecdsa-p256.chain.pem", chain) == 0 &&
                copy_file("ecdsa-p256.key.pem", key) == 0,
            "a chain and key file of the user's"))
        return;
    struct th_serve_tls t = {.cert_file = chain, .key_file = key};
    if (!ok(srv_start(&s, &t) == 0, "served from files"))
        return;
    long n = get_root(plain, s.port, resp, sizeof(resp), &neg, &e);
    ok(n > 0 && strstr(resp, "HTTP/1.1 200 OK") && !strstr(resp, "client certificate"),
       "GET / over the user's chain: 200, no client certificate line (%s)", e.text);
    ok(neg.version == TH_TLS13 && !neg.cert_requested, "no client certificate was asked for");
    st_stop_log(&s, log, sizeof(log));
    ok(s.rc == 0 && strstr(log, ": TLS 1.3 ") && !strstr(log, "client certificate"),
       "the log line has no client certificate part when none is asked for");
}

static void test_client_auth(struct th_ctx *plain, struct th_ctx *with_cert,
                             struct th_ctx *untrusted)
{
    char chain[512], key[512], root[512], log[4096];
    struct th_negotiated neg;
    struct th_error e;
    struct st_srv s;
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    pki_path(root, sizeof(root), "root.pem");
    struct th_serve_tls t = {.cert_file = chain,
                             .key_file = key,
                             .client_auth = TH_CLIENT_AUTH_REQUIRE,
                             .client_ca_file = root};
    if (!ok(srv_start(&s, &t) == 0, "served with client_auth require"))
        return;
    long n = get_root(plain, s.port, resp, sizeof(resp), &neg, &e);
    ok(n == -1 && (e.outcome == TH_CERTIFICATE_REQUIRED || e.outcome == TH_HANDSHAKE_FAILURE),
       "require, no client certificate: refused, %s (%s)", th_outcome_name(e.outcome), e.text);
    n = get_root(untrusted, s.port, resp, sizeof(resp), &neg, &e);
    ok(n == -1 && e.outcome != TH_OK,
       "require, a client certificate from another CA: refused (%s: %s)",
       th_outcome_name(e.outcome), e.text);
    n = get_root(with_cert, s.port, resp, sizeof(resp), &neg, &e);
    ok(n > 0 && strstr(resp, "200 OK") && strstr(resp, "\nclient certificate: verified\n"),
       "require, the pki client certificate: 200, the page says it verified (%s)", e.text);
    ok(neg.cert_requested && neg.client_cert, "the client saw the request and sent its own");
    st_stop_log(&s, log, sizeof(log));
    ok(strstr(log, ", client certificate verified\n") != NULL,
       "the log line says the client certificate verified");
    ok(strstr(log, ": handshake failed: ") || strstr(log, "then failed"),
       "the refused clients are logged");

    t.client_auth = TH_CLIENT_AUTH_REQUEST;
    if (!ok(srv_start(&s, &t) == 0, "served with client_auth request"))
        return;
    n = get_root(plain, s.port, resp, sizeof(resp), &neg, &e);
    ok(n > 0 && strstr(resp, "200 OK") && strstr(resp, "\nclient certificate: none\n"),
       "request, no client certificate: 200, the page says none came (%s)", e.text);
    ok(neg.cert_requested && !neg.client_cert, "the client saw the request and sent none");
    st_stop_log(&s, log, sizeof(log));
    ok(strstr(log, ", client certificate none\n") != NULL, "the log line says none came");
}

static void test_staple(void)
{
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    OSSL->caps(&caps);
    if (!(caps.features & TH_CAP_OCSP_STAPLE) || !(caps.features & TH_CAP_OCSP_REQUIRE)) {
        skip(1, "the openssl backend cannot staple or require a staple yet");
        return;
    }
    char chain[512], key[512], ocsp[512], log[4096];
    struct th_negotiated neg;
    struct th_error e;
    struct st_srv s;
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    pki_path(ocsp, sizeof(ocsp), "ocsp-good.der");
    struct th_ctx *req = client_ctx(NULL, TH_OCSP_REQUIRE);
    struct th_serve_tls t = {.cert_file = chain, .key_file = key};
    if (req && srv_start(&s, &t) == 0) {
        long n = get_root(req, s.port, resp, sizeof(resp), &neg, &e);
        ok(n == -1 && e.outcome == TH_OCSP_MISSING,
           "no --ocsp: a client requiring a staple fails, ocsp_missing (%s)", e.text);
        st_stop_log(&s, log, sizeof(log));
    }
    t.ocsp_file = ocsp;
    if (req && ok(srv_start(&s, &t) == 0, "served with ocsp-good")) {
        long n = get_root(req, s.port, resp, sizeof(resp), &neg, &e);
        ok(n > 0 && neg.ocsp == TH_STAPLE_GOOD,
           "the response is stapled: a client requiring it sees good (%s)", e.text);
        st_stop_log(&s, log, sizeof(log));
    }
    if (req)
        OSSL->ctx_free(req);
}

static void test_refused(void)
{
    char chain[512], key[512];
    struct th_error err = {0};
    volatile sig_atomic_t stop = 0;
    uint16_t port = 0;
    int lfd = th_tcp_listen("127.0.0.1", &port);
    FILE *f = tmpfile();
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "ecdsa-p256.key.pem");
    struct th_serve_tls t = {.cert_file = chain, .key_file = key};
    ok(th_serve_tls_fd(OSSL, lfd, &t, 1, &stop, f, &err) == -1 &&
           strstr(err.text, "openssl server context: ") && err.text[0],
       "a key that is not the chain's: the library's refusal in its words (%s)", err.text);
    snprintf(chain, sizeof(chain), "%s/nosuch.pem", pd_tmpdir);
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    ok(th_serve_tls_fd(OSSL, lfd, &t, 1, &stop, f, &err) == -1,
       "a chain file that is not there: refused (%s)", err.text);
    fclose(f);
    close(lfd);
}

int main(void)
{
    if (pd_begin("serve-tls") != 0)
        return pd_end();
    signal(SIGPIPE, SIG_IGN);
    struct th_ctx *plain = client_ctx(NULL, TH_OCSP_OFF),
                  *with_cert = client_ctx("client", TH_OCSP_OFF),
                  *untrusted = client_ctx("client-untrusted", TH_OCSP_OFF);
    if (ok(plain && with_cert && untrusted, "client contexts")) {
        test_own_chain(plain);
        test_client_auth(plain, with_cert, untrusted);
    }
    test_staple();
    test_refused();
    struct th_ctx *ctxs[] = {plain, with_cert, untrusted};
    for (size_t i = 0; i < TH_ARRAY_LEN(ctxs); i++)
        if (ctxs[i])
            OSSL->ctx_free(ctxs[i]);
    return pd_end();
}
