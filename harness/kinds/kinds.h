/* The kinds: one struct th_case becomes one struct th_case_result by driving real
 * connections between the case's client and server over its transport. Each kind
 * (handshake, bulk, handshake_rate, memory, integrity, load) has one entry in
 * kinds.c's table, and th_run_case goes through it. */
#ifndef TH_KINDS_H
#define TH_KINDS_H

#include <signal.h>

#include "harness/report/results.h"
#include "harness/scenario/case.h"
#include "harness/vocab/error.h"

struct th_fixture_pool;
struct th_fixture;

struct th_runner_opts {
    const char *pki_dir;              /* the generated test PKI */
    volatile sig_atomic_t *interrupt; /* set by a signal: stop between cases */
    unsigned repeat;                  /* --repeat: measured repetitions (0: default) */
    int quick;                        /* --quick: scaled-down sizes */
    struct th_fixture_pool *fixtures; /* running fixtures, kept across cases */
};

/* Before a case runs in a process of its own: start what must outlive that process
 * (its fixture, which the pool keeps for the next cases). 0 with *fixture (NULL when
 * it has none), or -1 with r filled in as the case's result (status error, as the
 * case itself would have said). */
int th_case_prepare(const struct th_case *c, const struct th_runner_opts *o,
                    struct th_fixture **fixture, struct th_case_result *r) TH_MUST_CHECK;

/* Run one case; never fails as a function: problems become status error. */
void th_run_case(const struct th_case *c, const struct th_runner_opts *o, struct th_case_result *r);

/* One kind's entry in the table. */
struct th_kind_entry {
    /* Runs case c into r. With make_ctxs, cctx and sctx are both ends' contexts,
     * made before and freed after; without, they are NULL and the kind makes its
     * own once it has found its server. */
    void (*run)(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                struct th_ctx *sctx, struct th_case_result *r);
    int make_ctxs;
};

/* The table's entry for kind k; NULL with err for a kind it does not know. */
const struct th_kind_entry *th_kind_entry(enum th_kind k, struct th_error *err) TH_MUST_CHECK;

#endif
