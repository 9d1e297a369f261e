/* The HTML report: the hand-made results of tests/data/results/ rendered (every section
 * present that the results have, one grid cell per pair, one bar per bulk case),
 * strings from the results escaped (a hostile reason, id and server), nothing that
 * reaches outside the page, bad input refused as compare refuses it, and the page
 * written whole or not at all. */
#include "harness/report/html.h"

#include <ctype.h>
#include <glob.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/vocab/util.h"
#include "tap.h"

#include "safe_text.h"

#define DIR "tests/data/results/"

struct page {
    int rc;
    char *html;
    size_t len;
    struct th_error err;
};

static struct page render_texts(const char *name, const char *text, size_t len,
                                const char *base_name, const char *base_text)
{
    struct page p = {0};
    FILE *f = open_memstream(&p.html, &p.len);
    p.rc = th_report_html_texts(f, name, text, len, base_name, base_text,
                                base_text ? strlen(base_text) : 0, &p.err);
    fclose(f);
    return p;
}

static char *slurp(const char *path)
{
    size_t len;
    char *t = th_read_file(path, &len);
    if (!t)
        printf("# cannot read %s\n", path);
    return t;
}

static struct page render(const char *file, const char *base)
{
    char *text = slurp(file), *base_text = base ? slurp(base) : NULL;
    struct page p = render_texts(file, text ? text : "", text ? strlen(text) : 0, base, base_text);
    free(text);
    free(base_text);
    return p;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay ? strstr(hay, needle) : NULL; p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The text of <section id="ID"> ... </section>, in a new string ("" when absent). */
static char *section(const char *html, const char *id)
{
    char *open = th_xasprintf("<section id=\"%s\"", id);
    const char *a = strstr(html, open), *b = a ? strstr(a, "</section>") : NULL;
    free(open);
    return a && b ? th_xasprintf("%.*s", (int)(b - a), a) : th_xstrdup("");
}

/* No src attribute, no link but to an anchor of the page, no url() or @import. */
static int self_contained(const char *html)
{
    for (const char *p = strstr(html, "href=\""); p; p = strstr(p + 1, "href=\""))
        if (p[6] != '#') {
            printf("# a link out: %.60s\n", p);
            return 0;
        }
    return !strstr(html, " src=") && !strstr(html, "url(") && !strstr(html, "@import") &&
           !strstr(html, "<script") && !strstr(html, "<link") && !strstr(html, "<img");
}

/* No "nan" or "inf" as printf spells them, as a word of its own ("nanoseconds" is
 * prose). */
static int finite_only(const char *html)
{
    for (const char *p = html; *p; p++)
        if ((strncasecmp(p, "nan", 3) == 0 || strncasecmp(p, "inf", 3) == 0) &&
            (p == html || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[3])) {
            printf("# not finite near: %.40s\n", p > html + 20 ? p - 20 : html);
            return 0;
        }
    return 1;
}

static void test_sections(void)
{
    struct page p = render(DIR "base.json", NULL);
    ok(p.rc == 0 && p.len > 1000, "base.json rendered");
    ok(strncmp(p.html, "<!DOCTYPE html>", 15) == 0 && strstr(p.html, "</html>\n"), "a whole page");
    static const char *const ids[] = {"verdict", "conformance", "bulk", "load", "environment"};
    for (size_t i = 0; i < TH_ARRAY_LEN(ids); i++)
        ok(strstr(p.html, ids[i]) && count(p.html, "<section id=\"") >= 5, "section %s", ids[i]);
    ok(!strstr(p.html, "id=\"compare\"") && !strstr(p.html, "id=\"memory\"") &&
           !strstr(p.html, "id=\"handshakes\""),
       "no section for what the results lack");
    ok(strstr(p.html, ">FAIL<") && strstr(p.html, "1 failed"), "the verdict: a case failed");
    ok(strstr(p.html, "expected revoked, observed ok") != NULL, "what failed, with its reason");
    /* pairs: openssl-vs-openssl, curl-openssl-vs-fixture:nginx, gnutls-vs-openssl,
     * gnutls-vs-gnutls, mbedtls-vs-mbedtls (names taken from the ids) */
    is_int(count(p.html, "data-pair=\""), 5, "one grid cell per pair");
    ok(strstr(p.html, "data-pair=\"curl-openssl-vs-fixture:nginx\"") != NULL,
       "a fixture's pair, named from the id");
    char *bulk = section(p.html, "bulk"), *load = section(p.html, "load");
    is_int(count(bulk, "<g class=\"bar\">"), 1, "one bar per bulk case");
    is_int(count(load, "<g class=\"series\">"), 1, "one latency line per load case");
    ok(strstr(load, "frob") == NULL, "a metric the report does not know is not drawn");
    ok(strstr(p.html, "OpenSSL 3.0.13 30 Jan 2024") && strstr(p.html, "AMD EPYC 7763"),
       "library versions and the machine");
    ok(self_contained(p.html), "nothing outside the page");
    ok(strstr(p.html, "@media print") != NULL, "printable");
    free(bulk);
    free(load);
    free(p.html);
}

static void test_compare(void)
{
    struct page p = render(DIR "throughput-drop.json", DIR "base.json");
    char *cmp = section(p.html ? p.html : "", "compare");
    ok(p.rc == 0 && strstr(cmp, ">REGRESSION<"), "with --base: the regression verdict");
    ok(strstr(cmp, "throughput_mib_s") && strstr(cmp, "-20.0%"), "the metric and its change");
    ok(strstr(p.html, "href=\"#compare\"") != NULL, "linked from the top");
    free(cmp);
    free(p.html);
    p = render(DIR "base.json", DIR "base.json");
    ok(p.rc == 0 && strstr(p.html, ">NO REGRESSION<"), "the same file: no regression");
    free(p.html);
    p = render(DIR "base.json", DIR "bad-status.json");
    ok(p.rc == -1 && p.err.input && strstr(p.err.text, "bad-status.json:") && p.len == 0,
       "a bad baseline is bad input, and nothing is written: %s", p.err.text);
    free(p.html);
}

/* A results file as an outsider could make it: markup in every string. */
static char *hostile(void)
{
    json_t *doc = json_pack(
        "{s:s, s:{s:s}, s:[{s:s, s:s, s:s}], s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:o, "
        "s:i}}}, {s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:f, s:f, s:f, s:i, s:s}}}]}",
        "schema", "tlsharness.results/1", "environment", "os", "<i>os</i>", "backends", "name",
        "openssl", "version", "3.0 <b>bold</b>", "library", "O\"SSL", "cases", "id",
        "cert/x\"><script>/openssl-vs-https://evil.example/x", "status", "fail", "reason",
        "<script>alert(\"x\")</script> & 'more'", "kind", "bulk", "scenario", "cert/x\"><script>",
        "client", "openssl", "server", "https://evil.example/x", "metrics", "throughput_mib_s",
        "median", json_null(), "n", 1, "id", "load/<svg onload=x>/openssl-vs-openssl", "status",
        "pass", "reason", "ok", "kind", "load", "scenario", "load/<svg onload=x>", "client",
        "openssl", "server", "openssl", "metrics", "latency_ms_p50", "median", 1.5, "min", 1.0,
        "max", 2.0, "n", 3, "unit", "ms</text>");
    char *s = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);
    return s;
}

