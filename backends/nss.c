/* The NSS 3.87 backend: client and server roles, with driver-owned I/O through an
 * NSPR layer of our own under NSS's SSL layer (nss_io.c). Configuration arrives in
 * IANA terms (NSS's suite and group values are IANA's); native errors (NSPR error
 * codes, SEC_ERROR_* and SSL_ERROR_*) are mapped to the shared outcomes in
 * nss_map.c, keeping NSS's own name and text. The aead_cost op is nss_aead.c.
 *
 * NSS runs without a database: certificates and keys come from the harness's PEM
 * files (nss_pem.c), and the peer's certificate is checked by the backend's auth
 * hook against the context's own anchors (nss_verify.c). Each context configures a
 * model socket; every connection is imported from it (SSL_ImportFD), then gets its
 * per-connection hooks. Sessions travel as NSS resumption tokens
 * (SSL_SetResumptionTokenCallback / SSL_SetResumptionToken); only a TLS 1.2 session
 * ID, for which NSS hands out no token, goes through NSS's process-wide client cache
 * (set_session). OCSP staples: nss_ocsp.c; early data: nss_early.c. */
#include "backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keyhi.h>
#include <nss.h>
#include <prerror.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslexp.h>
#include <sslproto.h>

#include "harness/vocab/util.h"
#include "nss_aead.h"
#include "nss_conf.h"
#include "nss_early.h"
#include "nss_io.h"
#include "nss_map.h"
#include "nss_ocsp.h"
#include "nss_pem.h"
#include "nss_verify.h"

/* ---- objects ---- */

struct th_ctx {
    enum th_role role;
    PRFileDesc *model; /* the configured socket every connection is imported from */
    struct th_nss_io model_io;
    CERTCertificate *leaf; /* own certificate: a server's always, a client's if given */
    CERTCertificateList *chain;
    CERTCertList *chain_rest; /* client: its intermediates, known to NSS while held */
    SECKEYPrivateKey *key;
    struct th_nss_check check; /* the peer's certificate: client always, server when asked */
    struct th_nss_crls crls;
    int verify;                      /* client: refuse what the check refuses */
    int by_cache;                    /* client: sessions through NSS's cache, not tokens */
    enum th_ocsp_mode ocsp;          /* client: ask for / require a staple */
    enum th_client_auth client_auth; /* server */
    unsigned char alpn[256];         /* wire format, for SSL_SetNextProtoNego */
    unsigned alpn_len;
    char *hostname;
    char *sni;
    struct th_error cert_refused;      /* server: why NSS took no certificate, "" if it did */
    SECItem staple;                    /* server: the OCSP response it staples (DER) */
    SSLAntiReplayContext *anti_replay; /* server taking early data */
    int early;                         /* server: 0-RTT on; client: may send early data */
};

struct th_conn {
    struct th_ctx *ctx;
    PRFileDesc *fd;
    struct th_nss_io io;
    int hs_done;
    int failed; /* a step failed: the connection is dead, err keeps why */
    struct th_error err;
    int alert_in;     /* description of the last alert received, -1: none */
    int close_notify; /* the peer's close_notify arrived */
    struct th_nss_verdict verdict;
    int cert_requested;    /* client: the server asked for a certificate */
    int cert_sent;         /* client: and it had one to send */
    enum th_staple staple; /* client: the stapled OCSP response as judged */
    unsigned char *token;  /* client: the latest resumption token NSS handed out */
    unsigned token_len;
    char peer_id[48];          /* client, session-id resumption: its key in NSS's cache */
    unsigned early_allowed;    /* client: what the resumed session allows */
    struct th_nss_early early; /* server: kept early data; bytes: both roles */
};

/* A resumption token, or (session-id resumption) the peer id naming the session in
 * NSS's own client cache. */
struct th_session {
    unsigned char *token;
    unsigned len;
    char peer_id[48];
};

/* ---- errors ---- */

/* A set-up failure: NSS's error as an internal error. */
static int fail_ctx(struct th_error *err, const char *what)
{
    th_nss_error(err, what);
    return -1;
}

/* The failure of a step: our own certificate verdict first (NSS passes its code on
 * unchanged), then the transport, then an alert the peer sent, then NSS's code. */
