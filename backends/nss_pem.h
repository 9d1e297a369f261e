/* PEM files into NSS objects, without a database (nss_pem.c): certificates become
 * temporary certificates, private keys (PKCS#8, as the test PKI writes them) are
 * imported into the internal slot as session objects, CRLs go into NSS's CRL
 * cache for as long as a context holds them. */
#ifndef TH_NSS_PEM_H
#define TH_NSS_PEM_H

#include <stddef.h>

#include <cert.h>
#include <keyhi.h>

#include "backend.h"

/* The DER of every PEM object labelled `label` ("CERTIFICATE", "X509 CRL", "PRIVATE
 * KEY") in a file, in file order. */
struct th_nss_ders {
    SECItem *items; /* malloc'd, each items[i].data malloc'd */
    size_t n;
};

/* 0 (n may be 0), or -1 with err (TH_INTERNAL_ERROR) when the file cannot be read. */
TH_MUST_CHECK int th_nss_pem_read(const char *path, const char *label, struct th_nss_ders *out,
                                  struct th_error *err);
void th_nss_ders_free(struct th_nss_ders *d);

/* Trust anchors as a list for cert_pi_trustAnchors. A file whose certificates NSS
 * will not decode is anchor_unusable with NSS's code; an unreadable or empty one an
 * internal error. NULL with err. */
CERTCertList *th_nss_anchors(const char *path, struct th_error *err);

/* The chain as sent (leaf first) as SSL_ConfigServerCert takes it, and the leaf as a
 * certificate. Intermediates stay DER only: as temporary certificates NSS's chain
 * building would find them for every other connection in the process. */
TH_MUST_CHECK int th_nss_own_chain(const char *path, CERTCertificate **leaf,
                                   CERTCertificateList **chain, struct th_error *err);

/* The certificates of a PEM file after its first, as temporary certificates held
 * by the list: an NSS client sends the chain NSS builds from the certificates it
 * knows (CERT_CertChainFromCert), never one it is given. NULL with err. */
CERTCertList *th_nss_chain_rest(const char *path, struct th_error *err);

/* The PKCS#8 key of a PEM file, imported as a session object. NULL with err. */
SECKEYPrivateKey *th_nss_key_load(const char *path, struct th_error *err);

/* Every CRL of a file into NSS's CRL cache (process-wide: counted, so two contexts
 * holding the same CRL share it). *held receives what to release. */
struct th_nss_crls {
    void **held; /* registry entries */
    size_t n;
};
TH_MUST_CHECK int th_nss_crls_load(const char *path, struct th_nss_crls *out, struct th_error *err);
void th_nss_crls_release(struct th_nss_crls *c);

#endif
