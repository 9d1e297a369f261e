/* HTTP/2 sessions over a backend connection (h2.h), framed by libnghttp2.
 *
 * nghttp2 is used through its memory interface (nghttp2_session_mem_send and
 * _mem_recv): it never sees a socket, so a TLS library's "would block" stays the
 * driver's business, exactly as for HTTP/1.1. The bytes mem_send hands out stay
 * valid only until its next call, so they are written out whole before asking for
 * more.
 *
 * Client streams come from a pool sized once (cfg.streams): in steady state
 * nothing is allocated per request, and each body is checked as its DATA frames
 * stream past, never copied. Server streams are allocated per request: `serve` is
 * the measured side's stand-in, not the measuring one. */
#include "h2.h"

#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bodysum.h"
#include "response.h"

/* Window sizes the client announces: the largest HTTP/2 allows, as h2load does
 * (-w 30 -W 30), so flow control never paces a body being measured. */
#define CLIENT_WINDOW ((1 << 30) - 1)
#define SERVER_MAX_STREAMS 128
#define MAX_BURST 32 /* reads before what they called for is sent (th_h2_pump) */

struct h2_stream {
    struct th_h2 *h;
    struct h2_stream *next_free;
    uint64_t tag;
    int status, has_length, bad;
    uint64_t length, body, t_first;
    struct th_bodysum *sum; /* with cfg.sha256 */
    char why[160];
    /* server */
    char method[16], path[256];
    struct th_h2_answer ans;
    uint64_t off;
};

struct th_h2 {
    const struct th_backend *b;
    struct th_conn *tls;
    nghttp2_session *s;
    int server;
    /* client */
    struct th_h2_client_cfg cfg;
    char *authority, *path;
    struct h2_stream *pool, *free_list;
    unsigned in_flight;
    int ended; /* a stream ended during this pump */
    int goaway;
    /* server */
    th_h2_route_fn route;
    void *rarg;
    struct h2_stream *open; /* streams open, linked by next_free */
    unsigned requests;
    /* Output: small frames gathered into wbuf (one TLS record and one send for a
     * burst of HEADERS, WINDOW_UPDATEs and SETTINGS acks instead of one each); a
     * frame that does not fit is written from nghttp2's own buffer (pend), which
     * stays valid until the next mem_send. */
    size_t wlen, woff;
    const uint8_t *pend;
    size_t pend_len, pend_off;
    uint8_t wbuf[16384];
    char fail[200]; /* a callback's reason to stop the session */
    unsigned char rbuf[16384];
};

/* ---- client callbacks ---- */

static void stream_bad(struct h2_stream *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void stream_bad(struct h2_stream *st, const char *fmt, ...)
{
    if (st->bad)
        return;
    st->bad = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->why, sizeof(st->why), fmt, ap);
    va_end(ap);
}

