/* `tlsharness fixture NAME [--cert LEAF | --cert FILE --key FILE] [--seconds S]
 * [--pki DIR]`: one fixture (fixture/fixture.h) with its default configuration,
 * serving a pki leaf or the user's own chain until a signal or a time limit, then
 * stopped. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certargs.h"
#include "cli.h"
#include "harness/fixture/fixture.h"
#include "harness/pki/pki.h"
#include "harness/vocab/iana.h"

/* Not th_cli_catch_signals: every signal only asks to stop, a second one too, so the
 * server (in a session of its own) is always stopped and its folder removed. */
static volatile sig_atomic_t cmd_stop;

static void cmd_on_signal(int sig)
{
    (void)sig;
    cmd_stop = 1;
}

struct cmd_opts {
    const char *name, *pki_dir;
    struct th_cert_args certs;
    double seconds;
    /* a configuration other than the default (a weak one, for the probe to find):
     * versions and suites (IANA names, comma-separated), and the client's order */
    const char *versions, *suites;
    int client_order;
    int early_data; /* --early-data: tickets allow 0-RTT (where the server can) */
};

/* --versions 1.0,1.2 into a TH_VBIT set; --suites NAME,... into IANA ids. */
static int cmd_lists(const struct cmd_opts *o, struct th_tls_config *cfg)
{
    char *copy, *save = NULL;
    int rc = 0;
    if (o->versions) {
        cfg->versions = 0;
        copy = th_xstrdup(o->versions);
        for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
            uint16_t v;
            if (th_version_parse(t, &v) != 0)
                rc = th_cli_usage_error("fixture: --versions: '%s' is not a TLS version", t);
            else
                cfg->versions |= TH_VBIT(v);
        }
        free(copy);
    }
    if (o->suites && !rc) {
        copy = th_xstrdup(o->suites);
        for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
            const struct th_suite_info *si = th_suite_by_name(t);
            if (!si || cfg->n_suites == TH_MAX_SUITES)
                rc = th_cli_usage_error("fixture: --suites: '%s' is not an IANA suite name", t);
            else
                cfg->suites[cfg->n_suites++] = si->id;
        }
        free(copy);
    }
    if (o->client_order)
        cfg->prefer_server_order = 0;
    if (o->early_data) {
        cfg->early_data = TH_EARLY_SERVER_ACCEPT;
        cfg->anti_replay = 1;
    }
    return rc ? TH_EXIT_USAGE : 0;
}

static int cmd_parse(int argc, char **argv, struct cmd_opts *o)
{
    enum { O_CERT = 256, O_SECONDS, O_PKI, O_KEY, O_VERSIONS, O_SUITES, O_CLIENT_ORDER, O_EARLY };
    static const struct option longopts[] = {
        {"cert", required_argument, NULL, O_CERT},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"pki", required_argument, NULL, O_PKI},
        {"key", required_argument, NULL, O_KEY},
        {"versions", required_argument, NULL, O_VERSIONS},
        {"suites", required_argument, NULL, O_SUITES},
        {"client-order", no_argument, NULL, O_CLIENT_ORDER},
        {"early-data", no_argument, NULL, O_EARLY},
        {NULL, 0, NULL, 0},
    };
    *o = (struct cmd_opts){.pki_dir = th_cli_pki_dir()};
    optind = 0;
    int ch;
    char *end;
    while ((ch = th_cli_getopt(argc, argv, "", longopts)) != -1) {
        switch (ch) {
        case O_CERT: o->certs.cert = optarg; break;
        case O_KEY: o->certs.key = optarg; break;
        case O_PKI: o->pki_dir = optarg; break;
        case O_VERSIONS: o->versions = optarg; break;
        case O_SUITES: o->suites = optarg; break;
        case O_CLIENT_ORDER: o->client_order = 1; break;
        case O_EARLY: o->early_data = 1; break;
        case O_SECONDS:
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->seconds >= 0 && o->seconds <= 1e7))
                return th_cli_usage_error("fixture: --seconds: '%s' is not a duration in seconds",
                                          optarg);
            break;
        default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
        }
    }
    if (optind != argc - 1)
        return th_cli_usage_error("%s", "fixture: needs one fixture NAME");
    o->name = argv[optind];
    return 0;
}

