/* The terminal summary of a run: the benchmark kinds as comparison tables, the pair
 * x status table, the client x server matrix, failures, known deviations and skips,
 * then one line of totals. results.h's th_results_print_summary is this with every
 * section (as `run -v` prints it). */
#ifndef TH_SUMMARY_H
#define TH_SUMMARY_H

#include <stdio.h>

#include "results.h"

struct th_summary_opts {
    int color;   /* ANSI colours */
    int verbose; /* each benchmark case's metrics too, as well as the tables */
    int quiet;   /* only the failures and the totals line */
    int width;   /* columns a line may take: reasons are cut to it, tables wrap; 0: no limit */
    const char *results_path; /* where the whole reasons are, said once when one was cut */
};

void th_summary_print(FILE *out, const struct th_run *run, const struct th_summary_opts *o);

/* The benchmark kinds' comparison tables (tables.c): bulk as pair x suite, handshake
 * rate as pair x mode, load as server x metric, memory as backend x role. Nothing
 * when the run has no measured case. */
void th_summary_bench_tables(FILE *out, const struct th_run *run, int width);

#endif
