/* Kind bulk: application data over the in-memory pair or over TCP, measured so that
 * the harness's own work stays outside the timed sections. How it measures is written down in
 * results/README.md.
 *
 * Memory bulk: after an untimed handshake whose negotiated version and suite are
 * checked, the sender writes one batch (64 KiB) and the receiver reads it back into
 * one buffer; each side's calls are one section timed with the monotonic clock, and
 * the receiver then checks the batch against the keyed pattern, untimed. The
 * thread's CPU time over the whole repetition (two reads of the thread CPU clock,
 * which is a system call costing over a microsecond here) is apportioned to the
 * sides by their sections' share of the wall time, which takes preemption out. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/run/judge.h"
#include "harness/run/metric.h"
#include "harness/run/pair.h"
#include "harness/io/transport.h"
#include "kinds_int.h"

#define BATCH (1u << 16)     /* memory bulk: bytes written, then read, per timed section */
#define TCP_CHUNK (1u << 20) /* TCP bulk: bytes received between two checks */
#define MAX_RECORD 16384u    /* TLS plaintext record limit */

/* One direction, one batch. 0, or -1 with the failing end's error set. */
static int move_batch(struct th_pair_end *tx, struct th_pair_end *rx, const struct th_payload *p,
                      size_t n, size_t ws, unsigned char *buf)
{
    if (th_pair_write(tx, p, n, ws) != 0)
        return -1;
    int closed;
    size_t got = th_pair_read(rx, buf, n, &closed);
    if (!th_payload_matches(p, rx->received, buf, got)) {
        th_pair_end_fail(rx, TH_INTERNAL_ERROR, "received bytes differ from what was sent");
        return -1;
    }
    rx->received += got;
    if (rx->failed)
        return -1;
    if (got < n) {
        th_pair_end_fail(rx, closed ? TH_TRUNCATED : TH_TIMEOUT,
                         closed ? "close_notify before the batch ended"
                                : "the batch did not arrive");
        return -1;
    }
    return 0;
}

/* ---- bulk ---- */

struct bulk_sample {
    double mib_s, send_ns, recv_ns;
};

static uint64_t bulk_amount(const struct th_case *k, const struct th_runner_opts *o)
{
    uint64_t b = k->bulk.bytes;
    if (o->quick && b)
        b = b / 20 > (256u << 10) ? b / 20 : (256u << 10);
    return b;
}

/* A shim's process did its side's sealing or opening: its CPU over the repetition is
 * added to what that side did (the sender's to send, the receiver's to receive; both
 * directions at once: half each). */
static void out_of_process(const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx,
                           const uint64_t ext0[2], double bytes, struct bulk_sample *s)
{
    double c = (double)(th_side_cpu(k->client, cctx) - ext0[0]);
    double v = (double)(th_side_cpu(k->server, sctx) - ext0[1]);
    if (k->bulk.direction == TH_BOTH) {
        s->send_ns += (c + v) / 2 / bytes;
        s->recv_ns += (c + v) / 2 / bytes;
    } else {
        s->send_ns += (k->bulk.direction == TH_C2S ? c : v) / bytes;
        s->recv_ns += (k->bulk.direction == TH_C2S ? v : c) / bytes;
    }
}

