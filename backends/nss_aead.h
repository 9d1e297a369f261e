/* The NSS backend's raw AEAD cost (its ->aead_cost op, see backend.h): seal then
 * open TLS-sized records with the suite's AEAD through NSS's PKCS #11 layer
 * (PK11_Encrypt / PK11_Decrypt). Defined in nss_aead.c. */
#ifndef TH_NSS_AEAD_H
#define TH_NSS_AEAD_H

#include "backend.h"

TH_MUST_CHECK int th_nss_aead_cost(uint16_t suite, size_t record_size, double seconds,
                                   double *ns_per_byte, struct th_error *err);

#endif
