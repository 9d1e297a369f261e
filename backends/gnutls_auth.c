/* Client certificates for the GnuTLS backend (gnutls_auth.h).
 *
 * The client hands GnuTLS its chain through a retrieve function rather than the
 * credentials' own list: left to itself a GnuTLS client sends only a certificate
 * issued under one of the CA names the CertificateRequest lists, so a client holding
 * an untrusted or self-signed certificate would send nothing and the server's
 * verdict on it could never be seen. The harness presents what the case gives, as
 * OpenSSL and mbedTLS clients do. */
#include "gnutls_auth.h"

#include <string.h>

#include <gnutls/x509.h>

#include "gnutls_map.h"

/* The public halves of the leaf and of the key, compared by their key ids. */
static int key_matches(gnutls_pubkey_t leaf, gnutls_privkey_t key)
{
    unsigned char a[64], b[64];
    size_t na = sizeof(a), nb = sizeof(b);
    gnutls_pubkey_t pub = NULL;
    int same = gnutls_pubkey_init(&pub) >= 0 && gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
               gnutls_pubkey_get_key_id(pub, 0, a, &na) >= 0 &&
               gnutls_pubkey_get_key_id(leaf, 0, b, &nb) >= 0 && na == nb && memcmp(a, b, na) == 0;
    if (pub)
        gnutls_pubkey_deinit(pub);
    return same;
}

static int load_fail(struct th_gnutls_own *o, struct th_error *err, int ret, const char *file)
{
    th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: %s", file, gnutls_strerror(ret));
    th_gnutls_own_free(o);
    return -1;
}

int th_gnutls_own_load(gnutls_certificate_credentials_t cred, struct th_gnutls_own *o,
                       const struct th_tls_config *cfg, gnutls_certificate_retrieve_function2 *give,
                       struct th_error *err)
{
    const char *cert_file = cfg->cert_file, *key_file = cfg->key_file;
    memset(o, 0, sizeof(*o));
    if (!cert_file || !key_file)
        return 0;
    o->n = TH_GNUTLS_MAX_OWN;
    /* FAIL_IF_UNSORTED: the chain goes out as given, so it must be in order */
    int ret = gnutls_pcert_list_import_x509_file(o->pcert, &o->n, cert_file, GNUTLS_X509_FMT_PEM,
                                                 NULL, NULL, GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
    if (ret < 0) {
        o->n = 0;
        return load_fail(o, err, ret, cert_file);
    }
    if (o->n == 0)
        return load_fail(o, err, GNUTLS_E_NO_CERTIFICATE_FOUND, cert_file);
    gnutls_datum_t pem = {NULL, 0};
    ret = gnutls_load_file(key_file, &pem);
    if (ret >= 0)
        ret = gnutls_privkey_init(&o->key);
    if (ret >= 0)
        ret = gnutls_privkey_import_x509_raw(o->key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_free(pem.data);
    if (ret < 0)
        return load_fail(o, err, ret, key_file);
    if (!key_matches(o->pcert[0].pubkey, o->key))
        return load_fail(o, err, GNUTLS_E_CERTIFICATE_KEY_MISMATCH, key_file);
    gnutls_certificate_set_retrieve_function2(cred, give);
    return 0;
}

void th_gnutls_own_free(struct th_gnutls_own *o)
{
    for (unsigned i = 0; i < o->n; i++)
        gnutls_pcert_deinit(&o->pcert[i]);
    if (o->key)
        gnutls_privkey_deinit(o->key);
    memset(o, 0, sizeof(*o));
}

/* The purpose a client certificate must allow: GnuTLS's plain peer check does not
 * look at the extended key usage, OpenSSL's server does (sslclient). */
int th_gnutls_check_client(gnutls_session_t s, int require, unsigned *status)
{
    unsigned n = 0;
    *status = 0;
    if (!gnutls_certificate_get_peers(s, &n) || n == 0)
        return require ? GNUTLS_E_CERTIFICATE_REQUIRED : 0;
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    int ret = gnutls_certificate_verify_peers(s, &purpose, 1, status);
    if (ret < 0)
        return ret; /* the check could not run: a chain GnuTLS cannot parse */
    return *status ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR : 0;
}

int th_gnutls_client_ca(gnutls_certificate_credentials_t cred, const struct th_tls_config *cfg,
                        struct th_error *err)
{
    if (cfg->client_auth == TH_CLIENT_AUTH_NONE)
        return 0;
    if (!cfg->client_ca_file) {
        TH_FAULT(err, 0, "asking for a client certificate needs client_ca_file");
        return -1;
    }
    int ret =
        gnutls_certificate_set_x509_trust_file(cred, cfg->client_ca_file, GNUTLS_X509_FMT_PEM);
    if (ret > 0)
        return 0;
    ret = ret ? ret : GNUTLS_E_NO_CERTIFICATE_FOUND;
    th_error_set(err, ret == GNUTLS_E_FILE_ERROR ? TH_INTERNAL_ERROR : TH_ANCHOR_UNUSABLE, ret,
                 "%s: %s", cfg->client_ca_file, gnutls_strerror(ret));
    return -1;
}

static gnutls_alert_description_t outcome_alert(enum th_outcome o)
{
    switch (o) {
    case TH_EXPIRED:
    case TH_NOT_YET_VALID: return GNUTLS_A_CERTIFICATE_EXPIRED;
    case TH_REVOKED: return GNUTLS_A_CERTIFICATE_REVOKED;
    case TH_UNKNOWN_CA:
    case TH_SELF_SIGNED:
    case TH_INCOMPLETE_CHAIN: return GNUTLS_A_UNKNOWN_CA;
    case TH_BAD_EKU: return GNUTLS_A_UNSUPPORTED_CERTIFICATE;
    default: return GNUTLS_A_BAD_CERTIFICATE;
    }
}

enum th_outcome th_gnutls_server_outcome(int ret)
{
    if (ret == GNUTLS_E_CERTIFICATE_REQUIRED || ret == GNUTLS_E_NO_CERTIFICATE_FOUND)
        return TH_CERTIFICATE_REQUIRED;
    return th_gnutls_error_outcome(ret);
}

int th_gnutls_refusal_alert(gnutls_session_t s, int ret, enum th_outcome o)
{
    if (ret == GNUTLS_E_CERTIFICATE_REQUIRED || ret == GNUTLS_E_NO_CERTIFICATE_FOUND)
        return gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 ? GNUTLS_A_CERTIFICATE_REQUIRED
                                                               : GNUTLS_A_HANDSHAKE_FAILURE;
    if (ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
        return (int)outcome_alert(o);
    return -1;
}

void th_gnutls_client_cert_seen(gnutls_session_t s, enum th_role role, int verified,
                                struct th_negotiated *out)
{
    unsigned n = 0;
    if (role == TH_ROLE_CLIENT) {
        out->cert_requested = gnutls_certificate_client_get_request_status(s) != 0;
        out->client_cert = gnutls_certificate_get_ours(s) != NULL;
    } else {
        out->client_cert = verified && gnutls_certificate_get_peers(s, &n) && n > 0;
    }
}
