/* The GnuTLS 3.7 backend: client and server roles, with driver-owned I/O through
 * GnuTLS's push/pull transport functions. Configuration arrives in IANA terms and is
 * translated here into one priority string per context; native errors are mapped
 * here to the shared outcome vocabulary, keeping GnuTLS's own code and text beside
 * them.
 *
 * The only process-wide state is the IANA id -> GnuTLS algorithms table, built once
 * under pthread_once: TCP cases run the server role in another thread. Each server
 * context keeps its own ticket key and session-id cache (the cache behind a mutex
 * for the same reason). */
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "harness/vocab/util.h"
#include "gnutls_map.h"

/* ---- process-wide tables, built once ---- */

/* What a priority string needs to name to enable one suite. */
struct suite_algs {
    uint16_t id;
    gnutls_kx_algorithm_t kx; /* GNUTLS_KX_UNKNOWN for TLS 1.3 suites */
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
};

/* More than GnuTLS 3.7 lists (about 190). */
#define MAX_GNUTLS_SUITES 256

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct suite_algs suite_table[MAX_GNUTLS_SUITES];
static size_t n_suite_table;

static void init_once(void)
{
    unsigned char id[2];
    struct suite_algs a;
    for (size_t i = 0; n_suite_table < MAX_GNUTLS_SUITES &&
                       gnutls_cipher_suite_info(i, id, &a.kx, &a.cipher, &a.mac, NULL);
         i++) {
        a.id = (uint16_t)(id[0] << 8 | id[1]);
        suite_table[n_suite_table++] = a;
    }
}

static const struct suite_algs *suite_algs(uint16_t id)
{
    pthread_once(&once, init_once);
    for (size_t i = 0; i < n_suite_table; i++)
        if (suite_table[i].id == id)
            return &suite_table[i];
    return NULL;
}

static const struct {
    uint16_t iana;
    gnutls_group_t group;
} group_map[] = {
    {0x001D, GNUTLS_GROUP_X25519},    {0x001E, GNUTLS_GROUP_X448},
    {0x0017, GNUTLS_GROUP_SECP256R1}, {0x0018, GNUTLS_GROUP_SECP384R1},
    {0x0019, GNUTLS_GROUP_SECP521R1}, {0x0100, GNUTLS_GROUP_FFDHE2048},
    {0x0101, GNUTLS_GROUP_FFDHE3072}, {0x0102, GNUTLS_GROUP_FFDHE4096},
    {0x0103, GNUTLS_GROUP_FFDHE6144}, {0x0104, GNUTLS_GROUP_FFDHE8192},
};

static gnutls_group_t group_from_iana(uint16_t iana)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].iana == iana)
            return group_map[i].group;
    return GNUTLS_GROUP_INVALID;
}

uint16_t th_gnutls_group_to_iana(gnutls_group_t g)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].group == g)
            return group_map[i].iana;
    return 0;
}

static const struct {
    uint16_t iana;
    gnutls_protocol_t proto;
    const char *keyword; /* in a priority string */
} version_map[] = {
    {TH_TLS13, GNUTLS_TLS1_3, "VERS-TLS1.3"},
    {TH_TLS12, GNUTLS_TLS1_2, "VERS-TLS1.2"},
    {TH_TLS11, GNUTLS_TLS1_1, "VERS-TLS1.1"},
    {TH_TLS10, GNUTLS_TLS1_0, "VERS-TLS1.0"},
};

static uint16_t version_to_iana(gnutls_protocol_t p)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(version_map); i++)
        if (version_map[i].proto == p)
            return version_map[i].iana;
    return 0;
}

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
    /* server */
    int tickets;
    gnutls_datum_t ticket_key; /* shared by every session of this context */
    int session_cache;
    pthread_mutex_t lock; /* the cache: the server may run in its own thread */
    struct cache_entry cache[CACHE_SLOTS];
    size_t cache_next;
};

struct th_conn {
    gnutls_session_t s;
    struct th_ctx *ctx;
    struct th_io io;
    int io_failed;          /* the transport said TH_IO_FAIL */
    int failed;             /* a step failed: the connection is dead */
    int done;               /* the handshake completed */
    int pull_again;         /* the last pull found the transport empty */
    unsigned peer_versions; /* server: TH_VBIT set the ClientHello offers; 0 unseen */
    /* what the certificate is checked against: must outlive the session */
    gnutls_typed_vdata_st vdata[2];
    unsigned char ip[16];
};

