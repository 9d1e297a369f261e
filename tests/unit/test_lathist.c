/* The latency histogram: bucket bounds (whole, increasing, each value inside its
 * bucket, bounds opening their bucket), the ends (below 1 µs, beyond the last
 * octave), merging, the span, and the JSON form (non-empty buckets only, the last
 * one open). */
#include <jansson.h>

#include "harness/report/lathist.h"
#include "tap.h"

static void test_bounds(void)
{
    int good = 1;
    for (size_t i = 0; i + 1 < TH_LATHIST_BUCKETS; i++)
        if (!(th_lathist_lower_ns(i) < th_lathist_upper_ns(i)) ||
            th_lathist_upper_ns(i) != th_lathist_lower_ns(i + 1))
            good = 0;
    ok(good, "buckets increase and touch: upper(i) == lower(i+1)");
    is_int(th_lathist_lower_ns(0), 0, "bucket 0 starts at 0");
    is_int(th_lathist_upper_ns(0), 1000, "bucket 0 ends at 1 us");
    is_int(th_lathist_lower_ns(1), 1000, "bucket 1 starts at 1 us");
    is_int(th_lathist_upper_ns(1), 1125, "bucket 1 is 1/8 of an octave wide");
    is_int(th_lathist_lower_ns(1 + TH_LATHIST_PER_OCTAVE), 2000, "the next octave starts at 2 us");
    ok(th_lathist_upper_ns(TH_LATHIST_BUCKETS - 1) == UINT64_MAX, "the last bucket is open");
    is_int(th_lathist_lower_ns(TH_LATHIST_BUCKETS + 5), th_lathist_lower_ns(TH_LATHIST_BUCKETS - 1),
           "an index past the end reads as the last bucket");

    good = 1;
    for (size_t i = 1; i < TH_LATHIST_BUCKETS; i++) {
        uint64_t lo = th_lathist_lower_ns(i), hi = th_lathist_upper_ns(i);
        if (th_lathist_index(lo) != i || th_lathist_index(lo - 1) != i - 1 ||
            (hi != UINT64_MAX && th_lathist_index(hi - 1) != i))
            good = 0;
    }
    ok(good, "each bound opens its bucket; the value below it is in the one before");
}

static void test_values(void)
{
    is_int(th_lathist_index(0), 0, "0 ns: bucket 0");
    is_int(th_lathist_index(999), 0, "999 ns: bucket 0");
    is_int(th_lathist_index(1000), 1, "1 us: bucket 1");
    /* 1.5 ms = 1500 us: octave 10 (1024..2048 us), (1500/1024 - 1) * 8 = 3.7 -> sub 3 */
    is_int(th_lathist_index(1500000), 1 + 10 * 8 + 3, "1.5 ms: octave 10, eighth 3");
    ok(th_lathist_lower_ns(th_lathist_index(1500000)) <= 1500000 &&
           th_lathist_upper_ns(th_lathist_index(1500000)) > 1500000,
       "1.5 ms lies in its bucket");
    is_int(th_lathist_index(UINT64_MAX), TH_LATHIST_BUCKETS - 1, "UINT64_MAX: the last bucket");
    is_int(th_lathist_index((uint64_t)4400 * 1000000000), TH_LATHIST_BUCKETS - 1,
           "4400 s: the last bucket");
    int wide = 1;
    for (size_t i = 1; i + 1 < TH_LATHIST_BUCKETS; i++)
        if ((double)th_lathist_upper_ns(i) / (double)th_lathist_lower_ns(i) > 1.125 + 1e-12)
            wide = 0;
    ok(wide, "no bucket is wider than 12.5%%");
}

static void test_merge_span(void)
{
    struct th_lathist a, b;
    size_t lo = 99, hi = 99;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ok(!th_lathist_span(&a, &lo, &hi), "empty: no span");
    ok(lo == 99 && hi == 99, "empty: lo and hi untouched");
    th_lathist_add(&a, 500);
    th_lathist_add(&a, 1200000);
    th_lathist_add(&b, 1200000);
    th_lathist_add(&b, 90000000);
    th_lathist_merge(&a, &b);
    is_int(a.n, 4, "merged n");
    is_int(a.count[th_lathist_index(1200000)], 2, "the shared bucket adds");
    ok(th_lathist_span(&a, &lo, &hi), "span of a merged histogram");
    is_int(lo, 0, "lowest: bucket 0");
    is_int(hi, th_lathist_index(90000000), "highest: 90 ms's bucket");
    is_int(b.n, 2, "the source is unchanged");
}

static void test_json(void)
{
    struct th_lathist h;
    memset(&h, 0, sizeof h);
    json_t *j = th_lathist_json(&h);
    ok(json_is_array(json_object_get(j, "buckets")) &&
           json_array_size(json_object_get(j, "buckets")) == 0,
       "empty: an empty bucket list");
    is_str(json_string_value(json_object_get(j, "unit")), "ns", "unit ns");
    is_int(json_integer_value(json_object_get(j, "buckets_per_octave")), 8, "8 per octave");
    json_decref(j);

    th_lathist_add(&h, 1000);
    th_lathist_add(&h, 1001);
    th_lathist_add(&h, UINT64_MAX);
    j = th_lathist_json(&h);
    json_t *b = json_object_get(j, "buckets");
    is_int(json_array_size(b), 2, "two non-empty buckets");
    json_t *first = json_array_get(b, 0), *last = json_array_get(b, 1);
    ok(json_integer_value(json_array_get(first, 0)) == 1000 &&
           json_integer_value(json_array_get(first, 1)) == 1125 &&
           json_integer_value(json_array_get(first, 2)) == 2,
       "[1000, 1125, 2]");
    ok(json_is_null(json_array_get(last, 1)) && json_integer_value(json_array_get(last, 2)) == 1,
       "the last bucket's upper bound is null");
    json_decref(j);
}

int main(void)
{
    test_bounds();
    test_values();
    test_merge_span();
    test_json();
    return done_testing();
}
