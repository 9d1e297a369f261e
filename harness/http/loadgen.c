/* Load generation (loadgen.h): one thread, non-blocking sockets, epoll.
 *
 * Each of the `connections` slots is a small state machine - connect, handshake,
 * verify what was negotiated, send the GET, read and check the response - driven
 * until the backend or the socket would block; epoll then waits for exactly what
 * was asked for. Driving until blocked matters (see serve.c): a TLS library may
 * hold decrypted bytes and the socket would never wake us for them.
 *
 * The engine must cost as little as the thing it measures allows: in steady state
 * nothing is allocated per request (the latency array is sized up front, or grows
 * geometrically when running by time or by a very large count), the request bytes
 * are built once, bodies are checked as they stream past a single shared read
 * buffer, and the CPU clock (microseconds per call on some VMs) is read only at the
 * start and the end.
 *
 * Rules the engine applies, beyond loadgen.h:
 *  - A failed request is counted in errors[outcome], the first kept in first_error,
 *    and its slot starts over on a new connection. Negotiating something other than
 *    want_version/suite/group, or a resumption other than asked, is internal_error
 *    with the text "negotiated ..., asked ..." / "not resumed" / "resumed, asked for
 *    full handshakes"; a response that is not acceptable (status not 2xx, neither a
 *    Content-Length nor chunked coding, a body that differs) is internal_error too,
 *    with the reason ("body differs at byte N"); a close before the response ended
 *    is truncated; no response within timeout_s is timeout; a refused connect is
 *    io_error.
 *  - Resumption: the first connection of each slot is a full handshake; every later
 *    one must resume (the slot offers the newest session it got, taken once per
 *    connection right after its first response, when a TLS 1.3 ticket has come).
 *    With keep-alive a slot reconnects only when the server closes (Connection:
 *    close) or a request failed, so that is where resumption shows.
 *  - The run stops early, still reporting what was done, once failures exceed
 *    max(100, 10 x verified requests): a target that refuses everything must not
 *    keep one core spinning until the time limit.
 *  - When a slot has nothing left to issue (running by count), it closes its
 *    connection with close_notify. Connections beyond `requests` never open.
 *  - Open loop: loadgen.h's rate. expect_sha256: bodysum.h, as bodies stream past.
 *    Handshakes negotiating other than the first are counted (neg_differ). */
#include "loadgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "bodysum.h"
#include "h2.h"
#include "loadgen_int.h"
#include "response.h"

#define READ_BUF 16384 /* one TLS record's plaintext */
#define MAX_EVENTS TH_LOADGEN_MAX_EVENTS

/* ---- the engine ---- */

enum sstate {
    SL_IDLE,      /* nothing to do */
    SL_START,     /* a new connection is to be opened */
    SL_CONNECT,   /* TCP connect in progress */
    SL_HANDSHAKE, /* TLS */
    SL_SEND,      /* writing the request */
    SL_RECV,      /* reading the response */
    SL_WAIT,      /* open loop: parked until the next request is due */
};

/* clang-format off */
static const char *const state_names[] = {"idle", "connect", "connect", "handshake",
    "sending the request", "reading the response", "waiting for its send time"};
/* clang-format on */

struct slot {
    struct th_loadgen_conn k; /* k.tcp.io.ctx points here: slots never move */
    enum sstate state;
    size_t out_off; /* request bytes written */
    /* times (th_now_ns): request issued, request written, first response byte */
    uint64_t t_req, t_sent, t_first;
    uint64_t deadline;
    struct slot *prev, *next; /* in the deadline list */
    int timed;                /* in the deadline list */
    struct slot *wnext;       /* in the queue of parked slots (open loop) */
    int warmup;               /* open loop: this is the slot's first, unscheduled request */
    struct th_bodysum *sum;   /* with expect_sha256 */
    struct th_http_resp resp;
};

struct engine {
    struct th_loadgen_run r;
    char *req;
    size_t req_len;
    int check;
    uint64_t want_len;
    uint64_t sched;               /* open loop: requests of the schedule handed out */
    uint64_t t_sched;             /* open loop: when the schedule starts */
    unsigned warming;             /* open loop: first requests not ended yet */
    struct slot *w_head, *w_tail; /* open loop: parked slots, first parked first */
    struct slot *slots;
    unsigned n;
    /* Slots with a request in flight, by deadline: every request gets the same
     * timeout, so appending keeps the list sorted and the nearest is its head. */
    struct slot *t_head, *t_tail;
    unsigned char rbuf[READ_BUF];
};

/* ---- deadlines ---- */

