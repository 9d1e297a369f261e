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
 * rest of the harness runs on without it. The libraries are loaded in curl_lib.c, and
 * a failed transfer is mapped to the shared vocabulary in curl_map.c.
 *
 * Errors keep curl's own words: err.code is the CURLcode; err.text has curl's text
 * for it, the CURLOPT_ERRORBUFFER text and, for a refused certificate, the TLS
 * library's verify code (X509_V_ERR_* or gnutls_certificate_status_t bits). */
#include "backend.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness/vocab/util.h"
#include "curl_lib.h"
#include "curl_map.h"
#include "gnutls_map.h"
#include "openssl_cauth.h"
#include "openssl_map.h"

extern const struct th_backend th_backend_openssl;

/* ---- one fetch ---- */

static int fail_config(struct th_error *err, const char *fmt, const char *a, const char *b)
{
    th_error_set(err, TH_INTERNAL_ERROR, 0, fmt, a, b);
    return -1;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct th_curl_body *b = arg;
    size_t len = size * n;
    /* A chunked or close-delimited body has no length to refuse up front
     * (CURLOPT_MAXFILESIZE_LARGE does that): it is cut here, as it arrives. */
    if (b->len + len > b->max) {
        b->too_big = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + len)
            cap *= 2;
        if (cap > b->max)
            cap = (size_t)b->max; /* never more memory than the bound */
        b->data = th_xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return len;
}

/* The staple of a curl-gnutls connection whose chain check passed: GnuTLS asked
 * for one (it always does) and judged one that came in that check, so a staple
 * here was accepted; its status says good or unknown. */
static enum th_staple gnutls_staple(gnutls_session_t session)
{
    gnutls_datum_t d;
    gnutls_ocsp_resp_t resp;
    unsigned status = GNUTLS_OCSP_CERT_UNKNOWN;
    if (gnutls_ocsp_status_request_get(session, &d) < 0)
        return TH_STAPLE_NONE;
    if (gnutls_ocsp_resp_init(&resp) < 0)
        return TH_STAPLE_UNKNOWN;
    if (gnutls_ocsp_resp_import(resp, &d) < 0 ||
        gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL, &status, NULL, NULL, NULL,
                                    NULL) < 0)
        status = GNUTLS_OCSP_CERT_UNKNOWN;
    gnutls_ocsp_resp_deinit(resp);
    return status == GNUTLS_OCSP_CERT_GOOD ? TH_STAPLE_GOOD : TH_STAPLE_UNKNOWN;
}

/* What a curl-gnutls connection negotiated, with the client certificate fields:
 * a server asked (a CertificateRequest arrived), and curl had one to send (it
 * loaded CURLOPT_SSLCERT into the credentials GnuTLS answers from). */
static void gnutls_negotiated(gnutls_session_t session, struct th_negotiated *out)
{
    th_gnutls_negotiated(session, out);
    out->cert_requested = gnutls_certificate_client_get_request_status(session) != 0;
    out->client_cert = out->cert_requested && gnutls_certificate_get_ours(session) != NULL;
}

/* The TLS object of CURLINFO_TLS_SSL_PTR lives only as long as the connection, so
 * it is read from the header callback: it runs once the handshake is done and the
 * connection is up, and, unlike the body callback, also for a response without a
 * body. (CURLOPT_PREREQFUNCTION would run earlier, before a TLS 1.3 server's
 * tickets and the request; what it could read is the same.) */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct th_curl_fetch *fx = arg;
    struct curl_tlssessioninfo *info = NULL;
    if (fx->have_neg)
        return size * n;
    fx->have_neg = 1;
    if (fx->f->api.easy_getinfo(fx->h, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
        !info->internals)
        return size * n;
    if (info->backend == CURLSSLBACKEND_OPENSSL && fx->f->tls == CURLSSLBACKEND_OPENSSL)
        th_ossl_negotiated(info->internals, &fx->neg);
    else if (info->backend == CURLSSLBACKEND_GNUTLS && fx->f->tls == CURLSSLBACKEND_GNUTLS) {
        gnutls_negotiated(info->internals, &fx->neg);
        /* with the chain check off GnuTLS judged no staple: none reported */
        if (fx->cfg->verify)
            fx->neg.ocsp = gnutls_staple(info->internals);
    }
    return size * n;
}

