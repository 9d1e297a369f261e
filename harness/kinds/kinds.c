/* The kinds' table and the one entry point: th_run_case looks the case's kind up
 * and runs it, making both ends' contexts first for the kinds that run on them. */
#include "kinds.h"

#include <stdio.h>
#include <string.h>

#include "harness/run/endpoint.h"
#include "harness/run/judge.h"
#include "kinds_int.h"

/* Every enum th_kind, in its order. The kinds run on contexts made here, except
 * handshake: it finds its server first (a fixture, a target), then makes its own. */
static const struct th_kind_entry kinds[] = {
    [TH_KIND_HANDSHAKE] = {th_run_handshake, 0}, /* handshake.c */
    [TH_KIND_BULK] = {th_run_bulk, 1},           /* bulk.c */
    [TH_KIND_HANDSHAKE_RATE] = {th_run_rate, 1}, /* rate.c, rate_tcp.c */
    [TH_KIND_MEMORY] = {th_run_memory, 1},       /* memory.c */
    [TH_KIND_INTEGRITY] = {th_run_integrity, 1}, /* integrity.c */
    [TH_KIND_LOAD] = {th_run_load, 1},           /* load.c */
};

const struct th_kind_entry *th_kind_entry(enum th_kind k, struct th_error *err)
{
    if ((unsigned)k >= TH_ARRAY_LEN(kinds) || !kinds[k].run) {
        TH_FAULT(err, 0, "kind %s (%d) has no entry in the kinds table", th_kind_name(k), (int)k);
        return NULL;
    }
    return &kinds[k];
}

/* The reason keeps the native code, and the place for a harness fault, so an error
 * status says where to look. One exception: a client library that refused to load
 * its trust anchor or CRL (its context could not be made) has given a verdict about
 * a certificate, not failed to run: the case is judged on outcome anchor_unusable. */
void th_kind_error(struct th_case_result *r, const struct th_error *err)
{
    if (err->outcome == TH_ANCHOR_UNUSABLE && r->c) {
        r->obs.ran = 1;
        r->obs.outcome = TH_ANCHOR_UNUSABLE;
        r->obs.client_err = *err;
        r->obs.native_side = "client";
        th_judge(r->c, r);
        return;
    }
    /* A server library that will not staple the response it is given (GnuTLS checks
     * one as it loads it) cannot show what a client makes of it: a capability it
     * lacks for this response, found only by trying, in its own words. */
    if (err->outcome == TH_OCSP_INVALID && r->c && r->c->server && r->c->s.ocsp) {
        r->status = TH_SKIP;
        snprintf(r->reason, sizeof(r->reason), "%s: no client can be shown %s through it",
                 err->text, r->c->s.ocsp);
        return;
    }
    r->status = TH_ERROR;
    th_error_str(err, r->reason, sizeof(r->reason));
}

void th_kind_failed(struct th_case_result *r, const struct th_error *err)
{
    if ((err->outcome == TH_INTERNAL_ERROR && err->file) || !r->c) {
        r->status = err->file ? TH_ERROR : TH_FAIL;
        th_strlcpy(r->reason, err->text, sizeof(r->reason));
        return;
    }
    r->obs.ran = 1;
    r->obs.outcome = err->outcome == TH_OK ? TH_INTERNAL_ERROR : err->outcome;
    r->obs.client_err = *err;
    r->obs.client_err.outcome = r->obs.outcome;
    r->obs.native_side = "client";
    th_judge(r->c, r);
}

uint64_t th_side_cpu(const struct th_backend *b, struct th_ctx *ctx)
{
    return b && ctx && b->cpu_ns ? b->cpu_ns(ctx) : 0;
}

unsigned th_kind_reps(const struct th_case *k, const struct th_runner_opts *o)
{
    if (o->quick)
        return 1;
    return o->repeat ? o->repeat : k->repeat ? k->repeat : 3;
}

int th_case_prepare(const struct th_case *c, const struct th_runner_opts *o,
                    struct th_fixture **fixture, struct th_case_result *r)
{
    *fixture = NULL;
    if (c->skip || !c->fixture)
        return 0;
    struct th_error err = {0};
    uint64_t t0 = th_now_ns();
    if (th_target_fixture(c, o, fixture, &err) == 0)
        return 0;
    memset(r, 0, sizeof(*r));
    r->c = c;
    th_kind_error(r, &err);
    r->duration_s = (double)(th_now_ns() - t0) / 1e9;
    return -1;
}

void th_run_case(const struct th_case *c, const struct th_runner_opts *o, struct th_case_result *r)
{
    memset(r, 0, sizeof(*r));
    r->c = c;
    uint64_t t0 = th_now_ns();
    if (c->skip) {
        r->status = TH_SKIP;
        th_strlcpy(r->reason, c->skip, sizeof(r->reason));
        return;
    }
    struct th_error err = {0};
    struct th_ctx *cctx = NULL, *sctx = NULL;
    const struct th_kind_entry *k = th_kind_entry(c->kind, &err);
    if (!k || (k->make_ctxs && th_endpoint_ctxs(c, o->pki_dir, &cctx, &sctx, &err) != 0)) {
        th_kind_error(r, &err);
    } else {
        k->run(c, o, cctx, sctx, r);
        th_endpoint_ctxs_free(c, cctx, sctx);
    }
    r->duration_s = (double)(th_now_ns() - t0) / 1e9;
}
