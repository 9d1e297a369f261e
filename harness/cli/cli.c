/* What the command files share (cli.h): how a failure reaches the user, the PKI
 * folder, and the options and scenario reading of run, list and validate. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "harness/fixture/fixture.h"
#include "harness/report/term.h"
#include "harness/vocab/text.h"

/* ---- saying what is wrong ---- */

int th_cli_usage_error(const char *fmt, const char *arg)
{
    fputs("tlsharness: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    th_cli_hint(stderr);
    return TH_EXIT_USAGE;
}

unsigned th_cli_distance(const char *a, const char *b)
{
    enum { MAX = 48 };
    size_t n = strlen(a), m = strlen(b);
    if (n >= MAX || m >= MAX)
        return 99;
    unsigned d[MAX][MAX];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m] < 99 ? d[n][m] : 99;
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

/* ---- options ---- */

/* The long option nearest to the one typed (--filtr: --filter), or NULL. */
static const char *nearest_option(const char *typed, const struct option *all)
{
    char word[64];
    if (strncmp(typed, "--", 2) != 0)
        return NULL;
    th_strlcpy(word, typed + 2, sizeof(word));
    word[strcspn(word, "=")] = '\0';
    const char *best = NULL;
    unsigned best_d = 3; /* two edits at most: beyond that it is a guess */
    for (size_t i = 0; all[i].name; i++) {
        unsigned d = th_cli_distance(word, all[i].name);
        if (d < best_d) {
            best = all[i].name;
            best_d = d;
        }
    }
    return best;
}

/* The option getopt refused, as typed: argv[optind - 1] once it moved past it, the
 * letter alone inside a cluster such as -vx. */
static void say_bad_option(int ch, char **argv, const struct option *all)
{
    char token[128];
    const char *last = optind > 0 ? argv[optind - 1] : "";
    if (ch == '?' && optopt > 0 && optopt < 128 && strncmp(last, "--", 2) != 0)
        snprintf(token, sizeof(token), "-%c", optopt);
    else
        th_strlcpy(token, last, sizeof(token));
    const char *near = ch == '?' ? nearest_option(token, all) : NULL;
    fprintf(stderr, "tlsharness: %s: unknown or incomplete option '%s'", argv[0], token);
    if (ch == ':')
        fputs(" (it needs a value)", stderr);
    else if (near && strncmp(token + 2, near, strlen(near)) == 0 && token[2 + strlen(near)] == '=')
        fputs(" (it takes no value)", stderr);
    else if (near)
        fprintf(stderr, " (did you mean '--%s'?)", near);
    fputc('\n', stderr);
    th_cli_hint(stderr);
}

int th_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    struct option all[40];
    char optstring[64];
    size_t n = 0;
    /* a command's own table is a handful of options: more is a mistake in the code */
    while (longopts && longopts[n].name && n < TH_ARRAY_LEN(all) - 2) {
        all[n] = longopts[n];
        n++;
    }
    all[n++] = (struct option){"help", no_argument, NULL, 'h'};
    all[n] = (struct option){NULL, 0, NULL, 0};
    /* ':' first: a missing value is told apart from an unknown option */
    snprintf(optstring, sizeof(optstring), ":%sh", shortopts ? shortopts : "");
    opterr = 0;
    int ch = getopt_long(argc, argv, optstring, all, NULL);
    if (ch == 'h') {
        int status = th_cli_help(argv[0]);
        exit(fflush(stdout) == 0 ? status : TH_EXIT_INTERNAL);
    }
    if (ch == '?' || ch == ':') {
        say_bad_option(ch, argv, all);
        return '?';
    }
    return ch;
}

/* ---- shared by the commands ---- */

void th_cli_print_diag(const struct th_diag *d, void *arg)
{
    (void)arg;
    if (d->line > 0)
        fprintf(stderr, "%s:%d:%d: %s\n", d->file, d->line, d->col, d->msg);
    else
        fprintf(stderr, "%s: %s\n", d->file, d->msg);
}

/* The backends compiled in, after a message about -b. */
static void say_compiled_in(void)
{
    fputs(" (compiled in:", stderr);
    for (size_t i = 0; th_backends[i]; i++)
        fprintf(stderr, " %s", th_backends[i]->name);
    fputs(")\n", stderr);
}

int th_cli_check_backends(const char *list)
{
    if (!list)
        return 0;
    if (list[strspn(list, ", ")] == '\0') {
        /* -b '' or -b ',,,' would keep no backend: a run of nothing */
        fprintf(stderr, "tlsharness: -b: '%s' names no backend", list);
        say_compiled_in();
        return -1;
    }
    char *copy = th_xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (th_backend_find(name) || (strncmp(name, "fixture:", 8) == 0 &&
                                      (strcmp(name + 8, "*") == 0 || th_fixture_find(name + 8))))
            continue;
        fprintf(stderr, "tlsharness: -b: unknown backend '%s'", name);
        say_compiled_in();
        rc = -1;
    }
    free(copy);
    return rc;
}

/* ---- run, list and validate ---- */

/* One number of a shard: digits only (no sign, space or "+"), at most UINT32_MAX;
 * the text after it in *s. */
static int shard_number(const char **s, unsigned *out)
{
    unsigned long long v = 0;
    const char *p = *s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((v = v * 10 + (unsigned)(*p - '0')) > UINT32_MAX)
            return -1; /* checked per digit: no wrap, however long */
    *out = (unsigned)v;
    *s = p;
    return 0;
}

int th_cli_shard_parse(const char *s, unsigned *index, unsigned *count)
{
    unsigned i, n;
    if (shard_number(&s, &i) != 0 || *s++ != '/' || shard_number(&s, &n) != 0 || *s || n < 1 ||
        i < 1 || i > n)
        return -1;
    *index = i;
    *count = n;
    return 0;
}