static void map_failure(struct th_conn *c, PRErrorCode code, struct th_error *err)
{
    if (c->verdict.outcome != TH_OK) { /* code 0: a refusal that is the backend's own */
        th_error_set(err, c->verdict.outcome, (long)c->verdict.code, "%s", c->verdict.text);
        return;
    }
    if (c->io.failed) {
        th_nss_error_code(err, TH_IO_ERROR, code, "transport error");
        return;
    }
    enum th_outcome o = th_nss_outcome(code, c->alert_in);
    if (c->alert_in >= 0) {
        char what[48];
        snprintf(what, sizeof(what), "alert %d received", c->alert_in);
        th_nss_error_code(err, o, code, what);
    } else {
        th_nss_error_code(err, o, code, NULL);
    }
}

/* A call that returned -1 / SECFailure: blocked, or dead for good. */
static enum th_step step_failed(struct th_conn *c, struct th_error *err)
{
    PRErrorCode code = PR_GetError();
    if (code == PR_WOULD_BLOCK_ERROR && !c->io.failed)
        return c->io.want_write ? TH_STEP_WANT_WRITE : TH_STEP_WANT_READ;
    c->failed = 1;
    map_failure(c, code, &c->err);
    if (c->ctx->cert_refused.text[0])
        th_error_prefix(&c->err, "%s", c->ctx->cert_refused.text);
    if (err)
        *err = c->err;
    return TH_STEP_FAILED;
}

static enum th_step repeat_failure(struct th_conn *c, struct th_error *err)
{
    if (err)
        *err = c->err;
    return TH_STEP_FAILED;
}

/* ---- hooks ---- */

static SECStatus auth_hook(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
    (void)check_sig;
    (void)is_server;
    struct th_conn *c = arg;
    SECStatus rv = th_nss_check_peer(&c->ctx->check, fd, &c->verdict);
    if (rv == SECSuccess && c->ctx->role == TH_ROLE_CLIENT) {
        CERTCertificate *leaf = SSL_PeerCertificate(fd);
        rv = th_nss_ocsp_check(fd, leaf, c->ctx->check.anchors, c->ctx->ocsp, &c->staple,
                               &c->verdict);
        if (leaf)
            CERT_DestroyCertificate(leaf);
    }
    if (rv == SECSuccess || c->ctx->role == TH_ROLE_SERVER || c->ctx->verify)
        return rv;
    c->verdict.code = 0; /* verify off: noted, not refused */
    c->verdict.outcome = TH_OK;
    return SECSuccess;
}

static SECStatus client_auth_hook(void *arg, PRFileDesc *fd, CERTDistNames *ca_names,
                                  CERTCertificate **cert, SECKEYPrivateKey **key)
{
    (void)fd;
    (void)ca_names;
    struct th_conn *c = arg;
    c->cert_requested = 1;
    if (!c->ctx->leaf || !c->ctx->key)
        return SECFailure; /* none to send: NSS goes on without one */
    *cert = CERT_DupCertificate(c->ctx->leaf);
    *key = SECKEY_CopyPrivateKey(c->ctx->key);
    if (!*key) {
        CERT_DestroyCertificate(*cert);
        *cert = NULL;
        return SECFailure;
    }
    c->cert_sent = 1;
    return SECSuccess;
}

static void handshake_done(PRFileDesc *fd, void *arg)
{
    (void)fd;
    ((struct th_conn *)arg)->hs_done = 1;
}

static void alert_received(const PRFileDesc *fd, void *arg, const SSLAlert *alert)
{
    (void)fd;
    struct th_conn *c = arg;
    c->alert_in = alert->description;
    if (alert->description == 0) /* close_notify */
        c->close_notify = 1;
}

/* NSS hands out a token when a session becomes resumable: at the end of a TLS 1.2
 * handshake, with each TLS 1.3 NewSessionTicket. The latest one wins. */
static SECStatus token_cb(PRFileDesc *fd, const PRUint8 *token, unsigned int len, void *arg)
{
    (void)fd;
    struct th_conn *c = arg;
    free(c->token);
    c->token = th_xmalloc(len ? len : 1);
    memcpy(c->token, token, len);
    c->token_len = len;
    return SECSuccess;
}

/* ---- configuration (versions, suites, groups, ALPN: nss_conf.c) ---- */

