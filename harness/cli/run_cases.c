/* The cases of a run in worker processes (run_cases.h).
 *
 * Each case runs in a worker, a fork of this process that runs cases one after the
 * other (harness/run/isolate.h): a crash, an abort or an out-of-memory kill costs the
 * case it was running only, recorded as status error with how it ended, and a new
 * worker takes the next case. This process keeps what outlives a case (the fixture
 * pool: a worker is retired when the pool started a server after the worker was
 * forked, since its copy of the pool does not know it) and everything finished: the
 * results file is rewritten as cases finish, marked interrupted until the run ends,
 * so even a SIGKILL of the run leaves every finished case readable. Up to `jobs`
 * conformance cases run side by side; a benchmark case waits until it is the only
 * one, and nothing starts beside it. Cases are started, reported and recorded in the
 * order a serial run uses. */
#include "run_cases.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness/fixture/fixture.h"
#include "harness/kinds/kinds.h"
#include "harness/run/isolate.h"
#include "harness/scenario/order.h"
#include "harness/vocab/text.h"

/* Fixtures kept running between cases: all seven, for a scenario that lists
 * "fixture:*" runs each pair's cases one server after the other. */
#define FIXTURES_RUNNING 8

/* How often the loop looks at the stop flag while cases run. */
#define POLL_MS 100

struct slot {
    int live;     /* a worker is up */
    int busy;     /* it runs a case */
    uint64_t gen; /* the fixture pool's generation when it was forked */
    size_t k;     /* the case's position in the run order */
    struct th_child ch;
    struct th_fixture *fixture;
    uint64_t t0;
};

struct sched {
    const struct th_cli_opts *o;
    const struct th_run_cases_opts *ro;
    const struct th_plan *plan;
    struct th_runner_opts kro;  /* what th_run_case gets */
    size_t *seq, m;             /* the shard's cases in run order */
    struct th_case_result *res; /* by position in seq */
    unsigned char *have;
    size_t next_start, next_report;
    struct slot *slots;
    unsigned running;
    int alone; /* a benchmark case is running */
    struct th_progress *progress;
    struct th_run *run;
    uint64_t last_write;
    uint64_t write_ns; /* what the last checkpoint took */
};

int th_kind_runs_alone(enum th_kind k)
{
    return k != TH_KIND_HANDSHAKE && k != TH_KIND_INTEGRITY;
}

/* In a worker: case number job of the plan. The fixtures are the parent's,
 * borrowed. */
static void job_run(void *arg, uint64_t job, void *out)
{
    const struct sched *s = arg;
    struct th_runner_opts kro = s->kro;
    th_fixture_pool_borrow_only(kro.fixtures);
    th_run_case(&s->plan->cases[job], &kro, out);
}

static int by_case(const void *a, const void *b)
{
    const struct th_case *x = ((const struct th_case_result *)a)->c,
                         *y = ((const struct th_case_result *)b)->c;
    return (x > y) - (x < y);
}

/* The results file as it stands: what finished, in plan order, marked interrupted
 * (the run is not over). A failure is said once and the run goes on: the final
 * write says it again. The file grows with the run (about 1 KiB a case), so the
 * writes are spaced by ten times what the last one took as well as by the period:
 * keeping the file up to date costs a tenth of the run at most. */
static void checkpoint(struct sched *s, int force)
{
    uint64_t now = th_now_ns();
    uint64_t gap = (uint64_t)(s->ro->checkpoint_period_s * 1e9);
    if (gap < 10 * s->write_ns)
        gap = 10 * s->write_ns;
    if (!s->ro->checkpoint || (!force && now - s->last_write < gap))
        return;
    s->last_write = now;
    struct th_run part = *s->run;
    part.results = th_xcalloc(part.n ? part.n : 1, sizeof(*part.results));
    memcpy(part.results, s->run->results, part.n * sizeof(*part.results));
    qsort(part.results, part.n, sizeof(*part.results), by_case);
    part.interrupted = 1;
    part.finished_at = th_wall_clock();
    struct th_error err;
    static int said;
    if (th_results_write_json(s->ro->checkpoint, &part, &err) != 0 && !said++) {
        char msg[600];
        th_error_str(&err, msg, sizeof(msg));
        fprintf(stderr, "tlsharness: cannot keep the results file up to date: %s\n", msg);
    }
    free(part.results);
    s->write_ns = th_now_ns() - now;
}

