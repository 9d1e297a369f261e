/* The runner. A handshake case is one connection (two when the client resumes):
 * the TLS handshake, an HTTP/1.1 request and its response checked byte for byte,
 * then close_notify both ways. The response is read by the load generator's
 * parser (http/response.c), as strictly: a response it refuses fails the case at
 * once as internal_error, as it fails a load request, a status other than 2xx
 * included, as for the libcurl clients. Each end is a small state machine that never
 * blocks, so the same code drives both ends in one thread over the in-memory
 * pair, or one end per thread over TCP, or the client alone against an external
 * server. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/fixture/fixture.h"
#include "harness/http/response.h"
#include "harness/run/endpoint.h"
#include "harness/run/judge.h"
#include "harness/io/hsnoop.h"
#include "harness/io/transport.h"
#include "harness/vocab/text.h"
#include "kinds_int.h"

#define BODY_LEN 1024
_Static_assert(BODY_LEN == TH_FIXTURE_INDEX_LEN, "a fixture's index page is what clients check");
#define MAX_HEADERS 16384 /* a request head, as its error message says */

enum ep_state {
    EP_HANDSHAKE,
    EP_WRITE,      /* client: the request; server: the response */
    EP_READ_REQ,   /* server */
    EP_READ_RESP,  /* client */
    EP_SHUTDOWN,   /* send close_notify */
    EP_READ_CLOSE, /* wait for the peer's close_notify */
    EP_FINISHED,
};

static const char *const state_names[] = {
    "handshake",         "write",    "read request", "read response", "shutdown",
    "wait close_notify", "finished",
};

/* One end of one connection. */
struct endpoint {
    const struct th_backend *b;
    struct th_conn *conn;
    int is_server;
    int external_peer; /* the server is not ours: HTTP framing may vary */
    enum ep_state state;
    int failed;
    struct th_error err;
    char *out; /* what this end writes */
    size_t out_len, out_off;
    char *in; /* server: the request read so far */
    size_t in_len, in_cap;
    const unsigned char *want_body; /* client: the body our server or a fixture sends */
    struct th_http_resp *resp;      /* client: the response, as it is read */
    uint64_t got;                   /* client: response bytes read */
    int peer_closed;                /* client: the peer's close ended the response */
    uint64_t handshake_ns, t0;
    uint64_t first_byte_ns; /* client: from t0 to the first response byte */
    int early;              /* client: the request goes as early data before the handshake */
    size_t early_len;       /* client: the bytes of it the early data took */
    struct th_negotiated neg;
    int have_neg;
    struct th_hsnoop snoop; /* the server's records on this end's transport (hrr) */
};

static void ep_fail(struct endpoint *e, enum th_outcome o, const char *what)
{
    e->failed = 1;
    th_error_set(&e->err, o, 0, "%s", what);
}

/* Server: the request, up to its blank line. */
static int ep_append(struct endpoint *e, const char *buf, size_t n)
{
    if (e->in_len + n > MAX_HEADERS)
        return -1;
    if (e->in_len + n + 1 > e->in_cap) {
        e->in_cap = (e->in_len + n + 1) * 2;
        e->in = th_xrealloc(e->in, e->in_cap);
    }
    memcpy(e->in + e->in_len, buf, n);
    e->in_len += n;
    e->in[e->in_len] = '\0';
    return 0;
}

/* Client: the parser refused the response. Its reason quotes the peer's bytes
 * escaped already; the status is the code when it was the status refused. */
static void resp_failed(struct endpoint *e, enum th_outcome o)
{
    const struct th_http_resp *r = e->resp;
    int bad_status = r->status && (r->status < 200 || r->status > 299);
    e->failed = 1;
    th_error_set(&e->err, o, bad_status ? r->status : 0, "HTTP response: %s", r->why);
}

/* Client: response bytes, fed to the parser as they come. */
static enum th_step resp_bytes(struct endpoint *e, const char *buf, size_t n)
{
    if (e->got == 0)
        e->first_byte_ns = th_now_ns() - e->t0;
    e->got += n;
    switch (th_http_resp_feed(e->resp, (const unsigned char *)buf, n)) {
    case TH_HTTP_BAD: resp_failed(e, TH_INTERNAL_ERROR); return TH_STEP_FAILED;
    case TH_HTTP_DONE: e->state = EP_SHUTDOWN; break;
    case TH_HTTP_MORE: break;
    }
    return TH_STEP_DONE;
}