static void timer_clear(struct engine *e, struct slot *s)
{
    if (!s->timed)
        return;
    *(s->prev ? &s->prev->next : &e->t_head) = s->next;
    *(s->next ? &s->next->prev : &e->t_tail) = s->prev;
    s->prev = s->next = NULL;
    s->timed = 0;
}

static void timer_set(struct engine *e, struct slot *s, uint64_t deadline)
{
    timer_clear(e, s);
    s->deadline = deadline;
    s->prev = e->t_tail;
    s->next = NULL;
    *(e->t_tail ? &e->t_tail->next : &e->t_head) = s;
    e->t_tail = s;
    s->timed = 1;
}

/* ---- one slot ---- */

static void conn_close(struct engine *e, struct slot *s, int clean)
{
    th_loadgen_close(&e->r, &s->k, clean);
}

static int stop_now(struct engine *e, uint64_t now)
{
    return th_loadgen_stop_now(&e->r, now);
}

static int nothing_to_issue(struct engine *e, uint64_t now)
{
    return th_loadgen_nothing_to_issue(&e->r, now);
}

/* Open loop: when the next request of the schedule is due. */
static uint64_t due_ns(const struct engine *e)
{
    if (e->warming)
        return UINT64_MAX;
    return e->t_sched + (uint64_t)((double)e->sched * 1e9 / e->r.p->rate);
}

/* The end of a slot's first request in an open loop: the last one starts the schedule. */
static void warmed(struct engine *e, struct slot *s)
{
    if (s->warmup && (s->warmup = 0, --e->warming == 0))
        e->t_sched = th_now_ns();
}

/* Start a request whose latency counts from t_req (now, or when it was due). */
static void issue(struct engine *e, struct slot *s, uint64_t now, uint64_t t_req)
{
    e->r.issued++;
    s->t_req = t_req;
    timer_set(e, s, now + e->r.timeout_ns);
    s->out_off = 0;
    th_http_resp_start(&s->resp, e->check, e->want_len);
    if (s->sum) {
        th_bodysum_start(s->sum);
        s->resp.on_body = th_bodysum_sink;
        s->resp.on_body_arg = s->sum;
    }
    s->state = s->k.tls ? SL_SEND : SL_START;
}

/* Open loop, nothing due yet: the slot waits, its connection open but unwatched. */
static void park(struct engine *e, struct slot *s)
{
    s->state = SL_WAIT;
    s->wnext = NULL;
    *(e->w_tail ? &e->w_tail->wnext : &e->w_head) = s;
    e->w_tail = s;
}

/* Issue the slot's next request, or park it until one is due, or close it when
 * there is none to issue. */
static void slot_next(struct engine *e, struct slot *s)
{
    uint64_t now = th_now_ns();
    if (nothing_to_issue(e, now)) {
        conn_close(e, s, 1);
        s->state = SL_IDLE;
        return;
    }
    if (e->r.p->rate > 0) {
        uint64_t due = due_ns(e);
        if (due > now) {
            park(e, s);
            return;
        }
        e->sched++;
        issue(e, s, now, due);
        return;
    }
    issue(e, s, now, now);
}

static void drive(struct engine *e, struct slot *s);

/* Open loop: the parked slots take the requests now due, first parked first; when
 * there is nothing more to issue they close. */
static void release(struct engine *e, uint64_t now)
{
    while (e->w_head) {
        int done = nothing_to_issue(e, now);
        uint64_t due = done ? 0 : due_ns(e);
        if (!done && due > now)
            return;
        struct slot *s = e->w_head;
        e->w_head = s->wnext;
        if (!e->w_head)
            e->w_tail = NULL;
        s->wnext = NULL;
        if (done) {
            conn_close(e, s, 1);
            s->state = SL_IDLE;
            continue;
        }
        e->sched++;
        issue(e, s, now, due);
        drive(e, s);
        now = th_now_ns();
    }
}

/* A failed request: counted, its connection dropped, and the slot starts over. */
static void fail(struct engine *e, struct slot *s)
{
    th_loadgen_count_failure(&e->r, &s->k.err);
    timer_clear(e, s);
    e->r.issued--;
    warmed(e, s);
    conn_close(e, s, 0);
    slot_next(e, s);
}

/* TCP is up: the TLS connection, offering the slot's session when resuming. */
static enum th_step connected(struct engine *e, struct slot *s)
{
    s->t_first = 0;
    if (th_loadgen_tls_new(&e->r, &s->k) != 0)
        return TH_STEP_FAILED;
    s->state = SL_HANDSHAKE;
    return TH_STEP_DONE;
}

