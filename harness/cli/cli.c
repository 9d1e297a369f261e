/* What the command files share (cli.h): how a failure reaches the user, the PKI
 * folder, and the options and scenario reading of run, list and validate. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "harness/fixture/fixture.h"
#include "harness/report/merge.h"

/* ---- saying what is wrong ---- */

int th_cli_usage_error(const char *fmt, const char *arg)
{
    fputs("tlsharness: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(see 'tlsharness help')\n", stderr);
    return TH_EXIT_USAGE;
}

int th_cli_fail(struct th_error *err, const char *fmt, ...)
{
    char head[512], text[1024];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(head, sizeof(head), fmt, ap);
        va_end(ap);
        th_error_prefix(err, "%s", head);
    }
    int status = th_error_exit_status(err);
    /* exit 3 is the harness's own failure: the place it was raised goes with it */
    fprintf(stderr, "tlsharness: %s%s\n", status == TH_EXIT_INTERNAL ? "internal error: " : "",
            th_error_str(err, text, sizeof(text)));
    return status;
}

/* ---- shared by the commands ---- */

const char *th_cli_pki_dir(void)
{
    const char *env = getenv("TLSHARNESS_PKI");
    return env && *env ? env : "results/pki";
}

void th_cli_print_diag(const struct th_diag *d, void *arg)
{
    (void)arg;
    if (d->line > 0)
        fprintf(stderr, "%s:%d:%d: %s\n", d->file, d->line, d->col, d->msg);
    else
        fprintf(stderr, "%s: %s\n", d->file, d->msg);
}

int th_cli_check_backends(const char *list)
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

/* ---- run, list and validate ---- */

/* --shard I/N: the cases whose position in the expanded plan is I-1 modulo N, so
 * N machines given 1/N .. N/N run every case once between them. */
int th_cli_in_shard(const struct th_cli_opts *o, size_t i)
{
    unsigned index, count;
    if (!o->shard || th_shard_parse(o->shard, &index, &count) != 0)
        return 1;
    return i % count == index - 1;
}

size_t th_cli_shard_size(const struct th_cli_opts *o, const struct th_plan *plan)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->n; i++)
        n += th_cli_in_shard(o, i);
    return n;
}

int th_cli_read_plan(const struct th_cli_opts *o, struct th_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (th_cli_check_backends(o->backends) != 0)
        return 1;
    static const char *default_path = "scenarios";
    const char *const *paths = o->n_paths ? o->paths : &default_path;
    size_t n = o->n_paths ? o->n_paths : 1;
    struct th_read_opts ro = {.backends = o->backends, .filter = o->filter};
    return th_plan_read(plan, paths, n, &ro, th_cli_print_diag, NULL);
}

enum { OPT_JUNIT = 256, OPT_REPEAT, OPT_QUICK, OPT_PKI, OPT_JSON, OPT_SHARD };

/* One getopt loop for run, list and validate: they take the same options, so a
 * scenario option means the same to each. */
int th_cli_parse_opts(int argc, char **argv, struct th_cli_opts *o)
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
    o->pki_dir = th_cli_pki_dir();
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
                return th_cli_usage_error("--shard: '%s' is not I/N with 1 <= I <= N", optarg);
            o->shard = optarg;
            break;
        }
        case OPT_REPEAT: {
            char *end;
            errno = 0;
            o->repeat = strtol(optarg, &end, 10);
            if (errno || *end || o->repeat < 1 || o->repeat > 10000)
                return th_cli_usage_error("--repeat: '%s' is not a count from 1 to 10000", optarg);
            break;
        }
        default: return th_cli_usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    o->paths = (const char **)argv + optind;
    o->n_paths = (size_t)(argc - optind);
    return 0;
}
