/* tlsharness: the command line (DESIGN.md "Command line"). Exit status: 0 every
 * case pass/xfail/skip; 1 a case failed, xpassed or could not run; 2 bad usage or
 * bad input; 3 internal error. */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "harness/report/compare.h"
#include "harness/fixture/fixture.h"
#include "harness/report/merge.h"
#include "harness/scenario/order.h"
#include "harness/pki/pki.h"
#include "harness/probe/probe.h"
#include "harness/report/results.h"
#include "harness/kinds/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/http/serve.h"

#ifndef TH_VERSION
#define TH_VERSION "0.1.0"
#endif
#ifndef TH_BUILD_FLAGS
#define TH_BUILD_FLAGS ""
#endif

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

static const char usage_text[] =
    "usage: tlsharness COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "  run [PATH...]          run scenario files or folders (default: scenarios/)\n"
    "      -b, --backends LIST   only these backends, comma-separated; fixtures as\n"
    "                            fixture:NAME, all of them as fixture:*\n"
    "      -o, --out FILE        results JSON (default: results/latest.json)\n"
    "          --junit FILE      JUnit XML as CI systems read it\n"
    "      -f, --filter GLOB     only case ids matching\n"
    "          --repeat N        measured repetitions of benchmark kinds\n"
    "          --quick           scaled-down sizes, for smoke runs in CI\n"
    "          --shard I/N       only the I-th of N interleaved parts of the cases\n"
    "          --pki DIR         test PKI folder (default: $TLSHARNESS_PKI or results/pki)\n"
    "      -v, --verbose         one line per case as it finishes\n"
    "  list [PATH...]         the expanded case ids, one a line (-b, -f as for run)\n"
    "  validate [PATH...]     check scenarios; errors as FILE:LINE:COL: message\n"
    "  backends [--json]      backends, library versions, roles, capabilities\n"
    "  merge OUT FILE...      one results file from the shards of a run (run --shard I/N)\n"
    "  compare BASE NEW       regression verdict between two results files (exit 1: regressed)\n"
    "      --threshold PCT       fixed threshold in percent (default: from the recorded spread)\n"
    "      --floor PCT           least threshold the spread gives (default 5)\n"
    "      --json                the verdict as a JSON document\n"
    "  serve -b NAME -p PORT  a backend's server role as an HTTPS/1.1 server (GET /, /bytes/N)\n"
    "          --cert NAME       pki leaf served (default: rsa2048)\n"
    "          --host ADDR       numeric address to listen on (default: 127.0.0.1)\n"
    "          --seconds S       stop after S seconds (default: run until ctrl-C)\n"
    "          --pki DIR         test PKI folder (as for run)\n"
    "  probe URL              one connection's steps against https://HOST[:PORT][/PATH], timed,\n"
    "                         and the server's versions, suites and groups enumerated\n"
    "                         (exit 1: unreachable, or no version accepted)\n"
    "          --json            the report as JSON (schema tlsharness.probe/1)\n"
    "          --ca FILE         CAs the chain is verified against (default: the system's)\n"
    "          --servername NAME name checked and sent as SNI (default: the URL's host)\n"
    "      -b, --backends LIST   only these client backends, comma-separated\n"
    "          --timeout S       limit of each connection (default 10)\n"
    "  fixture NAME           start a real server (nginx, lighttpd-MODULE, caddy) on a free\n"
    "                         port, print where it serves, stop it on ctrl-C\n"
    "          --cert NAME       pki leaf served (default: rsa2048)\n"
    "          --seconds S       stop after S seconds (default: run until ctrl-C)\n"
    "          --pki DIR         test PKI folder (as for run)\n"
    "  pki [DIR]              write a fresh test PKI (default: the run's PKI folder)\n"
    "  version                print the version\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("tlsharness: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(see 'tlsharness help')\n", stderr);
    return EXIT_USAGE;
}

/* Fixtures kept running between cases: all seven, for a scenario that lists
 * "fixture:*" runs each pair's cases one server after the other. */
#define FIXTURES_RUNNING 8

static const char *default_pki_dir(void)
{
    const char *env = getenv("TLSHARNESS_PKI");
    return env && *env ? env : "results/pki";
}

