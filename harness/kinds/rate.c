/* Kind handshake_rate over the in-memory pair (over TCP: rate_tcp.c).
 *
 * Handshakes one after another, each on new connection objects and a fresh
 * channel; each side's calls (creation, handshake steps, free) are timed with the
 * thread CPU clock, the whole repetition with the monotonic clock. Every sample is
 * checked: a resumed handshake must report resumed, a full one must not (load
 * tools resume silently; a count that mixes them measures nothing). The case's
 * observed counts them all, and reads each one's server records for a
 * HelloRetryRequest (io/hsnoop.h): a benchmark that needed one measures two round
 * trips. With handshakes.request each connection also carries a small request and
 * its reply, timed from the connection's start to the reply's first byte; with
 * client.early_data "send" the request goes as early data, and a handshake whose
 * early data the server refused is not counted as a 0-RTT one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/io/hsnoop.h"
#include "harness/run/metric.h"
#include "harness/run/pair.h"
#include "kinds_int.h"

struct rate_run {
    const struct th_case *k;
    struct th_ctx *cctx, *sctx;
    struct th_session *sess; /* what the memory pair's client offers */
    struct th_session **tcp; /* over TCP: what each client thread offers (ntcp of them) */
    unsigned ntcp;
    uint64_t ccpu, scpu;     /* monotonic ns in each side's calls */
    struct th_observed *obs; /* every handshake noted */
    struct th_ns_list ttfb;  /* handshakes.request: this repetition's */
};

/* ---- shared with rate_tcp.c ---- */

int th_rate_early_check(int early, size_t early_len, const struct th_negotiated *n,
                        struct th_error *err)
{
    if (!early || (early_len && n->early_accepted))
        return 0;
    if (!early_len)
        th_error_set(err, TH_INTERNAL_ERROR, 0,
                     "no early data sent: the session allows none: sample discarded");
    else
        th_error_set(err, TH_INTERNAL_ERROR, 0,
                     "the server refused the request sent as early data: sample discarded");
    return -1;
}

void th_ns_push(struct th_ns_list *l, uint64_t ns)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = th_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double th_ns_median_ms(struct th_ns_list *l)
{
    if (!l->n)
        return -1;
    qsort(l->v, l->n, sizeof(*l->v), cmp_u64);
    size_t m = l->n / 2;
    return (l->n % 2 ? (double)l->v[m] : ((double)l->v[m - 1] + (double)l->v[m]) / 2) / 1e6;
}

void th_rate_note(struct th_observed *obs, const struct th_negotiated *n,
                  const struct th_hsnoop *hs)
{
    struct th_rate_seen *s = &obs->rate;
    s->ran = 1;
    s->attempted++;
    if (!n)
        return;
    *(n->resumed ? &s->resumed : &s->full) += 1;
    s->early_offered += (uint64_t)(n->early_offered != 0);
    s->early_accepted += (uint64_t)(n->early_accepted != 0);
    obs->neg = *n;
    obs->have_neg = 1;
    obs->hrr_known = th_hsnoop_known(hs);
    obs->hrr = obs->hrr_known ? (int)hs->hrr : 0;
    s->hrr_known += (uint64_t)obs->hrr_known;
    s->hrr += (uint64_t)(obs->hrr > 0);
}

void th_rate_merge(struct th_observed *into, const struct th_observed *from)
{
    const struct th_rate_seen *f = &from->rate;
    struct th_rate_seen *t = &into->rate;
    t->ran |= f->ran;
    t->attempted += f->attempted;
    t->full += f->full;
    t->resumed += f->resumed;
    t->hrr_known += f->hrr_known;
    t->hrr += f->hrr;
    t->early_offered += f->early_offered;
    t->early_accepted += f->early_accepted;
    if (from->have_neg) {
        into->neg = from->neg;
        into->have_neg = 1;
        into->hrr_known = from->hrr_known;
        into->hrr = from->hrr;
    }
}