/* The endpoint's own chain and key: a server's always, a client's when it has one
 * to present (sent only when the server asks, client_auth_hook). */
TH_MUST_CHECK static int load_own_cert(struct th_ctx *t, const struct th_tls_config *cfg,
                                       struct th_error *err)
{
    if (cfg->role == TH_ROLE_CLIENT && !cfg->cert_file && !cfg->key_file)
        return 0;
    if (!cfg->cert_file || !cfg->key_file) {
        TH_FAULT(err, 0, "%s needs a certificate and a key",
                 cfg->role == TH_ROLE_SERVER ? "server" : "a client certificate");
        return -1;
    }
    TH_GUARD(th_nss_own_chain(cfg->cert_file, &t->leaf, &t->chain, err));
    if (cfg->role == TH_ROLE_CLIENT && !(t->chain_rest = th_nss_chain_rest(cfg->cert_file, err)))
        return -1;
    t->key = th_nss_key_load(cfg->key_file, err);
    return t->key ? 0 : -1;
}

TH_MUST_CHECK static int setup_server(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    PRFileDesc *m = t->model;
    TH_GUARD(load_own_cert(t, cfg, err));
    /* NSS refuses a certificate it can authenticate no key exchange with (its key
     * usage allows certificate signing only): the server then has no certificate,
     * so NSS itself finds no suite it can serve in every handshake, as a GnuTLS or
     * mbedTLS server does with such a leaf. The refusal heads each failure's text. */
    SSLExtraServerCertData extra = {.authType = ssl_auth_null, .certChain = t->chain};
    SECItemArray staples = {.items = &t->staple, .len = 1};
    if (cfg->ocsp_file) { /* stapled as it is to a client that asks, never checked */
        size_t len;
        char *der = th_read_file(cfg->ocsp_file, &len);
        if (!der) {
            TH_FAULT(err, 0, "%s: cannot be read", cfg->ocsp_file);
            return -1;
        }
        t->staple = (SECItem){siBuffer, (unsigned char *)der, (unsigned)len};
        extra.stapledOCSPResponses = &staples;
    }
    if (SSL_ConfigServerCert(m, t->leaf, t->key, &extra, sizeof(extra)) != SECSuccess) {
        th_nss_error(&t->cert_refused, "SSL_ConfigServerCert refused the certificate");
        if (PR_GetError() != SEC_ERROR_INVALID_ARGS)
            return fail_ctx(err, "SSL_ConfigServerCert");
    }
    /* DHE suites are off on an NSS server unless asked for. */
    if (SSL_OptionSet(m, SSL_ENABLE_SERVER_DHE, PR_TRUE) != SECSuccess ||
        SSL_OptionSet(m, SSL_ENABLE_SESSION_TICKETS, cfg->tickets ? PR_TRUE : PR_FALSE) !=
            SECSuccess ||
        SSL_OptionSet(m, SSL_NO_CACHE, cfg->session_cache ? PR_FALSE : PR_TRUE) != SECSuccess)
        return fail_ctx(err, "SSL_OptionSet");
    TH_GUARD(th_nss_early_server(m, cfg, &t->anti_replay, err));
    t->early = cfg->early_data != TH_EARLY_SERVER_OFF;
    t->client_auth = cfg->client_auth;
    if (cfg->client_auth == TH_CLIENT_AUTH_NONE)
        return 0;
    if (!cfg->client_ca_file) {
        TH_FAULT(err, 0, "client certificates asked for without client_ca_file");
        return -1;
    }
    if (!(t->check.anchors = th_nss_anchors(cfg->client_ca_file, err)))
        return -1;
    t->check.usage = certificateUsageSSLClient;
    PRBool require = cfg->client_auth == TH_CLIENT_AUTH_REQUIRE;
    if (SSL_OptionSet(m, SSL_REQUEST_CERTIFICATE, PR_TRUE) != SECSuccess ||
        SSL_OptionSet(m, SSL_REQUIRE_CERTIFICATE,
                      require ? SSL_REQUIRE_ALWAYS : SSL_REQUIRE_NEVER) != SECSuccess)
        return fail_ctx(err, "SSL_OptionSet (client certificates)");
    return 0;
}

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    if (cfg->ca_file && !(t->check.anchors = th_nss_anchors(cfg->ca_file, err)))
        return -1;
    if (cfg->crl_file) {
        TH_GUARD(th_nss_crls_load(cfg->crl_file, &t->crls, err));
        t->check.crl = 1;
    }
    t->check.usage = certificateUsageSSLServer;
    t->verify = cfg->verify;
    t->hostname = cfg->hostname ? th_xstrdup(cfg->hostname) : NULL;
    t->check.hostname = t->hostname;
    t->sni = cfg->sni ? th_xstrdup(cfg->sni) : NULL;
    /* Asking for session-id resumption: offer no ticket, so a TLS 1.2 server that
     * would issue one falls back to its cache. */
    PRBool tickets = cfg->resume == TH_RESUME_SESSION_ID ? PR_FALSE : PR_TRUE;
    t->by_cache = !tickets;
    t->ocsp = cfg->ocsp;
    t->early = cfg->early_send;
    if (t->early && SSL_OptionSet(t->model, SSL_ENABLE_0RTT_DATA, PR_TRUE) != SECSuccess)
        return fail_ctx(err, "SSL_OptionSet(SSL_ENABLE_0RTT_DATA)");
    if (SSL_OptionSet(t->model, SSL_ENABLE_SESSION_TICKETS, tickets) != SECSuccess ||
        SSL_OptionSet(t->model, SSL_ENABLE_OCSP_STAPLING, cfg->ocsp != TH_OCSP_OFF) != SECSuccess)
        return fail_ctx(err, "SSL_OptionSet");
    return load_own_cert(t, cfg, err);
}

