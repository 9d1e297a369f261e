/* Body hashes (harness/http/bodysum.c): the SHA-256 of a body streamed in pieces,
 * through the response reader's on_body (chunked coding decoded first), a wrong hash
 * said with both hashes' first bytes, and the hex the command line takes. */
#include "tap.h"

#include <string.h>

#include "harness/http/bodysum.h"
#include "harness/http/response.h"

/* SHA-256("abc"), FIPS 180-2's example */
static const char ABC_HEX[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static void test_hex(void)
{
    uint8_t d[32];
    ok(th_sha256_from_hex(ABC_HEX, d) == 0 && d[0] == 0xba && d[31] == 0xad, "64 hex digits");
    char upper[65];
    for (size_t i = 0; i < 65; i++)
        upper[i] = (char)(ABC_HEX[i] >= 'a' && ABC_HEX[i] <= 'f' ? ABC_HEX[i] - 32 : ABC_HEX[i]);
    ok(th_sha256_from_hex(upper, d) == 0 && d[0] == 0xba, "upper case too");
    ok(th_sha256_from_hex("ba7816bf", d) != 0, "too short: refused");
    char longer[70];
    snprintf(longer, sizeof longer, "%s00", ABC_HEX);
    ok(th_sha256_from_hex(longer, d) != 0, "too long: refused");
    char bad[65];
    memcpy(bad, ABC_HEX, 65);
    bad[10] = 'g';
    ok(th_sha256_from_hex(bad, d) != 0, "a non-hex digit: refused");
    ok(th_sha256_from_hex(NULL, d) != 0, "NULL: refused");
}

static void test_pieces(void)
{
    uint8_t want[32];
    struct th_error err = {0};
    struct th_bodysum *b = th_bodysum_new();
    if (!ok(b != NULL && th_sha256_from_hex(ABC_HEX, want) == 0, "a context"))
        return;
    th_bodysum_start(b);
    th_bodysum_update(b, "a", 1);
    th_bodysum_update(b, "", 0);
    th_bodysum_update(b, "bc", 2);
    ok(th_bodysum_check(b, want, 3, &err) == 0, "abc in two pieces hashes right");
    th_bodysum_start(b);
    th_bodysum_update(b, "abd", 3);
    ok(th_bodysum_check(b, want, 3, &err) != 0, "abd: refused");
    is_int(err.outcome, TH_INTERNAL_ERROR, "as internal_error");
    ok(strncmp(err.text, "body of 3 bytes has SHA-256 ", 28) == 0 &&
           strstr(err.text,
                  ", expected ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") !=
               NULL,
       "both hashes said whole: %s", err.text);
    /* a check without a new start is refused, not a hash of nothing */
    ok(th_bodysum_check(b, want, 0, &err) != 0, "checked twice without a start: refused");
    th_bodysum_start(b);
    th_bodysum_update(b, "abc", 3);
    ok(th_bodysum_check(b, want, 3, &err) == 0, "reused after a failure");
    th_bodysum_free(b);
    th_bodysum_free(NULL);
}

/* The reader hands the decoded body to on_body: chunk sizes and CRLFs are not hashed. */
static void test_reader(void)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "1\r\na\r\n2\r\nbc\r\n0\r\n\r\n";
    uint8_t want[32];
    struct th_error err = {0};
    struct th_bodysum *b = th_bodysum_new();
    static struct th_http_resp r;
    if (!b || th_sha256_from_hex(ABC_HEX, want) != 0)
        return;
    for (int split = 1; split <= 2; split++) {
        th_http_resp_start(&r, 0, 0);
        th_bodysum_start(b);
        r.on_body = th_bodysum_sink;
        r.on_body_arg = b;
        size_t half = split == 1 ? sizeof(resp) - 1 : 50, n = sizeof(resp) - 1;
        enum th_http_result res = th_http_resp_feed(&r, (const unsigned char *)resp, half);
        if (half < n && res == TH_HTTP_MORE)
            res = th_http_resp_feed(&r, (const unsigned char *)resp + half, n - half);
        is_int(res, TH_HTTP_DONE, "chunked response read (%s)", split == 1 ? "whole" : "split");
        ok(th_bodysum_check(b, want, r.body, &err) == 0, "the decoded body hashed (%s)",
           split == 1 ? "whole" : "split");
    }
    th_http_resp_start(&r, 0, 0);
    ok(r.on_body == NULL && r.on_body_arg == NULL, "start clears on_body");
    th_bodysum_free(b);
}

int main(void)
{
    test_hex();
    test_pieces();
    test_reader();
    return done_testing();
}
