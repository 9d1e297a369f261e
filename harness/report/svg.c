/* The SVG writer (svg.h). Layout is computed here in pixels from an estimate of text
 * width (the page's font is the reader's, so labels are cut to a character budget
 * rather than measured). Every number goes out through put_num, which never prints a
 * value that is not finite; callers skip such values before they get that far. */
#include "svg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "harness/vocab/util.h"

#define CHAR_W 6.6   /* average width of a character of the 11 px labels */
#define ROW_H 18.0   /* one bar */
#define GROUP_H 22.0 /* a group heading above bars */
#define AXIS_H 36.0  /* tick labels and the axis title under a plot */
#define VALUE_W 52.0 /* room right of the longest bar for its value */
#define MAX_LABEL 40 /* characters of a bar's label at most */
#define MAX_TICKS 24

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

/* ---- text ---- */

static size_t char_count(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; n++) {
        size_t k = th_utf8_decode(p, NULL);
        p += k ? k : 1;
    }
    return n;
}

void th_svg_escape_cut(FILE *f, const char *s, size_t max_chars)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t total = char_count(s), shown = 0;
    for (; *p && shown < max_chars; shown++) {
        size_t n = th_utf8_decode(p, NULL);
        if (total > max_chars && shown + 1 == max_chars) {
            fputs("…", f);
            break;
        }
        if (!n) {
            fputs("\xEF\xBF\xBD", f); /* U+FFFD */
            p++;
            continue;
        }
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p >= 0x20 || *p == '\t' || *p == '\n')
                fwrite(p, 1, n, f);
            else
                shown--; /* left out: not counted */
        }
        p += n;
    }
}

void th_svg_escape(FILE *f, const char *s)
{
    th_svg_escape_cut(f, s, SIZE_MAX);
}

const char *th_svg_fmt(double v, char *buf, size_t cap)
{
    static const char *const suffix[] = {"", "k", "M", "G", "T"};
    double a = fabs(v);
    int k = 0;
    if (!isfinite(v))
        snprintf(buf, cap, "–");
    else if (v == 0)
        snprintf(buf, cap, "0");
    else if (a >= 9999.5 && a < 999.5e12) {
        while (a >= 999.5 && k < 4) {
            a /= 1000;
            v /= 1000;
            k++;
        }
        snprintf(buf, cap, "%.3g%s", v, suffix[k]);
    } else if (a < 1e-4 || a >= 999.5e12)
        snprintf(buf, cap, "%.2g", v);
    else
        snprintf(buf, cap, "%.4g", v);
    return buf;
}

/* A coordinate or size: one decimal, never NaN or infinity. */
static void put_num(FILE *f, double v)
{
    fprintf(f, "%.1f", isfinite(v) ? v : 0.0);
}

/* ---- scales and ticks ---- */

int th_scale_linear(struct th_scale *s, double d0, double d1, double r0, double r1)
{
    if (!isfinite(d0) || !isfinite(d1) || !isfinite(r0) || !isfinite(r1))
        return -1;
    if (d0 == d1)
        d0 -= 1, d1 += 1;
    if (!isfinite(d1 - d0))
        return -1;
    *s = (struct th_scale){d0, d1, r0, r1, 0};
    return 0;
}

int th_scale_log(struct th_scale *s, double d0, double d1, double r0, double r1)
{
    if (!(d0 > 0) || !(d1 >= d0) || !isfinite(d1) || !isfinite(r0) || !isfinite(r1))
        return -1;
    if (d0 == d1)
        d0 /= 10, d1 *= 10;
    if (!(d0 > 0) || !isfinite(d1))
        return -1;
    *s = (struct th_scale){d0, d1, r0, r1, 1};
    return 0;
}

double th_scale_map(const struct th_scale *s, double v)
{
    double t;
    if (!isfinite(v) || (s->log && !(v > 0)))
        return NAN;
    if (s->log)
        t = (log10(v) - log10(s->d0)) / (log10(s->d1) - log10(s->d0));
    else
        t = (v - s->d0) / (s->d1 - s->d0);
    return s->r0 + t * (s->r1 - s->r0);
}

