/* The terminal summary (summary.h): the benchmark tables, a table of client-vs-server
 * pairs by status, the client x server matrix when more than one backend ran, each
 * failing case with its reason, known deviations (which stay visible), and skips
 * grouped by reason. A reason is cut to the line's width: the results file keeps it
 * whole. Reasons, case ids and server names can carry a peer's or a file's bytes:
 * they are printed through th_text_safe (vocab/text.h), so no control byte reaches
 * the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "summary.h"
#include "table.h"
#include "harness/vocab/text.h"
#include "term.h"

/* s made printable (a control byte becomes \xNN: at most four bytes for one), in
 * memory the caller frees. */
static char *safe_dup(const char *s)
{
    size_t cap = 4 * strlen(s ? s : "") + 1;
    return th_text_safe(th_xmalloc(cap), cap, s);
}

static const char *client_name(const struct th_case *c)
{
    return c->client ? c->client->name : "?";
}

/* text right-aligned in width columns, coloured as status s when colour is on. */
static void put_cell(FILE *out, const char *text, int width, enum th_status s, int color)
{
    fprintf(out, "%*s", width - (int)strlen(text), "");
    if (color)
        fprintf(out, "%s%s\033[0m", th_status_colour(s), text);
    else
        fputs(text, out);
}

struct pair_row {
    char *name;
    size_t counts[TH_STATUS_COUNT];
};

struct pair_table {
    struct pair_row *rows;
    size_t n;
    int width; /* of the name column */
};

static char *pair_name(const struct th_case *c)
{
    char *raw = th_xasprintf("%s-vs-%s", client_name(c), c->server_name ? c->server_name : "?");
    char *name = safe_dup(raw);
    free(raw);
    return name;
}

static void pairs_add(struct pair_table *t, const struct th_case_result *r)
{
    char *name = pair_name(r->c);
    size_t i = 0;
    while (i < t->n && strcmp(t->rows[i].name, name) != 0)
        i++;
    if (i == t->n) {
        t->rows = th_xrealloc(t->rows, (t->n + 1) * sizeof(*t->rows));
        memset(&t->rows[i], 0, sizeof(t->rows[i]));
        t->rows[t->n++].name = name;
        if ((int)strlen(name) > t->width)
            t->width = (int)strlen(name);
    } else
        free(name);
    unsigned s = (unsigned)r->status;
    t->rows[i].counts[s < TH_STATUS_COUNT ? s : TH_ERROR]++;
}

#define CELL 6

static void print_row(FILE *out, int width, const char *name, const size_t counts[], int color)
{
    size_t total = 0;
    fprintf(out, "%-*s", width, name);
    for (int s = 0; s < TH_STATUS_COUNT; s++) {
        char num[24];
        snprintf(num, sizeof(num), "%zu", counts[s]);
        put_cell(out, counts[s] ? num : ".", CELL, (enum th_status)s, color && counts[s]);
        total += counts[s];
    }
    fprintf(out, "%*zu\n", CELL, total);
}

static void print_table(FILE *out, const struct th_run *run, int color)
{
    struct pair_table t = {NULL, 0, (int)strlen("TOTAL")};
    for (size_t i = 0; i < run->n; i++)
        pairs_add(&t, &run->results[i]);
    fprintf(out, "%-*s", t.width, "pair");
    for (int s = 0; s < TH_STATUS_COUNT; s++)
        put_cell(out, th_status_name((enum th_status)s), CELL, (enum th_status)s, color);
    fprintf(out, "%*s\n", CELL, "total");
    for (size_t i = 0; i < t.n; i++) {
        print_row(out, t.width, t.rows[i].name, t.rows[i].counts, color);
        free(t.rows[i].name);
    }
    free(t.rows);
    size_t counts[TH_STATUS_COUNT];
    th_run_counts(run, counts);
    print_row(out, t.width, "TOTAL", counts, color);
}

static const char *reason_of(const struct th_case_result *r)
{
    return r->reason[0] ? r->reason : "(no reason given)";
}

static int is_problem(enum th_status s)
{
    return s == TH_FAIL || s == TH_XPASS || s == TH_ERROR || (unsigned)s >= TH_STATUS_COUNT;
}

