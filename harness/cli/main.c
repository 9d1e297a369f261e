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
    optind = 0;
    if (th_cli_getopt(argc, argv, "", NULL) != -1)
        return TH_EXIT_USAGE;
    if (optind < argc)
        return th_cli_usage_error("version: unexpected argument '%s'", argv[optind]);
    printf("tlsharness %s\n", TH_VERSION);
    return 0;
}

static int cmd_help(int argc, char **argv);

/* One entry per command: `tlsharness help` lists them, `tlsharness NAME --help` prints
 * the entry's own lines. summary is "SYNOPSIS  what it does" (two spaces or more
 * between them; NULL: an alias, not listed); more holds the description's further
 * lines (indented past column 20) and then the options (indented 6 or 10). */
struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *more;
};

static const struct command commands[] = {
    {"run", th_cmd_run,
     "run [PATH...]          run scenario files or folders (default: scenarios/)",
     "      -b, --backends LIST   only these backends, comma-separated; fixtures as\n"
     "                            fixture:NAME, all of them as fixture:*\n"
     "      -o, --out FILE        results JSON (default: results/latest.json in a\n"
     "                            checkout, else ~/.local/share/tlsharness/results/)\n"
     "          --junit FILE      JUnit XML as CI systems read it\n"
     "          --html FILE       the report page (as `tlsharness report` writes it)\n"
     "      -f, --filter GLOB     only case ids matching\n"
     "          --repeat N        measured repetitions of benchmark kinds\n"
     "          --quick           scaled-down sizes, for smoke runs in CI\n"
     "          --shard I/N       only the I-th of N interleaved parts of the cases\n"
     "      -j, --jobs N          conformance cases at once (default: one per core);\n"
     "                            a benchmark case always runs alone\n"
     "          --pki DIR         test PKI folder (default: $TLSHARNESS_PKI, or pki/\n"
     "                            beside the results folder)\n"
     "      -v, --verbose         one line per case as it finishes, with its count,\n"
     "                            and each benchmark case's metrics at the end\n"
     "      -q, --quiet           no progress: only failures and the totals line\n"
     "          --color WHEN      auto (a terminal, TERM not dumb, NO_COLOR unset or\n"
     "                            empty), always or never\n"},
    {"list", th_cmd_list,
     "list [PATH...]         the expanded case ids, one a line (-b, -f as for run)",
     "      -b, --backends LIST   only these backends, comma-separated\n"
     "      -f, --filter GLOB     only case ids matching\n"
     "          --shard I/N       only the I-th of N interleaved parts of the cases\n"},
    {"validate", th_cmd_validate,
     "validate [PATH...]     check scenarios; errors as FILE:LINE:COL: message",
     "      -b, --backends LIST   only these backends, comma-separated\n"
     "      -f, --filter GLOB     only case ids matching\n"},
    {"backends", th_cmd_backends,
     "backends [--json]      backends, library versions, roles, capabilities",
     "          --json            as a JSON array, one object per backend\n"},
    {"merge", th_cmd_merge,
     "merge OUT FILE...      one results file from the shards of a run (run --shard I/N)", ""},
    {"compare", th_cmd_compare,
     "compare BASE NEW       regression verdict between two results files (exit 1: regressed)",
     "      --threshold PCT       fixed threshold in percent (default: from the recorded spread)\n"
     "      --floor PCT           least threshold the spread gives (default 5)\n"
     "      --json                the verdict as a JSON document\n"
     "      --allow-missing       cases of BASE that NEW lacks are a note, not exit 1\n"},
    {"report", th_cmd_report,
     "report RESULTS         one self-contained HTML page of a results file: verdict, matrix,",
     "                         charts of the benchmarks, environment\n"
     "      -o, --out FILE        the page (default: RESULTS with .html for .json)\n"
     "          --base BASE       also compare with this baseline results file\n"},
    {"serve", th_cmd_serve,
     "serve -b NAME -p PORT  a backend's server role as an HTTPS/1.1 server (GET /, /bytes/N)",
     "          --cert CERT       pki leaf served, NAME or pki:NAME (default: rsa2048),\n"
     "                            or with --key a PEM chain file, leaf first\n"
     "          --key FILE        PEM private key of the --cert file\n"
     "          --client-auth HOW ask for a client certificate: none, request, require\n"
     "          --client-ca CA    roots a client certificate must chain to: pki:NAME or\n"
     "                            a PEM file (needed with --client-auth)\n"
     "          --ocsp RESPONSE   OCSP response stapled as it is: pki:NAME or a DER file\n"
     "          --early-data      tickets allow TLS 1.3 early data (0-RTT); a replay of it\n"
     "                            is refused\n"
     "          --host ADDR       numeric address to listen on (default: 127.0.0.1)\n"
     "          --seconds S       stop after S seconds (default: run until ctrl-C)\n"
     "          --pki DIR         test PKI folder (as for run)\n"},
    {"probe", th_cmd_probe,
     "probe URL              one connection's steps against https://HOST[:PORT][/PATH], timed,",
     "                         and the server's versions, suites and groups enumerated, and\n"
     "                         what is weak listed with a severity (exit 1: unreachable, or\n"
     "                         no version accepted; 4: a finding at --fail-on LEVEL or above)\n"
     "          --json            the report as JSON (schema tlsharness.probe/1)\n"
     "          --ca FILE         CAs the chain is verified against (default: the system's)\n"
     "          --servername NAME name checked and sent as SNI (default: the URL's host)\n"
     "      -b, --backends LIST   only these client backends, comma-separated\n"
     "          --timeout S       limit of each connection (default 10)\n"
     "          --cert FILE       client certificate (PEM chain) presented when asked\n"
     "          --key FILE        its private key (PEM)\n"
     "          --fail-on LEVEL   exit 4 on a finding at LEVEL or above (critical, high,\n"
     "                            medium, low, info)\n"},
    {"fixture", th_cmd_fixture,
     "fixture NAME           start a real server (nginx, lighttpd-MODULE, caddy) on a free",
     "                         port, print where it serves, stop it on ctrl-C\n"
     "          --cert CERT       pki leaf served (default: rsa2048), or with --key a PEM\n"
     "                            chain file, leaf first\n"
     "          --key FILE        PEM private key of the --cert file\n"
     "          --versions LIST   only these TLS versions (1.0,1.1,1.2,1.3)\n"
     "          --suites LIST     only these suites (IANA names, comma-separated)\n"
     "          --client-order    follow the client's suite order, not the server's\n"
     "          --early-data      tickets allow TLS 1.3 early data (nginx; the others cannot)\n"
     "          --seconds S       stop after S seconds (default: run until ctrl-C)\n"
     "          --pki DIR         test PKI folder (as for run)\n"},
    {"load", th_cmd_load,
     "load URL               HTTPS load against https://HOST[:PORT][/PATH], every handshake and",
     "                         response verified; requests, failures by outcome, rates,\n"
     "                         latency percentiles and histogram, phases, what was negotiated,\n"
     "                         resumptions, CPU per request; results written as run writes them\n"
     "                         (exit 1: a request failed or the target could not be reached)\n"
     "      -c, --connections N   concurrent connections (default 16, at most 10000)\n"
     "      -d, --duration S      run S seconds: 30, 30s, 2m (default 10 s, at most 1 h)\n"
     "      -n, --requests N      stop after N verified responses instead (at most 10^9)\n"
     "          --rate R          open loop: R requests/s over all connections, each one's\n"
     "                            latency from when it was due (default: closed loop)\n"
     "          --expect-sha256 HEX  every body must have this SHA-256 (64 hex digits)\n"
     "          --h2              speak HTTP/2 (ALPN h2; default HTTP/1.1)\n"
     "      -m, --streams N       HTTP/2: concurrent streams per connection (default 1)\n"
     "          --new-conn        a new connection per request (default: keep-alive)\n"
     "          --resume HOW      reconnections resume: none, ticket or session_id (none)\n"
     "          --early-data      with --new-conn --resume ticket: each resumed connection\n"
     "                            sends its request as TLS 1.3 early data (0-RTT), which the\n"
     "                            server must take; ttfb_ms is connect to first byte\n"
     "          --ca FILE         CAs the certificate is verified against (default: the system's)\n"
     "          --servername NAME name checked and sent as SNI (default: the URL's host)\n"
     "      -k, --insecure        do not verify the certificate\n"
     "          --cert CERT       client certificate presented when asked: pki:NAME, or\n"
     "                            with --key a PEM chain file, leaf first\n"
     "          --key FILE        PEM private key of the --cert file\n"
     "      -b, --backend NAME    the client backend (default: openssl)\n"
     "          --versions LIST   TLS versions offered, comma-separated (e.g. 1.2,1.3)\n"
     "          --ciphers LIST    suites offered, IANA names, comma-separated\n"
     "          --groups LIST     groups offered, IANA names, comma-separated\n"
     "          --timeout S       limit of each request (default 10, at most 300)\n"
     "      -o, --out FILE        results JSON (default: load.json in the results folder)\n"},
    {"pki", th_cmd_pki,
     "pki [DIR]              write a fresh test PKI (default: the run's PKI folder)", ""},
    {"version", cmd_version, "version                print the version", ""},
    {"help", cmd_help, "help [COMMAND]         the commands, or one command's usage and options",
     ""},
    {"--version", cmd_version, NULL, NULL},
    {"--help", cmd_help, NULL, NULL},
    {"-h", cmd_help, NULL, NULL},
};

