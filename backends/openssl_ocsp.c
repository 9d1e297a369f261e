/* OCSP stapling on OpenSSL (openssl_ocsp.h).
 *
 * OpenSSL has no must-staple (RFC 7633 TLS feature) check of its own: a
 * must-staple leaf served without a staple is accepted under TH_OCSP_REQUEST. No
 * check is added here for it: the harness reports what the library does, and the
 * scenarios declare the deviation. */
#include "openssl_ocsp.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "harness/vocab/util.h"
#include "openssl_map.h"

/* Clock skew allowed on thisUpdate/nextUpdate: 5 minutes, as every client here (and
 * OpenSSL's s_client, OCSP_check_validity with nsec 300) allows. */
#define OCSP_SKEW_S 300L

/* ---- ex_data slots: the server's response on its SSL_CTX, the client's record of
 * each connection on its SSL ---- */

struct staple {
    unsigned char *der;
    size_t len;
};

/* What the client's status callback found. */
struct record {
    enum th_staple seen;
    int failed; /* the handshake was failed for it: err says why */
    struct th_error err;
};

static pthread_once_t index_once = PTHREAD_ONCE_INIT;
static int ctx_index = -1, ssl_index = -1;

static void free_staple(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct staple *s = ptr;
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (s)
        free(s->der);
    free(s);
}

static void free_record(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}

static void index_build(void)
{
    ctx_index = SSL_CTX_get_ex_new_index(0, "tlsharness: OCSP staple", NULL, NULL, free_staple);
    ssl_index = SSL_get_ex_new_index(0, "tlsharness: OCSP record", NULL, NULL, free_record);
}

static int indexes_ready(void)
{
    pthread_once(&index_once, index_build);
    return ctx_index >= 0 && ssl_index >= 0;
}

/* ---- server ---- */

/* OpenSSL calls it (TLS 1.2 and 1.3) only for a client that sent status_request.
 * libssl frees what SSL_set_tlsext_status_ocsp_resp is given: a copy each time. */
static int server_status_cb(SSL *ssl, void *arg)
{
    const struct staple *s = arg;
    unsigned char *copy = OPENSSL_memdup(s->der, s->len);
    if (!copy)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)s->len) != 1) {
        OPENSSL_free(copy);
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

int th_ossl_ocsp_server(SSL_CTX *ctx, const char *file, struct th_error *err)
{
    size_t len = 0;
    if (!file)
        return 0;
    if (!indexes_ready()) {
        TH_FAULT(err, 0, "SSL_CTX_get_ex_new_index failed");
        return -1;
    }
    char *der = th_read_file(file, &len);
    if (!der) {
        th_error_set(err, TH_INTERNAL_ERROR, errno, "%s: %s", file, strerror(errno));
        return -1;
    }
    if (len == 0) {
        free(der);
        th_error_set(err, TH_INTERNAL_ERROR, 0, "%s: an empty OCSP response file", file);
        return -1;
    }
    struct staple *s = th_xmalloc(sizeof(*s));
    s->der = (unsigned char *)der;
    s->len = len;
    if (SSL_CTX_set_ex_data(ctx, ctx_index, s) != 1) {
        free_staple(NULL, s, NULL, 0, 0, NULL);
        th_ossl_queued_error(err, "SSL_CTX_set_ex_data");
        return -1;
    }
    /* owned by ctx from here: freed with it */
    if (SSL_CTX_set_tlsext_status_cb(ctx, server_status_cb) != 1 ||
        SSL_CTX_set_tlsext_status_arg(ctx, s) != 1) {
        th_ossl_queued_error(err, "SSL_CTX_set_tlsext_status_cb");
        return -1;
    }
    return 0;
}

/* ---- client: judging a staple ---- */

static void time_str(const ASN1_GENERALIZEDTIME *t, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n = 0;
    out[0] = '\0';
    if (b && t && ASN1_GENERALIZEDTIME_print(b, t) == 1)
        n = BIO_get_mem_data(b, &p);
    snprintf(out, cap, "%.*s", (int)(n > 0 && p ? n : 4), n > 0 && p ? p : "none");
    BIO_free(b);
}

/* OpenSSL's first queued error as "what: text (its data)", its packed code in
 * err->code: OCSP_basic_verify puts the signer's chain error ("Verify error:
 * unable to get local issuer certificate") only in the error's data. */
static enum th_staple invalid(struct th_error *err, const char *what)
{
    const char *data = NULL;
    int flags = 0;
    unsigned long e = ERR_peek_error_data(&data, &flags);
    char buf[200] = "no OpenSSL error queued";
    if (e)
        ERR_error_string_n(e, buf, sizeof(buf));
    int has_data = data && *data && (flags & ERR_TXT_STRING);
    th_error_set(err, TH_OCSP_INVALID, (long)e, "%s: %s%s%s%s", what, buf, has_data ? " (" : "",
                 has_data ? data : "", has_data ? ")" : "");
    ERR_clear_error();
    return TH_STAPLE_INVALID;
}

/* The leaf's issuer: from the chain as verified, else among the certificates the
 * server sent (verify 0 leaves no verified chain when the chain does not check). */
static X509 *leaf_issuer(SSL *ssl, X509 *leaf)
{
    STACK_OF(X509) *v = SSL_get0_verified_chain(ssl);
    if (v && sk_X509_num(v) > 1)
        return sk_X509_value(v, 1);
    STACK_OF(X509) *sent = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; sent && i < sk_X509_num(sent); i++)
        if (X509_check_issued(sk_X509_value(sent, i), leaf) == X509_V_OK &&
            X509_cmp(sk_X509_value(sent, i), leaf) != 0)
            return sk_X509_value(sent, i);
    return NULL;
}

