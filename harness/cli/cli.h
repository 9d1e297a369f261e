/* What the CLI's command files share: main.c's command table calls one th_cmd_*
 * per command (cmd_NAME.c); they say what is wrong the same way, read scenarios with
 * the same options (run, list, validate) and stop on the same signal flag.
 *
 * Exit status (DESIGN.md "Command line"): 0 every case pass/xfail/skip; 1 a case
 * failed, xpassed or could not run; 2 bad usage or bad input; 3 internal error. */
#ifndef TH_CLI_H
#define TH_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/scenario/scenario.h"
#include "harness/vocab/error.h"

#define TH_EXIT_FAILED 1
#define TH_EXIT_USAGE 2
#define TH_EXIT_INTERNAL 3

/* "0.1.0-<commit>" and "tlsharness 0.1.0-<commit>" (main.c: only its object
 * rebuilds when the commit changes). */
extern const char th_cli_version[];
extern const char th_cli_generator[];

/* ---- the commands (cmd_NAME.c): argv[0] is the command's name ---- */

int th_cmd_run(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_list(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_validate(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_backends(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_merge(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_compare(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_serve(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_probe(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_fixture(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_pki(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_load(int argc, char **argv) TH_MUST_CHECK;
int th_cmd_report(int argc, char **argv) TH_MUST_CHECK;

/* ---- usage, from main.c's command table: one place per command ---- */

/* COMMAND's usage and options on stdout (`tlsharness COMMAND --help`): 0, or
 * TH_EXIT_USAGE after saying COMMAND is unknown. */
int th_cli_help(const char *command) TH_MUST_CHECK;
/* The running command's synopsis and where its options are listed (or the pointer to
 * `tlsharness help` before a command is known), on f: the end of a usage error. */
void th_cli_hint(FILE *f);
/* The optimal-string-alignment distance of a and b (a swap of two neighbours counts
 * one), for "did you mean": capped at 99. */
unsigned th_cli_distance(const char *a, const char *b);

/* ---- saying what is wrong ---- */

/* "tlsharness: " fmt (with arg) and the command's usage hint, on stderr:
 * TH_EXIT_USAGE. */
int th_cli_usage_error(const char *fmt, const char *arg) TH_MUST_CHECK;
/* A failure carried by err, prefixed with "fmt: " when fmt is not NULL, on stderr as
 * "tlsharness: TEXT", or "tlsharness: internal error: TEXT [at FILE:LINE]" when it
 * ends in exit 3. Returns the exit status: th_error_exit_status(err). */
int th_cli_fail(struct th_error *err, const char *fmt, ...) TH_PRINTF(2, 3) TH_MUST_CHECK;

/* ---- options, parsed the same way by every command ---- */

/* getopt_long for every command, argv[0] being its name: options anywhere among the
 * arguments (getopt moves the arguments after the options: they are argv[optind..]),
 * "--" ends the options, -h and --help print the command's usage and end the process
 * with status 0 (wherever they come, as git's parse-options does: no command needs a
 * third way out of its parser). Set optind = 0 before the first call. Returns the next
 * option, -1 after the last, or '?' after saying on stderr that an option is unknown
 * or lacks its value (the command then exits TH_EXIT_USAGE). */
int th_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* ---- where things are (places.c): a checkout, or an installed program ---- */

/* The current folder is a tlsharness checkout (it has scenarios/ and harness/): the
 * results and the PKI go under its results/. */
int th_cli_in_checkout(void);
/* Where runs write by default: results in a checkout; else
 * $XDG_DATA_HOME/tlsharness/results, or ~/.local/share/tlsharness/results (results
 * when neither is set). */
const char *th_cli_results_dir(void);
/* th_cli_results_dir()/latest.json: run's -o when none is given. */
const char *th_cli_default_out(void);
/* $TLSHARNESS_PKI, or results/pki in a checkout, else the data folder's pki (beside
 * the results folder above). */
const char *th_cli_pki_dir(void);
/* The scenarios run, list and validate read when given no PATH: scenarios/ here, else
 * the ones installed beside the program (../share/tlsharness/scenarios) or those of
 * the checkout it was built in; NULL when there are none. */
const char *th_cli_scenarios_dir(void);

/* ---- shared by the commands ---- */

/* A scenario reader's error as FILE:LINE:COL: message, on stderr. */
void th_cli_print_diag(const struct th_diag *d, void *arg);
/* -b: every name a backend compiled in, fixture:NAME or fixture:*; -1 after naming
 * each unknown one on stderr. NULL is every backend. */
int th_cli_check_backends(const char *list) TH_MUST_CHECK;

/* The signal number, once SIGINT, SIGTERM or SIGHUP arrived after
 * th_cli_catch_signals: run stops the running cases at once, serve and load stop
 * between connections; a second signal ends the process at once. SIGPIPE is
 * ignored: a peer gone is an error on that write. */
extern volatile sig_atomic_t th_cli_interrupted;
void th_cli_catch_signals(void);

/* ---- run, list and validate: scenarios and the cases they expand to ---- */

struct th_cli_opts {
    const char *backends, *filter, *out, *junit, *pki_dir, *shard;
    /* --html: the report page, written after the results */
    const char *html;
    long repeat;   /* 0: the scenario's */
    unsigned jobs; /* -j: conformance cases at once; 0: one per core */
    int quick, verbose, json;
    int quiet; /* -q: only the failures and the totals */
    int color; /* --color: enum th_color_when (harness/report/term.h), auto by default */
    const char **paths;
    size_t n_paths;
};

/* Their options, argv[0] being the command. 0, or the exit status after saying what
 * is wrong. */
int th_cli_parse_opts(int argc, char **argv, struct th_cli_opts *o) TH_MUST_CHECK;
/* The plan of o's paths (default: th_cli_scenarios_dir) after -b and -f: 0, or the
 * number of errors reported on stderr (the plan then holds what could be read; free
 * it). Paths, -b or -f that select no case are an error, said as such: a typo never
 * makes an empty run that passes. */
int th_cli_read_plan(const struct th_cli_opts *o, struct th_plan *plan) TH_MUST_CHECK;
/* --shard I/N: is the plan's case i in it, and how many are. */
int th_cli_in_shard(const struct th_cli_opts *o, size_t i);
size_t th_cli_shard_size(const struct th_cli_opts *o, const struct th_plan *plan);
/* "I/N" into its numbers: 0, or -1 unless it is digits/digits with
 * 1 <= I <= N <= UINT32_MAX (no sign, no space, no wrap past 32 bits). */
int th_cli_shard_parse(const char *s, unsigned *index, unsigned *count) TH_MUST_CHECK;

#endif
