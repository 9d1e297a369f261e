/* The libcurl client backends, curl-openssl and curl-gnutls: socket-owning clients
 * that do one whole HTTPS GET through ->fetch. Debian ships libcurl twice, built on
 * OpenSSL (libcurl.so.4) and on GnuTLS (libcurl-gnutls.so.4), with the same symbol
 * names; both are loaded with dlopen(RTLD_LOCAL) into their own table of function
 * pointers, so one process runs both. Underneath are the same libssl.so.3 and
 * libgnutls.so.30 this program links, so the TLS objects libcurl hands out
 * (CURLINFO_TLS_SSL_PTR, CURLOPT_SSL_CTX_FUNCTION) are read with their own APIs.
 *
 * TH_CURL_OPENSSL_LIB / TH_CURL_GNUTLS_LIB in the environment name another library
 * file for a flavour (a libcurl built elsewhere). A flavour whose library is missing
 * or built on another TLS library says so in its version string, declares no role
 * and no capability, and its fetch fails with internal_error giving the reason: the
 * rest of the harness runs on without it.
 *
 * Errors keep curl's own words: err.code is the CURLcode; err.text has curl's text
 * for it, the CURLOPT_ERRORBUFFER text and, for a refused certificate, the TLS
 * library's verify code (X509_V_ERR_* or gnutls_certificate_status_t bits). */
#include "backend.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness/vocab/util.h"
#include "gnutls_map.h"
#include "openssl_map.h"

extern const struct th_backend th_backend_openssl;

/* Largest body kept: what `tlsharness serve` sends at most, plus room for a page. */
#define MAX_BODY ((1ull << 30) + 65536)

/* ---- the two libraries ---- */

