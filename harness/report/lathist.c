/* The latency histogram (lathist.h). Bucket bounds are dyadic multiples of 1 µs, so
 * a value exactly on a bound lands in the bucket it opens, in floating point as in
 * whole numbers. */
#include "lathist.h"

#include <math.h>
#include <string.h>

#define BASE_NS 1000.0 /* the first octave starts at 1 µs */

size_t th_lathist_index(uint64_t ns)
{
    if ((double)ns < BASE_NS)
        return 0;
    double x = (double)ns / BASE_NS;
    int e = ilogb(x); /* exact: x in [2^e, 2^(e+1)) */
    if (e >= TH_LATHIST_OCTAVES)
        return TH_LATHIST_BUCKETS - 1;
    int sub = (int)((ldexp(x, -e) - 1.0) * TH_LATHIST_PER_OCTAVE);
    if (sub >= TH_LATHIST_PER_OCTAVE) /* rounding just below the next octave */
        sub = TH_LATHIST_PER_OCTAVE - 1;
    return 1 + (size_t)e * TH_LATHIST_PER_OCTAVE + (size_t)sub;
}

uint64_t th_lathist_lower_ns(size_t i)
{
    if (i == 0)
        return 0;
    if (i >= TH_LATHIST_BUCKETS)
        i = TH_LATHIST_BUCKETS - 1;
    size_t e = (i - 1) / TH_LATHIST_PER_OCTAVE, sub = (i - 1) % TH_LATHIST_PER_OCTAVE;
    /* 1000 ns x 2^e x (1 + sub/8) */
    return (uint64_t)(BASE_NS / TH_LATHIST_PER_OCTAVE) * ((uint64_t)1 << e) *
           (TH_LATHIST_PER_OCTAVE + sub);
}

uint64_t th_lathist_upper_ns(size_t i)
{
    return i + 1 >= TH_LATHIST_BUCKETS ? UINT64_MAX : th_lathist_lower_ns(i + 1);
}

void th_lathist_add(struct th_lathist *h, uint64_t ns)
{
    h->count[th_lathist_index(ns)]++;
    h->n++;
}

void th_lathist_merge(struct th_lathist *dst, const struct th_lathist *src)
{
    for (size_t i = 0; i < TH_LATHIST_BUCKETS; i++)
        dst->count[i] += src->count[i];
    dst->n += src->n;
}

int th_lathist_span(const struct th_lathist *h, size_t *lo, size_t *hi)
{
    size_t a = 0, b = TH_LATHIST_BUCKETS;
    while (a < TH_LATHIST_BUCKETS && !h->count[a])
        a++;
    if (a == TH_LATHIST_BUCKETS)
        return 0;
    while (!h->count[b - 1])
        b--;
    *lo = a;
    *hi = b - 1;
    return 1;
}

json_t *th_lathist_json(const struct th_lathist *h)
{
    json_t *o = json_object(), *a = json_array();
    json_object_set_new(o, "unit", json_string("ns"));
    json_object_set_new(o, "buckets_per_octave", json_integer(TH_LATHIST_PER_OCTAVE));
    for (size_t i = 0; i < TH_LATHIST_BUCKETS; i++) {
        if (!h->count[i])
            continue;
        uint64_t up = th_lathist_upper_ns(i);
        json_array_append_new(
            a, json_pack("[IoI]", (json_int_t)th_lathist_lower_ns(i),
                         up == UINT64_MAX ? json_null() : json_integer((json_int_t)up),
                         (json_int_t)h->count[i]));
    }
    json_object_set_new(o, "buckets", a);
    return o;
}
