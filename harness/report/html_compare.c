/* With --base: the regression verdict `tlsharness compare` gives (compare.h, whose
 * judgement this draws, never re-judges), each case whose status changed, and each
 * metric's change, regressions first. */
#include <math.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "html_int.h"

static const char *const verdict_order[] = {"regression", "improvement", "within noise",
                                            "unknown direction"};

static double number(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static size_t count(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (size_t)json_integer_value(v) : 0;
}

/* The change as a bar from the middle: right is up, left is down, cut at ±50%. */
static void change_bar(FILE *f, double change, int bad, int good)
{
    double w = 80, t = fmax(-0.5, fmin(0.5, change)) * w;
    const char *col = bad ? "#c62828" : good ? "#2e7d32" : "#9aa0a6";
    fputs("<svg class=\"meter\" width=\"80\" height=\"10\" aria-hidden=\"true\">"
          "<rect width=\"80\" height=\"10\" fill=\"#f1f2f4\"/>",
          f);
    if (isfinite(t))
        fprintf(f, "<rect x=\"%.1f\" width=\"%.1f\" height=\"10\" fill=\"%s\"/>",
                t < 0 ? w / 2 + t : w / 2, fmax(1, fabs(t)), col);
    fputs("<line x1=\"40\" x2=\"40\" y1=\"0\" y2=\"10\" stroke=\"#555\"/></svg>", f);
}

static void metric_row(FILE *f, const json_t *m)
{
    const char *v = th_html_str(m, "verdict"), *unit = th_html_str(m, "unit");
    int bad = v && strcmp(v, "regression") == 0, good = v && strcmp(v, "improvement") == 0;
    double change = number(m, "change");
    char b[32], n[32];
    fprintf(f, "<tr><td><span class=\"st %s\">", bad ? "fail" : good ? "pass" : "skip");
    th_html_esc(f, v);
    fputs("</span></td><td><code>", f);
    th_html_esc(f, th_html_str(m, "id"));
    fputs("</code></td><td>", f);
    th_html_esc(f, th_html_str(m, "metric"));
    fprintf(f, "</td><td class=\"num\">%s</td><td class=\"num\">%s ",
            th_html_num(number(m, "base"), b, sizeof b),
            th_html_num(number(m, "new"), n, sizeof n));
    th_html_esc(f, unit);
    fprintf(f, "</td><td class=\"num %s\">", bad ? "down" : good ? "up" : "");
    if (isfinite(change))
        fprintf(f, "%+.1f%% ", 100 * change);
    change_bar(f, change, bad, good);
    fprintf(f, "</td><td class=\"num quiet\">±%.1f%%</td></tr>\n", 100 * number(m, "threshold"));
}

static size_t rank_of(const json_t *m)
{
    const char *v = th_html_str(m, "verdict");
    size_t at = 0;
    while (at < TH_ARRAY_LEN(verdict_order) && (!v || strcmp(v, verdict_order[at]) != 0))
        at++;
    return at;
}

static void metrics_head(FILE *f)
{
    fputs("<table><tr><th>verdict</th><th>case</th><th>metric</th><th class=\"num\">base</th>"
          "<th class=\"num\">new</th><th class=\"num\">change</th><th class=\"num\">threshold"
          "</th></tr>\n",
          f);
}

/* Regressions and improvements in view; the quiet rest behind a click. */
static void metrics_table(FILE *f, const json_t *metrics)
{
    size_t i, quiet = 0;
    json_t *m;
    if (!json_array_size(metrics))
        return;
    json_array_foreach(metrics, i, m) quiet += rank_of(m) >= 2;
    fputs("<h3>Metrics, regressions first</h3>\n<div class=\"wrap\">", f);
    for (size_t k = 0; k <= TH_ARRAY_LEN(verdict_order); k++) {
        if (k == 0 && quiet < json_array_size(metrics))
            metrics_head(f);
        if (k == 2 && quiet) {
            fprintf(f,
                    "%s<details class=\"more\"><summary>%zu more within noise or of unknown "
                    "direction</summary>",
                    quiet < json_array_size(metrics) ? "</table>" : "", quiet);
            metrics_head(f);
        }
        json_array_foreach(metrics, i, m) if (rank_of(m) == k) metric_row(f, m);
    }
    fputs(quiet ? "</table></details></div>\n" : "</table></div>\n", f);
}

static void cases_table(FILE *f, const json_t *cases)
{
    static const char *const order[] = {"regressed",    "changed",          "improved",
                                        "not compared", "missing from NEW", "only in NEW"};
    size_t i;
    json_t *c;
    if (!json_array_size(cases))
        return;
    fputs("<h3>Cases whose status changed</h3>\n<div class=\"wrap\"><table><tr><th>verdict</th>"
          "<th>case</th><th>base</th><th>new</th><th>reason</th></tr>\n",
          f);
    for (size_t k = 0; k <= TH_ARRAY_LEN(order); k++)
        json_array_foreach(cases, i, c)
        {
            const char *v = th_html_str(c, "verdict");
            size_t at = 0;
            while (at < TH_ARRAY_LEN(order) && (!v || strcmp(v, order[at]) != 0))
                at++;
            if (at != k)
                continue;
            fprintf(f, "<tr><td><span class=\"st %s\">",
                    k == 0   ? "fail"
                    : k == 2 ? "pass"
                             : "skip");
            th_html_esc(f, v);
            fputs("</span></td><td><code>", f);
            th_html_esc(f, th_html_str(c, "id"));
            fputs("</code></td><td>", f);
            th_html_esc(f, th_html_str(c, "base_status"));
            fputs("</td><td>", f);
            th_html_esc(f, th_html_str(c, "new_status"));
            fputs("</td><td class=\"reason\">", f);
            th_html_esc(f, th_html_str(c, "reason"));
            fputs("</td></tr>\n", f);
        }
    fputs("</table></div>\n", f);
}

static void warnings(FILE *f, const json_t *w)
{
    size_t i;
    json_t *v;
    if (!json_array_size(w))
        return;
    fprintf(f,
            "<details class=\"more\"><summary>%zu warnings: what differs between the two runs"
            "</summary><ul>",
            json_array_size(w));
    json_array_foreach(w, i, v)
    {
        fputs("<li>", f);
        th_html_esc(f, json_string_value(v));
        fputs("</li>", f);
    }
    fputs("</ul></details>\n", f);
}

static void policy(FILE *f, const json_t *pol)
{
    const char *mode = th_html_str(pol, "mode");
    if (mode && strcmp(mode, "fixed") == 0)
        fprintf(f, "a fixed threshold of %.1f%%", 100 * number(pol, "threshold"));
    else
        fprintf(f, "a threshold from the spread each file records, at least %.1f%%",
                100 * number(pol, "floor"));
}

void th_html_compare(struct th_page *p)
{
    FILE *f = p->f;
    const json_t *r = p->cmp;
    size_t regs = count(r, "regressions"), mreg = count(r, "metric_regressions"),
           creg = count(r, "cases_regressed"), impr = count(r, "improvements");
    size_t nm = json_array_size(json_object_get(r, "metrics")), i;
    const json_t *inc = json_object_get(r, "incomplete"), *v; /* the gate's other failures */
    fputs("<section id=\"compare\"><h2>Against the baseline</h2>\n<div class=\"top\">", f);
    fprintf(f, "<div class=\"banner %s\"><b>%s</b>", regs || json_array_size(inc) ? "bad" : "good",
            regs                   ? "REGRESSION"
            : json_array_size(inc) ? "INCOMPLETE"
                                   : "NO REGRESSION");
    json_array_foreach(inc, i, v)
    {
        th_html_esc(f, json_string_value(v));
        fputs(". ", f);
    }
    fprintf(f,
            "%zu metric%s and %zu case%s regressed: <code>tlsharness compare</code> exits %d."
            "</div>\n",
            mreg, mreg == 1 ? "" : "s", creg, creg == 1 ? "" : "s",
            regs || json_array_size(inc) ? 1 : 0);
    fputs("<p class=\"lead\">This run (", f);
    th_html_esc(f, th_html_str(r, "new"));
    fputs(") against the baseline ", f);
    th_html_esc(f, th_html_str(r, "base"));
    fprintf(f, ": %zu metrics compared, %zu regressed, %zu improved, the rest within noise; ", nm,
            mreg, impr);
    policy(f, json_object_get(r, "threshold_policy"));
    fputs(". A change counts only beyond the threshold, in the metric's bad direction.</p></div>\n",
          f);
    warnings(f, json_object_get(r, "warnings"));
    cases_table(f, json_object_get(r, "cases"));
    metrics_table(f, json_object_get(r, "metrics"));
    fputs("</section>\n", f);
}
