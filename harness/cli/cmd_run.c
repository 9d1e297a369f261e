/* `tlsharness run [PATH...]`: read the scenarios, run each case of the shard in the
 * order that saves fixture starts, print progress and the summary, write the results
 * (JSON, and JUnit with --junit). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "cli.h"
#include "harness/fixture/fixture.h"
#include "harness/kinds/kinds.h"
#include "harness/pki/pki.h"
#include "harness/report/results.h"
#include "harness/scenario/order.h"

#ifndef TH_BUILD_FLAGS
#define TH_BUILD_FLAGS ""
#endif

#define DEFAULT_OUT "results/latest.json"

/* Fixtures kept running between cases: all seven, for a scenario that lists
 * "fixture:*" runs each pair's cases one server after the other. */
#define FIXTURES_RUNNING 8

/* An output that cannot be written is bad input: say so before measuring anything. */
static int check_writable(const char *path, struct th_error *err)
{
    if (!path)
        return 0;
    char *dir = th_xstrdup(path), *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    const char *d = slash ? (*dir ? dir : "/") : ".";
    int rc = 0;
    if (th_mkdirs(d) != 0 || access(d, W_OK) != 0) {
        TH_INPUT(err, "cannot write results to %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(dir);
    return rc;
}

static int by_case(const void *a, const void *b)
{
    const struct th_case *x = ((const struct th_case_result *)a)->c,
                         *y = ((const struct th_case_result *)b)->c;
    return (x > y) - (x < y);
}

static void print_progress(const struct th_case_result *r, int verbose)
{
    if (verbose || (r->status != TH_PASS && r->status != TH_SKIP && r->status != TH_XFAIL))
        printf("%-5s %s (%.3f s)%s%s\n", th_status_name(r->status), r->c->id, r->duration_s,
               r->status == TH_PASS ? "" : ": ", r->status == TH_PASS ? "" : r->reason);
    fflush(stdout);
}

/* 0, or the exit status of the last output that could not be written. */
static int write_outputs(const struct th_cli_opts *o, const struct th_run *run)
{
    struct th_error err;
    const char *out = o->out ? o->out : DEFAULT_OUT;
    int rc = 0;
    if (th_results_write_json(out, run, &err) != 0)
        rc = th_cli_fail(&err, NULL);
    else
        printf("results: %s\n", out);
    if (o->junit && th_results_write_junit(o->junit, run, &err) != 0) {
        rc = th_cli_fail(&err, NULL);
    } else if (o->junit) {
        printf("junit:   %s\n", o->junit);
    }
    return rc;
}

static int run_exit_status(const struct th_run *run)
{
    size_t counts[TH_STATUS_COUNT];
    th_run_counts(run, counts);
    if (run->interrupted || counts[TH_FAIL] || counts[TH_XPASS] || counts[TH_ERROR])
        return TH_EXIT_FAILED;
    return 0;
}

static void print_banner(const struct th_cli_opts *o, const struct th_plan *plan)
{
    printf("tlsharness %s: %zu cases%s%s; backends:", th_cli_version, th_cli_shard_size(o, plan),
           o->shard ? " in shard " : "", o->shard ? o->shard : "");
    for (size_t i = 0; th_backends[i]; i++)
        printf(" %s (%s)", th_backends[i]->name, th_backends[i]->version());
    printf("\n");
    fflush(stdout);
}

/* The cases of the shard, in the order that saves fixture starts, until a signal;
 * results in the plan's order, whatever order they ran in. */
static void run_cases(const struct th_cli_opts *o, const struct th_plan *plan, struct th_run *run)
{
    struct th_runner_opts ro = {.pki_dir = o->pki_dir,
                                .interrupt = &th_cli_interrupted,
                                .repeat = (unsigned)o->repeat,
                                .quick = o->quick,
                                .fixtures = th_fixture_pool_new(NULL, FIXTURES_RUNNING)};
    size_t *order = th_run_order(plan);
    for (size_t k = 0; k < plan->n && !th_cli_interrupted; k++) {
        size_t i = order[k];
        if (!th_cli_in_shard(o, i))
            continue;
        th_run_case(&plan->cases[i], &ro, &run->results[run->n]);
        print_progress(&run->results[run->n++], o->verbose);
    }
    free(order);
    th_fixture_pool_free(ro.fixtures);
    qsort(run->results, run->n, sizeof(*run->results), by_case);
    run->interrupted = th_cli_interrupted;
}

static int run_plan(struct th_cli_opts *o, const struct th_plan *plan)
{
    struct th_error err;
    if (th_pki_ensure(o->pki_dir, &err) != 0)
        return th_cli_fail(&err, "test PKI in %s", o->pki_dir);
    /* fixtures run in folders of their own: every file they are given is absolute */
    char pki_abs[PATH_MAX];
    if (realpath(o->pki_dir, pki_abs))
        o->pki_dir = pki_abs;
    struct th_run run = {
        .generator = th_cli_generator,
        .build_flags = TH_BUILD_FLAGS,
        .started_at = th_wall_clock(),
        .results = th_xcalloc(plan->n ? plan->n : 1, sizeof(struct th_case_result)),
    };
    print_banner(o, plan);
    run_cases(o, plan, &run);
    run.finished_at = th_wall_clock();
    th_results_print_summary(stdout, &run, isatty(STDOUT_FILENO));
    if (run.interrupted)
        printf("interrupted after %zu of %zu cases\n", run.n, th_cli_shard_size(o, plan));
    printf("wall time: %.2f s\n", run.finished_at - run.started_at);
    int rc = write_outputs(o, &run);
    if (rc == 0)
        rc = run_exit_status(&run);
    free(run.results);
    return rc;
}

int th_cmd_run(int argc, char **argv)
{
    struct th_cli_opts o;
    struct th_plan plan;
    struct th_error err;
    int rc = th_cli_parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    if (check_writable(o.out ? o.out : DEFAULT_OUT, &err) != 0 ||
        check_writable(o.junit, &err) != 0)
        return th_cli_fail(&err, NULL);
    /* from here on a signal stops the run between cases, never mid-write */
    th_cli_catch_signals();
    if (th_cli_read_plan(&o, &plan) != 0)
        rc = TH_EXIT_USAGE;
    else
        rc = run_plan(&o, &plan);
    th_plan_free(&plan);
    return rc;
}