static enum th_step start_connect(struct engine *e, struct slot *s)
{
    enum th_step st = th_loadgen_connect(&e->r, &s->k);
    if (st == TH_STEP_DONE)
        return connected(e, s);
    if (st == TH_STEP_WANT_WRITE)
        s->state = SL_CONNECT;
    return st;
}

/* Reached only from an event on this connection: the connect has finished. */
static enum th_step step_connect(struct engine *e, struct slot *s)
{
    if (th_loadgen_connect_result(&e->r, &s->k) != 0)
        return TH_STEP_FAILED;
    return connected(e, s);
}

/* A connection that offers a session sends its request as early data first (with
 * early_data); what the server took is not sent again. */
static enum th_step step_handshake(struct engine *e, struct slot *s)
{
    if (!s->k.early && s->k.offered && e->r.p->early_data) {
        enum th_step st = th_loadgen_early(&e->r, &s->k, e->req, e->req_len);
        if (st != TH_STEP_DONE)
            return st;
        s->t_sent = th_now_ns(); /* the request is written, if all of it went */
    }
    enum th_step st = th_loadgen_handshake(&e->r, &s->k, NULL);
    if (st != TH_STEP_DONE)
        return st;
    s->out_off = s->k.early_accepted ? s->k.early_len : 0;
    s->state = SL_SEND;
    return TH_STEP_DONE;
}

static enum th_step step_send(struct engine *e, struct slot *s)
{
    while (s->out_off < e->req_len) {
        size_t done = 0;
        enum th_step st =
            e->r.b->write(s->k.tls, e->req + s->out_off, e->req_len - s->out_off, &done, &s->k.err);
        s->out_off += done;
        if (st == TH_STEP_CLOSED) {
            th_error_set(&s->k.err, TH_TRUNCATED, 0,
                         "the server closed while the request went out");
            return TH_STEP_FAILED;
        }
        if (st != TH_STEP_DONE)
            return st;
    }
    if (!s->k.conn_reqs && !(s->k.early_accepted && s->k.early_len == e->req_len))
        s->t_sent = th_now_ns();
    s->state = SL_RECV;
    return TH_STEP_DONE;
}

/* A verified response: record it, take the session, and go on. */
static enum th_step complete(struct engine *e, struct slot *s)
{
    if (s->sum) {
        if (th_bodysum_check(s->sum, e->r.p->expect_sha256, s->resp.body, &s->k.err) != 0)
            return TH_STEP_FAILED;
        e->r.st->bodies_hashed++;
    }
    uint64_t now = th_now_ns();
    timer_clear(e, s);
    th_loadgen_push_latency(&e->r, now - s->t_req);
    warmed(e, s);
    e->r.st->requests++;
    e->r.st->body_bytes += s->resp.body;
    e->r.last_ns = now;
    if (s->k.conn_reqs++ == 0)
        th_loadgen_first_response(&e->r, &s->k, s->t_first - s->t_sent, s->t_first);
    if (e->r.p->new_connection_per_request || s->resp.close)
        conn_close(e, s, 1);
    slot_next(e, s);
    return TH_STEP_DONE;
}

static enum th_step step_recv(struct engine *e, struct slot *s)
{
    for (;;) {
        size_t got = 0;
        enum th_step st = e->r.b->read(s->k.tls, e->rbuf, sizeof(e->rbuf), &got, &s->k.err);
        if (got) {
            if (!s->t_first)
                s->t_first = th_now_ns();
            enum th_http_result r = th_http_resp_feed(&s->resp, e->rbuf, got);
            if (r == TH_HTTP_DONE)
                return complete(e, s);
            if (r == TH_HTTP_BAD) {
                th_error_set(&s->k.err, TH_INTERNAL_ERROR, 0, "%s", s->resp.why);
                return TH_STEP_FAILED;
            }
        }
        if (st == TH_STEP_DONE && got)
            continue;
        if (st == TH_STEP_DONE) /* a backend breaking the read contract */
            th_error_set(&s->k.err, TH_INTERNAL_ERROR, 0,
                         "%s read returned neither data nor status", e->r.b->name);
        else if (st == TH_STEP_CLOSED)
            th_error_set(&s->k.err, TH_TRUNCATED, 0,
                         "close_notify before the response ended (%llu body bytes)",
                         (unsigned long long)s->resp.body);
        return st == TH_STEP_DONE || st == TH_STEP_CLOSED ? TH_STEP_FAILED : st;
    }
}

