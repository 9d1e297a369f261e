/* The mbedTLS backend's mappings from mbedTLS's own codes to the shared vocabulary,
 * shared by its files (mbedtls.c, mbedtls_aead.c). Defined in mbedtls_map.c. */
#ifndef TH_MBEDTLS_MAP_H
#define TH_MBEDTLS_MAP_H

#include <stdint.h>

#include <mbedtls/x509_crt.h>

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

/* The chain as the verify callback saw it, and the chain as sent: what tells a bad
 * signature, a self-signed leaf, a missing intermediate, an issuer that is not a CA
 * and a path too long from an unknown CA, which mbedTLS all flags NOT_TRUSTED. */
struct th_mbedtls_chain {
    int len;             /* certificates in the chain mbedTLS built */
    uint32_t leaf_flags; /* the leaf's own flags */
    int leaf_self_issued;
    int sent;                   /* certificates the peer sent (those mbedTLS parsed) */
    enum th_outcome issuer_why; /* th_mbedtls_issuer_refused for the chain's top */
};

/* Why mbedTLS found no parent for `top`, the last certificate of the chain it built
 * (`len` long): a certificate named as its issuer among those sent or the anchors
 * that mbedTLS passed over, TH_INVALID_CA when it is not a CA (CA:FALSE or no
 * basicConstraints), TH_PATH_LENGTH when its pathLenConstraint rules the chain out.
 * TH_OK when no such certificate is there. */
enum th_outcome th_mbedtls_issuer_refused(const mbedtls_x509_crt *top, int len,
                                          const mbedtls_x509_crt *sent,
                                          const mbedtls_x509_crt *anchors);

/* Verification flags, the most telling first. */
enum th_outcome th_mbedtls_flags_outcome(uint32_t flags, const struct th_mbedtls_chain *chain);

/* The alert mbedTLS sends when it refuses a peer's certificate with these flags
 * (ssl_parse_certificate_verify's choice, 2.28), for a refusal made outside it. */
int th_mbedtls_flags_alert(uint32_t flags);

/* An MBEDTLS_ERR_* code; alert is the received alert's description for
 * MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, -1 when unknown. X.509 parse errors of the
 * peer's chain: a critical extension mbedTLS has no parser for (-0x2562, -0x2080) is
 * unknown_critical_extension, any other malformed certificate bad_certificate. */
enum th_outcome th_mbedtls_ret_outcome(int ret, int alert);

/* A trust anchor or CRL file mbedTLS would not load (ret from
 * mbedtls_x509_crt_parse_file / mbedtls_x509_crl_parse_file, non-zero): fills err with
 * TH_ANCHOR_UNUSABLE and the first refused object's own code and text when the file
 * holds such objects (PEM), TH_INTERNAL_ERROR when it cannot be read or holds none. */
void th_mbedtls_anchor_error(struct th_error *err, int ret, const char *path, int crl);

#endif
