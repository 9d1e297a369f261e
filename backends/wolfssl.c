/* The wolfSSL 5.5 backend: client and server roles, with driver-owned I/O through
 * wolfSSL's I/O callbacks (wolfSSL_CTX_SetIORecv / SetIOSend, one context pointer per
 * connection). Configuration arrives in IANA terms and is translated here (suites as
 * IANA byte pairs, groups by their IANA ids, which are wolfSSL's own); native errors
 * are mapped to the shared outcome vocabulary through wolfssl_map.c, keeping
 * wolfSSL's own code and text beside them. The aead_cost op is wolfssl_aead.c; the
 * endpoint's certificates and the chain check are wolfssl_cert.c.
 *
 * The native wolfSSL_* API throughout; the calls that exist only in its OpenSSL
 * compatibility layer (version bounds, the ALPN select callback, turning curves
 * off, CRLs into the store, sessions copied, the certificates the verify callback
 * looks at) are still wolfSSL's own functions, not the OpenSSL-named macros.
 *
 * Process-wide state: wolfSSL_Init and the suite table, once (wolfssl_map.c). */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/dh.h>

#include "harness/vocab/util.h"
#include "wolfssl_aead.h"
#include "wolfssl_cert.h"
#include "wolfssl_map.h"

/* What the library can negotiate: Debian builds it without TLS 1.0
 * (WOLFSSL_ALLOW_TLSV10 unset). */
#define WS_VERSIONS (TH_VBIT(TH_TLS11) | TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13))

/* ---- the transport: records move only through the driver's struct th_io ---- */

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *p)
{
    (void)ssl;
    struct th_conn *c = p;
    ssize_t n = c->io.send(c->io.ctx, buf, (size_t)sz);
    if (n > 0) {
        if (c->ctx->role == TH_ROLE_SERVER && !c->hs_done)
            th_wolfssl_hello_group((const unsigned char *)buf, (size_t)n, &c->hello_group);
        return (int)n;
    }
    if (n == TH_IO_AGAIN)
        return WOLFSSL_CBIO_ERR_WANT_WRITE;
    c->io_failed = 1;
    return WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *p)
{
    (void)ssl;
    struct th_conn *c = p;
    ssize_t n = c->io.recv(c->io.ctx, buf, (size_t)sz);
    if (n > 0)
        return (int)n;
    if (n == 0) {
        c->eof = 1; /* wolfSSL says SOCKET_PEER_CLOSED_E */
        return WOLFSSL_CBIO_ERR_CONN_CLOSE;
    }
    if (n == TH_IO_AGAIN)
        return WOLFSSL_CBIO_ERR_WANT_READ;
    c->io_failed = 1;
    return WOLFSSL_CBIO_ERR_GENERAL;
}

/* ---- errors ---- */

/* The alert that ended the handshake, when one came: its description, else -1. */
static int alert_received(struct th_conn *c)
{
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof(h));
    if (wolfSSL_get_alert_history(c->ssl, &h) != WOLFSSL_SUCCESS || h.last_rx.level != alert_fatal)
        return -1;
    return h.last_rx.code;
}

/* What stopped the connection: the transport, this end's own certificate check
 * (wolfssl_cert.c keeps what its verify callback saw), or wolfSSL's error with the
 * alert that came with it. */
static void map_failure(struct th_conn *c, int code, struct th_error *err)
{
    char text[WOLFSSL_MAX_ERROR_SZ];
    th_wolfssl_error_text(code, text, sizeof(text));
    if (c->io_failed) {
        th_error_set(err, TH_IO_ERROR, code, "transport error: %s", text);
        return;
    }
    if (th_wolfssl_verify_failure(c, code, err))
        return;
    /* wolfSSL says SOCKET_PEER_CLOSED_E for an end of stream between records and
     * SOCKET_ERROR_E for one in the middle of its handshake */
    if (c->eof &&
        (code == SOCKET_PEER_CLOSED_E || code == SOCKET_ERROR_E || code == WOLFSSL_ERROR_SYSCALL)) {
        th_error_set(err, TH_TRUNCATED, SOCKET_PEER_CLOSED_E,
                     "the transport ended without close_notify (%d)", code);
        return;
    }
    int alert = code == FATAL_ERROR ? alert_received(c) : -1;
    if (alert >= 0)
        th_error_set(err, th_wolfssl_outcome(code, alert), code, "%s: alert %d", text, alert);
    else
        th_error_set(err, th_wolfssl_outcome(code, -1), code, "%s", text);
}

