/* The GnuTLS 3.7 backend: client and server roles, with driver-owned I/O through
 * GnuTLS's push/pull transport functions. Configuration arrives in IANA terms and is
 * translated into one priority string per context (gnutls_prio.c); native errors are
 * mapped to the shared outcome vocabulary (gnutls_map.c), keeping GnuTLS's own code
 * and text beside them. The aead_cost op is gnutls_aead.c; OCSP stapling and the
 * client's check of the server's certificate are gnutls_ocsp.c; resumed sessions and
 * TLS 1.3 early data gnutls_early.c.
 *
 * The only process-wide state is the IANA id -> GnuTLS algorithms table
 * (gnutls_map.c), built once under pthread_once: TCP cases run the server role in
 * another thread. Each server context keeps its own ticket key and session-id cache
 * (the cache behind a mutex for the same reason). */
#include "backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "harness/vocab/util.h"
#include "gnutls_aead.h"
#include "gnutls_auth.h"
#include "gnutls_early.h"
#include "gnutls_map.h"
#include "gnutls_ocsp.h"
#include "gnutls_prio.h"

/* ---- objects ---- */

/* The server's session-id cache: a few slots, oldest replaced first. */
#define CACHE_SLOTS 32
struct cache_entry {
    unsigned char *key, *data;
    size_t key_len, data_len;
};

struct th_ctx {
    enum th_role role;
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    int verify;
    char *hostname;
    char *sni;
    unsigned init_flags; /* extra gnutls_init flags */
    unsigned versions;   /* TH_VBIT set actually enabled */
    gnutls_datum_t alpn[TH_MAX_ALPN];
    size_t n_alpn;
    struct th_gnutls_own own; /* client: what it presents when asked (gnutls_auth.c) */
    enum th_ocsp_mode ocsp;   /* client: ask for / require a staple (gnutls_ocsp.c) */
    /* server */
    enum th_client_auth client_auth;
    int tickets;
    gnutls_datum_t ticket_key; /* shared by every session of this context */
    int session_cache;
    pthread_mutex_t lock; /* the cache: the server may run in its own thread */
    struct cache_entry cache[CACHE_SLOTS];
    size_t cache_next;
    struct th_gnutls_early *early; /* either role; NULL: no early data */
};

struct th_conn {
    struct th_gnutls_early_conn ec; /* first: gnutls_early.c's hooks reach it this way */
    gnutls_session_t s;
    struct th_ctx *ctx;
    struct th_io io;
    int io_failed;          /* the transport said TH_IO_FAIL */
    int failed;             /* a step failed: the connection is dead */
    int done;               /* the handshake completed */
    int pull_again;         /* the last pull found the transport empty */
    unsigned peer_versions; /* server: TH_VBIT set the ClientHello offers; 0 unseen */
    unsigned status;        /* our check's status bits, either role (GnuTLS keeps none) */
};

/* ---- transport: records move only through the driver's struct th_io ---- */

static ssize_t io_push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
    struct th_conn *c = p;
    ssize_t n = c->io.send(c->io.ctx, buf, len);
    if (n >= 0)
        return n;
    if (n != TH_IO_AGAIN)
        c->io_failed = 1;
    gnutls_transport_set_errno(c->s, n == TH_IO_AGAIN ? EAGAIN : ECONNRESET);
    return -1;
}

static ssize_t io_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
    struct th_conn *c = p;
    ssize_t n = c->io.recv(c->io.ctx, buf, len);
    if (n >= 0)
        return n; /* 0: end of stream */
    if (n != TH_IO_AGAIN)
        c->io_failed = 1;
    c->pull_again = 1;
    gnutls_transport_set_errno(c->s, n == TH_IO_AGAIN ? EAGAIN : ECONNRESET);
    return -1;
}

/* ---- errors ---- */

static int fail_ctx(struct th_error *err, int ret, const char *what)
{
    th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: %s", what, gnutls_strerror(ret));
    return -1;
}

static int fail_anchor(struct th_error *err, int ret, const char *file)
{
    if (ret == GNUTLS_E_FILE_ERROR)
        return fail_ctx(err, ret, file);
    th_error_set(err, TH_ANCHOR_UNUSABLE, ret, "%s: %s", file, gnutls_strerror(ret));
    return -1;
}