struct curl_api {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    curl_version_info_data *(*version_info)(CURLversion v);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

struct flavour {
    const char *name;     /* the backend's name */
    const char *soname;   /* the library Debian ships */
    const char *env;      /* names another library file */
    const char *ssl_name; /* curl_version_info's ssl_version starts with it */
    curl_sslbackend tls;  /* what CURLINFO_TLS_SSL_PTR reports */
    pthread_once_t *once; /* load() runs once */
    int ok;               /* loaded, right TLS library, global init done */
    char version[256];    /* "libcurl/7.88.1 OpenSSL/3.0.x", or why it is unavailable */
    struct curl_api api;
};

static pthread_once_t once_openssl = PTHREAD_ONCE_INIT, once_gnutls = PTHREAD_ONCE_INIT;

static struct flavour fl_openssl = {
    .name = "curl-openssl",
    .soname = "libcurl.so.4",
    .env = "TH_CURL_OPENSSL_LIB",
    .ssl_name = "OpenSSL/",
    .tls = CURLSSLBACKEND_OPENSSL,
    .once = &once_openssl,
};

static struct flavour fl_gnutls = {
    .name = "curl-gnutls",
    .soname = "libcurl-gnutls.so.4",
    .env = "TH_CURL_GNUTLS_LIB",
    .ssl_name = "GnuTLS/",
    .tls = CURLSSLBACKEND_GNUTLS,
    .once = &once_gnutls,
};

/* SSL_CTX ex_data slot carrying the fetch a context belongs to (OpenSSL flavour). */
static int ctx_index = -1;
/* For suite names: made once and only read (SSL_CIPHER_find searches libssl's
 * static tables), so any thread may use it. */
static SSL_CTX *lookup_ctx;
static SSL *lookup_ssl;

/* -1 and the reason in f->version when a symbol is missing. */
static int load_symbols(struct flavour *f, void *dl)
{
    static const struct {
        const char *sym;
        size_t off;
    } syms[] = {
#define SYM(field, name) {name, offsetof(struct curl_api, field)}
        SYM(global_init, "curl_global_init"),       SYM(global_cleanup, "curl_global_cleanup"),
        SYM(version_info, "curl_version_info"),     SYM(easy_init, "curl_easy_init"),
        SYM(easy_setopt, "curl_easy_setopt"),       SYM(easy_perform, "curl_easy_perform"),
        SYM(easy_getinfo, "curl_easy_getinfo"),     SYM(easy_cleanup, "curl_easy_cleanup"),
        SYM(easy_strerror, "curl_easy_strerror"),   SYM(slist_append, "curl_slist_append"),
        SYM(slist_free_all, "curl_slist_free_all"),
#undef SYM
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(syms); i++) {
        void *p = dlsym(dl, syms[i].sym);
        if (!p) {
            snprintf(f->version, sizeof(f->version), "unavailable: %s", dlerror());
            return -1;
        }
        /* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
        memcpy((char *)&f->api + syms[i].off, &p, sizeof(p));
    }
    return 0;
}

/* Refuse a library built on another TLS library than the flavour says: what we
 * read from CURLINFO_TLS_SSL_PTR would be another library's object. */
static int check_tls_library(struct flavour *f, const char *file)
{
    const curl_version_info_data *v = f->api.version_info(CURLVERSION_NOW);
    const char *ssl = v && v->ssl_version ? v->ssl_version : "no TLS library";
    if (strncmp(ssl, f->ssl_name, strlen(f->ssl_name)) != 0) {
        snprintf(f->version, sizeof(f->version), "unavailable: %s is built on %s, not %.*s", file,
                 ssl, (int)strlen(f->ssl_name) - 1, f->ssl_name);
        return -1;
    }
    snprintf(f->version, sizeof(f->version), "libcurl/%s %s", v->version, ssl);
    return 0;
}

/* The library is never dlclose'd: it may have initialised libraries (OpenSSL,
 * GnuTLS, LDAP) whose exit handlers would then point into unmapped code. */
static void load(struct flavour *f)
{
    const char *file = getenv(f->env);
    file = file && *file ? file : f->soname;
    void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(f->version, sizeof(f->version), "unavailable: %s", dlerror());
        return;
    }
    if (load_symbols(f, dl) != 0 || check_tls_library(f, file) != 0)
        return;
    CURLcode rc = f->api.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(f->version, sizeof(f->version), "unavailable: curl_global_init: %s (%d)",
                 f->api.easy_strerror(rc), (int)rc);
        return;
    }
    f->ok = 1;
}

static void load_openssl(void)
{
    ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    lookup_ctx = SSL_CTX_new(TLS_method());
    lookup_ssl = lookup_ctx ? SSL_new(lookup_ctx) : NULL;
    ERR_clear_error();
    if (ctx_index < 0 || !lookup_ssl) {
        snprintf(fl_openssl.version, sizeof(fl_openssl.version),
                 "unavailable: setting up OpenSSL (ex_data index, lookup SSL) failed");
        return;
    }
    load(&fl_openssl);
}

static void load_gnutls(void)
{
    load(&fl_gnutls);
}

static int flavour_ready(struct flavour *f)
{
    pthread_once(f->once, f == &fl_openssl ? load_openssl : load_gnutls);
    return f->ok;
}

/* ---- IANA <-> library names ---- */

/* OpenSSL's name for a TLS <= 1.2 suite (CURLOPT_SSL_CIPHER_LIST takes no IANA
 * names). NULL when this libssl does not know the suite. */
static const char *ossl_suite_name(uint16_t id)
{
    unsigned char bytes[2] = {(unsigned char)(id >> 8), (unsigned char)id};
    const SSL_CIPHER *c = lookup_ssl ? SSL_CIPHER_find(lookup_ssl, bytes) : NULL;
    return c ? SSL_CIPHER_get_name(c) : NULL;
}

/* ---- one fetch ---- */

struct body {
    unsigned char *data;
    size_t len, cap;
    int too_big;
};

struct fetch {
    struct flavour *f;
    const struct th_tls_config *cfg;
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hosts; /* CURLOPT_RESOLVE / CURLOPT_CONNECT_TO entries */
    struct body body;
    int have_neg;
    struct th_negotiated neg;
    /* OpenSSL flavour, set up from CURLOPT_SSL_CTX_FUNCTION */
    int seclevel0;       /* TLS 1.0/1.1 asked for: security level 0 */
    int no_tls12_suites; /* only TLS 1.3 suites asked for: an empty TLS <= 1.2 list */
    SSL_verify_cb prev_verify;
    int verify_err; /* first failure of the chain check; 0: none */
    int verify_depth;
    X509 *verify_cert; /* the certificate it failed on (a reference) */
};

static int fail_config(struct th_error *err, const char *fmt, const char *a, const char *b)
{
    th_error_set(err, TH_INTERNAL_ERROR, 0, fmt, a, b);
    return -1;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t len = size * n;
    if (b->len + len > MAX_BODY) {
        b->too_big = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + len)
            cap *= 2;
        b->data = th_xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return len;
}

/* The TLS object of CURLINFO_TLS_SSL_PTR lives only as long as the connection, so
 * it is read from the header callback: it runs once the handshake is done and the
 * connection is up, and, unlike the body callback, also for a response without a
 * body. (CURLOPT_PREREQFUNCTION would run earlier, before a TLS 1.3 server's
 * tickets and the request; what it could read is the same.) */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct fetch *fx = arg;
    struct curl_tlssessioninfo *info = NULL;
    if (fx->have_neg)
        return size * n;
    fx->have_neg = 1;
    if (fx->f->api.easy_getinfo(fx->h, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
        !info->internals)
        return size * n;
    if (info->backend == CURLSSLBACKEND_OPENSSL && fx->f->tls == CURLSSLBACKEND_OPENSSL)
        th_ossl_negotiated(info->internals, &fx->neg);
    else if (info->backend == CURLSSLBACKEND_GNUTLS && fx->f->tls == CURLSSLBACKEND_GNUTLS)
        th_gnutls_negotiated(info->internals, &fx->neg);
    return size * n;
}

/* Records the first failure of the chain check with the depth and certificate it
 * happened on: CURLINFO_SSL_VERIFYRESULT keeps only the code, and
 * X509_V_ERR_INVALID_PURPOSE needs the certificate to tell EKU from key usage.
 * curl's own callback, if it has one, still decides. */
static int on_verify(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct fetch *fx = ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index) : NULL;
    if (fx && fx->prev_verify)
        ok = fx->prev_verify(ok, store);
    if (!ok && fx && !fx->verify_err) {
        fx->verify_err = X509_STORE_CTX_get_error(store);
        fx->verify_depth = X509_STORE_CTX_get_error_depth(store);
        fx->verify_cert = X509_STORE_CTX_get_current_cert(store);
        if (fx->verify_cert)
            X509_up_ref(fx->verify_cert);
    }
    return ok;
}

