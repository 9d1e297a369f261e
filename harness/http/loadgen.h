/* Load generation (kind "load"): HTTPS/1.1 GETs over C connections against one
 * host:port, driven by one thread with non-blocking sockets and epoll, through a
 * client backend's driver-owned I/O. Every connection's handshake is verified
 * (what it negotiated, and whether it resumed, against what was asked: load tools
 * resume silently) and every response is checked; only verified requests count. */
#ifndef TH_LOADGEN_H
#define TH_LOADGEN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "harness/vocab/outcome.h"
#include "harness/vocab/util.h"

struct th_loadgen_params {
    const char *host; /* numeric address or name to connect to */
    uint16_t port;
    const char *host_header;        /* Host: header value; NULL: host */
    const char *path;               /* "/" by default; "/bytes/N" bodies are checked byte for byte
                                       against th_pattern_fill(0, 0, N) */
    uint64_t requests;              /* stop after this many verified responses; 0: by time */
    double seconds;                 /* stop after this long when requests is 0 */
    double max_seconds;             /* with requests: give up after this long, reporting what was
                                       done (0: no limit but the per-request timeouts and the
                                       error cap of loadgen.c) */
    double timeout_s;               /* one request's limit (connect to last byte) */
    unsigned connections;           /* concurrent connections, >= 1 */
    int new_connection_per_request; /* else keep-alive */
    enum th_resume resume;          /* new connections after a slot's first offer its session */
    /* Open loop: requests per second over all connections; 0: closed loop, each
     * connection sending its next request on the last's answer. Request k is due at
     * T + k / rate (wrk2's schedule, one for all connections) and its latency runs
     * from then, so a stall shows as latency, not as a lower rate (coordinated
     * omission). T: the start with new connections; with keep-alive, once every
     * connection's first request (which opens it, timed as in closed loop) has ended,
     * as connection set-up is not a stall of the server. A connection with nothing
     * due waits, open (if the server closes it meanwhile, the next request opens a
     * new one); a due request waits for the first free connection; a failed
     * one uses up its place in the schedule. The wait is epoll_pwait2's (ns). */
    double rate;
    int early_data;               /* HTTP/1.1: a connection that offers a session sends its
                                     request as TLS 1.3 early data (0-RTT); the server must
                                     take it, else the request fails ("refused") */
    int http2;                    /* speak HTTP/2 (the handshake must negotiate ALPN h2) */
    unsigned streams;             /* HTTP/2: concurrent streams per connection (>= 1) */
    const uint8_t *expect_sha256; /* every body must hash to these 32 bytes; NULL: not
                                     checked (bodies of /bytes/N are checked byte for byte) */
    /* What every handshake must have negotiated; 0: anything. */
    uint16_t want_version, want_suite, want_group;
    volatile sig_atomic_t *interrupt; /* set: stop early (still reports what was done) */
};

/* Latency samples and phase times, in nanoseconds. */
struct th_loadgen_stats {
    uint64_t requests;                 /* verified responses */
    uint64_t connections;              /* verified handshakes */
    uint64_t resumed;                  /* of which resumed */
    uint64_t early_offered;            /* of which sent their request as early data */
    uint64_t early_accepted;           /* of which the server took it (all, when verified) */
    uint64_t early_bytes;              /* request bytes the servers took as early data */
    struct th_negotiated neg;          /* what the first verified handshake negotiated */
    int have_neg;                      /* neg is set: a handshake was verified */
    uint64_t errors[TH_OUTCOME_COUNT]; /* failed requests by class */
    struct th_error first_error;       /* the first failure, in the library's words */
    uint64_t wall_ns;                  /* from the first connect to the last response */
    uint64_t cpu_ns;                   /* this thread's CPU over the run */
    uint64_t *latency_ns;              /* per verified request: send of the request's
                                          first byte (or connect, for a new connection)
                                          to the last byte of its response; malloc'd */
    size_t n_latency;
    uint64_t *connect_ns, *tls_ns, *first_byte_ns; /* per verified connection; malloc'd */
    uint64_t *ttfb_ns;      /* per verified connection: TCP connect started to its first
                               response byte (what 0-RTT shortens); malloc'd */
    size_t n_phase;         /* connections whose first response was verified (<= connections) */
    uint64_t body_bytes;    /* response body bytes checked */
    uint64_t bodies_hashed; /* with expect_sha256: bodies whose SHA-256 matched */
    uint64_t neg_differ;    /* verified handshakes that negotiated other than the first
                               (version, suite, group, ALPN) */
    const char *body_check; /* how bodies were checked: "pattern" (/bytes/N), "sha256",
                               "pattern+sha256", or "length" (status and length only) */
};

/* Run the load with client backend b and its client context cctx. 0 when the run
 * went through (errors are counted, not fatal); -1 with err when it could not start
 * (e.g. the backend has no driver I/O). Free stats with th_loadgen_stats_free. */
int th_loadgen_run(const struct th_backend *b, struct th_ctx *cctx,
                   const struct th_loadgen_params *p, struct th_loadgen_stats *out,
                   struct th_error *err) TH_MUST_CHECK;
void th_loadgen_stats_free(struct th_loadgen_stats *s);
/* Whether handshake n negotiated what first did: version, suite, ALPN, and the group
 * unless either is a resumption without a key exchange (which has none). */
int th_loadgen_same_neg(const struct th_negotiated *first, const struct th_negotiated *n);
/* "/bytes/N" (N up to 15 digits): 1 with *n = N, the body is the payload pattern;
 * else 0. */
int th_loadgen_bytes_path(const char *path, uint64_t *n);

#endif
