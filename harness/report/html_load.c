/* Kind load, per server: for each load scenario, requests per second as bars beside
 * the latency by percentile of every case (one line each, on log axes: HdrHistogram's
 * way of showing a tail), then a table with connections per second, the percentiles,
 * connect / TLS / first-byte times, the client's CPU per request and the failed
 * requests by outcome. The curve is drawn from the case's latency histogram where
 * the results file has one ("load.latency_histogram"), else from its percentiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "html_int.h"

#define LAT_W 744.0
#define RPS_W 470.0

/* The percentiles DESIGN.md names, where each sits on the x axis: -log10(1 - p). */
static const struct {
    const char *metric, *label;
    double x;
} pcts[] = {{"latency_ms_p50", "p50", 0.30103},
            {"latency_ms_p90", "p90", 1},
            {"latency_ms_p99", "p99", 2},
            {"latency_ms_p99_9", "p99.9", 3},
            {"latency_ms_p99_99", "p99.99", 4},
            {NULL, "p99.999", 5},
            {NULL, "p99.9999", 6}};

struct curve {
    double *x, *y;
    size_t n;
};

static void push(struct curve *c, size_t cap, double x, double y)
{
    if (c->n < cap && isfinite(x) && isfinite(y))
        c->x[c->n] = x, c->y[c->n++] = y;
}

/* x of percentile q: -log10(1 - q), and for q = 1 (every request) the resolution n
 * requests give. */
static double x_of(double q, double n)
{
    return q < 1 ? -log10(1 - q) : fmax(log10(n), 0.5);
}

/* From the histogram: at each bucket's upper bound, the share of requests at or
 * below it, from p50 on; the bucket that holds the median starts the line at p50,
 * its latency taken between the bucket's bounds. */
static int from_histogram(const json_t *h, struct curve *c, size_t cap)
{
    json_t *buckets = json_object_get(h, "buckets"), *b;
    size_t i;
    double total = 0, cum = 0;
    json_array_foreach(buckets, i, b)
    {
        json_t *cnt = json_array_get(b, 2);
        total += json_is_number(cnt) && json_number_value(cnt) > 0 ? json_number_value(cnt) : 0;
    }
    if (!(total > 0) || !isfinite(total))
        return 0;
    json_array_foreach(buckets, i, b)
    {
        json_t *from = json_array_get(b, 0), *to = json_array_get(b, 1),
               *cnt = json_array_get(b, 2);
        double lo = json_number_value(from) / 1e6,
               hi = json_is_number(to) ? json_number_value(to) / 1e6 : lo;
        double q0 = cum / total;
        cum += json_is_number(cnt) && json_number_value(cnt) > 0 ? json_number_value(cnt) : 0;
        double q1 = cum / total;
        if (q1 < 0.5 || q1 <= q0)
            continue;
        if (q0 < 0.5)
            push(c, cap, x_of(0.5, total), lo + (hi - lo) * (0.5 - q0) / (q1 - q0));
        push(c, cap, x_of(q1, total), hi);
    }
    return c->n > 0;
}

/* From the percentile metrics; the maximum is placed by the chart, past the last
 * percentile of any line. */
static void from_metrics(const struct th_hcase *k, struct curve *c, size_t cap)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(pcts) && pcts[i].metric; i++)
        push(c, cap, pcts[i].x, th_html_median(k, pcts[i].metric));
}

/* 1 when drawn from the histogram, 0 from the percentiles. */
static int curve_of(const struct th_hcase *k, struct curve *c, size_t cap)
{
    c->n = 0;
    json_t *h = json_object_get(json_object_get(k->j, "load"), "latency_histogram");
    if (from_histogram(h, c, cap))
        return 1;
    c->n = 0;
    from_metrics(k, c, cap);
    return 0;
}

static double last_x(const struct curve *c)
{
    return c->n ? c->x[c->n - 1] : 0;
}

/* The latency of every case of one scenario, one line each. Lines drawn from
 * percentiles end in their maximum, one step past the last percentile any of them
 * has, at a tick named "max". */
