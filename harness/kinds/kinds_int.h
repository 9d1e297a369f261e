/* Internal to the kinds: each kind's run function (the table in kinds.c names
 * them), the server a case runs against (target.c), and what the kinds share. */
#ifndef TH_KINDS_INT_H
#define TH_KINDS_INT_H

#include <stdint.h>

#include "kinds.h"

struct th_fixture;

/* ---- the kinds (kinds.c's table) ---- */

void th_run_handshake(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                      struct th_ctx *sctx, struct th_case_result *r);
void th_run_bulk(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r);
void th_run_integrity(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                      struct th_ctx *sctx, struct th_case_result *r);
void th_run_rate(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r);
void th_run_memory(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                   struct th_ctx *sctx, struct th_case_result *r);
void th_run_load(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r);

/* A kind's failure to measure: error when err is a harness fault (a shim that died
 * or fell silent: the case could not run); else err's outcome is judged as the
 * client's observation, so a declared deviation of the pair makes it xfail. */
void th_kind_failed(struct th_case_result *r, const struct th_error *err);

/* The CPU time, ns, that an out-of-process backend's process serving ctx has used
 * (->cpu_ns); 0 for an in-process one, whose work is in the driver's threads. */
uint64_t th_side_cpu(const struct th_backend *b, struct th_ctx *ctx);

/* One repetition of handshake_rate: handshakes per second, each side's CPU per
 * handshake, and with handshakes.request the median time from the start of a
 * connection to the first byte of its reply (-1 without). */
struct th_rate_sample {
    double per_s, client_us, server_us, ttfb_ms;
};
/* handshakes.request: what the client sends (as early data with client.early_data
 * "send") and what the server answers, checked byte for byte. */
#define TH_RATE_REQUEST "tlsharness handshake_rate request\n"
#define TH_RATE_REPLY "tlsharness handshake_rate reply\n"
/* The client was to send its request as early data (early: it called ->early_write,
 * early_len bytes taken): it did, and the server took it. 0, or -1 with err: the
 * sample is not the 0-RTT one asked for. */
int th_rate_early_check(int early, size_t early_len, const struct th_negotiated *n,
                        struct th_error *err) TH_MUST_CHECK;
/* Per-connection times of a repetition, for the median. */
struct th_ns_list {
    uint64_t *v;
    size_t n, cap;
};
void th_ns_push(struct th_ns_list *l, uint64_t ns);
double th_ns_median_ms(struct th_ns_list *l); /* -1 when empty */

/* One repetition of handshake_rate over TCP (rate_tcp.c): count handshakes, or as
 * many as fit in `seconds` when count is 0, each one noted in obs (th_rate_note),
 * also when it fails. Client thread i offers sess[i % nsess] (nsess 0: none); with
 * handshakes.request it then offers its newest, left in sess[i] for the next
 * repetition (the one replaced freed). -1 with err saying why. */
int th_rate_tcp_rep(const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx,
                    struct th_session **sess, unsigned nsess, uint64_t count, double seconds,
                    struct th_rate_sample *out, struct th_observed *obs,
                    struct th_error *err) TH_MUST_CHECK;
/* handshake_rate's observed (rate.c): one handshake attempted, n what the client
 * negotiated (NULL: it did not complete), hs its server's records. */
struct th_hsnoop;
void th_rate_note(struct th_observed *obs, const struct th_negotiated *n,
                  const struct th_hsnoop *hs);
/* from's handshakes added to into's (into keeps the last negotiated when from has none). */
void th_rate_merge(struct th_observed *into, const struct th_observed *from);

/* ---- the server a case runs against (target.c) ---- */

/* Where the client connects when the harness does not run the server in-process. */
struct th_target {
    const char *host;
    uint16_t port;
    struct th_fixture *fixture; /* the running fixture, owned by the pool; or NULL */
};

/* The running fixture for c (started on first use, kept by o->fixtures). -1 with
 * err in the server's own words. */
int th_target_fixture(const struct th_case *c, const struct th_runner_opts *o,
                      struct th_fixture **out, struct th_error *err) TH_MUST_CHECK;
/* c's server when it is not one of ours: the external target as given, or a
 * fixture on loopback. Nothing to do (0, t zeroed) when the harness runs c's
 * server itself. */
int th_target_locate(const struct th_case *c, const struct th_runner_opts *o, struct th_target *t,
                     struct th_error *err) TH_MUST_CHECK;
/* A failing case against a fixture carries the end of the server's error log. */
void th_target_add_log(const struct th_fixture *f, struct th_case_result *r);

/* ---- shared ---- */

/* r is status error, err's text its reason. */
void th_kind_error(struct th_case_result *r, const struct th_error *err);
/* Measured repetitions: 1 with --quick, else --repeat, the case's, or 3. */
unsigned th_kind_reps(const struct th_case *k, const struct th_runner_opts *o);

#endif
