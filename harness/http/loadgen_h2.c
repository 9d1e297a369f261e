/* The HTTP/2 side of the load engine (loadgen.h with params.http2): one thread,
 * non-blocking sockets, epoll, as for HTTP/1.1, but a connection carries up to
 * `streams` GETs at once through an nghttp2 session (h2.h).
 *
 * Rules beyond loadgen.c's, which hold here too (verified handshakes, resumption
 * on every later connection of a slot, the failure cap, close_notify at the end):
 *  - The handshake must negotiate ALPN h2; anything else fails the connection
 *    (internal_error, "ALPN negotiated ..., h2 asked").
 *  - Every response is checked as over HTTP/1.1 (status 2xx, content-length, the
 *    /bytes/N pattern, expect_sha256). A bad response fails its request and drops
 *    its connection; the other streams that were in flight on it are not counted
 *    as failures but issued again on the next connection, as are streams the
 *    server refused (GOAWAY, REFUSED_STREAM): a server that closes after N
 *    requests (nginx keepalive_requests) costs a reconnection, not errors.
 *  - A request's latency runs from its submission (closed loop) or from when it
 *    was due (open loop, rate > 0: request k is due at t0 + k / rate, the one
 *    schedule of every connection) to its stream's end. first_byte is a
 *    connection's first request to its response's first frame.
 *  - new_connection_per_request: one stream per connection, closed after it.
 *  - No response progress on a connection with streams open for timeout_s is a
 *    timeout of the connection (one failure). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "h2.h"
#include "loadgen_int.h"

#define MAX_EVENTS TH_LOADGEN_MAX_EVENTS

enum cstate { C_IDLE, C_START, C_CONNECT, C_HANDSHAKE, C_H2 };

struct conn {
    struct th_loadgen_conn k; /* k.tcp.io.ctx points here: conns never move */
    struct eng *e;
    struct th_h2 *h2;
    enum cstate state;
    int bad;
    uint64_t t_open;
    uint64_t deadline; /* 0: nothing awaited */
};

struct eng {
    struct th_loadgen_run r;
    struct th_h2_client_cfg h2cfg;
    char authority[300];
    uint64_t want_len;
    uint64_t sched;
    struct conn *c;
    unsigned n;
};

static int nothing_to_issue(const struct eng *e, uint64_t now)
{
    return th_loadgen_nothing_to_issue(&e->r, now);
}

/* The next request's start time when one may be issued now. */
static int take_request(struct eng *e, uint64_t now, uint64_t *t_req)
{
    if (nothing_to_issue(e, now))
        return 0;
    if (e->r.p->rate > 0) {
        uint64_t due = e->r.t0 + (uint64_t)((double)e->sched * 1e9 / e->r.p->rate);
        if (due > now)
            return 0;
        e->sched++;
        *t_req = due;
        return 1;
    }
    *t_req = now;
    return 1;
}

/* A stream ended (h2.h's done callback). */
static void on_done(void *arg, uint64_t t_req, const struct th_h2_result *r)
{
    struct conn *c = arg;
    struct eng *e = c->e;
    e->r.issued--;
    if (r->refused)
        return; /* issued again elsewhere */
    if (!r->ok) {
        if (!c->bad)
            th_error_set(&c->k.err, TH_INTERNAL_ERROR, 0, "%s", r->why);
        c->bad = 1;
        return;
    }
    e->r.issued++;
    uint64_t now = th_now_ns();
    struct th_loadgen_stats *st = e->r.st;
    th_loadgen_push_latency(&e->r, now - t_req);
    st->requests++;
    st->body_bytes += r->body;
    st->bodies_hashed += e->r.p->expect_sha256 != NULL;
    e->r.last_ns = now;
    c->deadline = now + e->r.timeout_ns;
    if (c->k.conn_reqs++ == 0)
        th_loadgen_first_response(&e->r, &c->k, r->t_first > c->t_open ? r->t_first - c->t_open : 0,
                                  r->t_first ? r->t_first : now);
}

/* ---- one connection ---- */

