/* The probe behind `tlsharness probe URL` (DESIGN.md "Command line"; the command
 * line itself is harness/cli/cmd_probe.c): what one HTTPS server does, step by step, seen
 * from the client backends compiled in.
 *
 *  1. One connection, timed: the TCP connect, the TLS handshake (version, suite,
 *     group, key exchange, the server's signature scheme), the certificate chain as
 *     the server sent it, and the time to the first byte of the answer to a GET. It
 *     runs with certificate verification off, so a chain no client trusts still
 *     shows every step. It offers TLS 1.2 and 1.3; a server that accepts neither
 *     gets it again at the versions it does accept (step 2), so a TLS 1.0-only
 *     server still shows its chain. Whether the server asked for a client
 *     certificate, and whether one was sent (--cert), is read from it.
 *  2. The versions the server accepts: one handshake offering 1.0, 1.1, 1.2 or 1.3
 *     alone (verification off: this is about what the server accepts, not trust).
 *  2b. Every client backend checks the chain on a connection of its own, at the
 *     highest version it shares with the server (offered alone, so the verdict
 *     names the version it used), asking for a stapled OCSP response where it can,
 *     and reports its verdict in the shared outcome vocabulary, with the library's
 *     own code and text, and what it made of the staple.
 *  2c. The staple itself, read on a libssl connection of the probe's own
 *     (probe_ocsp.c): none, or its status, this/next update, responder, and whether
 *     it is about the leaf sent.
 *  3. The suites it accepts per accepted version: offer every suite the clients here
 *     can offer, note the one chosen, take it out, offer the rest, until the server
 *     refuses. The list comes out in the server's order when it enforces one; two
 *     suites offered in both orders tell whether it does.
 *  3b. The legacy suites (export, RC4, DES, 3DES, IDEA) no library here can offer,
 *     in a ClientHello of the probe's own (probe_legacy.c), per version up to 1.2.
 *  3c. The DH group a DHE suite gets, from the ServerKeyExchange of the same.
 *  4. The groups it accepts with TLS 1.2 and with TLS 1.3, each offered alone.
 *  5. The findings (probe_warn.h): what the report shows to be weak, each with a
 *     severity and a one-line reason.
 *
 * Each handshake runs on a connection of its own, within --timeout, and ends with a
 * close_notify; the whole probe stops starting new ones after PROBE_BUDGET_S
 * (probe.c) and says so in its notes.
 *
 * The server was answered (th_probe_answered) when it was reached and accepted at
 * least one TLS version; it was not when it could not be reached (name not resolved,
 * connection refused, timeout) or refused every version. Certificate verdicts do not
 * change that: the probe reports, a scenario judges. */
#ifndef TH_PROBE_H
#define TH_PROBE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backends/backend.h"
#include "harness/vocab/error.h"
#include "harness/vocab/util.h"

/* ---- the URL ---- */

struct th_probe_url {
    char host[256];  /* a DNS name or an IP literal, without brackets */
    uint16_t port;   /* 443 when the URL names none */
    char path[1024]; /* what the GET asks for: "/" when the URL names none */
    int host_is_ip;  /* an IP literal: no SNI, and checked against IP SANs */
};

/* https://HOST[:PORT][/PATH] with HOST a name, an IPv4 address or [IPv6]. -1
 * otherwise, with err (input) saying what is wrong. */
int th_probe_parse_url(const char *url, struct th_probe_url *out,
                       struct th_error *err) TH_MUST_CHECK;

/* ---- suite enumeration, separate from the connections that carry it ---- */

/* What one handshake offering exactly `suites`, in this order, came to. */
enum th_offer {
    TH_OFFER_ACCEPTED, /* *chosen: the suite the server picked */
    TH_OFFER_REFUSED,  /* the server refused the handshake */
    TH_OFFER_UNABLE,   /* the client cannot offer this exact list: nothing was sent */
    TH_OFFER_STOP,     /* no answer (timeout, server gone, time budget spent): stop */
};
typedef enum th_offer (*th_offer_fn)(void *arg, const uint16_t *suites, size_t n, uint16_t *chosen);

struct th_probe_enum {
    uint16_t accepted[TH_MAX_SUITES]; /* in the order the server chose them */
    size_t n_accepted;
    uint16_t untested[TH_MAX_SUITES]; /* the client could not offer these even alone */
    size_t n_untested;
    int stopped;    /* an offer said TH_OFFER_STOP: the list may be incomplete */
    uint16_t rogue; /* the server chose this suite, which was not offered; 0: none */
};