/* One repetition over memory: batches until the amount (or the time) is moved. */
static int bulk_memory_rep(const struct th_case *k, const struct th_runner_opts *o,
                           struct th_pair *d, struct th_ctx *cctx, struct th_ctx *sctx,
                           const struct th_payload *p, struct bulk_sample *s)
{
    size_t ws = k->bulk.write_size, batch = ws * ((BATCH + ws - 1) / ws);
    uint64_t total = bulk_amount(k, o), moved = 0;
    double secs = k->bulk.seconds > 0 ? k->bulk.seconds : 1.0;
    if (o->quick)
        secs /= 20;
    unsigned char *buf = th_xmalloc(batch);
    /* a shim's side waits on its process: time each side's calls with the thread's
     * CPU clock rather than share the thread's CPU out by wall time */
    int ext = k->client->cpu_ns || k->server->cpu_ns;
    d->cl.cpu_timed = d->sv.cpu_timed = ext;
    uint64_t start = th_now_ns(), cpu0 = th_thread_cpu_ns();
    uint64_t ext0[2] = {th_side_cpu(k->client, cctx), th_side_cpu(k->server, sctx)};
    int rc = 0;
    for (;;) {
        size_t n = total && total - moved < batch ? (size_t)(total - moved) : batch;
        if (k->bulk.direction != TH_S2C && move_batch(&d->cl, &d->sv, p, n, ws, buf) != 0)
            rc = -1;
        if (!rc && k->bulk.direction != TH_C2S && move_batch(&d->sv, &d->cl, p, n, ws, buf) != 0)
            rc = -1;
        moved += n;
        if (rc || (total ? moved >= total : th_now_ns() - start >= (uint64_t)(secs * 1e9)))
            break;
    }
    free(buf);
    if (rc)
        return -1;
    double cpu = (double)(th_thread_cpu_ns() - cpu0), rep_wall = (double)(th_now_ns() - start);
    double bytes = (double)moved * (k->bulk.direction == TH_BOTH ? 2 : 1);
    double send = (double)(d->cl.send_wall + d->sv.send_wall);
    double recv = (double)(d->cl.recv_wall + d->sv.recv_wall);
    s->send_ns = (ext ? send : cpu * (send / rep_wall)) / bytes;
    s->recv_ns = (ext ? recv : cpu * (recv / rep_wall)) / bytes;
    s->mib_s = bytes / (1 << 20) / ((ext ? rep_wall : send + recv) / 1e9);
    out_of_process(k, cctx, sctx, ext0, bytes, s);
    return 0;
}

/* ---- bulk over TCP: each end in its own thread, one loop that writes what it has
 * to send and reads what it has to receive, polling when the library waits ---- */

struct tcp_end {
    struct th_pair_end e;
    struct th_ctx *ctx;
    struct th_session *sess;
    const struct th_payload *p;
    int is_server, lfd;
    uint16_t port;
    struct th_tcp tcp;
    uint64_t to_send, to_recv, deadline;
    size_t ws;
    struct th_negotiated neg;
    uint64_t cpu, verify_cpu, wall, verify_wall; /* the transfer, and the checking in it */
    unsigned char *buf;
    size_t buf_len;
};

static int tcp_verify(struct tcp_end *t)
{
    uint64_t c0 = th_thread_cpu_ns(), w0 = th_now_ns();
    int ok = th_payload_matches(t->p, t->e.received, t->buf, t->buf_len);
    t->e.received += t->buf_len;
    t->buf_len = 0;
    t->verify_cpu += th_thread_cpu_ns() - c0;
    t->verify_wall += th_now_ns() - w0;
    if (!ok)
        th_pair_end_fail(&t->e, TH_INTERNAL_ERROR, "received bytes differ from what was sent");
    return ok ? 0 : -1;
}

/* Move what can move now; returns the step the library wants to wait for, or
 * DONE when both directions are complete. */
static enum th_step tcp_pump(struct tcp_end *t)
{
    enum th_step want = TH_STEP_DONE;
    while (t->e.sent < t->to_send) {
        uint64_t left = t->to_send - t->e.sent;
        size_t n = left < t->ws ? (size_t)left : t->ws, done = 0;
        enum th_step st =
            t->e.b->write(t->e.conn, th_payload_at(t->p, t->e.sent), n, &done, &t->e.err);
        t->e.sent += done;
        if (st == TH_STEP_FAILED)
            return t->e.failed = 1, TH_STEP_FAILED;
        if (done == 0 && st != TH_STEP_DONE) {
            want = st;
            break;
        }
    }
    while (t->e.received + t->buf_len < t->to_recv) {
        size_t room = TCP_CHUNK - t->buf_len, done = 0;
        uint64_t left = t->to_recv - t->e.received - t->buf_len;
        enum th_step st = t->e.b->read(t->e.conn, t->buf + t->buf_len,
                                       left < room ? (size_t)left : room, &done, &t->e.err);
        t->buf_len += done;
        if (st == TH_STEP_FAILED)
            return t->e.failed = 1, TH_STEP_FAILED;
        if (st == TH_STEP_CLOSED) {
            th_pair_end_fail(&t->e, TH_TRUNCATED, "close_notify before all the data arrived");
            return TH_STEP_FAILED;
        }
        if ((t->buf_len == TCP_CHUNK || t->e.received + t->buf_len == t->to_recv) && tcp_verify(t))
            return TH_STEP_FAILED;
        if (done == 0 && st != TH_STEP_DONE) {
            want = want == TH_STEP_DONE ? st : want;
            break;
        }
    }
    return want;
}

