/* handshake_rate over TCP on loopback: `concurrency` client threads connect to one
 * listening socket served by as many server threads, each connection a full TLS
 * handshake (or a resumed one) and a close_notify exchange, so that neither end
 * resets a connection the other is still reading. Each thread's CPU time is its
 * own, read at its start and end, so it includes the socket calls a real client
 * and server make; every handshake is checked as in memory. With handshakes.request
 * the client sends a request (early, with client.early_data "send") that the server
 * answers before the close, and the time from the client's connect to the reply's
 * first byte is kept. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/io/hsnoop.h"
#include "harness/io/transport.h"
#include "kinds_int.h"

struct worker {
    const struct th_case *k;
    struct th_ctx *ctx;
    struct th_session *sess; /* offered by a client: the primed one, then its own newest */
    struct th_session *own;  /* a client's newest (handshakes.request), freed at the end */
    int is_server, lfd;
    uint16_t port;
    uint64_t count, deadline; /* count 0: until end_ns */
    uint64_t end_ns, finished_ns;
    uint64_t cpu_ns, done;
    int *stop;              /* set once every client is done: servers leave */
    struct th_error err;    /* the first failure; text empty until then */
    struct th_observed obs; /* a client's handshakes (th_rate_note) */
    struct th_ns_list ttfb; /* a client's, with handshakes.request */
};

/* Drive one call until DONE (or CLOSED when reading to the end), polling between. */
static enum th_step drive(struct worker *w, struct th_tcp *t, struct th_conn *c, int reading,
                          struct th_error *err)
{
    for (;;) {
        enum th_step st;
        if (reading) {
            char sink[512];
            size_t n = 0;
            const struct th_backend *b = w->is_server ? w->k->server : w->k->client;
            st = b->read(c, sink, sizeof(sink), &n, err);
            if (st == TH_STEP_DONE)
                continue; /* data (a ticket, say): keep reading until the close */
        } else {
            const struct th_backend *b = w->is_server ? w->k->server : w->k->client;
            st = b->handshake(c, err);
        }
        if (st == TH_STEP_DONE || st == TH_STEP_CLOSED || st == TH_STEP_FAILED)
            return st;
        int r = th_tcp_wait(t->fd, st == TH_STEP_WANT_WRITE, w->deadline);
        if (r <= 0) {
            th_error_set(err, r == 0 ? TH_TIMEOUT : TH_IO_ERROR, 0, "%s",
                         r == 0 ? "time limit" : "poll failed");
            return TH_STEP_FAILED;
        }
    }
}

/* Move all of buf (write) or fill it (read) through one connection, polling between
 * steps; *t_first (reading, when not NULL) is set when the first byte comes. 0, or -1
 * with err. */
static int xfer(struct worker *w, struct th_tcp *t, struct th_conn *c, int writing, char *buf,
                size_t len, uint64_t *t_first, struct th_error *err)
{
    const struct th_backend *b = w->is_server ? w->k->server : w->k->client;
    size_t off = 0;
    while (off < len) {
        size_t n = 0;
        enum th_step st = writing ? b->write(c, buf + off, len - off, &n, err)
                                  : b->read(c, buf + off, len - off, &n, err);
        if (n && t_first && !*t_first)
            *t_first = th_now_ns();
        off += n;
        if (st == TH_STEP_FAILED)
            return -1;
        if (st == TH_STEP_CLOSED) {
            th_error_set(err, TH_TRUNCATED, 0, "the peer closed before the %s was whole",
                         w->is_server ? "request" : "reply");
            return -1;
        }
        if (st == TH_STEP_DONE)
            continue;
        int r = th_tcp_wait(t->fd, st == TH_STEP_WANT_WRITE, w->deadline);
        if (r <= 0) {
            th_error_set(err, r == 0 ? TH_TIMEOUT : TH_IO_ERROR, 0, "%s",
                         r == 0 ? "time limit" : "poll failed");
            return -1;
        }
    }
    return 0;
}

/* handshakes.request: the client writes what its early data did not carry (sent)
 * and reads the reply, timed from t0 (before its connect); the server reads the
 * request and answers. Both checked byte for byte. 0, or -1 with err. */
