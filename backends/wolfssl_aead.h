/* The wolfSSL backend's aead_cost op (wolfssl_aead.c): a suite's AEAD through
 * wolfCrypt (wc_AesGcm*, wc_AesCcm*, wc_ChaCha20Poly1305_*), no TLS. */
#ifndef TH_WOLFSSL_AEAD_H
#define TH_WOLFSSL_AEAD_H

#include "backend.h"

TH_MUST_CHECK int th_wolfssl_aead_cost(uint16_t suite, size_t record_size, double seconds,
                                       double *ns_per_byte, struct th_error *err);

#endif