/* 1, 2 or 5 times a power of ten, near raw; 0 when there is none. */
static double nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw))
        return 0;
    double mag = pow(10, floor(log10(raw))), r = raw / mag;
    double step = (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
    return isfinite(step) && step > 0 ? step : 0;
}

void th_nice_extent(double *lo, double *hi, size_t want)
{
    if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi) {
        *lo = 0, *hi = 1;
        return;
    }
    if (*lo == *hi) {
        double a = fabs(*lo);
        *lo -= a ? a / 2 : 0;
        *hi += a ? a / 2 : 1;
    }
    double step = nice_step((*hi - *lo) / (double)(want ? want : 1));
    if (!step)
        return;
    double l = floor(*lo / step) * step, h = ceil(*hi / step) * step;
    if (isfinite(l) && isfinite(h) && l < h)
        *lo = l, *hi = h;
}

size_t th_ticks_linear(double lo, double hi, size_t want, double *out, size_t cap)
{
    if (!isfinite(lo) || !isfinite(hi) || lo > hi || !cap)
        return 0;
    if (lo == hi) {
        out[0] = lo;
        return 1;
    }
    double step = nice_step((hi - lo) / (double)(want ? want : 1));
    if (!step)
        return 0;
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    if (!isfinite(k0) || !isfinite(k1) || k1 - k0 > 1000)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i <= (size_t)(k1 - k0) && n < cap; i++) {
        double t = (k0 + (double)i) * step;
        if (fabs(t) < step * 1e-9)
            t = 0; /* not -0 or 1e-17 */
        if (n && t <= out[n - 1])
            continue; /* too close to tell apart at this magnitude */
        out[n++] = t;
    }
    return n;
}

/* m x 10^e for m in mult[0..nm) and every e, within [lo, hi]. */
static size_t decade_ticks(double lo, double hi, const int *mult, size_t nm, double *out,
                           size_t cap)
{
    int e0 = (int)fmax(-330, floor(log10(lo))), e1 = (int)fmin(310, floor(log10(hi)));
    size_t n = 0;
    for (int e = e0; e <= e1; e++)
        for (size_t i = 0; i < nm && n < cap; i++) {
            double t = mult[i] * pow(10, e);
            if (isfinite(t) && t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9))
                out[n++] = t;
        }
    return n;
}

size_t th_ticks_log(double lo, double hi, double *out, size_t cap)
{
    static const int one[] = {1}, one_two_five[] = {1, 2, 5};
    if (!(lo > 0) || !isfinite(hi) || lo > hi || !cap)
        return 0;
    size_t n = decade_ticks(lo, hi, one, 1, out, cap);
    return n >= 3 ? n : decade_ticks(lo, hi, one_two_five, 3, out, cap);
}

const char *th_svg_color(int i)
{
    int n = (int)(sizeof(palette) / sizeof(palette[0]));
    return palette[((i % n) + n) % n];
}

/* ---- pieces of a chart ---- */

static void svg_open(FILE *f, const char *cls, double w, double h, const char *label)
{
    fprintf(f, "<svg class=\"%s\" width=\"", cls);
    put_num(f, w);
    fputs("\" height=\"", f);
    put_num(f, h);
    fputs("\" viewBox=\"0 0 ", f);
    put_num(f, w);
    fputc(' ', f);
    put_num(f, h);
    fputs("\" font-size=\"11\" role=\"img\" aria-label=\"", f);
    th_svg_escape(f, label ? label : "chart");
    fputs("\">\n", f);
}

