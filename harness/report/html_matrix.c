/* The conformance matrix: one cell per client x server pair, coloured by the worst
 * status among its cases, reading "as expected / run" (pass + xfail over the cases
 * not skipped). Each cell is a <details> that opens, without a script, to its
 * cases: what was expected, what was observed, the reason and both ends' native
 * errors. */
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "html_int.h"

/* Worst first: the order of a cell's cases, and what colours it. */
static int rank(enum th_status s)
{
    static const int r[] = {[TH_FAIL] = 0,  [TH_ERROR] = 1, [TH_XPASS] = 2,
                            [TH_XFAIL] = 3, [TH_PASS] = 4,  [TH_SKIP] = 5};
    return r[s];
}

static size_t find(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return n;
}

/* "a or b" for an outcome list, the value itself otherwise. */
static void value(FILE *f, const json_t *v)
{
    size_t i;
    json_t *x;
    char buf[32];
    if (json_is_string(v))
        th_html_esc(f, json_string_value(v));
    else if (json_is_array(v))
        json_array_foreach(v, i, x)
        {
            fputs(i ? " or " : "", f);
            value(f, x);
        }
    else if (json_is_number(v))
        fputs(th_html_num(json_number_value(v), buf, sizeof buf), f);
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", f);
}

/* outcome first, then the other keys set, as "key value". */
static void outcome_and_pins(FILE *f, const json_t *o)
{
    static const char *const keys[] = {"version", "cipher", "group", "alpn", "resumed", "hrr"};
    if (!json_is_object(o)) {
        fputs("<span class=\"quiet\">–</span>", f);
        return;
    }
    int any = 0;
    fputs("<b>", f);
    value(f, json_object_get(o, "outcome"));
    fputs("</b>", f);
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (!v || json_is_null(v))
            continue;
        fprintf(f, "%s<span class=\"quiet\">%s</span> ", any++ ? " · " : "<br>", keys[i]);
        value(f, v);
    }
}

static void native(FILE *f, const char *side, const json_t *e)
{
    json_t *code = json_object_get(e, "code");
    if (!json_is_object(e))
        return;
    fputs("<div class=\"err\">", f);
    th_html_esc(f, side);
    fputs(": ", f);
    th_html_esc(f, th_html_str(e, "outcome"));
    if (json_is_number(code))
        fprintf(f, " (code %lld)", (long long)json_number_value(code));
    fputs(": ", f);
    th_html_esc(f, th_html_str(e, "text"));
    fputs("</div>", f);
}

static void case_row(FILE *f, const struct th_hcase *c)
{
    json_t *obs = json_object_get(c->j, "observed");
    fputs("<tr><td>", f);
    th_html_status(f, c->status);
    fputs("</td><td><code>", f);
    th_html_esc(f, c->scenario);
    fputs("</code></td><td>", f);
    outcome_and_pins(f, json_object_get(c->j, "expected"));
    fputs("</td><td>", f);
    outcome_and_pins(f, obs);
    fputs("</td><td class=\"reason\">", f);
    th_html_esc(f, c->reason);
    if (json_object_get(obs, "client_error") || json_object_get(obs, "server_error")) {
        native(f, "client", json_object_get(obs, "client_error"));
        native(f, "server", json_object_get(obs, "server_error"));
    } else {
        json_t *nat = json_object_get(obs, "native");
        native(f, th_html_str(nat, "side") ? th_html_str(nat, "side") : "native", nat);
    }
    fputs("</td></tr>\n", f);
}

struct cell {
    size_t counts[TH_STATUS_COUNT];
    size_t *idx, n;
};

static enum th_status worst(const struct cell *c)
{
    enum th_status w = TH_SKIP;
    for (int s = 0; s < TH_STATUS_COUNT; s++)
        if (c->counts[s] && rank((enum th_status)s) < rank(w))
            w = (enum th_status)s;
    return w;
}

