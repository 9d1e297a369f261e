/* The JSON position finder behind the scenario reader's FILE:LINE:COL. */
#include "harness/vocab/jsonpos.h"

#include "tap.h"

#define K(k)                                                                                       \
    {                                                                                              \
        k, 0                                                                                       \
    }
#define I(i)                                                                                       \
    {                                                                                              \
        NULL, i                                                                                    \
    }

static void at(const char *text, const struct th_jpath *path, size_t n, int at_key, int rc,
               int line, int col, const char *what)
{
    int l = -1, c = -1;
    int got = th_jsonpos_find(text, strlen(text), path, n, at_key, &l, &c);
    is_int(got, rc, "%s: return", what);
    is_int(l, line, "%s: line", what);
    is_int(c, col, "%s: column", what);
}

static const char doc[] = "{\n"
                          "  \"name\": \"x\",\n"
                          "  \"client\": {\"versions\": [\"1.2\", \"1.4\"],\n"
                          "             \"alpn\": [[1, {\"a\": \"]}\"}], \"h2\"]},\n"
                          "  \"esc\\\"aped\": true,\n"
                          "  \"\\u00e9t\\u00e9\": 3,\n"
                          "  \"caf\xc3\xa9\": 1, \"x\": null\n"
                          "}\n";

static void test_paths(void)
{
    struct th_jpath p1[] = {K("client"), K("versions"), I(1)};
    struct th_jpath p2[] = {K("client"), K("alpn"), I(1)};
    struct th_jpath p3[] = {K("esc\"aped")};
    struct th_jpath p4[] = {K("\xc3\xa9t\xc3\xa9")};
    struct th_jpath p5[] = {K("x")};
    struct th_jpath p6[] = {K("client"), K("versions")};
    at(doc, NULL, 0, 0, 0, 1, 1, "top level");
    at(doc, p1, 3, 0, 0, 3, 34, "array element");
    at(doc, p2, 3, 0, 0, 4, 41, "element after a nested container with brackets in a string");
    at(doc, p3, 1, 0, 0, 5, 16, "key with an escaped quote");
    at(doc, p4, 1, 0, 0, 6, 20, "key with \\u escapes");
    at(doc, p5, 1, 0, 0, 7, 19, "columns count UTF-8 characters, not bytes");
    at(doc, p6, 2, 1, 0, 3, 14, "at_key points at the key");
    at(doc, p6, 1, 1, 0, 3, 3, "at_key on a shorter path");
}

static void test_missing(void)
{
    struct th_jpath nokey[] = {K("client"), K("nope")};
    struct th_jpath noidx[] = {K("client"), K("versions"), I(5)};
    struct th_jpath notobj[] = {K("name"), K("x")};
    at(doc, nokey, 2, 0, -1, 3, 13, "missing key: deepest found is the object");
    at(doc, noidx, 3, 0, -1, 3, 26, "index past the end: the array");
    at(doc, notobj, 2, 0, -1, 2, 11, "descending into a string");
    at("", NULL, 0, 0, 0, 1, 1, "empty text");
    at("[1, 2", (struct th_jpath[]){I(3)}, 1, 0, -1, 1, 1, "truncated array");
    at("{\"a\": \"unterminated", (struct th_jpath[]){K("b")}, 1, 0, -1, 1, 1,
       "unterminated string");
    at("{\"a\" 1}", (struct th_jpath[]){K("a")}, 1, 0, -1, 1, 1, "missing colon");
    at("  \r\n\t[0,\n  [1, 2]]", (struct th_jpath[]){I(1), I(1)}, 2, 0, 0, 3, 7, "CRLF and tabs");
}

/* th_jsonpos_near, for error messages: the same place as th_jsonpos_find, found or
 * not. */
static void test_near(void)
{
    struct th_jpath found[] = {K("client"), K("versions"), I(1)};
    struct th_jpath missing[] = {K("client"), K("nope")};
    int l = -1, c = -1;
    th_jsonpos_near(doc, strlen(doc), found, 3, 0, &l, &c);
    ok(l == 3 && c == 34, "near: a path in the text (%d:%d)", l, c);
    th_jsonpos_near(doc, strlen(doc), missing, 2, 0, &l, &c);
    ok(l == 3 && c == 13, "near: a missing key points at the deepest value found (%d:%d)", l, c);
    th_jsonpos_near("{\"a\" 1}", 7, (struct th_jpath[]){K("a")}, 1, 0, &l, &c);
    ok(l == 1 && c == 1, "near: a broken text points at its start (%d:%d)", l, c);
}

static void test_deep(void)
{
    /* deep nesting is skipped without recursion */
    size_t depth = 100000;
    char *s = malloc(depth * 2 + 16);
    size_t n = 0;
    s[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        s[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        s[n++] = ']';
    memcpy(s + n, ", 7]", 5);
    at(s, (struct th_jpath[]){I(1)}, 1, 0, 0, 1, (int)(depth * 2 + 4),
       "after a deeply nested value");
    free(s);
}

int main(void)
{
    test_paths();
    test_missing();
    test_near();
    test_deep();
    return done_testing();
}
