/* The in-memory pair: both ends of one connection, the client and the server
 * backend of a case, over a fresh struct th_mem_pair in this thread; and the keyed
 * payload the data-path kinds move through it and check on arrival. */
#ifndef TH_PAIR_H
#define TH_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "harness/report/results.h"
#include "harness/scenario/case.h"
#include "harness/vocab/error.h"
#include "harness/io/transport.h"

/* The payload pattern repeats every TH_PAYLOAD_PERIOD bytes. */
#define TH_PAYLOAD_PERIOD 65600u

/* Stream byte i is pat[i % PERIOD]; pat holds PERIOD + slack bytes so that a write
 * of up to slack bytes at any offset reads contiguously. */
struct th_payload {
    unsigned char *pat;
    size_t slack;
};

void th_payload_init(struct th_payload *p, uint64_t seed, size_t slack);
void th_payload_free(struct th_payload *p);
/* Where the stream at offset off is (slack bytes readable from there). */
static inline const unsigned char *th_payload_at(const struct th_payload *p, uint64_t off)
{
    return p->pat + (size_t)(off % TH_PAYLOAD_PERIOD);
}
/* Do got[0..n) equal the stream at offset off? */
int th_payload_matches(const struct th_payload *p, uint64_t off, const unsigned char *got,
                       size_t n);

/* One end of a connection, with what its timed sections cost. */
struct th_pair_end {
    const struct th_backend *b;
    struct th_conn *conn;
    struct th_error err;
    int failed;
    uint64_t send_wall, recv_wall; /* timed sections, monotonic ns (thread CPU ns with
                                      cpu_timed) */
    uint64_t sent, received;       /* stream offsets */
    int cpu_timed;                 /* time the sections with this thread's CPU clock */
};

struct th_pair {
    struct th_mem_pair mem;
    struct th_pair_end cl, sv;
};

/* Both ends of case k over a fresh in-memory pair, handshaken (sess: resume from
 * it). -1 with the failing end's error in its end and copied to err (the
 * client's when both fail). th_pair_close frees whatever was made, either way. */
int th_pair_open(struct th_pair *d, const struct th_case *k, struct th_ctx *cctx,
                 struct th_ctx *sctx, struct th_session *sess, struct th_error *err) TH_MUST_CHECK;
void th_pair_close(struct th_pair *d);

/* Mark an end failed with o and what, unless it already failed (its first error
 * stands). */
void th_pair_end_fail(struct th_pair_end *e, enum th_outcome o, const char *what);

/* Write n bytes of the stream from e->sent in writes of ws, as one timed section.
 * -1 with e failed when the library stops before all is written. */
int th_pair_write(struct th_pair_end *e, const struct th_payload *p, size_t n,
                  size_t ws) TH_MUST_CHECK;
/* Read up to n bytes into buf as one timed section; the count read. Stops at an
 * error (e failed), at close_notify (*closed) or when nothing more is queued. */
size_t th_pair_read(struct th_pair_end *e, unsigned char *buf, size_t n, int *closed);

/* -1 with err saying so when the handshake did not negotiate the version, suite
 * and group case k pins (a sample that would measure something else). */
int th_pair_check_pins(const struct th_case *k, const struct th_pair *d,
                       struct th_error *err) TH_MUST_CHECK;

/* The result of a case whose pair failed `when`: status fail, the failing end's
 * error as the observation. */
void th_pair_fail_result(const struct th_pair *d, const char *when, struct th_case_result *r);

#endif
