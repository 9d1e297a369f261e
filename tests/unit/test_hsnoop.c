/* Reading HelloRetryRequest off the server's handshake records: records built by
 * hand, fed whole and a byte at a time, through the wrapper in both directions, and
 * what must not count (TLS 1.2, junk, an encrypted record, an oversized message). */
#include <openssl/sha.h>
#include <string.h>

#include "harness/io/hsnoop.h"
#include "harness/io/transport.h"
#include "tap.h"

/* A ServerHello record: random from rnd (32 bytes), a 32-byte session id, suite
 * TLS_AES_128_GCM_SHA256, and supported_versions when sv is nonzero. Returns its length. */
static size_t server_hello(unsigned char *out, const unsigned char *rnd, unsigned sv)
{
    unsigned char body[128];
    size_t n = 0;
    body[n++] = 0x03, body[n++] = 0x03;
    memcpy(body + n, rnd, 32), n += 32;
    body[n++] = 32;
    memset(body + n, 0xAB, 32), n += 32;
    body[n++] = 0x13, body[n++] = 0x01, body[n++] = 0;
    if (sv) {
        /* key_share first (group secp256r1, as a retry request names it), then
         * supported_versions: the reader must walk the list */
        const unsigned char ext[] = {0x00,
                                     0x33,
                                     0x00,
                                     0x02,
                                     0x00,
                                     0x17,
                                     0x00,
                                     0x2b,
                                     0x00,
                                     0x02,
                                     (unsigned char)(sv >> 8),
                                     (unsigned char)sv};
        body[n++] = 0, body[n++] = sizeof(ext);
        memcpy(body + n, ext, sizeof(ext)), n += sizeof(ext);
    }
    unsigned char *p = out;
    *p++ = 22, *p++ = 3, *p++ = 3, *p++ = (unsigned char)((n + 4) >> 8),
    *p++ = (unsigned char)(n + 4);
    *p++ = 2, *p++ = 0, *p++ = (unsigned char)(n >> 8), *p++ = (unsigned char)n;
    memcpy(p, body, n);
    return 9 + n;
}

static const unsigned char ccs[] = {20, 3, 3, 0, 1, 1};
static const unsigned char appdata[] = {23, 3, 3, 0, 3, 1, 2, 3};

static unsigned char hrr_rnd[32], plain_rnd[32];

static void feed_bytewise(struct th_hsnoop *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        th_hsnoop_feed(s, p + i, 1);
}

static void test_retry_then_hello(void)
{
    unsigned char flight[1024];
    size_t n = server_hello(flight, hrr_rnd, 0x0304);
    memcpy(flight + n, ccs, sizeof(ccs)), n += sizeof(ccs);
    n += server_hello(flight + n, plain_rnd, 0x0304);
    memcpy(flight + n, appdata, sizeof(appdata)), n += sizeof(appdata);
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct th_hsnoop s;
        struct th_io none = {0};
        th_hsnoop_init(&s, &none, 0);
        if (bytewise)
            feed_bytewise(&s, flight, n);
        else
            th_hsnoop_feed(&s, flight, n);
        is_int(s.hrr, 1, "one retry request (%s)", bytewise ? "a byte at a time" : "whole");
        is_int(s.version, 0x0304, "TLS 1.3 selected");
        ok(s.done && th_hsnoop_known(&s), "done and known");
    }
}

static void test_no_retry(void)
{
    unsigned char rec[256];
    struct th_hsnoop s;
    struct th_io none = {0};
    size_t n = server_hello(rec, plain_rnd, 0x0304);
    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, rec, n);
    ok(th_hsnoop_known(&s) && s.hrr == 0 && s.done, "TLS 1.3 ServerHello: known, no retry");
    /* a later retry-looking record is not read: the reading stopped */
    n = server_hello(rec, hrr_rnd, 0x0304);
    th_hsnoop_feed(&s, rec, n);
    is_int(s.hrr, 0, "nothing is read after the ServerHello");

    n = server_hello(rec, plain_rnd, 0);
    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, rec, n);
    ok(!th_hsnoop_known(&s) && s.version == 0x0303, "TLS 1.2 ServerHello: not known");

    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, "HTTP/1.1 400 Bad Request\r\n", 26);
    ok(s.done && !th_hsnoop_known(&s), "not TLS: done, not known");

    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, appdata, sizeof(appdata));
    ok(s.done && !th_hsnoop_known(&s), "an encrypted record first: done, not known");

    const unsigned char huge[] = {22, 3, 3, 0, 4, 2, 0x01, 0x00, 0x00};
    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, huge, sizeof(huge));
    ok(s.done && !th_hsnoop_known(&s), "a 64 KiB ServerHello: given up on");

    const unsigned char cert[] = {22, 3, 3, 0, 4, 11, 0, 0, 0};
    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, cert, sizeof(cert));
    ok(s.done && !th_hsnoop_known(&s), "a first message that is not a ServerHello: done");

    /* a truncated ServerHello: the extensions run past its end */
    n = server_hello(rec, plain_rnd, 0x0304);
    rec[5 + 4 + 2 + 32 + 1 + 32 + 3 + 1] += 40; /* the extensions' length */
    th_hsnoop_init(&s, &none, 0);
    th_hsnoop_feed(&s, rec, n);
    ok(s.done && s.version == 0 && !th_hsnoop_known(&s), "malformed extensions: not known");
}

/* The wrapper reads what a client receives, or what a server sends (only the bytes
 * that went). */
static void test_wrapper(void)
{
    struct th_mem_pair p;
    struct th_hsnoop cs, ss;
    unsigned char flight[512], got[512];
    size_t n = server_hello(flight, hrr_rnd, 0x0304);
    th_mem_pair_init(&p);
    th_hsnoop_init(&cs, &p.client_io, 0);
    th_hsnoop_init(&ss, &p.server_io, 1);
    ok(ss.io.send(ss.io.ctx, flight, 10) == 10 &&
           ss.io.send(ss.io.ctx, flight + 10, n - 10) == (ssize_t)(n - 10),
       "server sends through the wrapper");
    ok(cs.io.recv(cs.io.ctx, got, sizeof(got)) == (ssize_t)n, "client receives it");
    ok(memcmp(got, flight, n) == 0, "bytes unchanged");
    is_int(ss.hrr, 1, "the server's end saw the retry request it sent");
    is_int(cs.hrr, 1, "the client's end saw the retry request it received");
    ok(cs.io.send(cs.io.ctx, flight, n) == (ssize_t)n, "client sends");
    ok(ss.io.recv(ss.io.ctx, got, sizeof(got)) == (ssize_t)n, "server receives");
    ok(ss.hrr == 1 && cs.hrr == 1, "the other direction is not read");
    ok(cs.io.recv(cs.io.ctx, got, 1) == TH_IO_AGAIN, "again passes through");
    th_mem_pair_free(&p);
}

int main(void)
{
    SHA256((const unsigned char *)"HelloRetryRequest", 17, hrr_rnd);
    memset(plain_rnd, 0x5A, sizeof(plain_rnd));
    test_retry_then_hello();
    test_no_retry();
    test_wrapper();
    return done_testing();
}