struct th_session {
    gnutls_datum_t data;
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

/* A certificate naming itself as issuer. */
static int self_issued(gnutls_x509_crt_t crt)
{
    gnutls_datum_t subject, issuer;
    int self = 0;
    if (gnutls_x509_crt_get_raw_dn(crt, &subject) < 0)
        return 0;
    if (gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) >= 0) {
        self = subject.size == issuer.size && memcmp(subject.data, issuer.data, subject.size) == 0;
        gnutls_free(issuer.data);
    }
    gnutls_free(subject.data);
    return self;
}

/* INSECURE_ALGORITHM covers both a weak signature hash and a short key: the leaf's
 * key strength tells which. */
static enum th_outcome insecure_outcome(gnutls_x509_crt_t leaf)
{
    unsigned bits = 0;
    int pk = leaf ? gnutls_x509_crt_get_pk_algorithm(leaf, &bits) : GNUTLS_PK_UNKNOWN;
    if (pk > 0 && gnutls_pk_bits_to_sec_param(pk, bits) < GNUTLS_SEC_PARAM_MEDIUM)
        return TH_WEAK_KEY;
    return TH_WEAK_SIGNATURE;
}

/* Several bits may be set; the most specific reason wins. */
enum th_outcome th_gnutls_status_outcome(unsigned st, gnutls_x509_crt_t leaf, unsigned n_certs)
{
    if (st & GNUTLS_CERT_REVOKED)
        return TH_REVOKED;
    if (st & GNUTLS_CERT_EXPIRED)
        return TH_EXPIRED;
    if (st & GNUTLS_CERT_NOT_ACTIVATED)
        return TH_NOT_YET_VALID;
    if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
        return TH_BAD_SIGNATURE;
    if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
        return insecure_outcome(leaf);
    if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
        return leaf && n_certs == 1 && self_issued(leaf) ? TH_SELF_SIGNED : TH_UNKNOWN_CA;
    if (st & GNUTLS_CERT_PURPOSE_MISMATCH)
        return TH_BAD_EKU;
    if (st & GNUTLS_CERT_UNEXPECTED_OWNER)
        return TH_HOSTNAME_MISMATCH;
    return TH_HANDSHAKE_FAILURE;
}

/* The peer's leaf and the length of its chain; NULL when it sent none or the leaf
 * does not parse. */
static gnutls_x509_crt_t peer_leaf(gnutls_session_t s, unsigned *n)
{
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, n);
    gnutls_x509_crt_t crt;
    if (!certs || *n == 0 || gnutls_x509_crt_init(&crt) < 0)
        return NULL;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0)
        return crt;
    gnutls_x509_crt_deinit(crt);
    return NULL;
}

static enum th_outcome status_outcome(gnutls_session_t s, unsigned st)
{
    unsigned n = 0;
    gnutls_x509_crt_t leaf = peer_leaf(s, &n);
    enum th_outcome o = th_gnutls_status_outcome(st, leaf, n);
    if (leaf)
        gnutls_x509_crt_deinit(leaf);
    return o;
}

/* The handshake stopped on our own certificate check: code is the status bitmask. */
static void verify_failure(struct th_conn *c, int ret, struct th_error *err)
{
    unsigned st = gnutls_session_get_verify_cert_status(c->s);
    gnutls_datum_t out = {NULL, 0};
    if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0) < 0)
        out.data = NULL;
    th_error_set(err, status_outcome(c->s, st), (long)st, "%s: %s", gnutls_strerror(ret),
                 out.data ? (const char *)out.data : "no status text");
    gnutls_free(out.data);
}

enum th_outcome th_gnutls_error_outcome(int ret)
{
    switch (ret) {
    case GNUTLS_E_NO_CIPHER_SUITES:
    case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
    case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
    case GNUTLS_E_NO_COMMON_KEY_SHARE:
    case GNUTLS_E_ECC_NO_SUPPORTED_CURVES:
    case GNUTLS_E_ECC_UNSUPPORTED_CURVE:
    case GNUTLS_E_INSUFFICIENT_SECURITY: return TH_NO_SHARED_CIPHER;
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET: return TH_PROTOCOL_VERSION;
    case GNUTLS_E_DECRYPTION_FAILED: return TH_BAD_RECORD_MAC;
    case GNUTLS_E_PREMATURE_TERMINATION: return TH_TRUNCATED;
    case GNUTLS_E_PUSH_ERROR:
    case GNUTLS_E_PULL_ERROR: return TH_IO_ERROR;
    case GNUTLS_E_KEY_USAGE_VIOLATION: return TH_BAD_KEY_USAGE;
    case GNUTLS_E_TIMEDOUT: return TH_TIMEOUT;
    case GNUTLS_E_INTERNAL_ERROR:
    case GNUTLS_E_MEMORY_ERROR: return TH_INTERNAL_ERROR;
    default: return TH_HANDSHAKE_FAILURE;
    }
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
        th_error_set(err, th_gnutls_error_outcome(ret), ret, "%s", gnutls_strerror(ret));
    }
}