/* The GnuTLS flavour's copy of the chain as the server sent it, for a refused
 * certificate's reason. libcurl-gnutls 7.88's CURLOPT_CERTINFO fails the whole
 * transfer with "Out of memory" (27) for most Ed25519 leaves (its ASN.1 reader
 * takes the raw 32-byte key for a DER element), so the chain is read from the
 * session instead: curl writes its first line about the handshake ("SSL connection
 * using ...") once GnuTLS holds the server's chain and before checking it, and the
 * session is reachable then through CURLINFO_TLS_SSL_PTR. Until the chain is seen
 * each line of text costs one getinfo. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
    struct th_curl_fetch *fx = arg;
    struct curl_tlssessioninfo *info = NULL;
    unsigned n = 0;
    (void)data;
    (void)size;
    if (type != CURLINFO_TEXT)
        return 0;
    if (fx->f->api.easy_getinfo(h, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info ||
        !info->internals || info->backend != CURLSSLBACKEND_GNUTLS)
        return 0;
    /* curl-gnutls writes its error text (failf) through here while the session
     * still lives: the alert behind "A TLS fatal alert has been received" is read
     * then. 0 is close_notify, or none yet. */
    gnutls_alert_description_t alert = gnutls_alert_get(info->internals);
    if (alert != GNUTLS_A_CLOSE_NOTIFY)
        fx->alert = (int)alert + 1;
    if (!fx->cfg->verify || fx->n_chain)
        return 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(info->internals, &n);
    for (unsigned i = 0; certs && i < n && i < TH_CURL_MAX_CHAIN; i++) {
        fx->chain[i].data = th_xmalloc(certs[i].size ? certs[i].size : 1);
        memcpy(fx->chain[i].data, certs[i].data, certs[i].size);
        fx->chain[i].size = certs[i].size;
        fx->n_chain++;
    }
    return 0;
}

/* Records the first failure of the chain check with the depth and certificate it
 * happened on: CURLINFO_SSL_VERIFYRESULT keeps only the code, and
 * X509_V_ERR_INVALID_PURPOSE needs the certificate to tell EKU from key usage.
 * curl's own callback, if it has one, still decides. */
static int on_verify(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct th_curl_fetch *fx =
        ssl ? SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), th_curl_ssl_ctx_index()) : NULL;
    if (fx && fx->prev_verify)
        ok = fx->prev_verify(ok, store);
    if (!ok && fx && !fx->verify_err) {
        fx->verify_err = X509_STORE_CTX_get_error(store);
        fx->verify_depth = X509_STORE_CTX_get_error_depth(store);
        fx->verify_cert = X509_STORE_CTX_get_current_cert(store);
        STACK_OF(X509) *sent = X509_STORE_CTX_get0_untrusted(store);
        fx->verify_sent = sent ? sk_X509_num(sent) : -1;
        if (fx->verify_cert)
            X509_up_ref(fx->verify_cert);
    }
    return ok;
}

/* CURLOPT_SSL_CTX_FUNCTION: runs after curl has configured the SSL_CTX of a new
 * connection, before the handshake. */
static CURLcode on_ssl_ctx(CURL *h, void *sslctx, void *arg)
{
    struct th_curl_fetch *fx = arg;
    SSL_CTX *ctx = sslctx;
    if (SSL_CTX_set_ex_data(ctx, th_curl_ssl_ctx_index(), fx) != 1)
        return CURLE_SSL_CERTPROBLEM;
    fx->prev_verify = SSL_CTX_get_verify_callback(ctx);
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on_verify);
    /* a server's CertificateRequest, noted for th_ossl_negotiated (cert_requested) */
    if (th_ossl_watch_cert_request(ctx) != 0)
        return CURLE_SSL_CERTPROBLEM;
    /* TLS 1.0/1.1 sign the handshake with MD5+SHA1/SHA1, which OpenSSL 3 refuses
     * above level 0. The level also sets how strong a certificate the chain check
     * takes, so the chain check keeps the library's default level (as the OpenSSL
     * backend does): a 1024-bit or SHA-1 leaf is refused as without TLS 1.0. */
    if (fx->seclevel0 && th_ossl_lower_security_level(ctx, 0) != 0)
        return CURLE_SSL_CERTPROBLEM;
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

