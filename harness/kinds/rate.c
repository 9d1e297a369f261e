/* Kinds handshake_rate and memory, over the in-memory pair.
 *
 * handshake_rate: handshakes one after another, each on new connection objects
 * and a fresh channel; each side's calls (creation, handshake steps, free) are
 * timed with the thread CPU clock, the whole repetition with the monotonic clock.
 * Every sample is checked: a resumed handshake must report resumed, a full one must
 * not (load tools resume silently; a count that mixes them measures nothing).
 *
 * memory: N connections established and left idle, the heap measured before and
 * after with glibc's own accounting (mallinfo2), which sees every allocation any of
 * the libraries makes through malloc; then the server ends are freed and the heap
 * measured again, which splits the cost by role. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_int.h"

/* ---- handshake_rate ---- */

struct rate_run {
    const struct th_case *k;
    struct th_ctx *cctx, *sctx;
    struct th_session *sess;
    uint64_t ccpu, scpu; /* monotonic ns in each side's calls */
};

/* Each side's calls are timed with the monotonic clock (tens of nanoseconds); the
 * thread CPU clock, a system call costing over a microsecond here, is read twice a
 * repetition and its total apportioned to the sides by their share of the time. */
#define TIMED(acc, call)                                                                           \
    do {                                                                                           \
        uint64_t t0_ = th_now_ns();                                                                \
        call;                                                                                      \
        (acc) += th_now_ns() - t0_;                                                                \
    } while (0)

/* One measured handshake. 0, or -1 with why. */
static int timed_handshake(struct rate_run *rr, char *why, size_t cap)
{
    const struct th_case *k = rr->k;
    struct th_mem_pair mem;
    struct th_conn *c = NULL, *s = NULL;
    struct th_error ce = {0}, se = {0};
    int rc = -1, cdone = 0, sdone = 0;
    th_mem_pair_init(&mem);
    int cok, sok;
    TIMED(rr->ccpu, cok = k->client->conn_new(rr->cctx, &mem.client_io, rr->sess, &c, &ce));
    TIMED(rr->scpu, sok = k->server->conn_new(rr->sctx, &mem.server_io, NULL, &s, &se));
    while (cok == 0 && sok == 0 && !(cdone && sdone)) {
        uint64_t moved = mem.c2s.total + mem.s2c.total;
        enum th_step cs = TH_STEP_DONE, ss = TH_STEP_DONE;
        if (!cdone)
            TIMED(rr->ccpu, cs = k->client->handshake(c, &ce));
        if (!sdone)
            TIMED(rr->scpu, ss = k->server->handshake(s, &se));
        if (cs == TH_STEP_FAILED || ss == TH_STEP_FAILED || cs == TH_STEP_CLOSED ||
            ss == TH_STEP_CLOSED) {
            const struct th_error *e = cs == TH_STEP_FAILED ? &ce : &se;
            snprintf(why, cap, "%s handshake failed: %s: %s (code %ld)",
                     e == &ce ? "client" : "server", th_outcome_name(e->outcome), e->text, e->code);
            break;
        }
        cdone = cs == TH_STEP_DONE;
        sdone = ss == TH_STEP_DONE;
        if (!(cdone && sdone) && moved == mem.c2s.total + mem.s2c.total) {
            snprintf(why, cap, "handshake stalled: both ends waiting");
            break;
        }
    }
    if (cok != 0 || sok != 0)
        snprintf(why, cap, "cannot make a connection: %s", cok ? ce.text : se.text);
    if (cdone && sdone) {
        struct th_negotiated n;
        k->client->negotiated(c, &n);
        int want = k->rate.resume != TH_RESUME_NONE;
        const struct th_expect *x = &k->expect;
        if (n.resumed != want)
            snprintf(why, cap, "a handshake meant to be %s was %s: sample discarded",
                     want ? "resumed" : "full", n.resumed ? "resumed" : "full");
        else if ((x->version && n.version != x->version) || (x->suite && n.suite != x->suite) ||
                 (x->group && !want && n.group != x->group))
            snprintf(why, cap,
                     "a handshake negotiated %s, suite 0x%04X, group 0x%04X, not what "
                     "the scenario pins: sample discarded",
                     th_version_name(n.version), n.suite, n.group);
        else
            rc = 0;
    }
    if (c)
        TIMED(rr->ccpu, k->client->conn_free(c));
    if (s)
        TIMED(rr->scpu, k->server->conn_free(s));
    th_mem_pair_free(&mem);
    return rc;
}

