/* The HTTP/1.1 response reader and the payload check (response.h), for the load
 * generator (loadgen.c) and the in-process clients of kind handshake: a response is
 * read as it streams past, its head copied, its body compared with the pattern (or
 * the bytes expected) without a copy. */
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "harness/vocab/text.h"

/* ---- the payload check ---- */

/* Block i of the pattern (util.c's th_pattern_fill, seed 0): bytes 8i..8i+7, least
 * significant first. */
#define GOLDEN 0x9E3779B97F4A7C15ull

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t pattern_block(uint64_t block)
{
    return mix((block + 1) * GOLDEN);
}

static unsigned char pattern_byte(uint64_t off)
{
    return (unsigned char)(pattern_block(off / 8) >> (8 * (off % 8)));
}

/* Up to a block boundary byte by byte, then whole blocks as words (the tight loop a
 * large body spends its time in), then the tail. */
size_t th_pattern_mismatch(uint64_t offset, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t i = 0;
    for (; i < len && (offset + i) % 8; i++)
        if (p[i] != pattern_byte(offset + i))
            return i;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* (block + 1) * GOLDEN advanced by addition: one multiplication less a block */
    for (uint64_t x = ((offset + i) / 8 + 1) * GOLDEN; len - i >= 8; i += 8, x += GOLDEN) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != mix(x))
            break; /* the byte loop below finds which byte */
    }
#endif
    for (; i < len; i++)
        if (p[i] != pattern_byte(offset + i))
            return i;
    return len;
}

/* ---- the HTTP/1.1 response ---- */

__attribute__((format(printf, 2, 3))) static enum th_http_result bad(struct th_http_resp *r,
                                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    return TH_HTTP_BAD;
}

/* What a reason quotes of the peer's bytes: escaped (a status line may carry a
 * terminal's escape sequences) and cut to a readable length. */
#define QUOTE_MAX 80
static const char *quote(char *dst, const char *p, const char *end)
{
    return th_text_safe_n(dst, QUOTE_MAX, p, (size_t)(end - p));
}

void th_http_resp_start(struct th_http_resp *r, int check, uint64_t want_len)
{
    r->check = check;
    r->want_len = want_len;
    r->want_body = NULL;
    r->max_body = 0;
    r->until_close = 0;
    r->on_body = NULL;
    r->on_body_arg = NULL;
    r->phase = TH_HTTP_HEAD;
    r->status = r->close = r->chunked = r->has_length = r->seen_cr = 0;
    r->content_length = r->body = r->chunk_left = 0;
    r->digits = 0;
    r->line_len = r->trailer_len = r->head_len = 0;
    r->why[0] = '\0';
}

/* Does a comma-separated header value [v, end) hold the token? */
static int has_token(const char *v, const char *end, const char *token)
{
    size_t tl = strlen(token);
    while (v < end) {
        while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
            v++;
        const char *t = v;
        while (v < end && *v != ',')
            v++;
        const char *te = v;
        while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if ((size_t)(te - t) == tl && strncasecmp(t, token, tl) == 0)
            return 1;
    }
    return 0;
}

static enum th_http_result parse_length(struct th_http_resp *r, const char *v, const char *end)
{
    uint64_t n = 0;
    char q[QUOTE_MAX];
    if (v == end)
        return bad(r, "empty Content-Length");
    for (const char *c = v; c < end; c++) {
        if (*c < '0' || *c > '9' || n > (UINT64_MAX >> 4))
            return bad(r, "bad Content-Length '%s'", quote(q, v, end));
        n = n * 10 + (uint64_t)(*c - '0');
    }
    if (r->has_length && n != r->content_length)
        return bad(r, "two different Content-Length headers");
    r->has_length = 1;
    r->content_length = n;
    return TH_HTTP_MORE;
}

/* One header line [l, end) (no CRLF). */
static enum th_http_result parse_header(struct th_http_resp *r, const char *l, const char *end)
{
    const char *colon = memchr(l, ':', (size_t)(end - l));
    char q[QUOTE_MAX];
    if (!colon || colon == l)
        return bad(r, "malformed header line '%s'", quote(q, l, end));
    const char *v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t nl = (size_t)(colon - l);
    if (nl == 14 && strncasecmp(l, "Content-Length", 14) == 0)
        return parse_length(r, v, end);
    if (nl == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
        if (!has_token(v, end, "chunked") || (size_t)(end - v) != 7)
            return bad(r, "Transfer-Encoding '%s' not supported", quote(q, v, end));
        r->chunked = 1;
    } else if (nl == 10 && strncasecmp(l, "Connection", 10) == 0) {
        if (has_token(v, end, "close"))
            r->close = 1;
        else if (has_token(v, end, "keep-alive"))
            r->close = 0;
    }
    return TH_HTTP_MORE;
}

