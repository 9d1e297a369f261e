/* Where a value sits in a JSON text. jansson 2.14 keeps no positions of values, so
 * the scenario reader and the results reader find them again here to report
 * FILE:LINE:COL for semantic errors. A minimal tokenizer: it skips strings and
 * scalars, tracks line and column, and descends objects and arrays along a path. */
#ifndef TH_JSONPOS_H
#define TH_JSONPOS_H

#include <stddef.h>

#include "error.h"

/* One step of a path: an object key, or (key NULL) an array index. */
struct th_jpath {
    const char *key;
    size_t index;
};

/* Find where the value at path starts (line and column 1-based, columns counted in
 * characters as jansson counts them). An empty path is the top-level value. With
 * at_key and a last step that is a key, point at that key instead of its value.
 * Returns 0, or -1 when the path is not in the text; line/col then point at the
 * deepest value found on the way. */
int th_jsonpos_find(const char *text, size_t len, const struct th_jpath *path, size_t n, int at_key,
                    int *line, int *col) TH_MUST_CHECK;
/* The same for an error message, which points somewhere either way: line and col as
 * th_jsonpos_find leaves them, found or not. */
void th_jsonpos_near(const char *text, size_t len, const struct th_jpath *path, size_t n,
                     int at_key, int *line, int *col);

#endif
