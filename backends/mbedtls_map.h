/* The mbedTLS backend's mappings from mbedTLS's own codes to the shared vocabulary,
 * shared by its files (mbedtls.c, mbedtls_aead.c). Defined in mbedtls_map.c. */
#ifndef TH_MBEDTLS_MAP_H
#define TH_MBEDTLS_MAP_H

#include <stdint.h>

#include "backend.h"

/* Build the library's own lazily made tables (suites, curves) once, before any
 * thread uses them. */
void th_mbedtls_init(void);
/* "mbed TLS 2.28.x" */
const char *th_mbedtls_version(void);
/* The IANA id of a version as mbedtls_ssl_get_version names it; 0 when unknown. */
uint16_t th_mbedtls_version_id(const char *name);

/* A set-up failure: "what: " and mbedTLS's words for ret, ret in err->code. */
void th_mbedtls_error(struct th_error *err, int ret, const char *what);

/* Certificate verification flags as one line ("...; ..."), for a person. */
void th_mbedtls_flags_text(uint32_t flags, char *out, size_t cap);

/* The chain as the verify callback saw it: what tells a bad signature and a
 * self-signed leaf from an unknown CA, which mbedTLS flags alike. */
struct th_mbedtls_chain {
    int len;             /* certificates in the chain mbedTLS built */
    uint32_t leaf_flags; /* the leaf's own flags */
    int leaf_self_issued;
};

/* Verification flags, the most telling first. */
enum th_outcome th_mbedtls_flags_outcome(uint32_t flags, const struct th_mbedtls_chain *chain);

/* An MBEDTLS_ERR_* code; alert is the received alert's description for
 * MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, -1 when unknown. */
enum th_outcome th_mbedtls_ret_outcome(int ret, int alert);

#endif
