/* The benchmark kinds' comparison tables (summary.h): what a person comparing
 * libraries came for, one table per scenario instead of a block per case. Cases
 * skipped for a missing capability are left out (the summary lists them by
 * reason); a case that failed shows its status where its number would be. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/text.h"
#include "summary.h"
#include "table.h"

static const struct th_metric *metric(const struct th_case_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_metrics; i++)
        if (r->metrics[i].name && strcmp(r->metrics[i].name, name) == 0)
            return &r->metrics[i];
    return NULL;
}

static const char *client_of(const struct th_case *c)
{
    return c->client ? c->client->name : "?";
}

static const char *server_of(const struct th_case *c)
{
    return c->server_name ? c->server_name : "?";
}

/* "bulk/aead@TLS_AES_128_GCM_SHA256" -> the variant after '@', or NULL. */
static const char *variant_of(const struct th_case *c)
{
    const char *at = c->scenario ? strchr(c->scenario, '@') : NULL;
    return at ? at + 1 : NULL;
}

/* A group: the cases of one table, in the run's order. */
struct group {
    char *key;
    const struct th_case_result **r;
    size_t n;
};

struct groups {
    struct group *g;
    size_t n;
};

static int tabled(const struct th_case_result *r, enum th_kind kind)
{
    return r->c->kind == kind && r->status != TH_SKIP;
}

/* The run's cases of one kind, by scenario (whole: with its variant; or its base). */
static struct groups group_cases(const struct th_run *run, enum th_kind kind, int whole)
{
    struct groups gs = {0};
    for (size_t i = 0; i < run->n; i++) {
        const struct th_case_result *r = &run->results[i];
        if (!tabled(r, kind))
            continue;
        const char *s = r->c->scenario ? r->c->scenario : "?";
        size_t len = whole || !strchr(s, '@') ? strlen(s) : (size_t)(strchr(s, '@') - s);
        size_t j = 0;
        while (j < gs.n && (strlen(gs.g[j].key) != len || strncmp(gs.g[j].key, s, len) != 0))
            j++;
        if (j == gs.n) {
            gs.g = th_xrealloc(gs.g, (gs.n + 1) * sizeof(*gs.g));
            gs.g[gs.n++] = (struct group){th_xasprintf("%.*s", (int)len, s), NULL, 0};
        }
        struct group *g = &gs.g[j];
        g->r = th_xrealloc(g->r, (g->n + 1) * sizeof(*g->r));
        g->r[g->n++] = r;
    }
    return gs;
}

static void groups_free(struct groups *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        free(gs->g[i].key);
        free(gs->g[i].r);
    }
    free(gs->g);
}

/* Rows name what varies: the client when every case has one server, the server
 * when every case has one client, else the pair. The corner says which. */
enum label_by { BY_PAIR, BY_CLIENT, BY_SERVER };

static enum label_by label_by(const struct group *g, char *corner, size_t cap)
{
    int one_client = 1, one_server = 1;
    for (size_t i = 1; i < g->n; i++) {
        one_client &= strcmp(client_of(g->r[i]->c), client_of(g->r[0]->c)) == 0;
        one_server &= strcmp(server_of(g->r[i]->c), server_of(g->r[0]->c)) == 0;
    }
    if (one_server && !one_client) {
        snprintf(corner, cap, "client (vs %s)", server_of(g->r[0]->c));
        return BY_CLIENT;
    }
    if (one_client && !one_server) {
        snprintf(corner, cap, "server (%s client)", client_of(g->r[0]->c));
        return BY_SERVER;
    }
    snprintf(corner, cap, "client-vs-server");
    return BY_PAIR;
}

static size_t row_of(struct th_table *t, enum label_by by, const struct th_case *c)
{
    if (by == BY_CLIENT)
        return th_table_row(t, client_of(c));
    if (by == BY_SERVER)
        return th_table_row(t, server_of(c));
    char *pair = th_xasprintf("%s-vs-%s", client_of(c), server_of(c));
    size_t r = th_table_row(t, pair);
    free(pair);
    return r;
}