/* Run the slot until it has to wait for the socket, or has nothing to do. */
static void drive(struct engine *e, struct slot *s)
{
    for (;;) {
        enum th_step st;
        switch (s->state) {
        case SL_START: st = start_connect(e, s); break;
        case SL_CONNECT: st = step_connect(e, s); break;
        case SL_HANDSHAKE: st = step_handshake(e, s); break;
        case SL_SEND: st = step_send(e, s); break;
        case SL_RECV: st = step_recv(e, s); break;
        default: return; /* SL_IDLE */
        }
        if (th_loadgen_blocked(&e->r, &s->k, st))
            return;
        if (st != TH_STEP_DONE)
            fail(e, s);
    }
}

static void expire(struct engine *e, uint64_t now)
{
    while (e->t_head && e->t_head->deadline <= now) {
        struct slot *s = e->t_head;
        th_error_set(&s->k.err, TH_TIMEOUT, 0, "no response within %.3g s (%s)",
                     (double)e->r.timeout_ns / 1e9, state_names[s->state]);
        fail(e, s);
        drive(e, s);
    }
}

/* How long to wait for events, in ns: up to the nearest deadline or send time. */
static uint64_t wait_ns(const struct engine *e, uint64_t now)
{
    uint64_t until = e->t_head ? e->t_head->deadline : now + 1000000000ull;
    if (e->w_head && due_ns(e) < until)
        until = due_ns(e);
    if (e->r.end_ns && e->r.end_ns < until)
        until = e->r.end_ns;
    if (e->r.p->interrupt && until > now + 100000000ull)
        until = now + 100000000ull;
    return until <= now ? 0 : until - now;
}

/* epoll_wait's milliseconds would send an open loop's requests up to 1 ms late:
 * epoll_pwait2 (Linux 5.11) waits to the nanosecond. */
static int wait_events(struct engine *e, struct epoll_event *evs, uint64_t now)
{
    static int no_pwait2;
    uint64_t ns = wait_ns(e, now);
    if (e->r.p->rate > 0 && !no_pwait2) {
        struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                              .tv_nsec = (long)(ns % 1000000000u)};
        int n = epoll_pwait2(e->r.ep, evs, MAX_EVENTS, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        no_pwait2 = 1;
    }
    return epoll_wait(e->r.ep, evs, MAX_EVENTS, (int)((ns + 999999) / 1000000));
}

/* An event on a parked slot's connection: read what came. A late ticket leaves it
 * open; a close (a server ending idle keep-alive connections) or bytes out of turn
 * close it, and its next request opens a new one instead of failing on the old. */
static void dispatch(struct engine *e, struct slot *s)
{
    if (s->state != SL_WAIT) {
        drive(e, s);
    } else if (s->k.tls) {
        size_t got = 0;
        struct th_error ignored;
        if (e->r.b->read(s->k.tls, e->rbuf, sizeof(e->rbuf), &got, &ignored) != TH_STEP_WANT_READ ||
            got)
            conn_close(e, s, 0);
        else
            th_loadgen_watch(&e->r, &s->k,
                             EPOLLIN); /* not EPOLLOUT, which would fire on every wait */
    }
}

static void event_loop(struct engine *e)
{
    struct epoll_event evs[MAX_EVENTS];
    uint64_t t = th_now_ns();
    for (unsigned i = 0; i < e->n; i++) {
        if (e->r.p->rate > 0 && !e->r.p->new_connection_per_request && !nothing_to_issue(e, t)) {
            e->slots[i].warmup = 1;
            e->warming++;
            issue(e, &e->slots[i], t, t);
        } else {
            slot_next(e, &e->slots[i]);
        }
    }
    for (unsigned i = 0; i < e->n; i++)
        drive(e, &e->slots[i]);
    uint64_t now = th_now_ns();
    /* issued counts the verified and those in flight: none in flight and none parked,
     * nothing to wait for */
    while (!stop_now(e, now) && (e->r.issued > e->r.st->requests || e->w_head)) {
        int n = wait_events(e, evs, now);
        for (int i = 0; i < n; i++) {
            uint32_t idx = (uint32_t)evs[i].data.u64, gen = (uint32_t)(evs[i].data.u64 >> 32);
            if (idx < e->n && e->slots[idx].k.gen == gen)
                dispatch(e, &e->slots[idx]);
        }
        if (n < 0 && errno != EINTR) {
            e->r.stopping = 1; /* cannot happen with a valid set; never spin on it */
            break;
        }
        now = th_now_ns();
        expire(e, now);
        release(e, now);
    }
}

/* ---- set-up ---- */

