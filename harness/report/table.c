/* The terminal's text table (table.h). Every header, label and cell is kept as
 * th_text_safe made it (vocab/text.h): a row may be named by a scenario file or a
 * cell hold a library's words, and no control byte may reach the terminal. */
#include "table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/text.h"
#include "harness/vocab/util.h"
#include "term.h"

/* A header wraps to the width of its cells, but never narrower than this. */
#define HEAD_MIN 8
/* nor, when it needs wrapping at all, wider than this */
#define HEAD_MAX 16
#define MAX_HEAD_LINES 4
#define GAP 2

struct cell {
    char *text;
    const char *sgr; /* an ANSI colour, or NULL */
};

struct th_table {
    char *corner;
    char **cols, **rows;
    size_t n_cols, n_rows;
    struct cell **cells; /* [row][col], each row n_cols long once set */
    size_t *row_len;
};

/* s made printable (a control byte becomes \xNN: four bytes at most for one). */
static char *safe_dup(const char *s)
{
    size_t cap = 4 * strlen(s ? s : "") + 1;
    return th_text_safe(th_xmalloc(cap), cap, s);
}

struct th_table *th_table_new(const char *corner)
{
    struct th_table *t = th_xcalloc(1, sizeof(*t));
    t->corner = safe_dup(corner);
    return t;
}

void th_table_free(struct th_table *t)
{
    if (!t)
        return;
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t c = 0; c < t->row_len[r]; c++)
            free(t->cells[r][c].text);
        free(t->cells[r]);
        free(t->rows[r]);
    }
    for (size_t c = 0; c < t->n_cols; c++)
        free(t->cols[c]);
    free(t->cols);
    free(t->rows);
    free(t->cells);
    free(t->row_len);
    free(t->corner);
    free(t);
}

/* Names are compared as kept (made printable): the same name finds the same row. */
static size_t find_or_add(char ***names, size_t *n, const char *name)
{
    char *safe = safe_dup(name);
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], safe) == 0) {
            free(safe);
            return i;
        }
    *names = th_xrealloc(*names, (*n + 1) * sizeof(**names));
    (*names)[*n] = safe;
    return (*n)++;
}

size_t th_table_col(struct th_table *t, const char *header)
{
    return find_or_add(&t->cols, &t->n_cols, header);
}

size_t th_table_row(struct th_table *t, const char *label)
{
    size_t before = t->n_rows, r = find_or_add(&t->rows, &t->n_rows, label);
    if (t->n_rows != before) {
        t->cells = th_xrealloc(t->cells, t->n_rows * sizeof(*t->cells));
        t->row_len = th_xrealloc(t->row_len, t->n_rows * sizeof(*t->row_len));
        t->cells[r] = NULL;
        t->row_len[r] = 0;
    }
    return r;
}

size_t th_table_rows(const struct th_table *t)
{
    return t->n_rows;
}

size_t th_table_cols(const struct th_table *t)
{
    return t->n_cols;
}

/* The cell, its row grown to every column first. */
static struct cell *cell_at(struct th_table *t, size_t row, size_t col)
{
    if (row >= t->n_rows || col >= t->n_cols)
        return NULL;
    if (t->row_len[row] < t->n_cols) {
        t->cells[row] = th_xrealloc(t->cells[row], t->n_cols * sizeof(struct cell));
        memset(t->cells[row] + t->row_len[row], 0,
               (t->n_cols - t->row_len[row]) * sizeof(struct cell));
        t->row_len[row] = t->n_cols;
    }
    return &t->cells[row][col];
}

void th_table_set(struct th_table *t, size_t row, size_t col, const char *fmt, ...)
{
    struct cell *x = cell_at(t, row, col);
    if (!x)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        text = th_xstrdup("?");
    va_end(ap);
    free(x->text);
    x->text = safe_dup(text);
    free(text);
}

void th_table_paint(struct th_table *t, size_t row, size_t col, const char *sgr)
{
    struct cell *x = cell_at(t, row, col);
    if (x)
        x->sgr = sgr;
}

static const char *cell(const struct th_table *t, size_t r, size_t c)
{
    return c < t->row_len[r] && t->cells[r][c].text ? t->cells[r][c].text : ".";
}

static const char *paint(const struct th_table *t, size_t r, size_t c)
{
    return c < t->row_len[r] ? t->cells[r][c].sgr : NULL;
}

void th_table_num(char *buf, size_t cap, double x)
{
    if (!isfinite(x)) {
        snprintf(buf, cap, "-");
        return;
    }
    double a = fabs(x);
    int decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    snprintf(buf, cap, "%.*f", decimals, x);
    if (strcmp(buf, "-0") == 0 || strcmp(buf, "-0.000") == 0)
        snprintf(buf, cap, "%.*f", decimals, 0.0);
}

static int breaks_after(char c)
{
    return c == '_' || c == '-' || c == '@' || c == '/' || c == ':';
}

/* How much of p the next header line takes: up to the last break within max, or
 * the whole first piece when even that is longer. */
static size_t line_take(const char *p, size_t max)
{
    size_t len = strlen(p), take = 0;
    if (len <= max)
        return len;
    for (size_t i = 0; i < max; i++) {
        if (breaks_after(p[i]))
            take = i + 1;
        else if (p[i + 1] == ' ')
            take = i + 1;
    }
    if (take)
        return take;
    while (p[take] && p[take] != ' ' && !breaks_after(p[take]))
        take++;
    return p[take] && p[take] != ' ' ? take + 1 : take;
}