static int parse_u64(const uint8_t *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;
    if (!n || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct th_h2 *h = ud;
    if (f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (!h->server) {
        struct h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (st && !st->t_first)
            st->t_first = th_now_ns();
        return 0;
    }
    if (f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2_stream *st = th_xcalloc(1, sizeof(*st));
    st->h = h;
    st->next_free = h->open; /* nghttp2_session_del frees its streams, not ours */
    h->open = st;
    h->in_flight++;
    return nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st) == 0
               ? 0
               : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    struct th_h2 *h = ud;
    struct h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (!st || f->hd.type != NGHTTP2_HEADERS)
        return 0;
    if (h->server) {
        char *dst = NULL;
        size_t cap = 0;
        if (nlen == 7 && memcmp(name, ":method", 7) == 0)
            dst = st->method, cap = sizeof(st->method);
        else if (nlen == 5 && memcmp(name, ":path", 5) == 0)
            dst = st->path, cap = sizeof(st->path);
        if (dst) {
            size_t n = vlen < cap - 1 ? vlen : cap - 1;
            memcpy(dst, value, n);
            dst[n] = '\0';
        }
        return 0;
    }
    uint64_t v = 0;
    if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
        /* a 1xx head is followed by the real one */
        if (parse_u64(value, vlen, &v) == 0 && v < 1000)
            st->status = (int)v;
    } else if (nlen == 14 && memcmp(name, "content-length", 14) == 0) {
        if (parse_u64(value, vlen, &v) != 0)
            stream_bad(st, "content-length is not a number");
        st->has_length = 1;
        st->length = v;
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *ud)
{
    struct th_h2 *h = ud;
    struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (!st || h->server || st->bad)
        return 0;
    if (h->cfg.check) {
        if (st->body + len > h->cfg.want_len) {
            stream_bad(st, "body longer than the %llu bytes asked",
                       (unsigned long long)h->cfg.want_len);
        } else {
            size_t at = th_pattern_mismatch(st->body, data, len);
            if (at < len)
                stream_bad(st, "body differs at byte %llu", (unsigned long long)(st->body + at));
        }
    }
    if (st->sum)
        th_bodysum_update(st->sum, data, len);
    st->body += len;
    if (st->bad)
        (void)nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    return 0;
}

/* The client stream has ended: judge the response. */
static void client_close(struct th_h2 *h, struct h2_stream *st, uint32_t code)
{
    struct th_h2_result r = {.status = st->status, .body = st->body, .t_first = st->t_first};
    struct th_error e = {0};
    if (st->bad) {
        /* its own reason beats the reset it caused */
    } else if (code == NGHTTP2_REFUSED_STREAM || (code && h->goaway && !st->t_first)) {
        r.refused = 1;
        stream_bad(st, "the server did not process the stream");
    } else if (code) {
        snprintf(st->why, sizeof(st->why), "stream reset by the server: %s (code %u)",
                 nghttp2_http2_strerror(code), code);
        st->bad = 1;
    } else if (!st->status) {
        stream_bad(st, "the stream ended without a response");
    } else if (st->status < 200 || st->status > 299) {
        stream_bad(st, "status %d", st->status);
    } else if (st->has_length && st->length != st->body) {
        stream_bad(st, "body of %llu bytes, content-length %llu", (unsigned long long)st->body,
                   (unsigned long long)st->length);
    } else if (h->cfg.check && st->body != h->cfg.want_len) {
        stream_bad(st, "body of %llu bytes, asked %llu", (unsigned long long)st->body,
                   (unsigned long long)h->cfg.want_len);
    } else if (st->sum && th_bodysum_check(st->sum, h->cfg.sha256, st->body, &e) != 0) {
        stream_bad(st, "%s", e.text);
    }
    r.ok = !st->bad;
    r.why = st->bad ? st->why : NULL;
    h->in_flight--;
    h->ended = 1;
    st->next_free = h->free_list;
    h->free_list = st;
    h->cfg.done(h->cfg.arg, st->tag, &r);
}

/* ---- server ---- */

static ssize_t answer_read(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
                           uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    struct h2_stream *st = src->ptr;
    uint64_t total = st->ans.pattern ? st->ans.pattern_len : strlen(st->ans.text);
    uint64_t left = total - st->off;
    size_t n = left < len ? (size_t)left : len;
    if (st->ans.pattern)
        th_pattern_fill(0, st->off, buf, n);
    else
        memcpy(buf, st->ans.text + st->off, n);
    st->off += n;
    if (st->off == total)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static int answer(struct th_h2 *h, int32_t id, struct h2_stream *st)
{
    h->requests++;
    st->ans = (struct th_h2_answer){.status = 404};
    h->route(h->rarg, st->method, st->path[0] ? st->path : "/", &st->ans);
    char status[8], len[24];
    snprintf(status, sizeof(status), "%d", st->ans.status);
    snprintf(len, sizeof(len), "%llu",
             (unsigned long long)(st->ans.pattern ? st->ans.pattern_len : strlen(st->ans.text)));
    const char *type = st->ans.pattern ? "application/octet-stream" : "text/plain";
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv nv[] = {NV(":status", status), NV("server", "tlsharness"), NV("content-type", type),
                       NV("content-length", len)};
#undef NV
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = answer_read};
    int rc = nghttp2_submit_response(h->s, id, nv, TH_ARRAY_LEN(nv), &dp);
    if (rc == 0 && st->ans.goaway)
        rc = nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR, NULL, 0);
    return rc;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *ud)
{
    struct th_h2 *h = ud;
    if (f->hd.type == NGHTTP2_GOAWAY)
        h->goaway = 1;
    if (!h->server || !(f->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
        (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA))
        return 0;
    struct h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (st && answer(h, f->hd.stream_id, st) != 0) {
        snprintf(h->fail, sizeof(h->fail), "cannot answer stream %d", (int)f->hd.stream_id);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    struct th_h2 *h = ud;
    struct h2_stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (!st)
        return 0;
    if (h->server) {
        h->in_flight--;
        for (struct h2_stream **pp = &h->open; *pp; pp = &(*pp)->next_free)
            if (*pp == st) {
                *pp = st->next_free;
                break;
            }
        free(st);
    } else {
        client_close(h, st, code);
    }
    return 0;
}

/* ---- sessions ---- */

static struct th_h2 *session_new(const struct th_backend *b, struct th_conn *tls, int server,
                                 struct th_error *err)
{
    nghttp2_session_callbacks *cb;
    struct th_h2 *h = th_xcalloc(1, sizeof(*h));
    h->b = b;
    h->tls = tls;
    h->server = server;
    int rc = nghttp2_session_callbacks_new(&cb);
    if (rc == 0) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
        rc = server ? nghttp2_session_server_new(&h->s, cb, h)
                    : nghttp2_session_client_new(&h->s, cb, h);
        nghttp2_session_callbacks_del(cb);
    }
    if (rc != 0) {
        TH_FAULT(err, rc, "nghttp2 session: %s", nghttp2_strerror(rc));
        free(h);
        return NULL;
    }
    return h;
}

struct th_h2 *th_h2_client_new(const struct th_backend *b, struct th_conn *tls,
                               const struct th_h2_client_cfg *cfg, struct th_error *err)
{
    struct th_h2 *h = session_new(b, tls, 0, err);
    if (!h)
        return NULL;
    h->cfg = *cfg;
    h->cfg.streams = cfg->streams ? cfg->streams : 1;
    h->authority = th_xstrdup(cfg->authority);
    h->path = th_xstrdup(cfg->path);
    h->pool = th_xcalloc(h->cfg.streams, sizeof(*h->pool));
    for (unsigned i = 0; i < h->cfg.streams; i++) {
        h->pool[i].h = h;
        h->pool[i].next_free = i + 1 < h->cfg.streams ? &h->pool[i + 1] : NULL;
        if (cfg->sha256 && !(h->pool[i].sum = th_bodysum_new())) {
            TH_FAULT(err, 0, "no SHA-256 context");
            th_h2_free(h);
            return NULL;
        }
    }
    h->free_list = h->pool;
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, CLIENT_WINDOW}};
    int rc = nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, TH_ARRAY_LEN(iv));
    if (rc == 0)
        rc = nghttp2_session_set_local_window_size(h->s, NGHTTP2_FLAG_NONE, 0, CLIENT_WINDOW);
    if (rc != 0) {
        TH_FAULT(err, rc, "nghttp2 settings: %s", nghttp2_strerror(rc));
        th_h2_free(h);
        return NULL;
    }
    return h;
}