/* Each side's calls are timed with the monotonic clock (tens of nanoseconds); the
 * thread CPU clock, a system call costing over a microsecond here, is read twice a
 * repetition and its total apportioned to the sides by their share of the time. */
/* With a shim on either side the thread waits on another process inside its calls:
 * wall shares would charge that wait's share of the thread's CPU to the shim's side.
 * Then each call is timed with the thread's CPU clock instead (its cost is small
 * beside a shim's). */
static __thread int cpu_clock;

static uint64_t call_clock(void)
{
    return cpu_clock ? th_thread_cpu_ns() : th_now_ns();
}

#define TIMED(acc, call)                                                                           \
    do {                                                                                           \
        uint64_t t0_ = call_clock();                                                               \
        call;                                                                                      \
        (acc) += call_clock() - t0_;                                                               \
    } while (0)

/* One step of one side of the exchange: moves *off towards len. 1 when something
 * moved, 0 when not, -1 with err when the side failed (or its peer closed). */
static int xstep(const struct th_backend *b, struct th_conn *c, int writing, const char *out,
                 char *in, size_t len, size_t *off, uint64_t *acc, struct th_error *err)
{
    size_t n = 0;
    enum th_step st;
    if (writing)
        TIMED(*acc, st = b->write(c, out + *off, len - *off, &n, err));
    else
        TIMED(*acc, st = b->read(c, in + *off, len - *off, &n, err));
    *off += n;
    if (st == TH_STEP_CLOSED)
        th_error_set(err, TH_TRUNCATED, 0, "the peer closed before the %s was whole",
                     writing ? "request" : "reply");
    return st == TH_STEP_FAILED || st == TH_STEP_CLOSED ? -1 : n > 0;
}

/* handshakes.request over the memory pair: the client writes what its early data did
 * not carry (sent bytes did), the server reads the request whole and replies; the
 * time runs from t0, the connection's start, to the reply's first byte. Both are
 * checked byte for byte. 0, or -1 with err. */
static int exchange(struct rate_run *rr, struct th_conn *c, struct th_conn *s,
                    const struct th_mem_pair *mem, size_t sent, uint64_t t0, struct th_error *err)
{
    static const char req[] = TH_RATE_REQUEST, rep[] = TH_RATE_REPLY;
    const struct th_backend *cb = rr->k->client, *sb = rr->k->server;
    char sin[sizeof(req)], cin[sizeof(rep)];
    size_t ql = sizeof(req) - 1, pl = sizeof(rep) - 1, cout = sent, sgot = 0, sout = 0, cgot = 0;
    struct th_error ce = {0}, se = {0};
    int idle = 0;
    while (cgot < pl && idle < 3) {
        uint64_t moved = mem->c2s.total + mem->s2c.total;
        int cm = 0, sm = 0, rm;
        if (cout < ql)
            cm = xstep(cb, c, 1, req, NULL, ql, &cout, &rr->ccpu, &ce);
        if (cm >= 0 && sgot < ql)
            sm = xstep(sb, s, 0, NULL, sin, ql, &sgot, &rr->scpu, &se);
        else if (cm >= 0 && sout < pl)
            sm = xstep(sb, s, 1, rep, NULL, pl, &sout, &rr->scpu, &se);
        if (sm < 0) {
            th_error_set(err, se.outcome, se.code, "server, the request: %s", se.text);
            return -1;
        }
        size_t before = cgot;
        if (cm < 0 || (rm = xstep(cb, c, 0, NULL, cin, pl, &cgot, &rr->ccpu, &ce)) < 0) {
            th_error_set(err, ce.outcome, ce.code, "client, the request: %s", ce.text);
            return -1;
        }
        if (!before && cgot)
            th_ns_push(&rr->ttfb, th_now_ns() - t0);
        idle = cm || sm || rm || moved != mem->c2s.total + mem->s2c.total ? 0 : idle + 1;
    }
    if (cgot < pl)
        th_error_set(err, TH_TIMEOUT, 0, "the request stalled: both ends waiting");
    else if (memcmp(sin, req, ql) != 0 || memcmp(cin, rep, pl) != 0)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "the %s arrived changed",
                     memcmp(sin, req, ql) ? "request" : "reply");
    else
        return 0;
    return -1;
}