/* The status of the verified response bs for leaf: found by its CertID (SHA-1, as
 * responders name it), current, and what it says. */
static enum th_staple judge_status(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer,
                                   struct th_error *err)
{
    int status = -1, reason = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, leaf, issuer);
    int found = id && OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd);
    OCSP_CERTID_free(id);
    if (!found) {
        th_error_set(err, TH_OCSP_INVALID, 0,
                     "the OCSP staple has no status for the server's leaf (its CertIDs name "
                     "another certificate)");
        return TH_STAPLE_INVALID;
    }
    char t1[64], t2[64], t3[64];
    time_str(thisupd, t1, sizeof(t1));
    time_str(nextupd, t2, sizeof(t2));
    if (OCSP_check_validity(thisupd, nextupd, OCSP_SKEW_S, -1) != 1) {
        invalid(err, "OCSP_check_validity");
        th_error_prefix(err, "OCSP staple out of date (thisUpdate %s, nextUpdate %s)", t1, t2);
        return TH_STAPLE_INVALID;
    }
    if (status == V_OCSP_CERTSTATUS_REVOKED) {
        time_str(rev, t3, sizeof(t3));
        th_error_set(err, TH_REVOKED, status, "OCSP staple: cert status %s, reason %s, at %s",
                     OCSP_cert_status_str(status),
                     reason >= 0 ? OCSP_crl_reason_str(reason) : "none", t3);
        return TH_STAPLE_REVOKED;
    }
    th_error_set(err, TH_OK, status, "OCSP staple: cert status %s (thisUpdate %s, nextUpdate %s)",
                 OCSP_cert_status_str(status), t1, t2);
    return status == V_OCSP_CERTSTATUS_GOOD ? TH_STAPLE_GOOD : TH_STAPLE_UNKNOWN;
}

/* The staple of a DER response: it must parse, say "successful", carry a
 * signature by the leaf's issuer or a responder that issuer delegated to (EKU
 * OCSPSigning), whose chain OCSP_basic_verify checks against the client's store,
 * with the server's certificates as untrusted helpers; then judge_status. err
 * explains every verdict but GOOD. */
static enum th_staple judge(SSL *ssl, const unsigned char *der, long len, struct th_error *err)
{
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    X509 *issuer = leaf ? leaf_issuer(ssl, leaf) : NULL;
    ERR_clear_error();
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &der, len);
    if (!resp)
        return invalid(err, "the OCSP staple does not parse (d2i_OCSP_RESPONSE)");
    enum th_staple seen = TH_STAPLE_INVALID;
    int rs = OCSP_response_status(resp);
    OCSP_BASICRESP *bs =
        rs == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(resp) : NULL;
    if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        th_error_set(err, TH_OCSP_INVALID, rs, "OCSP staple: response status %s (%d)",
                     OCSP_response_status_str(rs), rs);
    else if (!bs)
        invalid(err, "OCSP staple: no basic response (OCSP_response_get1_basic)");
    else if (!leaf || !issuer)
        th_error_set(err, TH_OCSP_INVALID, 0,
                     "OCSP staple: the issuer of the server's leaf is unknown, so the staple "
                     "cannot be matched or its signer checked");
    else if (OCSP_basic_verify(bs, SSL_get_peer_cert_chain(ssl),
                               SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), 0) != 1)
        invalid(err, "OCSP staple signer refused (OCSP_basic_verify)");
    else
        seen = judge_status(bs, leaf, issuer, err);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return seen;
}

