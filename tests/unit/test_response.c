/* The load generator's HTTP/1.1 response reader and payload check
 * (harness/http/response.c), fed bytes directly: whole responses in pieces of every
 * size, and each way a response can be unacceptable. */
#include "tap.h"

#include "harness/http/response.h"
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
    test_pattern_check();
    return done_testing();
}
