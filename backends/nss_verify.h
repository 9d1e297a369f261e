/* The check of a peer's certificate (nss_verify.c). Without a database NSS has no
 * trust anchors of its own, so its SSL_AuthCertificate cannot be used: the
 * backend's auth hook runs CERT_PKIXVerifyCert with the context's anchors
 * (cert_pi_trustAnchors), its CRLs, and CERT_VerifyCertName for the name. */
#ifndef TH_NSS_VERIFY_H
#define TH_NSS_VERIFY_H

#include <cert.h>
#include <prerror.h>
#include <prio.h>

#include "backend.h"

/* What to check (a context's, read by every connection). */
struct th_nss_check {
    CERTCertList *anchors;     /* NULL: none */
    int crl;                   /* the leaf is checked against the cached CRLs */
    const char *hostname;      /* NULL: no name check */
    SECCertificateUsage usage; /* certificateUsageSSLServer or certificateUsageSSLClient */
};

/* A refusal: NSS's code (SEC_ERROR_*, SSL_ERROR_BAD_CERT_DOMAIN), its outcome and
 * words, with the depth it was found at and the chain as sent. */
struct th_nss_verdict {
    int checked;      /* the check ran */
    PRErrorCode code; /* 0: accepted */
    enum th_outcome outcome;
    char text[400];
};

/* Check the peer certificate of fd. SECSuccess when it verifies; SECFailure with the
 * verdict filled and NSS's error set to its code (NSS then sends the alert for it). */
SECStatus th_nss_check_peer(const struct th_nss_check *chk, PRFileDesc *fd,
                            struct th_nss_verdict *out);

#endif