/* Tell the peer why we stop, as a library that owns its socket would: GnuTLS leaves
 * the alert to the caller. Best effort - the transport may not take it now. */
static void send_alert(struct th_conn *c, int ret)
{
    if (c->io_failed || ret == GNUTLS_E_FATAL_ALERT_RECEIVED ||
        ret == GNUTLS_E_WARNING_ALERT_RECEIVED || ret == GNUTLS_E_PREMATURE_TERMINATION ||
        ret == GNUTLS_E_PUSH_ERROR || ret == GNUTLS_E_PULL_ERROR)
        return;
    if (version_mismatch(c))
        (void)gnutls_alert_send(c->s, GNUTLS_AL_FATAL, GNUTLS_A_PROTOCOL_VERSION);
    else if (ret == GNUTLS_E_KEY_USAGE_VIOLATION) /* GnuTLS would say internal_error */
        (void)gnutls_alert_send(c->s, GNUTLS_AL_FATAL, GNUTLS_A_UNSUPPORTED_CERTIFICATE);
    else
        (void)gnutls_alert_send_appropriate(c->s, ret);
}

static enum th_step step_result(struct th_conn *c, int ret, struct th_error *err)
{
    if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
        return gnutls_record_get_direction(c->s) ? TH_STEP_WANT_WRITE : TH_STEP_WANT_READ;
    c->failed = 1;
    map_failure(c, ret, err);
    send_alert(c, ret);
    return TH_STEP_FAILED;
}

/* ---- configuration: one priority string ---- */

static int suite_usable(uint16_t id);

static void prio_add(char *buf, size_t cap, const char *item)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, ":%s", item);
}

/* Add "+NAME" once, keeping the order of first mention. */
static void prio_add_once(char *buf, size_t cap, const char *name)
{
    char item[64];
    snprintf(item, sizeof(item), "+%s", name);
    size_t len = strlen(item);
    for (const char *p = strstr(buf, item); p; p = strstr(p + 1, item))
        if (p[-1] == ':' && (p[len] == ':' || p[len] == '\0'))
            return;
    prio_add(buf, cap, item);
}

TH_MUST_CHECK static int add_suites(char *buf, size_t cap, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    prio_add(buf, cap, "-KX-ALL:-CIPHER-ALL:-MAC-ALL");
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < cfg->n_suites; i++) {
            const struct suite_algs *a = suite_algs(cfg->suites[i]);
            if (!a || !suite_usable(cfg->suites[i])) {
                th_error_set(err, TH_INTERNAL_ERROR, cfg->suites[i],
                             "suite 0x%04x is not one GnuTLS can run here (unknown, or "
                             "PSK/anonymous/NULL)",
                             cfg->suites[i]);
                return -1;
            }
            if (pass == 0 && a->kx != GNUTLS_KX_UNKNOWN)
                prio_add_once(buf, cap, gnutls_kx_get_name(a->kx));
            else if (pass == 1)
                prio_add_once(buf, cap, gnutls_cipher_get_name(a->cipher));
            else if (pass == 2)
                prio_add_once(buf, cap, gnutls_mac_get_name(a->mac));
        }
    }
    return 0;
}

TH_MUST_CHECK static int add_groups(char *buf, size_t cap, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    if (!cfg->n_groups)
        return 0;
    prio_add(buf, cap, "-GROUP-ALL");
    for (size_t i = 0; i < cfg->n_groups; i++) {
        gnutls_group_t g = group_from_iana(cfg->groups[i]);
        if (g == GNUTLS_GROUP_INVALID) {
            th_error_set(err, TH_INTERNAL_ERROR, cfg->groups[i],
                         "group 0x%04x is unknown to this backend", cfg->groups[i]);
            return -1;
        }
        char item[64];
        snprintf(item, sizeof(item), "+GROUP-%s", gnutls_group_get_name(g));
        prio_add(buf, cap, item);
    }
    return 0;
}