/* ---- scenario loading shared by run, list and validate ---- */

struct cmd_opts {
    const char *backends, *filter, *out, *junit, *pki_dir, *shard;
    long repeat;
    int quick, verbose, json;
    const char **paths;
    size_t n_paths;
};

static void print_diag(const struct th_diag *d, void *arg)
{
    (void)arg;
    if (d->line > 0)
        fprintf(stderr, "%s:%d:%d: %s\n", d->file, d->line, d->col, d->msg);
    else
        fprintf(stderr, "%s: %s\n", d->file, d->msg);
}

static int check_backend_list(const char *list)
{
    if (!list)
        return 0;
    char *copy = th_xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (th_backend_find(name) || (strncmp(name, "fixture:", 8) == 0 &&
                                      (strcmp(name + 8, "*") == 0 || th_fixture_find(name + 8))))
            continue;
        fprintf(stderr, "tlsharness: -b: unknown backend '%s' (compiled in:", name);
        for (size_t i = 0; th_backends[i]; i++)
            fprintf(stderr, " %s", th_backends[i]->name);
        fputs(")\n", stderr);
        rc = -1;
    }
    free(copy);
    return rc;
}

/* An output that cannot be written is bad input: say so before measuring anything. */
static int check_writable(const char *path)
{
    if (!path)
        return 0;
    char *dir = th_xstrdup(path), *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    const char *d = slash ? (*dir ? dir : "/") : ".";
    int rc = 0;
    if (th_mkdirs(d) != 0 || access(d, W_OK) != 0) {
        fprintf(stderr, "tlsharness: cannot write results to %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    free(dir);
    return rc;
}

/* --shard I/N: the cases whose position in the expanded plan is I-1 modulo N, so
 * N machines given 1/N .. N/N run every case once between them. */
static int in_shard(const struct cmd_opts *o, size_t i)
{
    unsigned index, count;
    if (!o->shard || th_shard_parse(o->shard, &index, &count) != 0)
        return 1;
    return i % count == index - 1;
}

static size_t shard_size(const struct cmd_opts *o, const struct th_plan *plan)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->n; i++)
        n += in_shard(o, i);
    return n;
}

static int load_plan(struct cmd_opts *o, struct th_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (check_backend_list(o->backends) != 0)
        return 1;
    static const char *default_path = "scenarios";
    const char *const *paths = o->n_paths ? o->paths : &default_path;
    size_t n = o->n_paths ? o->n_paths : 1;
    struct th_load_opts lo = {.backends = o->backends, .filter = o->filter};
    return th_plan_load(plan, paths, n, &lo, print_diag, NULL);
}

enum { OPT_JUNIT = 256, OPT_REPEAT, OPT_QUICK, OPT_PKI, OPT_JSON, OPT_SHARD };

static int parse_opts(int argc, char **argv, struct cmd_opts *o)
{
    static const struct option longopts[] = {
        {"backends", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"filter", required_argument, NULL, 'f'},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"quick", no_argument, NULL, OPT_QUICK},
        {"pki", required_argument, NULL, OPT_PKI},
        {"verbose", no_argument, NULL, 'v'},
        {"json", no_argument, NULL, OPT_JSON},
        {"shard", required_argument, NULL, OPT_SHARD},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->pki_dir = default_pki_dir();
    o->repeat = 0; /* 0: the scenario's, else 3 */
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "+b:o:f:v", longopts, NULL)) != -1) {
        switch (ch) {
        case 'b': o->backends = optarg; break;
        case 'o': o->out = optarg; break;
        case 'f': o->filter = optarg; break;
        case 'v': o->verbose = 1; break;
        case OPT_JUNIT: o->junit = optarg; break;
        case OPT_QUICK: o->quick = 1; break;
        case OPT_PKI: o->pki_dir = optarg; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_SHARD: {
            unsigned i, n;
            if (th_shard_parse(optarg, &i, &n) != 0)
                return usage_error("--shard: '%s' is not I/N with 1 <= I <= N", optarg);
            o->shard = optarg;
            break;
        }
        case OPT_REPEAT: {
            char *end;
            errno = 0;
            o->repeat = strtol(optarg, &end, 10);
            if (errno || *end || o->repeat < 1 || o->repeat > 10000)
                return usage_error("--repeat: '%s' is not a count from 1 to 10000", optarg);
            break;
        }
        default: return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    o->paths = (const char **)argv + optind;
    o->n_paths = (size_t)(argc - optind);
    return 0;
}

/* ---- run ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = 1;
    signal(sig, SIG_DFL); /* a second one ends the process at once */
}