static int setopt_failed(struct th_curl_fetch *fx, const char *opt, CURLcode rc,
                         struct th_error *err)
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
TH_MUST_CHECK static int set_suites_openssl(struct th_curl_fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    char tls13[1024] = "", tls12[8192] = "";
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
        const char *name = s && s->min_version != TH_TLS13 ? th_curl_ossl_suite_name(s->id) : NULL;
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

TH_MUST_CHECK static int set_groups_openssl(struct th_curl_fetch *fx, struct th_error *err)
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

TH_MUST_CHECK static int set_tls_openssl(struct th_curl_fetch *fx, struct th_error *err)
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
TH_MUST_CHECK static int set_tls_gnutls(struct th_curl_fetch *fx, struct th_error *err)
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
    /* The chain, kept for a refused certificate's reason (self-signed or not, key
     * size, a missing intermediate), and with a client certificate the server's
     * alert: see on_debug. */
    if (fx->cfg->verify || fx->cfg->cert_file) {
        SET(fx, CURLOPT_DEBUGFUNCTION, on_debug);
        SET(fx, CURLOPT_DEBUGDATA, fx);
        SET(fx, CURLOPT_VERBOSE, 1L);
    }
    return 0;
}

/* Which name goes into the URL (and so into SNI and curl's host check), and where
 * to connect. curl sends its URL's DNS name as server_name and none for an IP
 * literal; a server_name it cannot send is refused. */