/* "HTTP/1.x NNN reason": the status, and HTTP/1.0's default of closing. */
static enum th_http_result parse_status(struct th_http_resp *r, const char *l, const char *end)
{
    if (end - l < 12 || strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') ||
        l[8] != ' ' || l[9] < '1' || l[9] > '5' || l[10] < '0' || l[10] > '9' || l[11] < '0' ||
        l[11] > '9' || (end - l > 12 && l[12] != ' ')) {
        char q[QUOTE_MAX];
        return bad(r, "bad status line '%s'", quote(q, l, end));
    }
    r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    r->close = l[7] == '0';
    if (r->status < 200 || r->status > 299)
        return bad(r, "HTTP status %d", r->status);
    return TH_HTTP_MORE;
}

/* The CR of the line's CRLF; NULL when the line ends in a bare LF. The head is
 * known to end in CRLF CRLF, so a LF is always found. */
static const char *line_end(const char *l)
{
    const char *lf = strchr(l, '\n');
    return lf > l && lf[-1] == '\r' ? lf - 1 : NULL;
}

/* The complete head is in r->head: what comes next, and is it acceptable. */
static enum th_http_result parse_head(struct th_http_resp *r)
{
    const char *l = r->head, *stop = r->head + r->head_len - 2; /* the last CRLF */
    const char *end = line_end(l);
    if (!end || parse_status(r, l, end) != TH_HTTP_MORE)
        return end ? TH_HTTP_BAD : bad(r, "bare LF in the response head");
    for (l = end + 2; l < stop; l = end + 2) {
        end = line_end(l);
        if (!end)
            return bad(r, "bare LF in the response head");
        if (parse_header(r, l, end) != TH_HTTP_MORE)
            return TH_HTTP_BAD;
    }
    if (r->status == 204 || r->status == 304) {
        r->phase = TH_HTTP_END;
    } else if (r->chunked) { /* chunked overrides a Content-Length (RFC 9112, 6.3) */
        r->phase = TH_HTTP_CHUNK_SIZE;
    } else if (!r->has_length) {
        if (!r->until_close)
            return bad(r, "response has neither a Content-Length nor chunked coding");
        r->phase = TH_HTTP_UNTIL_CLOSE;
    } else if (r->check && r->content_length != r->want_len) {
        return bad(r, "Content-Length %llu, asked for %llu bytes",
                   (unsigned long long)r->content_length, (unsigned long long)r->want_len);
    } else if (r->max_body && r->content_length > r->max_body) {
        return bad(r, "Content-Length %llu over the bound of %llu bytes",
                   (unsigned long long)r->content_length, (unsigned long long)r->max_body);
    } else {
        r->phase = r->content_length ? TH_HTTP_BODY : TH_HTTP_END;
    }
    return TH_HTTP_MORE;
}

/* The end of "\r\n\r\n" in head[0, len) whose last byte is at `from` or after (the
 * bytes before were searched already); NULL if none. memchr, not memmem: an order of
 * magnitude fewer instructions on a short head. */
static const char *blank_line(const char *head, size_t from, size_t len)
{
    const char *p = head + from, *end = head + len;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        if (p - head >= 3 && p[-1] == '\r' && p[-2] == '\n' && p[-3] == '\r')
            return p + 1;
        p++;
    }
    return NULL;
}

/* Copy what belongs to the head; parse it once the blank line is in. */
static enum th_http_result feed_head(struct th_http_resp *r, const unsigned char *p, size_t n,
                                     size_t *used)
{
    size_t old = r->head_len, room = TH_HTTP_HEAD_MAX - old, take = n < room ? n : room;
    memcpy(r->head + old, p, take);
    r->head_len += take;
    const char *e = blank_line(r->head, old, r->head_len);
    if (!e) {
        *used = take;
        if (r->head_len == TH_HTTP_HEAD_MAX)
            return bad(r, "response head longer than %d bytes", TH_HTTP_HEAD_MAX);
        return TH_HTTP_MORE;
    }
    r->head_len = (size_t)(e - r->head);
    r->head[r->head_len] = '\0';
    *used = r->head_len - old;
    return parse_head(r);
}

/* Where the bytes at body offset `off` first differ from what is expected. */
static size_t mismatch(const struct th_http_resp *r, uint64_t off, const unsigned char *p, size_t n)
{
    if (!r->want_body)
        return th_pattern_mismatch(off, p, n);
    for (size_t i = 0; i < n; i++)
        if (p[i] != r->want_body[off + i])
            return i;
    return n;
}

static enum th_http_result body_bytes(struct th_http_resp *r, const unsigned char *p, size_t n)
{
    if (r->check) {
        if (r->body + n > r->want_len)
            return bad(r, "body longer than the %llu bytes asked for",
                       (unsigned long long)r->want_len);
        size_t at = mismatch(r, r->body, p, n);
        if (at < n)
            return bad(r, "body differs at byte %llu", (unsigned long long)(r->body + at));
    }
    if (r->max_body && r->body + n > r->max_body)
        return bad(r, "body over the bound of %llu bytes", (unsigned long long)r->max_body);
    if (r->on_body)
        r->on_body(r->on_body_arg, p, n);
    r->body += n;
    return TH_HTTP_MORE;
}