static void no_data(FILE *f, double w, const char *label)
{
    w = isfinite(w) && w > 80 ? w : 300;
    svg_open(f, "chart nodata", w, 40, label);
    fputs("<rect x=\"0.5\" y=\"0.5\" width=\"", f);
    put_num(f, w - 1);
    fputs("\" height=\"39\" fill=\"none\" stroke=\"#ccc\" stroke-dasharray=\"4 3\"/>", f);
    fputs("<text x=\"", f);
    put_num(f, w / 2);
    fputs("\" y=\"24\" text-anchor=\"middle\" fill=\"#777\">no data</text></svg>\n", f);
}

static void line(FILE *f, const char *attrs, double x1, double y1, double x2, double y2)
{
    if (!isfinite(x1) || !isfinite(y1) || !isfinite(x2) || !isfinite(y2))
        return;
    fputs("<line x1=\"", f);
    put_num(f, x1);
    fputs("\" y1=\"", f);
    put_num(f, y1);
    fputs("\" x2=\"", f);
    put_num(f, x2);
    fputs("\" y2=\"", f);
    put_num(f, y2);
    fprintf(f, "\" %s/>", attrs);
}

/* text at (x, y); anchor "start", "middle" or "end"; cut to max_chars. */
static void text(FILE *f, double x, double y, const char *anchor, const char *attrs, const char *s,
                 size_t max_chars)
{
    if (!isfinite(x) || !isfinite(y))
        return;
    fputs("<text x=\"", f);
    put_num(f, x);
    fputs("\" y=\"", f);
    put_num(f, y);
    fprintf(f, "\" text-anchor=\"%s\"%s%s>", anchor, *attrs ? " " : "", attrs);
    th_svg_escape_cut(f, s, max_chars);
    fputs("</text>", f);
}

/* A bottom axis at y over [x0, x1] of scale s, grid lines up to top. */
static void x_axis(FILE *f, const struct th_scale *s, const double *ticks, const char *const *names,
                   size_t n, double top, double y, const char *title)
{
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        double x = th_scale_map(s, ticks[i]);
        line(f, "stroke=\"#e4e4e4\"", x, top, x, y);
        line(f, "stroke=\"#999\"", x, y, x, y + 4);
        text(f, x, y + 15, "middle", "fill=\"#555\"",
             names ? names[i] : th_svg_fmt(ticks[i], buf, sizeof buf), 12);
    }
    line(f, "stroke=\"#999\"", s->r0, y, s->r1, y);
    if (title)
        text(f, (s->r0 + s->r1) / 2, y + 31, "middle", "fill=\"#333\"", title, 80);
}

static void y_axis(FILE *f, const struct th_scale *s, const double *ticks, size_t n, double x0,
                   double x1, const char *title)
{
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        double y = th_scale_map(s, ticks[i]);
        line(f, "stroke=\"#e4e4e4\"", x0, y, x1, y);
        text(f, x0 - 5, y + 4, "end", "fill=\"#555\"", th_svg_fmt(ticks[i], buf, sizeof buf), 8);
    }
    line(f, "stroke=\"#999\"", x0, s->r0, x0, s->r1);
    if (title && isfinite(s->r0) && isfinite(s->r1)) {
        double cy = (s->r0 + s->r1) / 2;
        fputs("<text transform=\"translate(12,", f);
        put_num(f, cy);
        fputs(") rotate(-90)\" text-anchor=\"middle\" fill=\"#333\">", f);
        th_svg_escape_cut(f, title, 60);
        fputs("</text>", f);
    }
}

/* ---- bars ---- */

static int drawable(const struct th_bar *b)
{
    return isfinite(b->value);
}

double th_svg_bar_max(const struct th_bar *bars, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (drawable(&bars[i])) {
            m = fmax(m, bars[i].value);
            if (isfinite(bars[i].hi))
                m = fmax(m, bars[i].hi);
            if (isfinite(bars[i].lo))
                m = fmax(m, bars[i].lo);
        }
    return m;
}

static double bar_min(const struct th_bar *bars, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (drawable(&bars[i]))
            m = fmin(m, isfinite(bars[i].lo) ? fmin(bars[i].lo, bars[i].value) : bars[i].value);
    return m;
}

