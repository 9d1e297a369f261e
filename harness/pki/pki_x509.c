/* The PKI's building blocks on the OpenSSL 3 API: keys, certificates, CRLs and the
 * PEM files they go to. What each object is lives in pki_objects.c. */
#include "pki_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/dsa.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

/* ---- errors ---- */

int th_pki_fail_ossl(struct th_pki_gen *g, const char *what, const char *name)
{
    unsigned long e = ERR_get_error(); /* the earliest: usually the root cause */
    char buf[256];
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    else
        th_strlcpy(buf, "no OpenSSL error reported", sizeof buf);
    ERR_clear_error();
    th_error_set(g->err, TH_INTERNAL_ERROR, (long)e, "PKI: %s '%s' failed: %s", what, name, buf);
    return -1;
}

/* ---- certificates ---- */

void th_pki_note_expiry(struct th_pki_gen *g, int from_days, int to_days)
{
    time_t until = g->now + to_days * TH_PKI_DAY;
    if (from_days <= 0 && to_days > 0 && (!g->good_until || until < g->good_until))
        g->good_until = until;
}

/* A random positive 63-bit serial, unique within this PKI. */
static int set_serial(struct th_pki_gen *g, X509 *x, const char *name)
{
    uint64_t v;
    for (;;) {
        if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
            return th_pki_fail_ossl(g, "drawing a serial for", name);
        v &= INT64_MAX;
        int dup = v == 0;
        for (size_t i = 0; i < g->nserials; i++)
            dup |= g->serials[i] == v;
        if (!dup)
            break;
    }
    if (g->nserials < TH_ARRAY_LEN(g->serials))
        g->serials[g->nserials++] = v;
    if (!ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), v))
        return th_pki_fail_ossl(g, "setting the serial of", name);
    return 0;
}

static int set_validity(struct th_pki_gen *g, X509 *x, int from_days, int to_days)
{
    return X509_time_adj_ex(X509_getm_notBefore(x), from_days, 0, &g->now) &&
                   X509_time_adj_ex(X509_getm_notAfter(x), to_days, 0, &g->now)
               ? 0
               : -1;
}

/* A certificate with version, serial, subject O=tlsharness/CN=cn, key and validity;
 * the issuer's name, extensions and signature come later. */
X509 *th_pki_new_cert(struct th_pki_gen *g, const char *name, const char *cn, EVP_PKEY *key,
                      int from_days, int to_days)
{
    X509 *x = X509_new();
    if (!x || set_serial(g, x, name) < 0) {
        if (!x)
            th_pki_fail_ossl(g, "allocating certificate", name);
        X509_free(x);
        return NULL;
    }
    X509_NAME *subj = X509_get_subject_name(x);
    if (!X509_set_version(x, X509_VERSION_3) ||
        !X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC, (const unsigned char *)"tlsharness",
                                    -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_set_pubkey(x, key) || set_validity(g, x, from_days, to_days) < 0) {
        th_pki_fail_ossl(g, "building certificate", name);
        X509_free(x);
        return NULL;
    }
    th_pki_note_expiry(g, from_days, to_days);
    return x;
}

/* issuer may be x itself for a self-signed certificate; SKI must come before AKI.
 * X509_add_ext appends even when the extension is there already, which is how the
 * malformed leaf gets its second subjectAltName. */
int th_pki_add_exts(struct th_pki_gen *g, X509 *x, X509 *issuer, const struct th_pki_ext *exts,
                    const char *name)
{
    for (const struct th_pki_ext *e = exts; e->value; e++) {
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, e->nid, e->value);
        int ok = ext && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
        if (!ok)
            return th_pki_fail_ossl(g, OBJ_nid2sn(e->nid), name);
    }
    return 0;
}

/* A critical extension no library can know: TH_PKI_UNKNOWN_OID holding a UTF8String.
 * RFC 5280 4.2: a system MUST reject a certificate with a critical extension it
 * does not recognise. */
int th_pki_add_unknown_critical(struct th_pki_gen *g, X509 *x, const char *name)
{
    static const unsigned char value[] = {0x0c, 0x0a, 't', 'l', 's', 'h',
                                          'a',  'r',  'n', 'e', 's', 's'};
    ASN1_OBJECT *oid = OBJ_txt2obj(TH_PKI_UNKNOWN_OID, 1);
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    int ok = oid && data && ASN1_OCTET_STRING_set(data, value, (int)sizeof value) &&
             (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, data)) != NULL &&
             X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(oid);
    return ok ? 0 : th_pki_fail_ossl(g, "adding the unknown critical extension to", name);
}

int th_pki_sign(struct th_pki_gen *g, X509 *x, X509 *issuer, EVP_PKEY *key, const EVP_MD *md,
                const char *name)
{
    /* Ed25519 signs without a separate digest */
    if (EVP_PKEY_is_a(key, "ED25519"))
        md = NULL;
    if (!X509_set_issuer_name(x, X509_get_subject_name(issuer)) || !X509_sign(x, key, md))
        return th_pki_fail_ossl(g, "signing", name);
    return 0;
}

