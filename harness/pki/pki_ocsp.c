/* OCSP responses of the test PKI, as servers staple them (RFC 6960; RFC 6066 8).
 * Signed offline, now, with validity relative to now like every other object: each
 * is a BasicOCSPResponse for one certificate (CertID by SHA-1, as responders and
 * clients expect), no nonce (a staple has none), the signer's certificate included.
 * Each breaks one rule (or none), so a client's verdict on it names that rule. */
#include "pki_int.h"

#include <string.h>

#include <openssl/ocsp.h>

const char *const th_pki_ocsp[] = {"ocsp-good",
                                   "ocsp-delegated",
                                   "ocsp-revoked",
                                   "ocsp-expired",
                                   "ocsp-wrong-responder",
                                   "ocsp-other-cert",
                                   "ocsp-must-staple",
                                   NULL};

struct resp_spec {
    const char *name;
    const char *leaf;   /* the certificate the response speaks of (issued by the intermediate) */
    const char *signer; /* NULL: the issuer itself; else a kept leaf, signing as responder */
    int status;         /* V_OCSP_CERTSTATUS_* */
    int from_days, to_days; /* thisUpdate, nextUpdate */
};

static const struct resp_spec specs[] = {
    {"ocsp-good", "rsa2048", NULL, V_OCSP_CERTSTATUS_GOOD, -1, 30},
    /* a responder the issuer delegated to (EKU OCSPSigning, RFC 6960 4.2.2.2) */
    {"ocsp-delegated", "rsa2048", "ocsp-responder", V_OCSP_CERTSTATUS_GOOD, -1, 30},
    {"ocsp-revoked", "revoked", NULL, V_OCSP_CERTSTATUS_REVOKED, -1, 30},
    /* stale: its nextUpdate has passed */
    {"ocsp-expired", "rsa2048", NULL, V_OCSP_CERTSTATUS_GOOD, -10, -3},
    /* signed by a certificate of the same issuer that lacks OCSPSigning */
    {"ocsp-wrong-responder", "rsa2048", "ocsp-not-responder", V_OCSP_CERTSTATUS_GOOD, -1, 30},
    /* a good answer about ecdsa-p256, stapled beside rsa2048 */
    {"ocsp-other-cert", "ecdsa-p256", NULL, V_OCSP_CERTSTATUS_GOOD, -1, 30},
    {"ocsp-must-staple", "must-staple", NULL, V_OCSP_CERTSTATUS_GOOD, -1, 30},
};

/* The basic response for s, signed; NULL with g->err set. */
static OCSP_BASICRESP *basic(struct th_pki_gen *g, const struct resp_spec *s, X509 *leaf,
                             X509 *issuer, X509 *signer, EVP_PKEY *key)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
    ASN1_TIME *this_upd = X509_gmtime_adj(NULL, s->from_days * TH_PKI_DAY);
    ASN1_TIME *next_upd = X509_gmtime_adj(NULL, s->to_days * TH_PKI_DAY);
    ASN1_TIME *rev = X509_gmtime_adj(NULL, -TH_PKI_DAY);
    int revoked = s->status == V_OCSP_CERTSTATUS_REVOKED;
    int ok =
        bs && id && this_upd && next_upd && rev &&
        OCSP_basic_add1_status(bs, id, s->status, revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0,
                               revoked ? rev : NULL, this_upd, next_upd) &&
        OCSP_basic_sign(bs, signer, key, EVP_sha256(), NULL, 0);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(this_upd);
    ASN1_TIME_free(next_upd);
    ASN1_TIME_free(rev);
    if (!ok) {
        OCSP_BASICRESP_free(bs);
        th_pki_fail_ossl(g, "signing the OCSP response", s->name);
        return NULL;
    }
    return bs;
}

static int write_response(struct th_pki_gen *g, const struct resp_spec *s)
{
    X509 *issuer, *leaf = th_pki_kept(g, s->leaf);
    EVP_PKEY *ikey;
    if (!leaf || th_pki_ca_of(g, "intermediate", &issuer, &ikey) < 0) {
        TH_FAULT(g->err, 0, "PKI: OCSP response %s: leaf %s was not kept", s->name, s->leaf);
        return -1;
    }
    X509 *signer = s->signer ? th_pki_kept(g, s->signer) : issuer;
    if (!signer) {
        TH_FAULT(g->err, 0, "PKI: OCSP response %s: signer %s was not kept", s->name, s->signer);
        return -1;
    }
    /* the responder leaves share g->shared_key (pki_objects.c) */
    OCSP_BASICRESP *bs = basic(g, s, leaf, issuer, signer, s->signer ? g->shared_key : ikey);
    if (!bs)
        return -1;
    OCSP_RESPONSE *resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    OCSP_BASICRESP_free(bs);
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = resp && bio && i2d_OCSP_RESPONSE_bio(bio, resp) == 1;
    OCSP_RESPONSE_free(resp);
    if (!ok) {
        BIO_free(bio);
        return th_pki_fail_ossl(g, "encoding the OCSP response", s->name);
    }
    th_pki_note_expiry(g, s->from_days, s->to_days);
    char file[128];
    snprintf(file, sizeof file, "%s.der", s->name);
    return th_pki_write_bio(g, file, bio, 0644);
}

int th_pki_write_ocsp(struct th_pki_gen *g)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(specs); i++)
        TH_GUARD(write_response(g, &specs[i]));
    return 0;
}