/* ---- client: the status callback ---- */

/* The status arg carries the mode, and verify in bit 8: no allocation to free. */
#define ARG_VERIFY 0x100

/* OpenSSL 3 calls it once the server's first flight is in and its chain checked
 * (TLS 1.2: at ServerHelloDone; TLS 1.3: after the Certificate), whether or not a
 * staple came. 0 fails the handshake: libssl sends bad_certificate_status_response
 * and queues SSL_R_INVALID_STATUS_RESPONSE; th_ossl_ocsp_failure has the reason. */
static int client_status_cb(SSL *ssl, void *arg)
{
    uintptr_t a = (uintptr_t)arg;
    enum th_ocsp_mode mode = (enum th_ocsp_mode)(a & 0xff);
    struct record *r = SSL_get_ex_data(ssl, ssl_index);
    if (!r) {
        r = th_xcalloc(1, sizeof(*r));
        if (SSL_set_ex_data(ssl, ssl_index, r) != 1) {
            free(r);
            return -1; /* libssl: internal_error, SSL_R_OCSP_CALLBACK_FAILURE */
        }
    }
    const unsigned char *der = NULL;
    long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
    th_error_clear(&r->err);
    if (!der || len <= 0) {
        r->seen = TH_STAPLE_NONE;
        th_error_set(&r->err, TH_OCSP_MISSING, 0,
                     "no OCSP staple came (client.ocsp require; OpenSSL itself asks for none)");
        r->failed = mode == TH_OCSP_REQUIRE;
    } else {
        r->seen = judge(ssl, der, len, &r->err);
        r->failed = r->seen == TH_STAPLE_INVALID || r->seen == TH_STAPLE_REVOKED;
    }
    /* verify 0: accept anything, still report it (as the chain check does) */
    if (!(a & ARG_VERIFY))
        r->failed = 0;
    return r->failed ? 0 : 1;
}

int th_ossl_ocsp_client(SSL_CTX *ctx, enum th_ocsp_mode mode, int verify, struct th_error *err)
{
    if (mode == TH_OCSP_OFF)
        return 0;
    if (!indexes_ready()) {
        TH_FAULT(err, 0, "SSL_get_ex_new_index failed");
        return -1;
    }
    uintptr_t a = (uintptr_t)mode | (verify ? ARG_VERIFY : 0);
    if (SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp) != 1 ||
        SSL_CTX_set_tlsext_status_cb(ctx, client_status_cb) != 1 ||
        SSL_CTX_set_tlsext_status_arg(ctx, (void *)a) != 1) {
        th_ossl_queued_error(err, "asking for an OCSP staple");
        return -1;
    }
    return 0;
}

enum th_staple th_ossl_ocsp_seen(SSL *ssl)
{
    if (SSL_is_server(ssl) || SSL_get_tlsext_status_type(ssl) != TLSEXT_STATUSTYPE_ocsp)
        return TH_STAPLE_NOT_ASKED;
    struct record *r = ssl_index >= 0 ? SSL_get_ex_data(ssl, ssl_index) : NULL;
    /* No callback ran: a resumed session (no Certificate, no staple), or a handshake
     * that failed before the server's first flight was checked. */
    return r ? r->seen : TH_STAPLE_NONE;
}

int th_ossl_ocsp_failure(SSL *ssl, struct th_error *err)
{
    struct record *r = ssl_index >= 0 ? SSL_get_ex_data(ssl, ssl_index) : NULL;
    if (!r || !r->failed)
        return 0;
    *err = r->err;
    /* no OpenSSL code of its own (a missing staple, a staple for another leaf): the
     * one libssl queues for a refusing status callback */
    if (err->code == 0)
        err->code = (long)ERR_PACK(ERR_LIB_SSL, 0, SSL_R_INVALID_STATUS_RESPONSE);
    size_t n = strlen(err->text);
    snprintf(err->text + n, sizeof(err->text) - n, "%s",
             "; the client sent alert bad_certificate_status_response (113): "
             "SSL_R_INVALID_STATUS_RESPONSE");
    return 1;
}