static void latency_chart(struct th_page *p, const size_t *idx, size_t n, char (*names)[160])
{
    enum { CAP = 400 };
    struct th_series *s = th_xcalloc(n + 1, sizeof *s);
    struct curve *c = th_xcalloc(n + 1, sizeof *c);
    int *hist = th_xcalloc(n + 1, sizeof *hist);
    struct th_tick ticks[TH_ARRAY_LEN(pcts) + 1];
    double xmax = 0;
    size_t nt = 0, from_pcts = 0;
    for (size_t i = 0; i < n; i++) {
        c[i].x = th_xcalloc(CAP, sizeof(double));
        c[i].y = th_xcalloc(CAP, sizeof(double));
        hist[i] = curve_of(&p->cases[idx[i]], &c[i], CAP);
        xmax = fmax(xmax, last_x(&c[i]));
    }
    double at_max = xmax + 0.6;
    for (size_t i = 0; i < n; i++) {
        if (!hist[i] && c[i].n) {
            push(&c[i], CAP, at_max, th_html_median(&p->cases[idx[i]], "latency_ms_max"));
            from_pcts++;
        }
        s[i] = (struct th_series){names[i], c[i].x, c[i].y, c[i].n, th_svg_color((int)i)};
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(pcts); i++)
        if (pcts[i].x <= xmax + 0.01 || i == 0)
            ticks[nt++] = (struct th_tick){pcts[i].x, pcts[i].label};
    if (from_pcts)
        ticks[nt++] = (struct th_tick){at_max, "max"};
    struct th_line_chart ch = {
        .series = s,
        .n = n,
        .x_axis = from_pcts == n ? "percentile" : "percentile (the last point: the maximum)",
        .y_axis = "latency (ms)",
        .y_log = 1,
        .x_ticks = ticks,
        .n_x_ticks = nt,
        .label = "latency by percentile",
        .width = LAT_W,
        .height = 230};
    th_svg_line_chart(p->f, &ch);
    for (size_t i = 0; i < n; i++) {
        free(c[i].x);
        free(c[i].y);
    }
    free(c);
    free(s);
    free(hist);
}

static void rps_chart(struct th_page *p, const size_t *idx, size_t n, char (*names)[160])
{
    struct th_bar *b = th_xcalloc(n + 1, sizeof *b);
    for (size_t i = 0; i < n; i++) {
        struct th_hmetric m;
        b[i] = (struct th_bar){
            .label = names[i], .value = NAN, .lo = NAN, .hi = NAN, .color = th_svg_color((int)i)};
        if (th_html_metric(&p->cases[idx[i]], "requests_per_s", &m))
            b[i].value = m.median, b[i].lo = m.min, b[i].hi = m.max;
    }
    struct th_bar_chart ch = {.bars = b,
                              .n = n,
                              .axis = "requests per second",
                              .label = "requests per second",
                              .width = RPS_W};
    th_svg_bar_chart(p->f, &ch);
    free(b);
}

/* ---- the table ---- */

static const struct {
    const char *metric, *head;
} cols[] = {{"requests_per_s", "req/s"},
            {"connections_per_s", "conn/s"},
            {"latency_ms_p50", "p50"},
            {"latency_ms_p90", "p90"},
            {"latency_ms_p99", "p99"},
            {"latency_ms_p99_9", "p99.9"},
            {"latency_ms_p99_99", "p99.99"},
            {"latency_ms_max", "max"},
            {"connect_ms", "connect"},
            {"tls_ms", "TLS"},
            {"first_byte_ms", "first byte"},
            {"ttfb_ms", "connect to first byte"},
            {"client_us_per_request", "client µs/req"}};

static void errors_cell(FILE *f, const struct th_hcase *c)
{
    json_t *errs = json_object_get(c->j, "errors"), *v;
    const char *key;
    int any = 0;
    char buf[32];
    json_object_foreach(errs, key, v)
    {
        if (!json_is_number(v))
            continue;
        fputs(any++ ? "<br>" : "<span class=\"down\">", f);
        th_html_esc(f, key);
        fprintf(f, " %s", th_html_num(json_number_value(v), buf, sizeof buf));
    }
    fputs(any ? "</span>" : "<span class=\"quiet\">none</span>", f);
}

/* Whether any case of idx has metric (a column no case fills is left out). */
static int any_has(const struct th_page *p, const size_t *idx, size_t n, const char *metric)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(th_html_median(&p->cases[idx[i]], metric)))
            return 1;
    return 0;
}

static void table_head(FILE *f, const int *show, int verified)
{
    static const size_t group_end[] = {2, 8, 11, 12}; /* rate, latency, time to, CPU */
    static const char *const group[] = {"rate", "latency of a request (ms)", "time to (ms)", ""};
    size_t k = 0;
    fputs("<tr><th></th>", f);
    for (size_t g = 0; g < TH_ARRAY_LEN(group); g++) {
        int span = 0;
        for (; k < group_end[g]; k++)
            span += show[k];
        if (span)
            fprintf(f, "<th colspan=\"%d\" class=\"num\">%s</th>", span, group[g]);
    }
    fprintf(f, "<th colspan=\"%d\">requests</th></tr>\n<tr><th>server</th>", verified + 1);
    for (k = 0; k < TH_ARRAY_LEN(cols); k++)
        if (show[k])
            fprintf(f, "<th class=\"num\">%s</th>", cols[k].head);
    fputs(verified ? "<th class=\"num\">verified</th>" : "", f);
    fputs("<th>failed, by outcome</th></tr>\n", f);
}

