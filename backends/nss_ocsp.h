/* Stapled OCSP responses on an NSS client (nss_ocsp.c): NSS asks for a staple
 * (SSL_ENABLE_OCSP_STAPLING) and hands it to the auth hook; its own OCSP code judges
 * it (CERT_CacheOCSPResponseFromSideChannel). */
#ifndef TH_NSS_OCSP_H
#define TH_NSS_OCSP_H

#include <cert.h>
#include <prio.h>

#include "backend.h"
#include "nss_verify.h"

/* The staple of fd's peer for `leaf`, judged by NSS with `anchors` trusted for the
 * check. *seen: what came; SECFailure with v filled (and NSS's error set) when the
 * mode refuses it: a missing one under require, one NSS refuses, a revoked one. */
SECStatus th_nss_ocsp_check(PRFileDesc *fd, CERTCertificate *leaf, CERTCertList *anchors,
                            enum th_ocsp_mode mode, enum th_staple *seen, struct th_nss_verdict *v);

#endif