static int ensure_pki(const char *dir)
{
    char err[512];
    if (th_pki_ensure(dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: test PKI in %s: %s\n", dir, err);
        return -1;
    }
    return 0;
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

static int write_outputs(const struct cmd_opts *o, const struct th_run *run)
{
    char err[512];
    const char *out = o->out ? o->out : "results/latest.json";
    int rc = 0;
    if (th_results_write_json(out, run, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: %s\n", err);
        rc = -1;
    } else {
        printf("results: %s\n", out);
    }
    if (o->junit && th_results_write_junit(o->junit, run, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: %s\n", err);
        rc = -1;
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
        return EXIT_FAILED;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct cmd_opts o;
    struct th_plan plan;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    if (check_writable(o.out ? o.out : "results/latest.json") != 0 || check_writable(o.junit) != 0)
        return EXIT_USAGE;
    /* from here on a signal stops the run between cases, never mid-write */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (load_plan(&o, &plan) != 0) {
        th_plan_free(&plan);
        return EXIT_USAGE;
    }
    if (ensure_pki(o.pki_dir) != 0) {
        th_plan_free(&plan);
        return EXIT_INTERNAL;
    }
    /* fixtures run in folders of their own: every file they are given is absolute */
    char pki_abs[PATH_MAX];
    if (realpath(o.pki_dir, pki_abs))
        o.pki_dir = pki_abs;
    struct th_run run = {
        .generator = "tlsharness " TH_VERSION,
        .build_flags = TH_BUILD_FLAGS,
        .started_at = th_wall_clock(),
        .results = th_xcalloc(plan.n ? plan.n : 1, sizeof(struct th_case_result)),
    };
    struct th_runner_opts ro = {.pki_dir = o.pki_dir,
                                .interrupt = &interrupted,
                                .repeat = (unsigned)o.repeat,
                                .quick = o.quick,
                                .fixtures = th_fixture_pool_new(NULL, FIXTURES_RUNNING)};
    printf("tlsharness %s: %zu cases%s%s; backends:", TH_VERSION, shard_size(&o, &plan),
           o.shard ? " in shard " : "", o.shard ? o.shard : "");
    for (size_t i = 0; th_backends[i]; i++)
        printf(" %s (%s)", th_backends[i]->name, th_backends[i]->version());
    printf("\n");
    fflush(stdout);
    size_t *order = th_run_order(&plan);
    for (size_t k = 0; k < plan.n && !interrupted; k++) {
        size_t i = order[k];
        if (!in_shard(&o, i))
            continue;
        th_run_case(&plan.cases[i], &ro, &run.results[run.n]);
        print_progress(&run.results[run.n++], o.verbose);
    }
    free(order);
    th_fixture_pool_free(ro.fixtures);
    /* results in the plan's order, whatever order they ran in */
    qsort(run.results, run.n, sizeof(*run.results), by_case);
    run.interrupted = interrupted;
    run.finished_at = th_wall_clock();
    th_results_print_summary(stdout, &run, isatty(STDOUT_FILENO));
    if (run.interrupted)
        printf("interrupted after %zu of %zu cases\n", run.n, shard_size(&o, &plan));
    printf("wall time: %.2f s\n", run.finished_at - run.started_at);
    rc = write_outputs(&o, &run) != 0 ? EXIT_INTERNAL : run_exit_status(&run);
    free(run.results);
    th_plan_free(&plan);
    return rc;
}

/* ---- list, validate ---- */

static int cmd_list(int argc, char **argv)
{
    struct cmd_opts o;
    struct th_plan plan;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    rc = load_plan(&o, &plan) != 0 ? EXIT_USAGE : 0;
    for (size_t i = 0; i < plan.n; i++)
        if (in_shard(&o, i))
            printf("%s\n", plan.cases[i].id);
    th_plan_free(&plan);
    return rc;
}

static int cmd_validate(int argc, char **argv)
{
    struct cmd_opts o;
    struct th_plan plan;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    int errors = load_plan(&o, &plan);
    if (errors == 0) {
        size_t skips = 0;
        for (size_t i = 0; i < plan.n; i++)
            skips += plan.cases[i].skip != NULL;
        printf("ok: %zu cases (%zu would skip for a missing capability)\n", plan.n, skips);
    } else {
        fprintf(stderr, "%d error%s\n", errors, errors == 1 ? "" : "s");
    }
    th_plan_free(&plan);
    return errors ? EXIT_USAGE : 0;
}

/* ---- backends ---- */

static json_t *caps_json_of(const char *name, const char *library, const char *version,
                            void (*caps_fn)(struct th_caps *))
{
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    caps_fn(&caps);
    json_t *o = json_object(), *a;
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "library", json_string(library));
    json_object_set_new(o, "version", json_string(version));
    json_object_set_new(o, "roles", a = json_array());
    if (caps.roles & TH_ROLE_CLIENT)
        json_array_append_new(a, json_string("client"));
    if (caps.roles & TH_ROLE_SERVER)
        json_array_append_new(a, json_string("server"));
    json_object_set_new(o, "versions", a = json_array());
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (caps.versions & TH_VBIT(v))
            json_array_append_new(a, json_string(th_version_name(v)));
    json_object_set_new(o, "suites", a = json_array());
    for (size_t i = 0; i < caps.n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(caps.suites[i]);
        if (s)
            json_array_append_new(a, json_string(s->name));
    }
    json_object_set_new(o, "groups", a = json_array());
    for (size_t i = 0; i < caps.n_groups; i++) {
        const struct th_group_info *g = th_group_by_id(caps.groups[i]);
        if (g)
            json_array_append_new(a, json_string(g->name));
    }
    json_object_set_new(o, "resumption", a = json_array());
    if (caps.resume & TH_RESUME_BIT(TH_RESUME_TICKET))
        json_array_append_new(a, json_string("ticket"));
    if (caps.resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID))
        json_array_append_new(a, json_string("session_id"));
    static const char *const feature_names[] = {
        "alpn",
        "crl",
        "sni",
        "hostname",
        "ip_san",
        "restrict_versions",
        "restrict_suites",
        "restrict_groups",
        "server_order",
        "driver_io",
        "own_socket",
        "client_order",
    };
    json_object_set_new(o, "features", a = json_array());
    for (unsigned i = 0; i < TH_ARRAY_LEN(feature_names); i++)
        if (caps.features & (1u << i))
            json_array_append_new(a, json_string(feature_names[i]));
    return o;
}

static void print_list(const char *label, json_t *arr)
{
    size_t i;
    json_t *v;
    printf("  %-11s", label);
    json_array_foreach(arr, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
    printf("%s\n", json_array_size(arr) ? "" : "(none)");
}

static json_t *caps_json(const struct th_backend *b)
{
    return caps_json_of(b->name, b->library, b->version(), b->caps);
}

static void print_caps(const json_t *b, const char *suites_note)
{
    printf("%s (%s)\n", json_string_value(json_object_get(b, "name")),
           json_string_value(json_object_get(b, "version")));
    print_list("roles", json_object_get(b, "roles"));
    print_list("versions", json_object_get(b, "versions"));
    print_list("groups", json_object_get(b, "groups"));
    print_list("resumption", json_object_get(b, "resumption"));
    print_list("features", json_object_get(b, "features"));
    printf("  %-11s%zu%s\n", "suites", json_array_size(json_object_get(b, "suites")), suites_note);
}

/* The fixtures, after the backends: what each can be configured to do, and whether
 * it can run here. */
static void print_fixtures(void)
{
    char why[256], name[64];
    printf("\nfixtures (real servers a scenario names as fixture:NAME):\n");
    for (size_t i = 0; th_fixtures[i]; i++) {
        const struct th_fixture_def *d = th_fixtures[i];
        const char *miss = th_fixture_missing(d, why, sizeof(why));
        snprintf(name, sizeof(name), "fixture:%s", d->name);
        char version[160];
        snprintf(version, sizeof(version), "%s, %s", miss ? "not available" : th_fixture_version(d),
                 d->library);
        json_t *o = caps_json_of(name, d->library, version, d->caps);
        print_caps(o, "");
        if (miss)
            printf("  %-11s%s\n", "missing", miss);
        json_decref(o);
    }
}

static int cmd_backends(int argc, char **argv)
{
    int as_json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 1 && !as_json)
        return usage_error("backends: unknown argument '%s'", argv[1]);
    json_t *all = json_array();
    for (size_t i = 0; th_backends[i]; i++)
        json_array_append_new(all, caps_json(th_backends[i]));
    if (as_json) {
        json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        size_t i;
        json_t *b;
        json_array_foreach(all, i, b) print_caps(b, " (tlsharness backends --json lists them)");
        print_fixtures();
    }
    json_decref(all);
    return 0;
}

/* ---- compare ---- */

/* "10" or "10%" as a fraction (0.10); -1 when not a percentage from 0 to 1000. */
static double parse_pct(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno || (*end && strcmp(end, "%") != 0) || !(d >= 0 && d <= 1000))
        return -1;
    return d / 100;
}

static int cmd_compare(int argc, char **argv)
{
    enum { CMP_THRESHOLD = 256, CMP_FLOOR, CMP_JSON };
    static const struct option longopts[] = {
        {"threshold", required_argument, NULL, CMP_THRESHOLD},
        {"floor", required_argument, NULL, CMP_FLOOR},
        {"json", no_argument, NULL, CMP_JSON},
        {NULL, 0, NULL, 0},
    };
    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case CMP_JSON: o.json = 1; break;
        case CMP_THRESHOLD:
        case CMP_FLOOR: {
            double *dst = ch == CMP_THRESHOLD ? &o.threshold : &o.floor;
            if ((*dst = parse_pct(optarg)) < 0)
                return usage_error("compare: '%s' is not a percentage from 0 to 1000", optarg);
            break;
        }
        default: return usage_error("compare: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return usage_error("%s", "compare: needs two results files, BASE and NEW");
    return th_compare_files(argv[optind], argv[optind + 1], &o, stdout, stderr);
}

/* ---- serve ---- */

struct serve_opts {
    const char *backend, *cert, *host, *pki_dir;
    long port;
    double seconds;
};

static int parse_serve_opts(int argc, char **argv, struct serve_opts *o)
{
    enum { SV_CERT = 256, SV_HOST, SV_SECONDS, SV_PKI };
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"cert", required_argument, NULL, SV_CERT},
        {"host", required_argument, NULL, SV_HOST},
        {"seconds", required_argument, NULL, SV_SECONDS},
        {"pki", required_argument, NULL, SV_PKI},
        {NULL, 0, NULL, 0},
    };
    *o = (struct serve_opts){.cert = "rsa2048", .host = "127.0.0.1", .pki_dir = default_pki_dir()};
    optind = 1;
    opterr = 0;
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "b:p:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'b': o->backend = optarg; break;
        case SV_CERT: o->cert = optarg; break;
        case SV_HOST: o->host = optarg; break;
        case SV_PKI: o->pki_dir = optarg; break;
        case 'p':
            errno = 0;
            o->port = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || o->port < 1 || o->port > 65535)
                return usage_error("serve: -p: '%s' is not a port from 1 to 65535", optarg);
            break;
        case SV_SECONDS:
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->seconds >= 0 && o->seconds <= 1e7))
                return usage_error("serve: --seconds: '%s' is not a duration in seconds", optarg);
            break;
        default: return usage_error("serve: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("serve: unexpected argument '%s'", argv[optind]);
    if (!o->backend || !o->port)
        return usage_error("%s", "serve: needs -b NAME and -p PORT");
    return 0;
}

