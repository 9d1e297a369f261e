/* The scenario reader: scenario files (JSON, see scenarios/README.md) read strictly
 * and expanded into cases, one per variant x client x server. Every error in the
 * input names FILE:LINE:COL and the reason. The case type itself is in case.h. */
#ifndef TH_SCENARIO_H
#define TH_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "case.h"
#include "harness/fixture/fixture.h"
#include "harness/vocab/error.h"
#include "harness/vocab/outcome.h"
#include "harness/vocab/util.h"

struct th_plan {
    struct th_case *cases;
    size_t n, cap;
};

struct th_diag {
    char file[512];
    int line, col; /* 1-based; 0 when not known */
    char msg[512];
};

/* Called for each error found; the reader goes on with the next file. */
typedef void (*th_diag_fn)(const struct th_diag *d, void *arg);

struct th_read_opts {
    const char *backends; /* comma-separated names to keep, or NULL: all compiled in */
    const char *filter;   /* fnmatch(3) glob over case ids, or NULL */
    /* The backends to expand "*" over and to look names up in; NULL-terminated.
     * NULL: th_backends (the registry). Tests pass fakes here. */
    const struct th_backend *const *registry;
};

/* Read scenario files and folders (folders: every *.json below, sorted) into plan.
 * Returns 0, or the number of errors reported through diag (the plan then holds
 * what could be read). */
int th_plan_read(struct th_plan *plan, const char *const *paths, size_t n_paths,
                 const struct th_read_opts *opts, th_diag_fn diag, void *arg) TH_MUST_CHECK;
/* The same for one scenario held in memory (text[0..len), not NUL-terminated):
 * name stands for the file in diagnostics and in the cases' "file", and relative
 * paths in it start from the current folder. For a scenario a command builds from
 * its options (`tlsharness load`). */
int th_plan_read_text(struct th_plan *plan, const char *name, const char *text, size_t len,
                      const struct th_read_opts *opts, th_diag_fn diag, void *arg) TH_MUST_CHECK;
void th_plan_free(struct th_plan *plan);

#endif
