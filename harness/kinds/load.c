/* Kind "load": the load engine (load.h) against the case's server, which is one of
 * ours served by `serve` in a thread, a fixture, or an external target. Each
 * repetition is one run of the engine; rates are medians over repetitions,
 * latency percentiles are read per repetition and their medians reported. Every
 * counted request was verified by the engine; any failed one fails the case, with
 * the failures by class in the results and the first one in the library's words. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/http/loadgen.h"
#include "harness/http/serve.h"
#include "harness/fixture/fixture.h"
#include "harness/run/judge.h"
#include "harness/run/metric.h"
#include "harness/io/transport.h"
#include "kinds_int.h"

#define MAX_REPS 64
#define MAX_RUN_S 120.0 /* one repetition by count gives up after this long */

/* Our own server for the run: `serve`'s engine on a listener of our own. */
struct our_server {
    const struct th_case *c;
    struct th_ctx *ctx; /* the case's server context */
    int lfd;
    double max_s;
    volatile sig_atomic_t stop;
    int rc;
    struct th_error err; /* why the server stopped early, when rc is -1 */
    FILE *log;
    pthread_t tid;
};

static void *serve_main(void *arg)
{
    struct our_server *s = arg;
    s->rc = th_serve_ctx(s->c->server, s->ctx, s->lfd, s->max_s, &s->stop, s->log, &s->err);
    return NULL;
}

static int start_ours(struct our_server *s, uint16_t *port, struct th_error *err)
{
    s->lfd = th_tcp_listen("127.0.0.1", port);
    if (s->lfd < 0) {
        TH_FAULT(err, errno, "listen: %s", strerror(errno));
        return -1;
    }
    s->log = fopen("/dev/null", "w");
    if (!s->log || pthread_create(&s->tid, NULL, serve_main, s) != 0) {
        TH_FAULT(err, 0, "cannot start the server thread");
        if (s->log)
            fclose(s->log);
        close(s->lfd);
        return -1;
    }
    return 0;
}

static void stop_ours(struct our_server *s)
{
    s->stop = 1;
    pthread_join(s->tid, NULL);
    fclose(s->log);
    close(s->lfd);
}

/* ---- figures ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of sorted v, in ms. */
static double quantile_ms(const uint64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n + 0.5);
    i = i ? i - 1 : 0;
    return (double)v[i < n ? i : n - 1] / 1e6;
}

static double median_ms(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    return n % 2 ? (double)v[n / 2] / 1e6 : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2e6;
}

/* The figures of one repetition, in the order the results list them. */
enum {
    F_RPS,
    F_CPS,
    F_P50,
    F_P90,
    F_P99,
    F_P999,
    F_P9999,
    F_MAX,
    F_CONN,
    F_TLS,
    F_FB,
    F_CPU,
    F_MIBS,
    F_TTFB,
    F_COUNT
};
static const struct {
    const char *name, *unit;
} fig_names[F_COUNT] = {
    [F_RPS] = {"requests_per_s", "1/s"},      [F_CPS] = {"connections_per_s", "1/s"},
    [F_P50] = {"latency_ms_p50", "ms"},       [F_P90] = {"latency_ms_p90", "ms"},
    [F_P99] = {"latency_ms_p99", "ms"},       [F_P999] = {"latency_ms_p99_9", "ms"},
    [F_P9999] = {"latency_ms_p99_99", "ms"},  [F_MAX] = {"latency_ms_max", "ms"},
    [F_CONN] = {"connect_ms", "ms"},          [F_TLS] = {"tls_ms", "ms"},
    [F_FB] = {"first_byte_ms", "ms"},         [F_CPU] = {"client_us_per_request", "us"},
    [F_MIBS] = {"throughput_mib_s", "MiB/s"}, [F_TTFB] = {"ttfb_ms", "ms"},
};

