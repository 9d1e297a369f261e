/* The NSS backend's configuration of a model socket from the IANA terms of a
 * struct th_tls_config (nss_conf.c). Each returns 0, or -1 with err. */
#ifndef TH_NSS_CONF_H
#define TH_NSS_CONF_H

#include <prio.h>

#include "backend.h"

/* The version range (NSS takes one contiguous range). */
TH_MUST_CHECK int th_nss_conf_versions(PRFileDesc *model, const struct th_tls_config *cfg,
                                       struct th_error *err);
/* Exactly the listed suites, in the listed order; none listed: NSS's defaults. */
TH_MUST_CHECK int th_nss_conf_suites(PRFileDesc *model, const struct th_tls_config *cfg,
                                     struct th_error *err);
/* Exactly the listed groups; none listed: NSS's defaults. */
TH_MUST_CHECK int th_nss_conf_groups(PRFileDesc *model, const struct th_tls_config *cfg,
                                     struct th_error *err);
/* The ALPN list as SSL_SetNextProtoNego must be given it, into out (cap bytes). */
TH_MUST_CHECK int th_nss_conf_alpn(const struct th_tls_config *cfg, unsigned char *out, size_t cap,
                                   unsigned *len, struct th_error *err);

#endif
