/* The page's head and its first and last sections: the style sheet (inline: the
 * page stands alone, prints, and needs no font but the reader's), the verdict with
 * the counts by status and what failed, and the environment the run had. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "html_int.h"

static const char style[] =
    ":root{--pass:#2e7d32;--pass-bg:#e3f3e3;--fail:#c62828;--fail-bg:#fde2e2;"
    "--xfail:#00796b;--xfail-bg:#d9f0ec;--xpass:#d35400;--xpass-bg:#ffedd5;"
    "--skip:#6b7280;--skip-bg:#eceef1;--error:#7b1fa2;--error-bg:#f3e3f7}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',"
    "'Liberation Sans',sans-serif;color:#1f2328;background:#f4f5f7}\n"
    "nav{position:sticky;top:0;z-index:20;background:#1f2937;padding:7px 24px;display:flex;"
    "gap:20px;flex-wrap:wrap}\n"
    "nav a{color:#e5e7eb;text-decoration:none;font-size:13px}nav a:hover{color:#fff}\n"
    "main{max-width:1320px;margin:0 auto;padding:10px 24px 16px}\n"
    "header h1{font-size:22px;margin:8px 0 0}header p{margin:0 0 4px;color:#57606a}\n"
    "section{background:#fff;border:1px solid #e1e4e8;border-radius:8px;padding:12px 18px 14px;"
    "margin:12px 0;scroll-margin-top:40px}\n"
    "h2{font-size:18px;margin:0 0 2px}h3{font-size:14px;margin:10px 0 2px}\n"
    "p.lead{color:#57606a;margin:0 0 8px;max-width:1000px}\n"
    "code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}\n"
    "footer{max-width:1320px;margin:0 auto;padding:0 24px 24px;color:#6b7280;font-size:12px}\n"
    ".top{display:flex;gap:14px;align-items:stretch;flex-wrap:wrap}\n"
    ".banner{border-radius:8px;padding:10px 18px;color:#fff;width:330px;overflow-wrap:anywhere}\n"
    ".banner b{font-size:30px;display:block;letter-spacing:.5px}\n"
    ".banner.good{background:var(--pass)}.banner.bad{background:var(--fail)}\n"
    ".counts{display:grid;grid-template-columns:repeat(3,104px);gap:6px;align-content:start}\n"
    ".count{border-radius:8px;padding:4px 6px;text-align:center}\n"
    ".count b{display:block;font-size:20px;line-height:1.2}.count small{font-size:11px}\n"
    ".count.zero{opacity:.45}\n"
    ".facts{flex:1;min-width:300px;font-size:13px;align-self:start}"
    ".facts td{border:0;padding:1px 10px 1px 0}\n"
    ".st{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}\n"
    ".pass{background:var(--pass-bg);color:var(--pass)}.fail{background:var(--fail-bg);"
    "color:var(--fail)}\n"
    ".xfail{background:var(--xfail-bg);color:var(--xfail)}.xpass{background:var(--xpass-bg);"
    "color:var(--xpass)}\n"
    ".skip{background:var(--skip-bg);color:var(--skip)}.error{background:var(--error-bg);"
    "color:var(--error)}\n"
    "table{border-collapse:collapse;font-size:13px}\n"
    "th,td{padding:3px 8px;text-align:left;border-bottom:1px solid #eef0f2;vertical-align:top}\n"
    "th{font-weight:600;color:#444;background:#fafbfc}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".tag{display:inline-block;background:#eef1f4;border-radius:3px;padding:0 5px;margin:1px;"
    "font-size:12px}\n"
    ".multiples{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:4px 22px}\n"
    ".multiples.two{grid-template-columns:repeat(2,minmax(0,1fr))}\n"
    ".multiples figure,.pairfig figure{margin:0}\n"
    ".halves{display:grid;grid-template-columns:repeat(2,max-content);gap:0 36px;"
    "margin-top:10px;align-items:start}\n"
    "tr.grp th{background:none;padding-top:8px;border-bottom:1px solid #d0d4d9}\n"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}\n"
    "figure figcaption{font-weight:600;font-size:13px;margin:8px 0 0;overflow-wrap:anywhere}\n"
    "figcaption .mode{font-weight:400;color:#57606a}\n"
    ".pairfig{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:18px}\n"
    "details.more{margin-top:8px}details.more>summary{cursor:pointer;color:#0550ae}\n"
    ".wrap{overflow-x:auto}\n"
    ".reason{min-width:260px;max-width:560px;overflow-wrap:break-word}\n"
    ".err{color:#8a1f11;font-size:12px;overflow-wrap:break-word}\n"
    ".up{color:var(--pass);font-weight:600}.down{color:var(--fail);font-weight:600}\n"
    ".quiet{color:#6b7280}\n"
    "ul.glance{margin:2px 0 0;padding-left:20px;columns:2;column-gap:36px}"
    "ul.glance li{margin:1px 0}ul.glance a{color:#0550ae}\n"
    ".matrix{position:relative}table.grid{border-collapse:separate;border-spacing:3px}\n"
    "table.grid>tbody>tr>th{background:none;border:0;text-align:center;font-size:12px}\n"
    "table.grid>tbody>tr>th.cl{text-align:right;vertical-align:middle}\n"
    ".cases table{width:100%;table-layout:fixed}.cases td{font-size:12px;overflow-wrap:anywhere}\n"
    ".cases .reason{min-width:0;max-width:none}\n"
    "td.cell{padding:0;border:0;border-radius:6px;min-width:96px;text-align:center}\n"
    "td.cell summary{list-style:none;cursor:pointer;padding:5px 8px}\n"
    "td.cell summary::-webkit-details-marker{display:none}\n"
    "td.cell summary b{font-size:17px;display:block;line-height:1.2}\n"
    "td.cell summary small{display:block;font-size:11px;white-space:nowrap}\n"
    "td.cell details[open]>summary{box-shadow:inset 0 0 0 2px currentColor;border-radius:6px}\n"
    "td.none{background:#f7f7f8;color:#b0b4ba;border-radius:6px}\n"
    ".cases{position:absolute;left:0;right:0;z-index:5;background:#fff;color:#1f2328;"
    "border:1px solid #b9bec5;border-radius:6px;box-shadow:0 8px 28px rgba(0,0,0,.2);"
    "max-height:70vh;overflow:auto;text-align:left;padding:8px 12px;font-weight:400}\n"
    ".legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;margin-top:6px;color:#444}\n"
    "svg.chart{max-width:100%;height:auto}\n"
    "svg text{font-family:inherit}svg .group{font-size:12px}\n"
    "@media print{nav{display:none}body{background:#fff;font-size:12px}main{max-width:none;"
    "padding:0}section{border:0;padding:4px 0;break-inside:auto}figure,svg,tr,.top"
    "{break-inside:avoid}details>summary{list-style:none}.halves{display:block}"
    ".halves table{margin-bottom:8px}.cases{position:static;box-shadow:none;max-height:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

void th_html_head(struct th_page *p)
{
    fputs("<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>tlsharness report: ",
          p->f);
    th_html_esc(p->f, p->name);
    fprintf(p->f, "</title>\n<style>\n%s</style>\n</head>\n", style);
}

/* ---- the verdict ---- */

