/* The OpenSSL 3 backend: client and server roles, with driver-owned I/O through a
 * custom BIO. Configuration arrives in IANA terms and is translated here; native
 * errors are mapped to the shared outcome vocabulary through openssl_map.c, keeping
 * OpenSSL's own code and text beside them. The aead_cost op is openssl_aead.c.
 *
 * The only process-wide state is the BIO_METHOD and the IANA id -> OpenSSL cipher
 * name table (openssl_map.c), both built once under pthread_once: TCP cases run the
 * server role in another thread. */
#include "backend.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "harness/vocab/util.h"
#include "openssl_aead.h"
#include "openssl_cauth.h"
#include "openssl_early.h"
#include "openssl_map.h"
#include "openssl_ocsp.h"

/* ---- process-wide state, built once ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_ok;
static BIO_METHOD *bio_method;

static int bio_write(BIO *b, const char *buf, int len);
static int bio_read(BIO *b, char *buf, int len);
static long bio_ctrl(BIO *b, int cmd, long num, void *ptr);

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void init_once(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsharness io");
    if (!m || !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
        BIO_meth_free(m);
        return;
    }
    bio_method = m;
    once_ok = th_ossl_ciphers_build() == 0;
    ERR_clear_error();
}

TH_MUST_CHECK static int ossl_init(void)
{
    pthread_once(&once, init_once);
    return once_ok ? 0 : -1;
}

/* ---- objects ---- */

struct th_ctx {
    SSL_CTX *ssl;
    enum th_role role;
    int verify;
    char *hostname;
    char *sni;
    unsigned char *alpn; /* server: its protocols in wire format, in preference order */
    size_t alpn_len;
};

struct th_conn {
    SSL *ssl;
    struct th_ctx *ctx;
    struct th_io io;
    int io_failed;  /* the transport said TH_IO_FAIL */
    int eof;        /* the transport said end of stream */
    int failed;     /* a step failed: the connection is dead */
    int verify_err; /* first failing X509 verify error; 0: none */
    int verify_depth;
    int verify_sent;   /* how many certificates the peer sent, its leaf included */
    X509 *verify_cert; /* the certificate it failed on (a reference) */
};

struct th_session {
    SSL_SESSION *sess;
};

/* ---- the BIO: records move only through the driver's struct th_io ---- */

static int bio_write(BIO *b, const char *buf, int len)
{
    struct th_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = c->io.send(c->io.ctx, buf, (size_t)len);
    if (n > 0)
        return (int)n;
    if (n == TH_IO_AGAIN)
        BIO_set_retry_write(b);
    else
        c->io_failed = 1;
    return -1;
}

static int bio_read(BIO *b, char *buf, int len)
{
    struct th_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = c->io.recv(c->io.ctx, buf, (size_t)len);
    if (n > 0)
        return (int)n;
    if (n == 0) {
        c->eof = 1;
        return 0;
    }
    if (n == TH_IO_AGAIN)
        BIO_set_retry_read(b);
    else
        c->io_failed = 1;
    return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct th_conn *c = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: /* send() already handed everything to the driver */ return 1;
    case BIO_CTRL_EOF:
        /* libssl asks this after a read of 0: only a "yes" makes it report
         * SSL_R_UNEXPECTED_EOF_WHILE_READING instead of a bare SSL_ERROR_SYSCALL. */
        return c ? c->eof : 0;
    default: return 0;
    }
}

/* ---- errors ---- */

/* A set-up failure: what we were doing, and OpenSSL's first queued error - the
 * root cause (a missing file's errno), where the last one only says "system lib".
 * The queue is emptied so nothing leaks into the next connection. */
static int fail_ctx(struct th_error *err, const char *what)
{
    th_ossl_queued_error(err, what);
    return -1;
}

/* The chain as sent goes into the text too: it is half of the incomplete_chain
 * verdict (th_ossl_chain_outcome), as is OpenSSL's own flag on a certificate it
 * found invalid. A server checks its client's chain with the same mapping. */
