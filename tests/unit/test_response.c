/* The load generator's HTTP/1.1 response reader and payload check
 * (harness/http/response.c), fed bytes directly: whole responses in pieces of every
 * size, and each way a response can be unacceptable. */
#include "tap.h"

#include "harness/http/response.h"
#include "harness/vocab/text.h"
#include "harness/vocab/util.h"

enum shape { S_CORRUPT, S_CHUNKED, S_CLOSE };

/* A 200 response whose body is 1024 pattern bytes, into out; its length. */
static size_t response(enum shape m, char *out)
{
    unsigned char body[1024];
    th_pattern_fill(0, 0, body, sizeof(body));
    size_t n = 0;
    if (m == S_CHUNKED) {
        n = (size_t)sprintf(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < sizeof(body); off += 300) {
            size_t k = sizeof(body) - off < 300 ? sizeof(body) - off : 300;
            n += (size_t)sprintf(out + n, "%zx;x=y\r\n", k);
            memcpy(out + n, body + off, k);
            n += k;
            n += (size_t)sprintf(out + n, "\r\n");
        }
        return n + (size_t)sprintf(out + n, "0\r\nX-Trailer: 1\r\n\r\n");
    }
    if (m == S_CORRUPT)
        body[100] ^= 0x01;
    n = (size_t)sprintf(out, "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n%s\r\n",
                        m == S_CLOSE ? "Connection: close\r\n" : "");
    memcpy(out + n, body, sizeof(body));
    return n + sizeof(body);
}

static enum th_http_result feed_str(struct th_http_resp *r, const char *s, size_t len, size_t step)
{
    enum th_http_result res = TH_HTTP_MORE;
    for (size_t i = 0; i < len && res == TH_HTTP_MORE; i += step)
        res = th_http_resp_feed(r, (const unsigned char *)s + i, len - i < step ? len - i : step);
    return res;
}

static struct th_http_resp R; /* 8 KiB head buffer: not on the stack */

static void expect_bad(const char *resp, int check, uint64_t want_len, const char *text)
{
    th_http_resp_start(&R, check, want_len);
    enum th_http_result res = feed_str(&R, resp, strlen(resp), 7);
    ok(res == TH_HTTP_BAD && strstr(R.why, text), "reader refuses: '%s'", R.why);
}

/* Fed in one piece to an already started (and configured) reader. */
static void expect_bad_fed(const char *resp, const char *text)
{
    enum th_http_result res = feed_str(&R, resp, strlen(resp), strlen(resp));
    ok(res == TH_HTTP_BAD && strstr(R.why, text), "reader refuses: '%s'", R.why);
}

static void expect_done(const char *resp, const char *what)
{
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, resp, strlen(resp), 100) == TH_HTTP_DONE, "%s", what);
}

static void test_good(void)
{
    char resp[4096];
    /* every split of a chunked response gives the same body */
    size_t n = response(S_CHUNKED, resp);
    int all = 1;
    for (size_t step = 1; step <= n; step += step < 16 ? 1 : 97) {
        th_http_resp_start(&R, 1, 1024);
        all &= feed_str(&R, resp, n, step) == TH_HTTP_DONE && R.body == 1024 && R.chunked;
    }
    ok(all, "chunked, fed in pieces of every size: done, 1024 bytes checked");
    n = response(S_CLOSE, resp);
    th_http_resp_start(&R, 1, 1024);
    ok(feed_str(&R, resp, n, 1) == TH_HTTP_DONE && R.close && R.status == 200,
       "Content-Length, byte by byte: done, Connection: close seen");
    th_http_resp_start(&R, 1, 1024);
    ok(feed_str(&R, resp, n / 2, n) == TH_HTTP_MORE && R.phase == TH_HTTP_BODY,
       "half a response: more wanted");
    const char *h10 = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, h10, strlen(h10), 100) == TH_HTTP_DONE && R.close, "HTTP/1.0: closes");
    const char *ka = "HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n";
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, ka, strlen(ka), 100) == TH_HTTP_DONE && !R.close,
       "HTTP/1.0 keep-alive, lower-case names: stays open");
    expect_done("HTTP/1.1 204 No Content\r\n\r\n", "204: no body");
    expect_done("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
                "the same Content-Length twice is one");
    expect_done("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
                "2\r\nok\r\n0\r\n\r\n",
                "chunked overrides a Content-Length");
    expect_done("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "a status line without a reason");

    n = response(S_CORRUPT, resp);
    resp[n] = '\0';
    expect_bad(resp, 1, 1024, "body differs at byte 100");
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, resp, n, 64) == TH_HTTP_DONE, "the same body unchecked for another path");
}

