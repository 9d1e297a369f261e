#include "hsnoop.h"

#include <stddef.h>
#include <string.h>

enum {
    REC_CCS = 20,
    REC_ALERT = 21,
    REC_HANDSHAKE = 22,
    HS_SERVER_HELLO = 2,
    EXT_SUPPORTED_VERSIONS = 43,
    TLS13 = 0x0304,
};

/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3: a ServerHello with this random is a
 * HelloRetryRequest. */
static const unsigned char hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The selected version of a ServerHello body: supported_versions when it is there
 * (TLS 1.3 keeps legacy_version at 1.2), else legacy_version. 0: malformed. */
static uint16_t hello_version(const unsigned char *b, size_t n)
{
    if (n < 38)
        return 0;
    uint16_t legacy = (uint16_t)get16(b);
    size_t off = 34 + 1 + b[34] + 2 + 1; /* random, session id, suite, compression */
    if (off > n)
        return 0;
    if (off + 2 > n)
        return legacy; /* no extensions (TLS 1.2 and older may omit them) */
    size_t end = off + 2 + get16(b + off);
    if (end > n)
        return 0;
    for (off += 2; off + 4 <= end;) {
        unsigned type = get16(b + off), len = get16(b + off + 2);
        if (off + 4 + len > end)
            return 0;
        if (type == EXT_SUPPORTED_VERSIONS && len == 2)
            return (uint16_t)get16(b + off + 4);
        off += 4 + len;
    }
    return legacy;
}

/* One whole handshake message: a ServerHello is a retry request or the end. */
static void message(struct th_hsnoop *s, const unsigned char *m, size_t n)
{
    if (m[0] != HS_SERVER_HELLO || n < 4 + 34) {
        s->done = 1; /* the server's first message is a ServerHello, or this is not TLS */
        return;
    }
    uint16_t v = hello_version(m + 4, n - 4);
    if (memcmp(m + 6, hrr_random, sizeof(hrr_random)) == 0) {
        s->hrr++;
        s->version = v;
        return;
    }
    s->version = v;
    s->done = 1;
}

/* The whole length of the message being gathered, its header once it has one. */
static size_t msg_want(const struct th_hsnoop *s)
{
    if (s->msg_have < 4)
        return 4;
    return 4 + ((size_t)s->msg[1] << 16 | (size_t)s->msg[2] << 8 | s->msg[3]);
}

/* Handshake bytes of one record: whole messages are read as they complete; a
 * message may span records, and a record hold several. */
static void handshake_bytes(struct th_hsnoop *s, const unsigned char *p, size_t n)
{
    while (n && !s->done) {
        size_t take = msg_want(s) - s->msg_have;
        take = take < n ? take : n;
        memcpy(s->msg + s->msg_have, p, take);
        s->msg_have += take;
        p += take;
        n -= take;
        if (s->msg_have < 4)
            continue;
        if (msg_want(s) > sizeof(s->msg)) {
            s->done = 1; /* no ServerHello is that long */
            return;
        }
        if (s->msg_have == msg_want(s)) {
            message(s, s->msg, s->msg_have);
            s->msg_have = 0;
        }
    }
}

void th_hsnoop_feed(struct th_hsnoop *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len && !s->done) {
        if (s->hdr_have < 5) {
            s->hdr[s->hdr_have++] = *p++;
            len--;
            if (s->hdr_have < 5)
                continue;
            s->rec_type = s->hdr[0];
            s->rec_left = get16(s->hdr + 3);
            /* an encrypted record (application_data: all of TLS 1.3 after the
             * ServerHello) or something not TLS: nothing more to read in plain */
            if (s->rec_type != REC_HANDSHAKE && s->rec_type != REC_CCS &&
                s->rec_type != REC_ALERT) {
                s->done = 1;
                return;
            }
            if (s->rec_left == 0)
                s->hdr_have = 0;
            continue;
        }
        size_t take = s->rec_left < len ? s->rec_left : len;
        if (s->rec_type == REC_HANDSHAKE)
            handshake_bytes(s, p, take);
        p += take;
        len -= take;
        s->rec_left -= take;
        if (s->rec_left == 0)
            s->hdr_have = 0;
    }
}

static ssize_t snoop_send(void *ctx, const void *buf, size_t len)
{
    struct th_hsnoop *s = ctx;
    ssize_t n = s->inner.send(s->inner.ctx, buf, len);
    if (s->server_side && n > 0 && !s->done)
        th_hsnoop_feed(s, buf, (size_t)n); /* only what went: the rest is sent again */
    return n;
}

static ssize_t snoop_recv(void *ctx, void *buf, size_t len)
{
    struct th_hsnoop *s = ctx;
    ssize_t n = s->inner.recv(s->inner.ctx, buf, len);
    if (!s->server_side && n > 0 && !s->done)
        th_hsnoop_feed(s, buf, (size_t)n);
    return n;
}

void th_hsnoop_init(struct th_hsnoop *s, const struct th_io *inner, int server_side)
{
    memset(s, 0, offsetof(struct th_hsnoop, msg)); /* the message buffer fills as needed */
    s->inner = *inner;
    s->server_side = server_side;
    s->io = (struct th_io){.ctx = s, .send = snoop_send, .recv = snoop_recv};
}

int th_hsnoop_known(const struct th_hsnoop *s)
{
    return s->hrr > 0 || s->version == TLS13;
}
