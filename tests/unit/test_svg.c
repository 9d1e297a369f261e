/* The SVG writer: scales, ticks, number labels, escaping, and the charts on empty
 * data, a single point, huge and tiny values, and values that are not numbers (never
 * printed: such a bar or point is skipped). */
#include "harness/report/svg.h"

#include <math.h>
#include <stdlib.h>

#include "tap.h"

/* What a drawing call printed. */
static char *drawn(void (*draw)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    draw(f, arg);
    fclose(f);
    return buf;
}

static void draw_bars(FILE *f, const void *c)
{
    th_svg_bar_chart(f, c);
}

static void draw_lines(FILE *f, const void *c)
{
    th_svg_line_chart(f, c);
}

static void draw_escaped(FILE *f, const void *s)
{
    th_svg_escape(f, s);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* No NaN or infinity in any spelling printf has for them. */
static int finite_only(const char *svg)
{
    for (const char *p = svg; *p; p++)
        if (strncasecmp(p, "nan", 3) == 0 || strncasecmp(p, "inf", 3) == 0) {
            printf("# not finite near: %.40s\n", p > svg + 20 ? p - 20 : svg);
            return 0;
        }
    return 1;
}

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1, fabs(b));
}

static void test_scales(void)
{
    struct th_scale s;
    ok(th_scale_linear(&s, 0, 100, 10, 210) == 0, "linear scale");
    ok(near(th_scale_map(&s, 0), 10) && near(th_scale_map(&s, 100), 210) &&
           near(th_scale_map(&s, 50), 110),
       "linear: ends and middle");
    ok(near(th_scale_map(&s, 200), 410), "linear: outside the domain maps outside the range");
    ok(isnan(th_scale_map(&s, NAN)) && isnan(th_scale_map(&s, INFINITY)),
       "linear: NaN and infinity map to NaN");
    ok(th_scale_linear(&s, 5, 5, 0, 100) == 0 && near(th_scale_map(&s, 5), 50),
       "linear: an empty domain is widened around its value");
    ok(th_scale_linear(&s, 0, NAN, 0, 1) != 0 && th_scale_linear(&s, -INFINITY, 1, 0, 1) != 0,
       "linear: a domain not finite is refused");
    ok(th_scale_linear(&s, -1e308, 1e308, 0, 1) != 0, "linear: a domain too wide is refused");
    ok(th_scale_log(&s, 1, 1000, 0, 300) == 0 && near(th_scale_map(&s, 10), 100) &&
           near(th_scale_map(&s, 1000), 300),
       "log: decades evenly spaced");
    ok(isnan(th_scale_map(&s, 0)) && isnan(th_scale_map(&s, -5)),
       "log: zero and negative values map to NaN");
    ok(th_scale_log(&s, 0, 10, 0, 1) != 0 && th_scale_log(&s, -1, 10, 0, 1) != 0 &&
           th_scale_log(&s, 10, 1, 0, 1) != 0,
       "log: a domain not positive or reversed is refused");
    ok(th_scale_log(&s, 7, 7, 0, 100) == 0 && near(th_scale_map(&s, 7), 50),
       "log: an empty domain is widened tenfold either side");
    ok(th_scale_log(&s, 1e-300, 1e300, 0, 600) == 0 && near(th_scale_map(&s, 1), 300),
       "log: huge and tiny bounds");
}

