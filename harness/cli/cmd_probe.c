/* `tlsharness probe URL`: the options, the probe itself (probe/probe.h), and the
 * report as the text people read or as JSON. Exit status: 0 the server was reached
 * and accepted at least one TLS version; 1 it was not, or accepted none; 2 bad usage;
 * 3 internal error; 4 (--fail-on LEVEL only) a finding at LEVEL or above. Certificate
 * verdicts do not change it. 4 and not 1: CI must tell a server that is down from
 * one that is weak, and 1 already means the first. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "harness/probe/probe.h"
#include "harness/probe/probe_warn.h"
#include "harness/scenario/pemcheck.h"

/* A finding at or above --fail-on LEVEL: neither "not reached" (1) nor usage (2). */
#define PROBE_EXIT_FINDING 4

struct probe_args {
    struct th_probe_opts probe;
    int json;
    int fail_on; /* a th_severity; -1: findings do not change the exit status */
};

TH_PRINTF(1, 2) static int usage_fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return th_cli_usage_error("probe: %s", msg);
}

static int parse_timeout(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d > 0 && d <= 3600))
        return usage_fail("--timeout: '%s' is not a number of seconds (0 < S <= 3600)", s);
    *out = d;
    return 0;
}

/* --cert and --key: a PEM chain (leaf first) and its key, checked before any
 * connection, so a bad file is bad usage naming the file, not a refused handshake. */
static int check_client_cert(const struct th_probe_opts *o)
{
    char why[512];
    if (!o->cert != !o->key)
        return usage_fail("%s needs %s too", o->cert ? "--cert" : "--key",
                          o->cert ? "--key FILE (its private key)" : "--cert FILE (the chain)");
    if (!o->cert)
        return 0;
    if (th_pem_check_cert(o->cert, why, sizeof(why)) != 0)
        return usage_fail("--cert: %s", why);
    if (th_pem_check_key(o->key, why, sizeof(why)) != 0)
        return usage_fail("--key: %s", why);
    if (th_pem_check_pair(o->cert, o->key, why, sizeof(why)) != 0)
        return usage_fail("--cert/--key: %s", why);
    return 0;
}

/* What the probe is given; the URL itself is checked by th_probe_run. */
static int check_args(int argc, char **argv, struct probe_args *a)
{
    struct th_probe_opts *o = &a->probe;
    if (optind >= argc)
        return usage_fail("needs a URL: tlsharness probe https://HOST[:PORT][/PATH]");
    if (argc - optind > 1)
        return usage_fail("one URL at a time ('%s' is extra)", argv[optind + 1]);
    o->url = argv[optind];
    if (o->ca && access(o->ca, R_OK) != 0)
        return usage_fail("--ca: cannot read '%s': %s", o->ca, strerror(errno));
    if (o->servername && (!*o->servername || strlen(o->servername) > 253))
        return usage_fail("--servername: '%s' is not a host name", o->servername);
    return check_client_cert(o);
}

static int parse_args(int argc, char **argv, struct probe_args *a)
{
    enum { PR_JSON = 256, PR_CA, PR_SERVERNAME, PR_TIMEOUT, PR_CERT, PR_KEY, PR_FAIL_ON };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, PR_JSON},
        {"ca", required_argument, NULL, PR_CA},
        {"servername", required_argument, NULL, PR_SERVERNAME},
        {"backends", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, PR_TIMEOUT},
        {"cert", required_argument, NULL, PR_CERT},
        {"key", required_argument, NULL, PR_KEY},
        {"fail-on", required_argument, NULL, PR_FAIL_ON},
        {NULL, 0, NULL, 0},
    };
    *a = (struct probe_args){.probe.timeout_s = TH_PROBE_TIMEOUT_S, .fail_on = -1};
    optind = 0;
    int ch;
    while ((ch = th_cli_getopt(argc, argv, "b:", longopts)) != -1) {
        switch (ch) {
        case PR_JSON: a->json = 1; break;
        case PR_CA: a->probe.ca = optarg; break;
        case PR_SERVERNAME: a->probe.servername = optarg; break;
        case 'b': a->probe.backends = optarg; break;
        case PR_CERT: a->probe.cert = optarg; break;
        case PR_KEY: a->probe.key = optarg; break;
        case PR_FAIL_ON: {
            enum th_severity sev;
            if (th_severity_parse(optarg, &sev) != 0)
                return usage_fail("--fail-on: '%s' is not a severity (critical, high, medium, "
                                  "low or info)",
                                  optarg);
            a->fail_on = (int)sev;
            break;
        }
        case PR_TIMEOUT:
            if (parse_timeout(optarg, &a->probe.timeout_s) != 0)
                return TH_EXIT_USAGE;
            break;
        default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
        }
    }
    return check_args(argc, argv, a);
}

int th_cmd_probe(int argc, char **argv)
{
    struct probe_args a;
    struct th_error err;
    int status = parse_args(argc, argv, &a);
    if (status != 0)
        return status;
    signal(SIGPIPE, SIG_IGN);
    json_t *r = th_probe_run(&a.probe, &err);
    if (!r)
        return err.input ? usage_fail("%s", err.text) : th_cli_fail(&err, "probe");
    status = th_probe_answered(r) ? 0 : TH_EXIT_FAILED;
    int worst = th_probe_worst(r);
    if (status == 0 && a.fail_on >= 0 && worst >= a.fail_on)
        status = PROBE_EXIT_FINDING;
    if (a.json) {
        json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        putchar('\n');
    } else {
        th_probe_print(stdout, r);
    }
    /* the report out before the verdict lines, so that one file holding both reads in order */
    int flushed = fflush(stdout);
    const char *error = json_string_value(json_object_get(r, "error"));
    if (a.json && error)
        fprintf(stderr, "tlsharness: probe: %s\n", error);
    if (status == PROBE_EXIT_FINDING)
        fprintf(stderr, "tlsharness: probe: a %s finding (--fail-on %s)\n",
                th_severity_name((enum th_severity)worst),
                th_severity_name((enum th_severity)a.fail_on));
    if (flushed != 0)
        status = TH_EXIT_INTERNAL;
    json_decref(r);
    return status;
}