/* the command running, for the usage hint of its errors */
static const struct command *current;

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(commands); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* The listed command nearest to a typo (two edits at most, or the one it begins). */
static const char *nearest_command(const char *typed)
{
    const char *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; i < TH_ARRAY_LEN(commands); i++) {
        const char *name = commands[i].name;
        unsigned d = th_cli_distance(typed, name);
        if (!commands[i].summary)
            continue;
        if (*typed && strncmp(name, typed, strlen(typed)) == 0)
            d = 1; /* "val": validate */
        if (d < best_d) {
            best = name;
            best_d = d;
        }
    }
    return best;
}

static int unknown_command(const char *name)
{
    const char *near = nearest_command(name);
    fprintf(stderr, "tlsharness: unknown command '%s'", name);
    if (near)
        fprintf(stderr, " (did you mean '%s'?)", near);
    fputs("\ncommands:", stderr);
    for (size_t i = 0; i < TH_ARRAY_LEN(commands); i++)
        if (commands[i].summary)
            fprintf(stderr, " %s", commands[i].name);
    fputs(" (see 'tlsharness help')\n", stderr);
    return TH_EXIT_USAGE;
}

/* The synopsis of a summary: what comes before its first run of two spaces. */
static int synopsis_len(const char *summary)
{
    const char *gap = strstr(summary, "  ");
    return gap ? (int)(gap - summary) : (int)strlen(summary);
}