static void nss_ctx_free(struct th_ctx *t)
{
    if (!t)
        return;
    if (t->model)
        PR_Close(t->model);
    if (t->leaf)
        CERT_DestroyCertificate(t->leaf);
    if (t->chain)
        CERT_DestroyCertificateList(t->chain);
    if (t->chain_rest)
        CERT_DestroyCertList(t->chain_rest);
    if (t->key)
        SECKEY_DestroyPrivateKey(t->key);
    if (t->check.anchors)
        CERT_DestroyCertList(t->check.anchors);
    th_nss_crls_release(&t->crls);
    free(t->staple.data);
    if (t->anti_replay)
        (void)SSL_ReleaseAntiReplayContext(t->anti_replay);
    free(t->hostname);
    free(t->sni);
    free(t);
}

/* The model socket: an SSL layer over an I/O layer that never moves data. */
TH_MUST_CHECK static int model_new(struct th_ctx *t, struct th_error *err)
{
    PRFileDesc *io = th_nss_io_fd(&t->model_io);
    if (!io)
        return fail_ctx(err, "PR_CreateIOLayerStub");
    t->model = SSL_ImportFD(NULL, io);
    if (!t->model) {
        PR_Close(io);
        return fail_ctx(err, "SSL_ImportFD");
    }
    int server = t->role == TH_ROLE_SERVER;
    if (SSL_OptionSet(t->model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
        SSL_OptionSet(t->model, SSL_HANDSHAKE_AS_SERVER, server) != SECSuccess ||
        SSL_OptionSet(t->model, SSL_HANDSHAKE_AS_CLIENT, !server) != SECSuccess)
        return fail_ctx(err, "SSL_OptionSet");
    return 0;
}

TH_MUST_CHECK static int nss_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out,
                                     struct th_error *err)
{
    *out = NULL;
    TH_GUARD(th_nss_init(err));
    if (cfg->n_suites > TH_MAX_SUITES || cfg->n_groups > TH_MAX_GROUPS ||
        cfg->n_alpn > TH_MAX_ALPN) {
        TH_FAULT(err, 0, "configuration lists too long");
        return -1;
    }
    struct th_ctx *t = th_xcalloc(1, sizeof(*t));
    t->role = cfg->role;
    int rc = model_new(t, err);
    if (rc == 0)
        rc = th_nss_conf_versions(t->model, cfg, err);
    if (rc == 0)
        rc = th_nss_conf_suites(t->model, cfg, err);
    if (rc == 0)
        rc = th_nss_conf_groups(t->model, cfg, err);
    if (rc == 0)
        rc = th_nss_conf_alpn(cfg, t->alpn, sizeof(t->alpn), &t->alpn_len, err);
    if (rc == 0)
        rc = cfg->role == TH_ROLE_SERVER ? setup_server(t, cfg, err) : setup_client(t, cfg, err);
    if (rc != 0) {
        nss_ctx_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- connections ---- */

static void nss_conn_free(struct th_conn *c)
{
    if (!c)
        return;
    /* PR_Close sends close_notify on a live connection (ssl_SecureClose): freeing
     * sends nothing here, as for every backend (the driver's transport may be gone). */
    c->io.io.send = NULL;
    c->io.io.recv = NULL;
    if (c->fd)
        PR_Close(c->fd); /* the SSL layer, then ours */
    free(c->token);
    th_nss_early_free(&c->early);
    free(c);
}

/* Hooks carry the connection; NSS copies the model's settings, not these. */
TH_MUST_CHECK static int set_hooks(struct th_conn *c, struct th_error *err)
{
    PRFileDesc *fd = c->fd;
    struct th_ctx *t = c->ctx;
    int checks = t->role == TH_ROLE_CLIENT || t->client_auth != TH_CLIENT_AUTH_NONE;
    if ((checks && SSL_AuthCertificateHook(fd, auth_hook, c) != SECSuccess) ||
        SSL_HandshakeCallback(fd, handshake_done, c) != SECSuccess ||
        SSL_AlertReceivedCallback(fd, alert_received, c) != SECSuccess)
        return fail_ctx(err, "setting the connection's hooks");
    if (t->alpn_len && SSL_SetNextProtoNego(fd, t->alpn, t->alpn_len) != SECSuccess)
        return fail_ctx(err, "SSL_SetNextProtoNego");
    /* SSL_ImportFD does not carry the model's anti-replay context over */
    if (t->anti_replay && SSL_SetAntiReplayContext(fd, t->anti_replay) != SECSuccess)
        return fail_ctx(err, "SSL_SetAntiReplayContext");
    if (t->role == TH_ROLE_SERVER)
        return 0;
    if (SSL_GetClientAuthDataHook(fd, client_auth_hook, c) != SECSuccess ||
        (!t->by_cache && SSL_SetResumptionTokenCallback(fd, token_cb, c) != SECSuccess))
        return fail_ctx(err, "setting the client's hooks");
    /* SSL_SetURL names the server_name sent (NSS sends none for an IP literal); the
     * name checked is the auth hook's. */
    if (t->sni && SSL_SetURL(fd, t->sni) != SECSuccess)
        return fail_ctx(err, "SSL_SetURL");
    return 0;
}

/* NSS hands out resumption tokens only for sessions it can resume by ticket
 * (ssl_CacheExternalToken): a TLS 1.2 session id lives in its process-wide client
 * cache alone, keyed by peer address, port, URL and peer id. Each connection that
 * starts a session gets a peer id of its own, and one resuming it takes that id. */
TH_MUST_CHECK static int set_session(struct th_conn *c, struct th_session *resume_from,
                                     struct th_error *err)
{
    static unsigned long next_id;
    static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
    if (c->ctx->by_cache) {
        if (resume_from && resume_from->peer_id[0]) {
            th_strlcpy(c->peer_id, resume_from->peer_id, sizeof(c->peer_id));
        } else {
            pthread_mutex_lock(&id_lock);
            unsigned long id = ++next_id;
            pthread_mutex_unlock(&id_lock);
            snprintf(c->peer_id, sizeof(c->peer_id), "tlsharness-%lu", id);
        }
        if (SSL_SetSockPeerID(c->fd, c->peer_id) != SECSuccess)
            return fail_ctx(err, "SSL_SetSockPeerID");
        return 0;
    }
    /* A token NSS no longer takes (expired, another version) is a full handshake. */
    if (resume_from && resume_from->token &&
        SSL_SetResumptionToken(c->fd, resume_from->token, resume_from->len) == SECSuccess &&
        c->ctx->early)
        c->early_allowed = th_nss_early_allowed(resume_from->token, resume_from->len);
    return 0;
}

TH_MUST_CHECK static int nss_conn_new(struct th_ctx *ctx, const struct th_io *io,
                                      struct th_session *resume_from, struct th_conn **out,
                                      struct th_error *err)
{
    *out = NULL;
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->io.io = *io;
    c->alert_in = -1;
    PRFileDesc *lower = th_nss_io_fd(&c->io);
    if (!lower) {
        free(c);
        return fail_ctx(err, "PR_CreateIOLayerStub");
    }
    c->fd = SSL_ImportFD(ctx->model, lower);
    if (!c->fd) {
        PR_Close(lower);
        free(c);
        return fail_ctx(err, "SSL_ImportFD");
    }
    if (set_hooks(c, err) != 0 ||
        SSL_ResetHandshake(c->fd, ctx->role == TH_ROLE_SERVER) != SECSuccess) {
        if (!err->text[0])
            th_nss_error(err, "SSL_ResetHandshake");
        nss_conn_free(c);
        return -1;
    }
    if (ctx->role == TH_ROLE_CLIENT && set_session(c, resume_from, err) != 0) {
        nss_conn_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static enum th_step nss_handshake(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    SECStatus rv = SSL_ForceHandshake(c->fd);
    if (rv == SECSuccess)
        c->hs_done = 1;
    else if (PR_GetError() != PR_WOULD_BLOCK_ERROR)
        return step_failed(c, err);
    if (c->ctx->role == TH_ROLE_SERVER && c->ctx->early && !c->hs_done)
        th_nss_early_drain(c->fd, &c->early, &c->hs_done);
    if (c->hs_done)
        return TH_STEP_DONE;
    PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
    return step_failed(c, err);
}

/* Before the first handshake step of a resumed connection, NSS sends what is
 * written as early data (ssl_SecureSend starts the handshake, and with 0-RTT on and
 * a session that allows it, takes the bytes as early data); a session that allows
 * none offers nothing. */
static enum th_step nss_early_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                                    struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    if (!c->early_allowed || len == 0)
        return TH_STEP_DONE;
    size_t n = len < c->early_allowed ? len : c->early_allowed;
    /* The first write only sends the ClientHello (offering early data) and blocks;
     * the next one goes out as early data. */
    PRInt32 w = PR_Write(c->fd, buf, (PRInt32)n);
    if (w < 0 && PR_GetError() == PR_WOULD_BLOCK_ERROR)
        w = PR_Write(c->fd, buf, (PRInt32)n);
    if (w > 0) {
        *done = (size_t)w;
        c->early.bytes += (uint64_t)w;
        return TH_STEP_DONE;
    }
    if (PR_GetError() == PR_WOULD_BLOCK_ERROR)
        return TH_STEP_DONE; /* NSS did not take it as early data: nothing offered */
    return step_failed(c, err);
}

static enum th_step nss_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                              struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    if (len == 0)
        return TH_STEP_DONE;
    PRInt32 n = PR_Write(c->fd, buf, len > (1u << 30) ? (PRInt32)(1u << 30) : (PRInt32)len);
    if (n >= 0) {
        *done = (size_t)n;
        return TH_STEP_DONE;
    }
    return step_failed(c, err);
}

static enum th_step nss_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                             struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    if (len == 0 || th_nss_early_take(&c->early, buf, len, done))
        return TH_STEP_DONE;
    PRInt32 n = PR_Read(c->fd, buf, len > (1u << 30) ? (PRInt32)(1u << 30) : (PRInt32)len);
    if (n > 0) {
        *done = (size_t)n;
        return TH_STEP_DONE;
    }
    if (n == 0 && c->close_notify)
        return TH_STEP_CLOSED;
    if (n == 0) /* NSS reads an end of stream without close_notify as 0 too */
        PR_SetError(PR_END_OF_FILE_ERROR, 0);
    return step_failed(c, err);
}

/* PR_Shutdown of the SSL layer sends close_notify (ssl_SecureShutdown). */
static enum th_step nss_shutdown(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    if (PR_Shutdown(c->fd, PR_SHUTDOWN_SEND) == PR_SUCCESS)
        return TH_STEP_DONE;
    return step_failed(c, err);
}

static void nss_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    if (c->ctx->role == TH_ROLE_CLIENT) {
        out->cert_requested = c->cert_requested;
        out->client_cert = c->cert_sent;
        /* also after a failure, so a refused staple is recorded */
        out->ocsp = c->ctx->ocsp == TH_OCSP_OFF        ? TH_STAPLE_NOT_ASKED
                    : c->staple == TH_STAPLE_NOT_ASKED ? TH_STAPLE_NONE
                                                       : c->staple;
    }
    SSLChannelInfo info;
    if (!c->hs_done || SSL_GetChannelInfo(c->fd, &info, sizeof(info)) != SECSuccess ||
        info.length < sizeof(info))
        return;
    /* client: what it sent and whether the server took it; server: what it took */
    out->early_offered = c->early.bytes > 0;
    out->early_accepted = c->ctx->role == TH_ROLE_CLIENT ? c->early.bytes && info.earlyDataAccepted
                                                         : c->early.bytes > 0;
    out->early_bytes = c->early.bytes;
    out->version = info.protocolVersion;
    out->suite = info.cipherSuite;
    out->resumed = info.resumed;
    /* TLS 1.2 resumption has no key exchange (NSS reports the original's group). */
    int kx = info.keaType != ssl_kea_rsa && !(info.resumed && info.protocolVersion < TH_TLS13);
    /* ssl_grp_none and ssl_grp_ffdhe_custom (DHE parameters of no named group) lie
     * above the IANA range */
    out->group = kx && info.keaGroup <= 0xffff ? (uint16_t)info.keaGroup : 0;
    if (c->ctx->role == TH_ROLE_SERVER && c->ctx->client_auth != TH_CLIENT_AUTH_NONE) {
        CERTCertificate *peer = SSL_PeerCertificate(c->fd);
        out->client_cert = peer != NULL && c->verdict.outcome == TH_OK;
        if (peer)
            CERT_DestroyCertificate(peer);
    }
    SSLNextProtoState st;
    unsigned char proto[256];
    unsigned len = 0;
    if (SSL_GetNextProto(c->fd, &st, proto, &len, sizeof(proto) - 1) == SECSuccess &&
        (st == SSL_NEXT_PROTO_SELECTED || st == SSL_NEXT_PROTO_NEGOTIATED) && len) {
        proto[len] = 0;
        th_strlcpy(out->alpn, (const char *)proto, sizeof(out->alpn));
    }
}

