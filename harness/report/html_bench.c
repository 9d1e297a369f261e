/* The benchmark kinds that compare libraries: bulk data (throughput per pair and
 * suite, each end's CPU per byte, efficiency against the raw AEAD), handshake rate
 * (full, ticket, session id) and memory per connection by role. Each scenario file
 * is drawn as small multiples, one chart per variant, sharing one axis so the bars
 * compare across them, with a table of the same cases: a row per pair, a column per
 * variant. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "html_int.h"

/* The distinct values of key(case) over idx, in order of first appearance. */
typedef const char *(*case_key)(const struct th_hcase *c, char *buf, size_t cap);

static const char *scenario_key(const struct th_hcase *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", c->scenario);
    return buf;
}

static const char *family_key(const struct th_hcase *c, char *buf, size_t cap)
{
    return th_html_family(c->scenario, buf, cap);
}

static char **distinct(const struct th_page *p, const size_t *idx, size_t n, case_key key,
                       size_t *out_n)
{
    char **names = th_xcalloc(n + 1, sizeof *names), buf[512];
    *out_n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = key(&p->cases[idx[i]], buf, sizeof buf);
        size_t j = 0;
        while (j < *out_n && strcmp(names[j], k) != 0)
            j++;
        if (j == *out_n)
            names[(*out_n)++] = th_xstrdup(k);
    }
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The cases of idx whose key is name, in a new array. */
static size_t *having(const struct th_page *p, const size_t *idx, size_t n, case_key key,
                      const char *name, size_t *out_n)
{
    size_t *sel = th_xcalloc(n + 1, sizeof *sel);
    char buf[512];
    *out_n = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(key(&p->cases[idx[i]], buf, sizeof buf), name) == 0)
            sel[(*out_n)++] = idx[i];
    return sel;
}

/* ---- charts ---- */

struct chart_spec {
    const char *metric; /* drawn */
    double scale;       /* the metric times this (bytes to KiB) */
    const char *axis;   /* the axis title */
    int by_server;      /* coloured by the server's library (else the client's) */
};

/* One chart of the cases idx: a bar per case with the metric, labelled by pair (or by
 * the end that differs), coloured by client. */
static void bars(struct th_page *p, const size_t *idx, size_t n, const struct chart_spec *s,
                 double max, double width, const char *label)
{
    struct th_bar *b = th_xcalloc(n + 1, sizeof *b);
    char(*names)[160] = th_xcalloc(n + 1, sizeof *names);
    int one_c = th_html_one_client(p, idx, n), one_s = th_html_one_server(p, idx, n);
    for (size_t i = 0; i < n; i++) {
        const struct th_hcase *c = &p->cases[idx[i]];
        struct th_hmetric m;
        th_html_pair(c, !one_c || one_s, !one_s, names[i], sizeof names[i]);
        b[i] = (struct th_bar){.label = names[i],
                               .value = NAN,
                               .lo = NAN,
                               .hi = NAN,
                               .color = th_html_color(p, s->by_server ? c->server : c->client)};
        if (th_html_metric(c, s->metric, &m))
            b[i].value = m.median * s->scale, b[i].lo = m.min * s->scale,
            b[i].hi = m.max * s->scale;
    }
    struct th_bar_chart ch = {.bars = b,
                              .n = n,
                              .axis = s->axis,
                              .label = label,
                              .width = width,
                              .max = max,
                              .label_chars = 0};
    th_svg_bar_chart(p->f, &ch);
    free(names);
    free(b);
}

static double family_max(const struct th_page *p, const size_t *idx, size_t n,
                         const struct chart_spec *s)
{
    double m = 0;
    struct th_hmetric v;
    for (size_t i = 0; i < n; i++)
        if (th_html_metric(&p->cases[idx[i]], s->metric, &v))
            m = fmax(m, fmax(v.median, isfinite(v.max) ? v.max : 0) * s->scale);
    return m;
}

typedef void (*caption_fn)(FILE *f, const struct th_hcase *first);

/* Whether any case of idx measured the metric: a variant whose cases were all
 * skipped gets no empty chart (its skips are counted under the tables). */
static int any_measured(const struct th_page *p, const size_t *idx, size_t n, const char *metric)
{
    struct th_hmetric m;
    for (size_t i = 0; i < n; i++)
        if (th_html_metric(&p->cases[idx[i]], metric, &m))
            return 1;
    return 0;
}

/* One figure per variant of the family, all on the axis of the family's largest. */
static void multiples(struct th_page *p, const size_t *idx, size_t n, const struct chart_spec *s,
                      caption_fn caption)
{
    size_t nv;
    char **variants = distinct(p, idx, n, scenario_key, &nv);
    double max = family_max(p, idx, n, s);
    fprintf(p->f, "<div class=\"multiples\">\n");
    for (size_t v = 0; v < nv; v++) {
        size_t k, *sel = having(p, idx, n, scenario_key, variants[v], &k);
        if (!any_measured(p, sel, k, s->metric)) {
            free(sel);
            continue;
        }
        fputs("<figure><figcaption>", p->f);
        caption(p->f, &p->cases[sel[0]]);
        fputs("</figcaption>\n", p->f);
        bars(p, sel, k, s, max, TH_HTML_SMALL_W, variants[v]);
        fputs("</figure>\n", p->f);
        free(sel);
    }
    fputs("</div>\n", p->f);
    free_names(variants, nv);
}