/* What the caller asks must be possible: the scenario reader has checked what a user
 * wrote, so a refusal here is the harness's own fault, with its place. */
static int check_params(const struct th_backend *b, const struct th_loadgen_params *p,
                        struct th_error *err)
{
    const char *path = p->path ? p->path : "/";
    struct rlimit rl;
    if (!b->conn_new || !b->handshake || !b->read || !b->write || !b->shutdown)
        TH_FAULT(err, 0, "backend %s has no driver I/O", b->name);
    else if (!p->host || !p->host[0])
        TH_FAULT(err, 0, "no host to connect to");
    else if (!p->connections)
        TH_FAULT(err, 0, "connections must be at least 1");
    else if (!p->requests && !(p->seconds > 0))
        TH_FAULT(err, 0, "neither a request count nor seconds");
    else if (!(p->rate >= 0) || p->rate > 1e9)
        TH_FAULT(err, 0, "rate %g is not from 0 to 10^9 requests/s", p->rate);
    else if (p->resume != TH_RESUME_NONE && (!b->session_get || !b->session_free))
        TH_FAULT(err, 0, "backend cannot resume");
    else if (path[0] != '/' || strpbrk(path, " \t\r\n"))
        TH_FAULT(err, 0, "path '%s' is not a request target", path);
    else if (p->requests > SIZE_MAX / sizeof(uint64_t))
        TH_FAULT(err, 0, "%llu requests: too many to record", (unsigned long long)p->requests);
    else if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
             (rlim_t)p->connections + 16 > rl.rlim_cur)
        TH_FAULT(err, 0, "%u connections exceed the open-file limit %llu", p->connections,
                 (unsigned long long)rl.rlim_cur);
    else
        return 0;
    return -1;
}

/* The request, built once: every request of the run sends the same bytes. */
static void build_request(struct engine *e)
{
    const struct th_loadgen_params *p = e->r.p;
    const char *path = p->path ? p->path : "/";
    char host[300];
    th_loadgen_authority(p, host, sizeof(host));
    e->req = th_xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsharness\r\n"
                          "Accept: */*\r\n%s\r\n",
                          path, host, p->new_connection_per_request ? "Connection: close\r\n" : "");
    e->req_len = strlen(e->req);
    e->check = th_loadgen_bytes_path(path, &e->want_len);
}

static void engine_free(struct engine *e)
{
    for (unsigned i = 0; e->slots && i < e->n; i++) {
        struct slot *s = &e->slots[i];
        conn_close(e, s, s->state != SL_CONNECT && s->state != SL_HANDSHAKE);
        th_loadgen_conn_free(&e->r, &s->k);
        th_bodysum_free(s->sum);
    }
    free(e->slots);
    free(e->req);
    th_loadgen_run_free(&e->r);
    free(e);
}

int th_loadgen_run(const struct th_backend *b, struct th_ctx *cctx,
                   const struct th_loadgen_params *p, struct th_loadgen_stats *out,
                   struct th_error *err)
{
    memset(out, 0, sizeof(*out));
    if (check_params(b, p, err) != 0)
        return -1;
    if (p->http2)
        return th_loadgen_h2_run(b, cctx, p, out, err);
    struct engine *e = th_xcalloc(1, sizeof(*e));
    *e = (struct engine){.r = {.b = b, .ctx = cctx, .p = p, .st = out, .ep = -1},
                         .n = p->connections};
    if (th_loadgen_open(&e->r, err) != 0) {
        engine_free(e);
        return -1;
    }
    build_request(e);
    out->body_check = th_loadgen_body_check(e->check, p->expect_sha256);
    /* calloc: the slots' head buffers stay untouched pages until used */
    e->slots = th_xcalloc(e->n, sizeof(*e->slots));
    for (unsigned i = 0; i < e->n; i++) {
        e->slots[i].k.index = i;
        e->slots[i].k.tcp.fd = -1;
        if (p->expect_sha256 && !(e->slots[i].sum = th_bodysum_new())) {
            TH_FAULT(err, 0, "no SHA-256 context for the body check");
            engine_free(e);
            return -1;
        }
    }
    th_loadgen_clock_start(&e->r);
    event_loop(e);
    th_loadgen_clock_stop(&e->r);
    engine_free(e);
    return 0;
}

void th_loadgen_stats_free(struct th_loadgen_stats *s)
{
    free(s->latency_ns);
    free(s->connect_ns);
    free(s->tls_ns);
    free(s->first_byte_ns);
    free(s->ttfb_ns);
    memset(s, 0, sizeof(*s));
}
