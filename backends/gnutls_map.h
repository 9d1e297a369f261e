/* The GnuTLS backend's mappings from GnuTLS's own codes and objects to the shared
 * vocabulary, exported for curl-gnutls: libcurl-gnutls runs the same
 * libgnutls.so.30 and reports its codes (gnutls_certificate_status_t bits,
 * GNUTLS_E_* texts) and hands out its sessions, so both backends read them through
 * one mapping that cannot drift apart. Defined in gnutls.c. */
#ifndef TH_GNUTLS_MAP_H
#define TH_GNUTLS_MAP_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "backend.h"

/* A refused chain's gnutls_certificate_status_t bits, the most specific reason
 * first. leaf (or NULL when it could not be read) and n_certs, the length of the
 * chain the server sent, tell a short key from a weak hash and a lone self-signed
 * certificate from an unknown issuer. */
enum th_outcome th_gnutls_status_outcome(unsigned status, gnutls_x509_crt_t leaf, unsigned n_certs);

/* A GNUTLS_E_* code. */
enum th_outcome th_gnutls_error_outcome(int code);

/* The IANA id of a GnuTLS group; 0 when unknown. */
uint16_t th_gnutls_group_to_iana(gnutls_group_t g);

/* What a session negotiated, in IANA terms; call it once the handshake is done. */
void th_gnutls_negotiated(gnutls_session_t s, struct th_negotiated *out);

#endif