static int new_group(const struct th_bar *b, const char *last)
{
    return b->group && (!last || strcmp(b->group, last) != 0);
}

static void one_bar(FILE *f, const struct th_bar *b, const struct th_scale *s, double y,
                    double label_x, size_t label_chars)
{
    char v[32], lo[32], hi[32];
    double x0 = th_scale_map(s, 0), xv = th_scale_map(s, b->value), end = fmax(x0, xv);
    fputs("<g class=\"bar\"><title>", f);
    if (b->tip)
        th_svg_escape(f, b->tip);
    else {
        th_svg_escape(f, b->label);
        fprintf(f, ": %s", th_svg_fmt(b->value, v, sizeof v));
        if (isfinite(b->lo) && isfinite(b->hi))
            fprintf(f, " (%s–%s)", th_svg_fmt(b->lo, lo, sizeof lo),
                    th_svg_fmt(b->hi, hi, sizeof hi));
    }
    fputs("</title>", f);
    text(f, label_x, y + 13, "end", "fill=\"#222\"", b->label, label_chars);
    fputs("<rect class=\"bar\" x=\"", f);
    put_num(f, fmin(x0, xv));
    fputs("\" y=\"", f);
    put_num(f, y + 3);
    fputs("\" width=\"", f);
    put_num(f, fmax(1, fabs(xv - x0)));
    fprintf(f, "\" height=\"12\" fill=\"%s\"/>", b->color ? b->color : palette[0]);
    if (isfinite(b->lo) && isfinite(b->hi)) {
        double a = th_scale_map(s, fmin(b->lo, b->hi)), z = th_scale_map(s, fmax(b->lo, b->hi));
        const char *st = "class=\"whisker\" stroke=\"#333\"";
        line(f, st, a, y + 9, z, y + 9);
        line(f, st, a, y + 5, a, y + 13);
        line(f, st, z, y + 5, z, y + 13);
        end = fmax(end, z);
    }
    text(f, end + 4, y + 13, "start", "class=\"value\" fill=\"#222\"",
         th_svg_fmt(b->value, v, sizeof v), 12);
    fputs("</g>\n", f);
}

/* One piece: the height, the label column and the axis all follow from the bars,
 * and the rows are drawn in the same pass that measured them. */
void th_svg_bar_chart(FILE *f, const struct th_bar_chart *c)
{
    double w = isfinite(c->width) && c->width >= 200 ? c->width : 600, h = 4, lo, hi;
    size_t drawn = 0, chars = c->label_chars;
    const char *last = NULL;
    for (size_t i = 0; i < c->n; i++) {
        if (!drawable(&c->bars[i]))
            continue;
        drawn++;
        h += ROW_H + (new_group(&c->bars[i], last) ? GROUP_H : 0);
        last = c->bars[i].group ? c->bars[i].group : last;
        if (!c->label_chars && char_count(c->bars[i].label) > chars)
            chars = char_count(c->bars[i].label);
    }
    if (!drawn) {
        no_data(f, w, c->label);
        return;
    }
    chars = chars > MAX_LABEL ? MAX_LABEL : chars;
    double lw = fmin(chars * CHAR_W + 10, w * 0.45), top = 4, axis_y = h;
    lo = bar_min(c->bars, c->n);
    hi = isfinite(c->max) && c->max > 0 ? fmax(c->max, th_svg_bar_max(c->bars, c->n))
                                        : th_svg_bar_max(c->bars, c->n);
    th_nice_extent(&lo, &hi, 4);
    struct th_scale s;
    if (th_scale_linear(&s, lo, hi, lw, w - VALUE_W) != 0) {
        no_data(f, w, c->label);
        return;
    }
    double ticks[MAX_TICKS];
    size_t nt = th_ticks_linear(lo, hi, 4, ticks, MAX_TICKS);
    svg_open(f, "chart bars", w, h + AXIS_H, c->label);
    x_axis(f, &s, ticks, NULL, nt, top, axis_y, c->axis);
    double y = top;
    last = NULL;
    for (size_t i = 0; i < c->n; i++) {
        const struct th_bar *b = &c->bars[i];
        if (!drawable(b))
            continue;
        if (new_group(b, last)) {
            text(f, 2, y + 16, "start", "class=\"group\" font-weight=\"bold\" fill=\"#222\"",
                 b->group, (size_t)(w / CHAR_W));
            y += GROUP_H;
        }
        last = b->group ? b->group : last;
        one_bar(f, b, &s, y, lw - 6, chars);
        y += ROW_H;
    }
    fputs("</svg>\n", f);
}