/* wolfSSL queues errors on its way to a WANT_* and even to a success (a record it
 * had to wait for): nothing may leak into the thread's next call, of this backend
 * or another. Peek first: clearing walks the queue. */
static void drain_errors(void)
{
    if (wolfSSL_ERR_peek_error() != 0)
        wolfSSL_ERR_clear_error();
}

/* Turn a wolfSSL_* call's failed return into a step. A failure is final: the
 * connection keeps it and repeats it to any later step. */
static enum th_step step_result(struct th_conn *c, int ret, struct th_error *err)
{
    int e = wolfSSL_get_error(c->ssl, ret);
    drain_errors();
    switch (e) {
    case WOLFSSL_ERROR_WANT_READ: return TH_STEP_WANT_READ;
    case WOLFSSL_ERROR_WANT_WRITE: return TH_STEP_WANT_WRITE;
    case WOLFSSL_ERROR_ZERO_RETURN: return TH_STEP_CLOSED;
    default:
        c->failed = 1;
        map_failure(c, e, &c->err);
        if (err)
            *err = c->err;
        return TH_STEP_FAILED;
    }
}

static enum th_step repeat_failure(struct th_conn *c, struct th_error *err)
{
    if (err)
        *err = c->err;
    return TH_STEP_FAILED;
}

/* A set-up call's failure: what we were doing and wolfSSL's words for ret. */
static int fail_ctx(struct th_error *err, int ret, const char *what)
{
    char text[WOLFSSL_MAX_ERROR_SZ];
    th_wolfssl_error_text(ret, text, sizeof(text));
    th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: %s (%d)", what, text, ret);
    wolfSSL_ERR_clear_error();
    return -1;
}

/* ---- configuration ---- */

/* Both ends of the range, always: the library's own floor is TLS 1.1 for a
 * "v23" method. The top is cut to the highest version the suite list has a suite
 * for (th_versions_effective), as the OpenSSL backend does. */
TH_MUST_CHECK static int set_versions(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    unsigned have = th_versions_effective(cfg->versions, cfg->suites, cfg->n_suites) & WS_VERSIONS;
    if (!have) {
        th_error_set(err, TH_INTERNAL_ERROR, 0,
                     "%s lacks every requested version (it has TLS 1.1-1.3; this build has no "
                     "TLS 1.0)",
                     th_wolfssl_version());
        return -1;
    }
    int ret = wolfSSL_CTX_set_min_proto_version(t->ctx, th_versions_lowest(have));
    if (ret != WOLFSSL_SUCCESS)
        return fail_ctx(err, ret, "wolfSSL_CTX_set_min_proto_version");
    ret = wolfSSL_CTX_set_max_proto_version(t->ctx, th_versions_highest(have));
    if (ret != WOLFSSL_SUCCESS)
        return fail_ctx(err, ret, "wolfSSL_CTX_set_max_proto_version");
    return 0;
}

/* The library's suites for TLS 1.3 alone, in its order: a 1.3-only endpoint keeps
 * its default list within the versions asked (a wolfSSL client whose floor is 1.3
 * still offers its TLS 1.2 suites, and a 1.2 server would pick one). */
static size_t tls13_defaults(uint16_t *out, size_t cap)
{
    uint16_t all[TH_MAX_SUITES];
    size_t n = th_wolfssl_suites(all, TH_ARRAY_LEN(all)), k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        const struct th_suite_info *s = th_suite_by_id(all[i]);
        if (s && s->min_version == TH_TLS13)
            out[k++] = all[i];
    }
    return k;
}

/* The ordered list as IANA byte pairs: wolfSSL takes exactly those, TLS 1.3 suites
 * among them. */