/* The suites the priority cache enables, in its order, on the versions it offers. */
static size_t prio_suites(gnutls_priority_t prio, unsigned versions, uint16_t *out, size_t cap)
{
    size_t n = 0;
    unsigned idx;
    unsigned char id[2];
    for (unsigned i = 0; n < cap; i++) {
        int ret = gnutls_priority_get_cipher_suite_index(prio, i, &idx);
        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (ret < 0 || !gnutls_cipher_suite_info(idx, id, NULL, NULL, NULL, NULL))
            continue;
        const struct th_suite_info *s = th_suite_by_id((uint16_t)(id[0] << 8 | id[1]));
        if (s && (th_suite_versions(s) & versions))
            out[n++] = s->id;
    }
    return n;
}

/* GnuTLS orders suites by key exchange, then cipher, then MAC, and enables every
 * combination of the algorithms named: some lists (RSA+AES-128 with ECDHE+AES-256,
 * or ECDHE before RSA then RSA before ECDHE) have no priority string. Refuse those
 * rather than offer something else than asked. */
TH_MUST_CHECK static int check_suites(gnutls_priority_t prio, const struct th_tls_config *cfg,
                                      unsigned versions, struct th_error *err)
{
    uint16_t got[TH_MAX_SUITES], want[TH_MAX_SUITES];
    size_t n_got = prio_suites(prio, versions, got, TH_MAX_SUITES), n_want = 0;
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
        if (s && (th_suite_versions(s) & versions))
            want[n_want++] = s->id;
    }
    if (n_got == n_want && memcmp(got, want, n_got * sizeof(got[0])) == 0)
        return 0;
    th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                 "GnuTLS cannot pin this exact suite list: its priority strings enable every "
                 "kx x cipher x MAC combination, ordered by kx (%zu suites enabled, %zu asked)",
                 n_got, n_want);
    return -1;
}

TH_MUST_CHECK static int set_priority(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    char buf[2048] = "NORMAL";
    /* A priority string enables kx x cipher x mac, and a TLS 1.3 suite needs only its
     * cipher and mac: a list of TLS 1.2 suites alone would also enable the TLS 1.3
     * suite of the same cipher, so the top version is cut as in the OpenSSL backend. */
    unsigned versions = th_versions_effective(cfg->versions, cfg->suites, cfg->n_suites);
    t->versions = versions;
    /* NORMAL still allows TLS 1.1 and 1.0: always name the exact range. */
    prio_add(buf, sizeof(buf), "-VERS-ALL");
    for (size_t i = 0; i < TH_ARRAY_LEN(version_map); i++)
        if (versions & TH_VBIT(version_map[i].iana)) {
            char item[32];
            snprintf(item, sizeof(item), "+%s", version_map[i].keyword);
            prio_add(buf, sizeof(buf), item);
        }
    if (cfg->n_suites)
        TH_GUARD(add_suites(buf, sizeof(buf), cfg, err));
    TH_GUARD(add_groups(buf, sizeof(buf), cfg, err));
    if (cfg->role == TH_ROLE_SERVER && cfg->prefer_server_order)
        prio_add(buf, sizeof(buf), "%SERVER_PRECEDENCE");
    const char *where = NULL;
    int ret = gnutls_priority_init2(&t->prio, buf, &where, 0);
    if (ret < 0) {
        t->prio = NULL;
        th_error_set(err, TH_INTERNAL_ERROR, ret, "priority string '%s' refused at '%s': %s", buf,
                     where ? where : "?", gnutls_strerror(ret));
        return -1;
    }
    return cfg->n_suites ? check_suites(t->prio, cfg, versions, err) : 0;
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
        th_error_set(err, TH_INTERNAL_ERROR, 0, "server needs a certificate and a key");
        return -1;
    }
    int ret = gnutls_certificate_set_x509_key_file2(t->cred, cfg->cert_file, cfg->key_file,
                                                    GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0)
        return fail_ctx(err, ret, cfg->cert_file);
    /* DHE suites in TLS <= 1.2 with a client that names no RFC 7919 group */
    ret = gnutls_certificate_set_known_dh_params(t->cred, GNUTLS_SEC_PARAM_MEDIUM);
    if (ret < 0)
        return fail_ctx(err, ret, "gnutls_certificate_set_known_dh_params");
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