struct th_h2 *th_h2_server_new(const struct th_backend *b, struct th_conn *tls,
                               th_h2_route_fn route, void *arg, struct th_error *err)
{
    struct th_h2 *h = session_new(b, tls, 1, err);
    if (!h)
        return NULL;
    h->route = route;
    h->rarg = arg;
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, SERVER_MAX_STREAMS}};
    int rc = nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, TH_ARRAY_LEN(iv));
    if (rc != 0) {
        TH_FAULT(err, rc, "nghttp2 settings: %s", nghttp2_strerror(rc));
        th_h2_free(h);
        return NULL;
    }
    return h;
}

int th_h2_open(const struct th_h2 *h)
{
    return !h->goaway && nghttp2_session_check_request_allowed(h->s);
}

int th_h2_can_request(const struct th_h2 *h)
{
    return h->free_list && th_h2_open(h);
}

unsigned th_h2_in_flight(const struct th_h2 *h)
{
    return h->in_flight;
}

unsigned th_h2_requests(const struct th_h2 *h)
{
    return h->requests;
}

int th_h2_get(struct th_h2 *h, uint64_t tag, struct th_error *err)
{
    struct h2_stream *st = h->free_list;
    if (!st || !th_h2_open(h)) {
        TH_FAULT(err, 0, "no HTTP/2 stream can be opened on this connection");
        return -1;
    }
#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE}
    nghttp2_nv nv[] = {NV(":method", "GET"),           NV(":scheme", "https"),
                       NV(":authority", h->authority), NV(":path", h->path),
                       NV("user-agent", "tlsharness"), NV("accept", "*/*")};
#undef NV
    int32_t id = nghttp2_submit_request(h->s, NULL, nv, TH_ARRAY_LEN(nv), NULL, st);
    if (id < 0) {
        th_error_set(err, TH_INTERNAL_ERROR, id, "nghttp2_submit_request: %s",
                     nghttp2_strerror(id));
        return -1;
    }
    h->free_list = st->next_free;
    st->tag = tag;
    st->status = st->has_length = st->bad = 0;
    st->length = st->body = st->t_first = 0;
    st->why[0] = '\0';
    if (st->sum)
        th_bodysum_start(st->sum);
    h->in_flight++;
    return 0;
}

