/* The two libcurl libraries, dlopen'd (curl_lib.h). A flavour whose library is
 * missing or built on another TLS library says so in its version string; the rest of
 * the harness runs on without it. */
#include "curl_lib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "harness/vocab/util.h"

static pthread_once_t once_openssl = PTHREAD_ONCE_INIT, once_gnutls = PTHREAD_ONCE_INIT;

struct th_curl_flavour th_curl_flavour_openssl = {
    .name = "curl-openssl",
    .soname = "libcurl.so.4",
    .env = "TH_CURL_OPENSSL_LIB",
    .ssl_name = "OpenSSL/",
    .tls = CURLSSLBACKEND_OPENSSL,
    .once = &once_openssl,
};

struct th_curl_flavour th_curl_flavour_gnutls = {
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
static int load_symbols(struct th_curl_flavour *f, void *dl)
{
    static const struct {
        const char *sym;
        size_t off;
    } syms[] = {
#define SYM(field, name) {name, offsetof(struct th_curl_api, field)}
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
static int check_tls_library(struct th_curl_flavour *f, const char *file)
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
static void load(struct th_curl_flavour *f)
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
        snprintf(th_curl_flavour_openssl.version, sizeof(th_curl_flavour_openssl.version),
                 "unavailable: setting up OpenSSL (ex_data index, lookup SSL) failed");
        return;
    }
    load(&th_curl_flavour_openssl);
}

static void load_gnutls(void)
{
    load(&th_curl_flavour_gnutls);
}

int th_curl_ready(struct th_curl_flavour *f)
{
    pthread_once(f->once, f == &th_curl_flavour_openssl ? load_openssl : load_gnutls);
    return f->ok;
}

void th_curl_cleanup(struct th_curl_flavour *f)
{
    if (f->ok)
        f->api.global_cleanup();
    f->ok = 0;
}

int th_curl_ssl_ctx_index(void)
{
    return ctx_index;
}

/* OpenSSL's name for a TLS <= 1.2 suite (CURLOPT_SSL_CIPHER_LIST takes no IANA
 * names). NULL when this libssl does not know the suite. */
const char *th_curl_ossl_suite_name(uint16_t id)
{
    unsigned char bytes[2] = {(unsigned char)(id >> 8), (unsigned char)id};
    const SSL_CIPHER *c = lookup_ssl ? SSL_CIPHER_find(lookup_ssl, bytes) : NULL;
    return c ? SSL_CIPHER_get_name(c) : NULL;
}