/* A session to resume from: one connection that also moves a little data, so a
 * TLS 1.3 ticket reaches the client. */
static struct th_session *prime_session(struct rate_run *rr, char *why, size_t cap)
{
    struct dp_pair d;
    struct th_session *sess = NULL;
    if (th_dp_open(&d, rr->k, rr->cctx, rr->sctx, NULL) == 0) {
        char b[8];
        size_t n;
        d.cl.b->write(d.cl.conn, "ping", 4, &n, &d.cl.err);
        d.sv.b->read(d.sv.conn, b, sizeof(b), &n, &d.sv.err);
        d.sv.b->write(d.sv.conn, "pong", 4, &n, &d.sv.err);
        d.cl.b->read(d.cl.conn, b, sizeof(b), &n, &d.cl.err);
        sess = d.cl.b->session_get ? d.cl.b->session_get(d.cl.conn) : NULL;
    }
    if (!sess)
        snprintf(why, cap, "the first connection gave no session to resume%s%s",
                 d.cl.failed || d.sv.failed ? ": " : "",
                 d.cl.failed   ? d.cl.err.text
                 : d.sv.failed ? d.sv.err.text
                               : "");
    th_dp_close(&d);
    return sess;
}

struct rate_sample {
    double per_s, client_us, server_us;
};

static int rate_rep(struct rate_run *rr, const struct th_runner_opts *o, struct rate_sample *out,
                    char *why, size_t cap)
{
    const struct th_rate_spec *sp = &rr->k->rate;
    uint64_t count = sp->count;
    if (o->quick && count)
        count = count / 20 > 10 ? count / 20 : 10;
    double secs = sp->seconds > 0 ? sp->seconds : 1.0;
    if (o->quick)
        secs /= 20;
    if (rr->k->transport == TH_TRANSPORT_TCP)
        return th_rate_tcp_rep(rr->k, rr->cctx, rr->sctx, rr->sess, count, secs, &out->per_s,
                               &out->client_us, &out->server_us, why, cap);
    rr->ccpu = rr->scpu = 0;
    uint64_t n = 0, w0 = th_now_ns(), cpu0 = th_thread_cpu_ns();
    while (count ? n < count : th_now_ns() - w0 < (uint64_t)(secs * 1e9)) {
        if (timed_handshake(rr, why, cap) != 0)
            return -1;
        n++;
    }
    double wall_ns = (double)(th_now_ns() - w0), cpu = (double)(th_thread_cpu_ns() - cpu0);
    out->per_s = (double)n / (wall_ns / 1e9);
    out->client_us = cpu * ((double)rr->ccpu / wall_ns) / 1e3 / (double)n;
    out->server_us = cpu * ((double)rr->scpu / wall_ns) / 1e3 / (double)n;
    return 0;
}

static unsigned reps_of(const struct th_case *k, const struct th_runner_opts *o)
{
    if (o->quick)
        return 1;
    return o->repeat ? o->repeat : k->repeat ? k->repeat : 3;
}

static void rate_metrics(struct rate_sample *v, size_t n, struct th_case_result *r)
{
    double a[n], b[n], c[n];
    for (size_t i = 0; i < n; i++)
        a[i] = v[i].per_s, b[i] = v[i].client_us, c[i] = v[i].server_us;
    th_metric_set(r, "handshakes_per_s", "1/s", a, n);
    th_metric_set(r, "client_us_per_handshake", "us", b, n);
    th_metric_set(r, "server_us_per_handshake", "us", c, n);
}

void th_run_rate(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r)
{
    struct rate_run rr = {.k = k, .cctx = cctx, .sctx = sctx};
    char why[512] = "";
    if (k->rate.resume != TH_RESUME_NONE && !(rr.sess = prime_session(&rr, why, sizeof(why)))) {
        r->status = TH_FAIL;
        th_strlcpy(r->reason, why, sizeof(r->reason));
        return;
    }
    unsigned reps = reps_of(k, o);
    struct rate_sample *v = th_xcalloc(reps + 1, sizeof(*v));
    size_t n = 0;
    for (unsigned i = 0; i <= reps; i++) { /* the first warms up and is not kept */
        if (rate_rep(&rr, o, &v[n], why, sizeof(why)) != 0)
            break;
        n += i > 0;
    }
    if (n == reps) {
        r->obs.ran = 1;
        r->obs.outcome = TH_OK;
        r->status = TH_PASS;
        snprintf(r->reason, sizeof(r->reason), "every handshake checked %s",
                 k->rate.resume != TH_RESUME_NONE ? "resumed" : "full");
        rate_metrics(v, n, r);
    } else {
        r->status = TH_FAIL;
        th_strlcpy(r->reason, why, sizeof(r->reason));
    }
    free(v);
    if (rr.sess)
        k->client->session_free(rr.sess);
}

