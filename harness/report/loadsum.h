/* What `tlsharness load` prints once its one load case has run: what h2load prints
 * (requests done and failed, bytes, requests per second, the time of each phase)
 * and what it does not (failures by outcome with the first in the library's words,
 * the negotiated version, suite and group, the resumptions verified, latency
 * percentiles to p99.99 and a histogram of every request's latency, the client's
 * CPU per request). Everything comes from the case's result: its metrics (names as
 * results/README.md fixes them), its failures by outcome, what it observed, and the
 * totals kind load keeps (struct th_load_tally). */
#ifndef TH_LOADSUM_H
#define TH_LOADSUM_H

#include <stdio.h>

#include "lathist.h"
#include "results.h"

/* The whole summary of a load case's result r. */
void th_loadsum_print(FILE *out, const struct th_case_result *r);

/* The histogram h as at most rows rows (neighbouring buckets grouped when there are
 * more), each "FROM - TO ms |###...| COUNT PCT CUMULATIVE" with a bar of at most
 * width marks, the longest bar the fullest row. Nothing but a note when h is empty. */
void th_loadsum_histogram(FILE *out, const struct th_lathist *h, unsigned rows, unsigned width);

/* A duration in milliseconds with three significant digits or so, as the summary
 * writes it ("0.0912", "1.25", "312"); "-" for a negative value. */
void th_loadsum_ms(char *buf, size_t cap, double ms);

#endif