static void test_ticks(void)
{
    double t[32];
    size_t n = th_ticks_linear(0, 2000, 4, t, 32);
    ok(n == 5 && t[0] == 0 && t[1] == 500 && t[4] == 2000, "linear ticks at a nice step");
    n = th_ticks_linear(0, 1, 5, t, 32);
    ok(n == 6 && near(t[3], 0.6) && t[0] == 0, "ticks of a fraction");
    n = th_ticks_linear(-7, 13, 4, t, 32);
    ok(n >= 3 && t[0] >= -7 && t[n - 1] <= 13 && fmod(t[1] - t[0], 5) == 0,
       "ticks across zero stay in the extent");
    n = th_ticks_linear(0, 3e300, 3, t, 32);
    ok(n >= 2 && n <= 8 && t[n - 1] <= 3e300, "huge extent: a few ticks");
    n = th_ticks_linear(0, 4e-300, 4, t, 32);
    ok(n >= 2 && n <= 9 && t[1] > 0, "tiny extent: a few ticks");
    n = th_ticks_linear(1e20, 1e20 + 1, 4, t, 32);
    ok(n <= 32, "an extent below the numbers' precision: no endless loop");
    ok(th_ticks_linear(3, 3, 4, t, 32) == 1 && t[0] == 3, "a single value: one tick");
    ok(th_ticks_linear(NAN, 1, 4, t, 32) == 0 && th_ticks_linear(0, INFINITY, 4, t, 32) == 0 &&
           th_ticks_linear(5, 1, 4, t, 32) == 0,
       "no ticks for NaN, infinity or a reversed extent");
    ok(th_ticks_linear(0, 1000, 100, t, 4) == 4, "never more than cap");
    n = th_ticks_log(0.1, 100, t, 32);
    ok(n == 4 && near(t[0], 0.1) && near(t[3], 100), "log ticks at the powers of ten");
    n = th_ticks_log(1, 5, t, 32);
    ok(n == 3 && t[0] == 1 && t[1] == 2 && t[2] == 5, "under one decade: 1, 2, 5");
    n = th_ticks_log(1e-300, 1e300, t, 32);
    ok(n == 32, "600 decades: capped");
    ok(th_ticks_log(0, 10, t, 32) == 0 && th_ticks_log(-1, 10, t, 32) == 0,
       "no log ticks from zero or below");

    double lo = 0, hi = 1071;
    th_nice_extent(&lo, &hi, 4);
    ok(lo == 0 && hi >= 1071 && hi <= 1500, "nice extent: up to a round step (%g)", hi);
    lo = NAN, hi = 1;
    th_nice_extent(&lo, &hi, 4);
    ok(lo == 0 && hi == 1, "nice extent of NaN: [0, 1]");
    lo = hi = 0;
    th_nice_extent(&lo, &hi, 4);
    ok(lo == 0 && hi == 1, "nice extent of nothing: [0, 1]");
}

static void test_fmt(void)
{
    char b[32];
    is_str(th_svg_fmt(0, b, sizeof b), "0", "zero");
    is_str(th_svg_fmt(-0.0, b, sizeof b), "0", "minus zero");
    is_str(th_svg_fmt(1071.589, b, sizeof b), "1072", "four digits");
    is_str(th_svg_fmt(0.20947, b, sizeof b), "0.2095", "a fraction");
    is_str(th_svg_fmt(23587.2, b, sizeof b), "23.6k", "thousands");
    is_str(th_svg_fmt(1.2e9, b, sizeof b), "1.2G", "billions");
    is_str(th_svg_fmt(-3e5, b, sizeof b), "-300k", "negative");
    is_str(th_svg_fmt(1e-7, b, sizeof b), "1e-07", "tiny");
    is_str(th_svg_fmt(NAN, b, sizeof b), "–", "NaN is a dash");
    is_str(th_svg_fmt(-INFINITY, b, sizeof b), "–", "infinity is a dash");
    ok(finite_only(th_svg_fmt(1e300, b, sizeof b)), "huge: %s", b);
}