/* With handshakes.request each connection resumes the newest ticket, as a client
 * does: a server whose tickets allow early data may take each one once. */
static void next_session(struct rate_run *rr, struct th_conn *c)
{
    const struct th_backend *b = rr->k->client;
    struct th_session *s;
    TIMED(rr->ccpu, s = b->session_get ? b->session_get(c) : NULL);
    if (!s)
        return;
    b->session_free(rr->sess);
    rr->sess = s;
}

/* Client, before its first handshake step: the request as early data. */
static void early_request(struct rate_run *rr, struct th_conn *c, int *early, size_t *len,
                          struct th_error *ce)
{
    const struct th_case *k = rr->k;
    if (!(k->c.early == TH_EARLY_SEND && rr->sess && k->client->early_write))
        return;
    size_t done = 0;
    enum th_step st;
    TIMED(rr->ccpu,
          st = k->client->early_write(c, TH_RATE_REQUEST, sizeof(TH_RATE_REQUEST) - 1, &done, ce));
    *early = 1;
    *len = st == TH_STEP_DONE ? done : 0;
}

/* One measured handshake. 0, or -1 with err saying why. One piece: the two ends'
 * lockstep, then the checks of what the client saw, in the order a reader follows. */
static int timed_handshake(struct rate_run *rr, struct th_error *err)
{
    const struct th_case *k = rr->k;
    struct th_mem_pair mem;
    struct th_hsnoop hs; /* the client's end: what the server sent */
    struct th_conn *c = NULL, *s = NULL;
    struct th_error ce = {0}, se = {0};
    int rc = -1, cdone = 0, sdone = 0, noted = 0, early = 0;
    size_t early_len = 0;
    th_mem_pair_init(&mem);
    th_hsnoop_init(&hs, &mem.client_io, 0);
    int cok, sok;
    uint64_t t0 = th_now_ns();
    TIMED(rr->ccpu, cok = k->client->conn_new(rr->cctx, &hs.io, rr->sess, &c, &ce));
    TIMED(rr->scpu, sok = k->server->conn_new(rr->sctx, &mem.server_io, NULL, &s, &se));
    if (cok == 0 && sok == 0 && k->rate.request)
        early_request(rr, c, &early, &early_len, &ce);
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
            th_error_set(err, e->outcome, e->code, "%s handshake failed: %s: %s (code %ld)",
                         e == &ce ? "client" : "server", th_outcome_name(e->outcome), e->text,
                         e->code);
            err->file = e->file; /* a harness fault (a shim gone) stays one */
            err->line = e->line;
            break;
        }
        cdone = cs == TH_STEP_DONE;
        sdone = ss == TH_STEP_DONE;
        if (!(cdone && sdone) && moved == mem.c2s.total + mem.s2c.total) {
            th_error_set(err, TH_TIMEOUT, 0, "handshake stalled: both ends waiting");
            break;
        }
    }
    if (cok != 0 || sok != 0)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "cannot make a connection: %s",
                     cok ? ce.text : se.text);
    if (cdone && sdone) {
        struct th_negotiated n;
        k->client->negotiated(c, &n);
        th_rate_note(rr->obs, &n, &hs);
        noted = 1;
        int want = k->rate.resume != TH_RESUME_NONE;
        const struct th_expect *x = &k->expect;
        if (n.resumed != want)
            th_error_set(err, TH_INTERNAL_ERROR, 0,
                         "a handshake meant to be %s was %s: sample discarded",
                         want ? "resumed" : "full", n.resumed ? "resumed" : "full");
        else if ((x->version && n.version != x->version) || (x->suite && n.suite != x->suite) ||
                 (x->group && !want && n.group != x->group))
            th_error_set(err, TH_INTERNAL_ERROR, 0,
                         "a handshake negotiated %s, suite 0x%04X, group 0x%04X, not what "
                         "the scenario pins: sample discarded",
                         th_version_name(n.version), n.suite, n.group);
        else if (th_rate_early_check(early, early_len, &n, err) == 0)
            rc = 0;
        if (rc == 0 && k->rate.request)
            rc = exchange(rr, c, s, &mem, n.early_accepted ? early_len : 0, t0, err);
        if (rc == 0 && k->rate.request && rr->sess)
            next_session(rr, c);
    }
    if (!noted)
        th_rate_note(rr->obs, NULL, &hs);
    if (c)
        TIMED(rr->ccpu, k->client->conn_free(c));
    if (s)
        TIMED(rr->scpu, k->server->conn_free(s));
    th_mem_pair_free(&mem);
    return rc;
}