static void test_escaping(void)
{
    char *text = hostile();
    struct page p = render_texts("evil<\".json", text, strlen(text), NULL, NULL);
    ok(p.rc == 0, "a hostile results file renders");
    ok(!strstr(p.html, "<script") && !strstr(p.html, "<svg onload") && !strstr(p.html, "<i>os") &&
           !strstr(p.html, "<b>bold"),
       "no markup of the file's reaches the page");
    ok(strstr(p.html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;more&#39;") !=
           NULL,
       "the reason shown escaped");
    ok(strstr(p.html, "cert/x&quot;&gt;&lt;script&gt;") != NULL, "the id shown escaped");
    ok(strstr(p.html, "evil&lt;&quot;.json") != NULL, "the file's name escaped");
    ok(!strstr(p.html, "ms</text>"), "a unit cannot close an SVG element");
    ok(self_contained(p.html), "a server URL in the results is text, never a link");
    ok(finite_only(p.html), "a null median: no NaN printed");
    free(p.html);
    free(text);
}

static void test_bad_input(void)
{
    static const char *const bad[] = {"bad-syntax.json", "bad-empty.json", "bad-no-schema.json",
                                      "bad-status.json", "bad-median-string.json"};
    for (size_t i = 0; i < TH_ARRAY_LEN(bad); i++) {
        char *path = th_xasprintf(DIR "%s", bad[i]);
        struct page p = render(path, NULL);
        int line = 0, col = 0;
        const char *at = strstr(p.err.text, bad[i]);
        ok(p.rc == -1 && p.err.input && p.len == 0 && at &&
               sscanf(at + strlen(bad[i]), ":%d:%d:", &line, &col) == 2 && line > 0,
           "%s: bad input named FILE:LINE:COL, nothing written: %s", bad[i], p.err.text);
        free(p.html);
        free(path);
    }
}

static void test_files(void)
{
    char tmp[] = "/tmp/th-html-XXXXXX";
    struct th_error err;
    ok(mkdtemp(tmp) != NULL, "a scratch folder");
    char *out = th_xasprintf("%s/sub/dir/r.html", tmp), *none = th_xasprintf("%s/none.json", tmp);
    ok(th_report_html(out, DIR "base.json", NULL, &err) == 0 && access(out, R_OK) == 0,
       "the page written, its folder made");
    ok(th_report_html(out, none, NULL, &err) == -1 && err.input && strstr(err.text, "none.json"),
       "a missing results file is bad input: %s", err.text);
    ok(th_report_html(out, DIR "base.json", none, &err) == -1 && err.input,
       "a missing baseline is bad input");
    ok(th_report_html(out, DIR "bad-syntax.json", NULL, &err) == -1, "bad input fails");
    size_t len = 0;
    char *kept = th_read_file(out, &len);
    ok(kept && strstr(kept, "</html>"), "and the page written before is left whole");
    ok(th_report_html(DIR "base.json", DIR "base.json", NULL, &err) == -1 && err.input &&
           strstr(err.text, "overwrite"),
       "a page never replaces the results it shows: %s", err.text);
    ok(th_report_html("tests/data/results/../results/base.json", DIR "base.json", NULL, &err) ==
               -1 &&
           err.input,
       "nor under another name");
    ok(th_report_html(DIR "other-machine.json", DIR "base.json", DIR "other-machine.json", &err) ==
               -1 &&
           err.input,
       "nor the baseline");
    ok(th_report_html("/proc/self/no/such.html", DIR "base.json", NULL, &err) == -1 && err.input,
       "an output that cannot be written: %s", err.text);
    free(kept);
    unlink(out);
    char *cmd = th_xasprintf("rm -rf '%s'", tmp);
    ok(system(cmd) == 0, "scratch removed");
    free(cmd);
    free(out);
    free(none);
}

/* Every hand-made results file, good or bad: a whole page or bad input, never a
 * crash (the reader is compare's, which its fuzz target covers; this covers the
 * drawing of what it accepts). */
static void test_corpus(void)
{
    glob_t g;
    size_t pages = 0, refused = 0, odd = 0;
    if (glob(DIR "*.json", 0, NULL, &g) != 0) {
        ok(0, "the corpus");
        return;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct page p = render(g.gl_pathv[i], NULL);
        if (p.rc == 0 && strstr(p.html, "</html>") && self_contained(p.html) && finite_only(p.html))
            pages++;
        else if (p.rc == -1 && p.err.input && p.len == 0)
            refused++;
        else
            odd++, printf("# %s: neither a page nor bad input\n", g.gl_pathv[i]);
        free(p.html);
    }
    ok(!odd && pages >= 10 && refused >= 10, "%zu pages, %zu refused, of %zu files", pages, refused,
       g.gl_pathc);
    globfree(&g);
}

/* Control bytes in every string a results file has (a reason, an id, a server, a
 * library's version, the environment, a unit): the page shows them as \xNN. */
static void test_control_bytes(void)
{
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s}, s:[{s:s, s:s}], s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, "
        "s:s, s:s, s:s, s:s, s:s, s:{s:{s:f, s:f, s:f, s:i, s:s}}}]}",
        "schema", "tlsharness.results/1", "environment", "os", "Linux\033]0;t\007", "odd\033key",
        "v", "backends", "name", "openssl", "version", "3.0\033[2J", "cases", "id",
        "cert/x\033[31m/openssl-vs-srv\007\302\233", "status", "fail", "reason",
        "HTTP/9.9 999 \033]0;pwned\007\302\233"
        "2J\nforged",
        "kind", "handshake", "scenario", "cert/x\033[31m", "client", "openssl", "server",
        "srv\007\302\233", "id", "bulk/y/openssl-vs-srv\007\302\233", "status", "pass", "reason",
        "ok", "kind", "bulk", "scenario", "bulk/y", "client", "openssl", "server",
        "srv\007\302\233", "metrics", "throughput_mib_s", "median", 1.5, "min", 1.0, "max", 2.0,
        "n", 3, "unit", "MiB/s\033[2J");
    /* a failed bulk case: its reason goes into the chart's caption (svg.h) */
    json_array_append_new(json_object_get(doc, "cases"),
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                                    "bulk/y/openssl-vs-openssl", "status", "fail", "reason",
                                    "chart\302\233"
                                    "2J",
                                    "kind", "bulk", "scenario", "bulk/y", "client", "openssl",
                                    "server", "openssl"));
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    struct page p = render_texts("r\033[2J.json", text, strlen(text), NULL, NULL);
    ok(p.rc == 0, "a results file with control bytes renders (%s)", p.err.text);
    ok(p.html && text_safe(p.html), "no control byte of the file's reaches the page");
    ok(p.html && strstr(p.html, "HTTP/9.9 999 \\x1b]0;pwned\\x07\\xc2\\x9b2J\\nforged"),
       "the reason shown with \\xNN");
    ok(p.html && strstr(p.html, "srv\\x07\\xc2\\x9b"),
       "the server's name too (the C1 CSI, which a chart's label would keep, included)");
    ok(p.html && strstr(p.html, "r\\x1b[2J.json"), "the file's name too");
    ok(p.html && strstr(p.html, "chart\\xc2\\x9b2J") && !strstr(p.html, "chart\302\233"),
       "a reason drawn in a chart: the C1 CSI as \\xNN");
    ok(!text_safe("a\033[2J") && !text_safe("a\302\233"), "the check itself catches them");
    free(p.html);
    free(text);
}

int main(void)
{
    test_sections();
    test_compare();
    test_escaping();
    test_control_bytes();
    test_bad_input();
    test_files();
    test_corpus();
    return done_testing();
}
