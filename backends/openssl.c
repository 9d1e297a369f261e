/* The OpenSSL 3 backend: client and server roles, with driver-owned I/O through a
 * custom BIO. Configuration arrives in IANA terms and is translated here; native
 * errors are mapped here to the shared outcome vocabulary, keeping OpenSSL's own code
 * and text beside them.
 *
 * The only process-wide state is the BIO_METHOD and the IANA id -> OpenSSL cipher
 * name table, both built once under pthread_once: TCP cases run the server role in
 * another thread. */
#include "backend.h"

#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "harness/vocab/util.h"
#include "openssl_map.h"

/* ---- process-wide tables, built once ---- */

struct cipher_name {
    uint16_t id;
    char name[64]; /* OpenSSL's name for the suite */
};

/* More than OpenSSL 3.0 knows with ALL:COMPLEMENTOFALL (about 170). */
#define MAX_CIPHERS 256

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_ok;
static BIO_METHOD *bio_method;
static struct cipher_name ciphers[MAX_CIPHERS];
static size_t n_ciphers;

static const char tls13_all[] = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:"
                                "TLS_AES_128_CCM_8_SHA256";

/* Every suite the library can negotiate at security level 0, in OpenSSL's order:
 * the TLS 1.3 ones (including both CCM suites, off by default) first. */
static SSL_CTX *permissive_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (ctx && SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1 &&
        SSL_CTX_set_ciphersuites(ctx, tls13_all) == 1)
        return ctx;
    SSL_CTX_free(ctx);
    return NULL;
}

static int build_cipher_table(void)
{
    SSL_CTX *ctx = permissive_ctx();
    if (!ctx)
        return -1;
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(sk) && n_ciphers < MAX_CIPHERS; i++) {
        const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
        ciphers[n_ciphers].id = (uint16_t)(SSL_CIPHER_get_protocol_id(c) & 0xffff);
        th_strlcpy(ciphers[n_ciphers].name, SSL_CIPHER_get_name(c),
                   sizeof(ciphers[n_ciphers].name));
        n_ciphers++;
    }
    SSL_CTX_free(ctx);
    return 0;
}

static int bio_write(BIO *b, const char *buf, int len);
static int bio_read(BIO *b, char *buf, int len);
static long bio_ctrl(BIO *b, int cmd, long num, void *ptr);
static int bio_create(BIO *b);

static void init_once(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsharness io");
    if (!m || !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
        BIO_meth_free(m);
        return;
    }
    bio_method = m;
    once_ok = build_cipher_table() == 0;
    ERR_clear_error();
}

static int ossl_init(void)
{
    pthread_once(&once, init_once);
    return once_ok ? 0 : -1;
}

static const char *cipher_name(uint16_t id)
{
    for (size_t i = 0; i < n_ciphers; i++)
        if (ciphers[i].id == id)
            return ciphers[i].name;
    return NULL;
}

/* Groups: IANA id, OpenSSL's group name (for set1_groups_list), NID (what
 * SSL_get_negotiated_group returns). */
static const struct {
    uint16_t iana;
    const char *name;
    int nid;
} group_map[] = {
    {0x001D, "X25519", NID_X25519},          {0x001E, "X448", NID_X448},
    {0x0017, "P-256", NID_X9_62_prime256v1}, {0x0018, "P-384", NID_secp384r1},
    {0x0019, "P-521", NID_secp521r1},        {0x0100, "ffdhe2048", NID_ffdhe2048},
    {0x0101, "ffdhe3072", NID_ffdhe3072},    {0x0102, "ffdhe4096", NID_ffdhe4096},
    {0x0103, "ffdhe6144", NID_ffdhe6144},    {0x0104, "ffdhe8192", NID_ffdhe8192},
};

const char *th_ossl_group_name(uint16_t iana)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].iana == iana)
            return group_map[i].name;
    return NULL;
}

static uint16_t group_from_nid(int nid)
{
    /* A group OpenSSL has no NID for comes back as TLSEXT_nid_unknown | IANA id. */
    if (nid & TLSEXT_nid_unknown)
        return (uint16_t)(nid & 0xffff);
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].nid == nid)
            return group_map[i].iana;
    return 0;
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
    X509 *verify_cert; /* the certificate it failed on (a reference) */
};

struct th_session {
    SSL_SESSION *sess;
};

