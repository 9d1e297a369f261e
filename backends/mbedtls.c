/* The mbedTLS 2.28 backend: client and server roles, with driver-owned I/O through
 * mbedtls_ssl_set_bio. Configuration arrives in IANA terms and is translated here;
 * native errors and certificate verification flags are mapped to the shared outcome
 * vocabulary (mbedtls_map.c), keeping mbedTLS's own code and text beside them. The
 * aead_cost op is mbedtls_aead.c.
 *
 * mbedTLS 2.28 speaks TLS 1.0-1.2 only (its TLS 1.3 is a 3.x feature: asking 2.28 for
 * a 1.3 minimum crashes the handshake), so versions are clamped to what it has and a
 * configuration holding none of them is refused in ctx_new.
 *
 * 2.28 has no public getter for two things the harness reports, so both are read
 * from the server's plaintext flight as it crosses the driver's transport
 * (mbedtls_flight.c): the key exchange group is the named curve of the ServerKeyExchange, and
 * a handshake is resumed when the server's flight had a ServerHello but no
 * ServerHelloDone (RFC 5246 7.3: only a full handshake sends one).
 *
 * Process-wide state: the library's own tables, built once (mbedtls_map.c). Each
 * context has its own DRBG; the build has MBEDTLS_THREADING_C, so the DRBG, the
 * ticket keys and the session cache lock themselves. */
#include "backend.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/dhm.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "harness/vocab/util.h"
#include "mbedtls_aead.h"
#include "mbedtls_flight.h"
#include "mbedtls_map.h"

/* What the library can negotiate (its TLS 1.3 is not there in 2.28). */
#define MB_VERSIONS (TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11) | TH_VBIT(TH_TLS12))

/* ---- objects ---- */

struct th_ctx {
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;    /* client: trust anchors; server: client_ca_file */
    mbedtls_x509_crl crl;   /* client: revocation lists */
    mbedtls_x509_crt chain; /* own chain: a server's always, a client's when given */
    mbedtls_pk_context key; /* own leaf's key */
    mbedtls_ssl_ticket_context ticket;
    mbedtls_ssl_cache_context cache;
    /* Lists the config points to: they live as long as it does. */
    int suites[TH_MAX_SUITES + 1];                  /* 0-terminated */
    mbedtls_ecp_group_id curves[TH_MAX_GROUPS + 1]; /* MBEDTLS_ECP_DP_NONE-terminated */
    char *alpn[TH_MAX_ALPN + 1];                    /* NULL-terminated */
    enum th_role role;
    int verify;
    int own_cert;                    /* chain and key are loaded */
    enum th_client_auth client_auth; /* server */
    char *hostname;
    char *sni;
};

struct th_conn {
    mbedtls_ssl_context ssl;
    struct th_ctx *ctx;
    struct th_io io;
    struct th_mbedtls_flight flight;
    int io_failed; /* the transport said TH_IO_FAIL */
    int hs_done;   /* the handshake completed */
    int failed;    /* a step failed: the connection is dead, err keeps why */
    struct th_error err;
    /* the chain check, as the verify callback saw it */
    struct th_mbedtls_chain chain;
    const mbedtls_x509_crt *top; /* the top of the chain built: valid during the check */
    uint32_t top_flags;
};

struct th_session {
    mbedtls_ssl_session sess;
};

/* ---- the transport: records move only through the driver's struct th_io ---- */

static int bio_send(void *p, const unsigned char *buf, size_t len)
{
    struct th_conn *c = p;
    ssize_t n = c->io.send(c->io.ctx, buf, len);
    if (n > 0) {
        if (c->ctx->role == TH_ROLE_SERVER)
            th_mbedtls_flight_feed(&c->flight, buf, (size_t)n);
        return (int)n;
    }
    if (n == TH_IO_AGAIN)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    c->io_failed = 1;
    return MBEDTLS_ERR_NET_CONN_RESET;
}