static void test_bad(void)
{
    expect_bad("HTTP/1.1 200 OK\r\n\r\n", 0, 0, "neither a Content-Length nor chunked");
    expect_bad("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 0, 0, "HTTP status 503");
    expect_bad("HTTP/1.1 101 Switching\r\n\r\n", 0, 0, "HTTP status 101");
    expect_bad("HTTP/1.1 304 Not Modified\r\n\r\n", 0, 0, "HTTP status 304");
    expect_bad("HTTP/2 200\r\n\r\n", 0, 0, "bad status line");
    expect_bad("HTTP/1.1 20x OK\r\n\r\n", 0, 0, "bad status line");
    expect_bad("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 0, 0, "bare LF in the response head");
    expect_bad("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, 0,
               "two different Content-Length");
    expect_bad("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, 0, "bad Content-Length");
    expect_bad("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, 0, "empty Content-Length");
    expect_bad("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, 0,
               "bad Content-Length");
    expect_bad("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 0, 0, "malformed header line");
    expect_bad("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", 0, 0, "malformed header line");
    expect_bad("HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n", 0, 0, "bare LF in the response head");
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, 0,
               "Transfer-Encoding 'gzip, chunked' not supported");
    expect_bad("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc", 0, 0, "1 bytes after");
    expect_bad("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1, 4, "Content-Length 5, asked");
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 0,
               "bad chunk size line");
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", 0, 0,
               "chunk data not followed by CRLF");
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 0, 0,
               "chunk size missing");
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n", 0, 0,
               "chunk size too large");
    /* a chunked body shorter, then longer, than asked for */
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1, 10,
               "body of 0 bytes, asked for 10");
    expect_bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", 1, 2,
               "body longer than the 2 bytes asked for");
    static char big[TH_HTTP_HEAD_MAX + 64];
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    expect_bad(big, 0, 0, "response head longer than");
    static char trailer[TH_HTTP_HEAD_MAX + 128];
    int n = snprintf(trailer, sizeof(trailer),
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ");
    memset(trailer + n, 'b', sizeof(trailer) - (size_t)n - 1);
    expect_bad(trailer, 0, 0, "trailer longer than");
}

/* What the hostile servers of tests/tools/hostile_server.py send: each refused at
 * once (not left waiting for more), its reason one line without a control byte. */
static void expect_hostile(const char *resp, const char *text)
{
    th_http_resp_start(&R, 0, 0);
    R.max_body = 1 << 20;
    R.until_close = 1; /* as the in-process clients read an external server */
    enum th_http_result res = feed_str(&R, resp, strlen(resp), strlen(resp));
    ok(res == TH_HTTP_BAD && strstr(R.why, text) && th_text_is_safe(R.why),
       "hostile: refused at once, safe reason: '%s'", R.why);
}