static void table(struct th_page *p, const size_t *idx, size_t n, char (*names)[160])
{
    FILE *f = p->f;
    char buf[32];
    int show[TH_ARRAY_LEN(cols)], verified = 0;
    for (size_t k = 0; k < TH_ARRAY_LEN(cols); k++)
        show[k] = any_has(p, idx, n, cols[k].metric);
    for (size_t i = 0; i < n; i++)
        verified |= json_is_number(
            json_object_get(json_object_get(p->cases[idx[i]].j, "load"), "requests"));
    fputs("<div class=\"wrap\"><table>", f);
    table_head(f, show, verified);
    for (size_t i = 0; i < n; i++) {
        const struct th_hcase *c = &p->cases[idx[i]];
        json_t *req = json_object_get(json_object_get(c->j, "load"), "requests");
        fprintf(f, "<tr><td><span class=\"swatch\" style=\"background:%s\"></span>",
                th_svg_color((int)i));
        th_html_esc(f, names[i]);
        if (c->status != TH_PASS) {
            fputs(" ", f);
            th_html_status(f, c->status);
        }
        fputs("</td>", f);
        for (size_t k = 0; k < TH_ARRAY_LEN(cols); k++)
            if (show[k])
                fprintf(f, "<td class=\"num\">%s</td>",
                        th_html_num(th_html_median(c, cols[k].metric), buf, sizeof buf));
        if (verified)
            fprintf(f, "<td class=\"num\">%s</td>",
                    json_is_number(req) ? th_html_num(json_number_value(req), buf, sizeof buf)
                                        : "–");
        fputs("<td>", f);
        errors_cell(f, c);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
}

/* ---- the section ---- */

/* How the scenario loaded, beside its name: an open loop's latencies (from each
 * request's due time) are not a closed loop's, and hashed bodies are worth saying. */
static void loop_note(FILE *f, json_t *load)
{
    json_t *rate = json_object_get(load, "rate");
    const char *check = json_string_value(json_object_get(load, "body_check"));
    if (json_is_number(rate))
        fprintf(f, " <span class=\"quiet\">open loop at %g requests/s</span>",
                json_number_value(rate));
    if (check && strstr(check, "sha256"))
        fputs(" <span class=\"quiet\">bodies SHA-256 verified</span>", f);
}

static void one_scenario(struct th_page *p, const size_t *idx, size_t n)
{
    char(*names)[160] = th_xcalloc(n + 1, sizeof *names);
    int one_c = th_html_one_client(p, idx, n), one_s = th_html_one_server(p, idx, n);
    for (size_t i = 0; i < n; i++)
        th_html_pair(&p->cases[idx[i]], !one_c || one_s, !one_s, names[i], sizeof names[i]);
    fputs("<h3>", p->f);
    th_html_esc(p->f, p->cases[idx[0]].scenario);
    if (one_c != one_s) {
        fprintf(p->f, " <span class=\"quiet\">%s the ", one_c ? "with" : "against");
        th_html_esc(p->f, one_c ? p->cases[idx[0]].client : p->cases[idx[0]].server);
        fprintf(p->f, " %s</span>", one_c ? "client" : "server");
    }
    loop_note(p->f, json_object_get(p->cases[idx[0]].j, "load"));
    fputs("</h3>\n<div class=\"pairfig\"><figure>", p->f);
    rps_chart(p, idx, n, names);
    fputs("</figure><figure>", p->f);
    latency_chart(p, idx, n, names);
    fputs("</figure></div>\n", p->f);
    table(p, idx, n, names);
    free(names);
}

void th_html_load(struct th_page *p)
{
    size_t n, *idx = th_html_of_kind(p, "load", &n);
    if (!n) {
        free(idx);
        return;
    }
    fputs("<section id=\"load\"><h2>Load: each server under concurrent requests</h2>\n<p "
          "class=\"lead\">Requests per second (higher is better) and how long a request took "
          "at each percentile (lower is better; log scales, so the tail shows: p99 is the "
          "slowest request of each hundred). Every response was checked.</p>\n",
          p->f);
    size_t *sel = th_xcalloc(n, sizeof *sel), *done = th_xcalloc(n, sizeof *done);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && strcmp(p->cases[idx[j]].scenario, p->cases[idx[i]].scenario) == 0)
                sel[k++] = idx[j], done[j] = 1;
        one_scenario(p, sel, k);
    }
    fputs("</section>\n", p->f);
    free(sel);
    free(done);
    free(idx);
}
