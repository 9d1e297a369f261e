/* The one reader of results files (DESIGN.md "Results file") for the commands that
 * take them as input: compare, merge and the HTML report. A file is read and checked
 * whole, every case as strictly as the next (the id, the status in the vocabulary,
 * numbers that are numbers, metrics {median, min, max, n >= 1, unit}), so that what
 * one command accepts the others accept too, and bad input is said once, in one
 * place, the same way. */
#ifndef TH_RESREAD_H
#define TH_RESREAD_H

#include <jansson.h>
#include <stddef.h>

#include "harness/vocab/error.h"

struct th_res_case {
    const char *id, *status, *reason; /* reason NULL when absent or null */
    json_t *obj;                      /* the case object, borrowed from the file */
    json_t *metrics;                  /* NULL when absent or null; every value checked */
    size_t index;                     /* in the file's cases array */
};

struct th_res {
    const char *name; /* as messages call it */
    const char *text;
    size_t len;
    char *owned;                   /* the text, when th_res_read read it */
    json_t *root, *env, *backends; /* env, backends: NULL when absent */
    struct th_res_case *cases;
    size_t n;
    struct th_res_case **by_id; /* sorted by id */
    int interrupted;            /* "interrupted": true (a stopped run, or a checkpoint) */
    /* after a failed read: "NAME:LINE:COL: where: why" (or "NAME: cannot read: why"),
     * one line, anything taken from the file escaped (vocab/text.h) */
    char why[1024];
};

/* One metric of a checked file. */
struct th_res_metric {
    const char *unit; /* NULL: none recorded */
    double median, min, max;
    json_int_t n; /* 0: not recorded */
    int has_median, has_spread;
};

/* Read text (len bytes, not NUL-terminated, may hold NULs) called name; f is
 * overwritten. 0, or -1 with f->why. Either way th_res_free(f) after. */
int th_res_load(struct th_res *f, const char *name, const char *text, size_t len) TH_MUST_CHECK;
/* The same for the file at path. */
int th_res_read(struct th_res *f, const char *path) TH_MUST_CHECK;
void th_res_free(struct th_res *f);

/* The case with this id, or NULL. */
const struct th_res_case *th_res_find(const struct th_res *f, const char *id);
/* A metric value of a file th_res_load accepted (so it reads). */
void th_res_metric(const json_t *v, struct th_res_metric *m);

#endif