/* Write buf[*off..len) until done or the connection blocks. */
static enum th_step put(struct th_h2 *h, const uint8_t *buf, size_t len, size_t *off,
                        struct th_error *err)
{
    while (*off < len) {
        size_t done = 0;
        enum th_step st = h->b->write(h->tls, buf + *off, len - *off, &done, err);
        *off += done;
        if (st == TH_STEP_CLOSED) {
            th_error_set(err, TH_TRUNCATED, 0, "the peer closed while HTTP/2 frames went out");
            return TH_STEP_FAILED;
        }
        if (st != TH_STEP_DONE)
            return st;
    }
    return TH_STEP_DONE;
}

/* Write what nghttp2 has to send until it has nothing or the connection blocks. */
static enum th_step flush(struct th_h2 *h, struct th_error *err)
{
    for (;;) {
        enum th_step st = put(h, h->wbuf, h->wlen, &h->woff, err);
        if (st == TH_STEP_DONE)
            st = put(h, h->pend, h->pend_len, &h->pend_off, err);
        if (st != TH_STEP_DONE)
            return st;
        h->wlen = h->woff = h->pend_len = h->pend_off = 0;
        for (;;) {
            const uint8_t *p;
            ssize_t n = nghttp2_session_mem_send(h->s, &p);
            if (n < 0) {
                th_error_set(err, TH_INTERNAL_ERROR, n, "nghttp2_session_mem_send: %s",
                             nghttp2_strerror((int)n));
                return TH_STEP_FAILED;
            }
            if (n == 0)
                break;
            if ((size_t)n > sizeof(h->wbuf) - h->wlen) {
                h->pend = p;
                h->pend_len = (size_t)n;
                break;
            }
            memcpy(h->wbuf + h->wlen, p, (size_t)n);
            h->wlen += (size_t)n;
        }
        if (!h->wlen && !h->pend_len)
            return TH_STEP_DONE;
    }
}

enum th_step th_h2_pump(struct th_h2 *h, struct th_error *err)
{
    unsigned burst = 0; /* reads since the last flush */
    int flushed = 0;
    h->ended = 0;
    for (;;) {
        if (!flushed) {
            enum th_step st = flush(h, err);
            if (st != TH_STEP_DONE)
                return st;
            flushed = 1;
            burst = 0;
        }
        if (h->fail[0]) {
            th_error_set(err, TH_INTERNAL_ERROR, 0, "%s", h->fail);
            return TH_STEP_FAILED;
        }
        if (!nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s))
            return TH_STEP_CLOSED;
        size_t got = 0;
        enum th_step st = h->b->read(h->tls, h->rbuf, sizeof(h->rbuf), &got, err);
        if (got) {
            ssize_t n = nghttp2_session_mem_recv(h->s, h->rbuf, got);
            if (n < 0) {
                th_error_set(err, TH_INTERNAL_ERROR, n, "HTTP/2: %s%s%s", nghttp2_strerror((int)n),
                             h->fail[0] ? ": " : "", h->fail);
                return TH_STEP_FAILED;
            }
            /* Read on while there is something to read (a library returns one TLS
             * record a call, often one response): the caller then submits for every
             * stream that ended and one flush sends it all, instead of one record
             * and one send per request. A peer that never stops sending still gets
             * its answers every MAX_BURST reads. */
            if (++burst >= MAX_BURST)
                flushed = 0;
            continue;
        }
        if (st == TH_STEP_WANT_READ && h->ended)
            return TH_STEP_DONE;
        if (st == TH_STEP_WANT_READ && nghttp2_session_want_write(h->s)) {
            flushed = 0;
            continue;
        }
        if (st == TH_STEP_DONE) {
            th_error_set(err, TH_INTERNAL_ERROR, 0, "%s read returned neither data nor status",
                         h->b->name);
            return TH_STEP_FAILED;
        }
        /* after a GOAWAY with nothing open, the end of the connection is the
         * session's end, with or without close_notify */
        if (st == TH_STEP_FAILED && h->goaway && !h->in_flight)
            return TH_STEP_CLOSED;
        if (st == TH_STEP_CLOSED) {
            if (!h->in_flight)
                return TH_STEP_CLOSED;
            th_error_set(err, TH_TRUNCATED, 0, "close_notify with %u HTTP/2 stream(s) open",
                         h->in_flight);
            return TH_STEP_FAILED;
        }
        return st;
    }
}

void th_h2_free(struct th_h2 *h)
{
    if (!h)
        return;
    nghttp2_session_del(h->s);
    while (h->open) {
        struct h2_stream *st = h->open;
        h->open = st->next_free;
        free(st);
    }
    for (unsigned i = 0; h->pool && i < h->cfg.streams; i++)
        th_bodysum_free(h->pool[i].sum);
    free(h->pool);
    free(h->authority);
    free(h->path);
    free(h);
}