/* ---- the BIO: records move only through the driver's struct th_io ---- */

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

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
    unsigned long e = ERR_peek_error();
    char buf[200] = "no OpenSSL error queued";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    th_error_set(err, TH_INTERNAL_ERROR, (long)e, "%s: %s", what, buf);
    ERR_clear_error();
    return -1;
}

/* INVALID_PURPOSE says only "not for a TLS server": an EKU without serverAuth is
 * bad_eku; otherwise it was the key usage bits. */
static enum th_outcome purpose_outcome(X509 *cert)
{
    if (cert && (X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) &&
        !(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER))
        return TH_BAD_EKU;
    return TH_BAD_KEY_USAGE;
}

enum th_outcome th_ossl_verify_outcome(int code, X509 *cert)
{
    switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return TH_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID: return TH_NOT_YET_VALID;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return TH_HOSTNAME_MISMATCH;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: return TH_SELF_SIGNED;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: return TH_UNKNOWN_CA;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE: return TH_BAD_SIGNATURE;
    case X509_V_ERR_CERT_REVOKED: return TH_REVOKED;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
    case X509_V_ERR_CA_KEY_TOO_SMALL: return TH_WEAK_KEY;
    case X509_V_ERR_CA_MD_TOO_WEAK: return TH_WEAK_SIGNATURE;
    case X509_V_ERR_INVALID_PURPOSE: return purpose_outcome(cert);
    case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN: return TH_BAD_KEY_USAGE;
    default: return TH_HANDSHAKE_FAILURE;
    }
}

static void set_verify_error(int code, int depth, X509 *cert, struct th_error *err)
{
    th_error_set(err, th_ossl_verify_outcome(code, cert), code,
                 "X509 verify error %d at depth %d: %s", code, depth,
                 X509_verify_cert_error_string(code));
}

enum th_outcome th_ossl_reason_outcome(int reason)
{
    switch (reason) {
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
    case SSL_R_NO_CIPHER_MATCH:
    case SSL_R_NO_SHARED_GROUPS:
    case SSL_R_NO_SUITABLE_KEY_SHARE: return TH_NO_SHARED_CIPHER;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_INAPPROPRIATE_FALLBACK: return TH_PROTOCOL_VERSION;
    case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
    case SSL_R_DECRYPTION_FAILED: return TH_BAD_RECORD_MAC;
    case SSL_R_UNEXPECTED_EOF_WHILE_READING: return TH_TRUNCATED;
    default:
        /* A received alert is reported as reason 1000 + its description. */
        if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
            return th_outcome_from_alert(reason - SSL_AD_REASON_OFFSET);
        return TH_HANDSHAKE_FAILURE;
    }
}

/* The client's own certificate check, when it is what stopped the handshake: the
 * callback's record (which keeps the depth and certificate), else the SSL's result. */
static int verify_failure(struct th_conn *c, struct th_error *err)
{
    if (c->ctx->role != TH_ROLE_CLIENT || !c->ctx->verify)
        return 0;
    if (c->verify_err) {
        set_verify_error(c->verify_err, c->verify_depth, c->verify_cert, err);
        return 1;
    }
    long res = SSL_get_verify_result(c->ssl);
    if (res == X509_V_OK)
        return 0;
    set_verify_error((int)res, -1, NULL, err);
    return 1;
}

static void map_failure(struct th_conn *c, int ssl_err, struct th_error *err)
{
    if (verify_failure(c, err))
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

/* Turn an SSL_* call's return into a step. Must run before anything else touches
 * the thread's error queue: SSL_get_error reads it. */
/* SSL_get_error needs an empty error queue before each I/O call. Every failure
 * path empties it already, so it is normally empty: peek first, since clearing
 * walks the whole queue and costs a few percent of a 16 KiB record's processing. */
static void clear_errors(void)
{
    if (ERR_peek_error() != 0)
        ERR_clear_error();
}

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
        th_error_set(err, TH_INTERNAL_ERROR, 0, "no TLS version requested");
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
        const char *name = cipher_name(cfg->suites[i]);
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
        th_error_set(err, TH_INTERNAL_ERROR, 0, "server needs a certificate and a key");
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
    /* Caching: "session_id" resumption in TLS 1.2 is the classic session-id cache.
     * TLS 1.3 has no session ids; with SSL_OP_NO_TICKET OpenSSL 3 still issues
     * tickets, but stateful ones that only name a cache entry - so for 1.3,
     * tickets=0 + session_cache=1 is this backend's "session_id" resumption. With
     * neither, no ticket at all is sent (num_tickets 0), as a client would expect. */
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
    return 0;
}

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    SSL_CTX *ctx = t->ssl;
    if (cfg->ca_file && SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1)
        return fail_ctx(err, cfg->ca_file);
    if (cfg->crl_file) {
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        X509_LOOKUP *lu = X509_STORE_add_lookup(store, X509_LOOKUP_file());
        /* every CRL in the file: the PKI's holds one per CA */
        if (!lu || X509_load_crl_file(lu, cfg->crl_file, X509_FILETYPE_PEM) < 1)
            return fail_ctx(err, cfg->crl_file);
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
    return 0;
}

