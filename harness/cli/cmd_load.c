/* `tlsharness load URL`: a load run in one line, as wrk and h2load take it. The
 * options become a one-case scenario of kind load (scenarios/README.md "load"), read
 * by the scenario reader like any file, so the target, the client backend, its
 * capabilities and every list are checked the one way they always are; the case
 * runs through the kinds' table like any other; its result is printed
 * (report/loadsum.h) and written as a results file, so `report` and `compare` read
 * it. Exit status: 0 every request verified; 1 a request failed, the target could
 * not be reached, or a signal stopped the run; 2 bad usage; 3 internal error. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "harness/http/bodysum.h"
#include "harness/kinds/kinds.h"
#include "harness/probe/probe.h"
#include "harness/report/loadsum.h"
#include "harness/report/results.h"

#ifndef TH_BUILD_FLAGS
#define TH_BUILD_FLAGS ""
#endif

#define MAX_CONNECTIONS 10000
#define MAX_REQUESTS 1000000000ull /* 10^9 */
#define MAX_DURATION_S 3600.0
#define MAX_TIMEOUT_S 300.0 /* the scenario format's own bound */
#define MIN_RATE (1.0 / 60) /* scenario/blocks.c's load.rate bounds */
#define MAX_RATE 1e6
#define DEFAULT_CONNECTIONS 16
#define DEFAULT_DURATION_S 10.0
#define DEFAULT_TIMEOUT_S 10.0
#define DEFAULT_CLIENT "openssl"
#define SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
/* What the reader takes at most (scenario/blocks.c); the real figure is set on the
 * case after reading, within this command's own, larger bounds. */
#define READER_MAX_REQUESTS 100000000ull
#define READER_MAX_SECONDS 600.0

struct load_args {
    const char *url, *ca, *servername, *client, *out, *versions, *ciphers, *groups;
    const char *cert, *key; /* the client certificate presented when the server asks */
    unsigned connections;
    uint64_t requests;
    double seconds, timeout_s;
    double rate;        /* open loop: requests/s over all connections; 0 closed loop */
    const char *sha256; /* --expect-sha256: 64 hex digits, checked */
    int new_conn, insecure;
    int h2;           /* --h2: HTTP/2 over ALPN h2 */
    int early;        /* --early-data: resumed connections send the request as 0-RTT data */
    unsigned streams; /* -m: concurrent HTTP/2 streams per connection (h2load's -m) */
    enum th_resume resume;
    struct th_probe_url u;
};

TH_PRINTF(1, 2) static int usage(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return th_cli_usage_error("load: %s", msg);
}

/* ---- numbers ---- */

/* Each parser returns 0, or the exit status after saying what is wrong. */

/* A whole number from lo to hi, digits only. */
static int parse_count(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s[0] >= '0' && s[0] <= '9' ? strtoull(s, &end, 10) : 0;
    if (!(s[0] >= '0' && s[0] <= '9') || errno || *end || v < lo || v > hi)
        return usage("%s: '%s' is not a whole number from %llu to %llu", opt, s,
                     (unsigned long long)lo, (unsigned long long)hi);
    *out = v;
    return 0;
}

/* Seconds, as wrk writes them: "30", "30s", "1.5m", "1h"; more than 0, at most max. */
static int parse_seconds(const char *opt, const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = !*end                   ? 1
                  : strcmp(end, "s") == 0 ? 1
                  : strcmp(end, "m") == 0 ? 60
                  : strcmp(end, "h") == 0 ? 3600
                                          : 0;
    if (end == s || errno || unit == 0 || !isfinite(v) || !(v * unit > 0 && v * unit <= max))
        return usage("%s: '%s' is not a duration of more than 0 and at most %g s (e.g. 10, 30s, "
                     "2m)",
                     opt, s, max);
    *out = v * unit;
    return 0;
}

static int parse_resume(const char *s, enum th_resume *out)
{
    if (strcmp(s, "none") == 0)
        *out = TH_RESUME_NONE;
    else if (strcmp(s, "ticket") == 0)
        *out = TH_RESUME_TICKET;
    else if (strcmp(s, "session_id") == 0 || strcmp(s, "session-id") == 0)
        *out = TH_RESUME_SESSION_ID;
    else
        return usage("--resume: '%s' is not none, ticket or session_id", s);
    return 0;
}

/* Requests per second for the open loop: the scenario format's range. */
static int parse_rate(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || !(v >= MIN_RATE && v <= MAX_RATE))
        return usage("--rate: '%s' is not a number of requests per second from %g to %g", s,
                     MIN_RATE, MAX_RATE);
    *out = v;
    return 0;
}

