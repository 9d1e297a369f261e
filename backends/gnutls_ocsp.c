/* OCSP stapling and the client's check of the server for the GnuTLS backend
 * (gnutls_ocsp.h). GnuTLS judges a staple inside gnutls_certificate_verify_peers; what
 * it does not do is refuse a connection without one (unless the leaf is must-staple),
 * nor say what a staple it took said: both are here. */
#include "gnutls_ocsp.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

/* The clock skew a staple's thisUpdate and nextUpdate are allowed. */
#define SKEW_S (5 * 60)
/* RFC 6066's alert (113), which GnuTLS 3.7's gnutls_alert_description_t lacks. */
#define BAD_CERTIFICATE_STATUS_RESPONSE 113
/* GnuTLS's bits for revocation data out of date, a CRL's or a staple's. */
#define STALE_BITS                                                                                 \
    (GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED | GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE)

/* ---- server ---- */

int th_gnutls_ocsp_staple(gnutls_certificate_credentials_t cred, const char *file,
                          struct th_error *err)
{
    gnutls_datum_t d = {NULL, 0};
    int ret = gnutls_load_file(file, &d);
    if (ret < 0) {
        th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: %s", file, gnutls_strerror(ret));
        return -1;
    }
    /* index 0: the credentials hold one chain. GnuTLS checks the response against it
     * and its expiry here, before any client asks: a refusal is the library's. */
    ret = gnutls_certificate_set_ocsp_status_request_mem(cred, &d, 0, GNUTLS_X509_FMT_DER);
    gnutls_free(d.data);
    if (ret >= 0)
        return 0;
    th_error_set(err, ret == GNUTLS_E_MEMORY_ERROR ? TH_INTERNAL_ERROR : TH_OCSP_INVALID, ret,
                 "%s: GnuTLS will not staple it: %s", file, gnutls_strerror(ret));
    return -1;
}

/* ---- client ---- */

int th_gnutls_ocsp_ask(gnutls_session_t s, enum th_ocsp_mode mode, struct th_error *err)
{
    /* GnuTLS 3.7 enables this on every client already (gnutls_ocsp.h): said anyway, so
     * a library that stops doing so still asks when told to */
    int ret = mode == TH_OCSP_OFF ? 0 : gnutls_ocsp_status_request_enable_client(s, NULL, 0, NULL);
    if (ret >= 0)
        return 0;
    th_error_set(err, TH_INTERNAL_ERROR, ret, "gnutls_ocsp_status_request_enable_client: %s",
                 gnutls_strerror(ret));
    return -1;
}

static int crt_from(gnutls_x509_crt_t *out, const gnutls_datum_t *der)
{
    if (gnutls_x509_crt_init(out) < 0) {
        *out = NULL;
        return -1;
    }
    return gnutls_x509_crt_import(*out, der, GNUTLS_X509_FMT_DER) < 0 ? -1 : 0;
}

/* The leaf's issuer: the next certificate as sent, else one of our anchors. */
static gnutls_x509_crt_t issuer_of(gnutls_session_t s, gnutls_x509_crt_t leaf,
                                   const gnutls_datum_t *certs, unsigned n)
{
    gnutls_x509_crt_t iss = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_x509_trust_list_t anchors = NULL;
    if (n > 1) {
        if (crt_from(&iss, &certs[1]) == 0)
            return iss;
        if (iss)
            gnutls_x509_crt_deinit(iss);
        return NULL;
    }
    if (gnutls_credentials_get(s, GNUTLS_CRD_CERTIFICATE, (void **)&cred) < 0 || !cred)
        return NULL;
    gnutls_certificate_get_trust_list(cred, &anchors);
    if (!anchors || gnutls_x509_trust_list_get_issuer(anchors, leaf, &iss, GNUTLS_TL_GET_COPY) < 0)
        return NULL;
    return iss;
}

static enum th_staple cert_status(gnutls_ocsp_resp_t r)
{
    unsigned cs = 0;
    time_t this_upd = 0, next_upd = 0, now = time(NULL);
    if (gnutls_ocsp_resp_get_single(r, 0, NULL, NULL, NULL, NULL, &cs, &this_upd, &next_upd, NULL,
                                    NULL) < 0)
        return TH_STAPLE_INVALID;
    if (this_upd > now + SKEW_S || (next_upd != (time_t)-1 && next_upd < now - SKEW_S))
        return TH_STAPLE_INVALID; /* not yet valid, or stale */
    return cs == GNUTLS_OCSP_CERT_GOOD      ? TH_STAPLE_GOOD
           : cs == GNUTLS_OCSP_CERT_REVOKED ? TH_STAPLE_REVOKED
                                            : TH_STAPLE_UNKNOWN;
}

/* Our own reading of a staple, by the rules GnuTLS's check follows, for what the
 * client reports and for a client that checks no chain: a successful response about
 * THIS leaf (its CertID), signed by the leaf's issuer or a responder it delegated to
 * (verify_direct asks the responder for EKU OCSPSigning), current within SKEW_S. */
