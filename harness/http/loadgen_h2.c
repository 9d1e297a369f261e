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
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "h2.h"
#include "harness/io/transport.h"
#include "harness/vocab/iana.h"

#define DEFAULT_TIMEOUT_S 10.0
#define ERRORS_FLOOR 100
#define ERRORS_PER_REQUEST 10
#define MAX_EVENTS 256

enum cstate { C_IDLE, C_START, C_CONNECT, C_HANDSHAKE, C_H2 };

struct conn {
    struct th_tcp tcp; /* io.ctx points here: conns never move */
    struct eng *e;
    struct th_conn *tls;
    struct th_h2 *h2;
    struct th_session *sess;
    enum cstate state;
    unsigned index;
    uint32_t gen, ev;
    int had_conn, offered, bad;
    unsigned conn_reqs;
    uint64_t t_connect, t_tcp, t_open, connect_ns, tls_ns;
    uint64_t deadline; /* 0: nothing awaited */
    struct th_error err;
};

struct eng {
    const struct th_backend *b;
    struct th_ctx *ctx;
    const struct th_loadgen_params *p;
    struct th_loadgen_stats *st;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct th_h2_client_cfg h2cfg;
    char authority[300];
    uint64_t want_len;
    uint64_t timeout_ns, end_ns, t0, last_ns;
    uint64_t issued, failures, sched;
    size_t lat_cap, phase_cap;
    int stopping, ep;
    struct conn *c;
    unsigned n;
};

/* ---- recording ---- */

static void grow(uint64_t **v, size_t *cap, size_t n)
{
    if (n < *cap)
        return;
    *cap = *cap ? 2 * *cap : 4096;
    *v = th_xrealloc(*v, *cap * sizeof(uint64_t));
}

static void record_fail(struct eng *e, const struct th_error *err)
{
    enum th_outcome o = err->outcome;
    if (o <= TH_OK || o >= TH_OUTCOME_COUNT)
        o = TH_INTERNAL_ERROR;
    e->st->errors[o]++;
    if (e->failures++ == 0) {
        e->st->first_error = *err;
        e->st->first_error.outcome = o;
    }
    uint64_t cap = e->st->requests * ERRORS_PER_REQUEST;
    if (e->failures > (cap > ERRORS_FLOOR ? cap : ERRORS_FLOOR))
        e->stopping = 1;
}

static int stop_now(const struct eng *e, uint64_t now)
{
    const struct th_loadgen_params *p = e->p;
    return e->stopping || (p->interrupt && *p->interrupt) || (e->end_ns && now >= e->end_ns) ||
           (p->requests && e->st->requests >= p->requests);
}

static int nothing_to_issue(const struct eng *e, uint64_t now)
{
    return stop_now(e, now) || (e->p->requests && e->issued >= e->p->requests);
}

