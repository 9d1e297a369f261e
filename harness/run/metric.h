/* A benchmark's figure from its samples (STYLE.md 7: median, min and max, the unit,
 * the sample count). */
#ifndef TH_METRIC_H
#define TH_METRIC_H

#include <stddef.h>

#include "harness/report/results.h"

/* Append metric name (unit) from values[0..n) to r: median (the mean of the middle
 * two when n is even), min, max, n. values is sorted in place. Nothing is added
 * for n 0 or when r holds TH_MAX_METRICS already. name and unit are kept, not
 * copied: string constants. */
void th_metric_set(struct th_case_result *r, const char *name, const char *unit, double *values,
                   size_t n);

#endif