static int parse_sha256(const char *s, const char **out)
{
    uint8_t d[32];
    if (th_sha256_from_hex(s, d) != 0)
        return usage("--expect-sha256: '%s' is not a SHA-256 (64 hex digits)", s);
    *out = s;
    return 0;
}

/* ---- the command line ---- */

enum {
    OPT_NEW_CONN = 256,
    OPT_RESUME,
    OPT_CA,
    OPT_SERVERNAME,
    OPT_TIMEOUT,
    OPT_VERSIONS,
    OPT_CIPHERS,
    OPT_GROUPS,
    OPT_CERT,
    OPT_KEY,
    OPT_RATE,
    OPT_SHA256,
    OPT_H2,
    OPT_EARLY,
};

/* One option into a; 0, or the exit status after saying what is wrong. */
static int take_option(int ch, struct load_args *a, int *by_time, int *by_count)
{
    uint64_t n = 0;
    int rc;
    switch (ch) {
    case 'c':
        rc = parse_count("-c", optarg, 1, MAX_CONNECTIONS, &n);
        a->connections = (unsigned)n;
        return rc;
    case 'n': *by_count = 1; return parse_count("-n", optarg, 1, MAX_REQUESTS, &a->requests);
    case 'd': *by_time = 1; return parse_seconds("-d", optarg, MAX_DURATION_S, &a->seconds);
    case 'b': a->client = optarg; return 0;
    case 'o': a->out = optarg; return 0;
    case 'k': a->insecure = 1; return 0;
    case OPT_NEW_CONN: a->new_conn = 1; return 0;
    case OPT_RESUME: return parse_resume(optarg, &a->resume);
    case OPT_CA: a->ca = optarg; return 0;
    case OPT_SERVERNAME: a->servername = optarg; return 0;
    case OPT_TIMEOUT: return parse_seconds("--timeout", optarg, MAX_TIMEOUT_S, &a->timeout_s);
    case OPT_VERSIONS: a->versions = optarg; return 0;
    case OPT_CIPHERS: a->ciphers = optarg; return 0;
    case OPT_GROUPS: a->groups = optarg; return 0;
    case OPT_CERT: a->cert = optarg; return 0;
    case OPT_KEY: a->key = optarg; return 0;
    case OPT_RATE: return parse_rate(optarg, &a->rate);
    case OPT_SHA256: return parse_sha256(optarg, &a->sha256);
    case OPT_H2: a->h2 = 1; return 0;
    case OPT_EARLY: a->early = 1; return 0;
    case 'm':
        rc = parse_count("-m", optarg, 1, 1024, &n); /* scenario/blocks.c's load.streams */
        a->streams = (unsigned)n;
        return rc;
    default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
    }
}

/* --cert pki:NAME alone, or --cert FILE --key FILE: the scenario reader checks the
 * files themselves (PEM, a key that is the leaf's) and names them. */
static int check_cert_args(const struct load_args *a)
{
    if (a->key && !a->cert)
        return usage("--key goes with --cert FILE (the certificate the key belongs to)");
    if (a->cert && strncmp(a->cert, "pki:", 4) == 0 && a->key)
        return usage("--key: %s comes with its own key: leave --key out", a->cert);
    if (a->cert && strncmp(a->cert, "pki:", 4) != 0 && !a->key)
        return usage("--cert: %s: a certificate file needs its private key, --key FILE "
                     "(or name a test PKI leaf, e.g. --cert pki:client)",
                     a->cert);
    return 0;
}