static void set_verify_error(const struct th_conn *c, int code, int depth, X509 *cert, int sent,
                             struct th_error *err)
{
    int invalid = cert && (X509_get_extension_flags(cert) & EXFLAG_INVALID);
    int server = c->ctx->role == TH_ROLE_SERVER;
    th_error_set(err, th_ossl_peer_chain_outcome(code, cert, sent, server), code,
                 "X509 verify error %d at depth %d: %s (the %s sent %d certificate%s)%s", code,
                 depth, X509_verify_cert_error_string(code), server ? "client" : "server", sent,
                 sent == 1 ? "" : "s",
                 invalid ? "; OpenSSL flags the certificate invalid (EXFLAG_INVALID)" : "");
}

/* This end's own certificate check (a client's of the server, a server's of a
 * client certificate), when it is what stopped the handshake: the callback's
 * record (which keeps the depth and certificate), else the SSL's result. */
static int verify_failure(struct th_conn *c, struct th_error *err)
{
    if (!c->ctx->verify)
        return 0;
    if (c->verify_err) {
        set_verify_error(c, c->verify_err, c->verify_depth, c->verify_cert, c->verify_sent, err);
        return 1;
    }
    long res = SSL_get_verify_result(c->ssl);
    if (res == X509_V_OK)
        return 0;
    STACK_OF(X509) *sent = SSL_get_peer_cert_chain(c->ssl);
    set_verify_error(c, (int)res, -1, NULL, sent ? sk_X509_num(sent) : -1, err);
    return 1;
}

static void map_failure(struct th_conn *c, int ssl_err, struct th_error *err)
{
    if (verify_failure(c, err) || th_ossl_ocsp_failure(c->ssl, err))
        return;
    unsigned long e = ERR_peek_last_error();
    if (c->io_failed || (ssl_err == SSL_ERROR_SYSCALL && e == 0)) {
        th_error_set(err, TH_IO_ERROR, ssl_err, "transport error (SSL_get_error %d)", ssl_err);
        return;
    }
    if (e == 0) {
        th_error_set(err, TH_HANDSHAKE_FAILURE, ssl_err,
                     "no OpenSSL error queued (SSL_get_error %d)", ssl_err);
        return;
    }
    char buf[200];
    ERR_error_string_n(e, buf, sizeof(buf));
    enum th_outcome o = ERR_GET_LIB(e) == ERR_LIB_SSL ? th_ossl_reason_outcome(ERR_GET_REASON(e))
                                                      : TH_HANDSHAKE_FAILURE;
    th_error_set(err, o, (long)e, "%s", buf);
}

/* SSL_get_error needs an empty error queue before each I/O call. Every failure
 * path empties it already, so it is normally empty: peek first, since clearing
 * walks the whole queue and costs a few percent of a 16 KiB record's processing. */
static void clear_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

/* Turn an SSL_* call's return into a step. Must run before anything else touches
 * the thread's error queue: SSL_get_error reads it. */
static enum th_step step_result(struct th_conn *c, int ret, struct th_error *err)
{
    int e = SSL_get_error(c->ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ: return TH_STEP_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return TH_STEP_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return TH_STEP_CLOSED;
    default:
        c->failed = 1;
        map_failure(c, e, err);
        ERR_clear_error();
        return TH_STEP_FAILED;
    }
}

/* Records the first failure of the chain check, with the depth and certificate it
 * happened on: SSL_get_verify_result alone loses which certificate failed, and
 * INVALID_PURPOSE needs the certificate to tell EKU from key usage. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct th_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!preverify_ok && c && !c->verify_err) {
        c->verify_err = X509_STORE_CTX_get_error(store);
        c->verify_depth = X509_STORE_CTX_get_error_depth(store);
        c->verify_cert = X509_STORE_CTX_get_current_cert(store);
        /* libssl hands the chain as sent, leaf first, as the untrusted set */
        STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store);
        c->verify_sent = sent ? sk_X509_num(sent) : -1;
        if (c->verify_cert)
            X509_up_ref(c->verify_cert);
    }
    /* verify 0: carry on so the handshake completes; the result is still recorded. */
    return c && !c->ctx->verify ? 1 : preverify_ok;
}

/* ---- configuration ---- */

