/* TLS 1.3 early data on OpenSSL (openssl_early.h). A client sends with
 * SSL_write_early_data before its handshake; a server reads with SSL_read_early_data
 * until OpenSSL says the early data is over, then finishes the handshake. OpenSSL
 * wants both as the first I/O call on the connection, which is why they sit in the
 * handshake step and not in the backend's read and write. */
#include "openssl_early.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "openssl_map.h"

/* What the tickets of our servers allow: as much as nginx allows (its buffer size),
 * more than any request the harness sends. */
#define EARLY_MAX 16384

/* One connection's early data: kept on its SSL, freed with it. */
struct early {
    unsigned char *buf; /* server: what arrived early, handed to reads */
    size_t len, off, cap;
    uint64_t bytes; /* sent (client) or received (server) as early data */
    int finished;   /* server: SSL_read_early_data said the early data is over */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int early_idx = -1;

static void early_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct early *e = ptr;
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (e)
        free(e->buf);
    free(e);
}

static void init_once(void)
{
    early_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, early_free);
}

/* The connection's record; created when asked to. NULL only when OpenSSL could not
 * make the ex_data index: early data then goes uncounted, never wrong. */
static struct early *early_of(SSL *ssl, int create)
{
    pthread_once(&once, init_once);
    if (early_idx < 0)
        return NULL;
    struct early *e = SSL_get_ex_data(ssl, early_idx);
    if (e || !create)
        return e;
    e = th_xcalloc(1, sizeof(*e));
    if (SSL_set_ex_data(ssl, early_idx, e) != 1) {
        free(e);
        return NULL;
    }
    return e;
}

/* A ticket server never offers to take early data with: reject answers every
 * ClientHello that brings some with "no" (the handshake goes on; the client sends it
 * again after). */
static int allow_none(SSL *ssl, void *arg)
{
    (void)ssl, (void)arg;
    return 0;
}

int th_ossl_early_server(SSL_CTX *ctx, const struct th_tls_config *cfg, struct th_error *err)
{
    if (cfg->early_data == TH_EARLY_SERVER_OFF)
        return 0;
    if (SSL_CTX_set_max_early_data(ctx, EARLY_MAX) != 1 ||
        SSL_CTX_set_recv_max_early_data(ctx, EARLY_MAX) != 1) {
        th_ossl_queued_error(err, "SSL_CTX_set_max_early_data");
        return -1;
    }
    if (cfg->early_data == TH_EARLY_SERVER_REJECT)
        SSL_CTX_set_allow_early_data_cb(ctx, allow_none, NULL);
    /* OpenSSL's protection: a ticket that allows early data names an entry of the
     * server's session cache, removed when it is used, so the same ticket never
     * resumes twice. Without the cache every such ticket would fail to resume. */
    if (!cfg->anti_replay)
        SSL_CTX_set_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    else if (!(SSL_CTX_get_session_cache_mode(ctx) & SSL_SESS_CACHE_SERVER))
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    return 0;
}

int th_ossl_write_ex(SSL *ssl, const void *buf, size_t len, size_t *done)
{
    *done = 0;
    if (!SSL_in_before(ssl))
        return SSL_write_ex(ssl, buf, len, done);
    SSL_SESSION *s = SSL_get0_session(ssl);
    uint32_t max = s ? SSL_SESSION_get_max_early_data(s) : 0;
    if (max == 0)
        return 1; /* the ticket allows none: nothing is offered */
    if (len > max)
        len = max;
    int ret = SSL_write_early_data(ssl, buf, len, done);
    struct early *e = ret == 1 ? early_of(ssl, 1) : NULL;
    if (e)
        e->bytes += *done;
    return ret;
}

/* Server: everything that arrives as early data, until OpenSSL says it is over (or
 * that there was none). 1 when over, else SSL_read_early_data's error return. */
static int read_early(SSL *ssl, struct early *e)
{
    while (!e->finished) {
        if (!e->buf) {
            uint32_t max = SSL_get_recv_max_early_data(ssl);
            e->cap = max ? max : 1;
            e->buf = th_xmalloc(e->cap);
        }
        size_t n = 0;
        /* a full buffer still asks: OpenSSL refuses more than recv_max_early_data,
         * so then only the end can come */
        unsigned char spare;
        int full = e->len == e->cap;
        int r = SSL_read_early_data(ssl, full ? &spare : e->buf + e->len,
                                    full ? 1 : e->cap - e->len, &n);
        if (r == SSL_READ_EARLY_DATA_ERROR)
            return 0;
        if (!full) {
            e->len += n;
            e->bytes += n;
        }
        e->finished = r == SSL_READ_EARLY_DATA_FINISH;
    }
    return 1;
}

int th_ossl_early_handshake(SSL *ssl)
{
    if (SSL_is_server(ssl) && SSL_get_max_early_data(ssl) > 0) {
        struct early *e = early_of(ssl, 1);
        int r = e ? read_early(ssl, e) : 1;
        if (r != 1)
            return r;
    }
    return SSL_do_handshake(ssl);
}

int th_ossl_early_take(SSL *ssl, void *buf, size_t len, size_t *done)
{
    struct early *e = early_of(ssl, 0);
    if (!e || e->off == e->len)
        return 0;
    size_t n = e->len - e->off < len ? e->len - e->off : len;
    memcpy(buf, e->buf + e->off, n);
    e->off += n;
    *done = n;
    return 1;
}

void th_ossl_early_state(SSL *ssl, struct th_negotiated *out)
{
    int st = SSL_get_early_data_status(ssl);
    struct early *e = early_of(ssl, 0);
    out->early_offered = st != SSL_EARLY_DATA_NOT_SENT;
    out->early_accepted = st == SSL_EARLY_DATA_ACCEPTED;
    out->early_bytes = e ? e->bytes : 0;
}