static struct th_session *nss_session_get(struct th_conn *c)
{
    if (!c->hs_done || c->ctx->role != TH_ROLE_CLIENT)
        return NULL;
    SSLChannelInfo info;
    if (c->ctx->by_cache) { /* resumable when the server gave the session an id */
        if (SSL_GetChannelInfo(c->fd, &info, sizeof(info)) != SECSuccess ||
            info.sessionIDLength == 0)
            return NULL;
        struct th_session *s = th_xcalloc(1, sizeof(*s));
        th_strlcpy(s->peer_id, c->peer_id, sizeof(s->peer_id));
        return s;
    }
    if (!c->token)
        return NULL;
    struct th_session *s = th_xcalloc(1, sizeof(*s));
    s->token = th_xmalloc(c->token_len);
    memcpy(s->token, c->token, c->token_len);
    s->len = c->token_len;
    return s;
}

static void nss_session_free(struct th_session *s)
{
    if (!s)
        return;
    free(s->token);
    free(s);
}

/* ---- the data path: KeyUpdate ---- */

/* SSL_KeyUpdate sends the KeyUpdate (update_requested) at once and switches NSS's
 * sending keys; the peer's answer comes with its next write. */
static enum th_step nss_key_update(struct th_conn *c, struct th_error *err)
{
    SSLChannelInfo info;
    if (c->failed)
        return repeat_failure(c, err);
    if (SSL_GetChannelInfo(c->fd, &info, sizeof(info)) != SECSuccess ||
        info.protocolVersion < TH_TLS13) {
        th_error_set(err, TH_INTERNAL_ERROR, info.protocolVersion,
                     "KeyUpdate needs TLS 1.3; this connection runs %s",
                     th_version_name(info.protocolVersion));
        return TH_STEP_FAILED;
    }
    if (SSL_KeyUpdate(c->fd, PR_TRUE) == SECSuccess)
        return TH_STEP_DONE;
    if (PR_GetError() == PR_WOULD_BLOCK_ERROR)
        return TH_STEP_DONE; /* the record waits in NSS's buffer, sent with the next call */
    th_nss_error(err, "SSL_KeyUpdate");
    return TH_STEP_FAILED;
}

