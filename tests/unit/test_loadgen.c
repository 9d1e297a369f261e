/* The load generator (harness/http/loadgen.c) against real servers on 127.0.0.1:
 * th_serve_fd in a thread with the OpenSSL and GnuTLS backends, a listener that
 * never accepts, a port with nobody on it, and a small fake HTTPS server whose
 * answers go wrong on purpose (a flipped body byte, a close mid-body, a 404, chunked
 * coding). The response reader and the payload check: test_response.c. */
#include "pairdrive.h"

#include <signal.h>
#include <unistd.h>

#include "harness/http/loadgen.h"
#include "harness/http/serve.h"
#include "harness/vocab/util.h"
#include "serve_thread.h"

extern const struct th_backend th_backend_openssl;
#ifdef TH_HAVE_GNUTLS
extern const struct th_backend th_backend_gnutls;
#endif
static const struct th_backend *const OSSL = &th_backend_openssl;

#define SEC 1000000000ull

/* ---- a th_serve_fd server in a thread ---- */

/* tls: served with these settings instead of the pki's rsa2048 (NULL: rsa2048). The
 * log goes to a file of its own, to be counted at the stop. */
static int srv_start_tls(struct st_srv *s, const struct th_backend *b, int resumption,
                         const struct th_serve_tls *tls)
{
    static int n;
    char path[300];
    snprintf(path, sizeof(path), "%s/serve-%d.log", pd_tmpdir, n++);
    if (st_start(s, b, "rsa2048", resumption, tls, fopen(path, "w+")) != 0) {
        ok(0, "server started");
        return -1;
    }
    return 0;
}

static int srv_start(struct st_srv *s, const struct th_backend *b, int resumption)
{
    return srv_start_tls(s, b, resumption, NULL);
}

/* ---- the client side ---- */

static struct th_ctx *client_ctx(const struct th_backend *b, const char *ca, unsigned versions,
                                 enum th_resume resume)
{
    char ca_path[512];
    pki_path(ca_path, sizeof(ca_path), ca);
    struct th_tls_config cfg = st_client_cfg(ca_path);
    cfg.versions = versions;
    cfg.resume = resume;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    if (b->ctx_new(&cfg, &ctx, &e) != 0)
        ok(0, "%s client ctx: %s", b->name, e.text);
    return ctx;
}

static struct th_loadgen_params params(uint16_t port, uint64_t requests, unsigned conns,
                                       const char *path)
{
    return (struct th_loadgen_params){.host = "127.0.0.1",
                                      .port = port,
                                      .path = path,
                                      .requests = requests,
                                      .timeout_s = 5,
                                      .max_seconds = 20,
                                      .connections = conns};
}

static int all_positive(const uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!v[i])
            return 0;
    return 1;
}

/* ---- keep-alive and new connections against th_serve_fd ---- */

static void test_keepalive(const struct th_backend *cb, const struct th_backend *sb)
{
    struct st_srv s;
    if (srv_start(&s, sb, 0) != 0)
        return;
    struct th_ctx *ctx = client_ctx(cb, "root.pem", V12 | V13, TH_RESUME_NONE);
    struct th_loadgen_params p = params(s.port, 200, 4, "/bytes/1024");
    struct th_loadgen_stats st;
    char what[64];
    snprintf(what, sizeof(what), "%s vs %s keep-alive", cb->name, sb->name);
    if (ctx && st_run(cb, ctx, &p, &st, NULL) == 0) {
        is_int(st.requests, 200, "%s: 200 requests", what);
        is_int(st.connections, 4, "%s: over 4 connections", what);
        is_int(st_total_errors(&st), 0, "%s: no errors", what);
        ok(st.n_latency == 200 && all_positive(st.latency_ns, 200), "%s: 200 latencies", what);
        ok(st.n_phase == 4 && all_positive(st.connect_ns, 4) && all_positive(st.tls_ns, 4) &&
               all_positive(st.first_byte_ns, 4),
           "%s: connect, TLS and first-byte times of 4 connections", what);
        is_int(st.body_bytes, 200 * 1024, "%s: every body byte checked", what);
        ok(st.resumed == 0 && st.wall_ns > 0 && st.cpu_ns > 0,
           "%s: not resumed; wall %.1f ms, "
           "cpu %.1f ms",
           what, st.wall_ns / 1e6, st.cpu_ns / 1e6);
        th_loadgen_stats_free(&st);
        ok(st.latency_ns == NULL && st.n_latency == 0, "%s: stats freed", what);
    }
    if (ctx)
        cb->ctx_free(ctx);
    is_int(st_stop_count(&s), 200, "%s: the server answered 200 requests, no more", what);
}