/* CURLOPT_SSL_CTX_FUNCTION: runs after curl has configured the SSL_CTX of a new
 * connection, before the handshake. */
static CURLcode on_ssl_ctx(CURL *h, void *sslctx, void *arg)
{
    struct fetch *fx = arg;
    SSL_CTX *ctx = sslctx;
    if (SSL_CTX_set_ex_data(ctx, ctx_index, fx) != 1)
        return CURLE_SSL_CERTPROBLEM;
    fx->prev_verify = SSL_CTX_get_verify_callback(ctx);
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on_verify);
    /* TLS 1.0/1.1 sign the handshake with MD5+SHA1/SHA1, which OpenSSL 3 refuses
     * above level 0; the OpenSSL backend lowers it the same way. */
    if (fx->seclevel0)
        SSL_CTX_set_security_level(ctx, 0);
    /* curl refuses an empty CURLOPT_SSL_CIPHER_LIST; OpenSSL installs the empty
     * list, then returns 0 (SSL_R_NO_CIPHER_MATCH) - which is what was asked. */
    if (fx->no_tls12_suites)
        (void)SSL_CTX_set_cipher_list(ctx, "");
    ERR_clear_error();
    return CURLE_OK;
}

/* ---- configuration ---- */

#define SET(fx, opt, val)                                                                          \
    do {                                                                                           \
        CURLcode rc_ = (fx)->f->api.easy_setopt((fx)->h, opt, val);                                \
        if (rc_ != CURLE_OK)                                                                       \
            return setopt_failed(fx, #opt, rc_, err);                                              \
    } while (0)

static int setopt_failed(struct fetch *fx, const char *opt, CURLcode rc, struct th_error *err)
{
    th_error_set(err, TH_INTERNAL_ERROR, rc, "%s refuses %s: %s (%d)", fx->f->name, opt,
                 fx->f->api.easy_strerror(rc), (int)rc);
    return -1;
}

static int is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int is_ip6(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET6, s, buf) == 1;
}

/* A host for a URL or a RESOLVE entry: IPv6 literals in brackets. */
static void url_host(char *out, size_t cap, const char *h)
{
    snprintf(out, cap, is_ip6(h) ? "[%s]" : "%s", h);
}

/* Versions as CURLOPT_SSLVERSION: min | max, the set a contiguous range. */
TH_MUST_CHECK static int ssl_version(unsigned set, long *out, struct th_error *err)
{
    static const long min[] = {CURL_SSLVERSION_TLSv1_0, CURL_SSLVERSION_TLSv1_1,
                               CURL_SSLVERSION_TLSv1_2, CURL_SSLVERSION_TLSv1_3};
    static const long max[] = {CURL_SSLVERSION_MAX_TLSv1_0, CURL_SSLVERSION_MAX_TLSv1_1,
                               CURL_SSLVERSION_MAX_TLSv1_2, CURL_SSLVERSION_MAX_TLSv1_3};
    uint16_t lo = th_versions_lowest(set), hi = th_versions_highest(set);
    if (!lo || lo < TH_TLS10 || hi > TH_TLS13) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "no TLS version 1.0-1.3 requested");
        return -1;
    }
    for (uint16_t v = lo; v <= hi; v++)
        if (!(set & TH_VBIT(v))) {
            th_error_set(err, TH_INTERNAL_ERROR, 0,
                         "curl takes a version range: TLS %s-%s without TLS %s cannot be asked",
                         th_version_name(lo), th_version_name(hi), th_version_name(v));
            return -1;
        }
    *out = min[lo - TH_TLS10] | max[hi - TH_TLS10];
    return 0;
}

static void list_add(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? ":" : "", s);
}

/* The ordered suite list: TLS 1.3 suites by IANA name (CURLOPT_TLS13_CIPHERS),
 * older ones by OpenSSL name (CURLOPT_SSL_CIPHER_LIST). */
TH_MUST_CHECK static int set_suites_openssl(struct fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    char tls13[1024] = "", tls12[8192] = "";
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
        const char *name = s && s->min_version != TH_TLS13 ? ossl_suite_name(s->id) : NULL;
        if (!s || (s->min_version != TH_TLS13 && !name)) {
            th_error_set(err, TH_INTERNAL_ERROR, cfg->suites[i],
                         "suite 0x%04x is unknown to OpenSSL", cfg->suites[i]);
            return -1;
        }
        list_add(s->min_version == TH_TLS13 ? tls13 : tls12,
                 s->min_version == TH_TLS13 ? sizeof(tls13) : sizeof(tls12),
                 s->min_version == TH_TLS13 ? s->name : name);
    }
    /* An empty TLS 1.3 list is taken and offers none; see on_ssl_ctx for 1.2. */
    SET(fx, CURLOPT_TLS13_CIPHERS, tls13);
    fx->no_tls12_suites = tls12[0] == '\0';
    if (!fx->no_tls12_suites) {
        if (fx->seclevel0)
            list_add(tls12, sizeof(tls12), "@SECLEVEL=0");
        SET(fx, CURLOPT_SSL_CIPHER_LIST, tls12);
    }
    return 0;
}