/* The security level each role runs at; -1: the library's default (Debian: 2). */
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
    if (seclevel >= 0)
        SSL_CTX_set_security_level(t->ssl, seclevel);
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

static int ossl_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out, struct th_error *err)
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

static int is_ip_literal(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* The client's per-connection settings: the name to check, SNI, and the session
 * to offer. */
TH_MUST_CHECK static int setup_client_conn(struct th_conn *c, struct th_session *resume_from,
                                           struct th_error *err)
{
    const char *host = c->ctx->hostname, *sni = c->ctx->sni;
    if (host) {
        /* An IP literal is matched against IP SANs, never as a DNS name. */
        int ok = is_ip_literal(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host)
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
    /* OpenSSL makes the session of a connection freed without close_notify
     * unresumable (a TLS 1.0 rule that RFC 4346 lifted). The driver may drop a
     * healthy connection without one, e.g. in handshake benchmarks: that must not
     * cost it its session. */
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

static int ossl_conn_new(struct th_ctx *ctx, const struct th_io *io, struct th_session *resume_from,
                         struct th_conn **out, struct th_error *err)
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
    int ret = SSL_do_handshake(c->ssl);
    return ret == 1 ? TH_STEP_DONE : step_result(c, ret, err);
}

static enum th_step ossl_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                               struct th_error *err)
{
    *done = 0;
    clear_errors();
    int ret = SSL_write_ex(c->ssl, buf, len, done);
    return ret == 1 ? TH_STEP_DONE : step_result(c, ret, err);
}

static enum th_step ossl_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                              struct th_error *err)
{
    *done = 0;
    clear_errors();
    int ret = SSL_read_ex(c->ssl, buf, len, done);
    return ret == 1 ? TH_STEP_DONE : step_result(c, ret, err);
}

static enum th_step ossl_shutdown(struct th_conn *c, struct th_error *err)
{
    ERR_clear_error();
    int ret = SSL_shutdown(c->ssl);
    /* 0: our close_notify went out, the peer's has not come yet: that is enough. */
    return ret >= 0 ? TH_STEP_DONE : step_result(c, ret, err);
}

void th_ossl_negotiated(SSL *ssl, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
    if (!cipher)
        return;
    out->version = (uint16_t)SSL_version(ssl);
    out->suite = (uint16_t)(SSL_CIPHER_get_protocol_id(cipher) & 0xffff);
    /* RSA key transport has no group, whatever the session remembers. */
    if (SSL_CIPHER_get_kx_nid(cipher) != NID_kx_rsa)
        out->group = group_from_nid(SSL_get_negotiated_group(ssl));
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len >= sizeof(out->alpn))
        alpn_len = sizeof(out->alpn) - 1;
    if (alpn)
        memcpy(out->alpn, alpn, alpn_len);
    out->resumed = SSL_session_reused(ssl);
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

/* SSL_key_update only marks the update as pending: OpenSSL sends the KeyUpdate
 * (update_requested) at the start of the next SSL_write_ex or SSL_do_handshake, and
 * switches its sending keys right after it. An OpenSSL peer switches its receiving
 * keys as it reads ours, but sends its own answering KeyUpdate only with its next
 * write, not from the read. A refusal leaves the connection as it was. */
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

/* ---- the data path: raw AEAD cost ---- */

/* The EVP_CIPHER_CTX AEAD interface (EVP_CipherInit_ex / EVP_CipherUpdate /
 * EVP_CipherFinal_ex with the AEAD ctrls) on a fetched EVP_CIPHER: what libssl's own
 * record layer (tls13_enc, tls1_enc) calls, with the same per-record sequence - a
 * new nonce through CipherInit, the CCM length first, the AAD, the data, the tag. */
struct aead_alg {
    const char *cipher; /* th_suite_info.cipher */
    const char *evp;    /* OpenSSL's fetch name */
    int tag_len;
    int ccm; /* CCM needs the tag length up front and the data length before the AAD */
};