/* The status bits read with the chain as the peer sent it and our trust anchors
 * (gnutls_map.c). */
static enum th_outcome status_outcome(struct th_conn *c, unsigned st)
{
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(c->s, &n);
    gnutls_x509_trust_list_t anchors = NULL;
    gnutls_certificate_get_trust_list(c->ctx->cred, &anchors);
    return th_gnutls_chain_outcome(st, certs, certs ? n : 0, anchors);
}

/* The handshake stopped on our own certificate check: code is the status bitmask,
 * or GnuTLS's error code when no bit is set. */
static void verify_failure(struct th_conn *c, int ret, struct th_error *err)
{
    unsigned st = c->status;
    gnutls_datum_t out = {NULL, 0};
    if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0) < 0)
        out.data = NULL;
    /* no bit: the check could not run (a chain GnuTLS cannot parse); its code says why */
    enum th_outcome o = st ? status_outcome(c, st) : th_gnutls_error_outcome(ret);
    th_error_set(err, o, st ? (long)st : ret, "%s: %s", gnutls_strerror(ret),
                 out.data ? (const char *)out.data : "no status text");
    gnutls_free(out.data);
}

/* GnuTLS 3.7's server does not tell a version mismatch from a suite mismatch: it
 * falls back to the ClientHello's legacy version, finds no suite for it and says
 * GNUTLS_E_NO_CIPHER_SUITES (alert handshake_failure). What the ClientHello
 * offered, recorded by hello_hook, tells the two apart. */
static int version_mismatch(const struct th_conn *c)
{
    return c->ctx->role == TH_ROLE_SERVER && c->peer_versions &&
           !(c->peer_versions & c->ctx->versions);
}

/* "1.2 1.3" */
static void versions_text(unsigned set, char *out, size_t cap)
{
    out[0] = '\0';
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (set & TH_VBIT(v)) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "%s%s", n ? " " : "", th_version_name(v));
        }
}

static void map_failure(struct th_conn *c, int ret, struct th_error *err)
{
    if (version_mismatch(c) && ret != GNUTLS_E_FATAL_ALERT_RECEIVED) {
        char peer[32], ours[32];
        versions_text(c->peer_versions, peer, sizeof(peer));
        versions_text(c->ctx->versions, ours, sizeof(ours));
        th_error_set(err, TH_PROTOCOL_VERSION, ret,
                     "%s (no version in common: the client offers %s, we allow %s)",
                     gnutls_strerror(ret), peer, ours);
    } else if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ||
               ret == GNUTLS_E_CERTIFICATE_ERROR) {
        verify_failure(c, ret, err);
    } else if (ret == GNUTLS_E_WARNING_ALERT_RECEIVED || ret == GNUTLS_E_FATAL_ALERT_RECEIVED) {
        gnutls_alert_description_t a = gnutls_alert_get(c->s);
        const char *name = gnutls_alert_get_name(a);
        th_error_set(err, th_outcome_from_alert((int)a), ret, "%s: %s (%d)", gnutls_strerror(ret),
                     name ? name : "unknown alert", (int)a);
    } else if (c->io_failed) {
        th_error_set(err, TH_IO_ERROR, ret, "transport error: %s", gnutls_strerror(ret));
    } else {
        enum th_outcome o = c->ctx->role == TH_ROLE_SERVER ? th_gnutls_server_outcome(ret)
                                                           : th_gnutls_error_outcome(ret);
        th_error_set(err, o, ret, "%s", gnutls_strerror(ret));
    }
}

/* Tell the peer why we stop, as a library that owns its socket would: GnuTLS leaves
 * the alert to the caller. Best effort - the transport may not take it now. */
