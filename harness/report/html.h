/* `tlsharness report`: one self-contained HTML page from a results file (DESIGN.md
 * "Results file"), optionally compared with a baseline: the verdict, the conformance
 * matrix, the benchmark kinds drawn as charts (svg.h), the environment. Inline CSS
 * and SVG only: no script, no font, no reference to the network; readable with
 * scripts off, and printable. */
#ifndef TH_HTML_H
#define TH_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "harness/vocab/error.h"

/* Write the report of the results file `results` to out_path atomically, with the
 * comparison against the results file `base` when base is not NULL. 0, or -1 with
 * err: the user's input (TH_INPUT, "FILE:LINE:COL: where: why", one line per bad
 * file, as `tlsharness compare` says it) when a file cannot be read or is not a
 * results file, when out_path is one of them, or when out_path cannot be written
 * (its folder is made if needed); nothing is written then. */
int th_report_html(const char *out_path, const char *results, const char *base,
                   struct th_error *err) TH_MUST_CHECK;

/* The page of texts already in memory, on out. name and base_name are what the page
 * and the messages call them; base_text NULL: no comparison. 0, or -1 with err as
 * above (nothing written on out). */
int th_report_html_texts(FILE *out, const char *name, const char *text, size_t len,
                         const char *base_name, const char *base_text, size_t base_len,
                         struct th_error *err) TH_MUST_CHECK;

#endif
