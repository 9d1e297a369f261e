/* Included by the GnuTLS and libcurl backend tests (test_gnutls_map.c,
 * test_gnutls_cert.c, test_curl_cert.c): certificates made with GnuTLS's own API,
 * for chains the test PKI does not have (or did not have when the test was
 * written): name constraints, a pathlen:0 CA with a CA below it, an issuer that is
 * no CA, an Ed25519 leaf. CAs have ECDSA P-256 keys and sign with SHA-256. */
#ifndef TH_GNUTLS_CERTS_H
#define TH_GNUTLS_CERTS_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

struct tc {
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t der;
};

struct tc_opts {
    gnutls_pk_algorithm_t pk; /* 0: ECDSA P-256 */
    int ca;                   /* 1: a CA; -1: a CA-looking issuer with CA:FALSE */
    int pathlen;              /* a CA's pathLenConstraint; -1: none */
    const char *permitted;    /* a CA's one permitted DNS subtree; NULL: none */
    const char *san;          /* a leaf's DNS name; NULL: none */
};

static inline int tc_key(struct tc *c, gnutls_pk_algorithm_t pk)
{
    unsigned bits =
        pk == GNUTLS_PK_EDDSA_ED25519 ? 256 : GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
    return gnutls_x509_privkey_init(&c->key) < 0 ||
                   gnutls_x509_privkey_generate(c->key, pk, bits, 0) < 0
               ? -1
               : 0;
}

static inline int tc_constrain(struct tc *c, const char *permitted)
{
    gnutls_x509_name_constraints_t nc;
    gnutls_datum_t name = {(unsigned char *)permitted, (unsigned)strlen(permitted)};
    if (gnutls_x509_name_constraints_init(&nc) < 0)
        return -1;
    int rc = gnutls_x509_name_constraints_add_permitted(nc, GNUTLS_SAN_DNSNAME, &name);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_name_constraints(c->crt, nc, 1);
    gnutls_x509_name_constraints_deinit(nc);
    return rc < 0 ? -1 : 0;
}

/* A certificate for cn issued by `by` (NULL: self-signed). */
static inline int tc_make(struct tc *c, const char *cn, const struct tc *by, struct tc_opts o)
{
    static unsigned char serial = 1;
    time_t now = time(NULL);
    memset(c, 0, sizeof(*c));
    if (tc_key(c, o.pk ? o.pk : GNUTLS_PK_ECDSA) != 0 || gnutls_x509_crt_init(&c->crt) < 0)
        return -1;
    serial++;
    unsigned usage =
        o.ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN : GNUTLS_KEY_DIGITAL_SIGNATURE;
    int rc = gnutls_x509_crt_set_version(c->crt, 3) |
             gnutls_x509_crt_set_serial(c->crt, &serial, 1) |
             gnutls_x509_crt_set_activation_time(c->crt, now - 3600) |
             gnutls_x509_crt_set_expiration_time(c->crt, now + 86400) |
             gnutls_x509_crt_set_dn_by_oid(c->crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn)) |
             gnutls_x509_crt_set_key(c->crt, c->key) |
             gnutls_x509_crt_set_basic_constraints(c->crt, o.ca == 1, o.ca == 1 ? o.pathlen : -1) |
             gnutls_x509_crt_set_key_usage(c->crt, usage);
    if (rc < 0 || (o.permitted && tc_constrain(c, o.permitted) != 0))
        return -1;
    if (o.san && gnutls_x509_crt_set_subject_alt_name(c->crt, GNUTLS_SAN_DNSNAME, o.san,
                                                      (unsigned)strlen(o.san), GNUTLS_FSAN_SET) < 0)
        return -1;
    if (gnutls_x509_crt_sign2(c->crt, by ? by->crt : c->crt, by ? by->key : c->key,
                              GNUTLS_DIG_SHA256, 0) < 0)
        return -1;
    return gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_DER, &c->der) < 0 ? -1 : 0;
}

static inline void tc_free(struct tc *c)
{
    if (c->crt)
        gnutls_x509_crt_deinit(c->crt);
    if (c->key)
        gnutls_x509_privkey_deinit(c->key);
    gnutls_free(c->der.data);
    memset(c, 0, sizeof(*c));
}

static inline int tc_append(FILE *f, const gnutls_datum_t *pem)
{
    return fwrite(pem->data, 1, pem->size, f) == pem->size ? 0 : -1;
}

/* dir/NAME.chain.pem (the chain as given, leaf first) and dir/NAME.key.pem (the
 * leaf's key, PKCS #8); 0 when written. */
static inline int tc_write(const char *dir, const char *name, const struct tc *const *chain,
                           unsigned n)
{
    char path[512];
    gnutls_datum_t pem = {NULL, 0};
    int rc = 0;
    snprintf(path, sizeof(path), "%s/%s.chain.pem", dir, name);
    FILE *f = fopen(path, "w");
    for (unsigned i = 0; f && rc == 0 && i < n; i++) {
        rc = gnutls_x509_crt_export2(chain[i]->crt, GNUTLS_X509_FMT_PEM, &pem) < 0
                 ? -1
                 : tc_append(f, &pem);
        gnutls_free(pem.data);
        pem.data = NULL;
    }
    if (!f || fclose(f) != 0 || rc != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/%s.key.pem", dir, name);
    if (!(f = fopen(path, "w")))
        return -1;
    rc = gnutls_x509_privkey_export2_pkcs8(chain[0]->key, GNUTLS_X509_FMT_PEM, NULL,
                                           GNUTLS_PKCS_PLAIN, &pem) < 0
             ? -1
             : tc_append(f, &pem);
    gnutls_free(pem.data);
    return fclose(f) != 0 || rc != 0 ? -1 : 0;
}

/* dir/NAME.pem: one certificate (a trust anchor file). */
static inline int tc_write_one(const char *dir, const char *name, const struct tc *c)
{
    char path[512];
    gnutls_datum_t pem = {NULL, 0};
    snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
    FILE *f = fopen(path, "w");
    int rc = !f || gnutls_x509_crt_export2(c->crt, GNUTLS_X509_FMT_PEM, &pem) < 0
                 ? -1
                 : tc_append(f, &pem);
    gnutls_free(pem.data);
    if (f && fclose(f) != 0)
        rc = -1;
    return rc;
}

#endif