static enum th_staple judge(gnutls_session_t s, const gnutls_datum_t *staple)
{
    unsigned n = 0, vst = 1;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    gnutls_ocsp_resp_t r = NULL;
    gnutls_x509_crt_t leaf = NULL, iss = NULL;
    enum th_staple v = TH_STAPLE_INVALID;
    if (!certs || n == 0 || gnutls_ocsp_resp_init(&r) < 0)
        return v;
    if (gnutls_ocsp_resp_import(r, staple) == 0 &&
        gnutls_ocsp_resp_get_status(r) == GNUTLS_OCSP_RESP_SUCCESSFUL &&
        crt_from(&leaf, &certs[0]) == 0 && gnutls_ocsp_resp_check_crt(r, 0, leaf) == 0 &&
        (iss = issuer_of(s, leaf, certs, n)) != NULL &&
        gnutls_ocsp_resp_verify_direct(r, iss, &vst, 0) == 0 && vst == 0)
        v = cert_status(r);
    if (iss)
        gnutls_x509_crt_deinit(iss);
    if (leaf)
        gnutls_x509_crt_deinit(leaf);
    gnutls_ocsp_resp_deinit(r);
    return v;
}

/* The name (or address) and purpose the server's certificate must match. The plain
 * gnutls_certificate_verify_peers2 does not check the extended key usage; typed data
 * with GNUTLS_KP_TLS_WWW_SERVER does, and GNUTLS_DT_IP_ADDRESS makes an IP literal
 * match IP SANs only, never a DNS name. */
static unsigned verify_data(const char *host, gnutls_typed_vdata_st *vd, unsigned char *ip)
{
    unsigned n = 0;
    if (host && inet_pton(AF_INET, host, ip) == 1)
        vd[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_IP_ADDRESS, ip, 4};
    else if (host && inet_pton(AF_INET6, host, ip) == 1)
        vd[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_IP_ADDRESS, ip, 16};
    else if (host)
        vd[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)host, 0};
    vd[n++] = (gnutls_typed_vdata_st){GNUTLS_DT_KEY_PURPOSE_OID,
                                      (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0};
    return n;
}

/* As GnuTLS's own gnutls_session_set_verify_cert2 check does, plus require: that one
 * cannot refuse a leaf without a staple, and keeps no staple verdict of its own. */
int th_gnutls_check_server(gnutls_session_t s, const char *host, int verify, enum th_ocsp_mode mode,
                           unsigned *status)
{
    gnutls_typed_vdata_st vd[2];
    unsigned char ip[16];
    gnutls_datum_t staple = {NULL, 0};
    *status = 0;
    if (verify) {
        if (gnutls_certificate_verify_peers(s, vd, verify_data(host, vd, ip), status) < 0)
            return GNUTLS_E_CERTIFICATE_ERROR; /* no bit: the chain could not be read */
        /* A stale staple sets only REVOCATION_DATA_SUPERSEDED (a future one
         * ..._ISSUED_IN_FUTURE), the bits a stale CRL sets too: where the staple is what
         * is out of date, INVALID_OCSP_STATUS joins them, so it reads as the staple's. */
        if ((*status & STALE_BITS) && gnutls_ocsp_status_request_get(s, &staple) == 0 &&
            staple.data && judge(s, &staple) == TH_STAPLE_INVALID)
            *status |= GNUTLS_CERT_INVALID_OCSP_STATUS;
        if (*status)
            return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
    }
    if (mode != TH_OCSP_REQUIRE)
        return 0;
    /* Our own bits, so the refusal reads like GnuTLS's for a must-staple leaf. */
    if (gnutls_ocsp_status_request_get(s, &staple) < 0 || !staple.data)
        *status = GNUTLS_CERT_INVALID | GNUTLS_CERT_MISSING_OCSP_STATUS;
    else if (!verify && judge(s, &staple) == TH_STAPLE_INVALID)
        *status = GNUTLS_CERT_INVALID | GNUTLS_CERT_INVALID_OCSP_STATUS;
    return *status ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

enum th_staple th_gnutls_ocsp_seen(gnutls_session_t s, unsigned status)
{
    gnutls_datum_t staple = {NULL, 0};
    if (gnutls_ocsp_status_request_get(s, &staple) < 0 || !staple.data)
        return TH_STAPLE_NONE;
    /* GnuTLS's verdict wins where it refused the staple (it allows no skew) */
    if (status & GNUTLS_CERT_INVALID_OCSP_STATUS)
        return TH_STAPLE_INVALID;
    return judge(s, &staple);
}

/* RFC 6066 8 names the alert for a staple a client will not take; a leaf its staple
 * says is revoked is certificate_revoked. GnuTLS alone says bad_certificate to both. */
int th_gnutls_ocsp_alert(gnutls_session_t s, unsigned status, enum th_outcome o)
{
    if (o == TH_OCSP_INVALID || o == TH_OCSP_MISSING)
        return BAD_CERTIFICATE_STATUS_RESPONSE;
    if (o == TH_REVOKED && th_gnutls_ocsp_seen(s, status) == TH_STAPLE_REVOKED)
        return GNUTLS_A_CERTIFICATE_REVOKED;
    return -1;
}