static enum th_http_result feed_body(struct th_http_resp *r, const unsigned char *p, size_t n,
                                     size_t *used)
{
    uint64_t left = r->content_length - r->body;
    size_t take = left < n ? (size_t)left : n;
    *used = take;
    if (body_bytes(r, p, take) != TH_HTTP_MORE)
        return TH_HTTP_BAD;
    if (r->body == r->content_length)
        r->phase = TH_HTTP_END;
    return TH_HTTP_MORE;
}

static enum th_http_result end_size_line(struct th_http_resp *r)
{
    if (!r->digits)
        return bad(r, "chunk size missing");
    r->phase = r->chunk_left ? TH_HTTP_CHUNK_DATA : TH_HTTP_TRAILER;
    r->line_len = 0;
    return TH_HTTP_MORE;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The framing around chunk data, one byte at a time (a few bytes per chunk). */
static enum th_http_result chunk_byte(struct th_http_resp *r, unsigned char c)
{
    switch (r->phase) {
    case TH_HTTP_CHUNK_SIZE:
        if (hex_value(c) >= 0) {
            if (++r->digits > 15)
                return bad(r, "chunk size too large");
            r->chunk_left = r->chunk_left * 16 + (uint64_t)hex_value(c);
        } else if (c == ';' || c == ' ' || c == '\t') {
            r->phase = TH_HTTP_CHUNK_EXT;
            r->line_len = 0;
        } else if (c == '\n') {
            return end_size_line(r);
        } else if (c != '\r') {
            return bad(r, "bad chunk size line");
        }
        return TH_HTTP_MORE;
    case TH_HTTP_CHUNK_EXT:
        if (c == '\n')
            return end_size_line(r);
        if (++r->line_len > TH_HTTP_HEAD_MAX) /* extensions are read, never kept: bound them */
            return bad(r, "chunk size line longer than %d bytes", TH_HTTP_HEAD_MAX);
        return TH_HTTP_MORE;
    case TH_HTTP_CHUNK_CRLF:
        if (c == '\r' && !r->seen_cr) {
            r->seen_cr = 1;
        } else if (c == '\n' && r->seen_cr) {
            r->phase = TH_HTTP_CHUNK_SIZE;
            r->chunk_left = r->digits = 0;
            r->seen_cr = 0;
        } else {
            return bad(r, "chunk data not followed by CRLF");
        }
        return TH_HTTP_MORE;
    default: /* TH_HTTP_TRAILER */
        if (++r->trailer_len > TH_HTTP_HEAD_MAX)
            return bad(r, "trailer longer than %d bytes", TH_HTTP_HEAD_MAX);
        if (c == '\n') {
            if (r->line_len == 0)
                r->phase = TH_HTTP_END;
            r->line_len = 0;
        } else if (c != '\r') {
            r->line_len++;
        }
        return TH_HTTP_MORE;
    }
}

static enum th_http_result feed_chunk_data(struct th_http_resp *r, const unsigned char *p, size_t n,
                                           size_t *used)
{
    size_t take = r->chunk_left < n ? (size_t)r->chunk_left : n;
    *used = take;
    if (body_bytes(r, p, take) != TH_HTTP_MORE)
        return TH_HTTP_BAD;
    r->chunk_left -= take;
    if (!r->chunk_left)
        r->phase = TH_HTTP_CHUNK_CRLF;
    return TH_HTTP_MORE;
}

static enum th_http_result finish(struct th_http_resp *r, size_t extra)
{
    if (r->check && r->body != r->want_len)
        return bad(r, "body of %llu bytes, asked for %llu", (unsigned long long)r->body,
                   (unsigned long long)r->want_len);
    if (extra)
        return bad(r, "%zu bytes after the response", extra);
    return TH_HTTP_DONE;
}

enum th_http_result th_http_resp_feed(struct th_http_resp *r, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && r->phase != TH_HTTP_END) {
        size_t used = 1;
        enum th_http_result res;
        switch (r->phase) {
        case TH_HTTP_HEAD: res = feed_head(r, p + i, n - i, &used); break;
        case TH_HTTP_BODY: res = feed_body(r, p + i, n - i, &used); break;
        case TH_HTTP_CHUNK_DATA: res = feed_chunk_data(r, p + i, n - i, &used); break;
        case TH_HTTP_UNTIL_CLOSE:
            used = n - i;
            res = body_bytes(r, p + i, used);
            break;
        default: res = chunk_byte(r, p[i]); break;
        }
        if (res == TH_HTTP_BAD)
            return res;
        i += used;
    }
    return r->phase == TH_HTTP_END ? finish(r, n - i) : TH_HTTP_MORE;
}

enum th_http_result th_http_resp_eof(struct th_http_resp *r)
{
    switch (r->phase) {
    case TH_HTTP_UNTIL_CLOSE: return finish(r, 0);
    case TH_HTTP_END: return TH_HTTP_DONE;
    case TH_HTTP_HEAD:
        return r->head_len ? bad(r, "closed within the response head (%zu bytes)", r->head_len)
                           : bad(r, "closed before any response");
    default:
        return bad(r, "closed after %llu body bytes of the response", (unsigned long long)r->body);
    }
}