static void send_alert(struct th_conn *c, int ret, enum th_outcome o)
{
    int alert;
    if (c->io_failed || ret == GNUTLS_E_FATAL_ALERT_RECEIVED ||
        ret == GNUTLS_E_WARNING_ALERT_RECEIVED || ret == GNUTLS_E_PREMATURE_TERMINATION ||
        ret == GNUTLS_E_PUSH_ERROR || ret == GNUTLS_E_PULL_ERROR)
        return;
    if (version_mismatch(c))
        (void)gnutls_alert_send(c->s, GNUTLS_AL_FATAL, GNUTLS_A_PROTOCOL_VERSION);
    else if (ret == GNUTLS_E_KEY_USAGE_VIOLATION) /* GnuTLS would say internal_error */
        (void)gnutls_alert_send(c->s, GNUTLS_AL_FATAL, GNUTLS_A_UNSUPPORTED_CERTIFICATE);
    else if (c->ctx->role == TH_ROLE_SERVER && (alert = th_gnutls_refusal_alert(c->s, ret, o)) >= 0)
        (void)gnutls_alert_send(c->s, GNUTLS_AL_FATAL, (gnutls_alert_description_t)alert);
    else if (c->ctx->role == TH_ROLE_CLIENT &&
             (alert = th_gnutls_ocsp_alert(c->s, c->status, o)) >= 0)
        (void)gnutls_alert_send(c->s, GNUTLS_AL_FATAL, (gnutls_alert_description_t)alert);
    else
        (void)gnutls_alert_send_appropriate(c->s, ret);
}

static enum th_step step_result(struct th_conn *c, int ret, struct th_error *err)
{
    if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
        return gnutls_record_get_direction(c->s) ? TH_STEP_WANT_WRITE : TH_STEP_WANT_READ;
    c->failed = 1;
    map_failure(c, ret, err);
    send_alert(c, ret, err->outcome);
    return TH_STEP_FAILED;
}

/* ---- the server's session-id cache (TLS 1.2 and earlier) ---- */

static int db_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data)
{
    struct th_ctx *t = ptr;
    pthread_mutex_lock(&t->lock);
    struct cache_entry *e = &t->cache[t->cache_next];
    t->cache_next = (t->cache_next + 1) % CACHE_SLOTS;
    free(e->key);
    free(e->data);
    e->key = th_xmalloc(key.size ? key.size : 1);
    e->data = th_xmalloc(data.size ? data.size : 1);
    memcpy(e->key, key.data, key.size);
    memcpy(e->data, data.data, data.size);
    e->key_len = key.size;
    e->data_len = data.size;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

static struct cache_entry *db_find(struct th_ctx *t, gnutls_datum_t key)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (t->cache[i].key && t->cache[i].key_len == key.size &&
            memcmp(t->cache[i].key, key.data, key.size) == 0)
            return &t->cache[i];
    return NULL;
}

/* GnuTLS frees what this returns with gnutls_free. */
static gnutls_datum_t db_retrieve(void *ptr, gnutls_datum_t key)
{
    struct th_ctx *t = ptr;
    gnutls_datum_t out = {NULL, 0};
    pthread_mutex_lock(&t->lock);
    struct cache_entry *e = db_find(t, key);
    if (e && (out.data = gnutls_malloc(e->data_len)) != NULL) {
        memcpy(out.data, e->data, e->data_len);
        out.size = (unsigned)e->data_len;
    }
    pthread_mutex_unlock(&t->lock);
    return out;
}

static int db_remove(void *ptr, gnutls_datum_t key)
{
    struct th_ctx *t = ptr;
    pthread_mutex_lock(&t->lock);
    struct cache_entry *e = db_find(t, key);
    if (e) {
        free(e->key);
        free(e->data);
        memset(e, 0, sizeof(*e));
    }
    pthread_mutex_unlock(&t->lock);
    return e ? 0 : -1;
}

/* ---- what the ClientHello offers ---- */

/* supported_versions (43): a length byte, then two bytes per version. */
static int hello_ext(void *ctx, unsigned tls_id, const unsigned char *data, unsigned size)
{
    struct th_conn *c = ctx;
    th_gnutls_early_hello_ext(c->s, c->ctx->early, &c->ec, tls_id, data, size);
    if (tls_id != 43 || size < 1)
        return 0;
    c->peer_versions = 0;
    for (unsigned i = 1; i + 1 < size && i < 1u + data[0]; i += 2)
        if (data[i] == 3 && data[i + 1] >= 1 && data[i + 1] <= 4)
            c->peer_versions |= TH_VBIT(0x0300 | data[i + 1]);
    return 0;
}