TH_MUST_CHECK static int set_target(struct th_curl_fetch *fx, const char *host, uint16_t port,
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
            TH_FAULT(err, 0, "curl_slist_append failed");
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

/* curl has one OCSP switch, CURLOPT_SSL_VERIFYSTATUS: ask for a staple and fail
 * the transfer (CURLE_SSL_INVALIDCERTSTATUS) without a good one. That is "require".
 * curl-openssl asks for none without it, so it cannot "request" (no
 * TH_CAP_OCSP_REQUEST). curl-gnutls's GnuTLS asks in every ClientHello and judges a
 * staple that comes in its chain check, VERIFYSTATUS or not: "request" is its
 * default, and "off" it cannot do (the scenarios declare it; curl_map.c maps it). */
TH_MUST_CHECK static int set_ocsp(struct th_curl_fetch *fx, struct th_error *err)
{
    if (fx->cfg->ocsp == TH_OCSP_REQUEST && fx->f->tls == CURLSSLBACKEND_OPENSSL)
        return fail_config(err, "%s cannot ask for an OCSP staple without requiring one%s",
                           fx->f->name, " (CURLOPT_SSL_VERIFYSTATUS is require only)");
    if (fx->cfg->ocsp == TH_OCSP_REQUIRE)
        SET(fx, CURLOPT_SSL_VERIFYSTATUS, 1L);
    return 0;
}

TH_MUST_CHECK static int set_trust(struct th_curl_fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    /* Only the given file is trusted: not the system bundle, not /etc/ssl/certs. */
    SET(fx, CURLOPT_CAINFO, cfg->ca_file);
    SET(fx, CURLOPT_CAPATH, (char *)NULL);
    if (cfg->crl_file)
        SET(fx, CURLOPT_CRLFILE, cfg->crl_file);
    SET(fx, CURLOPT_SSL_VERIFYPEER, cfg->verify ? 1L : 0L);
    SET(fx, CURLOPT_SSL_VERIFYHOST, cfg->verify && cfg->hostname ? 2L : 0L);
    return set_ocsp(fx, err);
}

/* The client's own certificate, presented when a server asks: PEM files, the
 * certificate file holding the chain as sent (curl-openssl loads it with
 * SSL_CTX_use_certificate_chain_file, curl-gnutls with
 * gnutls_certificate_set_x509_key_file2). A file the library will not load fails
 * the transfer with CURLE_SSL_CERTPROBLEM: internal_error, the harness's own set-up. */
TH_MUST_CHECK static int set_own_cert(struct th_curl_fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    if (!cfg->cert_file)
        return 0;
    SET(fx, CURLOPT_SSLCERT, cfg->cert_file);
    SET(fx, CURLOPT_SSLCERTTYPE, "PEM");
    SET(fx, CURLOPT_SSLKEY, cfg->key_file ? cfg->key_file : cfg->cert_file);
    SET(fx, CURLOPT_SSLKEYTYPE, "PEM");
    return 0;
}

/* curl offers ALPN "http/1.1" (HTTP/1.1 only) or nothing. */
TH_MUST_CHECK static int set_alpn(struct th_curl_fetch *fx, struct th_error *err)
{
    const struct th_tls_config *cfg = fx->cfg;
    if (cfg->n_alpn > 1 || (cfg->n_alpn == 1 && strcmp(cfg->alpn[0], "http/1.1") != 0))
        return fail_config(err, "%s offers ALPN http/1.1 or nothing: cannot offer %s", fx->f->name,
                           cfg->alpn[0]);
    SET(fx, CURLOPT_SSL_ENABLE_ALPN, cfg->n_alpn ? 1L : 0L);
    return 0;
}

TH_MUST_CHECK static int configure(struct th_curl_fetch *fx, const char *host, uint16_t port,
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
    /* The body bound: a Content-Length over it fails before a byte of the body is
     * read (CURLE_FILESIZE_EXCEEDED), any other body in on_body. */
    fx->body.max = fx->cfg->max_body ? fx->cfg->max_body : TH_MAX_BODY_DEFAULT;
    SET(fx, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)fx->body.max);
    SET(fx, CURLOPT_HEADERFUNCTION, on_header);
    SET(fx, CURLOPT_HEADERDATA, fx);
    TH_GUARD(set_target(fx, host, port, path, err));
    TH_GUARD(set_trust(fx, err));
    TH_GUARD(set_own_cert(fx, err));
    TH_GUARD(set_alpn(fx, err));
    /* Resuming, the first connection is closed after its response rather than kept
     * for reuse, so a server serving one connection at a time is not held. */
    if (fx->cfg->resume != TH_RESUME_NONE)
        SET(fx, CURLOPT_FORBID_REUSE, 1L);
    if (fx->f->tls == CURLSSLBACKEND_OPENSSL)
        return set_tls_openssl(fx, err);
    return set_tls_gnutls(fx, err);
}

/* ---- the fetch ---- */

static void reset_transfer(struct th_curl_fetch *fx)
{
    fx->body.len = 0;
    fx->body.too_big = 0;
    fx->have_neg = 0;
    memset(&fx->neg, 0, sizeof(fx->neg));
    fx->errbuf[0] = '\0';
    fx->verify_err = 0;
    fx->alert = 0;
    X509_free(fx->verify_cert);
    fx->verify_cert = NULL;
    th_curl_chain_free(fx);
}

/* One GET within the deadline. which: 0 the first connection, 1 the resumed one. */
static int perform(struct th_curl_fetch *fx, uint64_t deadline, int which,
                   struct th_fetch_result *out)
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
    /* A transfer that succeeded under VERIFYSTATUS had a staple curl found good; one
     * that failed says what curl found (th_curl_set_error sets fx->neg.ocsp). */
    if (rc == CURLE_OK && fx->cfg->ocsp == TH_OCSP_REQUIRE)
        fx->neg.ocsp = TH_STAPLE_GOOD;
    if (rc != CURLE_OK)
        th_curl_set_error(fx, rc, which, &out->err);
    out->neg = fx->neg;
    return rc == CURLE_OK ? 0 : -1;
}

static void fetch_free(struct th_curl_fetch *fx)
{
    if (fx->h)
        fx->f->api.easy_cleanup(fx->h); /* closes the connections: before the lists */
    if (fx->hosts)
        fx->f->api.slist_free_all(fx->hosts);
    X509_free(fx->verify_cert);
    th_curl_chain_free(fx);
    free(fx->body.data);
}