TH_MUST_CHECK static int set_suites(struct th_ctx *t, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    unsigned char bytes[2 * TH_MAX_SUITES];
    uint16_t list[TH_MAX_SUITES];
    size_t n = cfg->n_suites;
    memcpy(list, cfg->suites, n * sizeof(*list));
    if (!n && th_versions_lowest(cfg->versions) == TH_TLS13)
        n = tls13_defaults(list, TH_ARRAY_LEN(list));
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!th_wolfssl_has_suite(list[i])) {
            const struct th_suite_info *s = th_suite_by_id(list[i]);
            th_error_set(err, TH_INTERNAL_ERROR, list[i], "suite 0x%04x (%s) is unknown to %s",
                         list[i], s ? s->name : "?", th_wolfssl_version());
            return -1;
        }
        bytes[2 * i] = (unsigned char)(list[i] >> 8);
        bytes[2 * i + 1] = (unsigned char)(list[i] & 0xff);
    }
    int ret = wolfSSL_CTX_set_cipher_list_bytes(t->ctx, bytes, (int)(2 * n));
    return ret == WOLFSSL_SUCCESS ? 0 : fail_ctx(err, ret, "wolfSSL_CTX_set_cipher_list_bytes");
}

/* The curves among the groups by the names wolfSSL_CTX_set1_curves_list knows;
 * how many. */
static int curve_names(const struct th_tls_config *cfg, char *out, size_t cap)
{
    static const struct {
        uint16_t id;
        const char *name;
    } names[] = {{0x0017, "P-256"},
                 {0x0018, "P-384"},
                 {0x0019, "P-521"},
                 {0x001D, "X25519"},
                 {0x001E, "X448"}};
    size_t n = 0;
    int k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cfg->n_groups; i++)
        for (size_t j = 0; j < TH_ARRAY_LEN(names); j++)
            if (names[j].id == cfg->groups[i]) {
                n += (size_t)snprintf(out + n, cap - n, "%s%s", k++ ? ":" : "", names[j].name);
                break;
            }
    return k;
}

/* wolfSSL's group constants are the IANA ids (WOLFSSL_ECC_X25519 = 29, ...):
 * wolfSSL_CTX_set_groups takes the list as it is, in preference order (the first
 * gets the TLS 1.3 key share). It does not bind a TLS 1.2 server's choice of
 * ECDHE curve, which takes any the client offers: the curves left out are turned
 * off first (wolfSSL_CTX_set1_curves_list). */
TH_MUST_CHECK static int set_groups(struct th_ctx *t, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    int groups[TH_MAX_GROUPS];
    char curves[128];
    if (!cfg->n_groups)
        return 0;
    for (size_t i = 0; i < cfg->n_groups; i++) {
        if (!th_group_by_id(cfg->groups[i])) {
            th_error_set(err, TH_INTERNAL_ERROR, cfg->groups[i],
                         "group 0x%04x is unknown to this backend", cfg->groups[i]);
            return -1;
        }
        groups[i] = cfg->groups[i];
    }
    int ret;
    if (curve_names(cfg, curves, sizeof(curves)) > 0 &&
        (ret = wolfSSL_CTX_set1_curves_list(t->ctx, curves)) != WOLFSSL_SUCCESS)
        return fail_ctx(err, ret, "wolfSSL_CTX_set1_curves_list");
    ret = wolfSSL_CTX_set_groups(t->ctx, groups, (int)cfg->n_groups);
    return ret == WOLFSSL_SUCCESS ? 0 : fail_ctx(err, ret, "wolfSSL_CTX_set_groups");
}

/* The server picks the first of its own protocols the client offered; no overlap
 * means no ALPN in the reply, not a failed handshake (as the OpenSSL backend). */
static int alpn_select(WOLFSSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    const struct th_ctx *t = arg;
    for (size_t i = 0; i < t->n_alpn; i++) {
        size_t l = strlen(t->alpn[i]);
        for (unsigned j = 0; j < inlen; j += 1u + in[j]) {
            if (in[j] == l && j + 1u + in[j] <= inlen && memcmp(in + j + 1, t->alpn[i], l) == 0) {
                *out = in + j + 1;
                *outlen = in[j];
                return 0; /* SSL_TLSEXT_ERR_OK */
            }
        }
    }
    return noack_return; /* SSL_TLSEXT_ERR_NOACK */
}

static void keep_alpn(struct th_ctx *t, const struct th_tls_config *cfg)
{
    for (size_t i = 0; i < cfg->n_alpn; i++)
        t->alpn[i] = th_xstrdup(cfg->alpn[i]);
    t->n_alpn = cfg->n_alpn;
}

/* A DHE suite of TLS 1.0-1.2 is possible: such a version allowed, and no suite list
 * or one naming a DHE suite. */
