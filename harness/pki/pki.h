/* The generated test PKI (DESIGN.md: `pki:NAME`). Written with the OpenSSL API into a
 * folder, validity relative to the current time; runs reuse a cached folder and make
 * a new one before it would expire.
 *
 * Files in DIR:
 *   CA.pem          each CA certificate (th_pki_cas)
 *   crl.pem         CRLs of root and intermediate
 *   NAME.pem        the leaf alone
 *   NAME.chain.pem  the chain as a server sends it (leaf, then intermediates)
 *   NAME.key.pem    the leaf's private key
 *   OCSP.der        each OCSP response (th_pki_ocsp), DER as a server staples it
 *   manifest.json   what was made, when, and until when it is good
 * The leaves are th_pki_leaves; scenarios/README.md says what each is. Good server
 * leaves carry SANs DNS:localhost, IP:127.0.0.1, IP:::1. */
#ifndef TH_PKI_H
#define TH_PKI_H

#include <stddef.h>

#include "harness/vocab/util.h"

enum th_pki_use {
    TH_PKI_CA,    /* a trust anchor file: any CA, or a leaf */
    TH_PKI_CRL,   /* crl */
    TH_PKI_CHAIN, /* a leaf's served chain */
    TH_PKI_KEY,   /* a leaf's key */
    TH_PKI_OCSP,  /* a DER OCSP response to staple (th_pki_ocsp) */
};

/* Names of every leaf, NULL-terminated. */
extern const char *const th_pki_leaves[];
/* Names of every OCSP response, NULL-terminated. */
extern const char *const th_pki_ocsp[];
/* Names of every CA certificate (roots, intermediates, the anchors a client may
 * refuse), NULL-terminated. */
extern const char *const th_pki_cas[];

/* Write a fresh PKI into dir (created if needed; replaced atomically as a whole
 * folder, so a concurrent reader never sees half of one). */
int th_pki_generate(const char *dir, struct th_error *err) TH_MUST_CHECK;
/* Reuse dir when its manifest says it is complete and good for at least another
 * day; otherwise generate. */
int th_pki_ensure(const char *dir, struct th_error *err) TH_MUST_CHECK;
/* Path of a `pki:NAME` object for a use, into out. -1 and err when NAME is not one
 * of the PKI's objects or cannot serve that use. */
int th_pki_path(const char *dir, const char *name, enum th_pki_use use, char *out, size_t cap,
                struct th_error *err) TH_MUST_CHECK;
/* True when name (without "pki:") names an object usable for use. */
int th_pki_known(const char *name, enum th_pki_use use);

#endif
