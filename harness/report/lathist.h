/* A latency distribution that merges exactly: counts in fixed log-scale buckets,
 * eight per power of two (each at most 12.5% wide), from 1 µs up. Bucket 0 holds
 * everything below 1 µs; the last one, from 1.875 x 2^31 µs (about 67 minutes),
 * everything above too. Two histograms of the same scheme add bucket by bucket,
 * so the repetitions of a case, or the shards of a run, give the distribution of
 * all their requests.
 *
 * Kind load fills one per case (harness/kinds/load.c); the results file carries it
 * as "load.latency_histogram" (results/README.md), and `tlsharness load` draws it. */
#ifndef TH_LATHIST_H
#define TH_LATHIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TH_LATHIST_PER_OCTAVE 8
#define TH_LATHIST_OCTAVES 32
#define TH_LATHIST_BUCKETS (1 + TH_LATHIST_OCTAVES * TH_LATHIST_PER_OCTAVE)

struct th_lathist {
    uint64_t count[TH_LATHIST_BUCKETS];
    uint64_t n; /* the sum of count[] */
};

/* The bucket a latency of ns nanoseconds falls in. */
size_t th_lathist_index(uint64_t ns);
/* Bucket i's bounds in nanoseconds: [lower, upper); the last one's upper is
 * UINT64_MAX (it takes everything above). Whole numbers: 125 x 2^e x (8 + sub). */
uint64_t th_lathist_lower_ns(size_t i);
uint64_t th_lathist_upper_ns(size_t i);

void th_lathist_add(struct th_lathist *h, uint64_t ns);
/* dst += src, bucket by bucket. */
void th_lathist_merge(struct th_lathist *dst, const struct th_lathist *src);
/* The lowest and highest non-empty buckets; 0 when the histogram is empty. */
int th_lathist_span(const struct th_lathist *h, size_t *lo, size_t *hi);

/* {"unit": "ns", "buckets_per_octave": 8, "buckets": [[FROM, TO, COUNT], ...]}, the
 * non-empty buckets only, in order; TO is null for the last, open bucket. */
json_t *th_lathist_json(const struct th_lathist *h);

#endif