TH_MUST_CHECK static int set_versions(SSL_CTX *ctx, unsigned set, struct th_error *err)
{
    uint16_t lo = th_versions_lowest(set), hi = th_versions_highest(set);
    if (!lo) {
        TH_FAULT(err, 0, "no TLS version requested");
        return -1;
    }
    if (SSL_CTX_set_min_proto_version(ctx, lo) != 1 || SSL_CTX_set_max_proto_version(ctx, hi) != 1)
        return fail_ctx(err, "setting the version range");
    return 0;
}

/* Append s to a ':'-separated list in buf. */
static void list_add(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? ":" : "", s);
}

/* The ordered suite list, split by how OpenSSL takes it: TLS 1.3 suites by IANA
 * name through set_ciphersuites, older ones by OpenSSL name through
 * set_cipher_list. A half left empty offers nothing of that kind. */
TH_MUST_CHECK static int set_suites(SSL_CTX *ctx, const struct th_tls_config *cfg, int seclevel,
                                    struct th_error *err)
{
    char tls13[1024] = "", tls12[8192] = "";
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
        const char *name = th_ossl_cipher_name(cfg->suites[i]);
        if (!s || !name) {
            th_error_set(err, TH_INTERNAL_ERROR, cfg->suites[i],
                         "suite 0x%04x is unknown to OpenSSL", cfg->suites[i]);
            return -1;
        }
        if (s->min_version == TH_TLS13)
            list_add(tls13, sizeof(tls13), s->name);
        else
            list_add(tls12, sizeof(tls12), name);
    }
    if (SSL_CTX_set_ciphersuites(ctx, tls13) != 1)
        return fail_ctx(err, "SSL_CTX_set_ciphersuites");
    int has12 = tls12[0] != '\0';
    if (seclevel >= 0) {
        char sl[24];
        snprintf(sl, sizeof(sl), "@SECLEVEL=%d", seclevel);
        list_add(tls12, sizeof(tls12), sl);
    }
    /* With no TLS <= 1.2 suite the rule string matches nothing: OpenSSL installs the
     * empty list, then returns 0 (SSL_R_NO_CIPHER_MATCH) - which is what we want. */
    if (SSL_CTX_set_cipher_list(ctx, tls12) != 1 && has12)
        return fail_ctx(err, "SSL_CTX_set_cipher_list");
    ERR_clear_error();
    return 0;
}

TH_MUST_CHECK static int set_groups(SSL_CTX *ctx, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    char list[256] = "";
    for (size_t i = 0; i < cfg->n_groups; i++) {
        const char *name = th_ossl_group_name(cfg->groups[i]);
        if (!name) {
            th_error_set(err, TH_INTERNAL_ERROR, cfg->groups[i],
                         "group 0x%04x is unknown to this backend", cfg->groups[i]);
            return -1;
        }
        list_add(list, sizeof(list), name);
    }
    if (cfg->n_groups && SSL_CTX_set1_groups_list(ctx, list) != 1)
        return fail_ctx(err, "SSL_CTX_set1_groups_list");
    return 0;
}

/* ALPN protocols in wire format: each one length-prefixed. */
static unsigned char *alpn_wire(const struct th_tls_config *cfg, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_alpn; i++)
        n += 1 + strlen(cfg->alpn[i]);
    unsigned char *w = th_xmalloc(n ? n : 1), *p = w;
    for (size_t i = 0; i < cfg->n_alpn; i++) {
        size_t l = strlen(cfg->alpn[i]);
        *p++ = (unsigned char)l;
        memcpy(p, cfg->alpn[i], l);
        p += l;
    }
    *len = n;
    return w;
}