static int may_use_dhe(const struct th_tls_config *cfg)
{
    if (!(cfg->versions & (TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11) | TH_VBIT(TH_TLS12))))
        return 0;
    if (!cfg->n_suites)
        return 1;
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const struct th_suite_info *si = th_suite_by_id(cfg->suites[i]);
        if (si && strcmp(si->kx, "DHE") == 0)
            return 1;
    }
    return 0;
}

/* Tickets and the session cache, each on or off. TLS 1.3 has no session-id
 * resumption: without tickets a 1.3 server resumes nothing. */
TH_MUST_CHECK static int setup_server(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    int ret;
    TH_GUARD(th_wolfssl_own_cert(t->ctx, cfg, err));
    /* A wolfSSL server picks by its own order unless told to follow the client's. */
    if (!cfg->prefer_server_order && (ret = wolfSSL_CTX_UseClientSuites(t->ctx)) < 0)
        return fail_ctx(err, ret, "wolfSSL_CTX_UseClientSuites");
    /* DHE suites need parameters: the RFC 7919 group, as the library's own TLS 1.3
     * and negotiated-FFDHE paths use; without them a wolfSSL server offers no DHE
     * suite at all. Only where a DHE suite can be chosen: the library tests the
     * prime as it takes it (46 ms here), on every context otherwise. */
    const DhParams *dh = wc_Dh_ffdhe2048_Get();
    if (may_use_dhe(cfg) && (ret = wolfSSL_CTX_SetTmpDH(t->ctx, dh->p, (int)dh->p_len, dh->g,
                                                        (int)dh->g_len)) != WOLFSSL_SUCCESS)
        return fail_ctx(err, ret, "wolfSSL_CTX_SetTmpDH");
    if (!cfg->tickets) {
        /* one says 0 on success, the other WOLFSSL_SUCCESS */
        ret = wolfSSL_CTX_NoTicketTLSv12(t->ctx);
        if (ret == 0 || ret == WOLFSSL_SUCCESS)
            ret = wolfSSL_CTX_no_ticket_TLSv13(t->ctx);
        if (ret != 0 && ret != WOLFSSL_SUCCESS)
            return fail_ctx(err, ret, "turning session tickets off");
    }
    if (!cfg->session_cache)
        (void)wolfSSL_CTX_set_session_cache_mode(t->ctx, WOLFSSL_SESS_CACHE_OFF);
    if (cfg->n_alpn) {
        keep_alpn(t, cfg);
        wolfSSL_CTX_set_alpn_select_cb(t->ctx, alpn_select, t);
    }
    return th_wolfssl_server_client_auth(t, cfg, err);
}

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    TH_GUARD(th_wolfssl_client_trust(t, cfg, err));
    /* Asking for session-id resumption: offer no ticket, so a 1.2 server falls
     * back to its cache. Otherwise the session_ticket extension, which a wolfSSL
     * client leaves out unless told. */
    if (cfg->resume != TH_RESUME_SESSION_ID) {
        int ret = wolfSSL_CTX_UseSessionTicket(t->ctx);
        if (ret != WOLFSSL_SUCCESS)
            return fail_ctx(err, ret, "wolfSSL_CTX_UseSessionTicket");
    }
    keep_alpn(t, cfg);
    t->hostname = cfg->hostname ? th_xstrdup(cfg->hostname) : NULL;
    t->sni = cfg->sni ? th_xstrdup(cfg->sni) : NULL;
    if (!cfg->cert_file && !cfg->key_file)
        return 0;
    TH_GUARD(th_wolfssl_own_cert(t->ctx, cfg, err));
    t->own_cert = 1;
    return 0;
}

static void ws_ctx_free(struct th_ctx *t)
{
    if (!t)
        return;
    wolfSSL_CTX_free(t->ctx);
    for (size_t i = 0; i < t->n_alpn; i++)
        free(t->alpn[i]);
    free(t->hostname);
    free(t->sni);
    free(t);
}