/* One repetition's figures; -1 where there is nothing to read. */
static void figures(struct th_loadgen_stats *st, double f[F_COUNT])
{
    double wall = (double)st->wall_ns / 1e9;
    for (int i = 0; i < F_COUNT; i++)
        f[i] = -1;
    if (!st->requests || wall <= 0)
        return;
    f[F_RPS] = (double)st->requests / wall;
    f[F_CPS] = (double)st->connections / wall;
    f[F_CPU] = (double)st->cpu_ns / 1e3 / (double)st->requests;
    f[F_MIBS] = (double)st->body_bytes / wall / 1048576.0;
    if (st->n_latency) {
        qsort(st->latency_ns, st->n_latency, sizeof(uint64_t), cmp_u64);
        f[F_P50] = quantile_ms(st->latency_ns, st->n_latency, 0.50);
        f[F_P90] = quantile_ms(st->latency_ns, st->n_latency, 0.90);
        f[F_P99] = quantile_ms(st->latency_ns, st->n_latency, 0.99);
        f[F_P999] = quantile_ms(st->latency_ns, st->n_latency, 0.999);
        f[F_P9999] = quantile_ms(st->latency_ns, st->n_latency, 0.9999);
        f[F_MAX] = (double)st->latency_ns[st->n_latency - 1] / 1e6;
    }
    if (st->n_phase) {
        f[F_CONN] = median_ms(st->connect_ns, st->n_phase);
        f[F_TLS] = median_ms(st->tls_ns, st->n_phase);
        f[F_FB] = median_ms(st->first_byte_ns, st->n_phase);
        f[F_TTFB] = median_ms(st->ttfb_ns, st->n_phase);
    }
}

static void put_figures(double fig[][F_COUNT], size_t reps, struct th_case_result *r)
{
    for (int i = 0; i < F_COUNT; i++) {
        double v[MAX_REPS];
        size_t n = 0;
        for (size_t k = 0; k < reps; k++)
            if (fig[k][i] >= 0)
                v[n++] = fig[k][i];
        th_metric_set(r, fig_names[i].name, fig_names[i].unit, v, n);
    }
}

/* ---- the case ---- */

static void load_params(const struct th_case *c, const struct th_runner_opts *o, const char *host,
                        uint16_t port, struct th_loadgen_params *p)
{
    const struct th_load_spec *ls = &c->load;
    *p = (struct th_loadgen_params){
        .host = host,
        .port = port,
        .host_header = c->target_host ? c->target_host : "localhost",
        .path = ls->path,
        .requests = ls->requests,
        .seconds = ls->seconds,
        .timeout_s = c->timeout_s,
        .connections = ls->connections,
        .new_connection_per_request = ls->new_connection_per_request,
        .resume = ls->resume,
        .want_version = c->expect.version,
        .want_suite = c->expect.suite,
        .want_group = c->expect.group,
        .interrupt = o->interrupt,
        .max_seconds = ls->max_seconds > 0 ? ls->max_seconds : MAX_RUN_S,
        .rate = ls->rate,
        .expect_sha256 = ls->has_sha256 ? ls->sha256 : NULL,
        .http2 = ls->http == TH_HTTP_2,
        .streams = ls->streams,
        .early_data = c->c.early == TH_EARLY_SEND,
    };
    if (o->quick) {
        if (p->requests)
            p->requests = p->requests / 20 > 50 ? p->requests / 20 : 50;
        else
            p->seconds /= 10;
    }
}

static unsigned reps_of(const struct th_case *k, const struct th_runner_opts *o)
{
    unsigned n = th_kind_reps(k, o);
    return n > MAX_REPS ? MAX_REPS : n;
}

/* What failed, by class, with the first failure in the library's words. */
static void failures(struct th_case_result *r, const struct th_error *first, uint64_t done)
{
    uint64_t total = 0;
    size_t n;
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        total += r->errors[i];
    if (!total)
        return;
    n = (size_t)snprintf(r->reason, sizeof(r->reason),
                         "%llu failed request(s) beside %llu verified:", (unsigned long long)total,
                         (unsigned long long)done);
    for (int i = 0; i < TH_OUTCOME_COUNT && n < sizeof(r->reason); i++)
        if (r->errors[i])
            n += (size_t)snprintf(r->reason + n, sizeof(r->reason) - n, " %llu %s",
                                  (unsigned long long)r->errors[i],
                                  th_outcome_name((enum th_outcome)i));
    if (n < sizeof(r->reason))
        snprintf(r->reason + n, sizeof(r->reason) - n, "; first: %s (code %ld)", first->text,
                 first->code);
}

/* The observation the judge reads: ok when every request was verified, else the
 * class of the first failure with its native words. */
static void observe_load(struct th_case_result *r, const struct th_error *first, uint64_t done)
{
    struct th_observed *ob = &r->obs;
    ob->ran = 1;
    ob->outcome = TH_OK;
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        if (r->errors[i]) {
            ob->outcome = first->outcome;
            ob->client_err = *first;
            ob->native_side = "client";
            break;
        }
    if (!done && ob->outcome == TH_OK) {
        ob->outcome = TH_INTERNAL_ERROR;
        th_error_set(&ob->client_err, TH_INTERNAL_ERROR, 0, "no request completed");
    }
}