static void counts(const struct th_page *p, size_t c[TH_STATUS_COUNT])
{
    memset(c, 0, TH_STATUS_COUNT * sizeof c[0]);
    for (size_t i = 0; i < p->n; i++)
        c[p->cases[i].status]++;
}

/* The exit status `tlsharness run` gave for these results (cli.h). */
static int exit_status(const struct th_page *p, const size_t c[TH_STATUS_COUNT])
{
    return c[TH_FAIL] || c[TH_XPASS] || c[TH_ERROR] ||
           json_is_true(json_object_get(p->doc, "interrupted"));
}

static void banner(const struct th_page *p, const size_t c[TH_STATUS_COUNT])
{
    int bad = exit_status(p, c);
    fprintf(p->f, "<div class=\"banner %s\"><b>%s</b>", bad ? "bad" : "good",
            bad ? "FAIL" : "PASS");
    if (!bad)
        fputs("Every case passed, was a known deviation (xfail) or was skipped: the run's exit "
              "status is 0.",
              p->f);
    else {
        static const char *const what[][2] = {
            {"failed", "failed"},
            {"could not run", "could not run"},
            {"known deviation did not happen (xpass)", "known deviations did not happen (xpass)"}};
        const size_t n[] = {c[TH_FAIL], c[TH_ERROR], c[TH_XPASS]};
        int any = 0;
        fputs("The run's exit status is 1: ", p->f);
        if (json_is_true(json_object_get(p->doc, "interrupted")))
            fputs("it was interrupted", p->f), any = 1;
        for (size_t i = 0; i < TH_ARRAY_LEN(n); i++)
            if (n[i])
                fprintf(p->f, "%s%zu %s", any++ ? ", " : "", n[i], what[i][n[i] != 1]);
        fputs(".", p->f);
    }
    fputs("</div>\n", p->f);
}