static int exchange(struct worker *w, struct th_tcp *t, struct th_conn *c, size_t sent, uint64_t t0,
                    struct th_error *err)
{
    static const char req[] = TH_RATE_REQUEST, rep[] = TH_RATE_REPLY;
    char buf[sizeof(req) > sizeof(rep) ? sizeof(req) : sizeof(rep)];
    uint64_t t_first = 0;
    if (w->is_server) {
        TH_GUARD(xfer(w, t, c, 0, buf, sizeof(req) - 1, NULL, err));
        if (memcmp(buf, req, sizeof(req) - 1) != 0) {
            th_error_set(err, TH_INTERNAL_ERROR, 0, "the request arrived changed");
            return -1;
        }
        memcpy(buf, rep, sizeof(rep) - 1);
        return xfer(w, t, c, 1, buf, sizeof(rep) - 1, NULL, err);
    }
    memcpy(buf, req, sizeof(req) - 1);
    TH_GUARD(xfer(w, t, c, 1, buf + sent, sizeof(req) - 1 - sent, NULL, err));
    TH_GUARD(xfer(w, t, c, 0, buf, sizeof(rep) - 1, &t_first, err));
    if (memcmp(buf, rep, sizeof(rep) - 1) != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "the reply arrived changed");
        return -1;
    }
    th_ns_push(&w->ttfb, t_first - t0);
    return 0;
}

/* Client, before its first handshake step: the request as early data; *len the bytes
 * taken. 1 when it was tried. */
static int early_request(struct worker *w, struct th_conn *c, size_t *len)
{
    const struct th_backend *b = w->k->client;
    if (w->is_server || !w->k->rate.request || w->k->c.early != TH_EARLY_SEND || !w->sess ||
        !b->early_write)
        return 0;
    struct th_error e = {0};
    size_t done = 0;
    *len =
        b->early_write(c, TH_RATE_REQUEST, sizeof(TH_RATE_REQUEST) - 1, &done, &e) == TH_STEP_DONE
            ? done
            : 0;
    return 1;
}

static int check_client(struct worker *w, struct th_conn *c, const struct th_hsnoop *hs, int early,
                        size_t early_len, struct th_negotiated *out)
{
    struct th_negotiated n;
    w->k->client->negotiated(c, &n);
    *out = n;
    th_rate_note(&w->obs, &n, hs);
    int want = w->k->rate.resume != TH_RESUME_NONE;
    const struct th_expect *x = &w->k->expect;
    if (n.resumed != want) {
        th_error_set(&w->err, TH_INTERNAL_ERROR, 0,
                     "a handshake meant to be %s was %s: sample discarded",
                     want ? "resumed" : "full", n.resumed ? "resumed" : "full");
        return -1;
    }
    if ((x->version && n.version != x->version) || (x->suite && n.suite != x->suite) ||
        (x->group && !want && n.group != x->group)) {
        th_error_set(&w->err, TH_INTERNAL_ERROR, 0,
                     "a handshake negotiated %s, suite 0x%04X, group 0x%04X, "
                     "not what the scenario pins: sample discarded",
                     th_version_name(n.version), n.suite, n.group);
        return -1;
    }
    return th_rate_early_check(early, early_len, &n, &w->err);
}

/* One connection: handshake, checks, the request (handshakes.request), close_notify
 * both ways. One piece: the steps of one connection in their order, each failure
 * said once at the end. */
