/* The terminal as the reports meet it: whether to colour, how wide a line may be,
 * and text cut to that width. The run's progress line, summary and tables use it;
 * the CLI decides once and passes the answers down. */
#ifndef TH_TERM_H
#define TH_TERM_H

#include <stddef.h>
#include <stdio.h>

#include "harness/vocab/error.h"
#include "harness/vocab/outcome.h"

enum th_color_when { TH_COLOR_AUTO = 0, TH_COLOR_ALWAYS, TH_COLOR_NEVER };

/* "auto", "always" or "never" into *when: 0, or -1 for anything else. */
int th_color_parse(const char *text, enum th_color_when *when) TH_MUST_CHECK;

/* Colour or not: always and never say so; auto colours when fd is a terminal, TERM
 * is set and not "dumb", and NO_COLOR is unset or empty (no-color.org). */
int th_color_wanted(enum th_color_when when, int fd);

/* The columns of the terminal on fd (TIOCGWINSZ), or 0 when fd is not a terminal or
 * does not say. */
int th_term_columns(int fd);

/* TERM names a terminal that can move the cursor back to the line's start and
 * overwrite it ("dumb" cannot be relied on to). */
int th_term_capable(void);

/* Display columns of UTF-8 text: its code points (no wide characters here). */
size_t th_text_columns(const char *s);

/* s on out, cut to at most columns display columns, the last one "…" when cut;
 * columns <= 0: whole. Returns 1 when it was cut. */
int th_put_cut(FILE *out, const char *s, int columns);

/* The same into buf (cap bytes, always terminated): 1 when it was cut. */
int th_cut(char *buf, size_t cap, const char *s, int columns);

/* The escape sequence that colours a status word (green pass, yellow xfail and
 * xpass, dim skip, red the rest); the caller resets with "\033[0m". */
const char *th_status_colour(enum th_status s);

#endif
