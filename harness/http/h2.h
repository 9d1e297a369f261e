/* HTTP/2 over a backend connection, framed by libnghttp2 (no home-made HPACK):
 * a client session that issues GETs on concurrent streams and checks every
 * response as the HTTP/1.1 reader does (status 2xx, length, the /bytes/N pattern,
 * a SHA-256), and a server session answering GETs for `serve`. nghttp2 never
 * touches the socket: what it has to send goes to the backend's ->write, what
 * ->read returns is fed to it, so every TLS library of the harness carries it. */
#ifndef TH_HTTP_H2_H
#define TH_HTTP_H2_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "harness/vocab/util.h"
#include "loadgen.h"

struct th_h2;

/* How one client stream ended. */
struct th_h2_result {
    int ok;           /* the response was acceptable */
    int refused;      /* the server never processed it (GOAWAY, REFUSED_STREAM): may be
                         sent again on another connection */
    int status;       /* :status; 0 when none came */
    uint64_t body;    /* body bytes checked */
    uint64_t t_first; /* th_now_ns of the response's first frame; 0: none */
    const char *why;  /* with !ok: one line, valid during the callback */
};

typedef void (*th_h2_done_fn)(void *arg, uint64_t tag, const struct th_h2_result *r);

struct th_h2_client_cfg {
    const char *authority; /* :authority */
    const char *path;      /* :path */
    unsigned streams;      /* concurrent streams at most (>= 1) */
    int check;             /* the body must be th_pattern_fill(0, 0, want_len) */
    uint64_t want_len;
    const uint8_t *sha256; /* every body must hash to these 32 bytes; NULL: no */
    th_h2_done_fn done;    /* called once per stream, from inside th_h2_pump */
    void *arg;
};

/* A client session on a connection whose handshake negotiated ALPN h2. The
 * connection preface and SETTINGS go out with the first th_h2_pump. */
struct th_h2 *th_h2_client_new(const struct th_backend *b, struct th_conn *tls,
                               const struct th_h2_client_cfg *cfg,
                               struct th_error *err) TH_MUST_CHECK;
/* Submit one GET; tag comes back to cfg->done. -1 with err when no stream can be
 * opened (th_h2_can_request says so beforehand). */
int th_h2_get(struct th_h2 *h, uint64_t tag, struct th_error *err) TH_MUST_CHECK;
/* A new stream may be opened: fewer than cfg->streams in flight and no GOAWAY. */
int th_h2_can_request(const struct th_h2 *h);
/* No GOAWAY either way and stream ids left: the connection can take more later. */
int th_h2_open(const struct th_h2 *h);
unsigned th_h2_in_flight(const struct th_h2 *h);

/* What a server answers to one request. */
struct th_h2_answer {
    int status;
    char text[512]; /* a text/plain body when pattern is 0 */
    int pattern;    /* the body is th_pattern_fill(0, 0, pattern_len) */
    uint64_t pattern_len;
    int goaway; /* then GOAWAY: no stream after this one is served (a server that
                   closes its connections after N requests, as nginx does) */
};
typedef void (*th_h2_route_fn)(void *arg, const char *method, const char *path,
                               struct th_h2_answer *a);

/* A server session on a connection that negotiated ALPN h2: every request is
 * answered with route's answer. */
struct th_h2 *th_h2_server_new(const struct th_backend *b, struct th_conn *tls,
                               th_h2_route_fn route, void *arg, struct th_error *err) TH_MUST_CHECK;
unsigned th_h2_requests(const struct th_h2 *h); /* requests answered */

/* Send what is pending and feed what arrives until the connection would block:
 * TH_STEP_WANT_READ / TH_STEP_WANT_WRITE; TH_STEP_DONE after a client stream ended
 * (the caller may submit more, then pump again); TH_STEP_CLOSED when the session
 * has nothing left to do (both sides done, or the peer closed between streams);
 * TH_STEP_FAILED with err (a protocol error, or the connection failed). */
enum th_step th_h2_pump(struct th_h2 *h, struct th_error *err);
void th_h2_free(struct th_h2 *h);

/* The load engine's HTTP/2 side (loadgen_h2.c), to which th_loadgen_run hands a run
 * with params.http2 once it has checked the params: the same contract. */
int th_loadgen_h2_run(const struct th_backend *b, struct th_ctx *cctx,
                      const struct th_loadgen_params *p, struct th_loadgen_stats *out,
                      struct th_error *err) TH_MUST_CHECK;

#endif
