/* The OpenSSL backend's mappings from OpenSSL's own codes and objects to the shared
 * vocabulary, exported for curl-openssl: libcurl built on OpenSSL runs the same
 * libssl.so.3 and reports its codes (X509_V_ERR_*, packed SSL errors) and hands out
 * its SSL objects, so both backends read them through one mapping that cannot
 * drift apart. Defined in openssl.c. */
#ifndef TH_OPENSSL_MAP_H
#define TH_OPENSSL_MAP_H

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "backend.h"

/* A chain check's X509_V_ERR_* code; cert is the certificate it failed on (tells
 * a bad EKU from bad key usage), or NULL. */
enum th_outcome th_ossl_verify_outcome(int x509_err, X509 *cert);

/* The reason of a packed ERR_LIB_SSL error (ERR_GET_REASON), received alerts
 * included. */
enum th_outcome th_ossl_reason_outcome(int reason);

/* OpenSSL's name for an IANA group (for set1_groups_list); NULL when unknown. */
const char *th_ossl_group_name(uint16_t iana);

/* What an SSL negotiated, in IANA terms; all zero before a suite is agreed. */
void th_ossl_negotiated(SSL *ssl, struct th_negotiated *out);

#endif