static void print_status_word(FILE *out, enum th_status s, int color)
{
    const char *name = th_status_name(s);
    if (color)
        fprintf(out, "%s%s\033[0m%*s", th_status_colour(s), name, 6 - (int)strlen(name), "");
    else
        fprintf(out, "%-6s", name);
}

/* s made printable, then cut to columns; 1 when it was cut. */
static int put_safe_cut(FILE *out, const char *s, int columns)
{
    char *safe = safe_dup(s);
    int cut = th_put_cut(out, safe, columns);
    free(safe);
    return cut;
}

/* "  PREFIX: reason" cut to the width; 1 when the reason was cut. */
static int print_reason(FILE *out, const char *prefix, const char *reason, int width)
{
    char *line = th_xasprintf("%s: %s", prefix, reason);
    int cut = put_safe_cut(out, line, width > 2 ? width - 2 : width);
    fputc('\n', out);
    free(line);
    return cut;
}

/* Returns 1 when a reason was cut. */
static int print_failures(FILE *out, const struct th_run *run, const struct th_summary_opts *o)
{
    int header = 0, cut = 0;
    for (size_t i = 0; i < run->n; i++) {
        const struct th_case_result *r = &run->results[i];
        if (!is_problem(r->status))
            continue;
        if (!header++)
            fputs("\nFailures:\n", out);
        fputs("  ", out);
        print_status_word(out, r->status, o->color);
        /* the status word took 6 columns of the line */
        cut |= print_reason(out, r->c->id, reason_of(r), o->width > 6 ? o->width - 6 : o->width);
    }
    return cut;
}

/* A library accepting what it should refuse is a known deviation, not a pass: list
 * each one so it stays in sight. Returns 1 when a reason was cut. */
static int print_xfails(FILE *out, const struct th_run *run, const struct th_summary_opts *o)
{
    int header = 0, cut = 0;
    for (size_t i = 0; i < run->n; i++) {
        const struct th_case_result *r = &run->results[i];
        if (r->status != TH_XFAIL)
            continue;
        if (!header++)
            fprintf(out, "\nKnown deviations (%sxfail%s):\n",
                    o->color ? th_status_colour(TH_XFAIL) : "", o->color ? "\033[0m" : "");
        fputs("  ", out);
        cut |= print_reason(out, r->c->id, reason_of(r), o->width);
    }
    return cut;
}

/* Skips by reason: a missing capability skips many cases for one cause. */
static void print_skips(FILE *out, const struct th_run *run, int color, int width)
{
    const char **reasons = NULL;
    size_t *counts = NULL, n = 0;
    for (size_t i = 0; i < run->n; i++) {
        const struct th_case_result *r = &run->results[i];
        if (r->status != TH_SKIP)
            continue;
        size_t j = 0;
        while (j < n && strcmp(reasons[j], reason_of(r)) != 0)
            j++;
        if (j == n) {
            reasons = th_xrealloc(reasons, (n + 1) * sizeof(*reasons));
            counts = th_xrealloc(counts, (n + 1) * sizeof(*counts));
            reasons[n] = reason_of(r);
            counts[n++] = 0;
        }
        counts[j]++;
    }
    if (n) {
        fputs("\nSkipped, by reason:\n", out);
        for (size_t j = 0; j < n; j++) {
            char num[24];
            snprintf(num, sizeof(num), "%zu", counts[j]);
            fputs("  ", out);
            put_cell(out, num, 5, TH_SKIP, color);
            fputs("  ", out);
            put_safe_cut(out, reasons[j], width > 9 ? width - 9 : width);
            fputc('\n', out);
        }
    }
    free(reasons);
    free(counts);
}

/* ---- the client x server matrix ---- */

struct names {
    const char **v;
    size_t n;
};

static size_t names_index(struct names *ns, const char *name)
{
    size_t i = 0;
    while (i < ns->n && strcmp(ns->v[i], name) != 0)
        i++;
    if (i == ns->n) {
        ns->v = th_xrealloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
        ns->v[ns->n++] = name;
    }
    return i;
}

struct matrix_cell {
    size_t good, ran, bad;
};

/* Cells read "good/ran": pass and xfail over the cases that ran (skips are not
 * counted); "!" marks a cell with a fail, xpass or error; "-" a pair that ran
 * nothing. Many servers (the fixtures) wrap into blocks that fit the width. */
