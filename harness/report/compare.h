/* `tlsharness compare BASE NEW`: read two results files (DESIGN.md "Results file")
 * and judge the change from BASE to NEW: each metric against a threshold set by hand
 * or from the run-to-run spread the files record, each case's status, and the
 * environments the two runs had. */
#ifndef TH_COMPARE_H
#define TH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/vocab/util.h"

/* Exit statuses, as DESIGN.md "Command line" numbers them. */
#define TH_COMPARE_SAME 0       /* no regression */
#define TH_COMPARE_REGRESSION 1 /* a metric or a case regressed, or NEW is incomplete */
#define TH_COMPARE_BAD_INPUT 2  /* a file missing, not JSON, or not a results file */

struct th_compare_opts {
    double threshold;  /* a fraction (0.05 = 5%); < 0: from the recorded spread */
    double floor;      /* the least threshold the spread can give; default 0.05 */
    int json;          /* a JSON document on out instead of readable lines */
    int allow_missing; /* cases of BASE that NEW lacks are a note, not a failure */
};

#define TH_COMPARE_OPTS_INIT                                                                       \
    {                                                                                              \
        -1.0, 0.05, 0, 0                                                                           \
    }

/* Compare the results files base and new_. Bad input is reported on errout, one line
 * per bad file, as "FILE:LINE:COL: where: why" (cases[3].metrics.tls_ms.median: ...),
 * and nothing goes to out. Otherwise the report goes to out: readable lines
 * (warnings, one line per compared metric, case status changes, notes, "incomplete:"
 * lines, the summary, then "regression", "incomplete", "regression, incomplete" or
 * "no regression"; every line escaped), or with o->json one document {base, new,
 * threshold_policy, allow_missing, warnings[], notes[], incomplete[], metrics[{id,
 * metric, unit, base, new, change, threshold, verdict}], cases[{id, base_status,
 * new_status, verdict, reason}] (only cases whose status changed or that one file
 * lacks), new_interrupted, cases_compared, cases_missing, cases_only_in_new,
 * metric_regressions, improvements, cases_regressed, regressions, exit_status}.
 * NEW is incomplete (exit 1, a line in incomplete[] says why) when it is interrupted,
 * shares no case with BASE, or lacks a case BASE has unless o->allow_missing. o may
 * be NULL (TH_COMPARE_OPTS_INIT). Returns a TH_COMPARE_* status. */
int th_compare_files(const char *base, const char *new_, const struct th_compare_opts *o, FILE *out,
                     FILE *errout) TH_MUST_CHECK;

/* The same on texts already in memory; names are what messages call them. The
 * texts need not be NUL-terminated and may hold NUL bytes. */
int th_compare_texts(const char *base_name, const char *base_text, size_t base_len,
                     const char *new_name, const char *new_text, size_t new_len,
                     const struct th_compare_opts *o, FILE *out, FILE *errout) TH_MUST_CHECK;

/* The same judgement as data, for a caller that draws it (the HTML report): *report
 * is the --json document above (the caller json_decref's it), or NULL after bad
 * input was reported on errout. Returns a TH_COMPARE_* status. */
struct json_t;
int th_compare_judge_texts(const char *base_name, const char *base_text, size_t base_len,
                           const char *new_name, const char *new_text, size_t new_len,
                           const struct th_compare_opts *o, struct json_t **report,
                           FILE *errout) TH_MUST_CHECK;

/* Read one results file as compare reads it: TH_COMPARE_SAME when it is a good one,
 * or TH_COMPARE_BAD_INPUT after saying why on errout ("FILE:LINE:COL: where: why"). */
int th_compare_check_text(const char *name, const char *text, size_t len,
                          FILE *errout) TH_MUST_CHECK;

#endif