/* The server picks the first of its own protocols the client offered; no overlap
 * means no ALPN in the reply, not a failed handshake. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    const struct th_ctx *t = arg;
    for (size_t i = 0; i < t->alpn_len; i += 1 + t->alpn[i]) {
        for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
            if (in[j] == t->alpn[i] && j + 1u + in[j] <= inlen &&
                memcmp(in + j + 1, t->alpn + i + 1, in[j]) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

TH_MUST_CHECK static int setup_server(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    static const unsigned char sid_ctx[] = "tlsharness";
    SSL_CTX *ctx = t->ssl;
    if (!cfg->cert_file || !cfg->key_file) {
        TH_FAULT(err, 0, "server needs a certificate and a key");
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
        return fail_ctx(err, cfg->cert_file);
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
        return fail_ctx(err, cfg->key_file);
    SSL_CTX_set_dh_auto(ctx, 1); /* DHE suites in TLS <= 1.2 need parameters */
    if (cfg->prefer_server_order)
        SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Caching: "session_id" resumption in TLS 1.2 is the classic session-id cache. TLS
     * 1.3 has none; with SSL_OP_NO_TICKET OpenSSL 3 still issues stateful tickets that
     * only name a cache entry - so for 1.3, tickets=0 + session_cache=1 is this backend's
     * "session_id" resumption. With neither, no ticket at all is sent (num_tickets 0). */
    if (!cfg->tickets)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (cfg->session_cache) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1)
            return fail_ctx(err, "SSL_CTX_set_session_id_context");
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        if (!cfg->tickets && SSL_CTX_set_num_tickets(ctx, 0) != 1)
            return fail_ctx(err, "SSL_CTX_set_num_tickets");
    }
    if (cfg->n_alpn) {
        t->alpn = alpn_wire(cfg, &t->alpn_len);
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, t);
    }
    TH_GUARD(th_ossl_ocsp_server(ctx, cfg->ocsp_file, err));
    TH_GUARD(th_ossl_early_server(ctx, cfg, err));
    /* Client certificates: verify 1 makes verify_cb and verify_failure judge them. */
    t->verify = cfg->client_auth != TH_CLIENT_AUTH_NONE;
    return t->verify ? th_ossl_server_client_auth(ctx, cfg, verify_cb, err) : 0;
}

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    SSL_CTX *ctx = t->ssl;
    /* An anchor or CRL OpenSSL will not load is its verdict, not a harness fault:
     * anchor_unusable, which the run core judges like any outcome. */
    if (cfg->ca_file && SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
        th_ossl_anchor_error(err, cfg->ca_file);
        return -1;
    }
    if (cfg->crl_file) {
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        X509_LOOKUP *lu = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        /* every CRL in the file: the PKI's holds one per CA */
        if (!lu)
            return fail_ctx(err, "X509_STORE_add_lookup");
        if (X509_load_crl_file(lu, cfg->crl_file, X509_FILETYPE_PEM) < 1) {
            th_ossl_anchor_error(err, cfg->crl_file);
            return -1;
        }
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    t->verify = cfg->verify;
    SSL_CTX_set_verify(ctx, cfg->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, verify_cb);
    /* No client-side cache: sessions travel through session_get only, and with the
     * cache on, OpenSSL's TLS 1.3 client drops a session from it once resumed, which
     * marks it unresumable - a handshake benchmark resuming one session every time
     * would resume once. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* Asking for session-id resumption: offer no ticket, so a 1.2 server that
     * would issue one falls back to its cache. */
    if (cfg->resume == TH_RESUME_SESSION_ID)
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (cfg->n_alpn) {
        size_t len;
        unsigned char *w = alpn_wire(cfg, &len);
        int rc = SSL_CTX_set_alpn_protos(ctx, w, (unsigned)len); /* 0 is success */
        free(w);
        if (rc != 0)
            return fail_ctx(err, "SSL_CTX_set_alpn_protos");
    }
    t->hostname = cfg->hostname ? th_xstrdup(cfg->hostname) : NULL;
    t->sni = cfg->sni ? th_xstrdup(cfg->sni) : NULL;
    TH_GUARD(th_ossl_ocsp_client(ctx, cfg->ocsp, cfg->verify, err));
    return th_ossl_client_own_cert(ctx, cfg, err);
}

/* The security level each role's handshake runs at; -1: the library's default
 * (Debian: 2). Certificate checks stay at the default either way
 * (th_ossl_lower_security_level): listed in the caps' defaults_changed. */