/* Flip a byte inside the signature (the DER's last element) and parse the result
 * back, so the certificate stays well-formed but no longer verifies. */
int th_pki_corrupt_signature(struct th_pki_gen *g, X509 **x, const char *name)
{
    unsigned char *der = NULL;
    int len = i2d_X509(*x, &der);
    if (len < 128) {
        OPENSSL_free(der);
        return th_pki_fail_ossl(g, "encoding", name);
    }
    der[len - 16] ^= 0x5a;
    const unsigned char *p = der;
    X509 *bad = d2i_X509(NULL, &p, len);
    OPENSSL_free(der);
    if (!bad)
        return th_pki_fail_ossl(g, "re-parsing the corrupted", name);
    X509_free(*x);
    *x = bad;
    return 0;
}

/* ---- keys ---- */

enum key_alg { ALG_RSA, ALG_DSA, ALG_P256 };

struct keyjob {
    EVP_PKEY **out;
    unsigned bits;
    enum key_alg alg;
    unsigned long err; /* the thread's OpenSSL error: error queues are per thread */
};

/* DSA needs its domain parameters drawn first (q of 256 bits, FIPS 186-4). */
static EVP_PKEY *dsa_gen(unsigned bits)
{
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL);
    EVP_PKEY *params = NULL, *key = NULL;
    if (pctx && EVP_PKEY_paramgen_init(pctx) > 0 &&
        EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, (int)bits) > 0 &&
        EVP_PKEY_CTX_set_dsa_paramgen_q_bits(pctx, 256) > 0 &&
        EVP_PKEY_paramgen(pctx, &params) > 0) {
        EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
        if (kctx && EVP_PKEY_keygen_init(kctx) > 0 && EVP_PKEY_keygen(kctx, &key) <= 0)
            key = NULL;
        EVP_PKEY_CTX_free(kctx);
    }
    EVP_PKEY_free(params);
    EVP_PKEY_CTX_free(pctx);
    return key;
}

static void *keygen(void *arg)
{
    struct keyjob *j = arg;
    *j->out = j->alg == ALG_DSA    ? dsa_gen(j->bits)
              : j->alg == ALG_P256 ? EVP_EC_gen("P-256")
                                   : EVP_RSA_gen(j->bits);
    j->err = *j->out ? 0 : ERR_get_error();
    ERR_clear_error();
    return NULL;
}

/* Prime search dominates generation time (about 0.2 s per 2048-bit RSA key with a
 * long tail, 1-2 s for RSA-4096, 0.3 s for the DSA parameters), so these keys are
 * drawn in parallel threads. The CAs added for one rule each (name constraints,
 * path length, ...) have P-256 keys: fast, and every library verifies ECDSA
 * signatures, so the key type says nothing about the rule under test. */
static enum key_alg ca_alg(int id)
{
    return id == CA_ANCHOR_DSA ? ALG_DSA : id <= CA_UNTR ? ALG_RSA : ALG_P256;
}

int th_pki_gen_keys(struct th_pki_gen *g)
{
    struct keyjob jobs[N_CAS + 4];
    size_t n = 0;
    for (size_t i = 0; i < N_CAS; i++)
        jobs[n++] = (struct keyjob){&g->ca_key[i], 2048, ca_alg((int)i), 0};
    jobs[n++] = (struct keyjob){&g->own_key, 2048, ALG_RSA, 0};
    jobs[n++] = (struct keyjob){&g->shared_key, 2048, ALG_RSA, 0};
    jobs[n++] = (struct keyjob){&g->small_key, 1024, ALG_RSA, 0};
    jobs[n++] = (struct keyjob){&g->big_key, 4096, ALG_RSA, 0};
    pthread_t tids[TH_ARRAY_LEN(jobs)];
    int started[TH_ARRAY_LEN(jobs)];
    for (size_t i = 0; i < n; i++)
        if (jobs[i].alg == ALG_P256 ||
            !(started[i] = pthread_create(&tids[i], NULL, keygen, &jobs[i]) == 0)) {
            started[i] = 0;
            keygen(&jobs[i]);
        }
    for (size_t i = 0; i < n; i++)
        if (started[i])
            pthread_join(tids[i], NULL);
    for (size_t i = 0; i < n; i++) {
        if (*jobs[i].out)
            continue;
        char buf[256] = "no OpenSSL error reported";
        if (jobs[i].err)
            ERR_error_string_n(jobs[i].err, buf, sizeof buf);
        th_error_set(g->err, TH_INTERNAL_ERROR, (long)jobs[i].err,
                     "PKI: generating a %s key failed: %s",
                     jobs[i].alg == ALG_DSA    ? "DSA"
                     : jobs[i].alg == ALG_P256 ? "P-256"
                                               : "RSA",
                     buf);
        return -1;
    }
    return 0;
}

/* ---- files ---- */

int th_pki_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            errno = e;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}