/* The next request's start time when one may be issued now. */
static int take_request(struct eng *e, uint64_t now, uint64_t *t_req)
{
    if (nothing_to_issue(e, now))
        return 0;
    if (e->p->rate > 0) {
        uint64_t due = e->t0 + (uint64_t)((double)e->sched * 1e9 / e->p->rate);
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
    e->issued--;
    if (r->refused)
        return; /* issued again elsewhere */
    if (!r->ok) {
        if (!c->bad)
            th_error_set(&c->err, TH_INTERNAL_ERROR, 0, "%s", r->why);
        c->bad = 1;
        return;
    }
    e->issued++;
    uint64_t now = th_now_ns();
    struct th_loadgen_stats *st = e->st;
    grow(&st->latency_ns, &e->lat_cap, st->n_latency);
    st->latency_ns[st->n_latency++] = now - t_req;
    st->requests++;
    st->body_bytes += r->body;
    st->bodies_hashed += e->p->expect_sha256 != NULL;
    e->last_ns = now;
    c->deadline = now + e->timeout_ns;
    if (c->conn_reqs++ == 0) {
        size_t cap = e->phase_cap;
        grow(&st->connect_ns, &cap, st->n_phase);
        cap = e->phase_cap;
        grow(&st->tls_ns, &cap, st->n_phase);
        grow(&st->first_byte_ns, &e->phase_cap, st->n_phase);
        st->connect_ns[st->n_phase] = c->connect_ns;
        st->tls_ns[st->n_phase] = c->tls_ns;
        st->first_byte_ns[st->n_phase++] = r->t_first > c->t_open ? r->t_first - c->t_open : 0;
        c->had_conn = 1;
        if (e->p->resume != TH_RESUME_NONE) {
            struct th_session *sess = e->b->session_get(c->tls);
            if (sess) {
                e->b->session_free(c->sess);
                c->sess = sess;
            }
        }
    }
}

/* ---- one connection ---- */

static void watch(struct eng *e, struct conn *c, uint32_t events)
{
    if (c->ev == events)
        return;
    struct epoll_event ev = {.events = events,
                             .data.u64 = (uint64_t)c->gen << 32 | (uint64_t)c->index};
    if (epoll_ctl(e->ep, c->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->tcp.fd, &ev) == 0)
        c->ev = events;
}

/* Close the connection and set what comes next: a new one, or nothing. */
static void conn_end(struct eng *e, struct conn *c, int clean)
{
    if (c->h2) {
        e->issued -= th_h2_in_flight(c->h2); /* not answered: issued again */
        th_h2_free(c->h2);
        c->h2 = NULL;
    }
    if (c->tls) {
        struct th_error ignored;
        if (clean)
            (void)e->b->shutdown(c->tls, &ignored);
        e->b->conn_free(c->tls);
        c->tls = NULL;
    }
    if (c->tcp.fd >= 0)
        th_tcp_close(&c->tcp);
    c->ev = 0;
    c->gen++;
    c->bad = 0;
    c->deadline = 0;
    c->state = nothing_to_issue(e, th_now_ns()) ? C_IDLE : C_START;
}

static enum th_step start_connect(struct eng *e, struct conn *c)
{
    int fd = socket(e->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        th_error_set(&c->err, TH_IO_ERROR, errno, "socket: %s", strerror(errno));
        return TH_STEP_FAILED;
    }
    th_tcp_init(&c->tcp, fd);
    c->t_connect = th_now_ns();
    c->deadline = c->t_connect + e->timeout_ns;
    c->state = C_CONNECT;
    if (connect(fd, (struct sockaddr *)&e->addr, e->addrlen) == 0 || errno == EINPROGRESS)
        return TH_STEP_WANT_WRITE;
    th_error_set(&c->err, TH_IO_ERROR, errno, "connect to %s:%u: %s", e->p->host, e->p->port,
                 strerror(errno));
    return TH_STEP_FAILED;
}

static enum th_step step_connect(struct eng *e, struct conn *c)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(c->tcp.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (soerr) {
        th_error_set(&c->err, TH_IO_ERROR, soerr, "connect to %s:%u: %s", e->p->host, e->p->port,
                     strerror(soerr));
        return TH_STEP_FAILED;
    }
    c->t_tcp = th_now_ns();
    c->connect_ns = c->t_tcp - c->t_connect;
    c->conn_reqs = 0;
    c->t_open = 0;
    struct th_session *sess = e->p->resume != TH_RESUME_NONE ? c->sess : NULL;
    c->offered = sess != NULL;
    if (e->b->conn_new(e->ctx, &c->tcp.io, sess, &c->tls, &c->err) != 0) {
        c->tls = NULL;
        return TH_STEP_FAILED;
    }
    c->state = C_HANDSHAKE;
    return TH_STEP_DONE;
}

/* What the handshake negotiated against what was asked (loadgen.c's rules, and
 * ALPN h2); -1 with c->err. */
static int verify(struct eng *e, struct conn *c, const struct th_negotiated *n)
{
    const struct th_loadgen_params *p = e->p;
    const struct th_suite_info *si = th_suite_by_id(n->suite), *wi = th_suite_by_id(p->want_suite);
    const struct th_group_info *gi = th_group_by_id(n->group), *wg = th_group_by_id(p->want_group);
    struct th_error *err = &c->err;
    if (strcmp(n->alpn, "h2") != 0)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "ALPN negotiated %s%s%s, h2 asked",
                     n->alpn[0] ? "'" : "", n->alpn[0] ? n->alpn : "nothing",
                     n->alpn[0] ? "'" : "");
    else if (p->want_version && n->version != p->want_version)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "negotiated TLS %s, asked %s",
                     th_version_name(n->version), th_version_name(p->want_version));
    else if (p->want_suite && n->suite != p->want_suite)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "negotiated %s, asked %s",
                     si ? si->name : "unknown", wi ? wi->name : "unknown");
    else if (p->want_group && n->group != p->want_group && !(n->resumed && !n->group))
        th_error_set(err, TH_INTERNAL_ERROR, 0, "negotiated group %s, asked %s",
                     gi ? gi->name : "unknown", wg ? wg->name : "unknown");
    else if (p->resume == TH_RESUME_NONE && n->resumed)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "resumed, asked for full handshakes");
    else if (p->resume != TH_RESUME_NONE && c->had_conn && !n->resumed)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "not resumed (%s)",
                     c->offered ? "the server refused the session offered"
                                : "no session to offer: the server sent none");
    else
        return 0;
    return -1;
}

