/* A small SVG writer for the HTML report (html*.c): scales, nice ticks, axes with
 * units, horizontal bars with min-max whiskers, polylines. Charts are drawn from the
 * numbers, never from text (STYLE.md 17), inline in the page: no xmlns, no script,
 * no reference to anything outside.
 *
 * Two promises every function keeps: a number it prints is finite (a value that is
 * NaN or infinite, or not positive on a log scale, is skipped: its bar, point or
 * label is not drawn), and a string it prints is escaped for HTML and SVG alike. A
 * chart with nothing left to draw says "no data". */
#ifndef TH_SVG_H
#define TH_SVG_H

#include <stddef.h>
#include <stdio.h>

/* ---- text ---- */

/* s with & < > " ' escaped, bytes that are not UTF-8 as U+FFFD, and control
 * characters other than tab and newline left out. NULL prints nothing. */
void th_svg_escape(FILE *f, const char *s);
/* The same, cut to at most max_chars characters (the last one then an ellipsis). */
void th_svg_escape_cut(FILE *f, const char *s, size_t max_chars);
/* A number as a chart labels it: 3 or 4 significant digits, k/M/G/T above 10^4,
 * "0" for zero, "–" for NaN or infinity. buf of at least 16 bytes. Returns buf. */
const char *th_svg_fmt(double v, char *buf, size_t cap);

/* ---- scales and ticks ---- */

struct th_scale {
    double d0, d1; /* the domain */
    double r0, r1; /* the range, in pixels */
    int log;       /* base-10 logarithmic */
};

/* A linear scale: 0, or -1 when a bound is not finite. An empty domain (d0 == d1) is
 * widened by one either side. */
int th_scale_linear(struct th_scale *s, double d0, double d1, double r0, double r1);
/* A log scale over 0 < d0 <= d1: 0, or -1 when the domain is not positive and
 * finite. An empty domain is widened by a factor of ten either side. */
int th_scale_log(struct th_scale *s, double d0, double d1, double r0, double r1);
/* Where v falls in the range; NaN when v is not finite, or not positive on a log
 * scale. Values outside the domain map outside the range. */
double th_scale_map(const struct th_scale *s, double v);

/* Widen [*lo, *hi] to multiples of the step that th_ticks_linear would take for
 * about `want` ticks; an empty or non-finite extent becomes [0, 1]. */
void th_nice_extent(double *lo, double *hi, size_t want);
/* Ticks at a nice step (1, 2 or 5 times a power of ten) giving about `want` of them
 * over [lo, hi]; at most cap. Returns how many were written. */
size_t th_ticks_linear(double lo, double hi, size_t want, double *out, size_t cap);
/* Ticks at the powers of ten in [lo, hi] (0 < lo <= hi), with 2 and 5 times them
 * where that gives fewer than three; at most cap. */
size_t th_ticks_log(double lo, double hi, double *out, size_t cap);

/* The palette: a colour for index i (any int), as "#rrggbb". */
const char *th_svg_color(int i);

/* ---- charts ---- */

struct th_bar {
    const char *group; /* a heading row above the bar when it differs from the last */
    const char *label; /* left of the bar */
    double value;      /* the bar; NaN: this bar is skipped */
    double lo, hi;     /* the whisker (min-max); NaN: none */
    const char *color; /* NULL: the palette's first */
    const char *tip;   /* the tooltip (a <title>); NULL: label and value */
};

struct th_bar_chart {
    const struct th_bar *bars;
    size_t n;
    const char *axis;   /* the axis title, unit included: "throughput (MiB/s)" */
    const char *label;  /* aria-label of the chart */
    double width;       /* pixels; the height follows from the rows */
    double max;         /* a shared end of the axis (small multiples); 0: from the bars */
    size_t label_chars; /* width of the label column in characters; 0: from the labels */
};

/* Horizontal bars from zero, each <g class="bar">, with a whisker from lo to hi and
 * the value at its end, over a bottom axis with grid lines. */
void th_svg_bar_chart(FILE *f, const struct th_bar_chart *c);
/* The largest value or whisker end of the bars that would be drawn; 0 when none. */
double th_svg_bar_max(const struct th_bar *bars, size_t n);

struct th_series {
    const char *name;
    const double *x, *y;
    size_t n;
    const char *color; /* NULL: from the palette by position */
};

/* A tick of the x axis named by its caller ("p99" at 2). */
struct th_tick {
    double at;
    const char *label;
};

struct th_line_chart {
    const struct th_series *series;
    size_t n;
    const char *x_axis, *y_axis; /* axis titles with units */
    int x_log, y_log;
    const struct th_tick *x_ticks; /* NULL: nice ticks */
    size_t n_x_ticks;
    const char *label;    /* aria-label */
    double width, height; /* of the plot with its axes; the legend adds below */
};

/* One <g class="series"> per series with any point left: a polyline through its
 * points in order and a dot on each, then a legend. Points with a coordinate that
 * cannot be drawn are skipped, and the line joins the points on either side. */
void th_svg_line_chart(FILE *f, const struct th_line_chart *c);

/* A small inline bar: value within [lo, hi] as a filled part of width pixels. */
void th_svg_meter(FILE *f, double value, double lo, double hi, double width, const char *color);

#endif
