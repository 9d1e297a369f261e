/* The GnuTLS backend's configuration as one priority string: the versions, suites
 * (in order), groups and server precedence of a struct th_tls_config. Defined in
 * gnutls_prio.c. */
#ifndef TH_GNUTLS_PRIO_H
#define TH_GNUTLS_PRIO_H

#include <gnutls/gnutls.h>

#include "backend.h"

/* The priority cache for cfg in *prio (the caller deinits it) and the versions it
 * enables in *versions: cfg's, the top one cut when no listed suite can run on it.
 * -1 with err when a suite or group is unknown, GnuTLS refuses the string, or no
 * priority string enables exactly the listed suites in their order. */
TH_MUST_CHECK int th_gnutls_priority(const struct th_tls_config *cfg, gnutls_priority_t *prio,
                                     unsigned *versions, struct th_error *err);

#endif
