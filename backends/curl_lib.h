/* The two libcurl libraries of the libcurl backends (curl.c): Debian ships libcurl
 * twice, built on OpenSSL (libcurl.so.4) and on GnuTLS (libcurl-gnutls.so.4), with
 * the same symbol names, so each is loaded with dlopen(RTLD_LOCAL) into its own table
 * of function pointers and one process runs both. Defined in curl_lib.c. */
#ifndef TH_CURL_LIB_H
#define TH_CURL_LIB_H

#include <pthread.h>
#include <stdint.h>

#include <curl/curl.h>

#include "backend.h"

struct th_curl_api {
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

struct th_curl_flavour {
    const char *name;     /* the backend's name */
    const char *soname;   /* the library Debian ships */
    const char *env;      /* names another library file */
    const char *ssl_name; /* curl_version_info's ssl_version starts with it */
    curl_sslbackend tls;  /* what CURLINFO_TLS_SSL_PTR reports */
    pthread_once_t *once; /* load() runs once */
    int ok;               /* loaded, right TLS library, global init done */
    char version[256];    /* "libcurl/7.88.1 OpenSSL/3.0.x", or why it is unavailable */
    struct th_curl_api api;
};

extern struct th_curl_flavour th_curl_flavour_openssl, th_curl_flavour_gnutls;

/* Loads the flavour's library once (TH_CURL_OPENSSL_LIB / TH_CURL_GNUTLS_LIB name
 * another file); 1 when it is usable, 0 with the reason in f->version. */
int th_curl_ready(struct th_curl_flavour *f);
/* curl_global_cleanup, when the flavour was loaded. */
void th_curl_cleanup(struct th_curl_flavour *f);

/* The SSL_CTX ex_data slot that carries the fetch a context belongs to (OpenSSL
 * flavour); -1 before th_curl_ready(&th_curl_flavour_openssl). */
int th_curl_ssl_ctx_index(void);
/* OpenSSL's name for a TLS <= 1.2 suite (CURLOPT_SSL_CIPHER_LIST takes no IANA
 * names); NULL when this libssl does not know it. */
const char *th_curl_ossl_suite_name(uint16_t id);

#endif
