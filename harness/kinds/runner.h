/* The runner: turns one struct th_case into a struct th_case_result by driving real
 * connections between the client and server backends over the case's transport. */
#ifndef TH_RUNNER_H
#define TH_RUNNER_H

#include <signal.h>

#include "harness/fixture/fixture.h"
#include "harness/report/results.h"
#include "harness/scenario/scenario.h"

struct th_runner_opts {
    const char *pki_dir;              /* the generated test PKI */
    volatile sig_atomic_t *interrupt; /* set by a signal: stop between cases */
    unsigned repeat;                  /* --repeat: measured repetitions (0: default) */
    int quick;                        /* --quick: scaled-down sizes */
    struct th_fixture_pool *fixtures; /* running fixtures, kept across cases */
};

/* Run one case; never fails as a function: problems become status error. */
void th_run_case(const struct th_case *c, const struct th_runner_opts *o, struct th_case_result *r);

/* Decide status and reason from the observation and the case's expectations
 * (exposed for tests). */
void th_judge(const struct th_case *c, struct th_case_result *r);

/* The case outcome from what each end saw: the client's view, refined by the
 * server's when the client only saw a generic alert (exposed for tests). */
enum th_outcome th_decide_outcome(const struct th_error *client, int client_failed,
                                  const struct th_error *server, int server_failed,
                                  const char **side);

#endif