/* A session to resume from: one connection that also moves a little data, so a
 * TLS 1.3 ticket reaches the client. */
static struct th_session *prime_session(struct rate_run *rr, struct th_error *err)
{
    struct th_pair d;
    struct th_error e = {0};
    struct th_session *sess = NULL;
    if (th_pair_open(&d, rr->k, rr->cctx, rr->sctx, NULL, &e) == 0) {
        char b[8];
        size_t n;
        d.cl.b->write(d.cl.conn, "ping", 4, &n, &d.cl.err);
        d.sv.b->read(d.sv.conn, b, sizeof(b), &n, &d.sv.err);
        d.sv.b->write(d.sv.conn, "pong", 4, &n, &d.sv.err);
        d.cl.b->read(d.cl.conn, b, sizeof(b), &n, &d.cl.err);
        sess = d.cl.b->session_get ? d.cl.b->session_get(d.cl.conn) : NULL;
    }
    if (!sess)
        th_error_set(err, e.outcome, e.code, "the first connection gave no session to resume%s%s",
                     d.cl.failed || d.sv.failed ? ": " : "",
                     d.cl.failed   ? d.cl.err.text
                     : d.sv.failed ? d.sv.err.text
                                   : "");
    th_pair_close(&d);
    return sess;
}

static int rate_rep(struct rate_run *rr, const struct th_runner_opts *o, struct th_rate_sample *out,
                    struct th_error *err)
{
    const struct th_rate_spec *sp = &rr->k->rate;
    uint64_t count = sp->count;
    if (o->quick && count)
        count = count / 20 > 10 ? count / 20 : 10;
    double secs = sp->seconds > 0 ? sp->seconds : 1.0;
    if (o->quick)
        secs /= 20;
    if (rr->k->transport == TH_TRANSPORT_TCP)
        return th_rate_tcp_rep(rr->k, rr->cctx, rr->sctx, rr->tcp, rr->ntcp, count, secs, out,
                               rr->obs, err);
    rr->ccpu = rr->scpu = 0;
    rr->ttfb.n = 0;
    cpu_clock = rr->k->client->cpu_ns || rr->k->server->cpu_ns;
    uint64_t ext_c = th_side_cpu(rr->k->client, rr->cctx),
             ext_s = th_side_cpu(rr->k->server, rr->sctx);
    uint64_t n = 0, w0 = th_now_ns(), cpu0 = th_thread_cpu_ns();
    while (count ? n < count : th_now_ns() - w0 < (uint64_t)(secs * 1e9)) {
        if (timed_handshake(rr, err) != 0)
            return -1;
        n++;
    }
    double wall_ns = (double)(th_now_ns() - w0), cpu = (double)(th_thread_cpu_ns() - cpu0);
    out->per_s = (double)n / (wall_ns / 1e9);
    out->client_us =
        (cpu_clock ? (double)rr->ccpu : cpu * ((double)rr->ccpu / wall_ns)) / 1e3 / (double)n;
    out->server_us =
        (cpu_clock ? (double)rr->scpu : cpu * ((double)rr->scpu / wall_ns)) / 1e3 / (double)n;
    /* a shim's process did its side's work out of this thread */
    out->client_us += (double)(th_side_cpu(rr->k->client, rr->cctx) - ext_c) / 1e3 / (double)n;
    out->server_us += (double)(th_side_cpu(rr->k->server, rr->sctx) - ext_s) / 1e3 / (double)n;
    out->ttfb_ms = th_ns_median_ms(&rr->ttfb);
    return 0;
}

