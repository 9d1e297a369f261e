/* The libcurl backends' error mapping (curl_map.h). */
#include "curl_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/err.h>

#include "harness/vocab/util.h"
#include "gnutls_map.h"
#include "openssl_map.h"

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
    /* a certificate GnuTLS could not parse, before any status bit */
    GNUTLS_E_X509_DUPLICATE_EXTENSION,
    GNUTLS_E_X509_UNSUPPORTED_CRITICAL_EXTENSION,
    GNUTLS_E_ASN1_DER_ERROR,
};

/* curl-gnutls writes "gnutls_handshake() failed: " and the name of a received
 * fatal alert, or GnuTLS's text for its error code: either says what happened. */
static int gnutls_text_outcome(const struct th_curl_fetch *fx, enum th_outcome *out)
{
    const char *text = fx->errbuf;
    const char *p = strstr(text, "failed: ");
    if (fx->alert && strstr(text, gnutls_strerror(GNUTLS_E_FATAL_ALERT_RECEIVED))) {
        *out = th_outcome_from_alert(fx->alert - 1);
        return 1;
    }
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

static int tls_text_outcome(const struct th_curl_fetch *fx, enum th_outcome *out)
{
    if (fx->f->tls == CURLSSLBACKEND_OPENSSL)
        return ossl_text_outcome(fx->errbuf, out);
    return gnutls_text_outcome(fx, out);
}

void th_curl_chain_free(struct th_curl_fetch *fx)
{
    for (unsigned i = 0; i < fx->n_chain; i++)
        free(fx->chain[i].data);
    fx->n_chain = 0;
}

/* GnuTLS judges a staple inside the chain check, and its client asks for one by
 * default (status_request in every ClientHello, VERIFYSTATUS or not): a refused
 * staple is CURLE_PEER_FAILED_VERIFICATION with status bits, never curl's own
 * CURLE_SSL_INVALIDCERTSTATUS: REVOKED (0x20), INVALID_OCSP_STATUS (1 << 20: wrong
 * signer, another certificate), REVOCATION_DATA_SUPERSEDED (1 << 12: a staple past
 * its nextUpdate, which the chain mapping does not name) and MISSING_OCSP_STATUS
 * (1 << 19: a must-staple leaf without one). REVOKED and the stale bits can be a
 * CRL's too: without a CRL file they can only be the staple's. What the staple was
 * goes into fx->neg.ocsp; a stale one is ocsp_invalid. */
static enum th_outcome gnutls_ocsp_status(struct th_curl_fetch *fx, unsigned st, enum th_outcome o)
{
    const unsigned stale =
        GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED | GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE;
    int crl = fx->cfg->crl_file != NULL;
    if (st & GNUTLS_CERT_INVALID_OCSP_STATUS)
        fx->neg.ocsp = TH_STAPLE_INVALID;
    else if (!crl && (st & GNUTLS_CERT_REVOKED))
        fx->neg.ocsp = TH_STAPLE_REVOKED;
    else if (!crl && (st & stale))
        fx->neg.ocsp = TH_STAPLE_INVALID;
    else if (st & GNUTLS_CERT_MISSING_OCSP_STATUS)
        fx->neg.ocsp = TH_STAPLE_NONE;
    return !crl && (st & stale) && o == TH_HANDSHAKE_FAILURE ? TH_OCSP_INVALID : o;
}

/* The bits of gnutls_certificate_status_t, as the GnuTLS backend maps them, with
 * the chain curl-gnutls was sent and the anchors of the CA file it was given.
 * libcurl-gnutls checks the chain with gnutls_certificate_verify_peers2 (no host
 * name, no purpose) and the host name itself, so PURPOSE_MISMATCH and
 * UNEXPECTED_OWNER never come from it. */
static enum th_outcome gnutls_status_outcome(struct th_curl_fetch *fx, unsigned st)
{
    gnutls_x509_trust_list_t anchors = NULL;
    if (th_gnutls_anchors_from_file(fx->cfg->ca_file, &anchors) != 0)
        anchors = NULL;
    enum th_outcome o = th_gnutls_chain_outcome(st, fx->chain, fx->n_chain, anchors);
    if (anchors)
        gnutls_x509_trust_list_deinit(anchors, 1);
    return gnutls_ocsp_status(fx, st, o);
}

/* A refused certificate (CURLE_PEER_FAILED_VERIFICATION; for OpenSSL also
 * CURLE_SSL_CONNECT_ERROR, see code_error): the chain check's first failure as our
 * verify callback saw it, or curl's own host name check, which runs after the
 * library's (curl-openssl then leaves X509_V_ERR_UNSPECIFIED as the result). The
 * outcome in d, the verify code as the text that ends the message. */
static void ossl_verify_error(const struct th_curl_fetch *fx, long res, struct th_error *d)
{
    /* curl-openssl files a received certificate_expired alert
     * (SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED) here too, as if its own check had
     * failed: with the check off, or passed (no record of ours, no failing result),
     * it is the server refusing this client's certificate. */
    int own_check_passed = !fx->verify_err && !strstr(fx->errbuf, "host name") &&
                           (res == X509_V_OK || res == X509_V_ERR_UNSPECIFIED);
    if (!fx->cfg->verify || own_check_passed)
        th_error_set(d, th_outcome_from_alert(SSL_AD_CERTIFICATE_EXPIRED), res,
                     "; our chain check passed: the server's alert certificate_expired, which "
                     "curl reports as a verification failure");
    else if (fx->verify_err)
        th_error_set(d, th_ossl_chain_outcome(fx->verify_err, fx->verify_cert, fx->verify_sent),
                     fx->verify_err, "; X509 verify error %d at depth %d: %s", fx->verify_err,
                     fx->verify_depth, X509_verify_cert_error_string(fx->verify_err));
    else if (strstr(fx->errbuf, "host name"))
        th_error_set(d, TH_HOSTNAME_MISMATCH, res, "%s", "");
    else
        th_error_set(d, res ? th_ossl_verify_outcome((int)res, NULL) : TH_HANDSHAKE_FAILURE, res,
                     "; X509 verify result %ld: %s", res, X509_verify_cert_error_string(res));
}

static void verify_error(struct th_curl_fetch *fx, struct th_error *d)
{
    long res = 0;
    if (fx->f->api.easy_getinfo(fx->h, CURLINFO_SSL_VERIFYRESULT, &res) != CURLE_OK)
        res = 0;
    if (fx->f->tls == CURLSSLBACKEND_OPENSSL)
        ossl_verify_error(fx, res, d);
    else if (res)
        th_error_set(d, gnutls_status_outcome(fx, (unsigned)res), res,
                     "; gnutls_certificate_status 0x%lx", (unsigned long)res);
    else
        th_error_set(d,
                     strstr(fx->errbuf, "host name") ? TH_HOSTNAME_MISMATCH : TH_HANDSHAKE_FAILURE,
                     0, "%s", "");
}

/* curl-openssl decides "certificate problem" from the OLDEST error on OpenSSL's
 * queue: a leaf whose signature does not verify leaves an RSA padding error in
 * front of "certificate verify failed", and curl reports CURLE_SSL_CONNECT_ERROR
 * with the RSA text. Our verify callback saw the real reason. */
static int ossl_chain_refused(const struct th_curl_fetch *fx)
{
    return fx->f->tls == CURLSSLBACKEND_OPENSSL && fx->cfg->verify && fx->verify_err;
}

/* CURLE_SSL_INVALIDCERTSTATUS: curl's own staple check (VERIFYSTATUS) failed, after
 * a handshake that completed. Only its text says why: "No OCSP response received"
 * (both flavours), a revocation ("SSL certificate revocation reason: ..." from
 * curl-openssl, "Server certificate was revoked: ..." from curl-gnutls), else a
 * staple that did not verify, is stale or for another certificate, or says
 * unknown. Also what the staple was, in fx->neg.ocsp. */
static enum th_outcome ocsp_outcome(struct th_curl_fetch *fx)
{
    const char *t = fx->errbuf;
    if (strstr(t, "No OCSP response received")) {
        fx->neg.ocsp = TH_STAPLE_NONE;
        return TH_OCSP_MISSING;
    }
    if (strcasestr(t, "revoked") || strcasestr(t, "revocation")) {
        fx->neg.ocsp = TH_STAPLE_REVOKED;
        return TH_REVOKED;
    }
    fx->neg.ocsp = strcasestr(t, "unknown") ? TH_STAPLE_UNKNOWN : TH_STAPLE_INVALID;
    return TH_OCSP_INVALID;
}

/* What the CURLcode alone says. */
static enum th_outcome code_outcome(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK: return TH_OK;
    case CURLE_OPERATION_TIMEDOUT: return TH_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY: return TH_IO_ERROR;
    case CURLE_PARTIAL_FILE: return TH_TRUNCATED;
    /* the TLS library would not load the trust anchors or the CRL it was given */
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE: return TH_ANCHOR_UNUSABLE;
    default: return TH_INTERNAL_ERROR;
    }
}