/* ---- inspection: what the peer presented ---- */

TH_MUST_CHECK static int nss_peer_info(struct th_conn *c, struct th_peer_info *out)
{
    memset(out, 0, sizeof(*out));
    CERTCertList *l = SSL_PeerCertificateChain(c->fd);
    if (!l)
        return -1;
    for (CERTCertListNode *p = CERT_LIST_HEAD(l); !CERT_LIST_END(p, l); p = CERT_LIST_NEXT(p)) {
        SECItem *d = &p->cert->derCert;
        out->chain = th_xrealloc(out->chain, out->chain_len + d->len);
        memcpy(out->chain + out->chain_len, d->data, d->len);
        out->chain_len += d->len;
        out->n_certs++;
    }
    CERT_DestroyCertList(l);
    SSLChannelInfo info;
    if (SSL_GetChannelInfo(c->fd, &info, sizeof(info)) == SECSuccess)
        th_strlcpy(out->sig_scheme, th_nss_sig_scheme_name(info.signatureScheme),
                   sizeof(out->sig_scheme));
    return out->n_certs ? 0 : -1;
}

/* ---- identity ---- */

static const char *nss_version(void)
{
    return th_nss_version();
}

TH_MUST_CHECK static int nss_init(void)
{
    struct th_error err;
    return th_nss_init(&err);
}

