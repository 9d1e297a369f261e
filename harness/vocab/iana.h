/* IANA names and ids for TLS versions, cipher suites and named groups. Scenarios,
 * capabilities and results speak these; backends translate at their edge. */
#ifndef TH_IANA_H
#define TH_IANA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TH_TLS10 0x0301
#define TH_TLS11 0x0302
#define TH_TLS12 0x0303
#define TH_TLS13 0x0304
/* A set of versions: one bit per version, bit (v & 0xff). */
#define TH_VBIT(v) (1u << ((v)&0xff))
#define TH_VERSIONS_ALL                                                                            \
    (TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11) | TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13))

struct th_suite_info {
    uint16_t id;
    const char *name;     /* IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
    uint16_t min_version; /* lowest version it runs on; TLS 1.3 suites run only on 1.3 */
    const char *kx;       /* TLS13, ECDHE, DHE, RSA, PSK, ... */
    const char *auth;     /* RSA, ECDSA, DSS, PSK, any */
    const char *cipher;   /* AES-128-GCM, CHACHA20-POLY1305, AES-128-CBC, ... */
    const char *mac;      /* AEAD, SHA1, SHA256, SHA384 */
};

const struct th_suite_info *th_suite_by_id(uint16_t id);
const struct th_suite_info *th_suite_by_name(const char *name);
size_t th_suite_count(void);
const struct th_suite_info *th_suite_at(size_t i);
/* Versions (as a TH_VBIT set) a suite can be negotiated on. */
unsigned th_suite_versions(const struct th_suite_info *s);

struct th_group_info {
    uint16_t id;
    const char *name; /* IANA name: x25519, secp256r1, ffdhe2048, ... */
};
const struct th_group_info *th_group_by_id(uint16_t id);
const struct th_group_info *th_group_by_name(const char *name);

/* The lowest and highest version of a TH_VBIT set; 0 for an empty set. */
uint16_t th_versions_lowest(unsigned set);
uint16_t th_versions_highest(unsigned set);

/* The versions a library is told, given a TH_VBIT set and a list of IANA suite ids:
 * the top is cut to the highest version the list has a suite for, lower versions
 * stay. An empty list, or one with no suite on any of the versions, leaves the set
 * as is.
 * Shared by the OpenSSL, curl-openssl and GnuTLS backends (GnuTLS builds without
 * OpenSSL), so their ranges cannot drift apart. */
unsigned th_versions_effective(unsigned versions, const uint16_t *list, size_t n_list);

/* "1.2" <-> 0x0303. Parse returns 0 or -1. */
int th_version_parse(const char *s, uint16_t *out) TH_MUST_CHECK;
const char *th_version_name(uint16_t v); /* "1.2", or "unknown" */

#endif