/* Client: the peer closed while the response was read: the end of a body framed
 * by the close (a server not ours may do that), else a truncated response. */
static void resp_eof(struct endpoint *e)
{
    if (th_http_resp_eof(e->resp) == TH_HTTP_DONE) {
        e->peer_closed = 1;
        e->state = EP_SHUTDOWN;
        return;
    }
    resp_failed(e, TH_TRUNCATED);
}

static void after_read_end(struct endpoint *e)
{
    if (e->state == EP_READ_RESP)
        resp_eof(e);
    else if (e->state == EP_READ_REQ)
        ep_fail(e, TH_TRUNCATED, "peer closed before sending a request");
}

/* Advance the read states with whatever the connection has. */
static enum th_step ep_read(struct endpoint *e)
{
    char buf[16384];
    size_t got = 0;
    enum th_step st = e->b->read(e->conn, buf, sizeof(buf), &got, &e->err);
    if (st == TH_STEP_FAILED) {
        if (e->state == EP_READ_CLOSE) {
            /* ours was sent and everything checked: a peer that closes TCP
             * without answering close_notify does not change the outcome */
            e->state = EP_FINISHED;
            memset(&e->err, 0, sizeof(e->err));
            return TH_STEP_DONE;
        }
        if (e->state == EP_READ_RESP && e->resp->phase == TH_HTTP_UNTIL_CLOSE &&
            e->err.outcome == TH_TRUNCATED) {
            /* HTTP/1.0 style: the end of the stream ends the body */
            memset(&e->err, 0, sizeof(e->err));
            after_read_end(e);
            return e->failed ? TH_STEP_FAILED : TH_STEP_DONE;
        }
        e->failed = 1;
        return st;
    }
    if (st == TH_STEP_CLOSED) {
        if (e->state == EP_READ_CLOSE) {
            e->state = e->is_server ? EP_SHUTDOWN : EP_FINISHED;
            return TH_STEP_DONE;
        }
        after_read_end(e);
        return e->failed ? TH_STEP_FAILED : TH_STEP_DONE;
    }
    if (got == 0)
        return st;
    if (e->state == EP_READ_CLOSE)
        return TH_STEP_DONE; /* data after the exchange: ignored */
    if (e->state == EP_READ_RESP)
        return resp_bytes(e, buf, got);
    if (ep_append(e, buf, got) != 0) {
        ep_fail(e, TH_INTERNAL_ERROR, "peer sent a request head over 16384 bytes");
        return TH_STEP_FAILED;
    }
    if (strstr(e->in, "\r\n\r\n"))
        e->state = EP_WRITE;
    return TH_STEP_DONE;
}

/* A failed handshake keeps what the client made of a staple (a refused one is the
 * reason it failed); nothing else of it was negotiated. */
static void keep_staple(struct endpoint *e)
{
    struct th_negotiated n = {0};
    if (e->is_server)
        return;
    e->b->negotiated(e->conn, &n);
    e->neg = (struct th_negotiated){.ocsp = n.ocsp};
}

/* Client, before its first handshake step: the request as early data, as much of it
 * as the session allows (->early_write); the handshake then says whether the server
 * took it. */
static enum th_step ep_early(struct endpoint *e)
{
    size_t done = 0;
    enum th_step st = e->b->early_write(e->conn, e->out, e->out_len, &done, &e->err);
    e->failed = st == TH_STEP_FAILED;
    if (st == TH_STEP_DONE) {
        e->early = 0;
        e->early_len = done;
    }
    return st;
}

/* Client: the response arrived whole and checked, but close_notify could not go.
 * A server that answers the request it took as early data may close before it
 * reads the client's Finished (nginx does): the reset that unread Finished causes
 * then stops our close_notify, which changes nothing of what was checked. */
static int early_gone(const struct endpoint *e)
{
    return !e->is_server && e->neg.early_accepted && e->err.outcome == TH_IO_ERROR;
}

/* One call advances as far as the transport allows. DONE means finished; WANT_*
 * means call again when the transport can move; FAILED means e->err holds why.
 * One piece: the switch is the state machine, each state's move and its next
 * state side by side. */
