/* The OpenSSL backend's mappings from OpenSSL's own codes and objects to the shared
 * vocabulary, exported for curl-openssl: libcurl built on OpenSSL runs the same
 * libssl.so.3 and reports its codes (X509_V_ERR_*, packed SSL errors) and hands out
 * its SSL objects, so both backends read them through one mapping that cannot
 * drift apart. Defined in openssl_map.c. */
#ifndef TH_OPENSSL_MAP_H
#define TH_OPENSSL_MAP_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "backend.h"

/* The IANA id -> OpenSSL name table: every suite the library can negotiate at
 * security level 0. Build it once (the caller serialises), before the lookups. */
TH_MUST_CHECK int th_ossl_ciphers_build(void);
/* OpenSSL's name for a suite (for set_cipher_list); NULL when unknown. */
const char *th_ossl_cipher_name(uint16_t id);
/* The table's IANA ids in OpenSSL's order, TLS 1.3 first; how many were written. */
size_t th_ossl_suites(uint16_t *out, size_t cap);

/* OpenSSL's name for an IANA group (for set1_groups_list); NULL when unknown. */
const char *th_ossl_group_name(uint16_t iana);

/* A set-up failure: "what: " and OpenSSL's first queued error, its packed code in
 * err->code. The thread's queue is emptied so nothing leaks into the next call. */
void th_ossl_queued_error(struct th_error *err, const char *what);

/* A CA or CRL file the library refused: as th_ossl_queued_error, with outcome
 * anchor_unusable unless the file could not be opened at all (internal_error). */
void th_ossl_anchor_error(struct th_error *err, const char *what);

/* The library's default security level, read once from a fresh SSL_CTX (Debian:
 * 2); -1 when no SSL_CTX could be made. */
int th_ossl_default_security_level(void);

/* Lowers ctx's security level for the handshake (TLS 1.0/1.1 signatures, the test
 * server's weak certificates) while its certificate checks keep the library's
 * default level: the auth level of ctx's verify parameters. 0, or -1 when the
 * default could not be read (nothing changed). */
TH_MUST_CHECK int th_ossl_lower_security_level(SSL_CTX *ctx, int level);

/* A chain check's X509_V_ERR_* code; cert is the certificate it failed on (tells
 * a bad EKU from bad key usage), or NULL. */
enum th_outcome th_ossl_verify_outcome(int x509_err, X509 *cert);

/* As th_ossl_verify_outcome, with the number of certificates the peer sent (its
 * leaf included; -1: unknown): error 20 on a leaf sent alone is incomplete_chain. */
enum th_outcome th_ossl_chain_outcome(int x509_err, X509 *cert, int n_sent);

/* As th_ossl_chain_outcome for either peer: peer_is_client 1 when a server checked
 * a client's chain, where INVALID_PURPOSE is bad_eku for an EKU without clientAuth. */
enum th_outcome th_ossl_peer_chain_outcome(int x509_err, X509 *cert, int n_sent,
                                           int peer_is_client);

/* The reason of a packed ERR_LIB_SSL error (ERR_GET_REASON), received alerts
 * included. */
enum th_outcome th_ossl_reason_outcome(int reason);

/* What an SSL negotiated, in IANA terms; all zero before a suite is agreed but
 * for the client's view of the OCSP staple, which a failed handshake has too. */
void th_ossl_negotiated(SSL *ssl, struct th_negotiated *out);

/* What the peer of an SSL presented (the ->peer_info op): 0, or -1 when it sent no
 * certificate. */
TH_MUST_CHECK int th_ossl_peer_info(SSL *ssl, struct th_peer_info *out);

#endif