static const struct aead_alg aead_algs[] = {
    {"AES-128-GCM", "AES-128-GCM", 16, 0},
    {"AES-256-GCM", "AES-256-GCM", 16, 0},
    {"CHACHA20-POLY1305", "ChaCha20-Poly1305", 16, 0},
    {"AES-128-CCM", "AES-128-CCM", 16, 1},
    {"AES-128-CCM8", "AES-128-CCM", 8, 1},
    {"AES-256-CCM", "AES-256-CCM", 16, 1},
    {"AES-256-CCM8", "AES-256-CCM", 8, 1},
    {"ARIAGCM(128)", "ARIA-128-GCM", 16, 0},
    {"ARIAGCM(256)", "ARIA-256-GCM", 16, 0},
};

#define AEAD_NONCE 12
#define AEAD_AAD 13
#define AEAD_CHECK_EVERY 64 /* records between clock reads and round-trip checks */

/* One direction's key schedule, as libssl sets it up: cipher, nonce length, (CCM)
 * tag length, then the key. */
static int aead_ctx_init(EVP_CIPHER_CTX *x, EVP_CIPHER *cipher, const struct aead_alg *a,
                         const unsigned char *key, int enc)
{
    return EVP_CipherInit_ex(x, cipher, NULL, NULL, NULL, enc) == 1 &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, AEAD_NONCE, NULL) > 0 &&
           (!a->ccm || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, a->tag_len, NULL) > 0) &&
           EVP_CipherInit_ex(x, NULL, NULL, key, NULL, enc) == 1;
}

struct aead_run {
    const struct aead_alg *alg;
    EVP_CIPHER_CTX *seal, *open;
    unsigned char iv[AEAD_NONCE], aad[AEAD_AAD], tag[16];
    unsigned char *plain, *sealed, *opened;
    int len;
    uint64_t seq;
};

/* The TLS nonce: the static IV with the record sequence number XORed into its last
 * 8 bytes. The sequence number also leads the AAD, as in TLS 1.2. */
static void aead_next_nonce(struct aead_run *r, unsigned char nonce[AEAD_NONCE])
{
    memcpy(nonce, r->iv, AEAD_NONCE);
    for (int i = 0; i < 8; i++) {
        unsigned char b = (unsigned char)(r->seq >> (56 - 8 * i));
        nonce[AEAD_NONCE - 8 + i] ^= b;
        r->aad[i] = b;
    }
    r->seq++;
}

static int aead_seal(struct aead_run *r, const unsigned char *nonce)
{
    EVP_CIPHER_CTX *x = r->seal;
    int n = 0, fin = 0;
    return EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, 1) == 1 &&
           (!r->alg->ccm || EVP_CipherUpdate(x, NULL, &n, NULL, r->len) == 1) &&
           EVP_CipherUpdate(x, NULL, &n, r->aad, AEAD_AAD) == 1 &&
           EVP_CipherUpdate(x, r->sealed, &n, r->plain, r->len) == 1 &&
           EVP_CipherFinal_ex(x, r->sealed + n, &fin) == 1 && n + fin == r->len &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, r->alg->tag_len, r->tag) > 0;
}

/* 1 only when the tag verified. */
static int aead_open(struct aead_run *r, const unsigned char *nonce)
{
    EVP_CIPHER_CTX *x = r->open;
    int n = 0, fin = 0;
    return EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, 0) == 1 &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, r->alg->tag_len, r->tag) > 0 &&
           (!r->alg->ccm || EVP_CipherUpdate(x, NULL, &n, NULL, r->len) == 1) &&
           EVP_CipherUpdate(x, NULL, &n, r->aad, AEAD_AAD) == 1 &&
           EVP_CipherUpdate(x, r->opened, &n, r->sealed, r->len) == 1 &&
           EVP_CipherFinal_ex(x, r->opened + n, &fin) == 1 && n + fin == r->len;
}

/* Seal then open records until `ns` of thread CPU time have passed, reading the
 * clock every AEAD_CHECK_EVERY records; the record at each clock read is also checked
 * to round-trip (its output cleared first, so a silent no-op cannot pass).
 * Returns the records done, or -1 when a seal or open failed. */