static void print_matrix(FILE *out, const struct th_run *run, const struct th_summary_opts *o)
{
    struct names cl = {0}, sv = {0};
    for (size_t i = 0; i < run->n; i++) {
        names_index(&cl, client_name(run->results[i].c));
        names_index(&sv, run->results[i].c->server_name ? run->results[i].c->server_name : "?");
    }
    if (cl.n > 1 || sv.n > 1) {
        struct matrix_cell *m = th_xcalloc(cl.n * sv.n, sizeof(*m));
        for (size_t i = 0; i < run->n; i++) {
            const struct th_case_result *r = &run->results[i];
            struct matrix_cell *c =
                &m[names_index(&cl, client_name(r->c)) * sv.n +
                   names_index(&sv, r->c->server_name ? r->c->server_name : "?")];
            c->ran += r->status != TH_SKIP;
            c->good += r->status == TH_PASS || r->status == TH_XFAIL;
            c->bad += is_problem(r->status);
        }
        struct th_table *t = th_table_new("client \\ server");
        for (size_t b = 0; b < sv.n; b++)
            th_table_col(t, sv.v[b]);
        for (size_t a = 0; a < cl.n; a++) {
            size_t row = th_table_row(t, cl.v[a]);
            for (size_t b = 0; b < sv.n; b++) {
                const struct matrix_cell *x = &m[a * sv.n + b];
                if (!x->ran) {
                    th_table_set(t, row, b, "-");
                    continue;
                }
                th_table_set(t, row, b, "%zu/%zu%s", x->good, x->ran, x->bad ? " !" : "");
                if (o->color)
                    th_table_paint(t, row, b, th_status_colour(x->bad ? TH_FAIL : TH_PASS));
            }
        }
        fputc('\n', out);
        th_table_print(out, t, 0, o->width);
        th_table_free(t);
        free(m);
    }
    free(cl.v);
    free(sv.v);
}

/* Benchmark cases: each metric's median, with the spread of the repetitions, so a
 * run is readable without opening the results file. */
static void print_measurements(FILE *out, const struct th_run *run)
{
    int header = 0;
    for (size_t i = 0; i < run->n; i++) {
        const struct th_case_result *r = &run->results[i];
        if (!r->n_metrics)
            continue;
        if (!header++)
            fputs("\nMeasurements (median, [min, max] over n repetitions):\n", out);
        fputs("  ", out);
        th_text_fputs(out, r->c->id);
        fputc('\n', out);
        for (size_t m = 0; m < r->n_metrics; m++) {
            const struct th_metric *x = &r->metrics[m];
            fprintf(out, "      %-28s %12.4g %-6s [%.4g, %.4g] n=%zu\n", x->name, x->median,
                    x->unit, x->min, x->max, x->n);
        }
    }
}

static void print_totals(FILE *out, const struct th_run *run)
{
    size_t c[TH_STATUS_COUNT];
    th_run_counts(run, c);
    fprintf(out, "totals: pass %zu, fail %zu, xfail %zu, xpass %zu, skip %zu, error %zu\n",
            c[TH_PASS], c[TH_FAIL], c[TH_XFAIL], c[TH_XPASS], c[TH_SKIP], c[TH_ERROR]);
}

void th_summary_print(FILE *out, const struct th_run *run, const struct th_summary_opts *o)
{
    if (o->quiet) {
        print_failures(out, run, o);
        if (run->interrupted)
            fputs("Interrupted: the run stopped early; these results are partial.\n", out);
        print_totals(out, run);
        return;
    }
    if (o->verbose)
        print_measurements(out, run);
    th_summary_bench_tables(out, run, o->width);
    fputc('\n', out);
    print_table(out, run, o->color);
    print_matrix(out, run, o);
    int cut = print_failures(out, run, o);
    cut |= print_xfails(out, run, o);
    if (cut && o->results_path)
        fprintf(out, "  (reasons cut to the line; whole in %s)\n", o->results_path);
    print_skips(out, run, o->color, o->width);
    if (run->interrupted)
        fputs("\nInterrupted: the run stopped early; these results are partial.\n", out);
    fputc('\n', out);
    print_totals(out, run);
}

void th_results_print_summary(FILE *out, const struct th_run *run, int color)
{
    struct th_summary_opts o = {.color = color, .verbose = 1};
    th_summary_print(out, run, &o);
}
