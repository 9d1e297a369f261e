/* What the probe's report says is weak (`tlsharness probe`'s "findings"): each
 * finding a severity, a short id and a one-line reason, read from the report's JSON
 * alone (versions, suites, legacy suites, server order, the DH group, the chain, the
 * handshake signature), so a report read back from a file gives the same findings
 * as the probe that wrote it.
 *
 * Severities, highest first (harness/README.md "probe" lists every finding):
 *   critical  the traffic can be read or forged today, or clients refuse the
 *             certificate: NULL, anonymous, export or single-DES suites, an MD5
 *             certificate signature, a certificate expired or not yet valid;
 *   high      a known practical attack or a deprecated primitive clients reject:
 *             RC4, 3DES/IDEA (64-bit blocks), DH groups under 1024 bits, SHA-1
 *             certificate signatures;
 *   medium    deprecated, to be removed: TLS 1.0, TLS 1.1, RSA key transport (no
 *             forward secrecy), DH groups under 2048 bits, the client's order with
 *             weak suites enabled, a certificate expiring within 30 days, a SHA-1
 *             handshake signature;
 *   low       worth fixing, no attack: CBC suites, no TLS 1.3, a chain in the wrong
 *             order or with certificates that are not part of the path;
 *   info      a fact, not a weakness: a self-signed root sent with the chain, the
 *             client's order with strong suites only. */
#ifndef TH_PROBE_WARN_H
#define TH_PROBE_WARN_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "harness/vocab/util.h"

enum th_severity {
    TH_SEV_INFO,
    TH_SEV_LOW,
    TH_SEV_MEDIUM,
    TH_SEV_HIGH,
    TH_SEV_CRITICAL,
};

/* "info", "low", "medium", "high", "critical". */
const char *th_severity_name(enum th_severity s);
/* The inverse, case-sensitive; -1 for anything else. */
int th_severity_parse(const char *s, enum th_severity *out) TH_MUST_CHECK;

/* Certificates expiring sooner than this are a finding. */
#define TH_PROBE_EXPIRY_WARN_S (30L * 24 * 3600)

/* The findings of a probe report, at time now: an array of {"severity", "id",
 * "reason", "items"} ordered by severity, highest first ("items": the suites or
 * certificates concerned, as "1.2 TLS_..." or "[1] CN=..."; absent when the reason
 * says it all). Empty for a server that was not answered. */
json_t *th_probe_findings(const json_t *report, time_t now);

/* The highest severity in the report's "findings", or -1 when there is none. */
int th_probe_worst(const json_t *report);

/* The "findings" section of the text report. */
void th_probe_print_findings(FILE *out, const json_t *report);

#endif