static int security_level(const struct th_tls_config *cfg)
{
    /* The test server must be able to serve every certificate of the test PKI
     * (rsa1024, sha1): the cases are about what clients accept. */
    if (cfg->role == TH_ROLE_SERVER)
        return 0;
    /* TLS 1.0/1.1 sign the handshake with MD5+SHA1/SHA1, which OpenSSL 3 refuses
     * above level 0: lower it only when those versions are asked for. */
    if (cfg->versions & (TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11)))
        return 0;
    return -1;
}

static void ossl_ctx_free(struct th_ctx *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ssl);
    free(t->hostname);
    free(t->sni);
    free(t->alpn);
    free(t);
}

TH_MUST_CHECK static int configure(struct th_ctx *t, const struct th_tls_config *cfg,
                                   struct th_error *err)
{
    int seclevel = security_level(cfg);
    if (seclevel >= 0 && th_ossl_lower_security_level(t->ssl, seclevel) != 0) {
        TH_FAULT(err, 0, "the library's default security level could not be read");
        return -1;
    }
    /* its top version needs a suite in the list (see th_versions_effective) */
    TH_GUARD(set_versions(t->ssl, th_versions_effective(cfg->versions, cfg->suites, cfg->n_suites),
                          err));
    if (cfg->n_suites)
        TH_GUARD(set_suites(t->ssl, cfg, seclevel, err));
    TH_GUARD(set_groups(t->ssl, cfg, err));
    /* The driver may hand a write back with the buffer moved; *done reports what a
     * partial write took. */
    SSL_CTX_set_mode(t->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (cfg->role == TH_ROLE_SERVER)
        return setup_server(t, cfg, err);
    return setup_client(t, cfg, err);
}

TH_MUST_CHECK static int ossl_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out,
                                      struct th_error *err)
{
    *out = NULL;
    if (ossl_init() != 0)
        return fail_ctx(err, "initialising the OpenSSL backend");
    ERR_clear_error();
    struct th_ctx *t = th_xcalloc(1, sizeof(*t));
    t->role = cfg->role;
    t->ssl = SSL_CTX_new(TLS_method());
    if (!t->ssl) {
        ossl_ctx_free(t);
        return fail_ctx(err, "SSL_CTX_new");
    }
    if (configure(t, cfg, err) != 0) {
        ossl_ctx_free(t);
        ERR_clear_error();
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- connections ---- */

/* The client's per-connection settings: the name to check, SNI, and the session
 * to offer. */
TH_MUST_CHECK static int setup_client_conn(struct th_conn *c, struct th_session *resume_from,
                                           struct th_error *err)
{
    const char *host = c->ctx->hostname, *sni = c->ctx->sni;
    if (host) {
        /* An IP literal is matched against IP SANs, never as a DNS name. */
        unsigned char ip[16];
        int ok = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
                     : SSL_set1_host(c->ssl, host);
        if (ok != 1)
            return fail_ctx(err, "setting the expected host name");
    }
    if (sni && SSL_set_tlsext_host_name(c->ssl, sni) != 1)
        return fail_ctx(err, "SSL_set_tlsext_host_name");
    if (resume_from && SSL_set_session(c->ssl, resume_from->sess) != 1)
        return fail_ctx(err, "SSL_set_session");
    return 0;
}

static void ossl_conn_free(struct th_conn *c)
{
    if (!c)
        return;
    /* OpenSSL makes a session freed without close_notify unresumable (a TLS 1.0 rule
     * RFC 4346 lifted); the driver may drop a healthy connection without one (handshake
     * benchmarks): that must not cost it its session. */
    if (!c->failed && SSL_is_init_finished(c->ssl))
        SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN);
    SSL_free(c->ssl); /* frees the BIO too */
    X509_free(c->verify_cert);
    free(c);
}

TH_MUST_CHECK static int attach_bio(struct th_conn *c, struct th_error *err)
{
    BIO *bio = BIO_new(bio_method);
    if (!bio)
        return fail_ctx(err, "BIO_new");
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio); /* one reference serves both directions */
    return 0;
}

