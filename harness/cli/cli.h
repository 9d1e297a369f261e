/* What the CLI's command files share: main.c's command table calls one th_cmd_*
 * per command (cmd_NAME.c); they say what is wrong the same way, read scenarios with
 * the same options (run, list, validate) and stop on the same signal flag.
 *
 * Exit status (DESIGN.md "Command line"): 0 every case pass/xfail/skip; 1 a case
 * failed, xpassed or could not run; 2 bad usage or bad input; 3 internal error. */
#ifndef TH_CLI_H
#define TH_CLI_H

#include <signal.h>
#include <stddef.h>

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

/* ---- saying what is wrong ---- */

/* "tlsharness: " fmt (with arg) and a pointer to help, on stderr: TH_EXIT_USAGE. */
int th_cli_usage_error(const char *fmt, const char *arg) TH_MUST_CHECK;
/* A failure carried by err, prefixed with "fmt: " when fmt is not NULL, on stderr as
 * "tlsharness: TEXT", or "tlsharness: internal error: TEXT [at FILE:LINE]" when it
 * ends in exit 3. Returns the exit status: th_error_exit_status(err). */
int th_cli_fail(struct th_error *err, const char *fmt, ...) TH_PRINTF(2, 3) TH_MUST_CHECK;

/* ---- shared by the commands ---- */

/* $TLSHARNESS_PKI, or results/pki. */
const char *th_cli_pki_dir(void);
/* A scenario reader's error as FILE:LINE:COL: message, on stderr. */
void th_cli_print_diag(const struct th_diag *d, void *arg);
/* -b: every name a backend compiled in, fixture:NAME or fixture:*; -1 after naming
 * each unknown one on stderr. NULL is every backend. */
int th_cli_check_backends(const char *list) TH_MUST_CHECK;

/* Set by SIGINT or SIGTERM once th_cli_catch_signals ran: run and serve stop between
 * cases or connections; a second signal ends the process at once. SIGPIPE is
 * ignored: a peer gone is an error on that write. */
extern volatile sig_atomic_t th_cli_interrupted;
void th_cli_catch_signals(void);

/* ---- run, list and validate: scenarios and the cases they expand to ---- */

struct th_cli_opts {
    const char *backends, *filter, *out, *junit, *pki_dir, *shard;
    long repeat; /* 0: the scenario's */
    int quick, verbose, json;
    const char **paths;
    size_t n_paths;
};

/* Their options, argv[0] being the command. 0, or the exit status after saying what
 * is wrong. */
int th_cli_parse_opts(int argc, char **argv, struct th_cli_opts *o) TH_MUST_CHECK;
/* The plan of o's paths (default: scenarios/) after -b and -f: 0, or the number of
 * errors reported on stderr (the plan then holds what could be read; free it). */
int th_cli_read_plan(const struct th_cli_opts *o, struct th_plan *plan) TH_MUST_CHECK;
/* --shard I/N: is the plan's case i in it, and how many are. */
int th_cli_in_shard(const struct th_cli_opts *o, size_t i);
size_t th_cli_shard_size(const struct th_cli_opts *o, const struct th_plan *plan);

#endif