static int bio_recv(void *p, unsigned char *buf, size_t len)
{
    struct th_conn *c = p;
    ssize_t n = c->io.recv(c->io.ctx, buf, len);
    if (n > 0) {
        if (c->ctx->role == TH_ROLE_CLIENT)
            th_mbedtls_flight_feed(&c->flight, buf, (size_t)n);
        return (int)n;
    }
    if (n == 0)
        return 0; /* end of stream: mbedTLS says MBEDTLS_ERR_SSL_CONN_EOF */
    if (n == TH_IO_AGAIN)
        return MBEDTLS_ERR_SSL_WANT_READ;
    c->io_failed = 1;
    return MBEDTLS_ERR_NET_CONN_RESET;
}

/* ---- errors ---- */

/* A set-up failure: what we were doing and mbedTLS's words for ret. */
static int fail_ctx(struct th_error *err, int ret, const char *what)
{
    th_mbedtls_error(err, ret, what);
    return -1;
}

/* The check of the peer's certificate (a client's of the server's, a server's of
 * a client's), when it is what stopped the handshake. The code is the verification
 * flags; the text names the error and every flag, and for NOT_TRUSTED the chain
 * lengths the outcome was told apart by. No certificate at all is not a verdict on
 * one: NO_CLIENT_CERTIFICATE maps by its code (certificate_required). */
static int verify_failure(struct th_conn *c, int ret, struct th_error *err)
{
    int checks = c->ctx->role == TH_ROLE_CLIENT ? c->ctx->verify
                                                : c->ctx->client_auth != TH_CLIENT_AUTH_NONE;
    if (!checks || ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
        return 0;
    uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
    if (flags == 0 || flags == UINT32_MAX) /* passed, or not checked yet */
        return 0;
    char what[128], why[160];
    mbedtls_strerror(ret, what, sizeof(what));
    th_mbedtls_flags_text(flags, why, sizeof(why));
    enum th_outcome o = th_mbedtls_flags_outcome(flags, &c->chain);
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        th_error_set(err, o, (long)flags, "%s: flags 0x%x: %s (chain built %d, sent %d)", what,
                     (unsigned)flags, why, c->chain.len, c->chain.sent);
    else
        th_error_set(err, o, (long)flags, "%s: flags 0x%x: %s", what, (unsigned)flags, why);
    return 1;
}

static void map_failure(struct th_conn *c, int ret, struct th_error *err)
{
    char buf[160];
    mbedtls_strerror(ret, buf, sizeof(buf));
    if (c->io_failed) {
        th_error_set(err, TH_IO_ERROR, ret, "transport error: %s", buf);
        return;
    }
    if (verify_failure(c, ret, err))
        return;
    /* 2.28 has no getter for a received alert; the record it came in is still in
     * the context's public input buffer fields. */
    int alert = -1;
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && c->ssl.in_msg &&
        c->ssl.in_msgtype == MBEDTLS_SSL_MSG_ALERT)
        alert = c->ssl.in_msg[1];
    if (alert >= 0)
        th_error_set(err, th_mbedtls_ret_outcome(ret, alert), ret, "%s: alert %d", buf, alert);
    else
        th_error_set(err, th_mbedtls_ret_outcome(ret, alert), ret, "%s", buf);
}

/* Turn an mbedtls_ssl_* call's negative return into a step. A failure is final: the
 * connection keeps it and repeats it to any later step. */