TH_MUST_CHECK static int set_groups_openssl(struct fetch *fx, struct th_error *err)
{
    char list[256] = "";
    for (size_t i = 0; i < fx->cfg->n_groups; i++) {
        const char *name = th_ossl_group_name(fx->cfg->groups[i]);
        if (!name) {
            th_error_set(err, TH_INTERNAL_ERROR, fx->cfg->groups[i],
                         "group 0x%04x is unknown to this backend", fx->cfg->groups[i]);
            return -1;
        }
        list_add(list, sizeof(list), name);
    }
    if (fx->cfg->n_groups)
        SET(fx, CURLOPT_SSL_EC_CURVES, list);
    return 0;
}

TH_MUST_CHECK static int set_tls_openssl(struct fetch *fx, struct th_error *err)
{
    /* the same libssl as the OpenSSL backend's: its top version needs a suite */
    unsigned v = th_versions_effective(fx->cfg->versions, fx->cfg->suites, fx->cfg->n_suites);
    long sv;
    TH_GUARD(ssl_version(v, &sv, err));
    SET(fx, CURLOPT_SSLVERSION, sv);
    fx->seclevel0 = (v & (TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11))) != 0;
    if (fx->cfg->n_suites)
        TH_GUARD(set_suites_openssl(fx, err));
    TH_GUARD(set_groups_openssl(fx, err));
    SET(fx, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
    SET(fx, CURLOPT_SSL_CTX_DATA, fx);
    return 0;
}

/* libcurl-gnutls builds its priority string from the version range alone (NORMAL
 * with the versions named): it takes CURLOPT_SSL_CIPHER_LIST and then ignores it,
 * refuses CURLOPT_TLS13_CIPHERS, and has no groups option. Asking for a list it
 * would not honour is refused here rather than offering something else. */
TH_MUST_CHECK static int set_tls_gnutls(struct fetch *fx, struct th_error *err)
{
    long sv;
    if (fx->cfg->n_suites)
        return fail_config(err, "%s cannot restrict cipher suites%s", fx->f->name,
                           " (libcurl-gnutls ignores CURLOPT_SSL_CIPHER_LIST)");
    if (fx->cfg->n_groups)
        return fail_config(err, "%s cannot restrict groups%s", fx->f->name,
                           " (libcurl-gnutls has no CURLOPT_SSL_EC_CURVES)");
    TH_GUARD(ssl_version(fx->cfg->versions, &sv, err));
    SET(fx, CURLOPT_SSLVERSION, sv);
    /* The chain, kept for a refused certificate: curl-gnutls collects it before its
     * check (self-signed or not, key size). */
    if (fx->cfg->verify)
        SET(fx, CURLOPT_CERTINFO, 1L);
    return 0;
}

/* Which name goes into the URL (and so into SNI and curl's host check), and where
 * to connect. curl sends its URL's DNS name as server_name and none for an IP
 * literal; a server_name it cannot send is refused. */
TH_MUST_CHECK static int set_target(struct fetch *fx, const char *host, uint16_t port,
                                    const char *path, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    const char *name = cfg->hostname ? cfg->hostname : cfg->sni ? cfg->sni : host;
    const char *sni_sent = is_ip(name) ? NULL : name;
    if ((cfg->sni || sni_sent) && (!cfg->sni || !sni_sent || strcmp(cfg->sni, sni_sent) != 0))
        return fail_config(err,
                           "curl sends the URL's DNS name as server_name: cannot send %s "
                           "while the URL names %s",
                           cfg->sni ? cfg->sni : "none", name);
    char uh[300], hh[300], entry[700];
    url_host(uh, sizeof(uh), name);
    url_host(hh, sizeof(hh), host);
    if (strcmp(name, host) != 0) {
        /* A DNS name resolves to the host's address; an IP literal in the URL is never
         * looked up, and a host given by name is no address: both CONNECT_TO. */
        int resolve = !is_ip(name) && is_ip(host);
        if (resolve)
            snprintf(entry, sizeof(entry), "%s:%u:%s", name, port, hh);
        else
            snprintf(entry, sizeof(entry), "%s:%u:%s:%u", uh, port, hh, port);
        fx->hosts = fx->f->api.slist_append(NULL, entry);
        if (!fx->hosts) {
            th_error_set(err, TH_INTERNAL_ERROR, 0, "curl_slist_append failed");
            return -1;
        }
        if (resolve)
            SET(fx, CURLOPT_RESOLVE, fx->hosts);
        else
            SET(fx, CURLOPT_CONNECT_TO, fx->hosts);
    }
    char *url = th_xasprintf("https://%s:%u%s%s", uh, port, path[0] == '/' ? "" : "/", path);
    CURLcode rc = fx->f->api.easy_setopt(fx->h, CURLOPT_URL, url);
    free(url);
    if (rc != CURLE_OK)
        return setopt_failed(fx, "CURLOPT_URL", rc, err);
    return 0;
}

