/* Inside the load engines only (loadgen.c for HTTP/1.1, loadgen_h2.c for HTTP/2):
 * what both do the same way - resolving and connecting, the TLS connection and
 * its verified handshake, failures and their cap, when to stop, and recording -
 * so that a rule of loadgen.h holds in one place for both protocols. */
#ifndef TH_LOADGEN_INT_H
#define TH_LOADGEN_INT_H

#include <sys/socket.h>

#include "harness/io/transport.h"
#include "loadgen.h"

#define TH_LOADGEN_MAX_EVENTS 256

/* The run's state both engines keep alike; each engine's own struct holds it. */
struct th_loadgen_run {
    const struct th_backend *b;
    struct th_ctx *ctx;
    const struct th_loadgen_params *p;
    struct th_loadgen_stats *st;
    struct sockaddr_storage addr;
    socklen_t addrlen;           /* 0: not resolved */
    int ep;                      /* the epoll set; -1: none */
    int stopping;                /* the failure cap was hit, or the loop cannot wait */
    uint64_t timeout_ns, end_ns; /* end_ns 0: no time limit */
    uint64_t t0, last_ns, cpu0;
    uint64_t issued; /* requests verified or in flight */
    uint64_t failures;
    size_t lat_cap, phase_cap;
};

/* One connection's part both engines drive alike; its owner never moves, as the
 * backend's I/O keeps a pointer to tcp. */
struct th_loadgen_conn {
    struct th_tcp tcp;
    struct th_conn *tls;
    struct th_session *sess; /* the newest session got: later connections offer it */
    unsigned index;
    uint32_t gen; /* bumped at every close: tells a stale event from a live one */
    uint32_t ev;  /* what epoll watches for on tcp.fd; 0: not added yet */
    int had_conn; /* a connection of this owner was verified: later ones resume */
    int offered;  /* this connection offered a session */
    int early;    /* it sent early data: early_len bytes of the request went */
    size_t early_len;
    int early_accepted; /* the server took them (known once the handshake is done) */
    unsigned conn_reqs; /* verified responses on this connection */
    /* times (th_now_ns): TCP connect started, TCP connected */
    uint64_t t_connect, t_tcp;
    uint64_t connect_ns, tls_ns;
    struct th_error err;
};

/* Resolve the target and open the epoll set; -1 with err. */
int th_loadgen_open(struct th_loadgen_run *r, struct th_error *err) TH_MUST_CHECK;
/* The clock and the limits of the run, and its latency array sized up front when
 * running by count; then, after the loop, the wall and CPU times. */
void th_loadgen_clock_start(struct th_loadgen_run *r);
void th_loadgen_clock_stop(struct th_loadgen_run *r);
/* How bodies are checked (th_loadgen_stats.body_check). */
const char *th_loadgen_body_check(int pattern, const uint8_t *sha256);
/* The Host header / :authority: host_header, else host:port ([host]:port for IPv6). */
void th_loadgen_authority(const struct th_loadgen_params *p, char *buf, size_t size);

int th_loadgen_stop_now(const struct th_loadgen_run *r, uint64_t now);
/* Stopping, or (by count) every request is issued. */
int th_loadgen_nothing_to_issue(const struct th_loadgen_run *r, uint64_t now);
/* A failure counted by class, the first kept; past the cap, the run stops. */
void th_loadgen_count_failure(struct th_loadgen_run *r, const struct th_error *err);

/* Start a non-blocking connect: TH_STEP_DONE connected already, TH_STEP_WANT_WRITE
 * in progress, TH_STEP_FAILED with k->err. */
enum th_step th_loadgen_connect(struct th_loadgen_run *r, struct th_loadgen_conn *k);
/* The connect has finished (its socket was writable): 0, or -1 with k->err. */
int th_loadgen_connect_result(struct th_loadgen_run *r, struct th_loadgen_conn *k);
/* TCP is up: the TLS connection, offering the newest session when resuming; 0, or
 * -1 with k->err. */
int th_loadgen_tls_new(struct th_loadgen_run *r, struct th_loadgen_conn *k);
/* Before the first handshake step of a connection that offers a session, with
 * early_data: as much of req as the session allows goes as early data. DONE, or
 * FAILED with k->err. */
enum th_step th_loadgen_early(struct th_loadgen_run *r, struct th_loadgen_conn *k, const void *req,
                              size_t len);
/* Drive the handshake; once done, verify it against what was asked (and ALPN
 * want_alpn, unless NULL) and count it: TH_STEP_DONE when verified. */
enum th_step th_loadgen_handshake(struct th_loadgen_run *r, struct th_loadgen_conn *k,
                                  const char *want_alpn);
/* Watch the connection's socket for events (EPOLLIN or EPOLLOUT). */
void th_loadgen_watch(struct th_loadgen_run *r, struct th_loadgen_conn *k, uint32_t events);
/* After a step: when it would block, watch for what it waits on and return 1. */
int th_loadgen_blocked(struct th_loadgen_run *r, struct th_loadgen_conn *k, enum th_step st);
/* Close the connection; clean: with close_notify (not waiting for the peer's). */
void th_loadgen_close(struct th_loadgen_run *r, struct th_loadgen_conn *k, int clean);
/* At the end of the run, once closed: the session it kept; then the epoll set. */
void th_loadgen_conn_free(struct th_loadgen_run *r, struct th_loadgen_conn *k);
void th_loadgen_run_free(struct th_loadgen_run *r);

void th_loadgen_push_latency(struct th_loadgen_run *r, uint64_t ns);
/* A connection's first verified response (its first byte came at t_first): its
 * phase times, and the session that later connections offer. */
void th_loadgen_first_response(struct th_loadgen_run *r, struct th_loadgen_conn *k,
                               uint64_t first_byte_ns, uint64_t t_first);

/* What the handshake negotiated against what was asked; -1 with err. had_conn and
 * offered: as in th_loadgen_conn. */
int th_loadgen_verify(const struct th_loadgen_params *p, const struct th_negotiated *n,
                      const char *want_alpn, int had_conn, int offered, struct th_error *err);

#endif