static long long aead_loop(struct aead_run *r, uint64_t ns, uint64_t *spent)
{
    unsigned char nonce[AEAD_NONCE];
    uint64_t t0 = th_thread_cpu_ns(), now = t0;
    long long n = 0;
    while (now - t0 < ns) {
        for (int i = 0; i < AEAD_CHECK_EVERY; i++, n++) {
            if (i == 0)
                memset(r->opened, 0, (size_t)r->len);
            aead_next_nonce(r, nonce);
            if (!aead_seal(r, nonce) || !aead_open(r, nonce))
                return -1;
            if (i == 0 && memcmp(r->opened, r->plain, (size_t)r->len) != 0)
                return -1;
        }
        now = th_thread_cpu_ns();
    }
    *spent = now - t0;
    return n;
}

static const struct aead_alg *aead_alg_for(uint16_t suite, struct th_error *err)
{
    const struct th_suite_info *s = th_suite_by_id(suite);
    if (!s) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "suite 0x%04x is unknown", suite);
        return NULL;
    }
    if (strcmp(s->mac, "AEAD") != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "%s is not an AEAD suite (%s with %s)", s->name,
                     s->cipher, s->mac);
        return NULL;
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(aead_algs); i++)
        if (!strcmp(aead_algs[i].cipher, s->cipher))
            return &aead_algs[i];
    th_error_set(err, TH_INTERNAL_ERROR, suite, "no raw AEAD for %s (%s) in this backend", s->name,
                 s->cipher);
    return NULL;
}

static void aead_run_free(struct aead_run *r)
{
    EVP_CIPHER_CTX_free(r->seal);
    EVP_CIPHER_CTX_free(r->open);
    free(r->plain);
    free(r->sealed);
    free(r->opened);
}

/* Keys, nonce, AAD and plaintext random; both directions keyed alike. */
static int aead_run_init(struct aead_run *r, EVP_CIPHER *cipher, size_t record_size)
{
    unsigned char key[32];
    r->len = (int)record_size;
    r->plain = th_xmalloc(record_size);
    r->sealed = th_xmalloc(record_size);
    r->opened = th_xmalloc(record_size);
    r->seal = EVP_CIPHER_CTX_new();
    r->open = EVP_CIPHER_CTX_new();
    int ok = r->seal && r->open && RAND_bytes(key, sizeof(key)) == 1 &&
             RAND_bytes(r->iv, sizeof(r->iv)) == 1 && RAND_bytes(r->aad, sizeof(r->aad)) == 1 &&
             RAND_bytes(r->plain, r->len) == 1 && aead_ctx_init(r->seal, cipher, r->alg, key, 1) &&
             aead_ctx_init(r->open, cipher, r->alg, key, 0);
    OPENSSL_cleanse(key, sizeof(key));
    return ok ? 0 : -1;
}

static int ossl_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                          struct th_error *err)
{
    *ns_per_byte = 0;
    ERR_clear_error();
    const struct aead_alg *alg = aead_alg_for(suite, err);
    if (!alg)
        return -1;
    if (record_size == 0 || record_size > INT_MAX / 2 || !(seconds > 0)) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "aead_cost: record size %zu, %g s: out of range",
                     record_size, seconds);
        return -1;
    }
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, alg->evp, NULL);
    if (!cipher)
        return fail_ctx(err, alg->evp);
    struct aead_run r = {.alg = alg};
    uint64_t spent = 0, ns = (uint64_t)(seconds * 1e9) + 10; /* at least one batch */
    int rc = aead_run_init(&r, cipher, record_size);
    long long n = rc == 0 ? aead_loop(&r, ns / 10, &spent) : -1; /* warm-up */
    if (n > 0)
        n = aead_loop(&r, ns, &spent);
    if (n <= 0)
        rc = fail_ctx(err, rc == 0 ? "AEAD seal/open did not round-trip" : "AEAD set-up");
    else
        *ns_per_byte = (double)spent / ((double)n * (double)record_size);
    aead_run_free(&r);
    EVP_CIPHER_free(cipher);
    return rc;
}

/* ---- inspection: what the peer presented ---- */

/* The IANA SignatureScheme from the pair OpenSSL 3.0 reports (signature type and
 * digest NIDs). RSA-PSS names the key: rsae for an rsaEncryption key, pss for an
 * RSA-PSS one. TLS 1.0/1.1's MD5+SHA1 has no scheme: "". */