/* --shard I/N: the cases whose position in the expanded plan is I-1 modulo N, so
 * N machines given 1/N .. N/N run every case once between them. */
int th_cli_in_shard(const struct th_cli_opts *o, size_t i)
{
    unsigned index, count;
    if (!o->shard || th_cli_shard_parse(o->shard, &index, &count) != 0)
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

/* How many cases paths hold under ro, errors unsaid (they were said once already). */
static size_t count_cases(const char *const *paths, size_t n, const struct th_read_opts *ro)
{
    struct th_plan plan;
    memset(&plan, 0, sizeof(plan));
    /* the errors were said on the first reading; what was read is what counts */
    size_t count = th_plan_read(&plan, paths, n, ro, NULL, NULL) >= 0 ? plan.n : 0;
    th_plan_free(&plan);
    return count;
}

/* Which of the paths, -b and -f selected nothing: read again without -f, then
 * without -b, to name the one at fault and how many cases it left out. */
static void say_nothing_selected(const struct th_cli_opts *o, const char *const *paths, size_t n)
{
    char where[256] = "";
    for (size_t i = 0; i < n && strlen(where) < sizeof(where) - 1; i++)
        snprintf(where + strlen(where), sizeof(where) - strlen(where), "%s%s", i ? " " : "",
                 paths[i]);
    struct th_read_opts ro = {0};
    size_t all = count_cases(paths, n, &ro);
    ro.backends = o->backends;
    size_t with_b = o->backends ? count_cases(paths, n, &ro) : all;
    if (all == 0)
        fprintf(stderr, "tlsharness: no case to run: %s holds no scenario that makes one\n", where);
    else if (with_b == 0)
        fprintf(stderr, "tlsharness: -b '%s' selects none of the %zu cases in %s\n", o->backends,
                all, where);
    else
        fprintf(stderr,
                "tlsharness: -f '%s' matches none of the %zu case ids%s%s%s in %s "
                "(see 'tlsharness list')\n",
                o->filter ? o->filter : "", with_b, o->backends ? " that -b '" : "",
                o->backends ? o->backends : "", o->backends ? "' keeps" : "", where);
}

int th_cli_read_plan(const struct th_cli_opts *o, struct th_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (th_cli_check_backends(o->backends) != 0)
        return 1;
    const char *default_path = th_cli_scenarios_dir();
    if (!o->n_paths && !default_path) {
        fputs("tlsharness: no scenarios/ in this folder and none installed beside the program: "
              "name the scenario files or folders to read\n",
              stderr);
        return 1;
    }
    const char *const *paths = o->n_paths ? o->paths : &default_path;
    size_t n = o->n_paths ? o->n_paths : 1;
    struct th_read_opts ro = {.backends = o->backends, .filter = o->filter};
    int errors = th_plan_read(plan, paths, n, &ro, th_cli_print_diag, NULL);
    if (errors == 0 && plan->n == 0) {
        say_nothing_selected(o, paths, n);
        errors = 1;
    }
    return errors;
}

enum {
    OPT_JUNIT = 256,
    OPT_REPEAT,
    OPT_QUICK,
    OPT_PKI,
    OPT_JSON,
    OPT_SHARD,
    OPT_COLOR,
    OPT_HTML,
    OPT_JOBS
};

/* One getopt loop for run, list and validate: they take the same options, so a
 * scenario option means the same to each. */
int th_cli_parse_opts(int argc, char **argv, struct th_cli_opts *o)
{
    static const struct option longopts[] = {
        {"backends", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"html", required_argument, NULL, OPT_HTML},
        {"filter", required_argument, NULL, 'f'},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"quick", no_argument, NULL, OPT_QUICK},
        {"pki", required_argument, NULL, OPT_PKI},
        {"verbose", no_argument, NULL, 'v'},
        {"json", no_argument, NULL, OPT_JSON},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"quiet", no_argument, NULL, 'q'},
        {"color", required_argument, NULL, OPT_COLOR},
        {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->pki_dir = th_cli_pki_dir();
    optind = 0;
    int ch;
    while ((ch = th_cli_getopt(argc, argv, "b:o:f:j:vq", longopts)) != -1) {
        switch (ch) {
        case 'b': o->backends = optarg; break;
        case 'o': o->out = optarg; break;
        case 'f': o->filter = optarg; break;
        case 'v': o->verbose = 1; break;
        case 'q': o->quiet = 1; break;
        case OPT_COLOR: {
            enum th_color_when when;
            if (th_color_parse(optarg, &when) != 0)
                return th_cli_usage_error("--color: '%s' is not auto, always or never", optarg);
            o->color = (int)when;
            break;
        }
        case OPT_JUNIT: o->junit = optarg; break;
        case OPT_HTML: o->html = optarg; break;
        case OPT_QUICK: o->quick = 1; break;
        case OPT_PKI: o->pki_dir = optarg; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_SHARD: {
            unsigned i, n;
            char safe[64];
            if (th_cli_shard_parse(optarg, &i, &n) != 0)
                return th_cli_usage_error("--shard: '%s' is not I/N with 1 <= I <= N <= "
                                          "4294967295",
                                          th_text_safe(safe, sizeof safe, optarg));
            o->shard = optarg;
            break;
        }
        case 'j': {
            char *end;
            errno = 0;
            long j = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || j < 1 || j > 256)
                return th_cli_usage_error("-j: '%s' is not a count from 1 to 256", optarg);
            o->jobs = (unsigned)j;
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
        default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
        }
    }
    o->paths = (const char **)argv + optind;
    o->n_paths = (size_t)(argc - optind);
    return 0;
}
