/* TLS 1.3 early data on NSS (nss_early.h).
 *
 * NSS's anti-replay context is a Bloom filter of PSK binders over a time window
 * (SSL_CreateAntiReplayContext), which refuses all early data for the first window
 * after it is created unless dated back (th_nss_early_server); it refuses a
 * byte-for-byte copy of a ClientHello,
 * not a new ClientHello resuming the same ticket, so the backend claims no
 * TH_CAP_ANTI_REPLAY. The window also bounds the ticket age NSS accepts early data
 * with: 10 s, as GnuTLS's. */
#include "nss_early.h"

#include <stdlib.h>
#include <string.h>

#include <prerror.h>
#include <ssl.h>

#include "harness/vocab/util.h"
#include "nss_map.h"

#define EARLY_WINDOW (10 * PR_USEC_PER_SEC)
#define EARLY_MAX 16384 /* max_early_data_size in the tickets */

int th_nss_early_server(PRFileDesc *model, const struct th_tls_config *cfg,
                        SSLAntiReplayContext **ar, struct th_error *err)
{
    *ar = NULL;
    if (cfg->early_data == TH_EARLY_SERVER_OFF)
        return 0;
    if (SSL_OptionSet(model, SSL_ENABLE_0RTT_DATA, PR_TRUE) != SECSuccess ||
        SSL_SetMaxEarlyDataSize(model, EARLY_MAX) != SECSuccess) {
        th_nss_error(err, "enabling 0-RTT");
        return -1;
    }
    if (cfg->early_data == TH_EARLY_SERVER_REJECT)
        return 0;
    /* NSS starts a context with its previous filter full, so that nothing is taken
     * in the first window after a restart; dated one window back, the first check
     * rolls that filter away. */
    if (SSL_CreateAntiReplayContext(PR_Now() - EARLY_WINDOW, EARLY_WINDOW, 7, 14, ar) !=
            SECSuccess ||
        SSL_SetAntiReplayContext(model, *ar) != SECSuccess) {
        th_nss_error(err, "SSL_CreateAntiReplayContext");
        return -1;
    }
    return 0;
}

unsigned th_nss_early_allowed(const unsigned char *token, unsigned len)
{
    SSLResumptionTokenInfo info;
    if (!token || SSL_GetResumptionTokenInfo(token, len, &info, sizeof(info)) != SECSuccess)
        return 0;
    unsigned max = info.maxEarlyDataSize;
    (void)SSL_DestroyResumptionTokenInfo(&info);
    return max;
}

void th_nss_early_drain(PRFileDesc *fd, struct th_nss_early *e, const int *hs_done)
{
    unsigned char tmp[16384];
    while (!*hs_done) {
        PRInt32 n = PR_Read(fd, tmp, sizeof(tmp));
        if (n <= 0)
            return; /* WOULD_BLOCK, or a failure the next handshake step reports */
        e->buf = th_xrealloc(e->buf, e->len + (size_t)n);
        memcpy(e->buf + e->len, tmp, (size_t)n);
        e->len += (size_t)n;
        if (!*hs_done)
            e->bytes += (uint64_t)n;
    }
}

int th_nss_early_take(struct th_nss_early *e, void *buf, size_t len, size_t *done)
{
    size_t left = e->len - e->off, n = left < len ? left : len;
    if (n == 0)
        return 0;
    memcpy(buf, e->buf + e->off, n);
    e->off += n;
    *done = n;
    return 1;
}

void th_nss_early_free(struct th_nss_early *e)
{
    free(e->buf);
    memset(e, 0, sizeof(*e));
}