static enum th_step step_result(struct th_conn *c, int ret, struct th_error *err)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_WANT_READ: return TH_STEP_WANT_READ;
    case MBEDTLS_ERR_SSL_WANT_WRITE: return TH_STEP_WANT_WRITE;
    default:
        c->failed = 1;
        /* 2.28 fails a server that required a certificate and got none without an
         * alert, which would leave the client waiting: TLS 1.2 has no
         * certificate_required, so handshake_failure (best effort, as the
         * library's own alerts are). */
        if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
            (void)mbedtls_ssl_send_alert_message(&c->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                                 MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
        map_failure(c, ret, &c->err);
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

/* Records the chain as mbedTLS built it (called from its top down to the leaf) and as
 * the peer sent it, which tells a bad signature, a self-signed leaf, a missing
 * intermediate and an issuer mbedTLS passed over from an unknown CA. */
static int verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct th_conn *c = p;
    if (depth + 1 > c->chain.len) { /* the first call: the top */
        c->chain.len = depth + 1;
        c->top = crt;
        c->top_flags = *flags;
    }
    if (depth != 0)
        return 0;
    /* the leaf heads the list of what the peer sent */
    c->chain.sent = 0;
    for (const mbedtls_x509_crt *s = crt; s && s->raw.len; s = s->next)
        c->chain.sent++;
    c->chain.issuer_why = TH_OK;
    if (c->top_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        c->chain.issuer_why = th_mbedtls_issuer_refused(c->top, c->chain.len, crt, &c->ctx->ca);
    c->chain.leaf_flags = *flags;
    c->chain.leaf_self_issued =
        crt->subject_raw.len == crt->issuer_raw.len &&
        memcmp(crt->subject_raw.p, crt->issuer_raw.p, crt->issuer_raw.len) == 0;
    /* SNI without a name to check: mbedtls_ssl_set_hostname sets both, so the name
     * check it adds is not one we were asked for. */
    if (!c->ctx->hostname)
        *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

/* ---- configuration ---- */

/* Always both ends of the range: left alone, the library's range is 1.0-1.2. A
 * 1.3 bound never reaches mbedTLS. */
TH_MUST_CHECK static int set_versions(struct th_ctx *t, unsigned set, struct th_error *err)
{
    unsigned have = set & MB_VERSIONS;
    if (!have) {
        th_error_set(err, TH_INTERNAL_ERROR, 0,
                     "mbedTLS %s lacks every requested version (it has TLS 1.0-1.2, no 1.3)",
                     th_mbedtls_version());
        return -1;
    }
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 th_versions_lowest(have) & 0xff);
    mbedtls_ssl_conf_max_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 th_versions_highest(have) & 0xff);
    return 0;
}

/* mbedTLS names suites by their IANA ids: the list is the config's, 0-terminated. */
TH_MUST_CHECK static int set_suites(struct th_ctx *t, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    for (size_t i = 0; i < cfg->n_suites; i++) {
        if (!mbedtls_ssl_ciphersuite_from_id(cfg->suites[i])) {
            const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
            th_error_set(err, TH_INTERNAL_ERROR, cfg->suites[i],
                         "suite 0x%04x (%s) is unknown to %s", cfg->suites[i], s ? s->name : "?",
                         th_mbedtls_version());
            return -1;
        }
        t->suites[i] = cfg->suites[i];
    }
    t->suites[cfg->n_suites] = 0;
    if (cfg->n_suites)
        mbedtls_ssl_conf_ciphersuites(&t->conf, t->suites);
    return 0;
}

/* Only elliptic curves: 2.28 does not negotiate finite-field groups (RFC 7919) -
 * a DHE server sends the parameters it was given, see setup_server. */
TH_MUST_CHECK static int set_groups(struct th_ctx *t, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    for (size_t i = 0; i < cfg->n_groups; i++) {
        const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_tls_id(cfg->groups[i]);
        if (!ci) {
            const struct th_group_info *g = th_group_by_id(cfg->groups[i]);
            th_error_set(err, TH_INTERNAL_ERROR, cfg->groups[i],
                         "group 0x%04x (%s) is not a group %s negotiates", cfg->groups[i],
                         g ? g->name : "?", th_mbedtls_version());
            return -1;
        }
        t->curves[i] = ci->grp_id;
    }
    t->curves[cfg->n_groups] = MBEDTLS_ECP_DP_NONE;
    if (cfg->n_groups)
        mbedtls_ssl_conf_curves(&t->conf, t->curves);
    return 0;
}

/* A server picks the first of its own protocols the client offered; with no
 * overlap mbedTLS 2.28 refuses the handshake (no_application_protocol alert). */
