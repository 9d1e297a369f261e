/* Results of a run: the JSON results file (DESIGN.md "Results file"), JUnit XML, and
 * the terminal summary. */
#ifndef TH_RESULTS_H
#define TH_RESULTS_H

#include <stdio.h>

#include "backends/backend.h"
#include "harness/vocab/outcome.h"
#include "harness/scenario/case.h"
#include "harness/vocab/util.h"
#include "lathist.h"

#define TH_MAX_METRICS 16

struct th_metric {
    const char *name; /* fixed names from DESIGN.md */
    const char *unit;
    double median, min, max;
    size_t n;
};

/* Kind handshake_rate (ran): every handshake of every repetition, the warm-up
 * included: those attempted, those that completed full and resumed (as the client's
 * library reported them, each checked against what the scenario asked), those whose
 * records showed TLS 1.3 (hrr_known) and, of these, the ones that needed a
 * HelloRetryRequest (hrr). */
struct th_rate_seen {
    int ran;
    uint64_t attempted, full, resumed, hrr_known, hrr;
    uint64_t early_offered, early_accepted; /* handshakes whose client sent early data,
                                               and of those, the server took it */
};

/* What one connection attempt showed, from both ends when the harness runs both. */
struct th_observed {
    int ran;                    /* a connection was attempted */
    enum th_outcome outcome;    /* the case's outcome: th_decide_outcome (run/judge.h) */
    struct th_negotiated neg;   /* the client's view (resumption: the last connection) */
    int have_neg;               /* neg is filled in (a handshake completed) */
    const char *native_side;    /* "client" or "server": whose error decided outcome */
    struct th_error client_err; /* outcome TH_OK when the client saw no error */
    struct th_error server_err;
    int server_seen; /* the harness ran the server side */
    /* the server's view, when server_seen: its handshake completed (have_server_neg)
     * and a client certificate arrived and verified (server_client_cert) */
    int have_server_neg;
    int server_client_cert;
    /* TLS 1.3, read off the handshake records by the driver (hrr_known): whether the
     * server sent a HelloRetryRequest on the connection judged (the last one): hrr
     * counts them, so a second one (which RFC 8446 forbids) fails an expected one.
     * Not known: not TLS 1.3, or a client that owns its socket against a server not
     * ours (then no records pass through the driver). */
    int hrr_known, hrr;
    /* client.early_data "replay" (replay_tried): whether the server took the same early
     * data a second time */
    int replay_tried, replay_accepted;
    /* the client: from the start of the connection judged (TCP connected, or the
     * in-memory pair made) to the first byte of the response; 0 when none came */
    uint64_t first_byte_ns;
    struct th_rate_seen rate; /* kind handshake_rate; neg is its last handshake's */
};

/* Kind load: what its repetitions did, summed over them (written as "load" when ran
 * is set): verified requests and handshakes, the resumed among those, the body
 * bytes checked, and the latency of every verified request. */
struct th_load_tally {
    int ran;
    uint64_t requests, connections, resumed, body_bytes;
    uint64_t early_offered, early_accepted, early_bytes; /* connections that sent early data,
                                                            that the server took; its bytes */
    double wall_s;          /* first connect to last response, summed */
    double rate;            /* open loop: the requests/s asked; 0 closed loop */
    const char *body_check; /* loadgen.h's body_check (a static string) */
    uint64_t bodies_hashed; /* with load.expect_sha256: bodies whose SHA-256 matched */
    uint64_t neg_differ;    /* verified handshakes that negotiated other than observed */
    int http2;              /* the load spoke HTTP/2 (load.protocol "h2") */
    unsigned streams;       /* HTTP/2: concurrent streams per connection */
    struct th_lathist latency;
};

struct th_case_result {
    const struct th_case *c;
    enum th_status status;
    char reason[768];
    struct th_observed obs;
    struct th_metric metrics[TH_MAX_METRICS];
    size_t n_metrics;
    /* kind load: failed requests by class (outcome); written as "errors" when any */
    uint64_t errors[TH_OUTCOME_COUNT];
    struct th_load_tally load; /* kind load */
    double duration_s;
};

struct th_run {
    double started_at, finished_at; /* seconds since the epoch */
    const char *generator;          /* "tlsharness VERSION" */
    const char *build_flags;        /* CFLAGS the binary was built with */
    struct th_case_result *results;
    size_t n;
    int interrupted; /* stopped early by a signal */
};

/* Counts by status. */
void th_run_counts(const struct th_run *run, size_t counts[TH_STATUS_COUNT]);

/* Write the JSON results file atomically (its folder made if needed): 0, or -1 with
 * err (a fault, errno as its code). */
int th_results_write_json(const char *path, const struct th_run *run,
                          struct th_error *err) TH_MUST_CHECK;
/* Write JUnit XML atomically (one testcase per case; skipped/failure/error elements
 * carry the reason). */
int th_results_write_junit(const char *path, const struct th_run *run,
                           struct th_error *err) TH_MUST_CHECK;
/* The terminal summary: a table of pairs x statuses, then each failing case with
 * its reason, then one line of totals. color: use ANSI colours. */
void th_results_print_summary(FILE *out, const struct th_run *run, int color);

#endif