static void cell_cases(struct th_page *p, const struct cell *c, const char *client,
                       const char *server)
{
    FILE *f = p->f;
    fputs("<div class=\"cases\"><b>", f);
    th_html_esc(f, client);
    fputs("</b> client against the <b>", f);
    th_html_esc(f, server);
    fprintf(f,
            "</b> server: %zu cases, worst first.\n<table><colgroup><col style=\"width:64px\">"
            "<col style=\"width:22%%\"><col style=\"width:17%%\"><col style=\"width:23%%\">"
            "<col></colgroup><tr><th>status</th><th>case</th>"
            "<th>expected</th><th>observed</th><th>reason and native errors</th></tr>\n",
            c->n);
    for (int r = 0; r <= 5; r++)
        for (size_t i = 0; i < c->n; i++)
            if (rank(p->cases[c->idx[i]].status) == r)
                case_row(f, &p->cases[c->idx[i]]);
    fputs("</table></div>", f);
}

static void one_cell(struct th_page *p, const struct cell *c, const char *client,
                     const char *server)
{
    FILE *f = p->f;
    static const enum th_status notes[] = {TH_FAIL, TH_ERROR, TH_XPASS, TH_XFAIL, TH_SKIP};
    size_t good = c->counts[TH_PASS] + c->counts[TH_XFAIL], run = c->n - c->counts[TH_SKIP];
    if (!c->n) {
        fputs("<td class=\"none\" title=\"no case for this pair\">–</td>", f);
        return;
    }
    fprintf(f, "<td class=\"cell %s\" data-pair=\"", th_status_name(worst(c)));
    th_html_esc(f, client);
    fputs("-vs-", f);
    th_html_esc(f, server);
    fprintf(f, "\"><details><summary><b>%zu/%zu</b><small>", good, run);
    int any = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(notes); i++)
        if (c->counts[notes[i]])
            fprintf(f, "%s%zu %s", any++ ? " · " : "", c->counts[notes[i]],
                    th_status_name(notes[i]));
    fputs(any ? "" : "all pass", f);
    fputs("</small></summary>", f);
    cell_cases(p, c, client, server);
    fputs("</details></td>", f);
}

static void legend(FILE *f)
{
    static const char *const text[][2] = {
        {"pass", "as expected"},     {"xfail", "known, explained deviation"},
        {"xpass", "deviation gone"}, {"error", "could not run"},
        {"fail", "not as expected"}, {"skip", "only skipped: a capability missing"}};
    fputs("<div class=\"legend\">", f);
    for (size_t i = 0; i < TH_ARRAY_LEN(text); i++)
        fprintf(f, "<span><span class=\"st %s\">%s</span> %s</span>", text[i][0], text[i][0],
                text[i][1]);
    fputs("</div>\n", f);
}

void th_html_matrix(struct th_page *p)
{
    FILE *f = p->f;
    size_t nc = p->n_clients, ns = p->n_servers;
    if (!p->n)
        return;
    struct cell *cells = th_xcalloc(nc * ns, sizeof *cells);
    for (size_t i = 0; i < p->n; i++) {
        size_t a = find(p->clients, nc, p->cases[i].client);
        size_t b = find(p->servers, ns, p->cases[i].server);
        struct cell *c = &cells[a * ns + b];
        if (!c->idx)
            c->idx = th_xcalloc(p->n, sizeof *c->idx);
        c->idx[c->n++] = i;
        c->counts[p->cases[i].status]++;
    }
    fputs("<section id=\"conformance\"><h2>Conformance: every client against every server</h2>\n"
          "<p class=\"lead\">Each cell counts the cases of one pair that went as expected (pass "
          "or a known deviation) out of those that ran (not skipped), coloured by the worst "
          "status among them. Click a cell for its cases: what was expected, what each end "
          "observed, and the libraries' own errors.</p>\n<div class=\"matrix\"><table "
          "class=\"grid\"><tr>"
          "<th class=\"cl\">client ↓ · server →</th>",
          f);
    for (size_t b = 0; b < ns; b++) {
        fputs("<th>", f);
        th_html_esc(f, p->servers[b]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t a = 0; a < nc; a++) {
        fputs("<tr><th class=\"cl\">", f);
        th_html_esc(f, p->clients[a]);
        fputs("</th>", f);
        for (size_t b = 0; b < ns; b++)
            one_cell(p, &cells[a * ns + b], p->clients[a], p->servers[b]);
        fputs("</tr>\n", f);
    }
    fputs("</table></div>\n", f);
    legend(f);
    fputs("</section>\n", f);
    for (size_t i = 0; i < nc * ns; i++)
        free(cells[i].idx);
    free(cells);
}