static const char *sig_scheme_name(int type, int md, const EVP_PKEY *leaf_key)
{
    static const struct {
        int type, md;
        const char *name;
    } map[] = {
        {EVP_PKEY_RSA, NID_sha1, "rsa_pkcs1_sha1"},
        {EVP_PKEY_RSA, NID_sha256, "rsa_pkcs1_sha256"},
        {EVP_PKEY_RSA, NID_sha384, "rsa_pkcs1_sha384"},
        {EVP_PKEY_RSA, NID_sha512, "rsa_pkcs1_sha512"},
        {EVP_PKEY_EC, NID_sha1, "ecdsa_sha1"},
        {EVP_PKEY_EC, NID_sha256, "ecdsa_secp256r1_sha256"},
        {EVP_PKEY_EC, NID_sha384, "ecdsa_secp384r1_sha384"},
        {EVP_PKEY_EC, NID_sha512, "ecdsa_secp521r1_sha512"},
        {EVP_PKEY_ED25519, NID_undef, "ed25519"},
        {EVP_PKEY_ED448, NID_undef, "ed448"},
    };
    if (type == EVP_PKEY_RSA_PSS) {
        int pss_key = leaf_key && EVP_PKEY_get_base_id(leaf_key) == EVP_PKEY_RSA_PSS;
        switch (md) {
        case NID_sha256: return pss_key ? "rsa_pss_pss_sha256" : "rsa_pss_rsae_sha256";
        case NID_sha384: return pss_key ? "rsa_pss_pss_sha384" : "rsa_pss_rsae_sha384";
        case NID_sha512: return pss_key ? "rsa_pss_pss_sha512" : "rsa_pss_rsae_sha512";
        default: return "";
        }
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(map); i++)
        if (map[i].type == type && (map[i].md == md || map[i].md == NID_undef))
            return map[i].name;
    return "";
}

/* The chain as the peer sent it: on a client, SSL_get_peer_cert_chain holds the
 * leaf too (on a server it would not). */
static int ossl_peer_info(struct th_conn *c, struct th_peer_info *out)
{
    memset(out, 0, sizeof(*out));
    STACK_OF(X509) *sk = SSL_get_peer_cert_chain(c->ssl);
    if (!sk || sk_X509_num(sk) == 0)
        return -1;
    for (int i = 0; i < sk_X509_num(sk); i++) {
        int n = i2d_X509(sk_X509_value(sk, i), NULL);
        if (n <= 0)
            continue;
        out->chain = th_xrealloc(out->chain, out->chain_len + (size_t)n);
        unsigned char *p = out->chain + out->chain_len;
        if (i2d_X509(sk_X509_value(sk, i), &p) == n) {
            out->chain_len += (size_t)n;
            out->n_certs++;
        }
    }
    int type = NID_undef, md = NID_undef;
    if (SSL_get_peer_signature_type_nid(c->ssl, &type) == 1) {
        SSL_get_peer_signature_nid(c->ssl, &md);
        X509 *leaf = sk_X509_value(sk, 0);
        th_strlcpy(out->sig_scheme, sig_scheme_name(type, md, X509_get0_pubkey(leaf)),
                   sizeof(out->sig_scheme));
    }
    ERR_clear_error();
    return 0;
}

/* ---- identity ---- */

static const char *ossl_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

/* A suite we can run: one with an IANA entry, authenticated by a certificate the
 * test PKI has (RSA, ECDSA) and keyed without PSK/SRP/anonymous exchange, for which
 * we have no credentials. NULL encryption is out too: OpenSSL 3 offers it only at
 * security level 0, and our client keeps the library's default level. */
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
                    TH_CAP_TRUNCATION; /* EOF without close_notify: unexpected eof */
    if (ossl_init() == 0)
        for (size_t i = 0; i < n_ciphers && out->n_suites < TH_MAX_SUITES; i++)
            if (suite_usable(ciphers[i].id))
                out->suites[out->n_suites++] = ciphers[i].id;
    memcpy(out->groups, groups, sizeof(groups));
    out->n_groups = TH_ARRAY_LEN(groups);
}

const struct th_backend th_backend_openssl = {
    /* identity */
    .name = "openssl",
    .library = "OpenSSL",
    .version = ossl_version,
    .caps = ossl_caps,
    /* set-up: tables built once; nothing to tear down that exit does not */
    .init = ossl_init,
    .cleanup = NULL,
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
    /* not a socket-owning backend */
    .fetch = NULL,
    /* data path */
    .key_update = ossl_key_update,
    .aead_cost = ossl_aead_cost,
    /* inspection */
    .peer_info = ossl_peer_info,
};
