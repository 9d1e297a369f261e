/* The cases of `run`, each in a process of its own, conformance cases side by side
 * and every benchmark case alone, results kept as they finish. */
#ifndef TH_RUN_CASES_H
#define TH_RUN_CASES_H

#include "cli.h"
#include "harness/report/progress.h"
#include "harness/report/results.h"
#include "harness/scenario/case.h"

struct th_run_cases_opts {
    unsigned jobs;              /* conformance cases at once (>= 1) */
    const char *checkpoint;     /* results file rewritten as cases finish; NULL: none */
    double checkpoint_period_s; /* at most this often (and after each benchmark case) */
    struct th_progress_opts progress;
};

/* Run o's shard of plan into run (results in plan order; run->interrupted set when
 * a signal stopped it: th_cli_interrupted). A case whose process crashed, aborted or
 * was killed is status error with how it ended. */
void th_run_cases(const struct th_cli_opts *o, const struct th_run_cases_opts *ro,
                  const struct th_plan *plan, struct th_run *run);

/* Does kind k run alone (a benchmark: nothing beside it may disturb its samples)? */
int th_kind_runs_alone(enum th_kind k);

#endif