TH_MUST_CHECK static int set_alpn(struct th_ctx *t, const struct th_tls_config *cfg,
                                  struct th_error *err)
{
    if (!cfg->n_alpn)
        return 0;
    for (size_t i = 0; i < cfg->n_alpn; i++)
        t->alpn[i] = th_xstrdup(cfg->alpn[i]);
    int ret = mbedtls_ssl_conf_alpn_protocols(&t->conf, (const char **)t->alpn);
    return ret ? fail_ctx(err, ret, "mbedtls_ssl_conf_alpn_protocols") : 0;
}

/* The endpoint's own chain and key: a server's always, a client's when it has one
 * to present (the library sends it only when the server asks). */
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
    int ret = mbedtls_x509_crt_parse_file(&t->chain, cfg->cert_file);
    if (ret != 0) /* > 0: some certificates of the file did not parse */
        return fail_ctx(err, ret < 0 ? ret : MBEDTLS_ERR_X509_INVALID_FORMAT, cfg->cert_file);
    if ((ret = mbedtls_pk_parse_keyfile(&t->key, cfg->key_file, NULL)) != 0 ||
        (ret = mbedtls_pk_check_pair(&t->chain.pk, &t->key)) != 0)
        return fail_ctx(err, ret, cfg->key_file);
    ret = mbedtls_ssl_conf_own_cert(&t->conf, &t->chain, &t->key);
    if (ret)
        return fail_ctx(err, ret, "mbedtls_ssl_conf_own_cert");
    t->own_cert = 1;
    return 0;
}

/* Client certificates: REQUIRED fails a handshake without one or with one that does
 * not verify; OPTIONAL lets both through, so "request" refuses a certificate that
 * arrived and failed itself (check_requested), as OpenSSL's VERIFY_PEER does. The
 * roots go in `ca`, where the verify callback looks for issuers it passed over. A
 * root mbedTLS will not load is anchor_unusable, as on a client. */
TH_MUST_CHECK static int setup_client_auth(struct th_ctx *t, const struct th_tls_config *cfg,
                                           struct th_error *err)
{
    t->client_auth = cfg->client_auth;
    if (cfg->client_auth == TH_CLIENT_AUTH_NONE) {
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
        return 0;
    }
    if (!cfg->client_ca_file) {
        TH_FAULT(err, 0, "client certificates asked for without client_ca_file");
        return -1;
    }
    int ret = mbedtls_x509_crt_parse_file(&t->ca, cfg->client_ca_file);
    if (ret != 0) {
        th_mbedtls_anchor_error(err, ret, cfg->client_ca_file, 0);
        return -1;
    }
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_authmode(&t->conf, cfg->client_auth == TH_CLIENT_AUTH_REQUIRE
                                            ? MBEDTLS_SSL_VERIFY_REQUIRED
                                            : MBEDTLS_SSL_VERIFY_OPTIONAL);
    return 0;
}

/* Suite order: 2.28 servers always choose by their own list (unless the library was
 * built with MBEDTLS_SSL_SRV_RESPECT_CLIENT_PREFERENCE, which Debian's is not), so
 * prefer_server_order has nothing to switch. */