static enum th_step ep_step(struct endpoint *e)
{
    for (;;) {
        enum th_step st;
        size_t done = 0;
        switch (e->state) {
        case EP_HANDSHAKE:
            if (e->early && (st = ep_early(e)) != TH_STEP_DONE)
                return st;
            st = e->b->handshake(e->conn, &e->err);
            if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED)
                keep_staple(e);
            if (st != TH_STEP_DONE) {
                e->failed = st == TH_STEP_FAILED;
                return st == TH_STEP_CLOSED ? TH_STEP_FAILED : st;
            }
            e->handshake_ns = th_now_ns() - e->t0;
            e->b->negotiated(e->conn, &e->neg);
            e->have_neg = 1;
            /* what the server took early is not sent again; the rest is */
            if (e->neg.early_accepted)
                e->out_off = e->early_len;
            e->state = e->is_server ? EP_READ_REQ : EP_WRITE;
            /* a server not ours that chose a protocol other than HTTP/1.1 (h2)
             * would not understand our request: the handshake is the case */
            if (!e->is_server && e->external_peer && e->neg.alpn[0] &&
                strcmp(e->neg.alpn, "http/1.1") != 0)
                e->state = EP_SHUTDOWN;
            break;
        case EP_WRITE:
            st = e->b->write(e->conn, e->out + e->out_off, e->out_len - e->out_off, &done, &e->err);
            e->out_off += done;
            if (st == TH_STEP_FAILED) {
                e->failed = 1;
                return st;
            }
            if (e->out_off == e->out_len)
                e->state = e->is_server ? EP_READ_CLOSE : EP_READ_RESP;
            else if (st != TH_STEP_DONE)
                return st;
            break;
        case EP_READ_REQ:
        case EP_READ_RESP:
        case EP_READ_CLOSE: {
            enum ep_state before = e->state;
            st = ep_read(e);
            if (st == TH_STEP_FAILED)
                return st;
            if (st != TH_STEP_DONE && e->state == before)
                return st;
            break;
        }
        case EP_SHUTDOWN:
            st = e->b->shutdown(e->conn, &e->err);
            if (st == TH_STEP_FAILED && early_gone(e)) {
                memset(&e->err, 0, sizeof(e->err));
                e->state = EP_FINISHED;
                break;
            }
            if (st == TH_STEP_FAILED) {
                e->failed = 1;
                return st;
            }
            if (st != TH_STEP_DONE)
                return st;
            /* a client whose peer already closed has nothing more to wait for */
            e->state = e->is_server || e->got == 0 || !e->have_neg || e->peer_closed
                           ? EP_FINISHED
                           : EP_READ_CLOSE;
            break;
        case EP_FINISHED: return TH_STEP_DONE;
        }
        if (e->failed)
            return TH_STEP_FAILED;
    }
}

/* ---- one connection ---- */

struct conn_run {
    const struct th_case *c;
    struct th_target target; /* where the client connects when the server is not ours */
    struct th_ctx *cctx, *sctx;
    struct th_session *resume_from;
    uint64_t deadline;
    struct endpoint cl, sv;
    int timed_out;
    int stalled;
    int early; /* the client sends early data when it resumes */
};

static char *make_request(const struct th_case *c)
{
    const char *host = c->target_host ? c->target_host : "localhost";
    return th_xasprintf("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsharness\r\n"
                        "Connection: close\r\n\r\n",
                        host);
}

static void init_endpoints(struct conn_run *cr, unsigned char *body)
{
    const struct th_case *c = cr->c;
    memset(&cr->cl, 0, sizeof(cr->cl));
    memset(&cr->sv, 0, sizeof(cr->sv));
    cr->cl.b = c->client;
    cr->cl.out = make_request(c);
    cr->cl.out_len = strlen(cr->cl.out);
    cr->cl.external_peer = c->server == NULL;
    cr->cl.want_body = c->server || c->fixture ? body : NULL;
    cr->cl.resp = th_xmalloc(sizeof(*cr->cl.resp));
    /* ours and the fixtures send BODY_LEN known bytes; a server not ours anything
     * within the bound, framed by its close if it likes */
    th_http_resp_start(cr->cl.resp, cr->cl.want_body != NULL, BODY_LEN);
    cr->cl.resp->want_body = cr->cl.want_body;
    cr->cl.resp->max_body = c->c.max_body ? c->c.max_body : TH_MAX_BODY_DEFAULT;
    cr->cl.resp->until_close = cr->cl.want_body == NULL;
    cr->sv.b = c->server;
    cr->sv.is_server = 1;
    char *head = th_xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                              "Content-Length: %d\r\nConnection: close\r\n\r\n",
                              BODY_LEN);
    size_t hl = strlen(head);
    cr->sv.out = th_xmalloc(hl + BODY_LEN);
    memcpy(cr->sv.out, head, hl);
    memcpy(cr->sv.out + hl, body, BODY_LEN);
    cr->sv.out_len = hl + BODY_LEN;
    free(head);
}

