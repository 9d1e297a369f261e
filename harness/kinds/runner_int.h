/* Internal to the runner's files (runner.c, datapath.c, ...): what they share. */
#ifndef TH_RUNNER_INT_H
#define TH_RUNNER_INT_H

#include "runner.h"
#include "harness/run/transport.h"

/* Kind load (load_case.c): the load engine against the case's server. */
void th_run_load(const struct th_case *c, const struct th_runner_opts *o, struct th_case_result *r);

/* The running fixture for a case (started on first use, kept by o->fixtures). On
 * failure the result is status error with the server's own words. */
int th_locate_fixture(const struct th_case *c, const struct th_runner_opts *o,
                      struct th_fixture **out, struct th_case_result *r) TH_MUST_CHECK;
/* A failing case against a fixture carries the end of the server's error log. */
void th_add_fixture_log(const struct th_fixture *f, struct th_case_result *r);

/* Both ends' contexts for a case, from its resolved configuration. On failure the
 * result is status error with the library's words, and nothing is left allocated. */
int th_make_ctxs(const struct th_case *c, const char *pki_dir, struct th_ctx **cctx,
                 struct th_ctx **sctx, struct th_case_result *r) TH_MUST_CHECK;

/* One end of a connection over the in-memory pair, with what its timed sections
 * cost. */
struct dp_end {
    const struct th_backend *b;
    struct th_conn *conn;
    struct th_error err;
    int failed;
    uint64_t send_wall, recv_wall; /* timed sections, monotonic ns */
    uint64_t sent, received;       /* stream offsets */
};

struct dp_pair {
    struct th_mem_pair mem;
    struct dp_end cl, sv;
};

/* Both ends over a fresh in-memory pair, handshaken (sess: resume from it). 0, or -1
 * with the failing end's error in d. Close frees whatever was made. */
int th_dp_open(struct dp_pair *d, const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx,
               struct th_session *sess) TH_MUST_CHECK;
void th_dp_close(struct dp_pair *d);

/* handshake_rate and memory kinds (rate.c) */
void th_run_rate(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_case_result *r);
void th_run_memory(const struct th_case *c, const struct th_runner_opts *o, struct th_ctx *cctx,
                   struct th_ctx *sctx, struct th_case_result *r);

/* One repetition of handshake_rate over TCP (rate_tcp.c): count handshakes, or as
 * many as fit in `seconds` when count is 0. */
int th_rate_tcp_rep(const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx,
                    struct th_session *sess, uint64_t count, double seconds, double *per_s,
                    double *client_us, double *server_us, char *why, size_t cap) TH_MUST_CHECK;

/* The benchmark and data-path kinds: bulk, integrity, handshake_rate, memory. */
void th_run_datapath(const struct th_case *c, const struct th_runner_opts *o,
                     struct th_case_result *r);

/* A metric from samples: median, min, max over n. values is sorted in place. */
void th_metric_set(struct th_case_result *r, const char *name, const char *unit, double *values,
                   size_t n);

#endif