TH_MUST_CHECK static int configure(struct th_ctx *t, const struct th_tls_config *cfg,
                                   struct th_error *err)
{
    wolfSSL_CTX_SetIORecv(t->ctx, io_recv);
    wolfSSL_CTX_SetIOSend(t->ctx, io_send);
    TH_GUARD(set_versions(t, cfg, err));
    TH_GUARD(set_suites(t, cfg, err));
    TH_GUARD(set_groups(t, cfg, err));
    /* The driver may hand a write back with the buffer moved; *done reports what a
     * partial write took. */
    (void)wolfSSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                           WOLFSSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* This build retries reads itself (OPENSSL_COMPATIBLE_DEFAULTS sets
     * SSL_MODE_AUTO_RETRY); the driver does that, and a step must not spin. */
    (void)wolfSSL_CTX_clear_mode(t->ctx, SSL_MODE_AUTO_RETRY);
    if (cfg->role == TH_ROLE_SERVER)
        return setup_server(t, cfg, err);
    return setup_client(t, cfg, err);
}

TH_MUST_CHECK static int ws_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out,
                                    struct th_error *err)
{
    *out = NULL;
    int code = 0;
    if (th_wolfssl_init(&code) != 0)
        return fail_ctx(err, code, "wolfSSL_Init");
    if (cfg->n_suites > TH_MAX_SUITES || cfg->n_groups > TH_MAX_GROUPS ||
        cfg->n_alpn > TH_MAX_ALPN) {
        TH_FAULT(err, 0, "configuration lists too long");
        return -1;
    }
    struct th_ctx *t = th_xcalloc(1, sizeof(*t));
    t->role = cfg->role;
    t->ctx = wolfSSL_CTX_new(cfg->role == TH_ROLE_SERVER ? wolfSSLv23_server_method()
                                                         : wolfSSLv23_client_method());
    if (!t->ctx) {
        free(t);
        th_error_set(err, TH_INTERNAL_ERROR, 0, "wolfSSL_CTX_new failed");
        return -1;
    }
    if (configure(t, cfg, err) != 0) {
        ws_ctx_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- connections ---- */

/* The client's ALPN list, comma-separated as wolfSSL_UseALPN takes it. A server
 * that picks none of it is no failure (CONTINUE_ON_MISMATCH). */
TH_MUST_CHECK static int client_alpn(struct th_conn *c, struct th_error *err)
{
    char list[TH_MAX_ALPN * 256] = "";
    size_t n = 0;
    for (size_t i = 0; i < c->ctx->n_alpn; i++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? "," : "", c->ctx->alpn[i]);
    int ret =
        wolfSSL_UseALPN(c->ssl, list, (unsigned)strlen(list), WOLFSSL_ALPN_CONTINUE_ON_MISMATCH);
    return ret == WOLFSSL_SUCCESS ? 0 : fail_ctx(err, ret, "wolfSSL_UseALPN");
}

/* The client's per-connection settings: SNI, the name to check, ALPN, and the
 * session to offer. An IP literal is matched against IP SANs, never as a DNS
 * name. */
TH_MUST_CHECK static int setup_client_conn(struct th_conn *c, struct th_session *resume_from,
                                           struct th_error *err)
{
    const char *sni = c->ctx->sni;
    int ret;
    if (sni && (ret = wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, sni,
                                     (unsigned short)strlen(sni))) != WOLFSSL_SUCCESS)
        return fail_ctx(err, ret, "wolfSSL_UseSNI");
    TH_GUARD(th_wolfssl_client_host(c, err));
    if (c->ctx->n_alpn)
        TH_GUARD(client_alpn(c, err));
    if (resume_from && (ret = wolfSSL_set_session(c->ssl, resume_from->sess)) != WOLFSSL_SUCCESS)
        return fail_ctx(err, ret, "wolfSSL_set_session");
    return 0;
}

static void ws_conn_free(struct th_conn *c)
{
    if (!c)
        return;
    wolfSSL_free(c->ssl);
    free(c);
}

TH_MUST_CHECK static int ws_conn_new(struct th_ctx *ctx, const struct th_io *io,
                                     struct th_session *resume_from, struct th_conn **out,
                                     struct th_error *err)
{
    *out = NULL;
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->io = *io;
    c->ssl = wolfSSL_new(ctx->ctx);
    if (!c->ssl) {
        free(c);
        th_error_set(err, TH_INTERNAL_ERROR, 0, "wolfSSL_new failed");
        return -1;
    }
    wolfSSL_SetIOReadCtx(c->ssl, c);
    wolfSSL_SetIOWriteCtx(c->ssl, c);
    if (wolfSSL_set_ex_data(c->ssl, 0, c) != WOLFSSL_SUCCESS) {
        ws_conn_free(c);
        th_error_set(err, TH_INTERNAL_ERROR, 0, "wolfSSL_set_ex_data failed");
        return -1;
    }
    if (ctx->role == TH_ROLE_CLIENT && setup_client_conn(c, resume_from, err) != 0) {
        ws_conn_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static enum th_step ws_handshake(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    int ret = c->ctx->role == TH_ROLE_SERVER ? wolfSSL_accept(c->ssl) : wolfSSL_connect(c->ssl);
    if (ret == WOLFSSL_SUCCESS) {
        drain_errors();
        c->hs_done = 1;
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

static enum th_step ws_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                             struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    if (len == 0)
        return TH_STEP_DONE;
    int n = len > INT32_MAX ? INT32_MAX : (int)len;
    int ret = wolfSSL_write(c->ssl, buf, n);
    if (ret > 0) {
        drain_errors();
        *done = (size_t)ret;
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

static enum th_step ws_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                            struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    if (len == 0)
        return TH_STEP_DONE;
    int n = len > INT32_MAX ? INT32_MAX : (int)len;
    int ret = wolfSSL_read(c->ssl, buf, n);
    if (ret > 0) {
        drain_errors();
        *done = (size_t)ret;
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

/* wolfSSL_shutdown says "not done" (0 in this build, WOLFSSL_ERROR_CODE_OPENSSL)
 * once its close_notify is out and the peer's has not come: that is enough. */
static enum th_step ws_shutdown(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    int ret = wolfSSL_shutdown(c->ssl);
    if (ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE)
        return TH_STEP_DONE;
    return step_result(c, ret, err);
}

static void ws_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    th_wolfssl_cert_state(c, out);
    if (!c->hs_done)
        return;
    out->version = th_wolfssl_version_id(wolfSSL_get_version(c->ssl));
    out->suite = (uint16_t)(wolfSSL_get_current_cipher_suite(c->ssl) & 0xffff);
    out->resumed = wolfSSL_session_reused(c->ssl) == 1;
    const struct th_suite_info *si = th_suite_by_id(out->suite);
    /* a resumed TLS 1.2 session has no key exchange; RSA key transport none at all */
    if (si && strcmp(si->kx, "RSA") != 0 && !(out->resumed && out->version != TH_TLS13))
        out->group = th_wolfssl_group_id(wolfSSL_get_curve_name(c->ssl));
    if (!out->group && out->version == TH_TLS13)
        out->group = c->hello_group;
    char *alpn = NULL;
    unsigned short alpn_len = 0;
    if (wolfSSL_ALPN_GetProtocol(c->ssl, &alpn, &alpn_len) == WOLFSSL_SUCCESS && alpn) {
        if (alpn_len >= sizeof(out->alpn))
            alpn_len = sizeof(out->alpn) - 1;
        memcpy(out->alpn, alpn, alpn_len);
    }
    drain_errors(); /* a connection without ALPN queues WOLFSSL_ALPN_NOT_FOUND */
}

/* A deep copy: the connection's own session changes as later tickets arrive. */
static struct th_session *ws_session_get(struct th_conn *c)
{
    if (!c->hs_done || c->ctx->role != TH_ROLE_CLIENT)
        return NULL;
    WOLFSSL_SESSION *s = wolfSSL_get_session(c->ssl);
    if (!s || wolfSSL_SESSION_is_resumable(s) != 1) {
        drain_errors();
        return NULL;
    }
    WOLFSSL_SESSION *dup = wolfSSL_SESSION_dup(s);
    drain_errors();
    if (!dup)
        return NULL;
    struct th_session *ts = th_xmalloc(sizeof(*ts));
    ts->sess = dup;
    return ts;
}

static void ws_session_free(struct th_session *s)
{
    if (!s)
        return;
    wolfSSL_SESSION_free(s->sess);
    free(s);
}

/* ---- the data path: KeyUpdate ---- */

/* wolfSSL_update_keys sends a KeyUpdate asking the peer to update too
 * (update_requested) and switches its sending keys. WANT_WRITE: it is queued. */
static enum th_step ws_key_update(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    if (th_wolfssl_version_id(wolfSSL_get_version(c->ssl)) != TH_TLS13) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "KeyUpdate needs TLS 1.3; this connection runs %s",
                     wolfSSL_get_version(c->ssl));
        return TH_STEP_FAILED;
    }
    int ret = wolfSSL_update_keys(c->ssl);
    if (ret == WOLFSSL_SUCCESS || ret == WANT_WRITE)
        return TH_STEP_DONE;
    fail_ctx(err, ret, "wolfSSL_update_keys");
    return TH_STEP_FAILED;
}

/* ---- identity ---- */

static const char *ws_version(void)
{
    return th_wolfssl_version();
}

/* A suite we can run: an IANA entry, a certificate the test PKI has (RSA, ECDSA), no
 * PSK or anonymous exchange (no credentials for them), and encryption. */
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

static void ws_caps(struct th_caps *out)
{
    /* ECDHE curves and the RFC 7919 groups this build has (HAVE_FFDHE_2048, _3072) */
    static const uint16_t groups[] = {0x001D, 0x0017, 0x0018, 0x0019, 0x001E, 0x0100, 0x0101};
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    out->versions = WS_VERSIONS;
    out->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    /* No TH_CAP_EARLY_DATA / ANTI_REPLAY: Debian builds wolfSSL without
     * WOLFSSL_EARLY_DATA. No TH_CAP_OCSP_*: a wolfSSL client does not say whether a
     * TLS 1.3 staple came (wolfSSL_get_tlsext_status_ocsp_resp is empty on a
     * client, its status callback is a server's), so observed.ocsp could not be
     * told; and its server, given a status callback, checks its own chain first and
     * did not staple every response handed to it (the backend's README).
     * TH_CAP_IP_SAN: wolfSSL_check_domain_name compares IP SANs too
     * (wolfssl_cert.c). */
    out->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                    TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER | TH_CAP_DRIVER_IO |
                    TH_CAP_TRUNCATION | TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH;
    uint16_t all[TH_MAX_SUITES];
    size_t n = th_wolfssl_suites(all, TH_ARRAY_LEN(all));
    for (size_t i = 0; i < n && out->n_suites < TH_MAX_SUITES; i++)
        if (suite_usable(all[i]))
            out->suites[out->n_suites++] = all[i];
    memcpy(out->groups, groups, sizeof(groups));
    out->n_groups = TH_ARRAY_LEN(groups);
    /* what setup_server, set_groups, set_suites and configure change */
    out->defaults_changed[0] = "server: DHE suites get the RFC 7919 ffdhe2048 parameters "
                               "(wolfSSL_CTX_SetTmpDH); the library offers none without them";
    out->defaults_changed[1] = "server: follows the client's suite order unless "
                               "prefer_server_order (wolfSSL_CTX_UseClientSuites); the "
                               "library's own default is its own order";
    out->defaults_changed[2] = "groups: the curves left out of a group list are turned off "
                               "(wolfSSL_CTX_set1_curves_list), which wolfSSL_CTX_set_groups "
                               "alone does not do for TLS 1.2";
    out->defaults_changed[3] = "client: a TLS 1.3-only client without a suite list offers the "
                               "library's TLS 1.3 suites only (it would offer its TLS 1.2 ones "
                               "too); SSL_MODE_AUTO_RETRY off, partial writes on";
}

const struct th_backend th_backend_wolfssl = {
    /* identity */
    .name = "wolfssl",
    .library = "wolfSSL",
    .version = ws_version,
    .caps = ws_caps,
    /* set-up: wolfSSL_Init once, on first use (wolfssl_map.c) */
    .init = NULL,
    .cleanup = NULL,
    /* driver-owned I/O */
    .ctx_new = ws_ctx_new,
    .ctx_free = ws_ctx_free,
    .conn_new = ws_conn_new,
    .handshake = ws_handshake,
    .write = ws_write,
    .read = ws_read,
    .shutdown = ws_shutdown,
    .negotiated = ws_negotiated,
    .conn_free = ws_conn_free,
    /* client resumption */
    .session_get = ws_session_get,
    .session_free = ws_session_free,
    .fetch = NULL, /* not a socket-owning backend */
    /* data path */
    .key_update = ws_key_update,
    .aead_cost = th_wolfssl_aead_cost,
    /* no early data: this build has no WOLFSSL_EARLY_DATA */
    .early_write = NULL,
    /* inspection */
    .peer_info = th_wolfssl_peer_info,
};