TH_MUST_CHECK static int do_fetch(struct th_curl_flavour *f, const struct th_tls_config *cfg,
                                  const char *host, uint16_t port, const char *path,
                                  double timeout_s, struct th_fetch_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!th_curl_ready(f)) {
        th_error_set(&out->err, TH_INTERNAL_ERROR, 0, "%s %s", f->name, f->version);
        return -1;
    }
    uint64_t deadline = th_now_ns() + (uint64_t)((timeout_s > 0 ? timeout_s : 30) * 1e9);
    struct th_curl_fetch fx = {.f = f, .cfg = cfg};
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

TH_MUST_CHECK static int fetch_openssl(const struct th_tls_config *cfg, const char *host,
                                       uint16_t port, const char *path, double timeout_s,
                                       struct th_fetch_result *out)
{
    return do_fetch(&th_curl_flavour_openssl, cfg, host, port, path, timeout_s, out);
}

TH_MUST_CHECK static int fetch_gnutls(const struct th_tls_config *cfg, const char *host,
                                      uint16_t port, const char *path, double timeout_s,
                                      struct th_fetch_result *out)
{
    return do_fetch(&th_curl_flavour_gnutls, cfg, host, port, path, timeout_s, out);
}

/* ---- identity and capabilities ---- */

static const char *version_openssl(void)
{
    th_curl_ready(&th_curl_flavour_openssl);
    return th_curl_flavour_openssl.version;
}

static const char *version_gnutls(void)
{
    th_curl_ready(&th_curl_flavour_gnutls);
    return th_curl_flavour_gnutls.version;
}

/* A missing library is not fatal to the process: the flavour reports itself
 * unavailable (version, no role) and the other backends run on. */
static int init_openssl(void)
{
    th_curl_ready(&th_curl_flavour_openssl);
    return 0;
}

static int init_gnutls(void)
{
    th_curl_ready(&th_curl_flavour_gnutls);
    return 0;
}

static void cleanup_openssl(void)
{
    th_curl_cleanup(&th_curl_flavour_openssl);
}

static void cleanup_gnutls(void)
{
    th_curl_cleanup(&th_curl_flavour_gnutls);
}

/* What both flavours do alike: a client on its own socket that checks the chain,
 * the DNS name or IP address, a CRL, sends SNI, pins a version range, presents a
 * client certificate when asked, requires a good OCSP staple (VERIFYSTATUS; see
 * set_ocsp for request) and resumes TLS 1.2 sessions by id from its cache.
 * It offers ALPN http/1.1 only, never a
 * chosen list, so TH_CAP_ALPN is not claimed. */
static void caps_common(struct th_caps *out)
{
    out->roles = TH_ROLE_CLIENT;
    out->versions = TH_VERSIONS_ALL;
    out->resume = TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    out->features = TH_CAP_OWN_SOCKET | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                    TH_CAP_RESTRICT_VERSIONS | TH_CAP_CLIENT_CERT | TH_CAP_OCSP_REQUIRE;
}

/* The same libssl as the OpenSSL backend's client at its default security level:
 * its suites and groups, and both lists can be pinned. Tickets resume in TLS 1.3
 * only: curl sets SSL_OP_NO_TICKET, so its TLS 1.2 ClientHello has no
 * session_ticket extension and a 1.2 server without a session cache cannot resume
 * it - a gap the version-blind resume bits cannot say. */
static void caps_openssl(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    if (!th_curl_ready(&th_curl_flavour_openssl))
        return;
    th_backend_openssl.caps(out);
    memset(out->defaults_changed, 0, sizeof(out->defaults_changed)); /* the backend's own */
    out->defaults_changed[0] =
        "security level 0 for the handshake when TLS 1.0 or 1.1 is allowed (their MD5+SHA1 "
        "and SHA-1 handshake signatures); the chain check keeps the library's default level "
        "(X509_VERIFY_PARAM auth level)";
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
    if (!th_curl_ready(&th_curl_flavour_gnutls))
        return;
    caps_common(out);
    out->features |= TH_CAP_OCSP_REQUEST; /* GnuTLS's default: see set_ocsp */
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
