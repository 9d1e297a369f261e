/* Escaping outside text (harness/vocab/text.c): control bytes and broken UTF-8
 * never pass, good UTF-8 does, and a cut never splits an escape. */
#include "tap.h"

#include "harness/vocab/text.h"

static void test_safe(void)
{
    char b[128];
    is_str(th_text_safe(b, sizeof(b), "plain text, 100%"), "plain text, 100%",
           "plain ASCII passes");
    is_str(th_text_safe(b, sizeof(b), "HTTP/9.9 999 \x1b]0;pwned\a\x1b[2J"),
           "HTTP/9.9 999 \\x1b]0;pwned\\x07\\x1b[2J", "ESC and BEL are escaped");
    is_str(th_text_safe(b, sizeof(b), "a\nb\rc\td"), "a\\nb\\rc\\td",
           "one line: newline, return, tab");
    is_str(th_text_safe(b, sizeof(b), "caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93",
           "well-formed UTF-8 is kept");
    is_str(th_text_safe(b, sizeof(b),
                        "\xc2\x9b"
                        "31m"),
           "\\xc2\\x9b31m", "a C1 control (CSI) is escaped");
    is_str(th_text_safe(b, sizeof(b), "\xff\xfe"), "\\xff\\xfe",
           "bytes that are not UTF-8 are escaped");
    is_str(th_text_safe(b, sizeof(b), "\xe2\x9c"), "\\xe2\\x9c", "a cut-off sequence is escaped");
    is_str(th_text_safe(b, sizeof(b), "\xed\xa0\x80"), "\\xed\\xa0\\x80", "a surrogate is escaped");
    is_str(th_text_safe(b, sizeof(b), "\x7f"), "\\x7f", "DEL is escaped");
    is_str(th_text_safe(b, sizeof(b), NULL), "", "NULL reads as empty");
}

static void test_bounds(void)
{
    char b[8];
    is_str(th_text_safe(b, sizeof(b), "abcdefghij"), "abcdefg", "cut at cap-1");
    is_str(th_text_safe(b, sizeof(b), "abcde\x1b"), "abcde",
           "an escape that does not fit is left out whole");
    is_str(th_text_safe(b, sizeof(b), "abcde\xc3\xa9z"), "abcde\xc3\xa9",
           "a character that fits is kept");
    is_str(th_text_safe(b, 7, "abcde\xc3\xa9z"), "abcde", "one that does not is left out whole");
    char one[1] = {'x'};
    th_text_safe(one, 1, "abc");
    ok(one[0] == '\0', "cap 1: empty string");
    char n[32];
    is_str(th_text_safe_n(n, sizeof(n), "a\0b", 3), "a\\x00b", "a NUL in counted bytes is escaped");
    is_str(th_text_safe_n(n, sizeof(n), "\xc3", 1), "\\xc3",
           "a lead byte at the end is not read past");
}

static void test_is_safe(void)
{
    ok(th_text_is_safe("handshake_failure (openssl 0x0A000410)"), "ordinary text is safe");
    ok(th_text_is_safe("caf\xc3\xa9"), "UTF-8 is safe");
    ok(!th_text_is_safe("a\x1b[2J"), "ESC is not");
    ok(!th_text_is_safe("two\nlines"), "a newline is not");
    ok(!th_text_is_safe("\xff"), "a broken byte is not");
}

static void test_fputs(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    th_text_fputs(f, "x\x1b[31my\n\xc3\xa9");
    fclose(f);
    is_str(buf, "x\\x1b[31my\\n\xc3\xa9", "fputs escapes the same way");
    free(buf);
}

int main(void)
{
    test_safe();
    test_bounds();
    test_is_safe();
    test_fputs();
    return done_testing();
}
