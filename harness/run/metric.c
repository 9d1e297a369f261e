/* Metrics from samples. */
#include "metric.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void th_metric_set(struct th_case_result *r, const char *name, const char *unit, double *values,
                   size_t n)
{
    if (!n || r->n_metrics >= TH_MAX_METRICS)
        return;
    qsort(values, n, sizeof(*values), cmp_double);
    double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    r->metrics[r->n_metrics++] =
        (struct th_metric){name, unit, median, values[0], values[n - 1], n};
}
