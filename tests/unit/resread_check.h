/* The results reader's verdict on a text, as the tests that feed it check it: refused
 * with "R:1:COL: why" (COL where `at` first occurs in text: the value at fault), or
 * accepted. */
#ifndef TH_RESREAD_CHECK_H
#define TH_RESREAD_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "harness/report/resread.h"
#include "harness/vocab/util.h"
#include "tap.h"

static inline void refused(const char *text, const char *at, const char *why, const char *what)
{
    struct th_res f;
    const char *p = strstr(text, at);
    char *want = th_xasprintf("R:1:%d: %s", p ? (int)(p - text) + 1 : -1, why);
    is_int(th_res_load(&f, "R", text, strlen(text)), -1, "%s: refused", what);
    is_str(f.why, want, "%s: the message", what);
    th_res_free(&f);
    free(want);
}

static inline void accepted(const char *text, const char *what)
{
    struct th_res f;
    int rc = th_res_load(&f, "R", text, strlen(text));
    is_int(rc, 0, "%s: accepted", what);
    if (rc)
        printf("# %s\n", f.why);
    th_res_free(&f);
}

#endif
