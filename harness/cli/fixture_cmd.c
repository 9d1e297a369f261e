/* `tlsharness fixture NAME` (fixture.h: th_fixture_cmd): one fixture with its
 * default configuration, serving until a signal or a time limit. */
#include "harness/fixture/fixture_int.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/pki/pki.h"

static volatile sig_atomic_t cmd_stop;

static void cmd_on_signal(int sig)
{
    (void)sig;
    cmd_stop = 1;
}

struct cmd_opts {
    const char *name, *cert, *pki_dir;
    double seconds;
};

static int cmd_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "tlsharness: fixture: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n(see 'tlsharness help')\n");
    return 2;
}

static int cmd_parse(int argc, char **argv, struct cmd_opts *o)
{
    enum { O_CERT = 256, O_SECONDS, O_PKI };
    static const struct option longopts[] = {
        {"cert", required_argument, NULL, O_CERT},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"pki", required_argument, NULL, O_PKI},
        {NULL, 0, NULL, 0},
    };
    const char *env = getenv("TLSHARNESS_PKI");
    *o = (struct cmd_opts){.cert = "rsa2048", .pki_dir = env && *env ? env : "results/pki"};
    optind = 1;
    opterr = 0;
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case O_CERT: o->cert = optarg; break;
        case O_PKI: o->pki_dir = optarg; break;
        case O_SECONDS:
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->seconds >= 0 && o->seconds <= 1e7))
                return cmd_usage("--seconds: '%s' is not a duration in seconds", optarg);
            break;
        default: return cmd_usage("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cmd_usage("%s", "needs one fixture NAME");
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

static int cmd_resolve(const struct cmd_opts *o, char *chain, char *key, size_t cap)
{
    char err[512], abs_dir[PATH_MAX];
    if (!th_pki_known(o->cert, TH_PKI_CHAIN) || !th_pki_known(o->cert, TH_PKI_KEY))
        return cmd_usage("--cert: '%s' is not a pki leaf (see 'tlsharness pki')", o->cert);
    if (th_pki_ensure(o->pki_dir, err, sizeof(err)) != 0 ||
        !realpath(o->pki_dir, abs_dir) || /* the server runs in a folder of its own */
        th_pki_path(abs_dir, o->cert, TH_PKI_CHAIN, chain, cap, err, sizeof(err)) != 0 ||
        th_pki_path(abs_dir, o->cert, TH_PKI_KEY, key, cap, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: test PKI in %s: %s\n", o->pki_dir, err);
        return 3;
    }
    return 0;
}

/* Until a signal, the time limit, or the server's own end (an error: exit 3). */
static int cmd_wait(struct th_fixture *f, double seconds)
{
    uint64_t deadline = seconds > 0 ? th_now_ns() + (uint64_t)(seconds * 1e9) : 0;
    while (!cmd_stop && (!deadline || th_now_ns() < deadline)) {
        if (!th_fixture_alive(f)) {
            char tail[640];
            th_fx_tail_for_err(f, tail, sizeof(tail));
            fprintf(stderr, "tlsharness: fixture: %s stopped by itself: %s\n", f->def->pub.name,
                    tail);
            return 3;
        }
        th_fx_sleep_ms(50);
    }
    return 0;
}

int th_fixture_cmd(int argc, char **argv)
{
    struct cmd_opts o;
    char chain[PATH_MAX], key[PATH_MAX], err[1024], known[256] = "";
    int rc = cmd_parse(argc, argv, &o);
    if (rc)
        return rc;
    const struct th_fixture_def *d = th_fixture_find(o.name);
    if (!d) {
        for (size_t i = 0; th_fixtures[i]; i++)
            snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "",
                     th_fixtures[i]->name);
        fprintf(stderr, "tlsharness: fixture: unknown fixture '%s' (known: %s)\n", o.name, known);
        return 2;
    }
    if ((rc = cmd_resolve(&o, chain, key, sizeof(chain))) != 0)
        return rc;
    struct th_tls_config cfg;
    cmd_config(d, chain, key, &cfg);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct th_fixture *f;
    if (th_fixture_start(d, &cfg, NULL, 15, &f, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: fixture: %s\n", err);
        return 3;
    }
    printf("serving https://127.0.0.1:%u/ with %s (pid %d, folder %s)\n", (unsigned)f->port,
           d->name, (int)f->pid, f->dir);
    fflush(stdout);
    rc = cmd_wait(f, o.seconds);
    th_fixture_stop(f);
    return rc;
}