/* Report and record every finished case the serial order has reached. */
static void report_ready(struct sched *s)
{
    while (s->next_report < s->m && s->have[s->next_report]) {
        struct th_case_result *r = &s->res[s->next_report];
        th_progress_end(s->progress, r);
        s->run->results[s->run->n++] = *r;
        s->next_report++;
        if (s->next_report < s->next_start)
            th_progress_begin(s->progress, &s->plan->cases[s->seq[s->next_report]]);
        checkpoint(s, 0);
    }
}

/* What a child printed besides its result goes on to stderr, a line at a time,
 * escaped: library warnings are not lost, and no control byte gets through. */
static void pass_on_output(const struct th_child *ch)
{
    if (!ch->printed)
        return;
    const char *p = ch->tail;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[TH_CHILD_TAIL * 4 + 1];
        th_text_safe_n(line, sizeof(line), p, n);
        fprintf(stderr, "%s\n", line);
        p += n + (nl != NULL);
    }
}

/* The case on slot sl ended: its answer, or status error with how its worker
 * ended. A case whose worker a stop signal ended is not recorded: the run is being
 * stopped. */
static void finish(struct sched *s, struct slot *sl, int how)
{
    const struct th_case *c = &s->plan->cases[s->seq[sl->k]];
    struct th_case_result *r = &s->res[sl->k];
    th_fixture_pool_hold(s->kro.fixtures, sl->fixture, -1);
    sl->busy = 0;
    sl->fixture = NULL;
    s->running--;
    if (th_kind_runs_alone(c->kind))
        s->alone = 0;
    if (how == TH_CHILD_ENDED) {
        sl->live = 0;
        int st = sl->ch.status;
        if (WIFSIGNALED(st) &&
            (WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGHUP)) {
            if (!th_cli_interrupted)
                th_cli_interrupted = WTERMSIG(st);
            return;
        }
        char why[700];
        th_child_describe(&sl->ch, why, sizeof(why));
        memset(r, 0, sizeof(*r));
        r->c = c;
        r->status = TH_ERROR;
        snprintf(r->reason, sizeof(r->reason), "the case did not finish: %s", why);
        r->duration_s = (double)(th_now_ns() - sl->t0) / 1e9;
    } else if (r->c != c) { /* cannot happen unless the answer is garbled */
        memset(r, 0, sizeof(*r));
        r->c = c;
        r->status = TH_ERROR;
        snprintf(r->reason, sizeof(r->reason), "internal error: its answer was for another case");
    } else {
        pass_on_output(&sl->ch);
    }
    s->have[sl->k] = 1;
}

/* An idle worker that can run case c (one forked after every fixture it may need
 * started), forking one if needed; NULL with r filled when no worker can start. */
static struct slot *worker_for(struct sched *s, const struct th_case *c, struct th_case_result *r)
{
    uint64_t gen = th_fixture_pool_generation(s->kro.fixtures);
    struct slot *free_slot = NULL;
    for (unsigned i = 0; i < s->ro->jobs; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->busy)
            continue;
        if (sl->live && (!c->fixture || sl->gen == gen))
            return sl;
        if (!free_slot || !sl->live)
            free_slot = sl;
    }
    if (free_slot->live) { /* its copy of the fixture pool is out of date */
        th_child_stop(&free_slot->ch);
        free_slot->live = 0;
    }
    struct th_error err;
    /* the progress thread allocates and writes while it draws: no fork mid-draw */
    th_progress_hold(s->progress, 1);
    int started = th_child_start(&free_slot->ch, job_run, s, sizeof(*r), &err);
    th_progress_hold(s->progress, 0);
    if (started != 0) {
        memset(r, 0, sizeof(*r));
        r->c = c;
        r->status = TH_ERROR;
        th_error_str(&err, r->reason, sizeof(r->reason));
        return NULL;
    }
    free_slot->live = 1;
    free_slot->gen = gen;
    return free_slot;
}

/* Start the next case if the rules allow: 1 started or settled one, 0 not now. */
static int start_next(struct sched *s)
{
    if (s->next_start >= s->m || s->alone || th_cli_interrupted)
        return 0;
    size_t k = s->next_start;
    const struct th_case *c = &s->plan->cases[s->seq[k]];
    int alone = th_kind_runs_alone(c->kind) && !c->skip;
    if (!c->skip && (s->running >= s->ro->jobs || (alone && s->running)))
        return 0;
    if (k == s->next_report)
        th_progress_begin(s->progress, c);
    s->next_start++;
    struct th_fixture *fx = NULL;
    if (c->skip) { /* nothing runs: no worker for it */
        th_run_case(c, &s->kro, &s->res[k]);
        s->have[k] = 1;
        return 1;
    }
    struct slot *sl = NULL;
    if (th_case_prepare(c, &s->kro, &fx, &s->res[k]) != 0) {
        s->have[k] = 1;
        return 1;
    }
    /* a worker that died idle (killed from outside) is replaced, not blamed */
    for (int tries = 0; tries < 2; tries++) {
        if (!(sl = worker_for(s, c, &s->res[k]))) {
            s->have[k] = 1;
            return 1;
        }
        if (th_child_send(&sl->ch, s->seq[k], &s->res[k]) == 0 || tries == 1)
            break; /* a second failure: the next read says how, as the case's reason */
        th_child_kill(&sl->ch);
        sl->live = 0;
    }
    sl->t0 = th_now_ns();
    th_fixture_pool_hold(s->kro.fixtures, fx, +1);
    sl->busy = 1;
    sl->k = k;
    sl->fixture = fx;
    s->running++;
    s->alone = alone;
    return 1;
}