static int bad(enum th_status s)
{
    return s != TH_PASS && s != TH_XFAIL;
}

/* The title names a scenario (a file's text): printed through th_text_fputs; the
 * table keeps its own text printable (table.c). */
static void print_table(FILE *out, const char *title, struct th_table *t, int width)
{
    fputc('\n', out);
    th_text_fputs(out, title);
    fputc('\n', out);
    th_table_print(out, t, 2, width);
    th_table_free(t);
}

/* Bulk and handshake rate: a scenario's variants (suites, sizes, modes) across,
 * pairs down, one number a cell (with bulk's efficiency beside it). */
static void variant_tables(FILE *out, const struct th_run *run, enum th_kind kind, int width)
{
    struct groups gs = group_cases(run, kind, 0);
    for (size_t i = 0; i < gs.n; i++) {
        const struct group *g = &gs.g[i];
        char corner[160], num[32];
        enum label_by by = label_by(g, corner, sizeof(corner));
        struct th_table *t = th_table_new(corner);
        for (size_t k = 0; k < g->n; k++) {
            const struct th_case_result *r = g->r[k];
            size_t row = row_of(t, by, r->c);
            const char *v = variant_of(r->c);
            size_t col = th_table_col(t, v ? v : kind == TH_KIND_BULK ? "MiB/s" : "handshakes/s");
            const struct th_metric *m =
                metric(r, kind == TH_KIND_BULK ? "throughput_mib_s" : "handshakes_per_s");
            const struct th_metric *eff = kind == TH_KIND_BULK ? metric(r, "efficiency") : NULL;
            th_table_num(num, sizeof(num), m ? m->median : NAN);
            if (!m)
                th_table_set(t, row, col, "%s", th_status_name(r->status));
            else if (eff && isfinite(eff->median))
                th_table_set(t, row, col, "%s (%.2f)%s%s", num, eff->median,
                             bad(r->status) ? " " : "",
                             bad(r->status) ? th_status_name(r->status) : "");
            else
                th_table_set(t, row, col, "%s%s%s", num, bad(r->status) ? " " : "",
                             bad(r->status) ? th_status_name(r->status) : "");
        }
        char *title =
            kind == TH_KIND_BULK
                ? th_xasprintf("%s: throughput, MiB/s (record-layer efficiency), median", g->key)
                : th_xasprintf("%s: handshakes/s, median", g->key);
        print_table(out, title, t, width);
        free(title);
    }
    groups_free(&gs);
}

/* Load: one table per scenario and variant, servers (or clients) down, the numbers
 * wrk and h2load would print across. */
static void load_tables(FILE *out, const struct th_run *run, int width)
{
    static const struct {
        const char *metric, *header;
    } cols[] = {
        {"requests_per_s", "req/s"},  {"connections_per_s", "conn/s"}, {"latency_ms_p50", "p50 ms"},
        {"latency_ms_p99", "p99 ms"}, {"latency_ms_max", "max ms"},
    };
    struct groups gs = group_cases(run, TH_KIND_LOAD, 1);
    for (size_t i = 0; i < gs.n; i++) {
        const struct group *g = &gs.g[i];
        char corner[160], num[32];
        enum label_by by = label_by(g, corner, sizeof(corner));
        struct th_table *t = th_table_new(corner);
        for (size_t c = 0; c < TH_ARRAY_LEN(cols); c++)
            th_table_col(t, cols[c].header);
        int tallied = 0; /* results from before the tally have no counts */
        for (size_t k = 0; k < g->n; k++)
            tallied |= g->r[k]->load.ran;
        size_t requests_col = tallied ? th_table_col(t, "verified") : 0;
        size_t bytes_col = tallied ? th_table_col(t, "body MiB") : 0;
        size_t errors_col = th_table_col(t, "errors");
        for (size_t k = 0; k < g->n; k++) {
            const struct th_case_result *r = g->r[k];
            size_t row = row_of(t, by, r->c);
            for (size_t c = 0; c < TH_ARRAY_LEN(cols); c++) {
                const struct th_metric *m = metric(r, cols[c].metric);
                th_table_num(num, sizeof(num), m ? m->median : NAN);
                if (m)
                    th_table_set(t, row, c, "%s", num);
            }
            if (r->load.ran) { /* summed over the repetitions */
                th_table_set(t, row, requests_col, "%llu", (unsigned long long)r->load.requests);
                th_table_num(num, sizeof(num), (double)r->load.body_bytes / (1024.0 * 1024.0));
                th_table_set(t, row, bytes_col, "%s", num);
            }
            uint64_t errors = 0;
            for (size_t o = 0; o < TH_OUTCOME_COUNT; o++)
                errors += r->errors[o];
            th_table_set(t, row, errors_col, "%llu", (unsigned long long)errors);
            if (bad(r->status))
                th_table_set(t, row, th_table_col(t, "status"), "%s", th_status_name(r->status));
        }
        char *title = th_xasprintf("%s: median over repetitions", g->key);
        print_table(out, title, t, width);
        free(title);
    }
    groups_free(&gs);
}