/* Runs before GnuTLS parses the ClientHello: the legacy version says which
 * versions up to 1.2 the client accepts, supported_versions overrides it. */
static int hello_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
                      const gnutls_datum_t *msg)
{
    struct th_conn *c = gnutls_session_get_ptr(s);
    if (!incoming || msg->size < 2 || msg->data[0] != 3)
        return 0;
    unsigned legacy = msg->data[1] < 3 ? msg->data[1] : 3;
    c->peer_versions = 0;
    for (unsigned v = 1; v <= legacy; v++)
        c->peer_versions |= TH_VBIT(0x0300 | v);
    (void)gnutls_ext_raw_parse(c, hello_ext, msg, GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO);
    return 0;
}

/* ---- contexts ---- */

TH_MUST_CHECK static int setup_server(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    if (!cfg->cert_file || !cfg->key_file) {
        TH_FAULT(err, 0, "server needs a certificate and a key");
        return -1;
    }
    int ret = gnutls_certificate_set_x509_key_file2(t->cred, cfg->cert_file, cfg->key_file,
                                                    GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0)
        return fail_ctx(err, ret, cfg->cert_file);
    if (cfg->ocsp_file && th_gnutls_ocsp_staple(t->cred, cfg->ocsp_file, err) != 0)
        return -1;
    /* DHE suites in TLS <= 1.2 with a client that names no RFC 7919 group */
    ret = gnutls_certificate_set_known_dh_params(t->cred, GNUTLS_SEC_PARAM_MEDIUM);
    if (ret < 0)
        return fail_ctx(err, ret, "gnutls_certificate_set_known_dh_params");
    t->client_auth = cfg->client_auth;
    if (th_gnutls_client_ca(t->cred, cfg, err) != 0)
        return -1;
    /* Caching: "ticket" is stateless tickets in 1.2 and 1.3 under one key per
     * context; "session_id" is the classic session-id cache, which exists only up
     * to TLS 1.2 - GnuTLS resumes TLS 1.3 by ticket alone, so for 1.3 a cache
     * without tickets resumes nothing. */
    t->tickets = cfg->tickets;
    t->session_cache = cfg->session_cache;
    if (t->tickets) {
        ret = gnutls_session_ticket_key_generate(&t->ticket_key);
        if (ret < 0)
            return fail_ctx(err, ret, "gnutls_session_ticket_key_generate");
    } else {
        t->init_flags |= GNUTLS_NO_TICKETS;
    }
    return 0;
}

/* The client's chain, whenever the server asks (gnutls_auth.c says why). */
static int give_own(gnutls_session_t s, const gnutls_datum_t *ca_names, int n_names,
                    const gnutls_pk_algorithm_t *algos, int n_algos, gnutls_pcert_st **pcert,
                    unsigned *n, gnutls_privkey_t *key)
{
    struct th_conn *c = gnutls_session_get_ptr(s);
    *pcert = c->ctx->own.pcert;
    *n = c->ctx->own.n;
    *key = c->ctx->own.key;
    return 0;
}

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    int ret;
    /* A file GnuTLS refuses to read anchors or CRLs from is a fact about the library
     * (anchor_unusable), unless the file itself could not be read. */
    if (cfg->ca_file) {
        ret = gnutls_certificate_set_x509_trust_file(t->cred, cfg->ca_file, GNUTLS_X509_FMT_PEM);
        if (ret <= 0)
            return fail_anchor(err, ret ? ret : GNUTLS_E_NO_CERTIFICATE_FOUND, cfg->ca_file);
    }
    /* CRLs join the trust list, which checks them against every certificate of
     * the chain; every CRL in the file counts (the PKI's holds one per CA). */
    if (cfg->crl_file) {
        ret = gnutls_certificate_set_x509_crl_file(t->cred, cfg->crl_file, GNUTLS_X509_FMT_PEM);
        if (ret <= 0)
            return fail_anchor(err, ret ? ret : GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE,
                               cfg->crl_file);
    }
    t->verify = cfg->verify;
    t->ocsp = cfg->ocsp;
    if (th_gnutls_own_load(t->cred, &t->own, cfg, give_own, err) != 0)
        return -1;
    /* Asking for session-id resumption: offer no ticket, so a 1.2 server that
     * would issue one falls back to its cache. */
    if (cfg->resume == TH_RESUME_SESSION_ID)
        t->init_flags |= GNUTLS_NO_TICKETS;
    t->hostname = cfg->hostname ? th_xstrdup(cfg->hostname) : NULL;
    t->sni = cfg->sni ? th_xstrdup(cfg->sni) : NULL;
    return 0;
}

