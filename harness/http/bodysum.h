/* Verifying a body of any server: its SHA-256 against the one the user gives
 * (load.expect_sha256, `tlsharness load --expect-sha256`). The hash runs as the body
 * streams past, so nothing is kept; the load generator hashes every response of the
 * run with it, over HTTP/1.1 (response.h's on_body) and HTTP/2 alike. */
#ifndef TH_BODYSUM_H
#define TH_BODYSUM_H

#include <stddef.h>
#include <stdint.h>

#include "harness/vocab/error.h"
#include "harness/vocab/util.h"

struct th_bodysum; /* one body in flight; reused body after body without allocating */

/* NULL only when the library cannot make a SHA-256 context (out of memory). */
struct th_bodysum *th_bodysum_new(void);
void th_bodysum_free(struct th_bodysum *b);
/* A new body begins. */
void th_bodysum_start(struct th_bodysum *b);
void th_bodysum_update(struct th_bodysum *b, const void *p, size_t n);
/* The shape of response.h's on_body: arg is the th_bodysum. */
void th_bodysum_sink(void *arg, const unsigned char *p, size_t n);
/* The body has ended: 0 when it hashed to want, else -1 with err (internal_error,
 * "body of N bytes has SHA-256 HEX, expected HEX", both whole: a hash differing in
 * its last byte must not read as the same). */
int th_bodysum_check(struct th_bodysum *b, const uint8_t want[32], uint64_t body_len,
                     struct th_error *err) TH_MUST_CHECK;
/* 64 hex digits (either case) into out: 0, or -1 when s is not that. */
int th_sha256_from_hex(const char *s, uint8_t out[32]) TH_MUST_CHECK;

#endif