TH_MUST_CHECK static int set_trust(struct fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    /* Only the given file is trusted: not the system bundle, not /etc/ssl/certs. */
    SET(fx, CURLOPT_CAINFO, cfg->ca_file);
    SET(fx, CURLOPT_CAPATH, (char *)NULL);
    if (cfg->crl_file)
        SET(fx, CURLOPT_CRLFILE, cfg->crl_file);
    SET(fx, CURLOPT_SSL_VERIFYPEER, cfg->verify ? 1L : 0L);
    SET(fx, CURLOPT_SSL_VERIFYHOST, cfg->verify && cfg->hostname ? 2L : 0L);
    return 0;
}

/* curl offers ALPN "http/1.1" (HTTP/1.1 only) or nothing. */
TH_MUST_CHECK static int set_alpn(struct fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    if (cfg->n_alpn > 1 || (cfg->n_alpn == 1 && strcmp(cfg->alpn[0], "http/1.1") != 0))
        return fail_config(err, "%s offers ALPN http/1.1 or nothing: cannot offer %s", fx->f->name,
                           cfg->alpn[0]);
    SET(fx, CURLOPT_SSL_ENABLE_ALPN, cfg->n_alpn ? 1L : 0L);
    return 0;
}

TH_MUST_CHECK static int configure(struct fetch *fx, const char *host, uint16_t port,
                                   const char *path, struct th_error *err)
{
    if (fx->cfg->role != TH_ROLE_CLIENT)
        return fail_config(err, "%s has only the client role%s", fx->f->name, "");
    SET(fx, CURLOPT_ERRORBUFFER, fx->errbuf);
    SET(fx, CURLOPT_NOSIGNAL, 1L);
    SET(fx, CURLOPT_NOPROXY, "*");
    SET(fx, CURLOPT_PROTOCOLS_STR, "https");
    SET(fx, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(fx, CURLOPT_WRITEFUNCTION, on_body);
    SET(fx, CURLOPT_WRITEDATA, &fx->body);
    SET(fx, CURLOPT_HEADERFUNCTION, on_header);
    SET(fx, CURLOPT_HEADERDATA, fx);
    TH_GUARD(set_target(fx, host, port, path, err));
    TH_GUARD(set_trust(fx, err));
    TH_GUARD(set_alpn(fx, err));
    /* Resuming, the first connection is closed after its response rather than kept
     * for reuse, so a server serving one connection at a time is not held. */
    if (fx->cfg->resume != TH_RESUME_NONE)
        SET(fx, CURLOPT_FORBID_REUSE, 1L);
    if (fx->f->tls == CURLSSLBACKEND_OPENSSL)
        return set_tls_openssl(fx, err);
    return set_tls_gnutls(fx, err);
}

/* ---- errors ---- */

/* curl-openssl writes OpenSSL's packed error ("error:0A000410:SSL routines::...")
 * into the error buffer: its reason says what happened. 0 when there is none. */
static int ossl_text_outcome(const char *text, enum th_outcome *out)
{
    const char *p = strstr(text, "error:");
    unsigned long e;
    /* the peer closed the connection mid-handshake, no alert: what the openssl
     * backend reports as "unexpected eof", curl words as a system call error */
    if (strstr(text, "SSL_ERROR_SYSCALL")) {
        *out = TH_TRUNCATED;
        return 1;
    }
    if (!p || sscanf(p, "error:%8lx:", &e) != 1 || ERR_GET_LIB(e) != ERR_LIB_SSL)
        return 0;
    *out = th_ossl_reason_outcome(ERR_GET_REASON(e));
    return 1;
}

/* GnuTLS codes whose text curl-gnutls copies into the error buffer, looked for in
 * this order; each is mapped as the GnuTLS backend maps it. */
static const int gnutls_codes[] = {
    GNUTLS_E_NO_CIPHER_SUITES,
    GNUTLS_E_UNKNOWN_CIPHER_SUITE,
    GNUTLS_E_INSUFFICIENT_CREDENTIALS,
    GNUTLS_E_NO_COMMON_KEY_SHARE,
    GNUTLS_E_ECC_NO_SUPPORTED_CURVES,
    GNUTLS_E_ECC_UNSUPPORTED_CURVE,
    GNUTLS_E_INSUFFICIENT_SECURITY,
    GNUTLS_E_UNSUPPORTED_VERSION_PACKET,
    GNUTLS_E_DECRYPTION_FAILED,
    GNUTLS_E_PREMATURE_TERMINATION,
    GNUTLS_E_PUSH_ERROR,
    GNUTLS_E_PULL_ERROR,
    GNUTLS_E_KEY_USAGE_VIOLATION,
    GNUTLS_E_TIMEDOUT,
};

/* curl-gnutls writes "gnutls_handshake() failed: " and the name of a received
 * fatal alert, or GnuTLS's text for its error code: either says what happened. */
static int gnutls_text_outcome(const char *text, enum th_outcome *out)
{
    const char *p = strstr(text, "failed: ");
    if (p) {
        p += 8;
        for (int a = 0; a < 256; a++) {
            const char *name = gnutls_alert_get_name((gnutls_alert_description_t)a);
            if (name && strcmp(p, name) == 0) {
                *out = th_outcome_from_alert(a);
                return 1;
            }
        }
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(gnutls_codes); i++)
        if (strstr(text, gnutls_strerror(gnutls_codes[i]))) {
            *out = th_gnutls_error_outcome(gnutls_codes[i]);
            return 1;
        }
    return 0;
}

static int tls_text_outcome(const struct fetch *fx, enum th_outcome *out)
{
    if (fx->f->tls == CURLSSLBACKEND_OPENSSL)
        return ossl_text_outcome(fx->errbuf, out);
    return gnutls_text_outcome(fx->errbuf, out);
}

/* The leaf curl-gnutls recorded (CURLOPT_CERTINFO) and how many certificates the
 * server sent; NULL when there is none. */
static gnutls_x509_crt_t certinfo_leaf(const struct fetch *fx, int *n_certs)
{
    struct curl_certinfo *ci = NULL;
    *n_certs = 0;
    if (fx->f->api.easy_getinfo(fx->h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
        ci->num_of_certs < 1)
        return NULL;
    *n_certs = ci->num_of_certs;
    for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next) {
        gnutls_x509_crt_t crt;
        if (strncmp(l->data, "Cert:", 5) != 0 || gnutls_x509_crt_init(&crt) < 0)
            continue;
        gnutls_datum_t pem = {(unsigned char *)l->data + 5, (unsigned)strlen(l->data + 5)};
        if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) >= 0)
            return crt;
        gnutls_x509_crt_deinit(crt);
    }
    return NULL;
}