/* The default server configuration: every version the fixture has, its library's
 * suites and groups, its own order, tickets and a cache, ALPN h2 and http/1.1. */
static void cmd_config(const struct th_fixture_def *d, const char *chain, const char *key,
                       struct th_tls_config *cfg)
{
    struct th_caps c;
    d->caps(&c);
    *cfg = (struct th_tls_config){.role = TH_ROLE_SERVER,
                                  .versions = c.versions,
                                  .cert_file = chain,
                                  .key_file = key,
                                  .prefer_server_order = 1,
                                  .tickets = 1,
                                  .session_cache = 1};
    /* HTTP/2 as deployed servers offer it, where the template can say so (lighttpd
     * picks ALPN in the client's order: kept to http/1.1, see fixture_check.c) */
    if (strncmp(d->name, "lighttpd", 8) != 0) {
        cfg->alpn[0] = "h2";
        cfg->alpn[1] = "http/1.1";
        cfg->n_alpn = 2;
    }
}

/* Until a signal, the time limit, or the server's own end (an error: exit 3). */
static int cmd_wait(struct th_fixture *f, const struct th_fixture_def *d, double seconds)
{
    uint64_t deadline = seconds > 0 ? th_now_ns() + (uint64_t)(seconds * 1e9) : 0;
    struct timespec tick = {0, 50 * 1000000L};
    while (!cmd_stop && (!deadline || th_now_ns() < deadline)) {
        if (!th_fixture_alive(f)) {
            char tail[640];
            struct th_error err;
            th_fixture_log_line(f, tail, sizeof(tail));
            th_error_set(&err, TH_INTERNAL_ERROR, 0, "%s stopped by itself: %s", d->name, tail);
            return th_cli_fail(&err, "fixture");
        }
        nanosleep(&tick, NULL);
    }
    return 0;
}

static void print_known(const char *name)
{
    char known[256] = "";
    for (size_t i = 0; th_fixtures[i]; i++)
        snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "",
                 th_fixtures[i]->name);
    fprintf(stderr, "tlsharness: fixture: unknown fixture '%s' (known: %s)\n", name, known);
}

int th_cmd_fixture(int argc, char **argv)
{
    struct cmd_opts o;
    struct th_error err;
    struct th_cert_files files; /* absolute: the server runs in a folder of its own */
    int rc = cmd_parse(argc, argv, &o);
    if (rc)
        return rc;
    const struct th_fixture_def *d = th_fixture_find(o.name);
    if (!d) {
        print_known(o.name);
        return TH_EXIT_USAGE;
    }
    if ((rc = th_cert_args_resolve("fixture", &o.certs, o.pki_dir, &files)) != 0)
        return rc;
    struct th_tls_config cfg;
    cmd_config(d, files.chain, files.key, &cfg);
    if ((rc = cmd_lists(&o, &cfg)) != 0)
        return rc;
    char why[256], msg[320];
    if (th_fixture_unsupported(d, &cfg, why, sizeof(why))) {
        snprintf(msg, sizeof(msg), "fixture: %s", why);
        return th_cli_usage_error("%s", msg);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct th_fixture *f;
    th_fixture_sweep(NULL); /* what a killed run left behind */
    if (th_fixture_start(d, &cfg, NULL, 15, &f, &err) != 0)
        return th_cli_fail(&err, "fixture");
    printf("serving https://127.0.0.1:%u/ with %s (pid %d, folder %s)\n",
           (unsigned)th_fixture_port(f), d->name, (int)th_fixture_pid(f), th_fixture_dir(f));
    fflush(stdout);
    rc = cmd_wait(f, d, o.seconds);
    th_fixture_stop(f);
    return rc;
}
