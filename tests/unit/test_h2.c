/* HTTP/2 (harness/http/h2.c, loadgen_h2.c, serve.c's h2 side) against real servers
 * on 127.0.0.1: th_serve_fd in a thread (which answers h2 when ALPN chooses it)
 * with the OpenSSL and GnuTLS backends, and a small h2 server whose answers go wrong
 * on purpose (a short body, a 500), so every check of a response can fail. */
#include "pairdrive.h"

#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/http/h2.h"
#include "harness/http/loadgen.h"
#include "harness/http/serve.h"
#include "harness/vocab/util.h"
#include "serve_thread.h"

extern const struct th_backend th_backend_openssl;
#ifdef TH_HAVE_GNUTLS
extern const struct th_backend th_backend_gnutls;
#endif
static const struct th_backend *const OSSL = &th_backend_openssl;

/* got contains want */
#define like(got, want, ...) ok(strstr((got), (want)) != NULL, __VA_ARGS__)

/* ---- th_serve_fd in a thread ---- */

/* From the pki's rsa2048, with resumption; the log says how many it answered. */
static int srv_start(struct st_srv *s, const struct th_backend *b)
{
    if (st_start(s, b, "rsa2048", 1, NULL, tmpfile()) != 0) {
        ok(0, "server started");
        return -1;
    }
    return 0;
}

/* ---- the client ---- */

static struct th_ctx *client_ctx(const struct th_backend *b, int alpn_h2, enum th_resume resume)
{
    char ca[512];
    pki_path(ca, sizeof(ca), "root.pem");
    struct th_tls_config cfg = st_client_cfg(ca);
    cfg.resume = resume;
    if (alpn_h2) {
        cfg.alpn[0] = "h2";
        cfg.n_alpn = 1;
    }
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    if (b->ctx_new(&cfg, &ctx, &e) != 0)
        ok(0, "%s client ctx: %s", b->name, e.text);
    return ctx;
}

static struct th_loadgen_params params(uint16_t port, uint64_t requests, unsigned conns,
                                       unsigned streams, const char *path)
{
    return (struct th_loadgen_params){.host = "127.0.0.1",
                                      .port = port,
                                      .path = path,
                                      .requests = requests,
                                      .timeout_s = 5,
                                      .max_seconds = 20,
                                      .connections = conns,
                                      .http2 = 1,
                                      .streams = streams};
}

static int run(const struct th_backend *b, struct th_ctx *ctx, const struct th_loadgen_params *p,
               struct th_loadgen_stats *st)
{
    return st_run(b, ctx, p, st, NULL);
}

/* ---- against serve ---- */