static enum th_step step_handshake(struct eng *e, struct conn *c)
{
    enum th_step st = e->b->handshake(c->tls, &c->err);
    if (st != TH_STEP_DONE)
        return st == TH_STEP_CLOSED ? TH_STEP_FAILED : st;
    c->tls_ns = th_now_ns() - c->t_tcp;
    struct th_negotiated n;
    e->b->negotiated(c->tls, &n);
    if (verify(e, c, &n) != 0)
        return TH_STEP_FAILED;
    struct th_loadgen_stats *st_ = e->st;
    if (!st_->have_neg) {
        st_->neg = n;
        st_->have_neg = 1;
    } else if (!th_loadgen_same_neg(&st_->neg, &n)) {
        st_->neg_differ++;
    }
    st_->connections++;
    st_->resumed += n.resumed != 0;
    struct th_h2_client_cfg cfg = e->h2cfg;
    cfg.arg = c;
    c->h2 = th_h2_client_new(e->b, c->tls, &cfg, &c->err);
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
        int one = e->p->new_connection_per_request;
        while (th_h2_can_request(c->h2) && !(one && c->t_open) && take_request(e, now, &t_req)) {
            if (th_h2_get(c->h2, t_req, &c->err) != 0)
                return TH_STEP_FAILED;
            e->issued++;
            if (!c->t_open)
                c->t_open = now;
            if (!c->deadline)
                c->deadline = now + e->timeout_ns;
        }
        if (!th_h2_in_flight(c->h2)) {
            c->deadline = 0;
            if (!th_h2_open(c->h2) || nothing_to_issue(e, now) || (one && c->t_open)) {
                conn_end(e, c, 1); /* the server is done with it, or we are */
                return TH_STEP_DONE;
            }
        }
        enum th_step st = th_h2_pump(c->h2, &c->err);
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
        if (st == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE) {
            watch(e, c, st == TH_STEP_WANT_READ ? EPOLLIN : EPOLLOUT);
            return;
        }
        if (st != TH_STEP_DONE) {
            record_fail(e, &c->err);
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
            th_error_set(&c->err, TH_TIMEOUT, 0, "no response within %.3g s",
                         (double)e->timeout_ns / 1e9);
            record_fail(e, &c->err);
            conn_end(e, c, 0);
            drive(e, c);
        } else if (c->state == C_H2 && e->p->rate > 0 && th_h2_can_request(c->h2)) {
            drive(e, c);
        } else if (c->state == C_IDLE && !nothing_to_issue(e, now) && e->p->rate > 0) {
            c->state = C_START;
            drive(e, c);
        }
        if (c->deadline && c->deadline < until)
            until = c->deadline;
    }
    if (e->p->rate > 0 && !nothing_to_issue(e, now)) {
        uint64_t due = e->t0 + (uint64_t)((double)e->sched * 1e9 / e->p->rate);
        if (due < until)
            until = due;
    }
    if (e->end_ns && e->end_ns < until)
        until = e->end_ns;
    if (e->p->interrupt && until > now + 100000000ull)
        until = now + 100000000ull;
    return until;
}

static void event_loop(struct eng *e)
{
    struct epoll_event evs[MAX_EVENTS];
    for (unsigned i = 0; i < e->n; i++)
        drive(e, &e->c[i]);
    uint64_t now = th_now_ns();
    while (!stop_now(e, now) && active(e)) {
        uint64_t until = tick(e, now);
        now = th_now_ns();
        int ms = until <= now ? 0 : (int)((until - now + 999999) / 1000000);
        int n = epoll_wait(e->ep, evs, MAX_EVENTS, ms);
        for (int i = 0; i < n; i++) {
            uint32_t idx = (uint32_t)evs[i].data.u64, gen = (uint32_t)(evs[i].data.u64 >> 32);
            if (idx < e->n && e->c[idx].gen == gen)
                drive(e, &e->c[idx]);
        }
        if (n < 0 && errno != EINTR)
            break;
        now = th_now_ns();
    }
}