/* What the options say together, and the URL. */
static int check_args(int argc, char **argv, struct load_args *a, int by_time, int by_count)
{
    struct th_error err;
    if (by_time && by_count)
        return usage("give -d SECONDS or -n REQUESTS, not both");
    if (!by_time && !by_count)
        a->seconds = DEFAULT_DURATION_S;
    if (optind >= argc)
        return usage("needs a URL: tlsharness load https://HOST[:PORT][/PATH]");
    if (argc - optind > 1)
        return usage("one URL at a time ('%s' is extra)", argv[optind + 1]);
    a->url = argv[optind];
    if (strncasecmp(a->url, "https://", 8) != 0)
        return usage("'%s' is not an https:// URL: write https://HOST[:PORT][/PATH]", a->url);
    if (th_probe_parse_url(a->url, &a->u, &err) != 0)
        return usage("URL '%s': %s", a->url, err.text);
    if (a->ca && access(a->ca, R_OK) != 0)
        return usage("--ca: cannot read '%s': %s", a->ca, strerror(errno));
    if (!a->ca && !a->insecure && access(SYSTEM_CA, R_OK) != 0)
        return usage("no --ca FILE given, and the system's CAs (%s) cannot be read: %s", SYSTEM_CA,
                     strerror(errno));
    /* TLS 1.3 resumes by ticket only: a session ID resumption is a TLS 1.2 one */
    if (a->resume == TH_RESUME_SESSION_ID && !a->versions)
        a->versions = "1.2";
    else if (a->resume == TH_RESUME_SESSION_ID && strstr(a->versions, "1.3"))
        return usage("--resume session_id: session IDs are TLS 1.2's (TLS 1.3 resumes by "
                     "ticket): give --versions 1.2 or --resume ticket");
    if (strchr(a->client, ','))
        return usage("-b: one client backend at a time (got '%s')", a->client);
    if (a->early && a->h2)
        return usage("--early-data goes with HTTP/1.1: the HTTP/2 engine does not send its "
                     "preface early (leave out --h2)");
    if (a->early && (!a->new_conn || a->resume != TH_RESUME_TICKET))
        return usage("--early-data needs --new-conn --resume ticket: early data goes on "
                     "resumed TLS 1.3 connections, keyed by the ticket");
    if (a->early && a->versions && !strstr(a->versions, "1.3"))
        return usage("--early-data needs TLS 1.3 (--versions %s has none)", a->versions);
    if (a->streams > 1 && !a->h2)
        return usage("-m %u: more than one stream per connection needs --h2", a->streams);
    if (a->servername && (!*a->servername || strlen(a->servername) > 253))
        return usage("--servername: '%s' is not a host name", a->servername);
    return check_cert_args(a);
}

static int parse_args(int argc, char **argv, struct load_args *a)
{
    static const struct option longopts[] = {
        {"connections", required_argument, NULL, 'c'},
        {"requests", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"backend", required_argument, NULL, 'b'},
        {"backends", required_argument, NULL, 'b'},
        {"out", required_argument, NULL, 'o'},
        {"insecure", no_argument, NULL, 'k'},
        {"new-conn", no_argument, NULL, OPT_NEW_CONN},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"ca", required_argument, NULL, OPT_CA},
        {"servername", required_argument, NULL, OPT_SERVERNAME},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"versions", required_argument, NULL, OPT_VERSIONS},
        {"ciphers", required_argument, NULL, OPT_CIPHERS},
        {"groups", required_argument, NULL, OPT_GROUPS},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {"rate", required_argument, NULL, OPT_RATE},
        {"expect-sha256", required_argument, NULL, OPT_SHA256},
        {"h2", no_argument, NULL, OPT_H2},
        {"early-data", no_argument, NULL, OPT_EARLY},
        {"streams", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    int ch, by_time = 0, by_count = 0, rc;
    *a = (struct load_args){.connections = DEFAULT_CONNECTIONS,
                            .timeout_s = DEFAULT_TIMEOUT_S,
                            .client = DEFAULT_CLIENT};
    optind = 0;
    while ((ch = th_cli_getopt(argc, argv, "c:n:d:b:o:km:", longopts)) != -1)
        if ((rc = take_option(ch, a, &by_time, &by_count)) != 0)
            return rc;
    return check_args(argc, argv, a, by_time, by_count);
}

/* ---- the scenario the options make ---- */

/* "a,b,c" as a JSON array of strings (empty items dropped). */
static json_t *list_json(const char *list)
{
    json_t *arr = json_array();
    char *copy = th_xstrdup(list), *save = NULL;
    for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_string(s));
    free(copy);
    return arr;
}

/* The case's name says how it loads, so `compare` matches runs made the same way
 * (an open loop's latencies are not a closed loop's: "-rate" tells them apart). */
static const char *scenario_name(const struct load_args *a)
{
    static const char *const names[2][4] = {
        {"load/new-conn", "load/new-conn-ticket", "load/new-conn-session-id", "load/keepalive"},
        {"load/new-conn-rate", "load/new-conn-ticket-rate", "load/new-conn-session-id-rate",
         "load/keepalive-rate"}};
    static const char *const h2names[2][2] = {{"load/h2-new-conn", "load/h2"},
                                              {"load/h2-new-conn-rate", "load/h2-rate"}};
    if (a->h2)
        return h2names[a->rate > 0][!a->new_conn];
    if (a->early)
        return a->rate > 0 ? "load/new-conn-0rtt-rate" : "load/new-conn-0rtt";
    return names[a->rate > 0][a->new_conn ? a->resume % 3 : 3];
}