/* Close the connection and set what comes next: a new one, or nothing. */
static void conn_end(struct eng *e, struct conn *c, int clean)
{
    if (c->h2) {
        e->r.issued -= th_h2_in_flight(c->h2); /* not answered: issued again */
        th_h2_free(c->h2);
        c->h2 = NULL;
    }
    th_loadgen_close(&e->r, &c->k, clean);
    c->bad = 0;
    c->deadline = 0;
    c->state = nothing_to_issue(e, th_now_ns()) ? C_IDLE : C_START;
}

static enum th_step start_connect(struct eng *e, struct conn *c)
{
    enum th_step st = th_loadgen_connect(&e->r, &c->k);
    if (st == TH_STEP_FAILED)
        return st;
    /* connected at once or not, the socket's writability moves it on */
    c->deadline = c->k.t_connect + e->r.timeout_ns;
    c->state = C_CONNECT;
    return TH_STEP_WANT_WRITE;
}

static enum th_step step_connect(struct eng *e, struct conn *c)
{
    c->t_open = 0;
    if (th_loadgen_connect_result(&e->r, &c->k) != 0 || th_loadgen_tls_new(&e->r, &c->k) != 0)
        return TH_STEP_FAILED;
    c->state = C_HANDSHAKE;
    return TH_STEP_DONE;
}

static enum th_step step_handshake(struct eng *e, struct conn *c)
{
    enum th_step st = th_loadgen_handshake(&e->r, &c->k, "h2");
    if (st != TH_STEP_DONE)
        return st;
    struct th_h2_client_cfg cfg = e->h2cfg;
    cfg.arg = c;
    c->h2 = th_h2_client_new(e->r.b, c->k.tls, &cfg, &c->k.err);
    if (!c->h2)
        return TH_STEP_FAILED;
    c->deadline = 0;
    c->state = C_H2;
    return TH_STEP_DONE;
}

static enum th_step step_h2(struct eng *e, struct conn *c)
{
    for (;;) {
        uint64_t now = th_now_ns(), t_req;
        /* a new connection per request: one stream, then the connection closes */
        int one = e->r.p->new_connection_per_request;
        while (th_h2_can_request(c->h2) && !(one && c->t_open) && take_request(e, now, &t_req)) {
            if (th_h2_get(c->h2, t_req, &c->k.err) != 0)
                return TH_STEP_FAILED;
            e->r.issued++;
            if (!c->t_open)
                c->t_open = now;
            if (!c->deadline)
                c->deadline = now + e->r.timeout_ns;
        }
        if (!th_h2_in_flight(c->h2)) {
            c->deadline = 0;
            if (!th_h2_open(c->h2) || nothing_to_issue(e, now) || (one && c->t_open)) {
                conn_end(e, c, 1); /* the server is done with it, or we are */
                return TH_STEP_DONE;
            }
        }
        enum th_step st = th_h2_pump(c->h2, &c->k.err);
        if (c->bad)
            return TH_STEP_FAILED;
        if (st == TH_STEP_DONE)
            continue;
        if (st == TH_STEP_CLOSED) {
            conn_end(e, c, 0);
            return TH_STEP_DONE;
        }
        return st;
    }
}

static void drive(struct eng *e, struct conn *c)
{
    for (;;) {
        enum th_step st;
        switch (c->state) {
        case C_START: st = start_connect(e, c); break;
        case C_CONNECT: st = step_connect(e, c); break;
        case C_HANDSHAKE: st = step_handshake(e, c); break;
        case C_H2: st = step_h2(e, c); break;
        default: return; /* C_IDLE */
        }
        if (th_loadgen_blocked(&e->r, &c->k, st))
            return;
        if (st != TH_STEP_DONE) {
            th_loadgen_count_failure(&e->r, &c->k.err);
            conn_end(e, c, 0);
        }
    }
}

/* ---- the loop ---- */

static int active(const struct eng *e)
{
    for (unsigned i = 0; i < e->n; i++)
        if (e->c[i].state != C_IDLE)
            return 1;
    return 0;
}

