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
#include "harness/report/progress.h"
#include "harness/report/html.h"
#include "harness/report/results.h"
#include "harness/report/summary.h"
#include "harness/report/term.h"
#include "harness/scenario/order.h"

#ifndef TH_BUILD_FLAGS
#define TH_BUILD_FLAGS ""
#endif

/* results/latest.json in a checkout, else under the data folder (cli.h) */
#define DEFAULT_OUT th_cli_default_out()

/* Off a terminal, a reason is cut to this many columns (the results file keeps it
 * whole): a CI log stays readable. */
#define LOG_WIDTH 160

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

/* What the terminal gets: colour, widths, and the progress line's kind. */
struct term {
    int color, width;
    enum th_progress_mode progress;
};

static struct term term_of(const struct th_cli_opts *o)
{
    struct term t = {.color = th_color_wanted((enum th_color_when)o->color, STDOUT_FILENO)};
    int cols = th_term_columns(STDOUT_FILENO);
    t.width = cols ? cols : LOG_WIDTH;
    if (o->quiet)
        t.progress = TH_PROGRESS_OFF;
    else if (isatty(STDERR_FILENO) && th_term_capable())
        t.progress = TH_PROGRESS_LIVE;
    else
        t.progress = TH_PROGRESS_PERIODIC;
    return t;
}

/* 0, or the exit status of the last output that could not be written. */
static int write_outputs(const struct th_cli_opts *o, const struct th_run *run)
{
    struct th_error err;
    const char *out = o->out ? o->out : DEFAULT_OUT;
    int rc = 0;
    if (th_results_write_json(out, run, &err) != 0)
        rc = th_cli_fail(&err, NULL);
    else if (!o->quiet)
        printf("results: %s\n", out);
    if (o->junit && th_results_write_junit(o->junit, run, &err) != 0) {
        rc = th_cli_fail(&err, NULL);
    } else if (o->junit && !o->quiet) {
        printf("junit:   %s\n", o->junit);
    }
    if (o->html && rc == 0 && th_report_html(o->html, out, NULL, &err) != 0)
        rc = th_cli_fail(&err, NULL);
    else if (o->html && rc == 0 && !o->quiet)
        printf("report:  %s\n", o->html);
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

static int in_play(const struct th_cli_opts *o, const struct th_plan *plan,
                   const struct th_backend *b)
{
    for (size_t i = 0; i < plan->n; i++)
        if ((plan->cases[i].client == b || plan->cases[i].server == b) && th_cli_in_shard(o, i))
            return 1;
    return 0;
}

/* The servers the backends do not cover, each once: fixtures by name, then targets. */
static void print_servers(const struct th_cli_opts *o, const struct th_plan *plan, int fixtures)
{
    const char **seen = NULL;
    size_t n = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const struct th_case *c = &plan->cases[i];
        if (c->server || !c->server_name || !c->fixture != !fixtures || !th_cli_in_shard(o, i))
            continue;
        const char *name = c->fixture ? c->fixture->name : c->server_name;
        size_t j = 0;
        while (j < n && strcmp(seen[j], name) != 0)
            j++;
        if (j < n)
            continue;
        seen = th_xrealloc(seen, (n + 1) * sizeof(*seen));
        seen[n++] = name;
        printf("%s %s", n == 1 ? (fixtures ? "; fixtures:" : "; targets:") : ",", name);
    }
    free(seen);
}

/* The backends in play (those of the cases that will run), not every one compiled in. */
static void print_banner(const struct th_cli_opts *o, const struct th_plan *plan)
{
    printf("tlsharness %s: %zu cases%s%s; backends:", th_cli_version, th_cli_shard_size(o, plan),
           o->shard ? " in shard " : "", o->shard ? o->shard : "");
    int any = 0;
    for (size_t i = 0; th_backends[i]; i++)
        if (in_play(o, plan, th_backends[i])) {
            printf("%s %s (%s)", any++ ? "," : "", th_backends[i]->name, th_backends[i]->version());
        }
    if (!any)
        printf(" none");
    print_servers(o, plan, 1);
    print_servers(o, plan, 0);
    printf("\n");
    fflush(stdout);
}

/* The cases of the shard, in the order that saves fixture starts, until a signal;
 * results in the plan's order, whatever order they ran in. */
static void run_cases(const struct th_cli_opts *o, const struct th_plan *plan, const struct term *t,
                      struct th_run *run)
{
    struct th_runner_opts ro = {.pki_dir = o->pki_dir,
                                .interrupt = &th_cli_interrupted,
                                .repeat = (unsigned)o->repeat,
                                .quick = o->quick,
                                .fixtures = th_fixture_pool_new(NULL, FIXTURES_RUNNING)};
    struct th_progress_opts po = {.mode = t->progress,
                                  .fd = STDERR_FILENO,
                                  .out = stdout,
                                  .verbose = o->verbose,
                                  .quiet = o->quiet,
                                  .color = t->color,
                                  .width = t->width,
                                  .quick = o->quick};
    struct th_progress *progress = th_progress_new(&po, th_cli_shard_size(o, plan));
    size_t *order = th_run_order(plan);
    for (size_t i = 0; i < plan->n; i++)
        if (th_cli_in_shard(o, i))
            th_progress_plan(progress, &plan->cases[i]);
    th_progress_start(progress);
    for (size_t k = 0; k < plan->n && !th_cli_interrupted; k++) {
        size_t i = order[k];
        if (!th_cli_in_shard(o, i))
            continue;
        th_progress_begin(progress, &plan->cases[i]);
        th_run_case(&plan->cases[i], &ro, &run->results[run->n]);
        th_progress_end(progress, &run->results[run->n++]);
    }
    th_progress_stop(progress);
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
    struct term t = term_of(o);
    if (!o->quiet)
        print_banner(o, plan);
    run_cases(o, plan, &t, &run);
    run.finished_at = th_wall_clock();
    struct th_summary_opts so = {.color = t.color,
                                 .verbose = o->verbose,
                                 .quiet = o->quiet,
                                 .width = t.width,
                                 .results_path = o->out ? o->out : DEFAULT_OUT};
    th_summary_print(stdout, &run, &so);
    if (run.interrupted)
        printf("interrupted after %zu of %zu cases\n", run.n, th_cli_shard_size(o, plan));
    if (!o->quiet)
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
        check_writable(o.junit, &err) != 0 || check_writable(o.html, &err) != 0)
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
