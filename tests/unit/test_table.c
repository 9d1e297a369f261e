/* The terminal's text table: numbers with sensible precision, headers wrapped at
 * their separators, columns aligned, blocks that fit the width. */
#include <math.h>

#include "harness/report/table.h"
#include "harness/vocab/util.h"
#include "tap.h"

static char *printed(const struct th_table *t, int indent, int width)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    th_table_print(f, t, indent, width);
    fclose(f);
    return text;
}

static void test_num(void)
{
    char b[32];
    struct {
        double x;
        const char *want;
    } v[] = {
        {1157.4, "1157"},   {784.26, "784"},     {99.94, "99.9"}, {12.345, "12.3"},
        {1.234, "1.23"},    {0.1234, "0.123"},   {0, "0.000"},    {-3.5, "-3.50"},
        {-0.0001, "0.000"}, {1e9, "1000000000"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(v); i++) {
        th_table_num(b, sizeof(b), v[i].x);
        is_str(b, v[i].want, "number %g", v[i].x);
    }
    th_table_num(b, sizeof(b), NAN);
    is_str(b, "-", "NaN is a dash, never printed");
    th_table_num(b, sizeof(b), INFINITY);
    is_str(b, "-", "infinity is a dash");
}

static void test_wrap(void)
{
    char buf[128];
    const char *l[4];
    size_t n = th_table_wrap("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, buf, sizeof(buf), l, 4);
    is_int(n, 3, "a suite over three lines");
    is_str(l[0], "TLS_ECDHE_RSA_", "broken after '_'");
    is_str(l[1], "WITH_AES_128_", "second line");
    is_str(l[2], "GCM_SHA256", "last line");
    n = th_table_wrap("p50 ms", 16, buf, sizeof(buf), l, 4);
    ok(n == 1 && strcmp(l[0], "p50 ms") == 0, "short header: one line");
    n = th_table_wrap("tls13 client B", 8, buf, sizeof(buf), l, 4);
    ok(n == 2 && strcmp(l[0], "tls13") == 0 && strcmp(l[1], "client B") == 0,
       "spaces break and are dropped");
    n = th_table_wrap("supercalifragilistic-x", 8, buf, sizeof(buf), l, 4);
    ok(n == 2 && strcmp(l[0], "supercalifragilistic-") == 0 && strcmp(l[1], "x") == 0,
       "a piece longer than the width stays whole");
    n = th_table_wrap("a_b_c_d_e_f", 2, buf, sizeof(buf), l, 3);
    ok(n == 3 && strcmp(l[2], "c_d_e_f") == 0, "the last allowed line takes the rest");
    is_int(th_table_wrap("", 8, buf, sizeof(buf), l, 4), 0, "empty: no line");
    is_int(th_table_wrap("abcdef", 8, buf, 3, l, 4), 0, "no room in the buffer: no line");
}

static void test_print(void)
{
    struct th_table *t = th_table_new("client-vs-server");
    size_t r0 = th_table_row(t, "openssl-vs-openssl"), r1 = th_table_row(t, "gnutls-vs-gnutls");
    size_t a = th_table_col(t, "TLS_AES_128_GCM_SHA256"), b = th_table_col(t, "req/s");
    is_int(th_table_row(t, "openssl-vs-openssl"), r0, "a row found again by name");
    is_int(th_table_col(t, "req/s"), b, "a column found again by name");
    is_int(th_table_rows(t), 2, "two rows");
    is_int(th_table_cols(t), 2, "two columns");
    th_table_set(t, r0, a, "%s (%.2f)", "1157", 0.794);
    th_table_set(t, r1, a, "%s", "784 (0.76)");
    th_table_set(t, r0, b, "%d", 12);
    th_table_set(t, 7, 0, "%s", "ignored");
    th_table_set(t, 0, 9, "%s", "ignored");
    char *s = printed(t, 2, 0);
    is_str(s,
           "                      TLS_AES_128_\n"
           "  client-vs-server      GCM_SHA256  req/s\n"
           "  openssl-vs-openssl   1157 (0.79)     12\n"
           "  gnutls-vs-gnutls      784 (0.76)      .\n",
           "aligned: labels left, numbers right, header over its numbers, '.' unset");
    free(s);
    s = printed(t, 0, 35);
    is_str(s,
           "                    TLS_AES_128_\n"
           "client-vs-server      GCM_SHA256\n"
           "openssl-vs-openssl   1157 (0.79)\n"
           "gnutls-vs-gnutls      784 (0.76)\n"
           "\n"
           "client-vs-server    req/s\n"
           "openssl-vs-openssl     12\n"
           "gnutls-vs-gnutls        .\n",
           "too wide: a second block repeats the labels");
    free(s);
    s = printed(t, 0, 5);
    ok(strstr(s, "1157 (0.79)") && strstr(s, "req/s"), "narrower than one column: one a block");
    free(s);
    th_table_free(t);
    th_table_free(NULL);

    t = th_table_new("c");
    th_table_col(t, "server");
    th_table_set(t, th_table_row(t, "x"), 0, "2/3");
    th_table_paint(t, 0, 0, "\033[32m");
    th_table_paint(t, 5, 0, "\033[31m"); /* no such row: ignored */
    s = printed(t, 0, 0);
    is_str(s, "c  server\nx     \033[32m2/3\033[0m\n", "a painted cell: colour takes no column");
    free(s);
    th_table_free(t);

    t = th_table_new("backend");
    s = printed(t, 0, 80);
    is_str(s, "backend\n", "an empty table: only its corner");
    free(s);
    th_table_free(t);
}

/* A header, a row label, a cell and the corner with control bytes: kept as \\xNN (no
 * byte a terminal acts on), and the same name still finds the same row. */
static void test_hostile(void)
{
    struct th_table *t = th_table_new("c\033[2J");
    size_t col = th_table_col(t, "srv\033]0;x\007");
    size_t row = th_table_row(t, "row\nforged");
    th_table_set(t, row, col, "%s", "v\302\233");
    is_int(th_table_row(t, "row\nforged"), row, "the same label finds its row");
    is_int(th_table_rows(t), 1, "and adds none");
    char *s = printed(t, 0, 0);
    is_str(s,
           "c\\x1b[2J     srv\\x1b]0;x\\x07\n"
           "row\\nforged        v\\xc2\\x9b\n",
           "every text escaped, the columns aligned to what is printed");
    ok(!strchr(s, '\033') && !strchr(s, '\007') && !strstr(s, "\302\233"), "no raw control byte");
    free(s);
    th_table_free(t);
}

int main(void)
{
    test_hostile();
    test_num();
    test_wrap();
    test_print();
    return done_testing();
}