static void test_hostile(void)
{
    expect_hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-hex\r\n",
                   "bad chunk size line");
    expect_hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "10000000000000000000000\r\n",
                   "chunk size too large");
    expect_hostile("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length '-1'");
    expect_hostile("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551616\r\n\r\n",
                   "bad Content-Length");
    expect_hostile("HTTP/9.9 999 \x1b]0;pwned\x07\x1b[2J\x1b[31mred\r\nContent-Length: 2\r\n\r\nok",
                   "bad status line 'HTTP/9.9 999 \\x1b]0;pwned\\x07\\x1b[2J");
    expect_hostile("HTTP/1.1 200 OK\r\nX-Evil\x1b[2J\x07 no colon\r\nContent-Length: 2\r\n\r\nok",
                   "malformed header line 'X-Evil\\x1b[2J\\x07 no colon'");
    expect_hostile("HTTP/1.1 200 OK\r\nContent-Length: 1\x1b\r\n\r\n", "'1\\x1b'");
    expect_hostile("HTTP/1.1 200 OK\r\nTransfer-Encoding: \x9b"
                   "2J\r\n\r\n",
                   "Transfer-Encoding '\\x9b2J' not supported");
    expect_hostile("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror",
                   "HTTP status 500");
    expect_hostile("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "HTTP status 404");
    expect_hostile("HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n",
                   "Content-Length 1099511627776 over the bound of 1048576 bytes");
    /* a quoted line is cut, whatever its length */
    static char longline[4096];
    int n = snprintf(longline, sizeof(longline), "HTTP/1.1 200 OK\r\nX");
    memset(longline + n, '\x1b', 2000);
    strcpy(longline + n + 2000, "\r\n\r\n");
    expect_hostile(longline, "malformed header line");
    ok(strlen(R.why) < sizeof(R.why), "a long quoted line is cut to the reason");
    /* an endless chunk extension is not read forever */
    static char ext[TH_HTTP_HEAD_MAX + 256];
    n = snprintf(ext, sizeof(ext), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    memset(ext + n, 'e', sizeof(ext) - (size_t)n - 1);
    expect_hostile(ext, "chunk size line longer than");
}

/* max_body: the bound on a body nobody asked the length of; until_close: a body
 * framed by the peer's close, and th_http_resp_eof. */
static void test_bounds(void)
{
    static unsigned char chunk[70000];
    memset(chunk, 'y', sizeof(chunk));
    const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    th_http_resp_start(&R, 0, 0);
    R.max_body = 100000;
    enum th_http_result res = feed_str(&R, head, strlen(head), 100);
    for (int i = 0; i < 4 && res == TH_HTTP_MORE; i++) {
        char size[32];
        int k = snprintf(size, sizeof(size), "%zx\r\n", sizeof(chunk));
        res = th_http_resp_feed(&R, (const unsigned char *)size, (size_t)k);
        if (res == TH_HTTP_MORE)
            res = th_http_resp_feed(&R, chunk, sizeof(chunk));
        if (res == TH_HTTP_MORE)
            res = th_http_resp_feed(&R, (const unsigned char *)"\r\n", 2);
    }
    ok(res == TH_HTTP_BAD && strstr(R.why, "body over the bound of 100000 bytes") &&
           R.body <= 100000,
       "chunked past max_body: refused at the bound ('%s', %llu bytes)", R.why,
       (unsigned long long)R.body);
    th_http_resp_start(&R, 0, 0);
    R.max_body = 2;
    ok(feed_str(&R, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 40, 5) == TH_HTTP_DONE,
       "a body of exactly max_body passes");
    th_http_resp_start(&R, 0, 0);
    R.max_body = 1;
    expect_bad_fed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "over the bound of 1");

    const char *nolen = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello";
    th_http_resp_start(&R, 0, 0);
    R.until_close = 1;
    ok(feed_str(&R, nolen, strlen(nolen), 3) == TH_HTTP_MORE && R.phase == TH_HTTP_UNTIL_CLOSE,
       "no length, until_close: the body runs on");
    ok(th_http_resp_eof(&R) == TH_HTTP_DONE && R.body == 5, "... and the close ends it: 5 bytes");
    th_http_resp_start(&R, 0, 0);
    R.until_close = 1;
    R.max_body = 4;
    ok(feed_str(&R, nolen, strlen(nolen), 100) == TH_HTTP_BAD && strstr(R.why, "bound of 4"),
       "until_close is bounded too");
    th_http_resp_start(&R, 1, 5);
    R.until_close = 1;
    ok(feed_str(&R, nolen, strlen(nolen), 100) == TH_HTTP_BAD && strstr(R.why, "differs at byte 0"),
       "until_close with a check: the body is still checked ('%s')", R.why);

    th_http_resp_start(&R, 0, 0);
    ok(th_http_resp_eof(&R) == TH_HTTP_BAD && strstr(R.why, "closed before any response"),
       "a close before any byte: bad ('%s')", R.why);
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, "HTTP/1.1 200", 12, 12) == TH_HTTP_MORE &&
           th_http_resp_eof(&R) == TH_HTTP_BAD && strstr(R.why, "within the response head"),
       "a close within the head: bad ('%s')", R.why);
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 41, 41) == TH_HTTP_MORE &&
           th_http_resp_eof(&R) == TH_HTTP_BAD && strstr(R.why, "after 3 body bytes"),
       "a close within a Content-Length body: bad ('%s')", R.why);
    th_http_resp_start(&R, 0, 0);
    ok(feed_str(&R, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38, 38) == TH_HTTP_DONE &&
           th_http_resp_eof(&R) == TH_HTTP_DONE,
       "a close after a whole response: done");
    th_http_resp_start(&R, 0, 0);
    expect_bad_fed(nolen, "neither a Content-Length nor chunked");
}