/* One repetition into the case's totals: counts, the latency of every verified
 * request, and what the first verified handshake negotiated (resumed: whether any
 * of the run's handshakes did). */
static void tally(const struct th_loadgen_stats *st, const struct th_loadgen_params *p,
                  struct th_case_result *r)
{
    struct th_load_tally *t = &r->load;
    t->ran = 1;
    t->requests += st->requests;
    t->connections += st->connections;
    t->resumed += st->resumed;
    t->early_offered += st->early_offered;
    t->early_accepted += st->early_accepted;
    t->early_bytes += st->early_bytes;
    t->body_bytes += st->body_bytes;
    t->wall_s += (double)st->wall_ns / 1e9;
    t->rate = p->rate;
    t->http2 = p->http2;
    t->streams = p->streams;
    t->body_check = st->body_check;
    t->bodies_hashed += st->bodies_hashed;
    t->neg_differ += st->neg_differ;
    /* a repetition's first handshake that differs from the one observed differs too */
    if (st->have_neg && r->obs.have_neg && !th_loadgen_same_neg(&r->obs.neg, &st->neg))
        t->neg_differ++;
    for (size_t i = 0; i < st->n_latency; i++)
        th_lathist_add(&t->latency, st->latency_ns[i]);
    if (st->have_neg && !r->obs.have_neg) {
        r->obs.neg = st->neg;
        r->obs.have_neg = 1;
    }
    r->obs.neg.resumed = t->resumed > 0;
    /* as for resumed: whether any connection did, and the early bytes of them all */
    r->obs.neg.early_offered = t->early_offered > 0;
    r->obs.neg.early_accepted = t->early_accepted > 0;
    r->obs.neg.early_bytes = t->early_bytes;
}

static int run_reps(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                    const struct th_loadgen_params *p, struct th_case_result *r)
{
    double fig[MAX_REPS][F_COUNT];
    unsigned reps = reps_of(c, o);
    struct th_error first = {0}, err = {0};
    uint64_t done = 0;
    size_t k = 0;
    for (; k < reps && !(o->interrupt && *o->interrupt); k++) {
        struct th_loadgen_stats st;
        uint64_t ext0 = th_side_cpu(c->client, cctx);
        if (th_loadgen_run(c->client, cctx, p, &st, &err) != 0) {
            r->status = TH_ERROR;
            snprintf(r->reason, sizeof(r->reason), "the load could not start: %s", err.text);
            return -1;
        }
        for (int i = 0; i < TH_OUTCOME_COUNT; i++)
            r->errors[i] += st.errors[i];
        if (!first.text[0] && st.first_error.text[0])
            first = st.first_error;
        done += st.requests;
        st.cpu_ns += th_side_cpu(c->client, cctx) - ext0; /* a shim client's process */
        tally(&st, p, r);
        figures(&st, fig[k]);
        th_loadgen_stats_free(&st);
    }
    observe_load(r, &first, done);
    if (p->requests && done < p->requests * k && !(o->interrupt && *o->interrupt) &&
        r->obs.outcome == TH_OK) {
        r->obs.outcome = TH_TIMEOUT;
        th_error_set(&r->obs.client_err, TH_TIMEOUT, 0,
                     "%llu of %llu requests verified within %.0f s per repetition",
                     (unsigned long long)done, (unsigned long long)(p->requests * k),
                     p->max_seconds);
    }
    th_judge(c, r);
    if (r->status == TH_PASS || r->status == TH_XFAIL)
        put_figures(fig, k, r);
    if (r->status == TH_FAIL)
        failures(r, &first, done);
    return 0;
}

void th_run_load(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r)
{
    struct our_server ours = {.c = c, .lfd = -1};
    struct th_loadgen_params p;
    struct th_error err = {0};
    const char *host = c->target_host;
    uint16_t port = c->target_port;
    struct th_fixture *fx = NULL;
    if (c->fixture) {
        if (th_target_fixture(c, o, &fx, &err) != 0) {
            th_kind_error(r, &err);
            goto out;
        }
        host = "127.0.0.1";
        port = th_fixture_port(fx);
    } else if (c->server) {
        host = "127.0.0.1";
        ours.ctx = sctx;
        ours.max_s = 3600;
        if (start_ours(&ours, &port, &err) != 0) {
            th_kind_error(r, &err);
            goto out;
        }
    }
    load_params(c, o, host, port, &p);
    run_reps(c, o, cctx, &p, r);
    if (c->server)
        stop_ours(&ours);
out:
    th_target_add_log(fx, r);
}
