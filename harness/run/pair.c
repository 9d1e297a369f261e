/* The in-memory pair and the payload the data-path kinds move through it. */
#include "pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/iana.h"

void th_payload_init(struct th_payload *p, uint64_t seed, size_t slack)
{
    p->slack = slack;
    p->pat = th_xmalloc(TH_PAYLOAD_PERIOD + slack);
    th_pattern_fill(seed, 0, p->pat, TH_PAYLOAD_PERIOD);
    for (size_t i = 0; i < slack; i++)
        p->pat[TH_PAYLOAD_PERIOD + i] = p->pat[i % TH_PAYLOAD_PERIOD];
}

void th_payload_free(struct th_payload *p)
{
    free(p->pat);
    p->pat = NULL;
}

int th_payload_matches(const struct th_payload *p, uint64_t off, const unsigned char *got, size_t n)
{
    while (n) {
        size_t at = (size_t)(off % TH_PAYLOAD_PERIOD);
        size_t run = TH_PAYLOAD_PERIOD - at < n ? TH_PAYLOAD_PERIOD - at : n;
        if (memcmp(p->pat + at, got, run) != 0)
            return 0;
        got += run;
        off += run;
        n -= run;
    }
    return 1;
}

void th_pair_end_fail(struct th_pair_end *e, enum th_outcome o, const char *what)
{
    if (e->failed)
        return;
    e->failed = 1;
    th_error_set(&e->err, o, 0, "%s", what);
}

static int open_failed(struct th_pair *d, struct th_error *err)
{
    *err = d->cl.failed ? d->cl.err : d->sv.err;
    return -1;
}

/* Handshake both ends to completion, alternating; a round that moves nothing
 * while both wait is a stall. */
int th_pair_open(struct th_pair *d, const struct th_case *k, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_session *sess, struct th_error *err)
{
    memset(d, 0, sizeof(*d));
    th_mem_pair_init(&d->mem);
    d->cl.b = k->client;
    d->sv.b = k->server;
    if (k->server->conn_new(sctx, &d->mem.server_io, NULL, &d->sv.conn, &d->sv.err) != 0)
        return d->sv.failed = 1, open_failed(d, err);
    if (k->client->conn_new(cctx, &d->mem.client_io, sess, &d->cl.conn, &d->cl.err) != 0)
        return d->cl.failed = 1, open_failed(d, err);
    int cdone = 0, sdone = 0;
    while (!(cdone && sdone)) {
        uint64_t moved = d->mem.c2s.total + d->mem.s2c.total;
        enum th_step cs = cdone ? TH_STEP_DONE : d->cl.b->handshake(d->cl.conn, &d->cl.err);
        enum th_step ss = sdone ? TH_STEP_DONE : d->sv.b->handshake(d->sv.conn, &d->sv.err);
        d->cl.failed = cs == TH_STEP_FAILED || cs == TH_STEP_CLOSED;
        d->sv.failed = ss == TH_STEP_FAILED || ss == TH_STEP_CLOSED;
        if (d->cl.failed || d->sv.failed)
            return open_failed(d, err);
        cdone = cs == TH_STEP_DONE;
        sdone = ss == TH_STEP_DONE;
        if (!(cdone && sdone) && moved == d->mem.c2s.total + d->mem.s2c.total) {
            th_pair_end_fail(&d->cl, TH_TIMEOUT, "handshake stalled: both ends waiting");
            return open_failed(d, err);
        }
    }
    return 0;
}

void th_pair_close(struct th_pair *d)
{
    if (d->cl.conn)
        d->cl.b->conn_free(d->cl.conn);
    if (d->sv.conn)
        d->sv.b->conn_free(d->sv.conn);
    d->cl.conn = d->sv.conn = NULL;
    th_mem_pair_free(&d->mem);
}

/* The clock of an end's timed sections: monotonic, or (cpu_timed) the thread's CPU. */
static uint64_t section_clock(const struct th_pair_end *e)
{
    return e->cpu_timed ? th_thread_cpu_ns() : th_now_ns();
}

int th_pair_write(struct th_pair_end *e, const struct th_payload *p, size_t n, size_t ws)
{
    uint64_t w0 = section_clock(e);
    size_t left = n;
    while (left) {
        size_t want = ws < left ? ws : left, done = 0;
        enum th_step st = e->b->write(e->conn, th_payload_at(p, e->sent), want, &done, &e->err);
        e->sent += done;
        left -= done;
        if (st == TH_STEP_FAILED || (st != TH_STEP_DONE && done == 0))
            break;
    }
    e->send_wall += section_clock(e) - w0;
    if (left && !e->failed) {
        e->failed = 1;
        if (e->err.outcome == TH_OK)
            th_error_set(&e->err, TH_IO_ERROR, 0, "write stopped with %zu bytes left", left);
    }
    return left ? -1 : 0;
}

size_t th_pair_read(struct th_pair_end *e, unsigned char *buf, size_t n, int *closed)
{
    uint64_t w0 = section_clock(e);
    size_t got = 0;
    *closed = 0;
    while (got < n) {
        size_t done = 0;
        enum th_step st = e->b->read(e->conn, buf + got, n - got, &done, &e->err);
        got += done;
        if (st == TH_STEP_FAILED) {
            e->failed = 1;
            break;
        }
        if (st == TH_STEP_CLOSED) {
            *closed = 1;
            break;
        }
        if (st != TH_STEP_DONE && done == 0)
            break;
    }
    e->recv_wall += section_clock(e) - w0;
    return got;
}

int th_pair_check_pins(const struct th_case *k, const struct th_pair *d, struct th_error *err)
{
    struct th_negotiated n;
    d->cl.b->negotiated(d->cl.conn, &n);
    const struct th_expect *x = &k->expect;
    if ((x->version && n.version != x->version) || (x->suite && n.suite != x->suite) ||
        (x->group && n.group != x->group)) {
        const struct th_suite_info *s = th_suite_by_id(n.suite);
        th_error_set(err, TH_INTERNAL_ERROR, 0,
                     "negotiated %s %s, not what the scenario pins: sample discarded",
                     th_version_name(n.version), s ? s->name : "an unknown suite");
        return -1;
    }
    return 0;
}

void th_pair_fail_result(const struct th_pair *d, const char *when, struct th_case_result *r)
{
    const struct th_pair_end *e = d->cl.failed ? &d->cl : &d->sv;
    r->status = TH_FAIL;
    r->obs.ran = 1;
    r->obs.outcome = e->err.outcome;
    r->obs.native_side = e == &d->cl ? "client" : "server";
    r->obs.client_err = d->cl.err;
    r->obs.server_err = d->sv.err;
    r->obs.server_seen = 1;
    snprintf(r->reason, sizeof(r->reason), "%s: %s failed: %s (code %ld)", when, r->obs.native_side,
             e->err.text, e->err.code);
    if (e->err.outcome == TH_INTERNAL_ERROR && e->err.file) /* the harness's, not the library's */
        r->status = TH_ERROR;
}