static int one(struct worker *w)
{
    const struct th_backend *b = w->is_server ? w->k->server : w->k->client;
    struct th_error te = {0};
    uint64_t t0 = th_now_ns();
    int fd = w->is_server ? th_tcp_accept(w->lfd, w->deadline, &te)
                          : th_tcp_connect("127.0.0.1", w->port, w->deadline, NULL, &te);
    if (fd >= 0 && w->is_server && __atomic_load_n(w->stop, __ATOMIC_ACQUIRE)) {
        close(fd); /* the wake-up call: every client is done */
        return 1;
    }
    if (fd < 0) {
        th_error_set(&w->err, te.outcome, te.code, "%s: %s", w->is_server ? "accept" : "connect",
                     te.outcome == TH_TIMEOUT ? "time limit" : strerror((int)te.code));
        return -1;
    }
    struct th_tcp t;
    th_tcp_init(&t, fd);
    struct th_hsnoop *hs = th_xmalloc(sizeof(*hs)); /* a client's: what its server sent */
    th_hsnoop_init(hs, &t.io, 0);
    struct th_conn *c = NULL;
    struct th_error err = {0};
    struct th_negotiated n = {0};
    size_t early_len = 0;
    int rc = -1, done = 0, early = 0, checked = 0;
    int made = b->conn_new(w->ctx, w->is_server ? &t.io : &hs->io, w->is_server ? NULL : w->sess,
                           &c, &err) == 0;
    if (made)
        early = early_request(w, c, &early_len);
    if (made && (done = drive(w, &t, c, 0, &err) == TH_STEP_DONE) &&
        (checked = w->is_server || check_client(w, c, hs, early, early_len, &n) == 0) &&
        (!w->k->rate.request ||
         exchange(w, &t, c, n.early_accepted ? early_len : 0, t0, &err) == 0)) {
        /* with handshakes.request a client resumes its newest ticket next, as a client
         * does: a server whose tickets allow early data may take each one once */
        struct th_session *s = NULL;
        if (!w->is_server && w->k->rate.request && w->sess && b->session_get &&
            (s = b->session_get(c))) {
            if (w->own)
                b->session_free(w->own);
            w->own = w->sess = s;
        }
        /* client: close_notify, then wait for the server's; server: the reverse */
        if (!w->is_server)
            b->shutdown(c, &err);
        drive(w, &t, c, 1, &err);
        if (w->is_server)
            b->shutdown(c, &err);
        rc = 0;
    } else if (!w->err.text[0]) {
        th_error_set(&w->err, err.outcome, err.code, "%s %s failed: %s: %.160s (code %ld)",
                     w->is_server ? "server" : "client", checked ? "request" : "handshake",
                     th_outcome_name(err.outcome), err.text, err.code);
        w->err.file = err.file; /* a harness fault (a shim gone) stays one */
        w->err.line = err.line;
    }
    if (!w->is_server && !done)
        th_rate_note(&w->obs, NULL, hs);
    if (c)
        b->conn_free(c);
    free(hs);
    th_tcp_close(&t);
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t c0 = th_thread_cpu_ns();
    for (;;) {
        if (w->count ? w->done >= w->count : (!w->is_server && th_now_ns() >= w->end_ns))
            break;
        if (one(w) != 0)
            break;
        w->done++;
        w->finished_ns = th_now_ns();
    }
    w->cpu_ns = th_thread_cpu_ns() - c0;
    return NULL;
}

/* Clients first; then wake each server still waiting in accept, and join it. */
static void join_all(struct worker *w, pthread_t *tid, unsigned started, unsigned n, uint16_t port,
                     int *stop)
{
    for (unsigned i = 1; i < started; i += 2)
        pthread_join(tid[i], NULL);
    __atomic_store_n(stop, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < n; i++) {
        int fd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 1000000000ull, NULL, NULL);
        if (fd >= 0)
            close(fd);
    }
    for (unsigned i = 0; i < started; i += 2)
        pthread_join(tid[i], NULL);
}

/* The repetition's figures from its workers: the wall time runs to the last
 * client's last handshake. -1 with the first worker's failure, or a shortfall. */