static void test_streams(const struct th_backend *cb, const struct th_backend *sb)
{
    struct st_srv s;
    if (srv_start(&s, sb) != 0)
        return;
    struct th_ctx *ctx = client_ctx(cb, 1, TH_RESUME_NONE);
    struct th_loadgen_params p = params(s.port, 300, 3, 8, "/bytes/5000");
    struct th_loadgen_stats st;
    char what[80];
    snprintf(what, sizeof(what), "%s vs %s serve, h2 x8 streams", cb->name, sb->name);
    if (ctx && run(cb, ctx, &p, &st) == 0) {
        is_int(st.requests, 300, "%s: 300 requests", what);
        is_int(st_total_errors(&st), 0, "%s: no errors", what);
        is_int(st.connections, 3, "%s: over 3 connections", what);
        is_str(st.neg.alpn, "h2", "%s: ALPN h2 negotiated", what);
        is_int(st.body_bytes, 300 * 5000, "%s: every body byte checked", what);
        /* a connection whose handshake ends after the others took every request has
         * no first response to time */
        ok(st.n_latency == 300 && st.n_phase >= 1 && st.n_phase <= 3,
           "%s: 300 latencies, up to 3 connections timed (%zu)", what, st.n_phase);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        cb->ctx_free(ctx);
    is_int(st_stop_count(&s), 300, "%s: the server answered 300 over h2", what);
}

/* By time with expect_sha256 (right, then wrong), a 404, no ALPN h2, and the same
 * server speaking HTTP/1.1 to a client that does not ask for h2. */
static void test_by_time_and_sha(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, 1, TH_RESUME_NONE);
    unsigned char body[1000], sum[32];
    th_pattern_fill(0, 0, body, sizeof(body));
    unsigned len = 0;
    EVP_Digest(body, sizeof(body), sum, &len, EVP_sha256(), NULL);
    struct th_loadgen_params p = params(s.port, 0, 2, 4, "/bytes/1000");
    p.seconds = 0.3;
    p.expect_sha256 = sum;
    struct th_loadgen_stats st;
    if (ctx && run(OSSL, ctx, &p, &st) == 0) {
        ok(st.requests > 10 && st_total_errors(&st) == 0,
           "by time with the right SHA-256: %llu, "
           "no errors",
           (unsigned long long)st.requests);
        is_int(st.bodies_hashed, st.requests, "every body hashed");
        th_loadgen_stats_free(&st);
    }
    sum[5] ^= 1;
    p = params(s.port, 20, 1, 4, "/bytes/1000");
    p.expect_sha256 = sum;
    if (ctx && run(OSSL, ctx, &p, &st) == 0) {
        ok(st.requests == 0 && st.errors[TH_INTERNAL_ERROR] > 0, "a wrong SHA-256 fails");
        like(st.first_error.text, "SHA-256", "  saying so: %s", st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    p = params(s.port, 5, 1, 1, "/nothing-here");
    if (ctx && run(OSSL, ctx, &p, &st) == 0) {
        ok(st.requests == 0 && st.errors[TH_INTERNAL_ERROR] > 0, "a 404 fails");
        like(st.first_error.text, "status 404", "  saying so: %s", st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    struct th_ctx *h1 = client_ctx(OSSL, 0, TH_RESUME_NONE);
    p = params(s.port, 5, 1, 1, "/");
    if (h1 && run(OSSL, h1, &p, &st) == 0) {
        ok(st.requests == 0 && st.errors[TH_INTERNAL_ERROR] > 0, "no ALPN offered: h2 fails");
        like(st.first_error.text, "ALPN negotiated nothing, h2 asked", "  saying so: %s",
             st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    /* the same server still speaks HTTP/1.1 to a client that does not ask for h2 */
    p.http2 = 0;
    if (h1 && run(OSSL, h1, &p, &st) == 0) {
        ok(st.requests == 5 && st_total_errors(&st) == 0, "HTTP/1.1 still served");
        th_loadgen_stats_free(&st);
    }
    if (h1)
        OSSL->ctx_free(h1);
    st_stop_count(&s);
}

static void test_resumed(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, 1, TH_RESUME_TICKET);
    struct th_loadgen_params p = params(s.port, 30, 3, 2, "/bytes/10");
    p.resume = TH_RESUME_TICKET;
    struct th_loadgen_stats st;
    if (ctx && run(OSSL, ctx, &p, &st) == 0) {
        ok(st.requests == 30 && st_total_errors(&st) == 0 && st.resumed == 0,
           "resume asked, nothing reconnects: 30 requests, none resumed");
        th_loadgen_stats_free(&st);
        OSSL->ctx_free(ctx);
    }
    st_stop_count(&s);
}

/* ---- a server whose answers go wrong ---- */

static int bad_mode; /* 0: bodies one byte short; 1: status 500; 2: right; 3: right,
                      * with a GOAWAY after every 5th request of a connection */
static unsigned bad_count;

static void bad_route(void *arg, const char *method, const char *path, struct th_h2_answer *a)
{
    unsigned long n = strtoul(path + 7, NULL, 10);
    a->status = bad_mode == 1 ? 500 : 200;
    a->pattern = 1;
    a->pattern_len = bad_mode == 0 && n ? n - 1 : n;
    a->goaway = bad_mode == 3 && ++bad_count % 5 == 0;
}

struct bad_srv {
    int lfd;
    uint16_t port;
    volatile sig_atomic_t stop;
    struct th_ctx *ctx;
    pthread_t t;
};

/* One connection at a time, waited for with poll. */
static void *bad_main(void *arg)
{
    struct bad_srv *s = arg;
    while (!s->stop) {
        struct pollfd pf = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        struct th_tcp tcp;
        th_tcp_init(&tcp, fd);
        struct th_conn *c = NULL;
        struct th_error e = {0};
        enum th_step hs = TH_STEP_FAILED;
        if (OSSL->conn_new(s->ctx, &tcp.io, NULL, &c, &e) == 0)
            while ((hs = OSSL->handshake(c, &e)) == TH_STEP_WANT_READ || hs == TH_STEP_WANT_WRITE) {
                struct pollfd hf = {.fd = fd, .events = hs == TH_STEP_WANT_READ ? POLLIN : POLLOUT};
                if (s->stop || poll(&hf, 1, 1000) <= 0)
                    break;
            }
        if (hs == TH_STEP_DONE) {
            struct th_h2 *h = th_h2_server_new(OSSL, c, bad_route, NULL, &e);
            enum th_step st = TH_STEP_DONE;
            while (h && !s->stop &&
                   (st == TH_STEP_DONE || st == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE)) {
                struct pollfd cf = {.fd = fd,
                                    .events = st == TH_STEP_WANT_WRITE ? POLLOUT : POLLIN};
                if (st == TH_STEP_DONE || poll(&cf, 1, 50) > 0)
                    st = th_h2_pump(h, &e);
                else if (st != TH_STEP_DONE)
                    continue;
            }
            th_h2_free(h);
        }
        if (c)
            OSSL->conn_free(c);
        th_tcp_close(&tcp);
    }
    return NULL;
}

static void bad_case(struct th_ctx *cctx, int mode, const char *want)
{
    struct bad_srv s = {0};
    char cert[512], key[512];
    pki_path(cert, sizeof(cert), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    struct th_tls_config cfg = {.role = TH_ROLE_SERVER,
                                .versions = V12 | V13,
                                .cert_file = cert,
                                .key_file = key,
                                .alpn = {"h2"},
                                .n_alpn = 1};
    struct th_error e = {0};
    bad_mode = mode;
    s.lfd = th_tcp_listen("127.0.0.1", &s.port);
    if (!ok(OSSL->ctx_new(&cfg, &s.ctx, &e) == 0, "bad server context (%s)", e.text) ||
        pthread_create(&s.t, NULL, bad_main, &s) != 0)
        return;
    struct th_loadgen_params p =
        params(s.port, mode == 3 ? 40 : 3, 1, mode == 3 ? 4 : 1, "/bytes/100");
    struct th_loadgen_stats st;
    if (run(OSSL, cctx, &p, &st) == 0) {
        if (mode == 2)
            ok(st.requests == 3 && st_total_errors(&st) == 0, "control: a right server passes");
        else if (mode == 3)
            /* at most 5 verified a connection; answers to streams past the GOAWAY's
             * last id count on the server and are dropped by the client, so more */
            ok(st.requests == 40 && st_total_errors(&st) == 0 && st.connections >= 8,
               "GOAWAY after every 5th answer: 40 requests, 4 streams at once, the refused "
               "streams sent again on new connections, no errors (%llu connections)",
               (unsigned long long)st.connections);
        else
            ok(st.requests == 0 && st_total_errors(&st) > 0, "%s: fails", want);
        if (mode != 2)
            like(st.first_error.text, want, "  saying so: %s", st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    s.stop = 1;
    pthread_join(s.t, NULL);
    close(s.lfd);
    OSSL->ctx_free(s.ctx);
}

int main(void)
{
    if (pd_begin("h2") != 0)
        return pd_end();
    signal(SIGPIPE, SIG_IGN);
    test_streams(OSSL, OSSL);
#ifdef TH_HAVE_GNUTLS
    test_streams(&th_backend_gnutls, &th_backend_gnutls);
    test_streams(OSSL, &th_backend_gnutls);
#endif
    test_by_time_and_sha();
    test_resumed();
    struct th_ctx *ctx = client_ctx(OSSL, 1, TH_RESUME_NONE);
    if (ctx) {
        bad_case(ctx, 2, "");
        bad_case(ctx, 3, "");
        bad_case(ctx, 0, "body of 99 bytes");
        bad_case(ctx, 1, "status 500");
        OSSL->ctx_free(ctx);
    }
    return pd_end();
}
