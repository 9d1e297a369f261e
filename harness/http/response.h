/* The HTTP/1.1 response reader and the payload check: the one parser of every
 * response the harness reads itself, the load generator's (loadgen.c) and the
 * in-process clients' GET of kind handshake (kinds/handshake.c), apart so its test
 * feeds them bytes directly. Neither allocates: the reader copies only the response
 * head, and checks the body as it streams past. Every reason it gives (r->why) is
 * one line without control bytes: what it quotes of the peer is escaped. */
#ifndef TH_HTTP_RESPONSE_H
#define TH_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "harness/vocab/error.h"

/* The status line and headers together, CRLFs included. */
#define TH_HTTP_HEAD_MAX 8192

enum th_http_phase {
    TH_HTTP_HEAD,       /* status line and headers */
    TH_HTTP_BODY,       /* Content-Length bytes */
    TH_HTTP_CHUNK_SIZE, /* a chunk's hex size */
    TH_HTTP_CHUNK_EXT,  /* the rest of the size line (extensions) */
    TH_HTTP_CHUNK_DATA,
    TH_HTTP_CHUNK_CRLF,  /* the CRLF after a chunk's data */
    TH_HTTP_TRAILER,     /* trailer lines up to the empty one */
    TH_HTTP_UNTIL_CLOSE, /* no length: the body ends when the peer closes (until_close) */
    TH_HTTP_END,
};

enum th_http_result { TH_HTTP_MORE, TH_HTTP_DONE, TH_HTTP_BAD };

struct th_http_resp {
    /* what is asked of the body */
    int check;         /* compare with th_pattern_fill(0, 0, want_len) */
    uint64_t want_len; /* with check: the exact body length */
    /* Set after th_http_resp_start, which clears them: */
    const unsigned char *want_body; /* with check: compare with these want_len bytes
                                     * instead of the pattern */
    uint64_t max_body;              /* a longer body is refused, at its Content-Length
                                     * or as it streams; 0: no bound */
    int until_close;                /* a body with neither Content-Length nor chunked
                                     * coding runs to the peer's close (HTTP/1.0 style,
                                     * see th_http_resp_eof); 0: such a response is bad */
    /* every accepted body byte (decoded, when chunked) is also handed here, e.g. to a
     * hash; NULL: nowhere */
    void (*on_body)(void *arg, const unsigned char *p, size_t n);
    void *on_body_arg;
    /* what was read */
    enum th_http_phase phase;
    int status;  /* e.g. 200 */
    int close;   /* the server closes after this response */
    int chunked; /* Transfer-Encoding: chunked */
    int has_length;
    uint64_t content_length;
    uint64_t body;       /* body bytes so far (decoded, when chunked) */
    uint64_t chunk_left; /* of the current chunk */
    unsigned digits;     /* of the chunk size read so far */
    size_t line_len;     /* of the current trailer line */
    size_t trailer_len;  /* of all trailer lines */
    int seen_cr;         /* the CR of a chunk's closing CRLF */
    size_t head_len;
    char why[160]; /* with TH_HTTP_BAD: what was wrong */
    char head[TH_HTTP_HEAD_MAX + 1];
};

/* Ready for a new response (the head buffer is not cleared: it is overwritten). */
void th_http_resp_start(struct th_http_resp *r, int check, uint64_t want_len);
/* Take the next n bytes of the response. TH_HTTP_MORE: the response is not complete;
 * TH_HTTP_DONE: it is, and every byte given was part of it; TH_HTTP_BAD: it is not
 * acceptable (a status other than 2xx, no length, a body that differs, bytes after
 * the response...), with r->why. */
enum th_http_result th_http_resp_feed(struct th_http_resp *r, const unsigned char *p,
                                      size_t n) TH_MUST_CHECK;

/* The peer closed the stream: TH_HTTP_DONE when that ends the response (a body
 * read until the close, with until_close); else TH_HTTP_BAD with r->why saying how
 * far the response had come (the caller reports it as truncated). */
enum th_http_result th_http_resp_eof(struct th_http_resp *r) TH_MUST_CHECK;

/* Where buf first differs from th_pattern_fill(0, offset, ..., len); len when it does
 * not. Compares eight bytes at a time instead of filling a copy. */
size_t th_pattern_mismatch(uint64_t offset, const void *buf, size_t len);

#endif