TH_MUST_CHECK static int ossl_conn_new(struct th_ctx *ctx, const struct th_io *io,
                                       struct th_session *resume_from, struct th_conn **out,
                                       struct th_error *err)
{
    *out = NULL;
    ERR_clear_error();
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->io = *io;
    c->ssl = SSL_new(ctx->ssl);
    if (!c->ssl) {
        free(c);
        return fail_ctx(err, "SSL_new");
    }
    SSL_set_app_data(c->ssl, c);
    /* Read whole socket buffers, not one record header then its body: half the
     * recv() calls on a busy connection. */
    SSL_set_read_ahead(c->ssl, 1);
    if (attach_bio(c, err) != 0) {
        ossl_conn_free(c);
        return -1;
    }
    if (ctx->role == TH_ROLE_SERVER) {
        SSL_set_accept_state(c->ssl);
    } else {
        SSL_set_connect_state(c->ssl);
        if (setup_client_conn(c, resume_from, err) != 0) {
            ossl_conn_free(c);
            return -1;
        }
    }
    *out = c;
    return 0;
}

static enum th_step ossl_handshake(struct th_conn *c, struct th_error *err)
{
    ERR_clear_error();
    int ret = th_ossl_early_handshake(c->ssl);
    return ret == 1 ? TH_STEP_DONE : step_result(c, ret, err);
}

static enum th_step ossl_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                               struct th_error *err)
{
    *done = 0;
    clear_errors();
    int ret = th_ossl_write_ex(c->ssl, buf, len, done);
    return ret == 1 ? TH_STEP_DONE : step_result(c, ret, err);
}

static enum th_step ossl_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                              struct th_error *err)
{
    *done = 0;
    clear_errors();
    int ret = th_ossl_early_take(c->ssl, buf, len, done) || SSL_read_ex(c->ssl, buf, len, done);
    return ret == 1 ? TH_STEP_DONE : step_result(c, ret, err);
}

static enum th_step ossl_shutdown(struct th_conn *c, struct th_error *err)
{
    ERR_clear_error();
    int ret = SSL_shutdown(c->ssl);
    /* 0: our close_notify went out, the peer's has not come yet: that is enough. */
    return ret >= 0 ? TH_STEP_DONE : step_result(c, ret, err);
}

static void ossl_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    th_ossl_negotiated(c->ssl, out);
}

static struct th_session *ossl_session_get(struct th_conn *c)
{
    SSL_SESSION *s = SSL_get1_session(c->ssl);
    if (!s)
        return NULL;
    if (!SSL_SESSION_is_resumable(s)) {
        SSL_SESSION_free(s);
        return NULL;
    }
    struct th_session *ts = th_xmalloc(sizeof(*ts));
    ts->sess = s;
    return ts;
}

static void ossl_session_free(struct th_session *s)
{
    if (!s)
        return;
    SSL_SESSION_free(s->sess);
    free(s);
}

/* ---- the data path: KeyUpdate ---- */

/* SSL_key_update only marks the update pending: OpenSSL sends the KeyUpdate
 * (update_requested) with the next SSL_write_ex or SSL_do_handshake, then switches its
 * sending keys. An OpenSSL peer switches its receiving keys as it reads ours, but answers
 * only with its next write. A refusal leaves the connection as it was. */
static enum th_step ossl_key_update(struct th_conn *c, struct th_error *err)
{
    ERR_clear_error();
    if (SSL_version(c->ssl) != TLS1_3_VERSION) {
        th_error_set(err, TH_INTERNAL_ERROR, SSL_version(c->ssl),
                     "KeyUpdate needs TLS 1.3; this connection runs %s", SSL_get_version(c->ssl));
        return TH_STEP_FAILED;
    }
    if (SSL_key_update(c->ssl, SSL_KEY_UPDATE_REQUESTED) != 1) {
        fail_ctx(err, "SSL_key_update");
        return TH_STEP_FAILED;
    }
    return TH_STEP_DONE;
}

/* ---- inspection: what the peer presented ---- */

TH_MUST_CHECK static int ossl_peer_info(struct th_conn *c, struct th_peer_info *out)
{
    return th_ossl_peer_info(c->ssl, out);
}

/* ---- identity ---- */