/* ---- memory ---- */

#if defined(__SANITIZE_ADDRESS__)
#define TH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TH_ASAN 1
#endif
#endif

#ifdef TH_ASAN
/* AddressSanitizer replaces malloc, and glibc's accounting then sees nothing: ask
 * the sanitizer's allocator instead (its counts include its own redzones). */
size_t __sanitizer_get_current_allocated_bytes(void);
static double heap_bytes(void)
{
    return (double)__sanitizer_get_current_allocated_bytes();
}
static const char heap_method[] = "AddressSanitizer's allocator";
#else
static const char heap_method[] = "mallinfo2";
static double heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}
#endif

/* What the harness's own channel costs per connection, to take out. */
static double channel_bytes(unsigned n)
{
    struct th_mem_pair *m = th_xcalloc(n, sizeof(*m));
    double h0 = heap_bytes();
    for (unsigned i = 0; i < n; i++)
        th_mem_pair_init(&m[i]);
    double per = (heap_bytes() - h0) / n;
    for (unsigned i = 0; i < n; i++)
        th_mem_pair_free(&m[i]);
    free(m);
    return per;
}

struct mem_sample {
    double client, server;
};

static int memory_rep(const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx, unsigned n,
                      struct mem_sample *out, char *why, size_t cap)
{
    struct dp_pair *d = th_xcalloc(n, sizeof(*d));
    double chan = channel_bytes(n), h0 = heap_bytes();
    unsigned made = 0;
    int rc = 0;
    for (; made < n; made++) {
        if (th_dp_open(&d[made], k, cctx, sctx, NULL) != 0) {
            const struct dp_end *e = d[made].cl.failed ? &d[made].cl : &d[made].sv;
            snprintf(why, cap, "connection %u: %s: %s", made + 1, th_outcome_name(e->err.outcome),
                     e->err.text);
            made++;
            rc = -1;
            break;
        }
        th_queue_trim(&d[made].mem.c2s); /* idle: nothing in flight */
        th_queue_trim(&d[made].mem.s2c);
    }
    if (rc == 0) {
        double h1 = heap_bytes();
        for (unsigned i = 0; i < n; i++) {
            k->server->conn_free(d[i].sv.conn);
            d[i].sv.conn = NULL;
        }
        double h2 = heap_bytes();
        out->server = (h1 - h2) / n;
        out->client = (h2 - h0) / n - chan;
    }
    for (unsigned i = 0; i < made; i++)
        th_dp_close(&d[i]);
    free(d);
    return rc;
}

void th_run_memory(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                   struct th_ctx *sctx, struct th_case_result *r)
{
    unsigned n = k->memory.connections ? k->memory.connections : 200;
    if (o->quick)
        n = n / 10 > 10 ? n / 10 : 10;
    unsigned reps = reps_of(k, o);
    struct mem_sample *v = th_xcalloc(reps + 1, sizeof(*v));
    char why[512] = "";
    size_t got = 0;
    for (unsigned i = 0; i <= reps; i++) {
        if (memory_rep(k, cctx, sctx, n, &v[got], why, sizeof(why)) != 0)
            break;
        got += i > 0;
    }
    if (got == reps) {
        double t[got], c[got], s[got];
        for (size_t i = 0; i < got; i++)
            c[i] = v[i].client, s[i] = v[i].server, t[i] = v[i].client + v[i].server;
        r->obs.ran = 1;
        r->status = TH_PASS;
        snprintf(r->reason, sizeof(r->reason), "%u idle connections, heap measured with %s", n,
                 heap_method);
        th_metric_set(r, "bytes_per_connection", "B", t, got);
        th_metric_set(r, "client_bytes_per_connection", "B", c, got);
        th_metric_set(r, "server_bytes_per_connection", "B", s, got);
    } else {
        r->status = TH_FAIL;
        th_strlcpy(r->reason, why, sizeof(r->reason));
    }
    free(v);
}