/* The bits of gnutls_certificate_status_t, as the GnuTLS backend maps them, with
 * the leaf curl-gnutls recorded. libcurl-gnutls checks the chain with
 * gnutls_certificate_verify_peers2 (no host name, no purpose) and the host name
 * itself, so PURPOSE_MISMATCH and UNEXPECTED_OWNER never come from it. */
static enum th_outcome gnutls_status_outcome(const struct fetch *fx, unsigned st)
{
    int n = 0;
    gnutls_x509_crt_t leaf = certinfo_leaf(fx, &n);
    enum th_outcome o = th_gnutls_status_outcome(st, leaf, (unsigned)n);
    if (leaf)
        gnutls_x509_crt_deinit(leaf);
    return o;
}

/* A refused certificate (CURLE_PEER_FAILED_VERIFICATION; for OpenSSL also
 * CURLE_SSL_CONNECT_ERROR, see code_outcome): the chain check's first failure as our
 * verify callback saw it, or curl's own host name check, which runs after the
 * library's (curl-openssl then leaves X509_V_ERR_UNSPECIFIED as the result). */
static enum th_outcome ossl_verify_outcome(const struct fetch *fx, long res, char *what, size_t cap)
{
    if (fx->verify_err) {
        snprintf(what, cap, "; X509 verify error %d at depth %d: %s", fx->verify_err,
                 fx->verify_depth, X509_verify_cert_error_string(fx->verify_err));
        return th_ossl_verify_outcome(fx->verify_err, fx->verify_cert);
    }
    if (strstr(fx->errbuf, "host name"))
        return TH_HOSTNAME_MISMATCH;
    snprintf(what, cap, "; X509 verify result %ld: %s", res, X509_verify_cert_error_string(res));
    return res ? th_ossl_verify_outcome((int)res, NULL) : TH_HANDSHAKE_FAILURE;
}

static enum th_outcome verify_outcome(const struct fetch *fx, char *what, size_t cap)
{
    long res = 0;
    if (fx->f->api.easy_getinfo(fx->h, CURLINFO_SSL_VERIFYRESULT, &res) != CURLE_OK)
        res = 0;
    if (fx->f->tls == CURLSSLBACKEND_OPENSSL)
        return ossl_verify_outcome(fx, res, what, cap);
    if (res) {
        snprintf(what, cap, "; gnutls_certificate_status 0x%lx", (unsigned long)res);
        return gnutls_status_outcome(fx, (unsigned)res);
    }
    return strstr(fx->errbuf, "host name") ? TH_HOSTNAME_MISMATCH : TH_HANDSHAKE_FAILURE;
}

/* curl-openssl decides "certificate problem" from the OLDEST error on OpenSSL's
 * queue: a leaf whose signature does not verify leaves an RSA padding error in
 * front of "certificate verify failed", and curl reports CURLE_SSL_CONNECT_ERROR
 * with the RSA text. Our verify callback saw the real reason. */