TH_MUST_CHECK static int setup_server(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    static const unsigned char dh_p[] = MBEDTLS_DHM_RFC7919_FFDHE2048_P_BIN;
    static const unsigned char dh_g[] = MBEDTLS_DHM_RFC7919_FFDHE2048_G_BIN;
    TH_GUARD(load_own_cert(t, cfg, err));
    TH_GUARD(setup_client_auth(t, cfg, err));
    /* DHE suites: the RFC 7919 ffdhe2048 group (the library's default is RFC 3526's
     * 2048-bit MODP group), sent as explicit parameters. */
    int ret = mbedtls_ssl_conf_dh_param_bin(&t->conf, dh_p, sizeof(dh_p), dh_g, sizeof(dh_g));
    if (ret)
        return fail_ctx(err, ret, "mbedtls_ssl_conf_dh_param_bin");
    if (cfg->tickets) {
        ret = mbedtls_ssl_ticket_setup(&t->ticket, mbedtls_ctr_drbg_random, &t->drbg,
                                       MBEDTLS_CIPHER_AES_256_GCM, 86400);
        if (ret)
            return fail_ctx(err, ret, "mbedtls_ssl_ticket_setup");
        mbedtls_ssl_conf_session_tickets_cb(&t->conf, mbedtls_ssl_ticket_write,
                                            mbedtls_ssl_ticket_parse, &t->ticket);
    }
    if (cfg->session_cache)
        mbedtls_ssl_conf_session_cache(&t->conf, &t->cache, mbedtls_ssl_cache_get,
                                       mbedtls_ssl_cache_set);
    return set_alpn(t, cfg, err);
}

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    int ret;
    /* An anchor or CRL mbedTLS refuses (a critical extension it has no parser for,
     * name constraints among them; a DSA key) is a verdict on the library, outcome
     * anchor_unusable; an unreadable file is not (th_mbedtls_anchor_error). Any one
     * refused refuses the file, as OpenSSL does. */
    if (cfg->ca_file && (ret = mbedtls_x509_crt_parse_file(&t->ca, cfg->ca_file)) != 0) {
        th_mbedtls_anchor_error(err, ret, cfg->ca_file, 0);
        return -1;
    }
    /* every CRL in the file: the PKI's holds one per CA */
    if (cfg->crl_file && (ret = mbedtls_x509_crl_parse_file(&t->crl, cfg->crl_file)) != 0) {
        th_mbedtls_anchor_error(err, ret, cfg->crl_file, 1);
        return -1;
    }
    if (cfg->ca_file)
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, cfg->crl_file ? &t->crl : NULL);
    /* verify 0: OPTIONAL still checks and keeps the result, but goes on. */
    t->verify = cfg->verify;
    mbedtls_ssl_conf_authmode(&t->conf, cfg->verify ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                    : MBEDTLS_SSL_VERIFY_OPTIONAL);
    /* Asking for session-id resumption: offer no ticket, so a server that would
     * issue one falls back to its cache. */
    mbedtls_ssl_conf_session_tickets(&t->conf, cfg->resume == TH_RESUME_SESSION_ID
                                                   ? MBEDTLS_SSL_SESSION_TICKETS_DISABLED
                                                   : MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    TH_GUARD(set_alpn(t, cfg, err));
    TH_GUARD(load_own_cert(t, cfg, err));
    t->hostname = cfg->hostname ? th_xstrdup(cfg->hostname) : NULL;
    t->sni = cfg->sni ? th_xstrdup(cfg->sni) : NULL;
    return 0;
}

static void mb_ctx_free(struct th_ctx *t)
{
    if (!t)
        return;
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_ssl_ticket_free(&t->ticket);
    mbedtls_ssl_cache_free(&t->cache);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_x509_crl_free(&t->crl);
    mbedtls_x509_crt_free(&t->chain);
    mbedtls_pk_free(&t->key);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    for (size_t i = 0; t->alpn[i]; i++)
        free(t->alpn[i]);
    free(t->hostname);
    free(t->sni);
    free(t);
}

/* Every member initialised first, so mb_ctx_free can run at any point after. */
static struct th_ctx *ctx_alloc(enum th_role role)
{
    struct th_ctx *t = th_xcalloc(1, sizeof(*t));
    t->role = role;
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_x509_crl_init(&t->crl);
    mbedtls_x509_crt_init(&t->chain);
    mbedtls_pk_init(&t->key);
    mbedtls_ssl_ticket_init(&t->ticket);
    mbedtls_ssl_cache_init(&t->cache);
    return t;
}