static void free_endpoint(struct endpoint *e)
{
    if (e->conn)
        e->b->conn_free(e->conn);
    free(e->out);
    free(e->in);
    free(e->resp);
    e->conn = NULL;
    e->out = e->in = NULL;
    e->resp = NULL;
}

static void mark_timeout(struct endpoint *e, const char *why, double secs)
{
    if (e->failed || e->state == EP_FINISHED || !e->b)
        return;
    e->failed = 1;
    th_error_set(&e->err, TH_TIMEOUT, 0, "%s after %.1f s in state '%s'", why, secs,
                 state_names[e->state]);
}

static int ep_open(struct endpoint *e, struct th_ctx *ctx, const struct th_io *io,
                   struct th_session *sess)
{
    e->t0 = th_now_ns();
    th_hsnoop_init(&e->snoop, io, e->is_server);
    if (e->b->conn_new(ctx, &e->snoop.io, sess, &e->conn, &e->err) != 0) {
        e->failed = 1;
        return -1;
    }
    return 0;
}

/* Both ends in this thread over the in-memory pair: step each in turn; when a
 * round moves no byte and changes no state, the two are waiting on each other. */
static void run_memory(struct conn_run *cr)
{
    struct th_mem_pair pair;
    th_mem_pair_init(&pair);
    if (ep_open(&cr->sv, cr->sctx, &pair.server_io, NULL) != 0 ||
        ep_open(&cr->cl, cr->cctx, &pair.client_io, cr->resume_from) != 0)
        goto out;
    for (;;) {
        uint64_t moved = pair.c2s.total + pair.s2c.total;
        enum ep_state cs = cr->cl.state, ss = cr->sv.state;
        int cdone = cr->cl.failed || cr->cl.state == EP_FINISHED;
        int sdone = cr->sv.failed || cr->sv.state == EP_FINISHED;
        if (!cdone)
            ep_step(&cr->cl);
        if (!sdone)
            ep_step(&cr->sv);
        if (cr->cl.failed)
            th_mem_pair_close_client(&pair);
        if (cr->sv.failed)
            th_mem_pair_close_server(&pair);
        cdone = cr->cl.failed || cr->cl.state == EP_FINISHED;
        sdone = cr->sv.failed || cr->sv.state == EP_FINISHED;
        if (cdone && sdone)
            break;
        int progress =
            moved != pair.c2s.total + pair.s2c.total || cs != cr->cl.state || ss != cr->sv.state;
        if (!progress) {
            if (cdone || sdone)
                break; /* the survivor waits for a peer that has gone */
            cr->stalled = 1;
            mark_timeout(&cr->cl, "stalled: both ends waiting", 0);
            mark_timeout(&cr->sv, "stalled: both ends waiting", 0);
            break;
        }
        if (th_now_ns() > cr->deadline) {
            cr->timed_out = 1;
            mark_timeout(&cr->cl, "time limit", cr->c->timeout_s);
            mark_timeout(&cr->sv, "time limit", cr->c->timeout_s);
            break;
        }
    }
out:
    th_mem_pair_free(&pair);
}

/* One end over a TCP socket until it finishes, fails or the deadline passes. */
static void drive_tcp(struct endpoint *e, struct th_tcp *t, uint64_t deadline, double limit)
{
    for (;;) {
        enum th_step st = ep_step(e);
        if (st == TH_STEP_DONE || st == TH_STEP_FAILED || e->failed)
            return;
        int r = th_tcp_wait(t->fd, st == TH_STEP_WANT_WRITE, deadline);
        if (r == 0) {
            mark_timeout(e, "time limit", limit);
            return;
        }
        if (r < 0) {
            e->failed = 1;
            th_error_set(&e->err, TH_IO_ERROR, errno, "poll: %s", strerror(errno));
            return;
        }
    }
}