static void count_boxes(const struct th_page *p, const size_t c[TH_STATUS_COUNT])
{
    static const enum th_status order[] = {TH_PASS, TH_XFAIL, TH_SKIP, TH_FAIL, TH_XPASS, TH_ERROR};
    static const char *const meaning[] = {
        [TH_PASS] = "as expected",     [TH_XFAIL] = "known deviation",
        [TH_SKIP] = "not applicable",  [TH_FAIL] = "not as expected",
        [TH_XPASS] = "deviation gone", [TH_ERROR] = "could not run"};
    fputs("<div class=\"counts\">", p->f);
    for (size_t i = 0; i < TH_ARRAY_LEN(order); i++) {
        enum th_status s = order[i];
        fprintf(p->f,
                "<div class=\"count %s%s\" title=\"%s\"><b>%zu</b>%s<br><small>%s</small></div>",
                th_status_name(s), c[s] ? "" : " zero", meaning[s], c[s], th_status_name(s),
                meaning[s]);
    }
    fputs("</div>\n", p->f);
}

static void fact(FILE *f, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    fprintf(f, "<tr><td class=\"quiet\">%s</td><td>", name);
    th_html_esc(f, value);
    fputs("</td></tr>", f);
}

/* A backend some case ran as client or server. */
static int in_play(const struct th_page *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cases[i].client, name) == 0 || strcmp(p->cases[i].server, name) == 0)
            return 1;
    return 0;
}

/* The few facts a reader needs to trust a number: the machine and the libraries. */
static void facts(const struct th_page *p)
{
    json_t *env = json_object_get(p->doc, "environment"), *b;
    char cpu[512];
    size_t i;
    json_t *cores = json_object_get(env, "cores");
    snprintf(cpu, sizeof cpu, "%s%s%lld%s",
             th_html_str(env, "cpu_model") ? th_html_str(env, "cpu_model") : "?",
             json_is_integer(cores) ? ", " : "",
             json_is_integer(cores) ? json_integer_value(cores) : 0LL,
             json_is_integer(cores) ? " cores" : "");
    fputs("<table class=\"facts\">", p->f);
    fact(p->f, "machine", env ? cpu : NULL);
    fact(p->f, "system", th_html_str(env, "os"));
    json_array_foreach(json_object_get(p->doc, "backends"), i, b)
    {
        const char *name = th_html_str(b, "name");
        if (name && in_play(p, name))
            fact(p->f, name, th_html_str(b, "version"));
    }
    fputs("</table>\n", p->f);
}

static int severity(enum th_status s)
{
    static const int rank[] = {[TH_FAIL] = 0, [TH_ERROR] = 1, [TH_XPASS] = 2};
    return rank[s];
}

/* Each case that makes the run fail, worst first, with its reason. */
static void failures(const struct th_page *p, const size_t c[TH_STATUS_COUNT])
{
    size_t bad = c[TH_FAIL] + c[TH_ERROR] + c[TH_XPASS], shown = 0;
    if (!bad)
        return;
    fprintf(p->f,
            "<h3>What failed (%zu)</h3>\n<div class=\"wrap\"><table><tr><th>status</th>"
            "<th>case</th><th>reason</th></tr>\n",
            bad);
    for (int rank = 0; rank < 3; rank++)
        for (size_t i = 0; i < p->n; i++) {
            const struct th_hcase *k = &p->cases[i];
            if ((k->status != TH_FAIL && k->status != TH_ERROR && k->status != TH_XPASS) ||
                severity(k->status) != rank)
                continue;
            if (shown++ == 30)
                fputs("</table><details class=\"more\"><summary>the others</summary><table>", p->f);
            fputs("<tr><td>", p->f);
            th_html_status(p->f, k->status);
            fputs("</td><td><code>", p->f);
            th_html_esc(p->f, k->id);
            fputs("</code></td><td class=\"reason\">", p->f);
            th_html_esc(p->f, k->reason);
            fputs("</td></tr>\n", p->f);
        }
    fputs(shown > 30 ? "</table></details></div>\n" : "</table></div>\n", p->f);
}