/* Write what the memory BIO holds to DIR/file (consumes b). */
int th_pki_write_bio(struct th_pki_gen *g, const char *file, BIO *b, mode_t mode)
{
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    char *path = th_xasprintf("%s/%s", g->dir, file);
    int rc = th_pki_write_file(path, data, len > 0 ? (size_t)len : 0, mode);
    if (rc < 0) {
        int e = errno;
        TH_RAISE(g->err, TH_INTERNAL_ERROR, e, "PKI: cannot write %s: %s", path, strerror(e));
    }
    free(path);
    BIO_free(b);
    return rc;
}

int th_pki_write_certs(struct th_pki_gen *g, const char *name, const char *suffix,
                       X509 *const *certs, size_t n)
{
    char file[128];
    snprintf(file, sizeof file, "%s%s", name, suffix);
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio != NULL;
    for (size_t i = 0; ok && i < n; i++)
        ok = PEM_write_bio_X509(bio, certs[i]);
    if (!ok) {
        BIO_free(bio);
        return th_pki_fail_ossl(g, "encoding", file);
    }
    return th_pki_write_bio(g, file, bio, 0644);
}

/* DIR/NAME.key.pem, mode 0600. An unencrypted PEM_write_bio_PrivateKey writes PKCS#8. */
int th_pki_write_key(struct th_pki_gen *g, const char *name, EVP_PKEY *key)
{
    char file[128];
    snprintf(file, sizeof file, "%s.key.pem", name);
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        return th_pki_fail_ossl(g, "encoding", file);
    }
    return th_pki_write_bio(g, file, bio, 0600);
}

/* ---- CRLs ---- */

static int crl_add_revoked(X509_CRL *crl, const ASN1_INTEGER *serial, const ASN1_TIME *when)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    if (!rev || !X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)serial) ||
        !X509_REVOKED_set_revocationDate(rev, (ASN1_TIME *)when) ||
        !X509_CRL_add0_revoked(crl, rev)) {
        X509_REVOKED_free(rev);
        return -1;
    }
    return 0;
}

static int crl_add_exts(X509_CRL *crl, X509 *issuer)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, NULL, NULL, crl, 0);
    X509_EXTENSION *aki =
        X509V3_EXT_nconf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    int ok = aki && num && X509_CRL_add_ext(crl, aki, -1) && ASN1_INTEGER_set(num, 1) &&
             X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(num);
    return ok ? 0 : -1;
}

/* A v2 CRL of issuer, revoking serial when it is not NULL, good for 30 days. */
static X509_CRL *make_crl(struct th_pki_gen *g, X509 *issuer, EVP_PKEY *key,
                          const ASN1_INTEGER *serial, const char *name)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = X509_time_adj_ex(NULL, -1, 0, &g->now);
    ASN1_TIME *next = X509_time_adj_ex(NULL, 30, 0, &g->now);
    int ok = crl && last && next && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
             X509_CRL_set1_lastUpdate(crl, last) && X509_CRL_set1_nextUpdate(crl, next) &&
             (!serial || crl_add_revoked(crl, serial, last) == 0) &&
             crl_add_exts(crl, issuer) == 0 && X509_CRL_sort(crl) &&
             X509_CRL_sign(crl, key, EVP_sha256());
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    if (!ok) {
        th_pki_fail_ossl(g, "building the CRL of", name);
        X509_CRL_free(crl);
        return NULL;
    }
    th_pki_note_expiry(g, -1, 30);
    return crl;
}

/* crl.pem: the intermediate's CRL, then the root's, so a whole-chain check works. */
int th_pki_write_crls(struct th_pki_gen *g)
{
    X509_CRL *inter =
        make_crl(g, g->ca[CA_INTER], g->ca_key[CA_INTER], g->revoked_serial, "intermediate");
    X509_CRL *root = inter ? make_crl(g, g->ca[CA_ROOT], g->ca_key[CA_ROOT], NULL, "root") : NULL;
    BIO *bio = root ? BIO_new(BIO_s_mem()) : NULL;
    int rc = -1;
    if (bio && PEM_write_bio_X509_CRL(bio, inter) && PEM_write_bio_X509_CRL(bio, root)) {
        rc = th_pki_write_bio(g, "crl.pem", bio, 0644);
        bio = NULL;
    } else if (root) {
        th_pki_fail_ossl(g, "encoding", "crl.pem");
    }
    BIO_free(bio);
    X509_CRL_free(inter);
    X509_CRL_free(root);
    return rc;
}

void th_pki_gen_free(struct th_pki_gen *g)
{
    for (size_t i = 0; i < N_CAS; i++) {
        EVP_PKEY_free(g->ca_key[i]);
        X509_free(g->ca[i]);
    }
    EVP_PKEY_free(g->own_key);
    EVP_PKEY_free(g->shared_key);
    EVP_PKEY_free(g->small_key);
    EVP_PKEY_free(g->big_key);
    ASN1_INTEGER_free(g->revoked_serial);
    for (size_t i = 0; i < g->nkept; i++)
        X509_free(g->kept[i]);
}