TH_MUST_CHECK static int setup_client(struct th_ctx *t, const struct th_tls_config *cfg,
                                      struct th_error *err)
{
    int ret;
    if (cfg->ca_file) {
        ret = gnutls_certificate_set_x509_trust_file(t->cred, cfg->ca_file, GNUTLS_X509_FMT_PEM);
        if (ret <= 0)
            return fail_ctx(err, ret ? ret : GNUTLS_E_NO_CERTIFICATE_FOUND, cfg->ca_file);
    }
    /* CRLs join the trust list, which checks them against every certificate of
     * the chain; every CRL in the file counts (the PKI's holds one per CA). */
    if (cfg->crl_file) {
        ret = gnutls_certificate_set_x509_crl_file(t->cred, cfg->crl_file, GNUTLS_X509_FMT_PEM);
        if (ret <= 0)
            return fail_ctx(err, ret ? ret : GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE, cfg->crl_file);
    }
    t->verify = cfg->verify;
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

static int gtls_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out, struct th_error *err)
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
    } else if (set_priority(t, cfg, err) == 0 &&
               (cfg->role == TH_ROLE_SERVER ? setup_server(t, cfg, err)
                                            : setup_client(t, cfg, err)) == 0) {
        *out = t;
        return 0;
    }
    gtls_ctx_free(t);
    return -1;
}

/* ---- connections ---- */

/* The name (or address) and purpose the server's certificate must match. The plain
 * gnutls_certificate_verify_peers2 does not check the extended key usage; typed
 * data with GNUTLS_KP_TLS_WWW_SERVER does, and GNUTLS_DT_IP_ADDRESS makes an IP
 * literal match IP SANs only, never a DNS name. */
static unsigned verify_data(struct th_conn *c)
{
    unsigned n = 0;
    const char *host = c->ctx->hostname;
    if (host && inet_pton(AF_INET, host, c->ip) == 1) {
        c->vdata[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_IP_ADDRESS, c->ip, 4};
    } else if (host && inet_pton(AF_INET6, host, c->ip) == 1) {
        c->vdata[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_IP_ADDRESS, c->ip, 16};
    } else if (host) {
        c->vdata[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0};
    }
    c->vdata[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_KEY_PURPOSE_OID,
                                            (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0};
    return n;
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
    /* The check runs inside the handshake, which then fails with
     * GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR; verify 0 skips it entirely. */
    if (c->ctx->verify)
        gnutls_session_set_verify_cert2(c->s, c->vdata, verify_data(c), 0);
    if (resume_from) {
        ret = gnutls_session_set_data(c->s, resume_from->data.data, resume_from->data.size);
        if (ret < 0)
            return fail_ctx(err, ret, "gnutls_session_set_data");
    }
    return 0;
}

TH_MUST_CHECK static int setup_server_conn(struct th_conn *c, struct th_error *err)
{
    struct th_ctx *t = c->ctx;
    if (t->tickets) {
        int ret = gnutls_session_ticket_enable_server(c->s, &t->ticket_key);
        if (ret < 0)
            return fail_ctx(err, ret, "gnutls_session_ticket_enable_server");
    }
    gnutls_session_set_ptr(c->s, c);
    gnutls_handshake_set_hook_function(c->s, GNUTLS_HANDSHAKE_CLIENT_HELLO, GNUTLS_HOOK_PRE,
                                       hello_hook);
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
    free(c);
}

static int gtls_conn_new(struct th_ctx *ctx, const struct th_io *io, struct th_session *resume_from,
                         struct th_conn **out, struct th_error *err)
{
    *out = NULL;
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->io = *io;
    unsigned flags =
        (ctx->role == TH_ROLE_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT) | ctx->init_flags;
    int ret = gnutls_init(&c->s, flags);
    if (ret < 0) {
        free(c);
        return fail_ctx(err, ret, "gnutls_init");
    }
    if (setup_conn(c, err) != 0 ||
        (ctx->role == TH_ROLE_SERVER ? setup_server_conn(c, err)
                                     : setup_client_conn(c, resume_from, err)) != 0) {
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
        return TH_STEP_DONE;
    }
    return step_result(c, ret, err);
}

static enum th_step gtls_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                               struct th_error *err)
{
    *done = 0;
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

void th_gnutls_negotiated(gnutls_session_t s, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    out->version = version_to_iana(gnutls_protocol_get_version(s));
    const struct th_suite_info *si = th_suite_by_name(gnutls_ciphersuite_get(s));
    out->suite = si ? si->id : 0;
    /* RSA key transport has no group, whatever the session remembers. */
    if (gnutls_kx_get(s) != GNUTLS_KX_RSA)
        out->group = th_gnutls_group_to_iana(gnutls_group_get(s));
    gnutls_datum_t alpn = {NULL, 0};
    if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0 && alpn.data) {
        size_t n = alpn.size < sizeof(out->alpn) - 1 ? alpn.size : sizeof(out->alpn) - 1;
        memcpy(out->alpn, alpn.data, n);
    }
    out->resumed = gnutls_session_is_resumed(s) != 0;
}