static json_t *client_json(const struct load_args *a)
{
    json_t *c = json_object();
    json_object_set_new(c, "verify", json_boolean(!a->insecure));
    json_object_set_new(c, "ca",
                        a->insecure ? json_null() : json_string(a->ca ? a->ca : SYSTEM_CA));
    json_object_set_new(c, "hostname", json_string(a->servername ? a->servername : a->u.host));
    if (a->versions)
        json_object_set_new(c, "versions", list_json(a->versions));
    if (a->ciphers)
        json_object_set_new(c, "ciphers", list_json(a->ciphers));
    if (a->groups)
        json_object_set_new(c, "groups", list_json(a->groups));
    if (a->cert)
        json_object_set_new(c, "cert", json_string(a->cert));
    if (a->key)
        json_object_set_new(c, "key", json_string(a->key));
    if (a->early)
        json_object_set_new(c, "early_data", json_string("send"));
    return c;
}

/* The scenario as JSON text (the reader's own limits kept: the real count or time is
 * set on the case afterwards); free() it. */
static char *scenario_text(const struct load_args *a, const char *cmdline)
{
    static const char *const resume[] = {"none", "ticket", "session_id"};
    char target[300];
    snprintf(target, sizeof(target), strchr(a->u.host, ':') ? "https://[%s]:%u" : "https://%s:%u",
             a->u.host, a->u.port);
    json_t *load = json_object();
    if (a->requests)
        json_object_set_new(
            load, "requests",
            json_integer((json_int_t)(a->requests < READER_MAX_REQUESTS ? a->requests
                                                                        : READER_MAX_REQUESTS)));
    else
        json_object_set_new(load, "seconds", json_real(fmin(a->seconds, READER_MAX_SECONDS)));
    json_object_set_new(load, "connections", json_integer(a->connections));
    json_object_set_new(load, "path", json_string(a->u.path));
    json_object_set_new(load, "new_connection_per_request", json_boolean(a->new_conn));
    json_object_set_new(load, "resume", json_string(resume[a->resume % 3]));
    if (a->rate > 0)
        json_object_set_new(load, "rate", json_real(a->rate));
    if (a->sha256)
        json_object_set_new(load, "expect_sha256", json_string(a->sha256));
    if (a->h2) {
        json_object_set_new(load, "protocol", json_string("h2"));
        json_object_set_new(load, "streams", json_integer(a->streams ? a->streams : 1));
    }
    json_t *s =
        json_pack("{s:s, s:s, s:s, s:[s], s:[s], s:f, s:i, s:o, s:o}", "name", scenario_name(a),
                  "kind", "load", "description", cmdline, "clients", a->client, "servers", target,
                  "timeout_s", a->timeout_s, "repeat", 1, "client", client_json(a), "load", load);
    char *text = s ? json_dumps(s, JSON_PRESERVE_ORDER) : NULL;
    json_decref(s);
    return text;
}

/* ---- reading it ---- */

/* The reader's errors, said in the options' words: the scenario is this command's
 * own making, and only what the user gave can be wrong in it. */
static void load_diag(const struct th_diag *d, void *arg)
{
    static const struct {
        const char *path, *option;
    } where[] = {
        {"clients", "-b"},
        {"servers", "URL"},
        {"load.path", "URL path"},
        {"client.ca", "--ca"},
        {"client.hostname", "--servername"},
        {"client.versions", "--versions"},
        {"client.ciphers", "--ciphers"},
        {"client.groups", "--groups"},
        {"client.cert", "--cert"},
        {"client.key", "--key"},
        {"load.rate", "--rate"},
        {"load.expect_sha256", "--expect-sha256"},
    };
    static const char scn_rel[] = " (a path is relative to the scenario's folder)";
    const char *sep = strstr(d->msg, ": ");
    const char *rel = strstr(d->msg, scn_rel);
    (void)arg;
    /* the scenario is the command's own: its paths start from the current folder */
    if (sep && rel && !rel[sizeof(scn_rel) - 1]) {
        char msg[sizeof(((struct th_diag *)0)->msg) + 64];
        snprintf(msg, sizeof(msg), "%.*s (relative to the current folder)", (int)(rel - d->msg),
                 d->msg);
        struct th_diag copy = *d;
        th_strlcpy(copy.msg, msg, sizeof(copy.msg));
        load_diag(&copy, NULL);
        return;
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(where); i++) {
        size_t n = strlen(where[i].path);
        if (sep && strncmp(d->msg, where[i].path, n) == 0 && strchr(":[", d->msg[n])) {
            fprintf(stderr, "tlsharness: load: %s: %s\n", where[i].option, sep + 2);
            return;
        }
    }
    fprintf(stderr, "tlsharness: load: %s\n", d->msg);
}