static void rate_metrics(struct th_rate_sample *v, size_t n, struct th_case_result *r)
{
    double a[n], b[n], c[n], d[n];
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        a[i] = v[i].per_s, b[i] = v[i].client_us, c[i] = v[i].server_us;
        if (v[i].ttfb_ms >= 0)
            d[nd++] = v[i].ttfb_ms;
    }
    th_metric_set(r, "handshakes_per_s", "1/s", a, n);
    th_metric_set(r, "client_us_per_handshake", "us", b, n);
    th_metric_set(r, "server_us_per_handshake", "us", c, n);
    if (nd)
        th_metric_set(r, "ttfb_ms", "ms", d, nd);
}

/* The sessions resumed: one, or over TCP with handshakes.request one per client
 * thread, each of which then resumes its own newest (a server whose tickets allow
 * early data may take each one once). 0, or -1 with err. */
static int prime_all(struct rate_run *rr, struct th_error *err)
{
    const struct th_case *k = rr->k;
    if (k->rate.resume == TH_RESUME_NONE)
        return 0;
    if (k->transport != TH_TRANSPORT_TCP)
        return (rr->sess = prime_session(rr, err)) ? 0 : -1;
    unsigned n = k->rate.concurrency ? k->rate.concurrency : 1;
    rr->ntcp = k->rate.request ? n : 1;
    rr->tcp = th_xcalloc(rr->ntcp, sizeof(*rr->tcp));
    for (unsigned i = 0; i < rr->ntcp; i++)
        if (!(rr->tcp[i] = prime_session(rr, err)))
            return -1;
    return 0;
}

static void free_sessions(struct rate_run *rr)
{
    const struct th_backend *b = rr->k->client;
    if (rr->sess)
        b->session_free(rr->sess);
    for (unsigned i = 0; i < rr->ntcp; i++)
        if (rr->tcp[i])
            b->session_free(rr->tcp[i]);
    free(rr->tcp);
}

void th_run_rate(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r)
{
    struct rate_run rr = {.k = k, .cctx = cctx, .sctx = sctx, .obs = &r->obs};
    struct th_error err = {0};
    if (prime_all(&rr, &err) != 0) {
        th_kind_failed(r, &err);
        free_sessions(&rr);
        return;
    }
    unsigned reps = th_kind_reps(k, o);
    struct th_rate_sample *v = th_xcalloc(reps + 1, sizeof(*v));
    size_t n = 0;
    for (unsigned i = 0; i <= reps; i++) { /* the first warms up and is not kept */
        if (rate_rep(&rr, o, &v[n], &err) != 0)
            break;
        n += i > 0;
    }
    r->obs.ran = 1;
    if (n == reps) {
        r->obs.outcome = TH_OK;
        r->status = TH_PASS;
        snprintf(r->reason, sizeof(r->reason), "every handshake checked %s%s",
                 k->rate.resume != TH_RESUME_NONE ? "resumed" : "full",
                 !k->rate.request              ? ""
                 : k->c.early == TH_EARLY_SEND ? ", its request taken as early data, the reply "
                                                 "checked"
                                               : ", its request and reply checked");
        rate_metrics(v, n, r);
    } else {
        /* the handshakes so far stay counted in observed: how many passed first */
        r->obs.outcome = err.outcome != TH_OK ? err.outcome : TH_INTERNAL_ERROR;
        th_kind_failed(r, &err);
    }
    free(v);
    free(rr.ttfb.v);
    free_sessions(&rr);
}