/* Offer all of suites[0..n) (n at most TH_MAX_SUITES), take out the one chosen,
 * offer the rest, until the server refuses: at most n + 1 offers. A list the client cannot offer as
 * a whole is offered one suite at a time instead (the order found is then the client's). */
void th_probe_enumerate(th_offer_fn offer, void *arg, const uint16_t *suites, size_t n,
                        struct th_probe_enum *out);

enum th_server_order {
    TH_ORDER_NA,       /* fewer than two suites accepted */
    TH_ORDER_ENFORCED, /* the server picks by its own order */
    TH_ORDER_CLIENT,   /* the server follows the client's order */
    TH_ORDER_UNKNOWN,  /* the server refused one of the two offers, or picked oddly */
    TH_ORDER_UNTESTED, /* the client cannot offer the pair in both orders */
};

/* Offer (a, b) then (b, a): the same pick both times is the server's own order. */
enum th_server_order th_probe_server_order(th_offer_fn offer, void *arg, uint16_t a, uint16_t b);
/* "n/a", "enforced", "client", "unknown", "untested": the JSON report's words. */
const char *th_probe_order_name(enum th_server_order o);

/* "ECDHE", "DHE", "RSA key transport", "TLS 1.3 ECDHE", "TLS 1.3 DHE" (from the group),
 * "TLS 1.3 (EC)DHE" (group unknown), or the suite's kx; "unknown" for an unknown
 * suite. */
const char *th_probe_kx_kind(uint16_t version, uint16_t suite, uint16_t group);

/* ---- the report ---- */

/* DER certificates back to back, parsed with libcrypto: an array of objects with
 * subject and issuer (RFC 2253), not_before, not_after (ISO 8601 UTC), valid_now,
 * sans ("DNS:..", "IP:.."), key_type, key_bits, key_curve (EC), signature. Bytes
 * that do not parse end the array with {"error": "..."}. */
json_t *th_probe_chain_json(const unsigned char *der, size_t len);

/* What a stapled OCSP response (DER, resp..len; none when len is 0) says about the
 * chain sent with it (DER back to back, leaf first): {"stapled": bool,
 * "response_status", "responder" (RFC 2253 name or "key SHA-1 HEX"), "certs_included",
 * "produced_at", "for_leaf" (its CertID matches leaf and issuer; null: no issuer sent),
 * "cert_status" (good, revoked, unknown), "this_update", "next_update" (ISO 8601 UTC),
 * "revoked_at", "revocation_reason", "current" (now within this/next update, 5 min
 * skew), "error" (it does not parse)}. Not a verdict: the signer is not checked. */
json_t *th_probe_staple_json(const unsigned char *resp, size_t len, const unsigned char *chain,
                             size_t chain_len);

/* The report (schema tlsharness.probe/1) as the short aligned text people read. */
void th_probe_print(FILE *out, const json_t *report);

/* ---- the probe ---- */

#define TH_PROBE_TIMEOUT_S 10.0 /* each connection's limit when none is given */

struct th_probe_opts {
    const char *url;        /* https://HOST[:PORT][/PATH] */
    const char *ca;         /* CAs the chain is verified against; NULL: the system's */
    const char *servername; /* checked and sent as SNI; NULL: the URL's host */
    const char *backends;   /* client backends, comma-separated; NULL: every one */
    double timeout_s;       /* each connection's limit; 0: TH_PROBE_TIMEOUT_S */
    const char *cert;       /* a client certificate (PEM chain) presented when asked */
    const char *key;        /* its private key (PEM); set together with cert */
};

/* Probe the server o->url names: the report (schema tlsharness.probe/1), which the
 * caller frees. A server that cannot be reached is a finding in the report ("error"),
 * not a failure. NULL with err (input) when the URL does not parse, -b names an
 * unknown backend, or no client backend named can drive a connection. */
json_t *th_probe_run(const struct th_probe_opts *o, struct th_error *err) TH_MUST_CHECK;
/* 1 when the report says the server was reached and accepted at least one TLS
 * version; 0 when not ("error" says why, or "versions" shows none accepted). */
int th_probe_answered(const json_t *report);

#endif