static void gtls_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    if (c->done)
        th_gnutls_negotiated(c->s, out);
}

/* TLS 1.3 tickets arrive after the handshake: without one, GnuTLS would hand out a
 * placeholder that resumes nothing. */
static struct th_session *gtls_session_get(struct th_conn *c)
{
    if (!c->done || c->failed)
        return NULL;
    if (gnutls_protocol_get_version(c->s) == GNUTLS_TLS1_3 &&
        !(gnutls_session_get_flags(c->s) & GNUTLS_SFLAGS_SESSION_TICKET))
        return NULL;
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_session_get_data2(c->s, &d) < 0 || d.size == 0) {
        gnutls_free(d.data);
        return NULL;
    }
    struct th_session *ts = th_xmalloc(sizeof(*ts));
    ts->data = d;
    return ts;
}

static void gtls_session_free(struct th_session *s)
{
    if (!s)
        return;
    gnutls_free(s->data.data);
    free(s);
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
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                     "KeyUpdate needs an established connection");
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

/* ---- raw AEAD cost: the record protection without TLS ---- */

/* The API is GnuTLS's high-level AEAD one, gnutls_aead_cipher_encrypt / _decrypt
 * on a gnutls_aead_cipher_hd_t: the very calls (and handle type) its TLS 1.3
 * record layer makes in lib/cipher.c, so the ratio to the TLS data path is
 * fair. One handle seals and opens, as one key direction of a connection would. */

#define AEAD_NONCE 12
#define AEAD_AAD 13   /* TLS 1.2's: sequence number, type, version, length */
#define AEAD_BATCH 64 /* records between clock reads: one read per record would weigh */
#define AEAD_MAX_RECORD (1u << 24)

struct aead_bench {
    gnutls_aead_cipher_hd_t h;
    size_t len, tag;
    unsigned char iv[AEAD_NONCE], aad[AEAD_AAD];
    unsigned char *pt, *ct, *out;
    uint64_t seq;
};

/* Seal then open one record under the next nonce: the IV with the record counter
 * XORed into its last 8 bytes, as TLS 1.3 builds it. 0, or GnuTLS's error (a
 * tag that did not verify is GNUTLS_E_DECRYPTION_FAILED). */
static int aead_record(struct aead_bench *b)
{
    unsigned char nonce[AEAD_NONCE];
    uint64_t seq = b->seq++;
    memcpy(nonce, b->iv, sizeof(nonce));
    for (int i = 0; i < 8; i++) {
        nonce[AEAD_NONCE - 1 - i] ^= (unsigned char)(seq >> (8 * i));
        b->aad[7 - i] = (unsigned char)(seq >> (8 * i));
    }
    size_t ct_len = b->len + b->tag, pt_len = b->len;
    int ret = gnutls_aead_cipher_encrypt(b->h, nonce, sizeof(nonce), b->aad, sizeof(b->aad), b->tag,
                                         b->pt, b->len, b->ct, &ct_len);
    if (ret < 0)
        return ret;
    ret = gnutls_aead_cipher_decrypt(b->h, nonce, sizeof(nonce), b->aad, sizeof(b->aad), b->tag,
                                     b->ct, ct_len, b->out, &pt_len);
    if (ret < 0)
        return ret;
    return pt_len == b->len ? 0 : GNUTLS_E_DECRYPTION_FAILED;
}

/* Batches of records until `budget` ns of thread CPU time are spent. Each batch's
 * last record is compared with the plaintext after the clock is read, so the
 * check proves the round trip without costing the measurement. */
static int aead_loop(struct aead_bench *b, uint64_t budget, uint64_t *ns, uint64_t *records)
{
    *ns = *records = 0;
    do {
        uint64_t t0 = th_thread_cpu_ns();
        for (int i = 0; i < AEAD_BATCH; i++) {
            int ret = aead_record(b);
            if (ret < 0)
                return ret;
        }
        *ns += th_thread_cpu_ns() - t0;
        *records += AEAD_BATCH;
        if (memcmp(b->out, b->pt, b->len) != 0)
            return GNUTLS_E_DECRYPTION_FAILED;
        memset(b->out, 0, b->len);
    } while (*ns < budget);
    return 0;
}