/* ---- set-up ---- */

static int resolve(struct eng *e, struct th_error *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", e->p->port);
    int rc = getaddrinfo(e->p->host, port, &hints, &ai);
    if (rc != 0 || !ai || ai->ai_addrlen > sizeof(e->addr)) {
        TH_RAISE(err, TH_IO_ERROR, rc, "cannot resolve %s: %s", e->p->host,
                 rc ? gai_strerror(rc) : "no address");
        if (ai)
            freeaddrinfo(ai);
        return -1;
    }
    memcpy(&e->addr, ai->ai_addr, ai->ai_addrlen);
    e->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* "/bytes/N": the body is checked against the pattern. */
static int bytes_path(const char *path, uint64_t *n)
{
    if (strncmp(path, "/bytes/", 7) != 0 || !path[7] || strlen(path + 7) > 15)
        return 0;
    uint64_t v = 0;
    for (const char *c = path + 7; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *n = v;
    return 1;
}

static void eng_free(struct eng *e)
{
    for (unsigned i = 0; e->c && i < e->n; i++) {
        struct conn *c = &e->c[i];
        if (c->state != C_IDLE)
            conn_end(e, c, c->state == C_H2);
        if (c->sess)
            e->b->session_free(c->sess);
    }
    free(e->c);
    if (e->ep >= 0)
        close(e->ep);
    free(e);
}

int th_loadgen_h2_run(const struct th_backend *b, struct th_ctx *cctx,
                      const struct th_loadgen_params *p, struct th_loadgen_stats *out,
                      struct th_error *err)
{
    struct eng *e = th_xcalloc(1, sizeof(*e));
    *e = (struct eng){.b = b, .ctx = cctx, .p = p, .st = out, .n = p->connections, .ep = -1};
    if (resolve(e, err) != 0 || (e->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        if (e->ep < 0 && e->addrlen)
            TH_FAULT(err, errno, "epoll_create1: %s", strerror(errno));
        eng_free(e);
        return -1;
    }
    const char *path = p->path ? p->path : "/";
    if (p->host_header)
        th_strlcpy(e->authority, p->host_header, sizeof(e->authority));
    else
        snprintf(e->authority, sizeof(e->authority), strchr(p->host, ':') ? "[%s]:%u" : "%s:%u",
                 p->host, p->port);
    e->h2cfg = (struct th_h2_client_cfg){.authority = e->authority,
                                         .path = path,
                                         .streams = p->streams ? p->streams : 1,
                                         .check = bytes_path(path, &e->want_len),
                                         .sha256 = p->expect_sha256,
                                         .done = on_done};
    e->h2cfg.want_len = e->want_len;
    out->body_check = e->h2cfg.check ? (p->expect_sha256 ? "pattern+sha256" : "pattern")
                                     : (p->expect_sha256 ? "sha256" : "length");
    e->timeout_ns = (uint64_t)((p->timeout_s > 0 ? p->timeout_s : DEFAULT_TIMEOUT_S) * 1e9);
    e->c = th_xcalloc(e->n, sizeof(*e->c));
    uint64_t per = e->h2cfg.streams;
    for (unsigned i = 0; i < e->n; i++) {
        struct conn *c = &e->c[i];
        c->e = e;
        c->index = i;
        c->tcp.fd = -1;
        /* connections beyond what the count needs never open */
        c->state = p->requests && (uint64_t)i * per >= p->requests ? C_IDLE : C_START;
    }
    if (p->requests) {
        e->lat_cap = p->requests < ((size_t)1 << 20) ? (size_t)p->requests : (size_t)1 << 20;
        out->latency_ns = th_xmalloc(e->lat_cap * sizeof(uint64_t));
    }
    uint64_t cpu0 = th_thread_cpu_ns();
    e->t0 = e->last_ns = th_now_ns();
    double limit = p->requests ? p->max_seconds : p->seconds;
    if (limit > 0)
        e->end_ns = e->t0 + (uint64_t)(limit * 1e9);
    event_loop(e);
    out->cpu_ns = th_thread_cpu_ns() - cpu0;
    out->wall_ns = (out->requests ? e->last_ns : th_now_ns()) - e->t0;
    eng_free(e);
    return 0;
}