void th_cli_hint(FILE *f)
{
    if (current && current->summary)
        fprintf(f, "usage: tlsharness %.*s (see 'tlsharness %s --help')\n",
                synopsis_len(current->summary), current->summary, current->name);
    else
        fputs("(see 'tlsharness help')\n", f);
}

/* NAME --help: the synopsis, what the command does (the summary's text, then the
 * description lines of more, each indented past column 20), and the option lines. */
static void print_usage(const struct command *c)
{
    int n = synopsis_len(c->summary);
    const char *text = c->summary + n + strspn(c->summary + n, " ");
    printf("usage: tlsharness %.*s\n\n%s\n", n, c->summary, text);
    const char *line = c->more, *end;
    int options = 0;
    for (; line && *line; line = *end ? end + 1 : end) {
        end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        size_t indent = strspn(line, " ");
        if (!options && indent < 20) {
            options = 1;
            fputs("\noptions:\n", stdout);
        }
        if (options)
            printf("%.*s\n", (int)(end - line), line);
        else
            printf("%.*s\n", (int)(end - line - indent), line + indent);
    }
    if (!options)
        fputs("\noptions:\n", stdout);
    fputs("      -h, --help            this help\n", stdout);
}

int th_cli_help(const char *name)
{
    const struct command *c = find_command(name);
    if (!c)
        return unknown_command(name);
    if (c->run != cmd_help) {
        print_usage(c->summary ? c : find_command("version")); /* --version: version */
        return 0;
    }
    fputs("usage: tlsharness COMMAND [ARGS] [OPTIONS]\n"
          "       tlsharness help COMMAND, or tlsharness COMMAND --help: its usage and options\n\n",
          stdout);
    for (size_t i = 0; i < TH_ARRAY_LEN(commands); i++)
        if (commands[i].summary)
            printf("  %s\n%s", commands[i].summary, commands[i].more);
    fputs("\nOptions may come before, among or after the arguments; -- ends them.\n"
          "Exit status: 0 every case passed, xfailed or skipped; 1 a case failed or\n"
          "regressed; 2 bad usage or bad input; 3 internal error.\n",
          stdout);
    return 0;
}

/* help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
    optind = 0;
    if (th_cli_getopt(argc, argv, "", NULL) != -1)
        return TH_EXIT_USAGE;
    if (argc - optind > 1)
        return th_cli_usage_error("help: one command at a time ('%s' is extra)", argv[optind + 1]);
    return th_cli_help(optind < argc ? argv[optind] : "help");
}

/* ---- signals: run and serve stop between cases or connections ---- */

volatile sig_atomic_t th_cli_interrupted;

static void on_signal(int sig)
{
    th_cli_interrupted = sig;
    signal(sig, SIG_DFL); /* a second one ends the process at once */
}

void th_cli_catch_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return th_cli_usage_error("%s", "no command given");
    const struct command *cmd = find_command(argv[1]);
    if (!cmd)
        return unknown_command(argv[1]);
    current = cmd;
    /* CMD --help: before any library starts, whatever the command's own parser does */
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
        return th_cli_help(cmd->name);
    for (size_t i = 0; th_backends[i]; i++)
        if (th_backends[i]->init && th_backends[i]->init() != 0) {
            struct th_error err;
            th_error_set(&err, TH_INTERNAL_ERROR, 0, "%s: library initialisation failed",
                         th_backends[i]->name);
            return th_cli_fail(&err, NULL);
        }
    int rc = cmd->run(argc - 1, argv + 1);
    for (size_t i = 0; th_backends[i]; i++)
        if (th_backends[i]->cleanup)
            th_backends[i]->cleanup();
    return rc;
}