static void expect_new_conns(const struct th_backend *cb, const struct th_backend *sb,
                             unsigned versions, enum th_resume resume, uint64_t want_resumed,
                             const char *what)
{
    struct st_srv s;
    if (srv_start(&s, sb, 1) != 0)
        return;
    struct th_ctx *ctx = client_ctx(cb, "root.pem", versions, resume);
    struct th_loadgen_params p = params(s.port, 40, 4, "/bytes/100");
    p.new_connection_per_request = 1;
    p.resume = resume;
    struct th_loadgen_stats st;
    if (ctx && st_run(cb, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 40 && st_total_errors(&st) == 0, "%s: 40 requests, no errors", what);
        is_int(st.connections, 40, "%s: 40 connections", what);
        is_int(st.resumed, want_resumed, "%s: resumed", what);
        is_int(st.n_phase, 40, "%s: 40 connections timed", what);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        cb->ctx_free(ctx);
    is_int(st_stop_count(&s), 40, "%s: the server answered 40", what);
}

static void test_new_connections(void)
{
    /* the first connection of each of the 4 slots is full, the other 36 resume */
    expect_new_conns(OSSL, OSSL, V12 | V13, TH_RESUME_TICKET, 36, "ticket, TLS 1.3");
    expect_new_conns(OSSL, OSSL, V12, TH_RESUME_TICKET, 36, "ticket, TLS 1.2");
    expect_new_conns(OSSL, OSSL, V12, TH_RESUME_SESSION_ID, 36, "session id, TLS 1.2");
    expect_new_conns(OSSL, OSSL, V12 | V13, TH_RESUME_NONE, 0, "full handshakes");
#ifdef TH_HAVE_GNUTLS
    expect_new_conns(&th_backend_gnutls, &th_backend_gnutls, V12 | V13, TH_RESUME_TICKET, 36,
                     "gnutls ticket, TLS 1.3");
    expect_new_conns(OSSL, &th_backend_gnutls, V12 | V13, TH_RESUME_TICKET, 36,
                     "openssl vs gnutls ticket");
#endif
}

/* Resumption asked with keep-alive: nothing reconnects, so nothing resumes. */
static void test_resume_keepalive(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL, 1) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_TICKET);
    struct th_loadgen_params p = params(s.port, 50, 2, "/");
    p.resume = TH_RESUME_TICKET;
    struct th_loadgen_stats st;
    if (ctx && st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 50 && st_total_errors(&st) == 0, "resume + keep-alive: 50, no errors");
        ok(st.connections == 2 && st.resumed == 0, "resume + keep-alive: 2 full handshakes");
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    st_stop_count(&s);
}

static void test_big_bodies_and_few_requests(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL, 0) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_NONE);
    struct th_loadgen_params p = params(s.port, 20, 2, "/bytes/65536");
    struct th_loadgen_stats st;
    if (ctx && st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 20 && st_total_errors(&st) == 0, "64 KiB bodies: 20, no errors");
        is_int(st.body_bytes, 20 * 65536, "64 KiB bodies: every byte checked");
        th_loadgen_stats_free(&st);
    }
    /* more connections than requests: the spare ones never open */
    p = params(s.port, 3, 8, "/bytes/10");
    if (ctx && st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 3 && st_total_errors(&st) == 0, "8 connections, 3 requests: 3 done");
        is_int(st.connections, 3, "8 connections, 3 requests: 3 connections opened");
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    is_int(st_stop_count(&s), 23, "the server answered 23 requests in all");
}

