/* The mbedTLS backend's raw AEAD cost (its ->aead_cost op, see backend.h): seal then
 * open TLS-sized records with the suite's AEAD through the cipher layer mbedTLS's
 * record layer uses. Defined in mbedtls_aead.c. */
#ifndef TH_MBEDTLS_AEAD_H
#define TH_MBEDTLS_AEAD_H

#include "backend.h"

TH_MUST_CHECK int th_mbedtls_aead_cost(uint16_t suite, size_t record_size, double seconds,
                                       double *ns_per_byte, struct th_error *err);

#endif
