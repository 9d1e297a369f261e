/* TLS 1.3 early data (0-RTT) on NSS (nss_early.c): a client that writes its first
 * bytes before the handshake of a resumed connection (NSS sends them as early data
 * when the session allows it), and a server that reads what arrived as early data
 * inside its handshake step and hands it to the reads that follow. */
#ifndef TH_NSS_EARLY_H
#define TH_NSS_EARLY_H

#include <prio.h>
#include <sslexp.h>

#include "backend.h"

/* Server: cfg->early_data on the model socket. off: NSS's default (tickets allow no
 * early data). accept: 0-RTT on and an anti-replay context, without which NSS takes
 * no early data. reject: 0-RTT on (tickets allow it) and no anti-replay context, so
 * NSS refuses every early data. *ar receives the context to release. 0, or -1. */
TH_MUST_CHECK int th_nss_early_server(PRFileDesc *model, const struct th_tls_config *cfg,
                                      SSLAntiReplayContext **ar, struct th_error *err);

/* The early data a session allows (its resumption token's max_early_data_size);
 * 0 when none or the token does not say. */
unsigned th_nss_early_allowed(const unsigned char *token, unsigned len);

/* Server: what arrived as early data, kept for the reads after the handshake. */
struct th_nss_early {
    unsigned char *buf;
    size_t len, off;
    uint64_t bytes; /* early data received (client: sent) */
};

/* Server, after each handshake step: read what NSS has taken as early data. hs_done
 * points at the flag the handshake callback sets; a read during which it turned on
 * may return data sent after the handshake: kept, not counted as early. */
void th_nss_early_drain(PRFileDesc *fd, struct th_nss_early *e, const int *hs_done);
/* Server, in a read: kept bytes first. 1 with *done > 0, 0 when none are left. */
int th_nss_early_take(struct th_nss_early *e, void *buf, size_t len, size_t *done);
void th_nss_early_free(struct th_nss_early *e);

#endif