/* ---- tables: a row per case, grouped by variant ---- */

struct column {
    const char *head, *metric;
    double scale;
    int meter; /* a fraction, drawn as a meter beside its percentage */
};

static void cell(FILE *f, const struct th_hcase *c, const struct column *col)
{
    double v = th_html_median(c, col->metric) * col->scale;
    char buf[32];
    fputs("<td class=\"num\">", f);
    if (col->meter && isfinite(v)) {
        fprintf(f, "%.0f%% ", 100 * v);
        th_svg_meter(f, v, 0, 1, 50, "#59a14f");
    } else
        fputs(th_html_num(v, buf, sizeof buf), f);
    fputs("</td>", f);
}

static void table_rows(struct th_page *p, const size_t *idx, size_t n, const struct column *cols,
                       size_t nc, caption_fn caption)
{
    FILE *f = p->f;
    char name[160];
    fputs("<table><tr><th>client → server</th>", f);
    for (size_t k = 0; k < nc; k++)
        fprintf(f, "<th class=\"num\">%s</th>", cols[k].head);
    fputs("</tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        const struct th_hcase *c = &p->cases[idx[i]];
        if (!i || strcmp(c->scenario, p->cases[idx[i - 1]].scenario) != 0) {
            size_t skipped = 0;
            for (size_t k = i; k < n && strcmp(p->cases[idx[k]].scenario, c->scenario) == 0; k++)
                skipped += p->cases[idx[k]].status == TH_SKIP;
            fprintf(f, "<tr class=\"grp\"><th colspan=\"%zu\">", nc + 1);
            caption(f, c);
            if (skipped)
                fprintf(f, " <span class=\"mode\">(%zu skipped: see the conformance matrix)</span>",
                        skipped);
            fputs("</th></tr>\n", f);
        }
        if (c->status == TH_SKIP)
            continue;
        fputs("<tr><td>", f);
        th_html_esc(f, th_html_pair(c, 1, 1, name, sizeof name));
        fputs("</td>", f);
        if (c->status == TH_PASS || c->status == TH_XFAIL)
            for (size_t k = 0; k < nc; k++)
                cell(f, c, &cols[k]);
        else {
            fprintf(f, "<td colspan=\"%zu\">", nc);
            th_html_status(f, c->status);
            fputs(" <small class=\"quiet\">", f);
            th_svg_escape_cut(f, c->reason, 90);
            fputs("</small></td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The numbers of the cases idx, grouped by variant in order; a long table is cut in
 * two halves side by side (between variants) to keep the page short. */
static void numbers(struct th_page *p, const size_t *idx, size_t n, const struct column *cols,
                    size_t nc, caption_fn caption)
{
    size_t *sorted = th_xcalloc(n + 1, sizeof *sorted), ns = 0, nv, half = 0;
    char **variants = distinct(p, idx, n, scenario_key, &nv);
    for (size_t v = 0; v < nv; v++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(p->cases[idx[i]].scenario, variants[v]) == 0)
                sorted[ns++] = idx[i];
    if (ns > 12)
        for (half = ns / 2;
             half < ns && half > 0 &&
             strcmp(p->cases[sorted[half]].scenario, p->cases[sorted[half - 1]].scenario) == 0;
             half++)
            ;
    fputs("<div class=\"halves\">", p->f);
    table_rows(p, sorted, half && half < ns ? half : ns, cols, nc, caption);
    if (half && half < ns)
        table_rows(p, sorted + half, ns - half, cols, nc, caption);
    fputs("</div>\n", p->f);
    free_names(variants, nv);
    free(sorted);
}

/* ---- the sections ---- */

/* Each scenario file of the cases: a heading, its charts, its numbers. */
static void families(struct th_page *p, const size_t *idx, size_t n, const struct chart_spec *s,
                     caption_fn caption, const struct column *cols, size_t nc)
{
    size_t nf;
    char **fams = distinct(p, idx, n, family_key, &nf);
    for (size_t i = 0; i < nf; i++) {
        size_t k, *sel = having(p, idx, n, family_key, fams[i], &k);
        const char *tr = p->cases[sel[0]].transport;
        fputs("<h3>", p->f);
        th_html_esc(p->f, fams[i]);
        if (tr && (strcmp(tr, "memory") == 0 || strcmp(tr, "tcp") == 0))
            fprintf(p->f, " <span class=\"quiet\">%s</span>",
                    strcmp(tr, "tcp") == 0 ? "over TCP on loopback" : "in memory, no kernel");
        fputs("</h3>\n", p->f);
        multiples(p, sel, k, s, caption);
        numbers(p, sel, k, cols, nc, caption);
        free(sel);
    }
    free_names(fams, nf);
}

static void variant_caption(FILE *f, const struct th_hcase *c)
{
    th_html_esc(f, th_html_variant(c->scenario));
}

void th_html_bulk(struct th_page *p)
{
    static const struct chart_spec s = {"throughput_mib_s", 1, "throughput (MiB/s)", 0};
    static const struct column cols[] = {{"MiB/s", "throughput_mib_s", 1, 0},
                                         {"efficiency", "efficiency", 1, 1},
                                         {"send ns/B", "send_ns_per_byte", 1, 0},
                                         {"recv ns/B", "recv_ns_per_byte", 1, 0},
                                         {"AEAD ns/B", "aead_ns_per_byte", 1, 0}};
    size_t n, *idx = th_html_of_kind(p, "bulk", &n);
    if (n) {
        fputs("<section id=\"bulk\"><h2>Bulk data: throughput per pair and cipher suite</h2>\n"
              "<p class=\"lead\">Application data through the TLS record layer, in MiB/s: "
              "higher is better. Bar: the median of the measured repetitions; whisker: their "
              "minimum and maximum; colour: the client library. In the tables, send and recv "
              "are each end's CPU nanoseconds per byte, AEAD the library's own seal and open "
              "of the same cipher, and efficiency the AEAD's cost divided by the record "
              "layer's (100% = TLS adds nothing to the cipher).</p>\n",
              p->f);
        families(p, idx, n, &s, variant_caption, cols, TH_ARRAY_LEN(cols));
        fputs("</section>\n", p->f);
    }
    free(idx);
}

static void rate_caption(FILE *f, const struct th_hcase *c)
{
    th_html_esc(f, th_html_variant(c->scenario));
    fprintf(f, " <span class=\"mode\">%s</span>", th_html_mode(c->scenario));
}

void th_html_rate(struct th_page *p)
{
    static const struct chart_spec s = {"handshakes_per_s", 1, "handshakes per second", 0};
    static const struct column cols[] = {{"handshakes/s", "handshakes_per_s", 1, 0},
                                         {"client µs", "client_us_per_handshake", 1, 0},
                                         {"server µs", "server_us_per_handshake", 1, 0}};
    size_t n, *idx = th_html_of_kind(p, "handshake_rate", &n);
    if (n) {
        fputs("<section id=\"handshakes\"><h2>Handshake rate: full and resumed</h2>\n"
              "<p class=\"lead\">Handshakes per second, one after another, every one checked to "
              "be full or resumed as asked: higher is better. A full handshake does the key "
              "exchange and sends the certificate; a resumed one (by ticket, or by session id "
              "from the server's cache) does not. The tables add each end's CPU microseconds "
              "per handshake.</p>\n",
              p->f);
        families(p, idx, n, &s, rate_caption, cols, TH_ARRAY_LEN(cols));
        fputs("</section>\n", p->f);
    }
    free(idx);
}

/* The memory cases' charts: a row per variant, client side then server side. */
static void memory_charts(struct th_page *p, const size_t *idx, size_t n)
{
    static const struct chart_spec roles[] = {
        {"client_bytes_per_connection", 1 / 1024.0, "client side (KiB per connection)", 0},
        {"server_bytes_per_connection", 1 / 1024.0, "server side (KiB per connection)", 1}};
    size_t nv;
    char **variants = distinct(p, idx, n, scenario_key, &nv);
    double max = fmax(family_max(p, idx, n, &roles[0]), family_max(p, idx, n, &roles[1]));
    fputs("<div class=\"multiples two\">\n", p->f);
    for (size_t v = 0; v < nv; v++) {
        size_t k, *sel = having(p, idx, n, scenario_key, variants[v], &k);
        for (size_t r = 0; r < TH_ARRAY_LEN(roles); r++) {
            fputs("<figure><figcaption>", p->f);
            th_html_esc(p->f, th_html_variant(variants[v]));
            fprintf(p->f, " <span class=\"mode\">%s side</span></figcaption>\n",
                    r ? "server" : "client");
            bars(p, sel, k, &roles[r], max, TH_HTML_HALF_W, variants[v]);
            fputs("</figure>\n", p->f);
        }
        free(sel);
    }
    fputs("</div>\n", p->f);
    free_names(variants, nv);
}

void th_html_memory(struct th_page *p)
{
    static const struct column cols[] = {
        {"client KiB", "client_bytes_per_connection", 1 / 1024.0, 0},
        {"server KiB", "server_bytes_per_connection", 1 / 1024.0, 0}};
    size_t n, *idx = th_html_of_kind(p, "memory", &n);
    if (n) {
        fputs("<section id=\"memory\"><h2>Memory per connection, by role</h2>\n<p "
              "class=\"lead\">Heap bytes an established, idle connection holds on each side, "
              "in KiB: lower is better. The client side is the client library's, the server "
              "side the server library's.</p>\n",
              p->f);
        memory_charts(p, idx, n);
        numbers(p, idx, n, cols, TH_ARRAY_LEN(cols), variant_caption);
        fputs("</section>\n", p->f);
    }
    free(idx);
}