struct server_thread {
    struct conn_run *cr;
    int lfd;
    int n_conns; /* connections to serve one after the other (fetch: 2 when resuming) */
};

/* Serve one accepted connection to its end. */
static void serve_conn(struct conn_run *cr, int fd)
{
    struct th_tcp t;
    th_tcp_init(&t, fd);
    if (ep_open(&cr->sv, cr->sctx, &t.io, NULL) == 0)
        drive_tcp(&cr->sv, &t, cr->deadline, cr->c->timeout_s);
    if (cr->sv.conn)
        cr->sv.b->conn_free(cr->sv.conn);
    cr->sv.conn = NULL;
    th_tcp_close(&t);
}

static void *server_main(void *arg)
{
    struct server_thread *st = arg;
    struct conn_run *cr = st->cr;
    struct th_error e = {0};
    int fd = th_tcp_accept(st->lfd, cr->deadline, &e);
    if (fd < 0) {
        cr->sv.failed = 1;
        if (e.outcome == TH_TIMEOUT)
            th_error_set(&cr->sv.err, TH_TIMEOUT, 0, "no connection arrived in time");
        else
            th_error_set(&cr->sv.err, TH_IO_ERROR, e.code, "accept: %s", strerror((int)e.code));
        return NULL;
    }
    serve_conn(cr, fd);
    return NULL;
}

/* A fresh server endpoint for the next connection, keeping the response it sends. */
static void sv_reset(struct endpoint *e)
{
    char *out = e->out;
    size_t out_len = e->out_len;
    const struct th_backend *b = e->b;
    free(e->in);
    memset(e, 0, sizeof(*e));
    e->b = b;
    e->is_server = 1;
    e->out = out;
    e->out_len = out_len;
}

/* The server for a socket-owning client: it connects n_conns times (twice when it
 * resumes). The listener is shut down when the client is done, which ends a wait
 * for a connection that will not come. */
static void *fetch_server_main(void *arg)
{
    struct server_thread *st = arg;
    struct conn_run *cr = st->cr;
    for (int i = 0; i < st->n_conns; i++) {
        sv_reset(&cr->sv);
        struct th_error e = {0};
        int fd = th_tcp_accept(st->lfd, cr->deadline, &e);
        if (fd < 0) {
            /* the client gave up before connecting again: nothing to report */
            if (i > 0 || e.code == EINVAL)
                return NULL;
            int timeout = e.outcome == TH_TIMEOUT;
            cr->sv.failed = 1;
            th_error_set(&cr->sv.err, timeout ? TH_TIMEOUT : TH_IO_ERROR, e.code,
                         "no connection arrived: %s",
                         timeout ? "time limit" : strerror((int)e.code));
            return NULL;
        }
        serve_conn(cr, fd);
        if (cr->sv.failed)
            return NULL;
    }
    return NULL;
}

static void client_tcp(struct conn_run *cr, const char *host, uint16_t port)
{
    struct th_error e = {0};
    int fd = th_tcp_connect(host, port, cr->deadline, NULL, &e);
    if (fd < 0) {
        cr->cl.failed = 1;
        if (e.outcome == TH_TIMEOUT)
            th_error_set(&cr->cl.err, TH_TIMEOUT, 0, "TCP connect to %s:%u timed out", host, port);
        else
            th_error_set(&cr->cl.err, TH_IO_ERROR, e.code, "TCP connect to %s:%u: %s", host, port,
                         strerror((int)e.code));
        return;
    }
    struct th_tcp t;
    th_tcp_init(&t, fd);
    if (ep_open(&cr->cl, cr->cctx, &t.io, cr->resume_from) == 0)
        drive_tcp(&cr->cl, &t, cr->deadline, cr->c->timeout_s);
    if (cr->cl.failed)
        cr->timed_out |= cr->cl.err.outcome == TH_TIMEOUT;
    /* keep the conn for session_get; the socket can go */
    th_tcp_close(&t);
}

