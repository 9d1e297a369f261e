/* The wolfSSL backend's certificate side (wolfssl_cert.h). */
#include "wolfssl_cert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "harness/vocab/util.h"
#include "wolfssl_map.h"

/* ---- errors ---- */

/* A file call's failure in wolfSSL's own words. Its file loaders return
 * WOLFSSL_FAILURE (0) and queue the reason (ASN_CRIT_EXT_E as 160): the queued code,
 * made negative as wolfSSL's codes are, is the native one then. */
static int fail_file(struct th_error *err, enum th_outcome o, int ret, const char *what)
{
    char text[WOLFSSL_MAX_ERROR_SZ];
    unsigned long queued = wolfSSL_ERR_peek_last_error();
    if ((ret == WOLFSSL_FAILURE || ret == 0) && queued != 0 && queued < 0x10000)
        ret = -(int)queued;
    th_wolfssl_error_text(ret, text, sizeof(text));
    th_error_set(err, o, ret, "%s: %s (%d)", what, text, ret);
    wolfSSL_ERR_clear_error();
    return -1;
}

/* A CA or CRL file wolfSSL refused: its verdict (anchor_unusable) unless the file
 * cannot be read at all, which is the harness's problem. */
static int anchor_error(struct th_error *err, int ret, const char *path)
{
    if (access(path, R_OK) != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: cannot be read", path);
        return -1;
    }
    return fail_file(err, TH_ANCHOR_UNUSABLE, ret, path);
}

/* ---- the chain check ---- */

static int self_issued(WOLFSSL_X509 *x)
{
    return x && wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
                                      wolfSSL_X509_get_issuer_name(x)) == 0;
}

/* A certificate the peer sent that names `cert`'s issuer as its subject but is no
 * CA (CA:FALSE or no basicConstraints): wolfSSL passes such an issuer over and says
 * only that none was found (X509 error 20), as mbedTLS does. */
static int issuer_sent_not_ca(WOLFSSL_X509_STORE_CTX *store, WOLFSSL_X509 *cert)
{
    int found = 0;
    for (int i = 0; cert && i < store->totalCerts && !found; i++) {
        WOLFSSL_X509 *x =
            wolfSSL_X509_d2i(NULL, store->certs[i].buffer, (int)store->certs[i].length);
        if (!x)
            continue;
        found = wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
                                      wolfSSL_X509_get_issuer_name(cert)) == 0 &&
                wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x),
                                      wolfSSL_X509_get_subject_name(cert)) != 0 &&
                !wolfSSL_X509_get_isCA(x);
        wolfSSL_X509_free(x);
    }
    return found;
}

/* Records the first failure of the chain check with the depth it happened at and
 * how many certificates the peer sent: wolfSSL's step error alone loses both, and
 * they tell a leaf sent alone from an unknown root. This build calls it for every
 * certificate (WOLFSSL_ALWAYS_VERIFY_CB, WOLFSSL_VERIFY_CB_ALL_CERTS). */
static int verify_cb(int preverify_ok, WOLFSSL_X509_STORE_CTX *store)
{
    WOLFSSL *ssl =
        wolfSSL_X509_STORE_CTX_get_ex_data(store, wolfSSL_get_ex_data_X509_STORE_CTX_idx());
    struct th_conn *c = ssl ? wolfSSL_get_ex_data(ssl, 0) : NULL;
    int code = wolfSSL_X509_STORE_CTX_get_error(store);
    if (!preverify_ok && c && !c->verify_err && code != 0) {
        c->verify_err = code;
        c->verify_depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
        c->verify_sent = store->totalCerts;
        c->verify_self_issued = self_issued(store->current_cert);
        c->verify_issuer_not_ca =
            (code == 20 || code == 2) && issuer_sent_not_ca(store, store->current_cert);
    }
    return preverify_ok;
}

/* The step's code names the check's own error (ASN_AFTER_DATE_E, ...) when wolfSSL
 * refused the chain; the callback's record adds the X509 number, the depth and the
 * chain as sent. */
int th_wolfssl_verify_failure(struct th_conn *c, int code, struct th_error *err)
{
    if (!c->ctx->verify)
        return 0;
    int x = c->verify_err;
    enum th_outcome o = c->verify_issuer_not_ca
                            ? TH_INVALID_CA
                            : th_wolfssl_verify_outcome(code, x, c->verify_depth, c->verify_sent,
                                                        c->verify_self_issued);
    if (!x && (o == TH_HANDSHAKE_FAILURE || !th_outcome_is_certificate(o)))
        return 0;
    char text[WOLFSSL_MAX_ERROR_SZ], xtext[WOLFSSL_MAX_ERROR_SZ];
    th_wolfssl_error_text(code, text, sizeof(text));
    if (!x) {
        th_error_set(err, o, code, "%s (%d)", text, code);
        return 1;
    }
    th_wolfssl_error_text(x, xtext, sizeof(xtext));
    const char *peer = c->ctx->role == TH_ROLE_SERVER ? "client" : "server";
    th_error_set(err, o, code,
                 "%s (%d); X509 verify error %d at depth %d: %s (the %s sent %d certificate%s)%s",
                 text, code, x, c->verify_depth, xtext, peer, c->verify_sent,
                 c->verify_sent == 1 ? "" : "s",
                 c->verify_issuer_not_ca ? "; its issuer was sent but is not a CA" : "");
    return 1;
}