/* Wait up to POLL_MS for a worker to say something; finish the cases that ended. */
static void wait_some(struct sched *s)
{
    unsigned jobs = s->ro->jobs;
    struct pollfd *p = th_xcalloc(2 * jobs, sizeof(*p));
    for (unsigned i = 0; i < jobs; i++) {
        p[2 * i].fd = s->slots[i].busy ? s->slots[i].ch.out_fd : -1;
        p[2 * i + 1].fd = s->slots[i].busy ? s->slots[i].ch.log_fd : -1;
        p[2 * i].events = p[2 * i + 1].events = POLLIN;
    }
    if (poll(p, 2 * jobs, POLL_MS) > 0)
        for (unsigned i = 0; i < jobs; i++) {
            if (!s->slots[i].busy || !(p[2 * i].revents || p[2 * i + 1].revents))
                continue;
            int how = th_child_read(&s->slots[i].ch);
            if (how != TH_CHILD_BUSY)
                finish(s, &s->slots[i], how);
        }
    free(p);
}

/* The end of the run: idle workers stopped, busy ones (a stop signal) killed and
 * their cases dropped. */
static void stop_all(struct sched *s)
{
    for (unsigned i = 0; i < s->ro->jobs; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->busy) {
            th_child_kill(&sl->ch);
            th_fixture_pool_hold(s->kro.fixtures, sl->fixture, -1);
        } else if (sl->live) {
            th_child_stop(&sl->ch);
        }
        sl->busy = sl->live = 0;
    }
    s->running = 0;
}

static void sched_init(struct sched *s, const struct th_cli_opts *o,
                       const struct th_run_cases_opts *ro, const struct th_plan *plan,
                       struct th_run *run)
{
    memset(s, 0, sizeof(*s));
    s->o = o;
    s->ro = ro;
    s->plan = plan;
    s->run = run;
    s->kro = (struct th_runner_opts){.pki_dir = o->pki_dir,
                                     .interrupt = &th_cli_interrupted,
                                     .repeat = (unsigned)o->repeat,
                                     .quick = o->quick,
                                     .fixtures = th_fixture_pool_new(NULL, FIXTURES_RUNNING)};
    size_t *order = th_run_order(plan);
    s->seq = th_xcalloc(plan->n ? plan->n : 1, sizeof(*s->seq));
    for (size_t i = 0; i < plan->n; i++)
        if (th_cli_in_shard(o, order[i]))
            s->seq[s->m++] = order[i];
    free(order);
    s->res = th_xcalloc(s->m ? s->m : 1, sizeof(*s->res));
    s->have = th_xcalloc(s->m ? s->m : 1, 1);
    s->slots = th_xcalloc(ro->jobs, sizeof(*s->slots));
    s->progress = th_progress_new(&ro->progress, s->m);
    for (size_t k = 0; k < s->m; k++)
        th_progress_plan(s->progress, &plan->cases[s->seq[k]]);
}

void th_run_cases(const struct th_cli_opts *o, const struct th_run_cases_opts *ro,
                  const struct th_plan *plan, struct th_run *run)
{
    struct sched s;
    sched_init(&s, o, ro, plan, run);
    checkpoint(&s, 1); /* from now on the file says this run, not the last one */
    th_progress_start(s.progress);
    while (!th_cli_interrupted && (s.next_report < s.m)) {
        while (start_next(&s))
            report_ready(&s);
        if (s.running)
            wait_some(&s);
        report_ready(&s);
    }
    stop_all(&s);
    th_progress_stop(s.progress);
    th_fixture_pool_free(s.kro.fixtures);
    qsort(run->results, run->n, sizeof(*run->results), by_case);
    run->interrupted = th_cli_interrupted != 0;
    free(s.seq);
    free(s.res);
    free(s.have);
    free(s.slots);
}