static void test_escape(void)
{
    char *s = drawn(draw_escaped, "<a href='x'>&\"</a>");
    is_str(s, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;", "markup escaped");
    free(s);
    s = drawn(draw_escaped, "ok\xff\x01"
                            "bell\xc3\xa9");
    is_str(s,
           "ok\xEF\xBF\xBD"
           "bell\xc3\xa9",
           "bad UTF-8 replaced, control left out, UTF-8 kept");
    free(s);
    s = drawn(draw_escaped, NULL);
    is_str(s, "", "NULL prints nothing");
    free(s);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    th_svg_escape_cut(f, "abcdefgh", 5);
    fputc('|', f);
    th_svg_escape_cut(f, "abc", 5);
    fclose(f);
    is_str(buf, "abcd…|abc", "cut to a budget with an ellipsis");
    free(buf);
}

static void test_bars(void)
{
    struct th_bar_chart c = {.axis = "throughput (MiB/s)", .label = "t", .width = 400};
    char *s = drawn(draw_bars, &c);
    ok(strstr(s, "no data") && !strstr(s, "class=\"bar\""), "no bars: says no data");
    free(s);

    struct th_bar none[] = {{NULL, "a", NAN, NAN, NAN, NULL, NULL},
                            {NULL, "b", INFINITY, 1, 2, NULL, NULL}};
    c.bars = none, c.n = 2;
    s = drawn(draw_bars, &c);
    ok(strstr(s, "no data") && finite_only(s), "only NaN and infinity: no data, none printed");
    free(s);

    struct th_bar one[] = {{NULL, "solo", 42, 40, 44, "#123456", NULL}};
    c.bars = one, c.n = 1;
    s = drawn(draw_bars, &c);
    ok(count(s, "<g class=\"bar\">") == 1 && strstr(s, "#123456") && strstr(s, ">42<") &&
           count(s, "class=\"whisker\"") == 3,
       "a single bar, its colour, value and whisker");
    ok(strstr(s, "throughput (MiB/s)") != NULL, "the axis says the unit");
    free(s);

    struct th_bar mixed[] = {
        {"g1", "huge", 1e300, 9e299, 1.1e300, NULL, NULL},
        {"g1", "tiny", 1e-300, NAN, NAN, NULL, NULL},
        {"g2", "gone", NAN, 1, 2, NULL, NULL},
        {"g2", "<script>\"x\"", 5, NAN, 6, NULL, NULL},
    };
    c.bars = mixed, c.n = 4;
    s = drawn(draw_bars, &c);
    ok(count(s, "<g class=\"bar\">") == 3, "NaN bar skipped, the others drawn");
    ok(finite_only(s), "huge and tiny values: every number printed is finite");
    ok(!strstr(s, "<script") && strstr(s, "&lt;script&gt;&quot;x&quot;"), "labels escaped");
    ok(count(s, "class=\"group\"") == 2, "a heading per group");
    ok(count(s, "class=\"whisker\"") == 3, "a whisker only where both ends are numbers");
    free(s);

    struct th_bar neg[] = {{NULL, "down", -5, -6, -4, NULL, NULL},
                           {NULL, "up", 10, NAN, NAN, NULL, NULL}};
    c.bars = neg, c.n = 2;
    s = drawn(draw_bars, &c);
    ok(count(s, "<g class=\"bar\">") == 2 && finite_only(s), "negative values drawn from zero");
    free(s);
    ok(th_svg_bar_max(mixed, 4) == 1.1e300, "the largest end of the bars drawn");
    ok(th_svg_bar_max(none, 2) == 0, "no bar: 0");
}

static void test_lines(void)
{
    double x[] = {0.3, 1, 2, 3}, y[] = {0.2, 0.5, 25, 26};
    double bx[] = {NAN, 1, 2, INFINITY}, by[] = {1, 0, 3, 4};
    double hx[] = {1, 2}, hy[] = {1e300, 1e-300};
    struct th_series s[] = {{"first", x, y, 4, NULL}, {"bad & odd", bx, by, 4, "#abcdef"}};
    struct th_tick ticks[] = {{0.30103, "p50"}, {2, "p99"}};
    struct th_line_chart c = {.series = s,
                              .n = 0,
                              .x_axis = "percentile",
                              .y_axis = "latency (ms)",
                              .y_log = 1,
                              .label = "l",
                              .width = 500,
                              .height = 250};
    char *out = drawn(draw_lines, &c);
    ok(strstr(out, "no data") && !strstr(out, "class=\"series\""), "no series: no data");
    free(out);

    c.n = 2;
    out = drawn(draw_lines, &c);
    ok(count(out, "<g class=\"series\">") == 2, "a group per series");
    ok(count(out, "<circle") == 4 + 1, "points that cannot be drawn are skipped (zero on log)");
    ok(finite_only(out), "no NaN or infinity printed");
    ok(strstr(out, "bad &amp; odd") && strstr(out, "latency (ms)"), "names and units escaped");
    free(out);

    struct th_series single[] = {{"one", x, y, 1, NULL}};
    c.series = single, c.n = 1, c.x_ticks = ticks, c.n_x_ticks = 2;
    out = drawn(draw_lines, &c);
    ok(count(out, "<g class=\"series\">") == 1 && count(out, "<circle") == 1,
       "a single point: one series, one dot");
    ok(strstr(out, ">p50<") && strstr(out, ">p99<") && finite_only(out), "named ticks");
    free(out);

    struct th_series huge[] = {{"h", hx, hy, 2, NULL}};
    c.series = huge, c.x_ticks = NULL, c.n_x_ticks = 0;
    out = drawn(draw_lines, &c);
    ok(count(out, "<circle") == 2 && finite_only(out), "600 decades on a log axis");
    free(out);

    c.y_log = 0;
    out = drawn(draw_lines, &c);
    ok(finite_only(out), "huge and tiny on a linear axis: still finite");
    free(out);

    double nx[] = {NAN}, ny[] = {1};
    struct th_series nothing[] = {{"n", nx, ny, 1, NULL}};
    c.series = nothing;
    out = drawn(draw_lines, &c);
    ok(strstr(out, "no data") && finite_only(out), "only NaN points: no data");
    free(out);
}

static void test_meter(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    th_svg_meter(f, NAN, 0, 1, 50, NULL);
    th_svg_meter(f, 2, 0, 1, 50, NULL);
    th_svg_meter(f, 0.5, 0, 0, 50, NULL);
    fclose(f);
    ok(finite_only(buf) && count(buf, "<rect") == 4, "meters: NaN and an empty range drawn empty");
    ok(strstr(buf, "width=\"50.0\" height=\"10\" fill=\"#4e79a7\"") != NULL,
       "a value past the end fills the meter");
    free(buf);
}

int main(void)
{
    test_scales();
    test_ticks();
    test_fmt();
    test_escape();
    test_bars();
    test_lines();
    test_meter();
    return done_testing();
}
