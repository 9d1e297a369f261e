/* Client certificates on OpenSSL (openssl_cauth.h). */
#include "openssl_cauth.h"

#include <pthread.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "harness/vocab/util.h"
#include "openssl_map.h"

/* The SSL ex_data slot where the client notes that a server asked for its
 * certificate. An ex_data slot rather than the backend's own connection object, so
 * curl-openssl's SSLs (which libcurl owns) carry it too. */
static pthread_once_t index_once = PTHREAD_ONCE_INIT;
static int requested_index = -1;

static void index_build(void)
{
    requested_index =
        SSL_get_ex_new_index(0, "tlsharness: certificate requested", NULL, NULL, NULL);
}

static int requested_idx(void)
{
    pthread_once(&index_once, index_build);
    return requested_index;
}

/* SSL_CTX_set_cert_cb: on a client, OpenSSL calls it only once a
 * CertificateRequest has arrived, before it picks the certificate to send; it
 * changes nothing about that choice. */
static int on_cert_request(SSL *ssl, void *arg)
{
    (void)arg;
    if (!SSL_is_server(ssl))
        (void)SSL_set_ex_data(ssl, requested_idx(), (void *)1);
    return 1;
}

int th_ossl_watch_cert_request(SSL_CTX *ctx)
{
    if (requested_idx() < 0)
        return -1;
    SSL_CTX_set_cert_cb(ctx, on_cert_request, NULL);
    return 0;
}

int th_ossl_client_own_cert(SSL_CTX *ctx, const struct th_tls_config *cfg, struct th_error *err)
{
    if (th_ossl_watch_cert_request(ctx) != 0) {
        th_ossl_queued_error(err, "SSL_get_ex_new_index");
        return -1;
    }
    if (!cfg->cert_file)
        return 0;
    const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
        th_ossl_queued_error(err, cfg->cert_file);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        th_ossl_queued_error(err, key);
        return -1;
    }
    return 0;
}

int th_ossl_server_client_auth(SSL_CTX *ctx, const struct th_tls_config *cfg, SSL_verify_cb cb,
                               struct th_error *err)
{
    /* A session resumed under VERIFY_PEER needs an id context, tickets included:
     * without one OpenSSL refuses the resumption (session id context uninitialized). */
    static const unsigned char sid_ctx[] = "tlsharness";
    if (!cfg->client_ca_file) {
        TH_FAULT(err, 0, "a server asking for client certificates needs client_ca_file");
        return -1;
    }
    if (SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
        th_ossl_anchor_error(err, cfg->client_ca_file);
        return -1;
    }
    /* The names of the acceptable roots, sent in the CertificateRequest: what a
     * client with several certificates chooses by. */
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca_file);
    if (!names) {
        th_ossl_anchor_error(err, cfg->client_ca_file);
        return -1;
    }
    SSL_CTX_set_client_CA_list(ctx, names); /* takes ownership */
    if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
        th_ossl_queued_error(err, "SSL_CTX_set_session_id_context");
        return -1;
    }
    /* OpenSSL's server checks a client chain for the sslclient purpose on its own:
     * a leaf whose EKU lacks clientAuth fails with X509_V_ERR_INVALID_PURPOSE. */
    int mode = SSL_VERIFY_PEER;
    if (cfg->client_auth == TH_CLIENT_AUTH_REQUIRE)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, cb);
    ERR_clear_error();
    return 0;
}

void th_ossl_cert_state(SSL *ssl, struct th_negotiated *out)
{
    if (SSL_is_server(ssl)) {
        /* A certificate that failed the check fails the handshake, so one that is
         * there after it has verified; the result is read anyway, for verify 0
         * callers of this map. */
        out->client_cert =
            SSL_get0_peer_certificate(ssl) != NULL && SSL_get_verify_result(ssl) == X509_V_OK;
        return;
    }
    int idx = requested_idx();
    out->cert_requested = idx >= 0 && SSL_get_ex_data(ssl, idx) != NULL;
    /* OpenSSL sends the certificate it has when asked; it sends none only when its
     * key cannot sign with any algorithm the server listed, which the harness's
     * PKI never meets. */
    out->client_cert = out->cert_requested && SSL_get_certificate(ssl) != NULL;
}