static void gtls_ctx_free(struct th_ctx *t)
{
    if (!t)
        return;
    th_gnutls_own_free(&t->own);
    th_gnutls_early_free(t->early);
    if (t->prio)
        gnutls_priority_deinit(t->prio);
    if (t->cred)
        gnutls_certificate_free_credentials(t->cred);
    if (t->ticket_key.data) {
        gnutls_memset(t->ticket_key.data, 0, t->ticket_key.size);
        gnutls_free(t->ticket_key.data);
    }
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(t->cache[i].key);
        free(t->cache[i].data);
    }
    for (size_t i = 0; i < t->n_alpn; i++)
        free(t->alpn[i].data);
    pthread_mutex_destroy(&t->lock);
    free(t->hostname);
    free(t->sni);
    free(t);
}

TH_MUST_CHECK static int gtls_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out,
                                      struct th_error *err)
{
    *out = NULL;
    struct th_ctx *t = th_xcalloc(1, sizeof(*t));
    t->role = cfg->role;
    pthread_mutex_init(&t->lock, NULL);
    for (size_t i = 0; i < cfg->n_alpn && i < TH_MAX_ALPN; i++) {
        t->alpn[i].data = (unsigned char *)th_xstrdup(cfg->alpn[i]);
        t->alpn[i].size = (unsigned)strlen(cfg->alpn[i]);
        t->n_alpn++;
    }
    int ret = gnutls_certificate_allocate_credentials(&t->cred);
    if (ret < 0) {
        t->cred = NULL;
        fail_ctx(err, ret, "gnutls_certificate_allocate_credentials");
    } else if (th_gnutls_priority(cfg, &t->prio, &t->versions, err) == 0 &&
               (cfg->role == TH_ROLE_SERVER ? setup_server(t, cfg, err)
                                            : setup_client(t, cfg, err)) == 0 &&
               th_gnutls_early_new(cfg, &t->early, err) == 0) {
        *out = t;
        return 0;
    }
    gtls_ctx_free(t);
    return -1;
}

/* ---- connections ---- */

/* The check runs inside the handshake (gnutls_ocsp.c), which then fails with
 * GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR; verify 0 skips the chain. */
static int check_server(gnutls_session_t s)
{
    struct th_conn *c = gnutls_session_get_ptr(s);
    return th_gnutls_check_server(s, c->ctx->hostname, c->ctx->verify, c->ctx->ocsp, &c->status);
}

TH_MUST_CHECK static int setup_client_conn(struct th_conn *c, struct th_session *resume_from,
                                           struct th_error *err)
{
    const char *sni = c->ctx->sni;
    int ret = 0;
    if (sni)
        ret = gnutls_server_name_set(c->s, GNUTLS_NAME_DNS, sni, strlen(sni));
    if (ret < 0)
        return fail_ctx(err, ret, "gnutls_server_name_set");
    if (c->ctx->verify || c->ctx->ocsp == TH_OCSP_REQUIRE)
        gnutls_session_set_verify_function(c->s, check_server);
    if (th_gnutls_ocsp_ask(c->s, c->ctx->ocsp, err) != 0)
        return -1;
    if (resume_from) {
        ret = gnutls_session_set_data(c->s, resume_from->data.data, resume_from->data.size);
        if (ret < 0)
            return fail_ctx(err, ret, "gnutls_session_set_data");
    }
    return 0;
}

static int check_client(gnutls_session_t s)
{
    struct th_conn *c = gnutls_session_get_ptr(s);
    return th_gnutls_check_client(s, c->ctx->client_auth == TH_CLIENT_AUTH_REQUIRE, &c->status);
}