/* Drive one step function until it is done, polling the socket between. */
static int tcp_drive(struct tcp_end *t, enum th_step (*step)(struct tcp_end *))
{
    for (;;) {
        enum th_step st = step(t);
        if (st == TH_STEP_DONE)
            return 0;
        if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED) {
            if (!t->e.failed)
                th_pair_end_fail(&t->e, TH_HANDSHAKE_FAILURE, "the connection closed");
            return -1;
        }
        int r = th_tcp_wait(t->tcp.fd, st == TH_STEP_WANT_WRITE, t->deadline);
        if (r <= 0) {
            th_pair_end_fail(&t->e, r == 0 ? TH_TIMEOUT : TH_IO_ERROR,
                             r == 0 ? "time limit during the transfer" : "poll failed");
            return -1;
        }
    }
}

static enum th_step tcp_handshake_step(struct tcp_end *t)
{
    return t->e.b->handshake(t->e.conn, &t->e.err);
}

static int tcp_connect_end(struct tcp_end *t)
{
    struct th_error e = {0};
    int fd = t->is_server ? th_tcp_accept(t->lfd, t->deadline, &e)
                          : th_tcp_connect("127.0.0.1", t->port, t->deadline, NULL, &e);
    if (fd < 0) {
        th_pair_end_fail(&t->e, e.outcome == TH_TIMEOUT ? TH_TIMEOUT : TH_IO_ERROR,
                         t->is_server ? "no connection arrived" : "cannot connect to the server");
        return -1;
    }
    th_tcp_init(&t->tcp, fd);
    if (t->e.b->conn_new(t->ctx, &t->tcp.io, t->sess, &t->e.conn, &t->e.err) != 0)
        return t->e.failed = 1, -1;
    return 0;
}

/* close_notify, then read until the peer's close_notify or end of stream: a socket
 * closed with unread data in it (a TLS 1.3 ticket, say) resets the connection, and
 * the peer would lose the end of what it was still reading. */
static void tcp_close_gracefully(struct tcp_end *t)
{
    struct th_error e = {0};
    if (t->e.b->shutdown(t->e.conn, &e) == TH_STEP_FAILED)
        return;
    for (;;) {
        char sink[4096];
        size_t n = 0;
        enum th_step st = t->e.b->read(t->e.conn, sink, sizeof(sink), &n, &e);
        if (st == TH_STEP_CLOSED || st == TH_STEP_FAILED)
            return;
        if (n == 0 && th_tcp_wait(t->tcp.fd, st == TH_STEP_WANT_WRITE, t->deadline) <= 0)
            return;
    }
}

static void *tcp_end_main(void *arg)
{
    struct tcp_end *t = arg;
    t->buf = th_xmalloc(TCP_CHUNK);
    if (tcp_connect_end(t) == 0 && tcp_drive(t, tcp_handshake_step) == 0) {
        t->e.b->negotiated(t->e.conn, &t->neg);
        uint64_t c0 = th_thread_cpu_ns(), w0 = th_now_ns();
        int rc = tcp_drive(t, tcp_pump);
        t->cpu = th_thread_cpu_ns() - c0 - t->verify_cpu;
        t->wall = th_now_ns() - w0 - t->verify_wall;
        if (rc == 0)
            tcp_close_gracefully(t);
    }
    if (t->e.conn)
        t->e.b->conn_free(t->e.conn);
    t->e.conn = NULL;
    if (t->tcp.fd > 0)
        th_tcp_close(&t->tcp);
    free(t->buf);
    return NULL;
}

