/* The shared outcome vocabulary (DESIGN.md "Outcome vocabulary") and case statuses.
 * Backends map their native errors to th_outcome at their edge and keep the native
 * code and text beside it in struct th_error. */
#ifndef TH_OUTCOME_H
#define TH_OUTCOME_H

#include <stdint.h>

enum th_outcome {
    TH_OK = 0,
    TH_EXPIRED,
    TH_NOT_YET_VALID,
    TH_HOSTNAME_MISMATCH,
    TH_UNKNOWN_CA,
    TH_SELF_SIGNED,
    TH_INCOMPLETE_CHAIN,
    TH_BAD_SIGNATURE,
    TH_BAD_EKU,
    TH_BAD_KEY_USAGE,
    TH_WEAK_KEY,
    TH_WEAK_SIGNATURE,
    TH_REVOKED,
    TH_NAME_CONSTRAINTS,           /* a name outside an issuer's permitted subtrees */
    TH_PATH_LENGTH,                /* a chain longer than an issuer's pathLenConstraint */
    TH_INVALID_CA,                 /* an issuer that is not a CA (CA:FALSE, no basicConstraints) */
    TH_UNKNOWN_CRITICAL_EXTENSION, /* a critical extension the library does not know */
    TH_BAD_CERTIFICATE,            /* malformed or unparseable */
    TH_ANCHOR_UNUSABLE,            /* the client library refused to load a trust anchor or CRL */
    TH_OCSP_MISSING,               /* a required staple absent */
    TH_OCSP_INVALID,               /* a staple stale, unverifiable or for another certificate */
    TH_CERTIFICATE_REQUIRED,       /* a server wanted a client certificate */
    TH_NO_SHARED_CIPHER,
    TH_PROTOCOL_VERSION,
    TH_HANDSHAKE_FAILURE,
    TH_BAD_RECORD_MAC,
    TH_TRUNCATED,
    TH_TIMEOUT,
    TH_IO_ERROR,
    TH_INTERNAL_ERROR,
    TH_OUTCOME_COUNT
};

/* A set of outcomes, one bit per enum th_outcome. */
typedef uint32_t th_outcome_set;
#define TH_OUTCOME_BIT(o) ((th_outcome_set)1u << (o))

const char *th_outcome_name(enum th_outcome o);
/* 0 and *out set when name is in the vocabulary, -1 otherwise. */
/* (TH_MUST_CHECK spelled out: error.h, which defines it, includes this header.) */
int th_outcome_parse(const char *name, enum th_outcome *out) __attribute__((warn_unused_result));
/* True for outcomes that say the peer's certificate (or its chain, trust anchor or
 * staple) was refused. */
int th_outcome_is_certificate(enum th_outcome o);
/* Map a TLS alert description (RFC 8446 section 6) received from or sent to the peer. */
enum th_outcome th_outcome_from_alert(int alert);

enum th_status { TH_PASS = 0, TH_FAIL, TH_XFAIL, TH_XPASS, TH_SKIP, TH_ERROR, TH_STATUS_COUNT };
const char *th_status_name(enum th_status s);

/* The staple as the client saw it (struct th_negotiated.ocsp in backends/backend.h;
 * observed.ocsp in the results, by th_staple_name). */
enum th_staple {
    TH_STAPLE_NOT_ASKED = 0, /* the client did not ask: null in the results */
    TH_STAPLE_NONE,          /* asked; no staple came */
    TH_STAPLE_GOOD,          /* a staple came, verified, status good */
    TH_STAPLE_REVOKED,       /* verified, status revoked */
    TH_STAPLE_UNKNOWN,       /* verified, status unknown */
    TH_STAPLE_INVALID,       /* a staple came that does not verify: stale, wrong signer,
                              * for another certificate, unparseable */
};
#define TH_STAPLE_COUNT (TH_STAPLE_INVALID + 1)
/* "none", "good", "revoked", "unknown", "invalid"; NULL for TH_STAPLE_NOT_ASKED. */
const char *th_staple_name(enum th_staple s);
/* 0 with *out for one of those names, -1 otherwise. */
int th_staple_parse(const char *name, enum th_staple *out) __attribute__((warn_unused_result));

#endif