TH_MUST_CHECK static int configure(struct th_ctx *t, const struct th_tls_config *cfg,
                                   struct th_error *err)
{
    static const unsigned char pers[] = "tlsharness mbedtls";
    int ret =
        mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, pers, sizeof(pers) - 1);
    if (ret)
        return fail_ctx(err, ret, "mbedtls_ctr_drbg_seed");
    ret = mbedtls_ssl_config_defaults(
        &t->conf, cfg->role == TH_ROLE_SERVER ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
        MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret)
        return fail_ctx(err, ret, "mbedtls_ssl_config_defaults");
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    TH_GUARD(set_versions(t, cfg->versions, err));
    TH_GUARD(set_suites(t, cfg, err));
    TH_GUARD(set_groups(t, cfg, err));
    if (cfg->role == TH_ROLE_SERVER)
        return setup_server(t, cfg, err);
    return setup_client(t, cfg, err);
}

TH_MUST_CHECK static int mb_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out,
                                    struct th_error *err)
{
    *out = NULL;
    th_mbedtls_init();
    if (cfg->n_suites > TH_MAX_SUITES || cfg->n_groups > TH_MAX_GROUPS ||
        cfg->n_alpn > TH_MAX_ALPN) {
        TH_FAULT(err, 0, "configuration lists too long");
        return -1;
    }
    struct th_ctx *t = ctx_alloc(cfg->role);
    if (configure(t, cfg, err) != 0) {
        mb_ctx_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- connections ---- */

/* The client's per-connection settings: the name to check and send, the verify
 * callback, and the session to offer. 2.28 has one name for both SNI and the
 * check, and matches it against DNS names only (no IP SANs). */
TH_MUST_CHECK static int setup_client_conn(struct th_conn *c, struct th_session *resume_from,
                                           struct th_error *err)
{
    const char *name = c->ctx->hostname ? c->ctx->hostname : c->ctx->sni;
    int ret;
    if (name && (ret = mbedtls_ssl_set_hostname(&c->ssl, name)) != 0)
        return fail_ctx(err, ret, "mbedtls_ssl_set_hostname");
    mbedtls_ssl_set_verify(&c->ssl, verify_cb, c);
    if (resume_from && (ret = mbedtls_ssl_set_session(&c->ssl, &resume_from->sess)) != 0)
        return fail_ctx(err, ret, "mbedtls_ssl_set_session");
    return 0;
}

static void mb_conn_free(struct th_conn *c)
{
    if (!c)
        return;
    mbedtls_ssl_free(&c->ssl);
    free(c);
}

TH_MUST_CHECK static int mb_conn_new(struct th_ctx *ctx, const struct th_io *io,
                                     struct th_session *resume_from, struct th_conn **out,
                                     struct th_error *err)
{
    *out = NULL;
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->io = *io;
    mbedtls_ssl_init(&c->ssl);
    int ret = mbedtls_ssl_setup(&c->ssl, &ctx->conf);
    if (ret) {
        mb_conn_free(c);
        return fail_ctx(err, ret, "mbedtls_ssl_setup");
    }
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    if (ctx->role == TH_ROLE_CLIENT && setup_client_conn(c, resume_from, err) != 0) {
        mb_conn_free(c);
        return -1;
    }
    /* a server checking client certificates: the same chain details as a client's */
    if (ctx->role == TH_ROLE_SERVER && ctx->client_auth != TH_CLIENT_AUTH_NONE)
        mbedtls_ssl_set_verify(&c->ssl, verify_cb, c);
    *out = c;
    return 0;
}

/* "request": a client certificate that arrived and did not verify fails the
 * handshake here, right after the server read it (before its Finished), with the
 * alert mbedTLS itself sends for the same flags under REQUIRED. None at all
 * (BADCERT_MISSING alone) is what request allows. */
static int check_requested(struct th_conn *c)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
    if (flags == 0 || flags == MBEDTLS_X509_BADCERT_MISSING)
        return 0;
    (void)mbedtls_ssl_send_alert_message(&c->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                         th_mbedtls_flags_alert(flags));
    return MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
}

/* mbedtls_ssl_handshake is this loop (2.28's ssl_tls.c); stepping it ourselves lets
 * a requesting server judge the client's certificate once it has been read. */
static int run_handshake(struct th_conn *c)
{
    int judge = c->ctx->role == TH_ROLE_SERVER && c->ctx->client_auth == TH_CLIENT_AUTH_REQUEST;
    int ret = 0;
    while (ret == 0 && c->ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        int state = c->ssl.state;
        ret = mbedtls_ssl_handshake_step(&c->ssl);
        if (ret == 0 && judge && state == MBEDTLS_SSL_CLIENT_CERTIFICATE && c->ssl.state != state)
            ret = check_requested(c);
    }
    return ret;
}

static enum th_step mb_handshake(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    int ret = run_handshake(c);
    if (ret == 0) {
        c->hs_done = 1;
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

/* After WANT_WRITE mbedTLS has the record already; the driver calls again with the
 * same (possibly moved) bytes, and the return says how many that record took. */
static enum th_step mb_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                             struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    int ret = mbedtls_ssl_write(&c->ssl, buf, len);
    if (ret >= 0) {
        *done = (size_t)ret;
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

static enum th_step mb_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                            struct th_error *err)
{
    *done = 0;
    if (c->failed)
        return repeat_failure(c, err);
    if (len == 0)
        return TH_STEP_DONE;
    int ret = mbedtls_ssl_read(&c->ssl, buf, len);
    if (ret > 0) {
        *done = (size_t)ret;
        return TH_STEP_DONE;
    }
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
        return TH_STEP_CLOSED;
    /* 0: the transport ended without close_notify (mbedtls_ssl_read turns its own
     * MBEDTLS_ERR_SSL_CONN_EOF into 0). */
    return step_result(c, ret == 0 ? MBEDTLS_ERR_SSL_CONN_EOF : ret, err);
}

static enum th_step mb_shutdown(struct th_conn *c, struct th_error *err)
{
    if (c->failed)
        return repeat_failure(c, err);
    int ret = mbedtls_ssl_close_notify(&c->ssl);
    return ret == 0 ? TH_STEP_DONE : step_result(c, ret, err);
}

static void mb_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    /* A client's view holds after a failure too: the server asked (its
     * CertificateRequest arrived) and it sent its certificate, refused or not. */
    if (c->ctx->role == TH_ROLE_CLIENT) {
        out->cert_requested = c->ssl.client_auth;
        out->client_cert = c->ssl.client_auth && c->ctx->own_cert;
    }
    const char *suite = mbedtls_ssl_get_ciphersuite(&c->ssl);
    if (!c->hs_done || !suite)
        return;
    /* A server's: one arrived and verified (a resumed session keeps its verdict). */
    if (c->ctx->role == TH_ROLE_SERVER && c->ctx->client_auth != TH_CLIENT_AUTH_NONE)
        out->client_cert = mbedtls_ssl_get_peer_cert(&c->ssl) != NULL &&
                           mbedtls_ssl_get_verify_result(&c->ssl) == 0;
    out->version = th_mbedtls_version_id(mbedtls_ssl_get_version(&c->ssl));
    out->suite = (uint16_t)mbedtls_ssl_get_ciphersuite_id(suite);
    /* Read off the wire (see the top of the file). */
    out->resumed = c->flight.hello && !c->flight.hello_done;
    const struct th_suite_info *si = th_suite_by_id(out->suite);
    if (si && strcmp(si->kx, "ECDHE") == 0 && !out->resumed)
        out->group = c->flight.curve;
    const char *alpn = mbedtls_ssl_get_alpn_protocol(&c->ssl);
    if (alpn)
        th_strlcpy(out->alpn, alpn, sizeof(out->alpn));
}

static struct th_session *mb_session_get(struct th_conn *c)
{
    if (!c->hs_done || c->ctx->role != TH_ROLE_CLIENT)
        return NULL;
    struct th_session *s = th_xmalloc(sizeof(*s));
    mbedtls_ssl_session_init(&s->sess);
    /* A deep copy, ticket included. Nothing to offer: neither an id nor a ticket. */
    if (mbedtls_ssl_get_session(&c->ssl, &s->sess) != 0 ||
        (s->sess.id_len == 0 && s->sess.ticket == NULL)) {
        mbedtls_ssl_session_free(&s->sess);
        free(s);
        return NULL;
    }
    return s;
}

static void mb_session_free(struct th_session *s)
{
    if (!s)
        return;
    mbedtls_ssl_session_free(&s->sess);
    free(s);
}

/* ---- identity ---- */

static const char *mb_version(void)
{
    return th_mbedtls_version();
}

/* A suite we can run: one with an IANA entry, authenticated by a certificate the
 * test PKI has (RSA, ECDSA) and keyed without PSK or static ECDH, for which we have
 * no credentials. */
static int suite_usable(int id)
{
    const struct th_suite_info *s = id > 0 && id <= 0xffff ? th_suite_by_id((uint16_t)id) : NULL;
    if (!s)
        return 0;
    int auth = !strcmp(s->auth, "RSA") || !strcmp(s->auth, "ECDSA");
    int kx = !strcmp(s->kx, "ECDHE") || !strcmp(s->kx, "DHE") || !strcmp(s->kx, "RSA");
    return auth && kx && strcmp(s->cipher, "None") != 0;
}

static void mb_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    th_mbedtls_init();
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    out->versions = MB_VERSIONS;
    out->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    /* No TH_CAP_IP_SAN: 2.28 matches the name against DNS names and the CN only.
     * No TH_CAP_CLIENT_ORDER: a 2.28 server always picks by its own suite order
     * (MBEDTLS_SSL_SRV_RESPECT_CLIENT_PREFERENCE is a build option, off in Debian).
     * TH_CAP_TRUNCATION: an end of stream without close_notify fails the read as
     * truncated (mb_read), never as an orderly close.
     * TH_CAP_CLIENT_CERT, TH_CAP_CLIENT_AUTH: load_own_cert, setup_client_auth. */
    out->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                    TH_CAP_SERVER_ORDER | TH_CAP_DRIVER_IO | TH_CAP_TRUNCATION |
                    TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH;
    for (const int *id = mbedtls_ssl_list_ciphersuites(); *id && out->n_suites < TH_MAX_SUITES;
         id++)
        if (suite_usable(*id))
            out->suites[out->n_suites++] = (uint16_t)*id;
    for (const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_list();
         ci->grp_id != MBEDTLS_ECP_DP_NONE && out->n_groups < TH_MAX_GROUPS; ci++)
        if (th_group_by_id(ci->tls_id))
            out->groups[out->n_groups++] = ci->tls_id;
    /* The defaults changed behind the configuration's back (setup_server,
     * check_requested). */
    out->defaults_changed[0] = "server: DHE suites use the RFC 7919 ffdhe2048 group, not the "
                               "library's default RFC 3526 2048-bit MODP group";
    out->defaults_changed[1] = "server, client_auth request: a client certificate that fails "
                               "verification fails the handshake (the library's "
                               "VERIFY_OPTIONAL would let it through)";
}

const struct th_backend th_backend_mbedtls = {
    /* identity */
    .name = "mbedtls",
    .library = "mbedTLS",
    .version = mb_version,
    .caps = mb_caps,
    /* set-up: nothing process-wide beyond the tables built on first use */
    .init = NULL,
    .cleanup = NULL,
    /* driver-owned I/O */
    .ctx_new = mb_ctx_new,
    .ctx_free = mb_ctx_free,
    .conn_new = mb_conn_new,
    .handshake = mb_handshake,
    .write = mb_write,
    .read = mb_read,
    .shutdown = mb_shutdown,
    .negotiated = mb_negotiated,
    .conn_free = mb_conn_free,
    /* client resumption */
    .session_get = mb_session_get,
    .session_free = mb_session_free,
    /* not a socket-owning backend */
    .fetch = NULL,
    /* data path: no KeyUpdate, which is TLS 1.3 and 2.28 has none; the raw AEAD
     * cost through the cipher layer the record layer uses */
    .key_update = NULL,
    .aead_cost = th_mbedtls_aead_cost,
};
