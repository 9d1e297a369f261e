/* Inside the PKI room: what the object builders (pki_x509.c: certificates, CRLs,
 * keys and their files; pki_objects.c: the catalogue of CAs and leaves) share with
 * the folder keeper (pki.c). Not for other rooms: they use pki.h. */
#ifndef TH_PKI_INT_H
#define TH_PKI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "harness/vocab/util.h"
#include "pki.h"

#define TH_PKI_DAY 86400L
/* Bumped whenever an object changes meaning, so a cached folder of an older
 * format is made again rather than reused. */
#define TH_PKI_FORMAT 4

/* The CAs, in the order they are made: an issuer always comes before what it signs. */
enum th_pki_ca {
    CA_ROOT,
    CA_INTER,
    CA_UNTR,
    CA_NC,
    CA_PATHLEN0,
    CA_SUB,
    CA_NOT_CA,
    CA_NO_BC,
    CA_EXPIRED,
    CA_ANCHOR_NC,
    CA_ANCHOR_CRIT,
    CA_ANCHOR_DSA,
    N_CAS
};

/* State of one generation run; everything owned here is freed by th_pki_gen_free. */
struct th_pki_gen {
    time_t now, good_until;
    char *dir; /* the temporary folder being filled */
    struct th_error *err;
    EVP_PKEY *ca_key[N_CAS];
    X509 *ca[N_CAS];
    /* The rsa2048 leaf has a key of its own; the other RSA-2048 leaves share one to
     * keep generation fast (no scenario depends on their keys differing). */
    EVP_PKEY *own_key, *shared_key, *small_key, *big_key;
    ASN1_INTEGER *revoked_serial;
    /* The leaves OCSP responses speak of or are signed by (pki_ocsp.c), by name. */
    X509 *kept[6];
    const char *kept_name[6];
    size_t nkept;
    uint64_t serials[96];
    size_t nserials;
};

/* Extensions as {nid, value} pairs ended by a NULL value, in X509V3 config syntax. */
struct th_pki_ext {
    int nid;
    const char *value;
};

/* pki_x509.c: every function returns -1 (or NULL) with g->err set. */
int th_pki_fail_ossl(struct th_pki_gen *g, const char *what, const char *name);
void th_pki_note_expiry(struct th_pki_gen *g, int from_days, int to_days);
X509 *th_pki_new_cert(struct th_pki_gen *g, const char *name, const char *cn, EVP_PKEY *key,
                      int from_days, int to_days);
int th_pki_add_exts(struct th_pki_gen *g, X509 *x, X509 *issuer, const struct th_pki_ext *exts,
                    const char *name);
int th_pki_add_unknown_critical(struct th_pki_gen *g, X509 *x, const char *name);
int th_pki_sign(struct th_pki_gen *g, X509 *x, X509 *issuer, EVP_PKEY *key, const EVP_MD *md,
                const char *name);
int th_pki_corrupt_signature(struct th_pki_gen *g, X509 **x, const char *name);
int th_pki_gen_keys(struct th_pki_gen *g);
int th_pki_write_crls(struct th_pki_gen *g);
int th_pki_write_file(const char *path, const void *data, size_t len, mode_t mode);
/* Write what the memory BIO holds to DIR/file (consumes b). */
int th_pki_write_bio(struct th_pki_gen *g, const char *file, BIO *b, mode_t mode);
/* DIR/NAME<suffix> holding the n certificates of certs in order. */
int th_pki_write_certs(struct th_pki_gen *g, const char *name, const char *suffix,
                       X509 *const *certs, size_t n);
int th_pki_write_key(struct th_pki_gen *g, const char *name, EVP_PKEY *key);
void th_pki_gen_free(struct th_pki_gen *g);

/* pki_objects.c: every CA and leaf into g->dir, then the CRLs and OCSP responses. */
int th_pki_make_objects(struct th_pki_gen *g);
/* The kept leaf of that name (F_KEEP in pki_objects.c), or NULL. */
X509 *th_pki_kept(const struct th_pki_gen *g, const char *name);
/* The CA certificate and key of that name (th_pki_cas), or -1. */
int th_pki_ca_of(const struct th_pki_gen *g, const char *name, X509 **cert, EVP_PKEY **key);

/* pki_ocsp.c: every OCSP response (th_pki_ocsp) into g->dir, after the leaves. */
int th_pki_write_ocsp(struct th_pki_gen *g);

/* The OID of the unknown critical extension: under IANA's enterprise number 32473,
 * reserved for documentation (RFC 5612), so no real extension will ever have it.
 * Small arcs on purpose: GnuTLS's ASN.1 parser refuses a 128-bit UUID arc (2.25.x)
 * as "Error in DER parsing", which would test OID sizes, not criticality. */
#define TH_PKI_UNKNOWN_OID "1.3.6.1.4.1.32473.1.12"

#endif