/* One repetition over TCP; the amount is bytes (by time: bytes moved in a first
 * short probe would be guesswork, so TCP bulk is by bytes, defaulting to 64 MiB). */
static int bulk_tcp_rep(const struct th_case *k, const struct th_runner_opts *o,
                        struct th_ctx *cctx, struct th_ctx *sctx, const struct th_payload *p,
                        struct bulk_sample *s, struct th_case_result *r)
{
    uint64_t total = bulk_amount(k, o);
    if (!total)
        total = o->quick ? (4u << 20) : (64u << 20);
    struct tcp_end cl = {.e.b = k->client, .ctx = cctx, .p = p, .ws = k->bulk.write_size};
    struct tcp_end sv = {
        .e.b = k->server, .ctx = sctx, .p = p, .ws = k->bulk.write_size, .is_server = 1};
    cl.deadline = sv.deadline = th_now_ns() + (uint64_t)(k->timeout_s * 1e9) + 60000000000ull;
    cl.to_send = sv.to_recv = k->bulk.direction != TH_S2C ? total : 0;
    sv.to_send = cl.to_recv = k->bulk.direction != TH_C2S ? total : 0;
    sv.lfd = th_tcp_listen("127.0.0.1", &cl.port);
    if (sv.lfd < 0) {
        r->status = TH_ERROR;
        snprintf(r->reason, sizeof(r->reason), "listen on 127.0.0.1: %s", strerror(errno));
        return -1;
    }
    uint64_t ext0[2] = {th_side_cpu(k->client, cctx), th_side_cpu(k->server, sctx)};
    pthread_t tid;
    if (pthread_create(&tid, NULL, tcp_end_main, &sv) != 0) {
        close(sv.lfd);
        r->status = TH_ERROR;
        snprintf(r->reason, sizeof(r->reason), "cannot start the server thread");
        return -1;
    }
    tcp_end_main(&cl);
    pthread_join(tid, NULL);
    close(sv.lfd);
    if (cl.e.failed || sv.e.failed) {
        struct th_pair d = {.cl = cl.e, .sv = sv.e};
        th_pair_fail_result(&d, "TCP transfer", r);
        return -1;
    }
    double bytes = (double)total * (k->bulk.direction == TH_BOTH ? 2 : 1);
    const struct tcp_end *tx = k->bulk.direction == TH_S2C ? &sv : &cl;
    const struct tcp_end *rx = tx == &cl ? &sv : &cl;
    s->send_ns = (double)tx->cpu / bytes;
    s->recv_ns = (double)rx->cpu / bytes;
    if (k->bulk.direction == TH_BOTH) /* each end sends and receives in one loop */
        s->send_ns = s->recv_ns = (double)(cl.cpu + sv.cpu) / (2 * bytes);
    out_of_process(k, cctx, sctx, ext0, bytes, s); /* the handshake's share too: small */
    double wall = (double)(cl.wall > sv.wall ? cl.wall : sv.wall);
    s->mib_s = bytes / (1 << 20) / (wall / 1e9);
    r->obs.neg = cl.neg;
    r->obs.have_neg = 1;
    return 0;
}

/* ---- the AEAD's own cost, once per library, suite and record size ---- */

struct aead_entry {
    const struct th_backend *b;
    uint16_t suite;
    size_t size;
    double ns;
};
static struct aead_entry aead_cache[64];
static size_t aead_cached;

