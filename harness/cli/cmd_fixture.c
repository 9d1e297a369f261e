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
};

static int cmd_parse(int argc, char **argv, struct cmd_opts *o)
{
    enum { O_CERT = 256, O_SECONDS, O_PKI, O_KEY };
    static const struct option longopts[] = {
        {"cert", required_argument, NULL, O_CERT},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"pki", required_argument, NULL, O_PKI},
        {"key", required_argument, NULL, O_KEY},
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
 * suites and groups, its own order, tickets and a cache. */
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