/* ---- configuration ---- */

/* On a client, wolfSSL calls the certificate set-up callback when a
 * CertificateRequest arrives, before it picks what to send; it changes nothing. */
static int on_cert_request(WOLFSSL *ssl, void *arg)
{
    (void)arg;
    struct th_conn *c = wolfSSL_get_ex_data(ssl, 0);
    if (c && c->ctx->role == TH_ROLE_CLIENT)
        c->cert_requested = 1;
    return 1;
}

int th_wolfssl_own_cert(WOLFSSL_CTX *ctx, const struct th_tls_config *cfg, struct th_error *err)
{
    if (!cfg->cert_file || !cfg->key_file) {
        TH_FAULT(err, 0, "%s needs a certificate and a key",
                 cfg->role == TH_ROLE_SERVER ? "server" : "a client certificate");
        return -1;
    }
    int ret = wolfSSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file);
    if (ret != WOLFSSL_SUCCESS)
        return fail_file(err, TH_INTERNAL_ERROR, ret, cfg->cert_file);
    ret = wolfSSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, WOLFSSL_FILETYPE_PEM);
    if (ret != WOLFSSL_SUCCESS)
        return fail_file(err, TH_INTERNAL_ERROR, ret, cfg->key_file);
    ret = wolfSSL_CTX_check_private_key(ctx);
    if (ret != WOLFSSL_SUCCESS)
        return fail_file(err, TH_INTERNAL_ERROR, ret, cfg->key_file);
    /* Only with a certificate to send: a TLS 1.3 wolfSSL client that has none and a
     * certificate set-up callback fails on the server's CertificateRequest
     * (BUFFER_ERROR, -328) instead of answering with an empty Certificate. So a
     * client without one cannot tell that a server asked. */
    if (cfg->role == TH_ROLE_CLIENT)
        wolfSSL_CTX_set_cert_cb(ctx, on_cert_request, NULL);
    return 0;
}

/* One PEM CRL (text from `at`, NUL-terminated file) into the store; *next past it,
 * NULL when no more. 0, or wolfSSL's code. */
static int add_one_crl(WOLFSSL_X509_STORE *store, const char *at, const char **next)
{
    static const char end[] = "-----END X509 CRL-----";
    const char *b = strstr(at, "-----BEGIN X509 CRL-----");
    const char *e = b ? strstr(b, end) : NULL;
    *next = NULL;
    if (!e)
        return 0;
    e += sizeof(end) - 1;
    *next = e;
    WOLFSSL_BIO *bio = wolfSSL_BIO_new_mem_buf(b, (int)(e - b));
    WOLFSSL_X509_CRL *crl = bio ? wolfSSL_PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
    int ret = crl ? wolfSSL_X509_STORE_add_crl(store, crl) : ASN_PARSE_E;
    wolfSSL_X509_CRL_free(crl);
    wolfSSL_BIO_free(bio);
    return ret == WOLFSSL_SUCCESS ? 0 : ret;
}

/* Each CRL of the file into the context's store. wolfSSL_CTX_LoadCRLFile checks a
 * CRL's signature as it loads it, against the trust anchors only, so it refuses the
 * CRL an intermediate signed (ASN_CRL_NO_SIGNER_E, -190); a CRL added to the store
 * is checked when it is used, against the chain as verified by then. Its file
 * reader takes the first CRL of a file only, hence one PEM block at a time. */
TH_MUST_CHECK static int load_crls(struct th_ctx *t, const char *path, struct th_error *err)
{
    size_t len = 0;
    char *text = th_read_file(path, &len);
    if (!text) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "%s: cannot be read", path);
        return -1;
    }
    WOLFSSL_X509_STORE *store = wolfSSL_CTX_get_cert_store(t->ctx);
    int n = 0, ret = 0;
    for (const char *at = text; at && ret == 0;) {
        ret = add_one_crl(store, at, &at);
        n += at != NULL && ret == 0;
    }
    free(text);
    wolfSSL_ERR_clear_error();
    if (ret != 0 || n == 0)
        return fail_file(err, TH_ANCHOR_UNUSABLE, ret ? ret : ASN_PARSE_E,
                         ret ? path : "no CRL in the file");
    return 0;
}

/* Every certificate of the chain is checked against the CRLs (CHECKALL): the PKI's
 * file holds one per CA. */
