/* The wolfSSL backend's mappings between wolfSSL's own codes and names and the shared
 * vocabulary, shared by its files (wolfssl.c, wolfssl_aead.c). Defined in
 * wolfssl_map.c. */
#ifndef TH_WOLFSSL_MAP_H
#define TH_WOLFSSL_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* wolfSSL_Init and the suite table, once per process; 0, or -1 when wolfSSL_Init
 * failed (its code in *code when code is not NULL). */
TH_MUST_CHECK int th_wolfssl_init(int *code);
/* "wolfSSL 5.5.4" (the runtime library's own string). */
const char *th_wolfssl_version(void);

/* The IANA ids of every suite the library was built with, in its own order; how
 * many were written. */
size_t th_wolfssl_suites(uint16_t *out, size_t cap);
/* 1 when the library has the suite. */
int th_wolfssl_has_suite(uint16_t id);

/* The IANA id of the group wolfSSL_get_curve_name names ("SECP256R1", "X25519",
 * "FFDHE_2048"); 0 when unknown. */
uint16_t th_wolfssl_group_id(const char *name);

/* A server's handshake bytes as they go out (whole records from their start): the
 * group of a ServerHello's or HelloRetryRequest's key_share, into *group; nothing
 * else changes it. wolfSSL's server does not name a TLS 1.3 FFDHE group it
 * negotiated (wolfSSL_get_curve_name says NULL), so it is read off the wire. */
void th_wolfssl_hello_group(const unsigned char *buf, size_t len, uint16_t *group);

/* The IANA id of a version as wolfSSL_get_version names it ("TLSv1.2"); 0 when
 * unknown. */
uint16_t th_wolfssl_version_id(const char *name);

/* wolfSSL's text for one of its error codes (negative), or for a verify error. */
void th_wolfssl_error_text(int code, char *out, size_t cap);

/* A failed TLS step's wolfSSL error code (wolfSSL_get_error's value when it is not
 * a WOLFSSL_ERROR_* state; the connection's own error otherwise); alert is the
 * description of a fatal alert received, -1 when none. */
enum th_outcome th_wolfssl_outcome(int code, int alert);

/* A chain check's verdict: code is the failed step's wolfSSL/wolfCrypt error (0
 * when none says more), x509 the X509_V_ERR_* number the verify callback saw (0:
 * none). sent: certificates the peer sent (-1 unknown); depth: where it failed;
 * self_issued: the failing certificate names itself as issuer. */
enum th_outcome th_wolfssl_verify_outcome(int code, int x509, int depth, int sent, int self_issued);

#endif
