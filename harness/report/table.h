/* A text table for the terminal: a label column and columns of right-aligned cells,
 * rows and columns named as they are first used. Long headers wrap over several
 * lines at '_', '-', '@', ':' or a space; columns that do not fit the width go on in a
 * further block that repeats the label column. */
#ifndef TH_TABLE_H
#define TH_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "harness/vocab/error.h"

struct th_table;

/* corner: the label column's header (e.g. "client-vs-server"). */
struct th_table *th_table_new(const char *corner);
void th_table_free(struct th_table *t);

/* The index of the column or row of that name, added at the end when new. */
size_t th_table_col(struct th_table *t, const char *header);
size_t th_table_row(struct th_table *t, const char *label);
size_t th_table_rows(const struct th_table *t);
size_t th_table_cols(const struct th_table *t);

/* The cell's text (replacing any before). An unset cell prints ".". */
void th_table_set(struct th_table *t, size_t row, size_t col, const char *fmt, ...) TH_PRINTF(4, 5);

/* The cell printed in colour sgr (an ANSI sequence that outlives the table, e.g. a
 * string literal; NULL: none). Colour takes no column. */
void th_table_paint(struct th_table *t, size_t row, size_t col, const char *sgr);

/* The table, indented by indent spaces, in as many blocks as width needs (0: one). */
void th_table_print(FILE *out, const struct th_table *t, int indent, int width);

/* A number with the precision its size deserves: three significant digits or more
 * (1234, 123, 12.3, 1.23, 0.123), no exponent; "-" when not finite. */
void th_table_num(char *buf, size_t cap, double x);

/* Header lines of text wrapped to at most max columns at '_', '-', '@', '/', ':' (kept
 * at the end of the line) or ' ' (dropped); a piece longer than max stays whole.
 * Fills lines[0..n) (pointers into buf) and returns n, at most max_lines (the last
 * line then takes the rest). */
size_t th_table_wrap(const char *text, size_t max, char *buf, size_t cap, const char **lines,
                     size_t max_lines);

#endif