/* The one case of the options' scenario into plan: 0, or the exit status after
 * saying what is wrong (a capability the client lacks is the user's choice too). */
static int read_case(const struct load_args *a, const char *cmdline, struct th_plan *plan)
{
    char *text = scenario_text(a, cmdline);
    memset(plan, 0, sizeof(*plan));
    if (!text) {
        fputs("tlsharness: internal error: load: the scenario could not be built\n", stderr);
        return TH_EXIT_INTERNAL;
    }
    int errors =
        th_plan_read_text(plan, "tlsharness load", text, strlen(text), NULL, load_diag, NULL);
    free(text);
    if (errors) {
        th_cli_hint(stderr);
        return TH_EXIT_USAGE;
    }
    if (plan->n != 1) {
        fprintf(stderr, "tlsharness: internal error: load: %zu cases, expected one\n", plan->n);
        return TH_EXIT_INTERNAL;
    }
    struct th_case *k = &plan->cases[0];
    if (k->skip)
        return usage("-b %s: %s", a->client, k->skip);
    k->load.requests = a->requests;
    k->load.seconds = a->requests ? 0 : a->seconds;
    k->load.max_seconds = MAX_DURATION_S; /* by count: the same bound as by time */
    return 0;
}

/* ---- running it ---- */

/* The results file must be writable before anything is measured. */
static int check_out(const char *path)
{
    struct th_error err;
    return th_output_check(path, &err) != 0 ? th_cli_fail(&err, NULL) : 0;
}

static int exit_status(const struct th_run *run)
{
    const struct th_case_result *r = &run->results[0];
    if (run->interrupted) {
        fputs("tlsharness: load: interrupted: stopped early by a signal\n", stderr);
        return TH_EXIT_FAILED;
    }
    if (r->status == TH_PASS || r->status == TH_XFAIL)
        return 0;
    fprintf(stderr, "tlsharness: load: %s: %s\n",
            r->load.requests || r->obs.have_neg ? "requests failed" : "could not load the target",
            r->reason);
    return TH_EXIT_FAILED;
}

static int run_case(const struct th_case *k, const char *out)
{
    struct th_runner_opts ro = {
        .pki_dir = th_cli_pki_dir(), .interrupt = &th_cli_interrupted, .repeat = 1};
    struct th_case_result *r = th_xcalloc(1, sizeof(*r));
    struct th_run run = {
        .generator = th_cli_generator, .build_flags = TH_BUILD_FLAGS, .results = r};
    struct th_error err;
    if (k->load.requests)
        printf("loading %s%s: %llu requests over %u connections\n", k->server_name, k->load.path,
               (unsigned long long)k->load.requests, k->load.connections);
    else
        printf("loading %s%s: %g s over %u connections (ctrl-C stops it early)\n", k->server_name,
               k->load.path, k->load.seconds, k->load.connections);
    fflush(stdout);
    th_cli_catch_signals();
    run.started_at = th_wall_clock();
    th_run_case(k, &ro, r);
    run.finished_at = th_wall_clock();
    run.n = 1;
    run.interrupted = th_cli_interrupted != 0;
    th_loadsum_print(stdout, r);
    if (run.interrupted)
        printf("%-13s%s\n", "interrupted",
               "stopped early by a signal: the figures cover what was done");
    int rc = exit_status(&run);
    if (th_results_write_json(out, &run, &err) != 0)
        rc = th_cli_fail(&err, NULL);
    else
        printf("%-13s%s\n", "results", out);
    free(r);
    return fflush(stdout) == 0 ? rc : TH_EXIT_INTERNAL;
}

/* The command as typed, for the results' description of the case. */
static char *command_line(int argc, char **argv)
{
    size_t len = strlen("tlsharness") + 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = th_xmalloc(len);
    strcpy(s, "tlsharness");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int th_cmd_load(int argc, char **argv)
{
    struct load_args a;
    struct th_plan plan;
    char out[PATH_MAX + 16];
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    if (a.out)
        th_strlcpy(out, a.out, sizeof(out));
    else
        snprintf(out, sizeof(out), "%s/load.json", th_cli_results_dir());
    if ((rc = check_out(out)) != 0)
        return rc;
    char *cmdline = command_line(argc, argv);
    rc = read_case(&a, cmdline, &plan);
    if (rc == 0)
        rc = run_case(&plan.cases[0], out);
    th_plan_free(&plan);
    free(cmdline);
    return rc;
}