size_t th_table_wrap(const char *text, size_t max, char *buf, size_t cap, const char **lines,
                     size_t max_lines)
{
    size_t n = 0, used = 0;
    const char *p = text;
    while (*p && n < max_lines) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t take = n + 1 == max_lines ? strlen(p) : line_take(p, max);
        if (used + take + 1 > cap)
            break;
        memcpy(buf + used, p, take);
        buf[used + take] = '\0';
        /* a space before the break is not part of the line */
        for (size_t e = used + take; e > used && buf[e - 1] == ' ';)
            buf[--e] = '\0';
        lines[n++] = buf + used;
        used += take + 1;
        p += take;
    }
    return n;
}

/* Each column's header lines and width. */
struct col_layout {
    char buf[256];
    const char *lines[MAX_HEAD_LINES];
    size_t n_lines;
    size_t width;
};

static size_t wrap_col(const char *head, size_t max, struct col_layout *l)
{
    l->n_lines = th_table_wrap(head, max, l->buf, sizeof(l->buf), l->lines, MAX_HEAD_LINES);
    size_t longest = 0;
    for (size_t i = 0; i < l->n_lines; i++) {
        size_t w = th_text_columns(l->lines[i]);
        longest = w > longest ? w : longest;
    }
    return longest;
}

static void layout_col(const struct th_table *t, size_t c, struct col_layout *l)
{
    size_t cells = 1;
    for (size_t r = 0; r < t->n_rows; r++) {
        size_t w = th_text_columns(cell(t, r, c));
        cells = w > cells ? w : cells;
    }
    size_t head = strlen(t->cols[c]), max = cells > HEAD_MIN ? cells : HEAD_MIN;
    if (head > max && max < HEAD_MAX)
        max = head < HEAD_MAX ? head : HEAD_MAX;
    size_t longest = wrap_col(t->cols[c], max, l), lines = l->n_lines, best = max;
    /* as narrow as keeps that many lines: "TLS_AES_128_" over "GCM_SHA256", not
     * "TLS_AES_128_GCM_" over "SHA256" */
    for (size_t w = cells; w < max && lines > 1; w++)
        if (wrap_col(t->cols[c], w, l) <= longest && l->n_lines == lines) {
            best = w;
            break;
        }
    longest = wrap_col(t->cols[c], best, l);
    l->width = cells > longest ? cells : longest;
}

/* One printed line, its trailing blanks dropped. */
static void put_line(FILE *out, char *line)
{
    size_t n = strlen(line);
    while (n && line[n - 1] == ' ')
        line[--n] = '\0';
    fputs(line, out);
    fputc('\n', out);
}

/* text padded to width (on the left: right-aligned), in colour sgr when not NULL */
static void append(char **line, size_t *len, int pad_left, size_t width, const char *text,
                   const char *sgr)
{
    size_t cols = th_text_columns(text), pad = width > cols ? width - cols : 0;
    char *painted = sgr ? th_xasprintf("%s%s\033[0m", sgr, text) : NULL;
    if (painted)
        text = painted;
    size_t bytes = strlen(text);
    *line = th_xrealloc(*line, *len + pad + bytes + 1);
    char *w = *line + *len;
    if (pad_left) {
        memset(w, ' ', pad);
        memcpy(w + pad, text, bytes);
    } else {
        memcpy(w, text, bytes);
        memset(w + bytes, ' ', pad);
    }
    *len += pad + bytes;
    (*line)[*len] = '\0';
    free(painted);
}

static void print_block(FILE *out, const struct th_table *t, const struct col_layout *l,
                        size_t from, size_t to, int indent, size_t label_w)
{
    size_t head = 1;
    for (size_t c = from; c < to; c++)
        head = l[c].n_lines > head ? l[c].n_lines : head;
    char *line = NULL;
    for (size_t k = 0; k < head + t->n_rows; k++) {
        size_t len = 0;
        append(&line, &len, 1, (size_t)indent, "", NULL);
        if (k < head)
            append(&line, &len, 0, label_w, k + 1 == head ? t->corner : "", NULL);
        else
            append(&line, &len, 0, label_w, t->rows[k - head], NULL);
        for (size_t c = from; c < to; c++) {
            append(&line, &len, 1, GAP, "", NULL);
            if (k < head) /* headers sit on their last lines, over the numbers */
                append(&line, &len, 1, l[c].width,
                       k + l[c].n_lines >= head ? l[c].lines[k + l[c].n_lines - head] : "", NULL);
            else
                append(&line, &len, 1, l[c].width, cell(t, k - head, c), paint(t, k - head, c));
        }
        put_line(out, line);
    }
    free(line);
}

void th_table_print(FILE *out, const struct th_table *t, int indent, int width)
{
    struct col_layout *l = th_xcalloc(t->n_cols ? t->n_cols : 1, sizeof(*l));
    size_t label_w = th_text_columns(t->corner);
    for (size_t r = 0; r < t->n_rows; r++) {
        size_t w = th_text_columns(t->rows[r]);
        label_w = w > label_w ? w : label_w;
    }
    for (size_t c = 0; c < t->n_cols; c++)
        layout_col(t, c, &l[c]);
    size_t from = 0;
    do {
        size_t to = from, used = (size_t)indent + label_w;
        /* at least one column a block, then as many as the width holds */
        while (to < t->n_cols &&
               (to == from || width <= 0 || used + GAP + l[to].width <= (size_t)width))
            used += GAP + l[to++].width;
        if (from)
            fputc('\n', out);
        print_block(out, t, l, from, to, indent, label_w);
        from = to;
    } while (from < t->n_cols);
    free(l);
}