TH_MUST_CHECK static int setup_server_conn(struct th_conn *c, struct th_error *err)
{
    struct th_ctx *t = c->ctx;
    if (t->tickets) {
        int ret = gnutls_session_ticket_enable_server(c->s, &t->ticket_key);
        if (ret < 0)
            return fail_ctx(err, ret, "gnutls_session_ticket_enable_server");
    }
    gnutls_handshake_set_hook_function(c->s, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE,
                                       hello_hook);
    if (t->client_auth != TH_CLIENT_AUTH_NONE) {
        gnutls_certificate_server_set_request(c->s, t->client_auth == TH_CLIENT_AUTH_REQUIRE
                                                        ? GNUTLS_CERT_REQUIRE
                                                        : GNUTLS_CERT_REQUEST);
        gnutls_session_set_verify_function(c->s, check_client);
    }
    if (t->session_cache) {
        gnutls_db_set_ptr(c->s, t);
        gnutls_db_set_store_function(c->s, db_store);
        gnutls_db_set_retrieve_function(c->s, db_retrieve);
        gnutls_db_set_remove_function(c->s, db_remove);
    }
    return 0;
}

/* Session-wide settings of either role: priorities, credentials, ALPN, transport. */
TH_MUST_CHECK static int setup_conn(struct th_conn *c, struct th_error *err)
{
    struct th_ctx *t = c->ctx;
    int ret = gnutls_priority_set(c->s, t->prio);
    if (ret < 0)
        return fail_ctx(err, ret, "gnutls_priority_set");
    ret = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, t->cred);
    if (ret < 0)
        return fail_ctx(err, ret, "gnutls_credentials_set");
    /* The server picks the first of its own protocols the client offered; without
     * GNUTLS_ALPN_MANDATORY no overlap means no ALPN, not a failed handshake. */
    if (t->n_alpn) {
        ret = gnutls_alpn_set_protocols(c->s, t->alpn, (unsigned)t->n_alpn,
                                        t->role == TH_ROLE_SERVER ? GNUTLS_ALPN_SERVER_PRECEDENCE
                                                                  : 0);
        if (ret < 0)
            return fail_ctx(err, ret, "gnutls_alpn_set_protocols");
    }
    gnutls_session_set_ptr(c->s, c); /* for the callbacks of either role */
    gnutls_transport_set_ptr(c->s, c);
    gnutls_transport_set_push_function(c->s, io_push);
    gnutls_transport_set_pull_function(c->s, io_pull);
    gnutls_handshake_set_timeout(c->s, 0); /* the driver owns time */
    return 0;
}

static void gtls_conn_free(struct th_conn *c)
{
    if (!c)
        return;
    gnutls_deinit(c->s);
    th_gnutls_early_conn_free(&c->ec);
    free(c);
}

