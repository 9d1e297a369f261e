/* Merging the results files of one run's shards (DESIGN.md "Beyond one machine"). */
#ifndef TH_MERGE_H
#define TH_MERGE_H

#include <stddef.h>
#include <stdio.h>

/* Write the merge of paths[0..n) to out_path. Returns 0, 2 when an input is not a
 * results file or the shards overlap (messages on err), 3 when out_path cannot be
 * written. */
int th_merge_files(const char *out_path, const char *const *paths, size_t n, FILE *err);

/* Parse "I/N" (1 <= I <= N <= 10000). 0, or -1. */
int th_shard_parse(const char *s, unsigned *index, unsigned *count);

#endif