/* ---- lines ---- */

static int point_ok(const struct th_line_chart *c, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!c->x_log || x > 0) && (!c->y_log || y > 0);
}

/* The extent of every point that can be drawn (and of the named x ticks); 0 when
 * there is none. */
static int extent(const struct th_line_chart *c, double *x0, double *x1, double *y0, double *y1)
{
    int any = 0;
    *x0 = *y0 = INFINITY;
    *x1 = *y1 = -INFINITY;
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < c->series[i].n; k++) {
            double x = c->series[i].x[k], y = c->series[i].y[k];
            if (!point_ok(c, x, y))
                continue;
            any = 1;
            *x0 = fmin(*x0, x), *x1 = fmax(*x1, x), *y0 = fmin(*y0, y), *y1 = fmax(*y1, y);
        }
    for (size_t i = 0; any && i < c->n_x_ticks; i++)
        if (point_ok(c, c->x_ticks[i].at, 1))
            *x0 = fmin(*x0, c->x_ticks[i].at), *x1 = fmax(*x1, c->x_ticks[i].at);
    return any;
}

/* A log domain widened to whole decades, a linear one to nice steps. */
static int make_scale(struct th_scale *s, int log, double lo, double hi, double r0, double r1)
{
    if (!log) {
        th_nice_extent(&lo, &hi, 5);
        return th_scale_linear(s, lo, hi, r0, r1);
    }
    double l = pow(10, floor(log10(lo))), h = pow(10, ceil(log10(hi)));
    return th_scale_log(s, l > 0 ? l : lo, isfinite(h) ? h : hi, r0, r1);
}

static size_t axis_ticks(const struct th_scale *s, double *t, size_t cap)
{
    return s->log ? th_ticks_log(s->d0, s->d1, t, cap) : th_ticks_linear(s->d0, s->d1, 5, t, cap);
}

static void one_series(FILE *f, const struct th_line_chart *c, size_t i, const struct th_scale *sx,
                       const struct th_scale *sy)
{
    const struct th_series *se = &c->series[i];
    const char *col = se->color ? se->color : th_svg_color((int)i);
    fputs("<g class=\"series\"><title>", f);
    th_svg_escape(f, se->name);
    fprintf(f, "</title><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
    for (size_t k = 0, first = 1; k < se->n; k++)
        if (point_ok(c, se->x[k], se->y[k])) {
            fputs(first ? "" : " ", f);
            put_num(f, th_scale_map(sx, se->x[k]));
            fputc(',', f);
            put_num(f, th_scale_map(sy, se->y[k]));
            first = 0;
        }
    fputs("\"/>", f);
    for (size_t k = 0; k < se->n; k++)
        if (point_ok(c, se->x[k], se->y[k])) {
            fputs("<circle cx=\"", f);
            put_num(f, th_scale_map(sx, se->x[k]));
            fputs("\" cy=\"", f);
            put_num(f, th_scale_map(sy, se->y[k]));
            fprintf(f, "\" r=\"2.5\" fill=\"%s\"/>", col);
        }
    fputs("</g>\n", f);
}

static int series_drawn(const struct th_line_chart *c, size_t i)
{
    for (size_t k = 0; k < c->series[i].n; k++)
        if (point_ok(c, c->series[i].x[k], c->series[i].y[k]))
            return 1;
    return 0;
}

/* The legend under the plot: as many entries a row as fit. Returns its height. */
static double legend(FILE *f, const struct th_line_chart *c, double w, double y, int draw)
{
    size_t chars = 8, per_row, k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (series_drawn(c, i) && char_count(c->series[i].name) > chars)
            chars = char_count(c->series[i].name);
    chars = chars > MAX_LABEL ? MAX_LABEL : chars;
    double ew = chars * CHAR_W + 30;
    per_row = ew < w ? (size_t)(w / ew) : 1;
    for (size_t i = 0; i < c->n; i++) {
        if (!series_drawn(c, i))
            continue;
        double x = 8 + (double)(k % per_row) * ew, ly = y + 14 + (double)(k / per_row) * 16;
        if (draw) {
            char attrs[64];
            snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"3\"",
                     c->series[i].color ? c->series[i].color : th_svg_color((int)i));
            line(f, attrs, x, ly - 4, x + 18, ly - 4);
            text(f, x + 24, ly, "start", "class=\"legend\" fill=\"#222\"", c->series[i].name,
                 chars);
        }
        k++;
    }
    return k ? 8 + (double)((k + per_row - 1) / per_row) * 16 : 0;
}