static int sum_up(const struct worker *w, unsigned started, uint64_t count, uint64_t w0,
                  struct th_rate_sample *out, struct th_observed *obs, struct th_error *err)
{
    uint64_t last = w0, done = 0, ccpu = 0, scpu = 0;
    for (unsigned i = 0; i < started; i++)
        if (!w[i].is_server)
            th_rate_merge(obs, &w[i].obs);
    /* a client's failure first: a server's read often fails only because its client
     * gave up on what it saw */
    for (int server = 0; server < 2; server++)
        for (unsigned i = 0; i < started; i++)
            if (w[i].is_server == server && w[i].err.text[0]) {
                *err = w[i].err;
                return -1;
            }
    for (unsigned i = 0; i < started; i++) {
        if (!w[i].is_server && w[i].finished_ns > last)
            last = w[i].finished_ns;
        done += w[i].is_server ? 0 : w[i].done;
        *(w[i].is_server ? &scpu : &ccpu) += w[i].cpu_ns;
    }
    if (count ? done < count : done == 0) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "%llu of %llu handshakes completed",
                     (unsigned long long)done, (unsigned long long)count);
        return -1;
    }
    out->per_s = (double)done / ((double)(last - w0) / 1e9);
    out->client_us = (double)ccpu / 1e3 / (double)done;
    out->server_us = (double)scpu / 1e3 / (double)done;
    struct th_ns_list all = {0}; /* every client's connections' times to the first byte */
    for (unsigned i = 0; i < started; i++)
        for (size_t j = 0; j < w[i].ttfb.n; j++)
            th_ns_push(&all, w[i].ttfb.v[j]);
    out->ttfb_ms = th_ns_median_ms(&all);
    free(all.v);
    return 0;
}

static double handshakes_of(const struct worker *w, unsigned started)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < started; i++)
        n += w[i].is_server ? 0 : w[i].done;
    return n ? (double)n : 1;
}

/* One repetition of count handshakes over `concurrency` pairs of threads. */
int th_rate_tcp_rep(const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx,
                    struct th_session **sess, unsigned nsess, uint64_t count, double seconds,
                    struct th_rate_sample *out, struct th_observed *obs, struct th_error *err)
{
    unsigned n = k->rate.concurrency ? k->rate.concurrency : 1;
    uint16_t port = 0;
    int lfd = th_tcp_listen("127.0.0.1", &port);
    if (lfd < 0) {
        TH_FAULT(err, errno, "listen on 127.0.0.1: %s", strerror(errno));
        return -1;
    }
    struct worker *w = th_xcalloc(2 * n, sizeof(*w));
    pthread_t *tid = th_xcalloc(2 * n, sizeof(*tid));
    uint64_t deadline = th_now_ns() + (uint64_t)(k->timeout_s * 1e9) + 120000000000ull;
    uint64_t ext_c = th_side_cpu(k->client, cctx), ext_s = th_side_cpu(k->server, sctx);
    uint64_t w0 = th_now_ns(), end = count ? 0 : w0 + (uint64_t)(seconds * 1e9);
    int stop = 0;
    unsigned started = 0;
    for (unsigned i = 0; i < 2 * n; i++) {
        int server = i % 2 == 0;
        w[i] = (struct worker){.k = k,
                               .ctx = server ? sctx : cctx,
                               .sess = server || !nsess ? NULL : sess[(i / 2) % nsess],
                               .is_server = server,
                               .lfd = lfd,
                               .port = port,
                               .count = count ? count / n + (i / 2 < count % n) : 0,
                               .end_ns = end,
                               .deadline = deadline,
                               .stop = &stop};
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
            break;
        started++;
    }
    join_all(w, tid, started, n, port, &stop);
    close(lfd);
    int rc = -1;
    if (started < 2 * n)
        TH_FAULT(err, 0, "cannot start %u threads", 2 * n);
    else
        rc = sum_up(w, started, count, w0, out, obs, err);
    if (rc == 0) { /* a shim's process did its side's work out of these threads */
        out->client_us +=
            (double)(th_side_cpu(k->client, cctx) - ext_c) / 1e3 / handshakes_of(w, started);
        out->server_us +=
            (double)(th_side_cpu(k->server, sctx) - ext_s) / 1e3 / handshakes_of(w, started);
    }
    for (unsigned i = 0; i < started; i++) {
        free(w[i].ttfb.v);
        if (!w[i].own)
            continue;
        if (i / 2 < nsess) { /* the thread's newest, for the next repetition */
            k->client->session_free(sess[i / 2]);
            sess[i / 2] = w[i].own;
        } else {
            k->client->session_free(w[i].own);
        }
    }
    free(w);
    free(tid);
    return rc;
}