/* ---- memory: backend x role ---- */

struct samples {
    size_t row, col;
    double *v;
    size_t n;
};

static void sample_add(struct samples **s, size_t *n, size_t row, size_t col, double v)
{
    size_t i = 0;
    while (i < *n && ((*s)[i].row != row || (*s)[i].col != col))
        i++;
    if (i == *n) {
        *s = th_xrealloc(*s, (*n + 1) * sizeof(**s));
        (*s)[(*n)++] = (struct samples){row, col, NULL, 0};
    }
    (*s)[i].v = th_xrealloc((*s)[i].v, ((*s)[i].n + 1) * sizeof(double));
    (*s)[i].v[(*s)[i].n++] = v;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One role of one case: the backend's bytes in that role, under "VARIANT ROLE B". */
static void memory_role(struct th_table *t, struct samples **s, size_t *n,
                        const struct th_case_result *r, const char *role, const char *backend)
{
    char name[64], head[160];
    snprintf(name, sizeof(name), "%s_bytes_per_connection", role);
    const struct th_metric *m = metric(r, name);
    if (!m || !isfinite(m->median))
        return;
    const char *v = variant_of(r->c);
    snprintf(head, sizeof(head), "%s%s%s B", v ? v : "", v ? " " : "", role);
    sample_add(s, n, th_table_row(t, backend), th_table_col(t, head), m->median);
}

/* Each backend's bytes per connection as client and as server: the median over the
 * pairs it took that role in (its peer's share is measured apart). */
static void memory_tables(FILE *out, const struct th_run *run, int width)
{
    struct groups gs = group_cases(run, TH_KIND_MEMORY, 0);
    for (size_t i = 0; i < gs.n; i++) {
        const struct group *g = &gs.g[i];
        struct th_table *t = th_table_new("backend");
        struct samples *s = NULL;
        size_t n = 0;
        for (size_t k = 0; k < g->n; k++) {
            memory_role(t, &s, &n, g->r[k], "client", client_of(g->r[k]->c));
            memory_role(t, &s, &n, g->r[k], "server", server_of(g->r[k]->c));
        }
        for (size_t j = 0; j < n; j++) {
            th_table_set(t, s[j].row, s[j].col, "%.0f", median(s[j].v, s[j].n));
            free(s[j].v);
        }
        free(s);
        if (th_table_rows(t)) {
            char *title = th_xasprintf("%s: bytes per idle connection, median over pairs", g->key);
            print_table(out, title, t, width);
            free(title);
        } else
            th_table_free(t);
    }
    groups_free(&gs);
}

void th_summary_bench_tables(FILE *out, const struct th_run *run, int width)
{
    variant_tables(out, run, TH_KIND_BULK, width);
    variant_tables(out, run, TH_KIND_HANDSHAKE_RATE, width);
    load_tables(out, run, width);
    memory_tables(out, run, width);
}