static void run_tcp(struct conn_run *cr)
{
    const struct th_case *c = cr->c;
    if (!c->server) {
        client_tcp(cr, cr->target.host, cr->target.port);
        return;
    }
    uint16_t port = 0;
    int lfd = th_tcp_listen("127.0.0.1", &port);
    if (lfd < 0) {
        cr->cl.failed = 1;
        th_error_set(&cr->cl.err, TH_INTERNAL_ERROR, errno, "listen: %s", strerror(errno));
        return;
    }
    struct server_thread st = {.cr = cr, .lfd = lfd};
    pthread_t tid;
    if (pthread_create(&tid, NULL, server_main, &st) != 0) {
        close(lfd);
        cr->cl.failed = 1;
        th_error_set(&cr->cl.err, TH_INTERNAL_ERROR, 0, "cannot start the server thread");
        return;
    }
    client_tcp(cr, "127.0.0.1", port);
    pthread_join(tid, NULL);
    close(lfd);
}

/* ---- a case ---- */

static void observe(struct conn_run *cr, struct th_case_result *r)
{
    struct th_observed *o = &r->obs;
    o->ran = 1;
    o->client_err = cr->cl.failed ? cr->cl.err : (struct th_error){0};
    o->server_seen = cr->c->server != NULL;
    o->server_err = cr->sv.failed ? cr->sv.err : (struct th_error){0};
    if (cr->cl.failed && o->client_err.outcome == TH_OK)
        o->client_err.outcome = TH_INTERNAL_ERROR;
    if (cr->sv.failed && o->server_err.outcome == TH_OK)
        o->server_err.outcome = TH_INTERNAL_ERROR;
    o->outcome = th_decide_outcome(&o->client_err, cr->cl.failed, &o->server_err, cr->sv.failed,
                                   &o->native_side);
    o->have_neg = cr->cl.have_neg;
    o->neg = cr->cl.neg;
    o->first_byte_ns = cr->cl.first_byte_ns;
    /* only the server knows whether the client's certificate verified */
    o->have_server_neg = cr->sv.have_neg;
    o->server_client_cert = cr->sv.have_neg && cr->sv.neg.client_cert;
    /* the client's end reads what it received; a socket-owning client's records are
     * read on our server's end, as it sent them */
    const struct th_hsnoop *hs = th_hsnoop_known(&cr->cl.snoop) ? &cr->cl.snoop : &cr->sv.snoop;
    o->hrr_known = th_hsnoop_known(hs);
    o->hrr = o->hrr_known ? (int)hs->hrr : 0;
}

static void one_connection(struct conn_run *cr, unsigned char *body, int keep_client)
{
    init_endpoints(cr, body);
    cr->cl.b = cr->c->client;
    cr->cl.early = cr->early && cr->resume_from && cr->c->client->early_write;
    if (cr->c->transport == TH_TRANSPORT_MEMORY && cr->c->server)
        run_memory(cr);
    else
        run_tcp(cr);
    if (!keep_client)
        free_endpoint(&cr->cl);
    free_endpoint(&cr->sv);
}

/* A socket-owning client (->fetch) against our own server over TCP, a fixture or
 * an external target: one GET of "/" (two connections when it resumes). */
static void run_fetch(struct conn_run *cr, const char *pki_dir, const unsigned char *body,
                      struct th_case_result *r)
{
    const struct th_case *c = cr->c;
    struct th_endpoint_cfg rc;
    struct th_error err = {0};
    struct th_fetch_result fr = {0};
    pthread_t tid;
    struct server_thread st = {.cr = cr, .lfd = -1, .n_conns = c->c.resume ? 2 : 1};
    int threaded = 0;
    if (th_endpoint_client(c, pki_dir, &rc, &err) != 0) {
        th_error_prefix(&err, "cannot resolve the case's files");
        th_kind_error(r, &err);
        return;
    }
    init_endpoints(cr, (unsigned char *)body);
    rc.cfg.max_body = c->c.max_body;
    if (c->server) {
        uint16_t port = 0;
        st.lfd = th_tcp_listen("127.0.0.1", &port);
        if (st.lfd < 0 || pthread_create(&tid, NULL, fetch_server_main, &st) != 0) {
            TH_FAULT(&err, errno, "cannot start the server: %s", strerror(errno));
            th_kind_error(r, &err);
            goto out;
        }
        threaded = 1;
        cr->target.host = "127.0.0.1";
        cr->target.port = port;
    }
    int fetched =
        c->client->fetch(&rc.cfg, cr->target.host, cr->target.port, "/", c->timeout_s, &fr);
    if (threaded) {
        shutdown(st.lfd, SHUT_RDWR);
        pthread_join(tid, NULL);
    }
    if (fetched != 0 && fr.err.outcome == TH_OK) /* a backend that failed without saying why */
        TH_FAULT(&fr.err, 0, "%s: fetch failed and gave no reason", c->client->name);
    cr->cl.failed = fr.err.outcome != TH_OK;
    cr->cl.err = fr.err;
    /* curl's error buffer may quote what the server sent */
    th_text_safe(cr->cl.err.text, sizeof(cr->cl.err.text), fr.err.text);
    cr->cl.neg = fr.neg;
    cr->cl.have_neg = fr.neg.version != 0;
    if (!cr->cl.failed && (fr.http_status < 200 || fr.http_status > 299)) {
        /* the in-process clients' rule (response.c): any 2xx passes */
        cr->cl.failed = 1;
        th_error_set(&cr->cl.err, TH_INTERNAL_ERROR, fr.http_status, "HTTP status %ld",
                     fr.http_status);
    } else if (!cr->cl.failed && cr->cl.want_body &&
               (fr.body_len != BODY_LEN || memcmp(fr.body, cr->cl.want_body, BODY_LEN) != 0)) {
        cr->cl.failed = 1;
        th_error_set(&cr->cl.err, TH_INTERNAL_ERROR, (long)fr.body_len,
                     "response body (%zu bytes) differs from what the server sent", fr.body_len);
    }
    observe(cr, r);
    th_judge(c, r);
out:
    free(fr.body);
    if (st.lfd >= 0)
        close(st.lfd);
    free_endpoint(&cr->cl);
    free(cr->sv.in);
    free(cr->sv.out);
    cr->sv.in = cr->sv.out = NULL;
}