TH_MUST_CHECK static int gtls_conn_new(struct th_ctx *ctx, const struct th_io *io,
                                       struct th_session *resume_from, struct th_conn **out,
                                       struct th_error *err)
{
    *out = NULL;
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->io = *io;
    unsigned flags = (ctx->role == TH_ROLE_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT) |
                     ctx->init_flags | th_gnutls_early_flags(ctx->early, resume_from, &c->ec);
    int ret = gnutls_init(&c->s, flags);
    if (ret < 0) {
        free(c);
        return fail_ctx(err, ret, "gnutls_init");
    }
    if (setup_conn(c, err) != 0 ||
        (ctx->role == TH_ROLE_SERVER ? setup_server_conn(c, err)
                                     : setup_client_conn(c, resume_from, err)) != 0 ||
        th_gnutls_early_conn(c->s, ctx->early, &c->ec, err) != 0) {
        gtls_conn_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static enum th_step gtls_handshake(struct th_conn *c, struct th_error *err)
{
    if (c->done)
        return TH_STEP_DONE;
    int ret;
    /* A warning-level unrecognized_name is advice, not a refusal. */
    do {
        ret = gnutls_handshake(c->s);
    } while (ret == GNUTLS_E_WARNING_ALERT_RECEIVED &&
             gnutls_alert_get(c->s) == GNUTLS_A_UNRECOGNIZED_NAME);
    if (ret == 0) {
        c->done = 1;
        th_gnutls_early_done(c->s, &c->ec); /* a server keeps what came early for ->read */
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

static enum th_step gtls_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                               struct th_error *err)
{
    *done = 0;
    if (len == 0) /* GnuTLS says GNUTLS_E_INVALID_REQUEST to an empty TLS 1.3 write */
        return TH_STEP_DONE;
    /* After GNUTLS_E_AGAIN the driver calls again with the same data, as GnuTLS
     * requires; a return below len is a partial write (one record). */
    ssize_t ret = gnutls_record_send(c->s, buf, len);
    if (ret >= 0) {
        *done = (size_t)ret;
        return TH_STEP_DONE;
    }
    return step_result(c, (int)ret, err);
}

static enum th_step gtls_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                              struct th_error *err)
{
    *done = 0;
    if (th_gnutls_early_take(&c->ec, buf, len, done))
        return TH_STEP_DONE;
    ssize_t ret;
    /* A record holding only a post-handshake message (a TLS 1.3 ticket) makes
     * GnuTLS return GNUTLS_E_AGAIN though more may wait in the transport: read on
     * until the transport itself is empty, or the driver would wait for nothing. */
    do {
        c->pull_again = 0;
        ret = gnutls_record_recv(c->s, buf, len);
    } while (ret == GNUTLS_E_AGAIN && !c->pull_again && !gnutls_record_get_direction(c->s));
    if (ret > 0) {
        *done = (size_t)ret;
        return TH_STEP_DONE;
    }
    if (ret == 0)
        return TH_STEP_CLOSED; /* close_notify */
    return step_result(c, (int)ret, err);
}

static enum th_step gtls_shutdown(struct th_conn *c, struct th_error *err)
{
    /* SHUT_WR: our close_notify is enough; the peer's is read by ->read. */
    int ret = gnutls_bye(c->s, GNUTLS_SHUT_WR);
    return ret == 0 ? TH_STEP_DONE : step_result(c, ret, err);
}

static void gtls_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    if (c->done) {
        th_gnutls_negotiated(c->s, out);
        th_gnutls_early_seen(c->s, &c->ec, out);
    }
    th_gnutls_client_cert_seen(c->s, c->ctx->role,
                               c->done && c->ctx->client_auth != TH_CLIENT_AUTH_NONE, out);
    if (c->ctx->role == TH_ROLE_CLIENT) /* also after a failed handshake */
        out->ocsp = th_gnutls_ocsp_seen(c->s, c->status);
}

/* Only a completed connection has a session (gnutls_early.c). */
static struct th_session *gtls_session_get(struct th_conn *c)
{
    return c->done && !c->failed ? th_gnutls_session_get(c->s, &c->ec) : NULL;
}

/* ---- KeyUpdate (TLS 1.3) ---- */

/* gnutls_session_key_update sends the KeyUpdate at once (it is a handshake message
 * under the old keys) and then switches our sending keys; GNUTLS_KU_PEER sets
 * update_requested, and GnuTLS's peer answers with its own KeyUpdate in front of
 * its next write. Like gnutls_record_send it may stop with GNUTLS_E_AGAIN, the
 * message half in the transport: GnuTLS keeps that state, so on TH_STEP_WANT_*
 * the driver must call key_update again - before any write - until DONE. Only
 * then have our keys changed.
 * FINDING: a GnuTLS 3.7.9 peer takes at most 8 KeyUpdates per 1000 ms and fails
 * the 9th with GNUTLS_E_TOO_MANY_HANDSHAKE_PACKETS (handshake_failure here). */
static enum th_step gtls_key_update(struct th_conn *c, struct th_error *err)
{
    if (!c->done || c->failed) {
        TH_FAULT(err, GNUTLS_E_INVALID_REQUEST, "KeyUpdate needs an established connection");
        return TH_STEP_FAILED;
    }
    gnutls_protocol_t v = gnutls_protocol_get_version(c->s);
    if (v != GNUTLS_TLS1_3) {
        const char *name = gnutls_protocol_get_name(v);
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                     "KeyUpdate exists only in TLS 1.3; this connection runs %s",
                     name ? name : "an unknown version");
        return TH_STEP_FAILED; /* the connection itself is still good */
    }
    int ret = gnutls_session_key_update(c->s, GNUTLS_KU_PEER);
    return ret == 0 ? TH_STEP_DONE : step_result(c, ret, err);
}

