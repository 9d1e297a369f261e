/* Merging the results files of one run's shards (DESIGN.md "Beyond one machine"). */
#ifndef TH_MERGE_H
#define TH_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/vocab/error.h"

/* Write the merge of paths[0..n) to out_path; warnings (shards run on different
 * machines or library versions) go to warn. Each input is read as compare reads it
 * (resread.h). The merge is interrupted when any input is, its summary is counted
 * from its cases, and merged_from counts the shard files in it. 0, or -1 with err:
 * the user's input (TH_INPUT, "FILE:LINE:COL: why" or "FILE: cannot read: why")
 * when an input is missing, not a results file or the shards overlap, or when
 * out_path cannot be written (checked before any input is read); nothing is
 * written then. */
int th_merge_files(const char *out_path, const char *const *paths, size_t n, FILE *warn,
                   struct th_error *err) TH_MUST_CHECK;

#endif