/* The same early data once more with the same session, as an attacker who replays
 * the flight would send it: whether the server took it again. The case is judged on
 * the connection before, unless this one failed: then its failure is the outcome. */
static void replay(struct conn_run *cr, unsigned char *body, struct th_case_result *r)
{
    struct th_observed before = r->obs;
    one_connection(cr, body, 0);
    if (cr->cl.failed || cr->sv.failed) {
        observe(cr, r);
        th_error_prefix(cr->cl.failed ? &r->obs.client_err : &r->obs.server_err,
                        "the replayed connection");
    } else {
        r->obs = before;
    }
    r->obs.replay_tried = 1;
    r->obs.replay_accepted = cr->cl.have_neg && cr->cl.neg.early_accepted;
}

/* A resuming case runs two connections from the same client context; the second
 * offers the session the first one got, and what it shows is what is judged. */
void th_run_handshake(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                      struct th_ctx *sctx, struct th_case_result *r)
{
    struct conn_run cr = {.c = c};
    struct th_error err = {0};
    uint64_t t0 = th_now_ns();
    if (th_target_locate(c, o, &cr.target, &err) != 0 ||
        th_endpoint_ctxs(c, o->pki_dir, &cr.cctx, &cr.sctx, &err) != 0) {
        th_kind_error(r, &err);
        goto out;
    }
    cr.deadline = t0 + (uint64_t)(c->timeout_s * 1e9);
    unsigned char body[BODY_LEN];
    if (c->fixture)
        th_pattern_fill(0, 0, body, sizeof(body)); /* the fixtures' index page */
    else
        th_pattern_fill(th_hash64(c->id), 0, body, sizeof(body));
    if (!c->client->conn_new) {
        run_fetch(&cr, o->pki_dir, body, r);
        goto out;
    }
    int resuming = c->c.resume != TH_RESUME_NONE;
    if (resuming && c->client->session_get) {
        one_connection(&cr, body, 1);
        if (!cr.cl.failed && !cr.sv.failed && cr.cl.conn)
            cr.resume_from = c->client->session_get(cr.cl.conn);
        if (cr.cl.failed || cr.sv.failed) {
            observe(&cr, r);
            free_endpoint(&cr.cl);
            goto judge;
        }
        free_endpoint(&cr.cl);
    }
    cr.early = c->c.early != TH_EARLY_OFF;
    one_connection(&cr, body, 0);
    observe(&cr, r);
    if (c->c.early == TH_EARLY_REPLAY && cr.resume_from && r->obs.outcome == TH_OK)
        replay(&cr, body, r);
judge:
    th_judge(c, r);
out:
    th_target_add_log(cr.target.fixture, r);
    if (cr.resume_from)
        c->client->session_free(cr.resume_from);
    th_endpoint_ctxs_free(c, cr.cctx, cr.sctx);
}