static void nss_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    struct th_error err;
    if (th_nss_init(&err) != 0)
        return; /* no role: the rest of the harness runs without it */
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    out->versions = TH_VERSIONS_ALL;
    out->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    /* No TH_CAP_CLIENT_ORDER: an NSS server always picks by its own suite order.
     * TH_CAP_EARLY_DATA: nss_early.c. No TH_CAP_ANTI_REPLAY: NSS's filter catches
     * only a copied ClientHello, not a new one resuming the same ticket.
     * TH_CAP_TRUNCATION: an end of stream without close_notify is told from one
     * after it by the alert callback (nss_read). */
    out->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                    TH_CAP_SERVER_ORDER | TH_CAP_DRIVER_IO | TH_CAP_TRUNCATION |
                    TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH | TH_CAP_OCSP_STAPLE |
                    TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE | TH_CAP_EARLY_DATA;
    out->n_suites = th_nss_suites(out->suites, TH_MAX_SUITES);
    out->n_groups = th_nss_groups(out->groups, TH_MAX_GROUPS);
    out->defaults_changed[0] = "server: DHE suites enabled (SSL_ENABLE_SERVER_DHE: NSS servers "
                               "leave them off)";
    out->defaults_changed[1] = "client: a chain must link by names from the leaf through the "
                               "certificates sent to an anchor; libpkix alone would also build "
                               "through intermediates cached from earlier connections";
    out->defaults_changed[2] = "client, OCSP: the anchors are trusted in NSS's database only while "
                               "a staple is checked, and NSS's OCSP cache is emptied around it";
    out->defaults_changed[3] = "server, early data: the anti-replay context is dated one window "
                               "(10 s) back, so early data is taken from the start; NSS refuses "
                               "it in a new context's first window";
}

const struct th_backend th_backend_nss = {
    /* identity */
    .name = "nss",
    .library = "NSS",
    .version = nss_version,
    .caps = nss_caps,
    /* set-up: NSS without a database, once; NSS_Shutdown is left to exit */
    .init = nss_init,
    /* driver-owned I/O */
    .ctx_new = nss_ctx_new,
    .ctx_free = nss_ctx_free,
    .conn_new = nss_conn_new,
    .handshake = nss_handshake,
    .write = nss_write,
    .read = nss_read,
    .shutdown = nss_shutdown,
    .negotiated = nss_negotiated,
    .conn_free = nss_conn_free,
    /* client resumption: NSS resumption tokens */
    .session_get = nss_session_get,
    .session_free = nss_session_free,
    .fetch = NULL, /* not a socket-owning backend */
    /* data path */
    .key_update = nss_key_update,
    .aead_cost = th_nss_aead_cost,
    .early_write = nss_early_write,
    /* inspection */
    .peer_info = nss_peer_info,
};