/* A backend that can serve over TCP: the server role with driver-owned I/O. */
static const struct th_backend *serve_backend(const char *name)
{
    const struct th_backend *b = th_backend_find(name);
    if (!b) {
        check_backend_list(name);
        return NULL;
    }
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    b->caps(&caps);
    if (!(caps.roles & TH_ROLE_SERVER) || !(caps.features & TH_CAP_DRIVER_IO)) {
        fprintf(stderr, "tlsharness: serve: backend '%s' has no server role over driver I/O\n",
                name);
        return NULL;
    }
    return b;
}

static int cmd_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = parse_serve_opts(argc, argv, &o);
    if (rc)
        return rc;
    const struct th_backend *b = serve_backend(o.backend);
    if (!b)
        return EXIT_USAGE;
    if (!th_pki_known(o.cert, TH_PKI_CHAIN) || !th_pki_known(o.cert, TH_PKI_KEY))
        return usage_error("serve: --cert: '%s' is not a pki leaf (see 'tlsharness pki')", o.cert);
    if (ensure_pki(o.pki_dir) != 0)
        return EXIT_INTERNAL;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("serving https://%s:%ld/ with %s (ctrl-C to stop)\n", o.host, o.port, b->name);
    fflush(stdout);
    if (th_serve(b, o.host, (uint16_t)o.port, o.cert, o.pki_dir, o.seconds, &interrupted, stderr) !=
        0)
        return EXIT_INTERNAL;
    return 0;
}