/* The suite's cipher when it is an AEAD GnuTLS has (a tag size means AEAD: CBC
 * suites have none); GNUTLS_CIPHER_UNKNOWN with err otherwise. */
static gnutls_cipher_algorithm_t aead_of_suite(uint16_t suite, struct th_error *err)
{
    const struct suite_algs *a = suite_algs(suite);
    const struct th_suite_info *s = th_suite_by_id(suite);
    if (!a) {
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_UNKNOWN_CIPHER_SUITE,
                     "suite 0x%04x is unknown to GnuTLS", suite);
        return GNUTLS_CIPHER_UNKNOWN;
    }
    if (gnutls_cipher_get_tag_size(a->cipher) == 0) {
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                     "suite %s is not an AEAD suite (%s with %s): no raw AEAD cost",
                     s ? s->name : "?", gnutls_cipher_get_name(a->cipher),
                     gnutls_mac_get_name(a->mac));
        return GNUTLS_CIPHER_UNKNOWN;
    }
    return a->cipher;
}

static int aead_open(struct aead_bench *b, gnutls_cipher_algorithm_t alg, size_t len)
{
    unsigned char key[64];
    size_t key_len = gnutls_cipher_get_key_size(alg);
    gnutls_datum_t k = {key, (unsigned)key_len};
    b->len = len;
    b->tag = gnutls_cipher_get_tag_size(alg);
    b->pt = th_xmalloc(len);
    b->ct = th_xmalloc(len + b->tag);
    b->out = th_xcalloc(1, len);
    memset(b->aad, 0, sizeof(b->aad));
    b->aad[8] = 23; /* application_data */
    b->aad[9] = 3;
    b->aad[10] = 3;
    b->aad[11] = (unsigned char)(len >> 8);
    b->aad[12] = (unsigned char)len;
    int ret = key_len <= sizeof(key) ? 0 : GNUTLS_E_INTERNAL_ERROR;
    if (ret == 0)
        ret = gnutls_rnd(GNUTLS_RND_RANDOM, key, key_len);
    if (ret == 0)
        ret = gnutls_rnd(GNUTLS_RND_NONCE, b->iv, sizeof(b->iv));
    if (ret == 0)
        ret = gnutls_rnd(GNUTLS_RND_NONCE, b->pt, len);
    if (ret == 0)
        ret = gnutls_aead_cipher_init(&b->h, alg, &k);
    gnutls_memset(key, 0, sizeof(key));
    return ret;
}

static void aead_close(struct aead_bench *b)
{
    if (b->h)
        gnutls_aead_cipher_deinit(b->h);
    free(b->pt);
    free(b->ct);
    free(b->out);
}

static int gtls_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                          struct th_error *err)
{
    *ns_per_byte = 0;
    gnutls_cipher_algorithm_t alg = aead_of_suite(suite, err);
    if (alg == GNUTLS_CIPHER_UNKNOWN)
        return -1;
    if (record_size == 0 || record_size > AEAD_MAX_RECORD) {
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                     "record size %zu out of range (1..%u)", record_size, AEAD_MAX_RECORD);
        return -1;
    }
    struct aead_bench b = {0};
    uint64_t budget = seconds > 0 ? (uint64_t)(seconds * 1e9) : 0, ns = 0, records = 0;
    int ret = aead_open(&b, alg, record_size);
    if (ret == 0) /* warm-up: caches, key schedule, CPU frequency */
        ret = aead_loop(&b, budget / 10, &ns, &records);
    if (ret == 0)
        ret = aead_loop(&b, budget, &ns, &records);
    aead_close(&b);
    if (ret < 0) {
        th_error_set(err, ret == GNUTLS_E_DECRYPTION_FAILED ? TH_BAD_RECORD_MAC : TH_INTERNAL_ERROR,
                     ret, "%s seal/open: %s", gnutls_cipher_get_name(alg), gnutls_strerror(ret));
        return -1;
    }
    *ns_per_byte = (double)ns / ((double)records * (double)record_size);
    return 0;
}

/* ---- inspection: what the peer presented ---- */

/* GnuTLS's signature algorithms by their IANA SignatureScheme names; TLS 1.2's
 * ECDSA with a hash shares its code point with TLS 1.3's curve-bound scheme. */