/* "90 handshake, 39 bulk" in the order kinds first appear. */
static void kinds_line(const struct th_page *p)
{
    const char **kinds = th_xcalloc(p->n + 1, sizeof *kinds);
    size_t nk = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t k = 0;
        while (k < nk && strcmp(kinds[k], p->cases[i].kind) != 0)
            k++;
        if (k == nk)
            kinds[nk++] = p->cases[i].kind;
    }
    fprintf(p->f, "<p class=\"lead\">%zu cases", p->n);
    for (size_t k = 0; k < nk; k++) {
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++)
            n += strcmp(kinds[k], p->cases[i].kind) == 0;
        char *name = th_xstrdup(kinds[k]);
        for (char *c = strchr(name, '_'); c; c = strchr(c, '_'))
            *c = ' '; /* handshake_rate: handshake rate */
        fprintf(p->f, "%s%zu ", k ? ", " : ": ", n);
        th_html_esc(p->f, name);
        free(name);
    }
    fprintf(p->f, "; %zu client%s × %zu server%s.</p>\n", p->n_clients,
            p->n_clients == 1 ? "" : "s", p->n_servers, p->n_servers == 1 ? "" : "s");
    free(kinds);
}

void th_html_verdict(struct th_page *p)
{
    size_t c[TH_STATUS_COUNT];
    const char *gen = th_html_str(p->doc, "generator"), *at = th_html_str(p->doc, "started_at");
    json_t *dur = json_object_get(p->doc, "duration_s");
    counts(p, c);
    fputs("<header><h1>TLS conformance and performance report</h1><p>", p->f);
    th_html_esc(p->f, p->name);
    if (at) {
        fputs(" · run ", p->f);
        th_html_esc(p->f, at);
    }
    if (json_is_number(dur) && isfinite(json_number_value(dur)))
        fprintf(p->f, " · took %.1f s", json_number_value(dur));
    if (gen) {
        fputs(" · ", p->f);
        th_html_esc(p->f, gen);
    }
    fputs("</p></header>\n<section id=\"verdict\">\n<div class=\"top\">\n", p->f);
    banner(p, c);
    count_boxes(p, c);
    facts(p);
    fputs("</div>\n", p->f);
    kinds_line(p);
    failures(p, c);
    th_html_glance(p);
    fputs("</section>\n", p->f);
}

/* ---- the environment ---- */

static void env_value(FILE *f, const json_t *v)
{
    size_t i;
    json_t *x;
    if (json_is_string(v))
        th_html_esc(f, json_string_value(v));
    else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            fputs("<span class=\"tag\">", f);
            env_value(f, x);
            fputs("</span>", f);
        }
    } else if (json_is_number(v)) {
        char buf[32];
        fputs(th_html_num(json_number_value(v), buf, sizeof buf), f);
    } else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", f);
}

void th_html_env(struct th_page *p)
{
    json_t *env = json_object_get(p->doc, "environment"), *v;
    const char *key;
    size_t i;
    fputs("<section id=\"environment\"><h2>Environment</h2>\n<p class=\"lead\">The machine and "
          "the library versions the numbers were measured with. Compare runs only from alike "
          "machines.</p>\n<div class=\"pairfig\"><table>",
          p->f);
    json_object_foreach(env, key, v)
    {
        fputs("<tr><th>", p->f);
        th_html_esc(p->f, key);
        fputs("</th><td>", p->f);
        env_value(p->f, v);
        fputs("</td></tr>", p->f);
    }
    fputs("</table>\n<table><tr><th>backend</th><th>library</th><th>version</th><th>roles</th>"
          "</tr>",
          p->f);
    json_array_foreach(json_object_get(p->doc, "backends"), i, v)
    {
        static const char *const cols[] = {"name", "library", "version"};
        fputs("<tr>", p->f);
        for (size_t k = 0; k < TH_ARRAY_LEN(cols); k++) {
            fputs("<td>", p->f);
            th_html_esc(p->f, th_html_str(v, cols[k]));
            fputs("</td>", p->f);
        }
        fputs("<td>", p->f);
        env_value(p->f, json_object_get(v, "roles"));
        fputs("</td></tr>", p->f);
    }
    fputs("</table></div></section>\n", p->f);
}