void th_svg_line_chart(FILE *f, const struct th_line_chart *c)
{
    double w = isfinite(c->width) && c->width >= 200 ? c->width : 600;
    double h = isfinite(c->height) && c->height >= 120 ? c->height : 300;
    double x0, x1, y0, y1, ml = 62, mr = 18, mt = 10, mb = AXIS_H + 4;
    struct th_scale sx, sy;
    /* named x ticks (percentiles) span the data exactly; other axes end on nice steps */
    int exact_x = c->x_ticks && !c->x_log;
    if (!extent(c, &x0, &x1, &y0, &y1) ||
        (exact_x ? th_scale_linear(&sx, x0, x1, ml, w - mr)
                 : make_scale(&sx, c->x_log, x0, x1, ml, w - mr)) != 0 ||
        make_scale(&sy, c->y_log, y0, y1, h - mb, mt) != 0) {
        no_data(f, w, c->label);
        return;
    }
    double lh = legend(f, c, w, h, 0), xt[MAX_TICKS], yt[MAX_TICKS];
    const char *names[MAX_TICKS];
    size_t nx = 0, ny = axis_ticks(&sy, yt, MAX_TICKS);
    if (c->x_ticks) {
        for (size_t i = 0; i < c->n_x_ticks && nx < MAX_TICKS; i++)
            if (point_ok(c, c->x_ticks[i].at, 1))
                xt[nx] = c->x_ticks[i].at, names[nx++] = c->x_ticks[i].label;
    } else
        nx = axis_ticks(&sx, xt, MAX_TICKS);
    svg_open(f, "chart lines", w, h + lh, c->label);
    y_axis(f, &sy, yt, ny, ml, w - mr, c->y_axis);
    x_axis(f, &sx, xt, c->x_ticks ? names : NULL, nx, mt, h - mb, c->x_axis);
    for (size_t i = 0; i < c->n; i++)
        if (series_drawn(c, i))
            one_series(f, c, i, &sx, &sy);
    legend(f, c, w, h, 1);
    fputs("</svg>\n", f);
}

void th_svg_meter(FILE *f, double value, double lo, double hi, double width, const char *color)
{
    double w = isfinite(width) && width > 4 ? width : 60, t = (value - lo) / (hi - lo);
    fputs("<svg class=\"meter\" width=\"", f);
    put_num(f, w);
    fputs("\" height=\"10\" aria-hidden=\"true\"><rect width=\"", f);
    put_num(f, w);
    fputs("\" height=\"10\" fill=\"#eee\"/>", f);
    if (isfinite(t)) {
        fputs("<rect width=\"", f);
        put_num(f, w * fmin(1, fmax(0, t)));
        fprintf(f, "\" height=\"10\" fill=\"%s\"/>", color ? color : palette[0]);
    }
    fputs("</svg>", f);
}