/* ---- inspection: what the peer presented ---- */

TH_MUST_CHECK static int gtls_peer_info(struct th_conn *c, struct th_peer_info *out)
{
    if (!c->done) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return th_gnutls_peer_info(c->s, out);
}

/* ---- identity ---- */

static char version_buf[64];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void fill_version(void)
{
    snprintf(version_buf, sizeof(version_buf), "GnuTLS %s", gnutls_check_version(NULL));
}

static const char *gtls_version(void)
{
    pthread_once(&version_once, fill_version);
    return version_buf;
}

TH_MUST_CHECK static int gtls_init(void)
{
    uint16_t first;
    int have_suites = th_gnutls_suites(&first, 1) == 1; /* the table, before the library */
    return gnutls_global_init() < 0 || !have_suites ? -1 : 0;
}

static void gtls_cleanup(void)
{
    gnutls_global_deinit();
}

static void gtls_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    out->versions = TH_VERSIONS_ALL;
    out->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    out->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                    TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER | TH_CAP_DRIVER_IO |
                    TH_CAP_TRUNCATION | /* GNUTLS_E_PREMATURE_TERMINATION */
                    TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH | TH_CAP_OCSP_REQUEST |
                    TH_CAP_OCSP_REQUIRE | TH_CAP_OCSP_STAPLE | TH_CAP_EARLY_DATA |
                    TH_CAP_ANTI_REPLAY; /* a replay cache of our own: gnutls_early.h */
    uint16_t all[TH_MAX_SUITES * 2];
    size_t n = th_gnutls_suites(all, TH_ARRAY_LEN(all));
    for (size_t i = 0; i < n && out->n_suites < TH_MAX_SUITES; i++)
        if (th_gnutls_suite_usable(all[i]))
            out->suites[out->n_suites++] = all[i];
    out->n_groups = th_gnutls_groups(out->groups, TH_MAX_GROUPS);
    out->defaults_changed[0] =
        "client: the chain check also asks for the serverAuth key purpose "
        "(GNUTLS_KP_TLS_WWW_SERVER), which GnuTLS's plain peer check does not";
    out->defaults_changed[1] =
        "client: presents its certificate whenever the server asks, whatever CA names the "
        "request lists (GnuTLS alone sends only one issued under a listed CA)";
    out->defaults_changed[2] =
        "server: a client certificate must also allow the clientAuth key purpose "
        "(GNUTLS_KP_TLS_WWW_CLIENT), which GnuTLS's plain peer check does not ask";
    out->defaults_changed[3] =
        "client: refusing a staple sends bad_certificate_status_response (RFC 6066), a leaf its "
        "staple says is revoked certificate_revoked; GnuTLS alone sends bad_certificate";
}

const struct th_backend th_backend_gnutls = {
    /* identity */
    .name = "gnutls",
    .library = "GnuTLS",
    .version = gtls_version,
    .caps = gtls_caps,
    /* set-up: the suite table, and GnuTLS's reference-counted global state */
    .init = gtls_init,
    .cleanup = gtls_cleanup,
    /* driver-owned I/O */
    .ctx_new = gtls_ctx_new,
    .ctx_free = gtls_ctx_free,
    .conn_new = gtls_conn_new,
    .handshake = gtls_handshake,
    .write = gtls_write,
    .read = gtls_read,
    .shutdown = gtls_shutdown,
    .negotiated = gtls_negotiated,
    .conn_free = gtls_conn_free,
    /* client resumption */
    .session_get = gtls_session_get,
    .session_free = th_gnutls_session_free,
    /* not a socket-owning backend */
    .fetch = NULL,
    /* data path */
    .key_update = gtls_key_update,
    .early_write = th_gnutls_early_write, /* client, TLS 1.3 */
    .aead_cost = th_gnutls_aead_cost,
    /* inspection */
    .peer_info = gtls_peer_info,
};