static void test_by_time(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL, 0) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_NONE);
    struct th_loadgen_params p = params(s.port, 0, 4, "/bytes/1024");
    p.seconds = 0.5;
    struct th_loadgen_stats st;
    double secs = 0;
    if (ctx && st_run(OSSL, ctx, &p, &st, &secs) == 0) {
        ok(secs >= 0.5 && secs < 1.5, "by time: 0.5 s asked, took %.3f s", secs);
        ok(st.requests > 10 && st_total_errors(&st) == 0, "by time: %llu requests, no errors",
           (unsigned long long)st.requests);
        ok(st.n_latency == st.requests && all_positive(st.latency_ns, st.n_latency),
           "by time: one latency per request (grown past its first size)");
        ok(st.wall_ns <= (uint64_t)(secs * 1e9), "by time: wall %.3f s", st.wall_ns / 1e9);
        th_loadgen_stats_free(&st);
    }
    /* an interrupt already set: stops at once, reporting nothing done */
    volatile sig_atomic_t stop = 1;
    p.interrupt = &stop;
    p.seconds = 5;
    if (ctx && st_run(OSSL, ctx, &p, &st, &secs) == 0) {
        ok(secs < 0.5 && st.requests == 0, "interrupted: returns at once (%.3f s)", secs);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    st_stop_count(&s);
}

/* ---- negotiated other than asked ---- */

static void expect_mismatch(struct th_loadgen_params *p, struct th_ctx *ctx, const char *text,
                            const char *what)
{
    struct th_loadgen_stats st;
    if (st_run(OSSL, ctx, p, &st, NULL) != 0)
        return;
    ok(st.requests == 0 && st.connections == 0, "%s: nothing counts", what);
    ok(st.errors[TH_INTERNAL_ERROR] > 0 && st.errors[TH_INTERNAL_ERROR] == st_total_errors(&st),
       "%s: every connection an internal_error (%llu)", what,
       (unsigned long long)st.errors[TH_INTERNAL_ERROR]);
    ok(strstr(st.first_error.text, text) != NULL, "%s: '%s'", what, st.first_error.text);
    th_loadgen_stats_free(&st);
}

static void test_verification(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL, 1) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_NONE);
    if (!ctx) {
        st_stop_count(&s);
        return;
    }
    struct th_loadgen_params p = params(s.port, 10, 2, "/");
    p.want_version = TH_TLS12;
    expect_mismatch(&p, ctx, "negotiated TLS 1.3, asked 1.2", "version pinned to 1.2");
    p = params(s.port, 10, 2, "/");
    p.want_suite = 0x1303;
    expect_mismatch(&p, ctx, "asked TLS_CHACHA20_POLY1305_SHA256", "suite pinned");
    p = params(s.port, 10, 2, "/");
    p.want_group = 0x0017;
    expect_mismatch(&p, ctx, "negotiated group x25519, asked secp256r1", "group pinned");
    struct th_loadgen_stats st;
    p = params(s.port, 10, 1, "/");
    p.new_connection_per_request = 1;
    p.want_version = TH_TLS13;
    p.want_group = 0x001D;
    if (st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 10 && st_total_errors(&st) == 0,
           "pinned to what is negotiated: no errors");
        th_loadgen_stats_free(&st);
    }
    OSSL->ctx_free(ctx);
    st_stop_count(&s);
}