static int ossl_chain_refused(const struct fetch *fx)
{
    return fx->f->tls == CURLSSLBACKEND_OPENSSL && fx->cfg->verify && fx->verify_err;
}

static enum th_outcome code_outcome(struct fetch *fx, CURLcode rc, char *what, size_t cap)
{
    enum th_outcome o;
    switch (rc) {
    case CURLE_OK: return TH_OK;
    case CURLE_OPERATION_TIMEDOUT: return TH_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY: return TH_IO_ERROR;
    case CURLE_PARTIAL_FILE: return TH_TRUNCATED;
    case CURLE_PEER_FAILED_VERIFICATION: return verify_outcome(fx, what, cap);
    case CURLE_SSL_CONNECT_ERROR:
        if (ossl_chain_refused(fx))
            return verify_outcome(fx, what, cap);
        return tls_text_outcome(fx, &o) ? o : TH_HANDSHAKE_FAILURE;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: return tls_text_outcome(fx, &o) ? o : TH_IO_ERROR;
    default: return TH_INTERNAL_ERROR;
    }
}

static void set_error(struct fetch *fx, CURLcode rc, int which, struct th_error *err)
{
    char what[200] = "";
    enum th_outcome o = code_outcome(fx, rc, what, sizeof(what));
    if (fx->body.too_big)
        snprintf(what, sizeof(what), "; body over %llu bytes", (unsigned long long)MAX_BODY);
    th_error_set(err, o, rc, "%s%s (%d): %s%s", which ? "second connection: " : "",
                 fx->f->api.easy_strerror(rc), (int)rc, fx->errbuf[0] ? fx->errbuf : "no detail",
                 what);
}

/* ---- the fetch ---- */

static void reset_transfer(struct fetch *fx)
{
    fx->body.len = 0;
    fx->body.too_big = 0;
    fx->have_neg = 0;
    memset(&fx->neg, 0, sizeof(fx->neg));
    fx->errbuf[0] = '\0';
    fx->verify_err = 0;
    X509_free(fx->verify_cert);
    fx->verify_cert = NULL;
}

/* One GET within the deadline. which: 0 the first connection, 1 the resumed one. */
static int perform(struct fetch *fx, uint64_t deadline, int which, struct th_fetch_result *out)
{
    uint64_t now = th_now_ns();
    long ms = deadline > now ? (long)((deadline - now + 999999) / 1000000) : 1;
    reset_transfer(fx);
    CURLcode rc = fx->f->api.easy_setopt(fx->h, CURLOPT_TIMEOUT_MS, ms);
    if (rc == CURLE_OK && which)
        rc = fx->f->api.easy_setopt(fx->h, CURLOPT_FRESH_CONNECT, 1L);
    if (rc == CURLE_OK)
        rc = fx->f->api.easy_perform(fx->h);
    if (fx->f->api.easy_getinfo(fx->h, CURLINFO_RESPONSE_CODE, &out->http_status) != CURLE_OK)
        out->http_status = 0;
    out->neg = fx->neg;
    if (rc == CURLE_OK)
        return 0;
    set_error(fx, rc, which, &out->err);
    return -1;
}

static void fetch_free(struct fetch *fx)
{
    if (fx->h)
        fx->f->api.easy_cleanup(fx->h); /* closes the connections: before the lists */
    if (fx->hosts)
        fx->f->api.slist_free_all(fx->hosts);
    X509_free(fx->verify_cert);
    free(fx->body.data);
}

static int do_fetch(struct flavour *f, const struct th_tls_config *cfg, const char *host,
                    uint16_t port, const char *path, double timeout_s, struct th_fetch_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!flavour_ready(f)) {
        th_error_set(&out->err, TH_INTERNAL_ERROR, 0, "%s %s", f->name, f->version);
        return -1;
    }
    uint64_t deadline = th_now_ns() + (uint64_t)((timeout_s > 0 ? timeout_s : 30) * 1e9);
    struct fetch fx = {.f = f, .cfg = cfg};
    fx.h = f->api.easy_init();
    if (!fx.h) {
        th_error_set(&out->err, TH_INTERNAL_ERROR, 0, "%s: curl_easy_init failed", f->name);
        return -1;
    }
    int rc = configure(&fx, host, port, path ? path : "/", &out->err);
    /* Resuming: a second GET on the same handle (and so its session cache) over a
     * new connection (see configure and perform). */
    if (rc == 0 && cfg->resume != TH_RESUME_NONE)
        rc = perform(&fx, deadline, 0, out);
    if (rc == 0)
        rc = perform(&fx, deadline, cfg->resume != TH_RESUME_NONE, out);
    if (rc == 0) {
        out->body = fx.body.data;
        out->body_len = fx.body.len;
        fx.body.data = NULL;
    }
    fetch_free(&fx);
    return rc;
}

static int fetch_openssl(const struct th_tls_config *cfg, const char *host, uint16_t port,
                         const char *path, double timeout_s, struct th_fetch_result *out)
{
    return do_fetch(&fl_openssl, cfg, host, port, path, timeout_s, out);
}