/* What happened, in d: the outcome, and for a refused certificate the TLS library's
 * verify code as the text that ends the message (empty otherwise). */
static void code_error(struct th_curl_fetch *fx, CURLcode rc, struct th_error *d)
{
    enum th_outcome o = code_outcome(rc);
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION: verify_error(fx, d); return;
    case CURLE_SSL_INVALIDCERTSTATUS: o = ocsp_outcome(fx); break;
    case CURLE_SSL_CONNECT_ERROR:
        if (ossl_chain_refused(fx)) {
            verify_error(fx, d);
            return;
        }
        /* curl-gnutls could not load CURLOPT_SSLCERT/SSLKEY: the harness's set-up,
         * as curl-openssl's CURLE_SSL_CERTPROBLEM is */
        if (strstr(fx->errbuf, "error reading X.509"))
            o = TH_INTERNAL_ERROR;
        else if (!tls_text_outcome(fx, &o))
            o = TH_HANDSHAKE_FAILURE;
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        if (!tls_text_outcome(fx, &o))
            o = TH_IO_ERROR;
        break;
    default: break;
    }
    if (fx->alert && fx->f->tls == CURLSSLBACKEND_GNUTLS)
        th_error_set(d, o, rc, "; the alert: %s (%d)",
                     gnutls_alert_get_name((gnutls_alert_description_t)(fx->alert - 1)),
                     fx->alert - 1);
    else
        th_error_set(d, o, rc, "%s", "");
}

void th_curl_set_error(struct th_curl_fetch *fx, CURLcode rc, int which, struct th_error *err)
{
    struct th_error d;
    code_error(fx, rc, &d);
    if (fx->body.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(d.text, sizeof(d.text), "; body over the bound of %llu bytes",
                 (unsigned long long)fx->body.max);
    th_error_set(err, d.outcome, rc, "%s%s (%d): %s%s", which ? "second connection: " : "",
                 fx->f->api.easy_strerror(rc), (int)rc, fx->errbuf[0] ? fx->errbuf : "no detail",
                 d.text);
}
