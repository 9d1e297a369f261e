/* The GnuTLS backend's raw AEAD cost (its ->aead_cost op, see backend.h): seal then
 * open TLS-sized records with the suite's AEAD through gnutls_aead_cipher_*, the
 * calls GnuTLS's own record layer makes. Defined in gnutls_aead.c. */
#ifndef TH_GNUTLS_AEAD_H
#define TH_GNUTLS_AEAD_H

#include "backend.h"

TH_MUST_CHECK int th_gnutls_aead_cost(uint16_t suite, size_t record_size, double seconds,
                                      double *ns_per_byte, struct th_error *err);

#endif