/* ---- merge ---- */

static int cmd_merge(int argc, char **argv)
{
    if (argc < 3)
        return usage_error("%s", "merge: needs an output file and at least one results file");
    int rc = th_merge_files(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2), stderr);
    if (rc == 0)
        printf("merged %d results files into %s\n", argc - 2, argv[1]);
    return rc;
}

/* ---- pki ---- */

static int cmd_pki(int argc, char **argv)
{
    if (argc > 2)
        return usage_error("pki: too many arguments (%s)", argv[2]);
    const char *dir = argc > 1 ? argv[1] : default_pki_dir();
    char err[512];
    if (th_pki_generate(dir, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: pki: %s\n", err);
        return EXIT_INTERNAL;
    }
    printf("test PKI written to %s\n", dir);
    printf("  CAs: root.pem intermediate.pem untrusted-root.pem; CRLs: crl.pem\n  leaves:");
    for (size_t i = 0; th_pki_leaves[i]; i++)
        printf(" %s", th_pki_leaves[i]);
    printf("\n  (NAME.pem, NAME.chain.pem, NAME.key.pem each)\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command given");
    const char *cmd = argv[1];
    argc--;
    argv++;
    int rc;
    for (size_t i = 0; th_backends[i]; i++)
        if (th_backends[i]->init && th_backends[i]->init() != 0) {
            fprintf(stderr, "tlsharness: %s: library initialisation failed\n",
                    th_backends[i]->name);
            return EXIT_INTERNAL;
        }
    if (strcmp(cmd, "run") == 0)
        rc = cmd_run(argc, argv);
    else if (strcmp(cmd, "list") == 0)
        rc = cmd_list(argc, argv);
    else if (strcmp(cmd, "validate") == 0)
        rc = cmd_validate(argc, argv);
    else if (strcmp(cmd, "backends") == 0)
        rc = cmd_backends(argc, argv);
    else if (strcmp(cmd, "merge") == 0)
        rc = cmd_merge(argc, argv);
    else if (strcmp(cmd, "compare") == 0)
        rc = cmd_compare(argc, argv);
    else if (strcmp(cmd, "serve") == 0)
        rc = cmd_serve(argc, argv);
    else if (strcmp(cmd, "probe") == 0)
        rc = th_probe_cmd(argc, argv);
    else if (strcmp(cmd, "fixture") == 0)
        rc = th_fixture_cmd(argc, argv);
    else if (strcmp(cmd, "pki") == 0)
        rc = cmd_pki(argc, argv);
    else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        rc = (printf("tlsharness %s\n", TH_VERSION), 0);
    else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        rc = (fputs(usage_text, stdout), 0);
    else
        rc = usage_error("unknown command '%s'", cmd);
    for (size_t i = 0; th_backends[i]; i++)
        if (th_backends[i]->cleanup)
            th_backends[i]->cleanup();
    return rc;
}
