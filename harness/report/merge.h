/* Merging the results files of one run's shards (DESIGN.md "Beyond one machine"). */
#ifndef TH_MERGE_H
#define TH_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/vocab/error.h"

/* Write the merge of paths[0..n) to out_path; warnings (shards run on different
 * machines or library versions) go to warn. 0, or -1 with err: the user's input
 * (TH_INPUT, "FILE:LINE:COL: why") when an input is missing, not a results file or
 * the shards overlap, and nothing is written; a fault when out_path cannot be
 * written. */
int th_merge_files(const char *out_path, const char *const *paths, size_t n, FILE *warn,
                   struct th_error *err) TH_MUST_CHECK;

/* Parse "I/N" (1 <= I <= N <= 10000). 0, or -1. */
int th_shard_parse(const char *s, unsigned *index, unsigned *count) TH_MUST_CHECK;

#endif