static double aead_of(const struct th_backend *b, uint16_t suite, size_t size, double secs)
{
    for (size_t i = 0; i < aead_cached; i++)
        if (aead_cache[i].b == b && aead_cache[i].suite == suite && aead_cache[i].size == size)
            return aead_cache[i].ns;
    double ns = NAN;
    struct th_error err = {0};
    if (!b->aead_cost || b->aead_cost(suite, size, secs, &ns, &err) != 0)
        ns = NAN;
    if (aead_cached < sizeof(aead_cache) / sizeof(aead_cache[0]))
        aead_cache[aead_cached++] = (struct aead_entry){b, suite, size, ns};
    return ns;
}

/* Seal+open per byte for the pair: one library's figure, or for two libraries
 * their mean (each seals what it sends and opens what it receives). */
static double pair_aead(const struct th_case *k, uint16_t suite, const struct th_runner_opts *o)
{
    size_t size = k->bulk.write_size < MAX_RECORD ? k->bulk.write_size : MAX_RECORD;
    double secs = o->quick ? 0.05 : 0.3;
    double a = aead_of(k->client, suite, size, secs);
    if (k->server == k->client)
        return a;
    return (a + aead_of(k->server, suite, size, secs)) / 2;
}

/* ---- the bulk kind ---- */

static int bulk_rep(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                    struct th_ctx *sctx, const struct th_payload *p, struct bulk_sample *s,
                    struct th_case_result *r)
{
    if (k->transport == TH_TRANSPORT_TCP)
        return bulk_tcp_rep(k, o, cctx, sctx, p, s, r);
    struct th_pair d;
    struct th_error err = {0};
    int rc = -1;
    if (th_pair_open(&d, k, cctx, sctx, NULL, &err) != 0) {
        th_pair_fail_result(&d, "handshake", r);
    } else if (th_pair_check_pins(k, &d, &err) != 0) {
        r->status = TH_FAIL;
        th_strlcpy(r->reason, err.text, sizeof(r->reason));
    } else {
        d.cl.b->negotiated(d.cl.conn, &r->obs.neg);
        r->obs.have_neg = 1;
        rc = bulk_memory_rep(k, o, &d, cctx, sctx, p, s);
        if (rc != 0)
            th_pair_fail_result(&d, "transfer", r);
    }
    th_pair_close(&d);
    return rc;
}

static void bulk_metrics(const struct th_case *k, const struct th_runner_opts *o,
                         struct bulk_sample *v, size_t n, struct th_case_result *r)
{
    double mib[n], snd[n], rcv[n], eff[n];
    double aead = pair_aead(k, r->obs.neg.suite, o);
    for (size_t i = 0; i < n; i++) {
        mib[i] = v[i].mib_s;
        snd[i] = v[i].send_ns;
        rcv[i] = v[i].recv_ns;
        eff[i] = aead / (v[i].send_ns + v[i].recv_ns);
    }
    th_metric_set(r, "throughput_mib_s", "MiB/s", mib, n);
    th_metric_set(r, "send_ns_per_byte", "ns/B", snd, n);
    th_metric_set(r, "recv_ns_per_byte", "ns/B", rcv, n);
    if (!isnan(aead)) {
        th_metric_set(r, "aead_ns_per_byte", "ns/B", &aead, 1);
        th_metric_set(r, "efficiency", "ratio", eff, n);
    }
}

void th_run_bulk(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r)
{
    unsigned reps = th_kind_reps(k, o);
    struct bulk_sample *v = th_xcalloc(reps + 1, sizeof(*v));
    struct th_payload p;
    th_payload_init(&p, th_hash64(k->id), k->bulk.write_size);
    size_t n = 0;
    for (unsigned i = 0; i <= reps; i++) { /* the first one warms up and is not kept */
        if (bulk_rep(k, o, cctx, sctx, &p, &v[n], r) != 0)
            break;
        n += i > 0;
    }
    if (n == reps) {
        r->obs.ran = 1;
        r->obs.outcome = TH_OK;
        th_judge(k, r);
        if (r->status == TH_PASS)
            bulk_metrics(k, o, v, n, r);
    } else if (r->obs.ran) {
        th_judge(k, r); /* a failure the scenario may have declared */
    }
    free(v);
    th_payload_free(&p);
}