int th_wolfssl_client_trust(struct th_ctx *t, const struct th_tls_config *cfg, struct th_error *err)
{
    int ret;
    if (cfg->ca_file &&
        (ret = wolfSSL_CTX_load_verify_locations(t->ctx, cfg->ca_file, NULL)) != WOLFSSL_SUCCESS)
        return anchor_error(err, ret, cfg->ca_file);
    if (cfg->crl_file) {
        if ((ret = wolfSSL_CTX_EnableCRL(t->ctx, WOLFSSL_CRL_CHECKALL)) != WOLFSSL_SUCCESS)
            return fail_file(err, TH_INTERNAL_ERROR, ret, "wolfSSL_CTX_EnableCRL");
        TH_GUARD(load_crls(t, cfg->crl_file, err));
    }
    t->verify = cfg->verify;
    wolfSSL_CTX_set_verify(t->ctx, cfg->verify ? WOLFSSL_VERIFY_PEER : WOLFSSL_VERIFY_NONE,
                           cfg->verify ? verify_cb : NULL);
    return 0;
}

int th_wolfssl_server_client_auth(struct th_ctx *t, const struct th_tls_config *cfg,
                                  struct th_error *err)
{
    t->client_auth = cfg->client_auth;
    if (cfg->client_auth == TH_CLIENT_AUTH_NONE) {
        wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_NONE, NULL);
        return 0;
    }
    if (!cfg->client_ca_file) {
        TH_FAULT(err, 0, "client certificates asked for without client_ca_file");
        return -1;
    }
    int ret = wolfSSL_CTX_load_verify_locations(t->ctx, cfg->client_ca_file, NULL);
    if (ret != WOLFSSL_SUCCESS)
        return anchor_error(err, ret, cfg->client_ca_file);
    t->verify = 1;
    int mode = WOLFSSL_VERIFY_PEER;
    if (cfg->client_auth == TH_CLIENT_AUTH_REQUIRE)
        mode |= WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    wolfSSL_CTX_set_verify(t->ctx, mode, verify_cb);
    return 0;
}

/* IPv6 as wolfSSL writes an IP SAN to compare it: eight groups of four hex digits,
 * none left out ("0000:...:0001"), where "::1" matches nothing. */
static int ipv6_text(const char *host, char *out, size_t cap)
{
    unsigned char ip[16];
    if (inet_pton(AF_INET6, host, ip) != 1)
        return 0;
    size_t n = 0;
    for (int i = 0; i < 16; i += 2)
        n += (size_t)snprintf(out + n, cap - n, "%s%02X%02X", i ? ":" : "", ip[i], ip[i + 1]);
    return 1;
}

/* wolfSSL_check_domain_name matches the SANs, IP SANs among them (this build's
 * OPENSSL_ALL compares their text form), and sends a mismatch to the verify
 * callback as DOMAIN_NAME_MISMATCH. */
int th_wolfssl_client_host(struct th_conn *c, struct th_error *err)
{
    const char *host = c->ctx->hostname;
    if (!host || !c->ctx->verify)
        return 0;
    char v6[48];
    int ret = wolfSSL_check_domain_name(c->ssl, ipv6_text(host, v6, sizeof(v6)) ? v6 : host);
    return ret == WOLFSSL_SUCCESS ? 0 : fail_file(err, TH_INTERNAL_ERROR, ret, "the expected host");
}

/* ---- what each end saw ---- */

static int peer_sent(struct th_conn *c)
{
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(c->ssl);
    return chain ? wolfSSL_get_chain_count(chain) : 0;
}

void th_wolfssl_cert_state(struct th_conn *c, struct th_negotiated *out)
{
    if (c->ctx->role == TH_ROLE_CLIENT) {
        out->cert_requested = c->cert_requested;
        out->client_cert = c->cert_requested && c->ctx->own_cert;
        return;
    }
    /* a certificate that failed the check fails the handshake */
    out->client_cert = c->hs_done && c->ctx->client_auth != TH_CLIENT_AUTH_NONE && peer_sent(c) > 0;
}

int th_wolfssl_peer_info(struct th_conn *c, struct th_peer_info *out)
{
    memset(out, 0, sizeof(*out));
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(c->ssl);
    int n = chain ? wolfSSL_get_chain_count(chain) : 0;
    if (n <= 0)
        return -1;
    for (int i = 0; i < n; i++) {
        int len = wolfSSL_get_chain_length(chain, i);
        const unsigned char *der = wolfSSL_get_chain_cert(chain, i);
        if (len <= 0 || !der)
            continue;
        out->chain = th_xrealloc(out->chain, out->chain_len + (size_t)len);
        memcpy(out->chain + out->chain_len, der, (size_t)len);
        out->chain_len += (size_t)len;
        out->n_certs++;
    }
    return 0;
}
