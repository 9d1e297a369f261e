/* Kind handshake_rate over the in-memory pair (over TCP: rate_tcp.c).
 *
 * Handshakes one after another, each on new connection objects and a fresh
 * channel; each side's calls (creation, handshake steps, free) are timed with the
 * thread CPU clock, the whole repetition with the monotonic clock. Every sample is
 * checked: a resumed handshake must report resumed, a full one must not (load
 * tools resume silently; a count that mixes them measures nothing). The case's
 * observed counts them all, and reads each one's server records for a
 * HelloRetryRequest (io/hsnoop.h): a benchmark that needed one measures two round
 * trips. */
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
    struct th_session *sess;
    uint64_t ccpu, scpu;     /* monotonic ns in each side's calls */
    struct th_observed *obs; /* every handshake noted */
};

void th_rate_note(struct th_observed *obs, const struct th_negotiated *n,
                  const struct th_hsnoop *hs)
{
    struct th_rate_seen *s = &obs->rate;
    s->ran = 1;
    s->attempted++;
    if (!n)
        return;
    *(n->resumed ? &s->resumed : &s->full) += 1;
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
#define TIMED(acc, call)                                                                           \
    do {                                                                                           \
        uint64_t t0_ = th_now_ns();                                                                \
        call;                                                                                      \
        (acc) += th_now_ns() - t0_;                                                                \
    } while (0)

/* One measured handshake. 0, or -1 with err saying why. */
static int timed_handshake(struct rate_run *rr, struct th_error *err)
{
    const struct th_case *k = rr->k;
    struct th_mem_pair mem;
    struct th_hsnoop hs; /* the client's end: what the server sent */
    struct th_conn *c = NULL, *s = NULL;
    struct th_error ce = {0}, se = {0};
    int rc = -1, cdone = 0, sdone = 0, noted = 0;
    th_mem_pair_init(&mem);
    th_hsnoop_init(&hs, &mem.client_io, 0);
    int cok, sok;
    TIMED(rr->ccpu, cok = k->client->conn_new(rr->cctx, &hs.io, rr->sess, &c, &ce));
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
            th_error_set(err, e->outcome, e->code, "%s handshake failed: %s: %s (code %ld)",
                         e == &ce ? "client" : "server", th_outcome_name(e->outcome), e->text,
                         e->code);
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
        else
            rc = 0;
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

struct rate_sample {
    double per_s, client_us, server_us;
};

static int rate_rep(struct rate_run *rr, const struct th_runner_opts *o, struct rate_sample *out,
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
        return th_rate_tcp_rep(rr->k, rr->cctx, rr->sctx, rr->sess, count, secs, &out->per_s,
                               &out->client_us, &out->server_us, rr->obs, err);
    rr->ccpu = rr->scpu = 0;
    uint64_t n = 0, w0 = th_now_ns(), cpu0 = th_thread_cpu_ns();
    while (count ? n < count : th_now_ns() - w0 < (uint64_t)(secs * 1e9)) {
        if (timed_handshake(rr, err) != 0)
            return -1;
        n++;
    }
    double wall_ns = (double)(th_now_ns() - w0), cpu = (double)(th_thread_cpu_ns() - cpu0);
    out->per_s = (double)n / (wall_ns / 1e9);
    out->client_us = cpu * ((double)rr->ccpu / wall_ns) / 1e3 / (double)n;
    out->server_us = cpu * ((double)rr->scpu / wall_ns) / 1e3 / (double)n;
    return 0;
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
    struct rate_run rr = {.k = k, .cctx = cctx, .sctx = sctx, .obs = &r->obs};
    struct th_error err = {0};
    if (k->rate.resume != TH_RESUME_NONE && !(rr.sess = prime_session(&rr, &err))) {
        r->status = TH_FAIL;
        th_strlcpy(r->reason, err.text, sizeof(r->reason));
        return;
    }
    unsigned reps = th_kind_reps(k, o);
    struct rate_sample *v = th_xcalloc(reps + 1, sizeof(*v));
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
        snprintf(r->reason, sizeof(r->reason), "every handshake checked %s",
                 k->rate.resume != TH_RESUME_NONE ? "resumed" : "full");
        rate_metrics(v, n, r);
    } else {
        /* the handshakes so far stay counted in observed: how many passed first */
        r->obs.outcome = err.outcome != TH_OK ? err.outcome : TH_INTERNAL_ERROR;
        r->status = TH_FAIL;
        th_strlcpy(r->reason, err.text, sizeof(r->reason));
    }
    free(v);
    if (rr.sess)
        k->client->session_free(rr.sess);
}