/* Timeouts, and (open loop) connections that can take a request now due. */
static uint64_t tick(struct eng *e, uint64_t now)
{
    uint64_t until = now + 1000000000ull;
    for (unsigned i = 0; i < e->n; i++) {
        struct conn *c = &e->c[i];
        if (c->deadline && c->deadline <= now) {
            th_error_set(&c->k.err, TH_TIMEOUT, 0, "no response within %.3g s",
                         (double)e->r.timeout_ns / 1e9);
            th_loadgen_count_failure(&e->r, &c->k.err);
            conn_end(e, c, 0);
            drive(e, c);
        } else if (c->state == C_H2 && e->r.p->rate > 0 && th_h2_can_request(c->h2)) {
            drive(e, c);
        } else if (c->state == C_IDLE && !nothing_to_issue(e, now) && e->r.p->rate > 0) {
            c->state = C_START;
            drive(e, c);
        }
        if (c->deadline && c->deadline < until)
            until = c->deadline;
    }
    if (e->r.p->rate > 0 && !nothing_to_issue(e, now)) {
        uint64_t due = e->r.t0 + (uint64_t)((double)e->sched * 1e9 / e->r.p->rate);
        if (due < until)
            until = due;
    }
    if (e->r.end_ns && e->r.end_ns < until)
        until = e->r.end_ns;
    if (e->r.p->interrupt && until > now + 100000000ull)
        until = now + 100000000ull;
    return until;
}

static void event_loop(struct eng *e)
{
    struct epoll_event evs[MAX_EVENTS];
    for (unsigned i = 0; i < e->n; i++)
        drive(e, &e->c[i]);
    uint64_t now = th_now_ns();
    while (!th_loadgen_stop_now(&e->r, now) && active(e)) {
        uint64_t until = tick(e, now);
        now = th_now_ns();
        int ms = until <= now ? 0 : (int)((until - now + 999999) / 1000000);
        int n = epoll_wait(e->r.ep, evs, MAX_EVENTS, ms);
        for (int i = 0; i < n; i++) {
            uint32_t idx = (uint32_t)evs[i].data.u64, gen = (uint32_t)(evs[i].data.u64 >> 32);
            if (idx < e->n && e->c[idx].k.gen == gen)
                drive(e, &e->c[idx]);
        }
        if (n < 0 && errno != EINTR)
            break;
        now = th_now_ns();
    }
}

/* ---- set-up ---- */

static void eng_free(struct eng *e)
{
    for (unsigned i = 0; e->c && i < e->n; i++) {
        struct conn *c = &e->c[i];
        if (c->state != C_IDLE)
            conn_end(e, c, c->state == C_H2);
        th_loadgen_conn_free(&e->r, &c->k);
    }
    free(e->c);
    th_loadgen_run_free(&e->r);
    free(e);
}

int th_loadgen_h2_run(const struct th_backend *b, struct th_ctx *cctx,
                      const struct th_loadgen_params *p, struct th_loadgen_stats *out,
                      struct th_error *err)
{
    struct eng *e = th_xcalloc(1, sizeof(*e));
    *e = (struct eng){.r = {.b = b, .ctx = cctx, .p = p, .st = out, .ep = -1}, .n = p->connections};
    if (th_loadgen_open(&e->r, err) != 0) {
        eng_free(e);
        return -1;
    }
    const char *path = p->path ? p->path : "/";
    th_loadgen_authority(p, e->authority, sizeof(e->authority));
    e->h2cfg = (struct th_h2_client_cfg){.authority = e->authority,
                                         .path = path,
                                         .streams = p->streams ? p->streams : 1,
                                         .check = th_loadgen_bytes_path(path, &e->want_len),
                                         .sha256 = p->expect_sha256,
                                         .done = on_done};
    e->h2cfg.want_len = e->want_len;
    out->body_check = th_loadgen_body_check(e->h2cfg.check, p->expect_sha256);
    e->c = th_xcalloc(e->n, sizeof(*e->c));
    uint64_t per = e->h2cfg.streams;
    for (unsigned i = 0; i < e->n; i++) {
        struct conn *c = &e->c[i];
        c->e = e;
        c->k.index = i;
        c->k.tcp.fd = -1;
        /* connections beyond what the count needs never open */
        c->state = p->requests && (uint64_t)i * per >= p->requests ? C_IDLE : C_START;
    }
    th_loadgen_clock_start(&e->r);
    event_loop(e);
    th_loadgen_clock_stop(&e->r);
    eng_free(e);
    return 0;
}
