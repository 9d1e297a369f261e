/* `tlsharness run [PATH...]`: read the scenarios, run each case of the shard in the
 * order that saves fixture starts, print progress and the summary, write the results
 * (JSON, and JUnit with --junit). */
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "cli.h"
#include "run_cases.h"
#include "harness/fixture/fixture.h"
#include "harness/pki/pki.h"
#include "harness/report/progress.h"
#include "harness/report/html.h"
#include "harness/report/results.h"
#include "harness/report/summary.h"
#include "harness/report/term.h"

#ifndef TH_BUILD_FLAGS
#define TH_BUILD_FLAGS ""
#endif

/* results/latest.json in a checkout, else under the data folder (cli.h) */
#define DEFAULT_OUT th_cli_default_out()

/* Off a terminal, a reason is cut to this many columns (the results file keeps it
 * whole): a CI log stays readable. */
#define LOG_WIDTH 160

/* The results file is rewritten at most this often while the run goes on (and after
 * every benchmark case): a kill loses at most this much. */
#define CHECKPOINT_S 2.0

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

/* 128 + the signal that stopped the run (130 SIGINT, 143 SIGTERM, 129 SIGHUP), 1 for
 * a case that failed, else 0. */
static int run_exit_status(const struct th_run *run)
{
    size_t counts[TH_STATUS_COUNT];
    th_run_counts(run, counts);
    if (run->interrupted)
        return 128 + (th_cli_interrupted > 0 ? (int)th_cli_interrupted : SIGINT);
    if (counts[TH_FAIL] || counts[TH_XPASS] || counts[TH_ERROR])
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
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct th_run_cases_opts rco = {.jobs = o->jobs     ? o->jobs
                                            : cores > 0 ? (unsigned)(cores < 64 ? cores : 64)
                                                        : 1,
                                    .checkpoint = o->out ? o->out : DEFAULT_OUT,
                                    .checkpoint_period_s = CHECKPOINT_S,
                                    .progress = {.mode = t.progress,
                                                 .fd = STDERR_FILENO,
                                                 .out = stdout,
                                                 .verbose = o->verbose,
                                                 .quiet = o->quiet,
                                                 .color = t.color,
                                                 .width = t.width,
                                                 .quick = o->quick}};
    th_run_cases(o, &rco, plan, &run);
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
    /* an output that cannot be written is bad input: said before measuring anything */
    const char *outs[] = {o.out ? o.out : DEFAULT_OUT, o.junit, o.html};
    for (size_t i = 0; i < TH_ARRAY_LEN(outs); i++)
        if (outs[i] && th_output_check(outs[i], &err) != 0)
            return th_cli_fail(&err, NULL);
    /* from here on a signal stops the run between cases, never mid-write */
    th_cli_catch_signals();
    th_fixture_sweep(NULL); /* what a killed run left behind */
    if (th_cli_read_plan(&o, &plan) != 0) {
        rc = TH_EXIT_USAGE;
    } else if (th_cli_shard_size(&o, &plan) == 0) {
        fprintf(stderr, "tlsharness: --shard %s holds none of the %zu cases: nothing to run\n",
                o.shard, plan.n);
        rc = TH_EXIT_USAGE;
    } else {
        rc = run_plan(&o, &plan);
    }
    th_plan_free(&plan);
    return rc;
}