static const char *ossl_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

/* A suite we can run: an IANA entry, a certificate the test PKI has (RSA, ECDSA), no
 * PSK/SRP/anonymous exchange (no credentials for them), and no NULL encryption:
 * OpenSSL 3 offers it only at security level 0; our client keeps the default level. */
static int suite_usable(uint16_t id)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s)
        return 0;
    int auth = !strcmp(s->auth, "RSA") || !strcmp(s->auth, "ECDSA") || !strcmp(s->auth, "any");
    int kx = !strcmp(s->kx, "TLS13") || !strcmp(s->kx, "ECDHE") || !strcmp(s->kx, "DHE") ||
             !strcmp(s->kx, "RSA");
    return auth && kx && strcmp(s->cipher, "None") != 0;
}

/* What security_level() changes, with the default it leaves the certificate checks
 * at, read from the library (built once: the caps keep pointers to it). */
static char changed_client[200], changed_server[200];

static void changed_build(void)
{
    int def = th_ossl_default_security_level();
    snprintf(changed_client, sizeof(changed_client),
             "client: security level 0 instead of %d for the handshake when client.versions "
             "include 1.0 or 1.1 (their MD5+SHA1 and SHA-1 signatures); certificate checks "
             "keep level %d",
             def, def);
    snprintf(changed_server, sizeof(changed_server),
             "server: security level 0 instead of %d, so it can serve every certificate of the "
             "test PKI (rsa1024, sha1); certificate checks keep level %d",
             def, def);
}

static void defaults_changed(struct th_caps *out)
{
    static pthread_once_t changed_once = PTHREAD_ONCE_INIT;
    pthread_once(&changed_once, changed_build);
    out->defaults_changed[0] = changed_client;
    out->defaults_changed[1] = changed_server;
}

static void ossl_caps(struct th_caps *out)
{
    static const uint16_t groups[] = {0x001D, 0x001E, 0x0017, 0x0018, 0x0019,
                                      0x0100, 0x0101, 0x0102, 0x0103, 0x0104};
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    out->versions = TH_VERSIONS_ALL;
    out->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    out->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                    TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER | TH_CAP_DRIVER_IO |
                    TH_CAP_TRUNCATION | /* EOF without close_notify: unexpected eof */
                    TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH | TH_CAP_OCSP_REQUEST |
                    TH_CAP_OCSP_REQUIRE | TH_CAP_OCSP_STAPLE | TH_CAP_EARLY_DATA |
                    TH_CAP_ANTI_REPLAY;
    uint16_t all[TH_MAX_SUITES * 2];
    size_t n = ossl_init() == 0 ? th_ossl_suites(all, TH_ARRAY_LEN(all)) : 0;
    for (size_t i = 0; i < n && out->n_suites < TH_MAX_SUITES; i++)
        if (suite_usable(all[i]))
            out->suites[out->n_suites++] = all[i];
    memcpy(out->groups, groups, sizeof(groups));
    out->n_groups = TH_ARRAY_LEN(groups);
    defaults_changed(out);
}

const struct th_backend th_backend_openssl = {
    /* identity */
    .name = "openssl",
    .library = "OpenSSL",
    .version = ossl_version,
    .caps = ossl_caps,
    /* set-up: tables built once; nothing to tear down that exit does not */
    .init = ossl_init,
    /* driver-owned I/O */
    .ctx_new = ossl_ctx_new,
    .ctx_free = ossl_ctx_free,
    .conn_new = ossl_conn_new,
    .handshake = ossl_handshake,
    .write = ossl_write,
    .read = ossl_read,
    .shutdown = ossl_shutdown,
    .negotiated = ossl_negotiated,
    .conn_free = ossl_conn_free,
    /* client resumption */
    .session_get = ossl_session_get,
    .session_free = ossl_session_free,
    .fetch = NULL, /* not a socket-owning backend */
    /* data path */
    .key_update = ossl_key_update,
    .aead_cost = th_ossl_aead_cost,
    .early_write = ossl_write, /* a write before the handshake began is early data */
    /* inspection */
    .peer_info = ossl_peer_info,
};