/* want_body: the expected bytes given, rather than the pattern (a server of ours
 * sends a body seeded by the case). */
static void test_want_body(void)
{
    static const unsigned char want[] = "abcdef";
    const char *good = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef";
    const char *differs = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcXef";
    th_http_resp_start(&R, 1, 6);
    R.want_body = want;
    ok(feed_str(&R, good, strlen(good), 1) == TH_HTTP_DONE, "want_body: the same bytes pass");
    th_http_resp_start(&R, 1, 6);
    R.want_body = want;
    ok(feed_str(&R, differs, strlen(differs), 2) == TH_HTTP_BAD &&
           strstr(R.why, "body differs at byte 3"),
       "want_body: a different byte is found ('%s')", R.why);
    th_http_resp_start(&R, 1, 6);
    R.want_body = want;
    const char *shorter = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde";
    ok(feed_str(&R, shorter, strlen(shorter), 100) == TH_HTTP_BAD &&
           strstr(R.why, "Content-Length 5, asked for 6"),
       "want_body: a shorter body is refused at its head");
    th_http_resp_start(&R, 1, 6);
    ok(R.want_body == NULL && R.max_body == 0 && R.until_close == 0,
       "th_http_resp_start clears want_body, max_body and until_close");
}

static void test_pattern_check(void)
{
    unsigned char buf[300];
    int all = 1;
    for (uint64_t off = 0; off < 20; off++)
        for (size_t len = 0; len <= 40; len++) {
            th_pattern_fill(0, off * 997, buf, len);
            all &= th_pattern_mismatch(off * 997, buf, len) == len;
        }
    ok(all, "the pattern matches itself at every offset and length");
    all = 1;
    th_pattern_fill(0, 13, buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] ^= 0x80;
        all &= th_pattern_mismatch(13, buf, sizeof(buf)) == i;
        buf[i] ^= 0x80;
    }
    ok(all, "a flipped byte is found where it is, at every position");
    ok(th_pattern_mismatch(14, buf, sizeof(buf)) == 0, "the wrong offset differs at once");
    th_pattern_fill(1, 0, buf, sizeof(buf));
    ok(th_pattern_mismatch(0, buf, sizeof(buf)) < sizeof(buf),
       "another seed's pattern is not the check's");
    ok(th_pattern_mismatch(0, buf, 0) == 0, "an empty buffer matches");
}

int main(void)
{
    test_good();
    test_bad();
    test_hostile();
    test_bounds();
    test_want_body();
    test_pattern_check();
    return done_testing();
}
