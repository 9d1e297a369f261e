/* Metrics from samples: median (odd and even counts), min, max, n; nothing for no
 * samples or a full result. */
#include "harness/run/metric.h"
#include "tap.h"

static void test_odd_even(void)
{
    struct th_case_result r;
    memset(&r, 0, sizeof(r));
    double odd[] = {3, 1, 2};
    th_metric_set(&r, "handshakes_per_s", "1/s", odd, 3);
    is_int(r.n_metrics, 1, "one metric added");
    const struct th_metric *m = &r.metrics[0];
    is_str(m->name, "handshakes_per_s", "name kept");
    is_str(m->unit, "1/s", "unit kept");
    ok(m->median == 2 && m->min == 1 && m->max == 3 && m->n == 3,
       "odd: median %g, min %g, max %g, n %zu", m->median, m->min, m->max, m->n);
    ok(odd[0] == 1 && odd[1] == 2 && odd[2] == 3, "values sorted in place");

    double even[] = {4, 1, 3, 2};
    th_metric_set(&r, "throughput_mib_s", "MiB/s", even, 4);
    m = &r.metrics[1];
    ok(m->median == 2.5 && m->min == 1 && m->max == 4 && m->n == 4,
       "even: the mean of the middle two (%g)", m->median);

    double one[] = {7.5};
    th_metric_set(&r, "efficiency", "ratio", one, 1);
    m = &r.metrics[2];
    ok(m->median == 7.5 && m->min == 7.5 && m->max == 7.5 && m->n == 1, "one sample");

    double neg[] = {-1, -3, 5, 0, -2};
    th_metric_set(&r, "x", "u", neg, 5);
    m = &r.metrics[3];
    ok(m->median == -1 && m->min == -3 && m->max == 5, "negative values order too");
}

static void test_nothing(void)
{
    struct th_case_result r;
    memset(&r, 0, sizeof(r));
    double v[] = {1};
    th_metric_set(&r, "none", "u", v, 0);
    is_int(r.n_metrics, 0, "n 0: no metric");
    for (int i = 0; i < TH_MAX_METRICS; i++)
        th_metric_set(&r, "m", "u", v, 1);
    is_int(r.n_metrics, TH_MAX_METRICS, "up to TH_MAX_METRICS");
    th_metric_set(&r, "one-too-many", "u", v, 1);
    is_int(r.n_metrics, TH_MAX_METRICS, "a full result takes no more");
    is_str(r.metrics[TH_MAX_METRICS - 1].name, "m", "and the last one is untouched");
}

int main(void)
{
    test_odd_even();
    test_nothing();
    return done_testing();
}