/* A server without tickets or a cache: later connections cannot resume. */
static void test_not_resumed(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL, 0) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_TICKET);
    struct th_loadgen_params p = params(s.port, 10, 1, "/");
    p.new_connection_per_request = 1;
    p.resume = TH_RESUME_TICKET;
    p.max_seconds = 3;
    struct th_loadgen_stats st;
    if (ctx && st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        is_int(st.requests, 1, "no tickets: only the first (full) connection counts");
        ok(st.errors[TH_INTERNAL_ERROR] > 0 &&
               strstr(st.first_error.text, "not resumed (no session to offer") != NULL,
           "no tickets: '%s'", st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    st_stop_count(&s);
}

static void test_wrong_ca(void)
{
    struct st_srv s;
    if (srv_start(&s, OSSL, 0) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "untrusted-root.pem", V12 | V13, TH_RESUME_NONE);
    struct th_loadgen_params p = params(s.port, 5, 2, "/");
    struct th_loadgen_stats st;
    if (ctx && st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 0 && st.errors[TH_UNKNOWN_CA] > 0, "wrong CA: unknown_ca (%llu)",
           (unsigned long long)st.errors[TH_UNKNOWN_CA]);
        is_str(th_outcome_name(st.first_error.outcome), "unknown_ca", "wrong CA: first error");
        ok(st.first_error.code != 0 && strstr(st.first_error.text, "issuer certificate"),
           "wrong CA: OpenSSL's words: %ld '%s'", st.first_error.code, st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    st_stop_count(&s);
}

/* ---- nobody there, nobody answering ---- */

static void test_nothing_listening(struct th_ctx *ctx)
{
    uint16_t port = 0;
    int lfd = th_tcp_listen("127.0.0.1", &port);
    close(lfd); /* a port that was just free: nobody listens on it */
    struct th_loadgen_params p = params(port, 10, 4, "/");
    p.max_seconds = 2;
    struct th_loadgen_stats st;
    double secs = 0;
    if (st_run(OSSL, ctx, &p, &st, &secs) == 0) {
        ok(st.requests == 0 && st.errors[TH_IO_ERROR] > 0, "nothing listening: io_error (%llu)",
           (unsigned long long)st.errors[TH_IO_ERROR]);
        ok(strstr(st.first_error.text, "Connection refused") != NULL, "nothing listening: '%s'",
           st.first_error.text);
        ok(secs < 2.5, "nothing listening: ends in %.3f s (error cap or time limit)", secs);
        th_loadgen_stats_free(&st);
    }
    p.requests = 0;
    p.seconds = 0.3;
    if (st_run(OSSL, ctx, &p, &st, &secs) == 0) {
        ok(st.errors[TH_IO_ERROR] >= 100 && secs < 1.0,
           "nothing listening, by time: stops at the error cap (%llu errors, %.3f s)",
           (unsigned long long)st.errors[TH_IO_ERROR], secs);
        th_loadgen_stats_free(&st);
    }
}

static void test_never_answers(struct th_ctx *ctx)
{
    uint16_t port = 0;
    int lfd = th_tcp_listen("127.0.0.1", &port); /* never accepted: the kernel completes TCP */
    struct th_loadgen_params p = params(port, 4, 2, "/");
    p.timeout_s = 0.3;
    p.max_seconds = 1.0;
    struct th_loadgen_stats st;
    double secs = 0;
    if (lfd >= 0 && st_run(OSSL, ctx, &p, &st, &secs) == 0) {
        ok(st.requests == 0 && st.errors[TH_TIMEOUT] >= 2, "never answers: timeout (%llu)",
           (unsigned long long)st.errors[TH_TIMEOUT]);
        ok(strstr(st.first_error.text, "no response within 0.3 s (handshake)") != NULL,
           "never answers: '%s'", st.first_error.text);
        ok(secs >= 0.9 && secs < 1.6, "never answers: max_seconds ends it (%.3f s)", secs);
        th_loadgen_stats_free(&st);
    }
    if (lfd >= 0)
        close(lfd);
}

/* ---- a fake server that answers wrongly ---- */

enum fmode { F_CORRUPT, F_TRUNCATE, F_CHUNKED, F_404, F_CLOSE, F_NOLEN };

struct fake {
    enum fmode mode;
    int lfd;
    uint16_t port;
    volatile int stop;
    struct th_ctx *ctx;
    pthread_t t;
};

/* One step of the fake server's connection, waiting on the socket as asked. */
static int fk_wait(struct th_tcp *t, enum th_step st)
{
    if (st != TH_STEP_WANT_READ && st != TH_STEP_WANT_WRITE)
        return -1;
    return th_tcp_wait(t->fd, st == TH_STEP_WANT_WRITE, th_now_ns() + 3 * SEC) == 1 ? 0 : -1;
}

static int fk_write(struct th_tcp *t, struct th_conn *c, const char *buf, size_t len)
{
    struct th_error e;
    size_t off = 0;
    while (off < len) {
        size_t done = 0;
        enum th_step st = OSSL->write(c, buf + off, len - off, &done, &e);
        off += done;
        if (st != TH_STEP_DONE && fk_wait(t, st) != 0)
            return -1;
    }
    return 0;
}

static int fk_read_head(struct th_tcp *t, struct th_conn *c)
{
    char buf[4096];
    size_t len = 0;
    struct th_error e;
    while (len < sizeof(buf) - 1) {
        size_t got = 0;
        enum th_step st = OSSL->read(c, buf + len, sizeof(buf) - 1 - len, &got, &e);
        len += got;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return 0;
        if (st != TH_STEP_DONE && fk_wait(t, st) != 0)
            return -1;
    }
    return -1;
}

/* The response for the mode, into out; its length. */
static size_t fk_response(enum fmode m, char *out)
{
    unsigned char body[1024];
    th_pattern_fill(0, 0, body, sizeof(body));
    size_t n = 0;
    if (m == F_404)
        return (size_t)sprintf(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    if (m == F_CHUNKED) {
        n = (size_t)sprintf(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < sizeof(body); off += 300) {
            size_t k = sizeof(body) - off < 300 ? sizeof(body) - off : 300;
            n += (size_t)sprintf(out + n, "%zx;x=y\r\n", k);
            memcpy(out + n, body + off, k);
            n += k;
            n += (size_t)sprintf(out + n, "\r\n");
        }
        return n + (size_t)sprintf(out + n, "0\r\nX-Trailer: 1\r\n\r\n");
    }
    if (m == F_CORRUPT)
        body[100] ^= 0x01;
    n = (size_t)sprintf(out, "HTTP/1.1 200 OK\r\n%s%s\r\n",
                        m == F_NOLEN ? "" : "Content-Length: 1024\r\n",
                        m == F_CLOSE ? "Connection: close\r\n" : "");
    size_t k = m == F_TRUNCATE ? 500 : sizeof(body);
    memcpy(out + n, body, k);
    return n + k;
}

static void fk_conn(struct fake *f, int fd)
{
    struct th_tcp t;
    struct th_conn *c = NULL;
    struct th_error e;
    th_tcp_init(&t, fd);
    if (OSSL->conn_new(f->ctx, &t.io, NULL, &c, &e) != 0) {
        th_tcp_close(&t);
        return;
    }
    enum th_step st;
    while ((st = OSSL->handshake(c, &e)) != TH_STEP_DONE)
        if (fk_wait(&t, st) != 0)
            goto out;
    char resp[4096];
    while (fk_read_head(&t, c) == 0) {
        size_t n = fk_response(f->mode, resp);
        if (fk_write(&t, c, resp, n) != 0 || f->mode == F_TRUNCATE || f->mode == F_NOLEN)
            goto out; /* no close_notify: the client sees the transport end */
        if (f->mode == F_CLOSE)
            break;
    }
    OSSL->shutdown(c, &e);
out:
    OSSL->conn_free(c);
    th_tcp_close(&t);
}

static void *fk_main(void *arg)
{
    struct fake *f = arg;
    while (!f->stop) {
        int fd = th_tcp_accept(f->lfd, th_now_ns() + SEC / 10, NULL);
        if (fd >= 0)
            fk_conn(f, fd);
    }
    return NULL;
}

static int fk_start(struct fake *f, enum fmode m)
{
    memset(f, 0, sizeof(*f));
    f->mode = m;
    char chain[512], key[512];
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    struct th_tls_config cfg = {.role = TH_ROLE_SERVER,
                                .versions = V12 | V13,
                                .cert_file = chain,
                                .key_file = key,
                                .tickets = 1};
    struct th_error e = {0};
    if (OSSL->ctx_new(&cfg, &f->ctx, &e) != 0 ||
        (f->lfd = th_tcp_listen("127.0.0.1", &f->port)) < 0 ||
        pthread_create(&f->t, NULL, fk_main, f) != 0) {
        ok(0, "fake server started: %s", e.text);
        return -1;
    }
    return 0;
}

static void fk_stop(struct fake *f)
{
    f->stop = 1;
    pthread_join(f->t, NULL);
    close(f->lfd);
    OSSL->ctx_free(f->ctx);
}

static void expect_fake(enum fmode m, enum th_outcome want, const char *text, const char *what)
{
    struct fake f;
    if (fk_start(&f, m) != 0)
        return;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_TICKET);
    struct th_loadgen_params p = params(f.port, 3, 1, "/bytes/1024");
    p.max_seconds = 3;
    struct th_loadgen_stats st;
    if (ctx && st_run(OSSL, ctx, &p, &st, NULL) == 0) {
        ok(st.requests == 0 && st.errors[want] > 0 && st.errors[want] == st_total_errors(&st),
           "%s: every request %s (%llu)", what, th_outcome_name(want),
           (unsigned long long)st.errors[want]);
        ok(strstr(st.first_error.text, text) != NULL, "%s: '%s'", what, st.first_error.text);
        th_loadgen_stats_free(&st);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    fk_stop(&f);
}

static void test_fake_server(void)
{
    expect_fake(F_CORRUPT, TH_INTERNAL_ERROR, "body differs at byte 100", "flipped body byte");
    expect_fake(F_TRUNCATE, TH_TRUNCATED, "unexpected eof", "closed mid-body");
    expect_fake(F_404, TH_INTERNAL_ERROR, "HTTP status 404", "404");
    expect_fake(F_NOLEN, TH_INTERNAL_ERROR, "neither a Content-Length nor chunked", "no length");
    struct fake f;
    struct th_loadgen_stats st;
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_TICKET);
    if (ctx && fk_start(&f, F_CHUNKED) == 0) {
        struct th_loadgen_params p = params(f.port, 20, 1, "/bytes/1024");
        if (st_run(OSSL, ctx, &p, &st, NULL) == 0) {
            ok(st.requests == 20 && st_total_errors(&st) == 0, "chunked: 20, no errors");
            is_int(st.body_bytes, 20 * 1024, "chunked: decoded body checked");
            th_loadgen_stats_free(&st);
        }
        fk_stop(&f);
    }
    /* the server closes after each response: keep-alive reconnects, resuming */
    if (ctx && fk_start(&f, F_CLOSE) == 0) {
        struct th_loadgen_params p = params(f.port, 10, 1, "/bytes/1024");
        p.resume = TH_RESUME_TICKET;
        if (st_run(OSSL, ctx, &p, &st, NULL) == 0) {
            ok(st.requests == 10 && st_total_errors(&st) == 0, "Connection: close: 10, no errors");
            ok(st.connections == 10 && st.resumed == 9,
               "Connection: close: 10 connections, 9 resumed (%llu, %llu)",
               (unsigned long long)st.connections, (unsigned long long)st.resumed);
            th_loadgen_stats_free(&st);
        }
        fk_stop(&f);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
}

/* ---- refusals before anything runs ---- */

static void expect_refused(const struct th_backend *b, struct th_ctx *ctx,
                           const struct th_loadgen_params *p, const char *text, const char *what)
{
    struct th_loadgen_stats st;
    struct th_error err = {0};
    ok(th_loadgen_run(b, ctx, p, &st, &err) == -1, "%s: refused", what);
    ok(strstr(err.text, text) != NULL, "%s: '%s'", what, err.text);
    ok(err.file && strstr(err.file, "loadgen.c") && err.line > 0, "%s: raised in loadgen.c", what);
}

static void test_refusals(struct th_ctx *ctx)
{
    struct th_loadgen_params p = params(443, 10, 1, "/");
    p.connections = 0;
    expect_refused(OSSL, ctx, &p, "connections must be at least 1", "no connections");
    p = params(443, 0, 1, "/");
    expect_refused(OSSL, ctx, &p, "neither a request count nor seconds", "no count, no time");
    p = params(443, 10, 1, "no-slash");
    expect_refused(OSSL, ctx, &p, "not a request target", "bad path");
    p = params(443, 10, 1, "/a b");
    expect_refused(OSSL, ctx, &p, "not a request target", "path with a space");
    p = params(443, 10, 1, "/");
    p.host = "no-such-host.invalid";
    struct th_error e2 = {0};
    struct th_loadgen_stats st;
    ok(th_loadgen_run(OSSL, ctx, &p, &st, &e2) == -1 && e2.outcome == TH_IO_ERROR &&
           strstr(e2.text, "cannot resolve no-such-host.invalid"),
       "unresolvable host: io_error (%s)", e2.text);
    p = params(443, 10, 1, "/");
    p.connections = 1u << 30;
    expect_refused(OSSL, ctx, &p, "exceed the open-file limit", "too many connections");
    struct th_backend no_resume = *OSSL;
    no_resume.session_get = NULL;
    no_resume.session_free = NULL;
    p = params(443, 10, 1, "/");
    p.resume = TH_RESUME_TICKET;
    expect_refused(&no_resume, ctx, &p, "backend cannot resume", "resume without session_get");
    p.resume = TH_RESUME_NONE;
    struct th_backend no_io = {.name = "socket-owner"};
    expect_refused(&no_io, ctx, &p, "backend socket-owner has no driver I/O", "no driver I/O");
}

/* A server requiring a client certificate: the load presents the client context's
 * own (every request verified), and a context without one fails every connection
 * as certificate_required (TLS 1.3: the refusal comes after the client's handshake). */
static void test_client_cert(void)
{
    char chain[512], key[512], root[512], cchain[512], ckey[512];
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    pki_path(root, sizeof(root), "root.pem");
    pki_path(cchain, sizeof(cchain), "client.chain.pem");
    pki_path(ckey, sizeof(ckey), "client.key.pem");
    struct th_serve_tls t = {.cert_file = chain,
                             .key_file = key,
                             .client_auth = TH_CLIENT_AUTH_REQUIRE,
                             .client_ca_file = root};
    struct th_tls_config cfg = st_client_cfg(root);
    cfg.cert_file = cchain;
    cfg.key_file = ckey;
    struct th_ctx *with = NULL, *without = client_ctx(OSSL, "root.pem", V12 | V13, 0);
    struct th_error e = {0};
    struct st_srv s;
    if (!ok(OSSL->ctx_new(&cfg, &with, &e) == 0 && without, "client contexts (%s)", e.text) ||
        srv_start_tls(&s, OSSL, 0, &t) != 0)
        goto out;
    struct th_loadgen_params p = params(s.port, 40, 2, "/");
    struct th_loadgen_stats st;
    if (st_run(OSSL, with, &p, &st, NULL) == 0)
        ok(st.requests == 40 && st_total_errors(&st) == 0 && st.have_neg && st.neg.client_cert,
           "client_auth require, a client certificate: 40 verified, the certificate sent");
    th_loadgen_stats_free(&st);
    p = params(s.port, 5, 1, "/");
    p.max_seconds = 5;
    if (st_run(OSSL, without, &p, &st, NULL) == 0)
        ok(st.requests == 0 && st.errors[TH_CERTIFICATE_REQUIRED] > 0 &&
               st.first_error.outcome == TH_CERTIFICATE_REQUIRED,
           "client_auth require, none: no request verified, certificate_required (%s)",
           st.first_error.text);
    th_loadgen_stats_free(&st);
    st_stop_count(&s);
out:
    if (with)
        OSSL->ctx_free(with);
    if (without)
        OSSL->ctx_free(without);
}

int main(void)
{
    if (pd_begin("loadgen") != 0)
        return pd_end();
    signal(SIGPIPE, SIG_IGN);
    test_keepalive(OSSL, OSSL);
#ifdef TH_HAVE_GNUTLS
    test_keepalive(&th_backend_gnutls, &th_backend_gnutls);
    test_keepalive(OSSL, &th_backend_gnutls);
#endif
    test_new_connections();
    test_resume_keepalive();
    test_big_bodies_and_few_requests();
    test_by_time();
    test_verification();
    test_not_resumed();
    test_wrong_ca();
    test_client_cert();
    struct th_ctx *ctx = client_ctx(OSSL, "root.pem", V12 | V13, TH_RESUME_NONE);
    if (ctx) {
        test_nothing_listening(ctx);
        test_never_answers(ctx);
        test_refusals(ctx);
        OSSL->ctx_free(ctx);
    }
    test_fake_server();
    return pd_end();
}