static int fetch_gnutls(const struct th_tls_config *cfg, const char *host, uint16_t port,
                        const char *path, double timeout_s, struct th_fetch_result *out)
{
    return do_fetch(&fl_gnutls, cfg, host, port, path, timeout_s, out);
}

/* ---- identity and capabilities ---- */

static const char *version_openssl(void)
{
    flavour_ready(&fl_openssl);
    return fl_openssl.version;
}

static const char *version_gnutls(void)
{
    flavour_ready(&fl_gnutls);
    return fl_gnutls.version;
}

/* A missing library is not fatal to the process: the flavour reports itself
 * unavailable (version, no role) and the other backends run on. */
static int init_openssl(void)
{
    flavour_ready(&fl_openssl);
    return 0;
}

static int init_gnutls(void)
{
    flavour_ready(&fl_gnutls);
    return 0;
}

static void cleanup_flavour(struct flavour *f)
{
    if (f->ok)
        f->api.global_cleanup();
    f->ok = 0;
}

static void cleanup_openssl(void)
{
    cleanup_flavour(&fl_openssl);
}

static void cleanup_gnutls(void)
{
    cleanup_flavour(&fl_gnutls);
}

/* What both flavours do alike: a client on its own socket that checks the chain,
 * the DNS name or IP address, a CRL, sends SNI, pins a version range and resumes
 * TLS 1.2 sessions by id from its cache. It offers ALPN http/1.1 only, never a
 * chosen list, so TH_CAP_ALPN is not claimed. */
static void caps_common(struct th_caps *out)
{
    out->roles = TH_ROLE_CLIENT;
    out->versions = TH_VERSIONS_ALL;
    out->resume = TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    out->features = TH_CAP_OWN_SOCKET | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS;
}

/* The same libssl as the OpenSSL backend's client at its default security level:
 * its suites and groups, and both lists can be pinned. Tickets resume in TLS 1.3
 * only: curl sets SSL_OP_NO_TICKET, so its TLS 1.2 ClientHello has no
 * session_ticket extension and a 1.2 server without a session cache cannot resume
 * it - a gap the version-blind resume bits cannot say. */
static void caps_openssl(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    if (!flavour_ready(&fl_openssl))
        return;
    th_backend_openssl.caps(out);
    caps_common(out);
    out->resume |= TH_RESUME_BIT(TH_RESUME_TICKET);
    out->features |= TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS;
}

/* curl-gnutls's priority strings are NORMAL with only the versions changed, so it
 * negotiates what NORMAL enables on those versions, whatever it is asked. It never
 * resumes by ticket: its ClientHello carries neither session_ticket (TLS 1.2) nor
 * psk_key_exchange_modes (TLS 1.3). */
#define CURL_GNUTLS_PRIORITY "NORMAL:-ARCFOUR-128:-CTYPE-ALL:+CTYPE-X509:-VERS-SSL3.0"

static void caps_gnutls_lists(struct th_caps *out)
{
    gnutls_priority_t prio;
    unsigned idx;
    unsigned char id[2];
    const unsigned *groups = NULL;
    if (gnutls_priority_init2(&prio, CURL_GNUTLS_PRIORITY, NULL, 0) < 0)
        return;
    for (unsigned i = 0; out->n_suites < TH_MAX_SUITES; i++) {
        int ret = gnutls_priority_get_cipher_suite_index(prio, i, &idx);
        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (ret >= 0 && gnutls_cipher_suite_info(idx, id, NULL, NULL, NULL, NULL) &&
            th_suite_by_id((uint16_t)(id[0] << 8 | id[1])))
            out->suites[out->n_suites++] = (uint16_t)(id[0] << 8 | id[1]);
    }
    int n = gnutls_priority_group_list(prio, &groups);
    for (int i = 0; i < n && out->n_groups < TH_MAX_GROUPS; i++) {
        uint16_t g = th_gnutls_group_to_iana((gnutls_group_t)groups[i]);
        if (g)
            out->groups[out->n_groups++] = g;
    }
    gnutls_priority_deinit(prio);
}

static void caps_gnutls(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    if (!flavour_ready(&fl_gnutls))
        return;
    caps_common(out);
    caps_gnutls_lists(out);
}

const struct th_backend th_backend_curl_openssl = {
    /* identity */
    .name = "curl-openssl",
    .library = "libcurl (OpenSSL)",
    .version = version_openssl,
    .caps = caps_openssl,
    /* set-up: dlopen and curl_global_init, once */
    .init = init_openssl,
    .cleanup = cleanup_openssl,
    /* socket-owning client: no driver-owned I/O ops */
    .fetch = fetch_openssl,
};

const struct th_backend th_backend_curl_gnutls = {
    /* identity */
    .name = "curl-gnutls",
    .library = "libcurl (GnuTLS)",
    .version = version_gnutls,
    .caps = caps_gnutls,
    /* set-up: dlopen and curl_global_init, once */
    .init = init_gnutls,
    .cleanup = cleanup_gnutls,
    /* socket-owning client: no driver-owned I/O ops */
    .fetch = fetch_gnutls,
};