static const char *sig_scheme_name(int sign)
{
    static const struct {
        int sign;
        const char *name;
    } map[] = {
        {GNUTLS_SIGN_RSA_SHA1, "rsa_pkcs1_sha1"},
        {GNUTLS_SIGN_RSA_SHA256, "rsa_pkcs1_sha256"},
        {GNUTLS_SIGN_RSA_SHA384, "rsa_pkcs1_sha384"},
        {GNUTLS_SIGN_RSA_SHA512, "rsa_pkcs1_sha512"},
        {GNUTLS_SIGN_ECDSA_SHA1, "ecdsa_sha1"},
        {GNUTLS_SIGN_ECDSA_SHA256, "ecdsa_secp256r1_sha256"},
        {GNUTLS_SIGN_ECDSA_SHA384, "ecdsa_secp384r1_sha384"},
        {GNUTLS_SIGN_ECDSA_SHA512, "ecdsa_secp521r1_sha512"},
        {GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256"},
        {GNUTLS_SIGN_ECDSA_SECP384R1_SHA384, "ecdsa_secp384r1_sha384"},
        {GNUTLS_SIGN_ECDSA_SECP521R1_SHA512, "ecdsa_secp521r1_sha512"},
        {GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256"},
        {GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, "rsa_pss_rsae_sha384"},
        {GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, "rsa_pss_rsae_sha512"},
        {GNUTLS_SIGN_RSA_PSS_SHA256, "rsa_pss_pss_sha256"},
        {GNUTLS_SIGN_RSA_PSS_SHA384, "rsa_pss_pss_sha384"},
        {GNUTLS_SIGN_RSA_PSS_SHA512, "rsa_pss_pss_sha512"},
        {GNUTLS_SIGN_EDDSA_ED25519, "ed25519"},
        {GNUTLS_SIGN_EDDSA_ED448, "ed448"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(map); i++)
        if (map[i].sign == sign)
            return map[i].name;
    return "";
}

static int gtls_peer_info(struct th_conn *c, struct th_peer_info *out)
{
    memset(out, 0, sizeof(*out));
    unsigned n = 0;
    const gnutls_datum_t *certs = c->done ? gnutls_certificate_get_peers(c->s, &n) : NULL;
    if (!certs || n == 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        out->chain = th_xrealloc(out->chain, out->chain_len + certs[i].size);
        memcpy(out->chain + out->chain_len, certs[i].data, certs[i].size);
        out->chain_len += certs[i].size;
        out->n_certs++;
    }
    /* TLS 1.2 RSA key transport signs nothing */
    if (gnutls_kx_get(c->s) != GNUTLS_KX_RSA)
        th_strlcpy(out->sig_scheme, sig_scheme_name(gnutls_sign_algorithm_get(c->s)),
                   sizeof(out->sig_scheme));
    return 0;
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

static int gtls_init(void)
{
    pthread_once(&once, init_once);
    return gnutls_global_init() < 0 || n_suite_table == 0 ? -1 : 0;
}

static void gtls_cleanup(void)
{
    gnutls_global_deinit();
}

/* A suite we can run: one with an IANA entry, authenticated by a certificate the
 * test PKI has (RSA, ECDSA) and keyed without PSK/SRP/anonymous exchange, for which
 * we have no credentials. NULL encryption is out: no one should negotiate it. */
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

static int group_supported(gnutls_group_t g)
{
    for (const gnutls_group_t *p = gnutls_group_list(); p && *p; p++)
        if (*p == g)
            return 1;
    return 0;
}

static void gtls_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    pthread_once(&once, init_once);
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    out->versions = TH_VERSIONS_ALL;
    out->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    out->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                    TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER | TH_CAP_DRIVER_IO |
                    TH_CAP_TRUNCATION; /* GNUTLS_E_PREMATURE_TERMINATION */
    for (size_t i = 0; i < n_suite_table && out->n_suites < TH_MAX_SUITES; i++)
        if (suite_usable(suite_table[i].id))
            out->suites[out->n_suites++] = suite_table[i].id;
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_supported(group_map[i].group))
            out->groups[out->n_groups++] = group_map[i].iana;
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
    .session_free = gtls_session_free,
    /* not a socket-owning backend */
    .fetch = NULL,
    /* data path */
    .key_update = gtls_key_update,
    .aead_cost = gtls_aead_cost,
    /* inspection */
    .peer_info = gtls_peer_info,
};
