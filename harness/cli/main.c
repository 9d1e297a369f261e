/* tlsharness: the command line (DESIGN.md "Command line"). The table below names
 * each command, the function that runs it (cmd_NAME.c) and what `tlsharness help`
 * says of it; exit statuses are in cli.h. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "cli.h"

#ifndef TH_VERSION
#define TH_VERSION "0.1.0"
#endif

const char th_cli_version[] = TH_VERSION;
const char th_cli_generator[] = "tlsharness " TH_VERSION;

static int cmd_version(int argc, char **argv)
{
    printf("tlsharness %s\n", TH_VERSION);
    return 0;
}

static int cmd_help(int argc, char **argv);

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    /* help's line for it (NULL: an alias, not listed), then its further lines */
    const char *summary;
    const char *more;
};

static const struct command commands[] = {
    {"run", th_cmd_run,
     "run [PATH...]          run scenario files or folders (default: scenarios/)",
     "      -b, --backends LIST   only these backends, comma-separated; fixtures as\n"
     "                            fixture:NAME, all of them as fixture:*\n"
     "      -o, --out FILE        results JSON (default: results/latest.json)\n"
     "          --junit FILE      JUnit XML as CI systems read it\n"
     "      -f, --filter GLOB     only case ids matching\n"
     "          --repeat N        measured repetitions of benchmark kinds\n"
     "          --quick           scaled-down sizes, for smoke runs in CI\n"
     "          --shard I/N       only the I-th of N interleaved parts of the cases\n"
     "          --pki DIR         test PKI folder (default: $TLSHARNESS_PKI or results/pki)\n"
     "      -v, --verbose         one line per case as it finishes\n"},
    {"list", th_cmd_list,
     "list [PATH...]         the expanded case ids, one a line (-b, -f as for run)", ""},
    {"validate", th_cmd_validate,
     "validate [PATH...]     check scenarios; errors as FILE:LINE:COL: message", ""},
    {"backends", th_cmd_backends,
     "backends [--json]      backends, library versions, roles, capabilities", ""},
    {"merge", th_cmd_merge,
     "merge OUT FILE...      one results file from the shards of a run (run --shard I/N)", ""},
    {"compare", th_cmd_compare,
     "compare BASE NEW       regression verdict between two results files (exit 1: regressed)",
     "      --threshold PCT       fixed threshold in percent (default: from the recorded spread)\n"
     "      --floor PCT           least threshold the spread gives (default 5)\n"
     "      --json                the verdict as a JSON document\n"},
    {"serve", th_cmd_serve,
     "serve -b NAME -p PORT  a backend's server role as an HTTPS/1.1 server (GET /, /bytes/N)",
     "          --cert NAME       pki leaf served (default: rsa2048)\n"
     "          --host ADDR       numeric address to listen on (default: 127.0.0.1)\n"
     "          --seconds S       stop after S seconds (default: run until ctrl-C)\n"
     "          --pki DIR         test PKI folder (as for run)\n"},
    {"probe", th_cmd_probe,
     "probe URL              one connection's steps against https://HOST[:PORT][/PATH], timed,",
     "                         and the server's versions, suites and groups enumerated\n"
     "                         (exit 1: unreachable, or no version accepted)\n"
     "          --json            the report as JSON (schema tlsharness.probe/1)\n"
     "          --ca FILE         CAs the chain is verified against (default: the system's)\n"
     "          --servername NAME name checked and sent as SNI (default: the URL's host)\n"
     "      -b, --backends LIST   only these client backends, comma-separated\n"
     "          --timeout S       limit of each connection (default 10)\n"},
    {"fixture", th_cmd_fixture,
     "fixture NAME           start a real server (nginx, lighttpd-MODULE, caddy) on a free",
     "                         port, print where it serves, stop it on ctrl-C\n"
     "          --cert NAME       pki leaf served (default: rsa2048)\n"
     "          --seconds S       stop after S seconds (default: run until ctrl-C)\n"
     "          --pki DIR         test PKI folder (as for run)\n"},
    {"pki", th_cmd_pki,
     "pki [DIR]              write a fresh test PKI (default: the run's PKI folder)", ""},
    {"version", cmd_version, "version                print the version", ""},
    {"--version", cmd_version, NULL, NULL},
    {"help", cmd_help, NULL, NULL},
    {"--help", cmd_help, NULL, NULL},
    {"-h", cmd_help, NULL, NULL},
};

static int cmd_help(int argc, char **argv)
{
    fputs("usage: tlsharness COMMAND [OPTIONS] [ARGS]\n\n", stdout);
    for (size_t i = 0; i < TH_ARRAY_LEN(commands); i++)
        if (commands[i].summary)
            printf("  %s\n%s", commands[i].summary, commands[i].more);
    return 0;
}

/* ---- signals: run and serve stop between cases or connections ---- */

volatile sig_atomic_t th_cli_interrupted;

static void on_signal(int sig)
{
    th_cli_interrupted = 1;
    signal(sig, SIG_DFL); /* a second one ends the process at once */
}

void th_cli_catch_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return th_cli_usage_error("%s", "no command given");
    const char *name = argv[1];
    const struct command *cmd = NULL;
    for (size_t i = 0; i < TH_ARRAY_LEN(commands) && !cmd; i++)
        if (strcmp(name, commands[i].name) == 0)
            cmd = &commands[i];
    for (size_t i = 0; th_backends[i]; i++)
        if (th_backends[i]->init && th_backends[i]->init() != 0) {
            struct th_error err;
            th_error_set(&err, TH_INTERNAL_ERROR, 0, "%s: library initialisation failed",
                         th_backends[i]->name);
            return th_cli_fail(&err, NULL);
        }
    int rc = cmd ? cmd->run(argc - 1, argv + 1) : th_cli_usage_error("unknown command '%s'", name);
    for (size_t i = 0; th_backends[i]; i++)
        if (th_backends[i]->cleanup)
            th_backends[i]->cleanup();
    return rc;
}
