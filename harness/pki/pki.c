/* The generated test PKI: three CAs, leaves that each break exactly one rule, the
 * CAs' CRLs and a manifest. Everything is built with the OpenSSL 3 API in a temporary
 * sibling folder and moved into place as a whole, so a reader sees either the old
 * PKI or the new one. */
#include "pki.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAY 86400L

enum key_kind { K_OWN, K_SHARED, K_RSA1024, K_EC };
enum issuer_kind { I_INTER, I_UNTRUSTED, I_SELF };
enum leaf_flag {
    F_ALONE = 1,      /* NAME.chain.pem holds the leaf alone */
    F_WRONG_HOST = 2, /* SAN and CN name wrong.example */
    F_SHA1 = 4,       /* signed with SHA-1 */
    F_CLIENT_EKU = 8, /* EKU clientAuth only */
    F_BAD_KU = 16,    /* keyUsage keyCertSign only */
    F_BAD_SIG = 32,   /* signature bytes corrupted after signing */
    F_REVOKED = 64,   /* serial listed in the intermediate's CRL */
};

/* The one list of leaves: name, key, issuer, validity in days from now, flags. */
#define PKI_LEAVES(X)                                                                              \
    X("rsa2048", K_OWN, I_INTER, -1, 30, 0)                                                        \
    X("ecdsa-p256", K_EC, I_INTER, -1, 30, 0)                                                      \
    X("expired", K_SHARED, I_INTER, -60, -30, 0)                                                   \
    X("not-yet-valid", K_SHARED, I_INTER, 30, 60, 0)                                               \
    X("wrong-host", K_SHARED, I_INTER, -1, 30, F_WRONG_HOST)                                       \
    X("self-signed", K_SHARED, I_SELF, -1, 30, F_ALONE)                                            \
    X("untrusted", K_SHARED, I_UNTRUSTED, -1, 30, F_ALONE)                                         \
    X("no-intermediate", K_SHARED, I_INTER, -1, 30, F_ALONE)                                       \
    X("rsa1024", K_RSA1024, I_INTER, -1, 30, 0)                                                    \
    X("sha1", K_SHARED, I_INTER, -1, 30, F_SHA1)                                                   \
    X("bad-eku", K_SHARED, I_INTER, -1, 30, F_CLIENT_EKU)                                          \
    X("bad-key-usage", K_SHARED, I_INTER, -1, 30, F_BAD_KU)                                        \
    X("bad-signature", K_SHARED, I_INTER, -1, 30, F_BAD_SIG)                                       \
    X("revoked", K_SHARED, I_INTER, -1, 30, F_REVOKED)

struct leaf_spec {
    const char *name;
    enum key_kind key;
    enum issuer_kind issuer;
    int from_days, to_days;
    unsigned flags;
};

#define LEAF_NAME(n, k, i, f, t, fl) n,
#define LEAF_SPEC(n, k, i, f, t, fl) {n, k, i, f, t, fl},
const char *const th_pki_leaves[] = {PKI_LEAVES(LEAF_NAME) NULL};
static const struct leaf_spec leaf_specs[] = {PKI_LEAVES(LEAF_SPEC)};
#define N_LEAVES TH_ARRAY_LEN(leaf_specs)

static const char *const ca_names[] = {"root", "intermediate", "untrusted-root", NULL};

/* State of one generation run; everything owned here is freed by gen_free. */
struct gen {
    time_t now, good_until;
    char *dir; /* the temporary folder being filled */
    struct th_error *err;
    /* Keys: the CAs' and the rsa2048 leaf's are distinct; the other RSA-2048 leaves
     * share one key to keep generation fast (no scenario depends on their keys
     * differing). */
    EVP_PKEY *root_key, *inter_key, *untr_key, *own_key, *shared_key, *small_key;
    X509 *root, *inter, *untr;
    ASN1_INTEGER *revoked_serial;
    uint64_t serials[N_LEAVES + 3];
    size_t nserials;
};

/* ---- errors ---- */

static int fail_ossl(struct gen *g, const char *what, const char *name)
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

/* A system call failed on path: a fault at the caller's place (FAIL_ERRNO). Returns -1. */
static int fail_errno_at(struct th_error *err, const char *file, int line, const char *what,
                         const char *path)
{
    int e = errno;
    th_error_at(err, TH_INTERNAL_ERROR, e, file, line, "PKI: cannot %s %s: %s", what, path,
                strerror(e));
    return -1;
}
#define FAIL_ERRNO(err, what, path) fail_errno_at((err), __FILE__, __LINE__, (what), (path))

/* ---- certificates ---- */

static void note_expiry(struct gen *g, int from_days, int to_days)
{
    time_t until = g->now + to_days * DAY;
    if (from_days <= 0 && to_days > 0 && (!g->good_until || until < g->good_until))
        g->good_until = until;
}

/* A random positive 63-bit serial, unique within this PKI. */
static int set_serial(struct gen *g, X509 *x, const char *name)
{
    uint64_t v;
    for (;;) {
        if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
            return fail_ossl(g, "drawing a serial for", name);
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
        return fail_ossl(g, "setting the serial of", name);
    return 0;
}

static int set_validity(struct gen *g, X509 *x, int from_days, int to_days)
{
    return X509_time_adj_ex(X509_getm_notBefore(x), from_days, 0, &g->now) &&
                   X509_time_adj_ex(X509_getm_notAfter(x), to_days, 0, &g->now)
               ? 0
               : -1;
}

/* A certificate with version, serial, subject O=tlsharness/CN=cn, key and validity;
 * the issuer's name, extensions and signature come later. */
static X509 *new_cert(struct gen *g, const char *name, const char *cn, EVP_PKEY *key, int from_days,
                      int to_days)
{
    X509 *x = X509_new();
    if (!x || set_serial(g, x, name) < 0) {
        if (!x)
            fail_ossl(g, "allocating certificate", name);
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
        fail_ossl(g, "building certificate", name);
        X509_free(x);
        return NULL;
    }
    note_expiry(g, from_days, to_days);
    return x;
}

/* Add extensions given as NULL-terminated {nid, value} pairs. issuer may be x itself
 * for a self-signed certificate; SKI must come before AKI. */
struct ext {
    int nid;
    const char *value;
};

static int add_exts(struct gen *g, X509 *x, X509 *issuer, const struct ext *exts, const char *name)
{
    for (const struct ext *e = exts; e->value; e++) {
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &v3, e->nid, e->value);
        int ok = ext && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
        if (!ok)
            return fail_ossl(g, OBJ_nid2sn(e->nid), name);
    }
    return 0;
}

static int sign_cert(struct gen *g, X509 *x, X509 *issuer, EVP_PKEY *key, const EVP_MD *md,
                     const char *name)
{
    if (!X509_set_issuer_name(x, X509_get_subject_name(issuer)) || !X509_sign(x, key, md))
        return fail_ossl(g, "signing", name);
    return 0;
}

/* A CA: self-signed when issuer is NULL; pathlen 0 when it is an intermediate. */
static X509 *make_ca(struct gen *g, const char *name, const char *cn, EVP_PKEY *key, X509 *issuer,
                     EVP_PKEY *issuer_key)
{
    const struct ext exts[] = {
        {NID_basic_constraints, issuer ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {0, NULL},
    };
    X509 *x = new_cert(g, name, cn, key, -1, 365);
    if (!x)
        return NULL;
    X509 *iss = issuer ? issuer : x;
    if (add_exts(g, x, iss, exts, name) < 0 ||
        sign_cert(g, x, iss, issuer ? issuer_key : key, EVP_sha256(), name) < 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static EVP_PKEY *leaf_key(const struct gen *g, const struct leaf_spec *s)
{
    switch (s->key) {
    case K_OWN: return g->own_key;
    case K_SHARED: return g->shared_key;
    case K_RSA1024: return g->small_key;
    case K_EC: return EVP_EC_gen("P-256");
    }
    return NULL;
}

/* Flip a byte inside the signature (the DER's last element) and parse the result
 * back, so the certificate stays well-formed but no longer verifies. */
static int corrupt_signature(struct gen *g, X509 **x, const char *name)
{
    unsigned char *der = NULL;
    int len = i2d_X509(*x, &der);
    if (len < 128) {
        OPENSSL_free(der);
        return fail_ossl(g, "encoding", name);
    }
    der[len - 16] ^= 0x5a;
    const unsigned char *p = der;
    X509 *bad = d2i_X509(NULL, &p, len);
    OPENSSL_free(der);
    if (!bad)
        return fail_ossl(g, "re-parsing the corrupted", name);
    X509_free(*x);
    *x = bad;
    return 0;
}

static int make_leaf(struct gen *g, const struct leaf_spec *s, EVP_PKEY *key, X509 **out)
{
    const char *ku = EVP_PKEY_is_a(key, "EC") ? "critical,digitalSignature"
                                              : "critical,digitalSignature,keyEncipherment";
    const struct ext exts[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, s->flags & F_BAD_KU ? "critical,keyCertSign" : ku},
        {NID_ext_key_usage, s->flags & F_CLIENT_EKU ? "clientAuth" : "serverAuth"},
        {NID_subject_alt_name,
         s->flags & F_WRONG_HOST ? "DNS:wrong.example" : "DNS:localhost,IP:127.0.0.1,IP:::1"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {0, NULL},
    };
    const char *cn = s->flags & F_WRONG_HOST ? "wrong.example" : "localhost";
    X509 *x = new_cert(g, s->name, cn, key, s->from_days, s->to_days);
    if (!x)
        return -1;
    X509 *issuer = s->issuer == I_SELF ? x : s->issuer == I_UNTRUSTED ? g->untr : g->inter;
    EVP_PKEY *ikey = s->issuer == I_SELF        ? key
                     : s->issuer == I_UNTRUSTED ? g->untr_key
                                                : g->inter_key;
    const EVP_MD *md = s->flags & F_SHA1 ? EVP_sha1() : EVP_sha256();
    if (add_exts(g, x, issuer, exts, s->name) < 0 ||
        sign_cert(g, x, issuer, ikey, md, s->name) < 0 ||
        (s->flags & F_BAD_SIG && corrupt_signature(g, &x, s->name) < 0)) {
        X509_free(x);
        return -1;
    }
    *out = x;
    if (s->flags & F_REVOKED && !(g->revoked_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(x))))
        return fail_ossl(g, "copying the serial of", s->name);
    return 0;
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
static X509_CRL *make_crl(struct gen *g, X509 *issuer, EVP_PKEY *key, const ASN1_INTEGER *serial,
                          const char *name)
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
        fail_ossl(g, "building the CRL of", name);
        X509_CRL_free(crl);
        return NULL;
    }
    note_expiry(g, -1, 30);
    return crl;
}

/* ---- files ---- */

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
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
static int write_bio(struct gen *g, const char *file, BIO *b, mode_t mode)
{
    char *data = NULL;
    long len = BIO_get_mem_data(b, &data);
    char *path = th_xasprintf("%s/%s", g->dir, file);
    int rc = write_file(path, data, len > 0 ? (size_t)len : 0, mode);
    if (rc < 0)
        FAIL_ERRNO(g->err, "write", path);
    free(path);
    BIO_free(b);
    return rc;
}

/* Write certificates a and then b, or the private key when key is set, to
 * DIR/NAME<suffix>. An unencrypted PEM_write_bio_PrivateKey writes PKCS#8. */
static int write_pem(struct gen *g, const char *name, const char *suffix, X509 *a, X509 *b,
                     EVP_PKEY *key)
{
    char file[128];
    snprintf(file, sizeof file, "%s%s", name, suffix);
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio && (key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_X509(bio, a) && (!b || PEM_write_bio_X509(bio, b)));
    if (!ok) {
        BIO_free(bio);
        return fail_ossl(g, "encoding", file);
    }
    return write_bio(g, file, bio, key ? 0600 : 0644);
}

static int write_leaf(struct gen *g, const struct leaf_spec *s)
{
    EVP_PKEY *key = leaf_key(g, s);
    X509 *x = NULL, *inter = s->flags & F_ALONE ? NULL : g->inter;
    int rc = -1;
    if (!key)
        fail_ossl(g, "generating the key of", s->name);
    else if (make_leaf(g, s, key, &x) == 0 && write_pem(g, s->name, ".pem", x, NULL, NULL) == 0 &&
             write_pem(g, s->name, ".chain.pem", x, inter, NULL) == 0)
        rc = write_pem(g, s->name, ".key.pem", NULL, NULL, key);
    X509_free(x);
    if (s->key == K_EC)
        EVP_PKEY_free(key);
    return rc;
}

/* crl.pem: the intermediate's CRL, then the root's, so a whole-chain check works. */
static int write_crls(struct gen *g)
{
    X509_CRL *inter = make_crl(g, g->inter, g->inter_key, g->revoked_serial, "intermediate");
    X509_CRL *root = inter ? make_crl(g, g->root, g->root_key, NULL, "root") : NULL;
    BIO *bio = root ? BIO_new(BIO_s_mem()) : NULL;
    int rc = -1;
    if (bio && PEM_write_bio_X509_CRL(bio, inter) && PEM_write_bio_X509_CRL(bio, root)) {
        rc = write_bio(g, "crl.pem", bio, 0644);
        bio = NULL;
    } else if (root) {
        fail_ossl(g, "encoding", "crl.pem");
    }
    BIO_free(bio);
    X509_CRL_free(inter);
    X509_CRL_free(root);
    return rc;
}

static int write_manifest(struct gen *g)
{
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof buf,
                                "{\"generator\":\"tlsharness\",\"format\":1,\"created\":%lld,"
                                "\"good_until\":%lld,\"objects\":[\"root\",\"intermediate\","
                                "\"untrusted-root\",\"crl\"",
                                (long long)g->now, (long long)g->good_until);
    for (size_t i = 0; i < N_LEAVES && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"%s\"", leaf_specs[i].name);
    if (n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "]}\n");
    if (n >= sizeof buf) {
        TH_FAULT(g->err, 0, "PKI: manifest too long");
        return -1;
    }
    char *path = th_xasprintf("%s/manifest.json", g->dir);
    int rc = write_file(path, buf, n, 0644);
    if (rc < 0)
        FAIL_ERRNO(g->err, "write", path);
    free(path);
    return rc;
}

/* ---- one generation run ---- */

struct keyjob {
    EVP_PKEY **out;
    unsigned bits;
    unsigned long err; /* the thread's OpenSSL error: error queues are per thread */
};

static void *keygen(void *arg)
{
    struct keyjob *j = arg;
    *j->out = EVP_RSA_gen(j->bits);
    j->err = *j->out ? 0 : ERR_get_error();
    ERR_clear_error();
    return NULL;
}

/* RSA prime search dominates generation time (about 0.2 s per 2048-bit key, with a
 * long tail), so the keys are drawn in parallel threads. */
static int gen_keys(struct gen *g)
{
    struct keyjob jobs[] = {{&g->root_key, 2048, 0},   {&g->inter_key, 2048, 0},
                            {&g->untr_key, 2048, 0},   {&g->own_key, 2048, 0},
                            {&g->shared_key, 2048, 0}, {&g->small_key, 1024, 0}};
    pthread_t tids[TH_ARRAY_LEN(jobs)];
    int started[TH_ARRAY_LEN(jobs)];
    for (size_t i = 0; i < TH_ARRAY_LEN(jobs); i++)
        if (!(started[i] = pthread_create(&tids[i], NULL, keygen, &jobs[i]) == 0))
            keygen(&jobs[i]);
    for (size_t i = 0; i < TH_ARRAY_LEN(jobs); i++)
        if (started[i])
            pthread_join(tids[i], NULL);
    for (size_t i = 0; i < TH_ARRAY_LEN(jobs); i++) {
        if (*jobs[i].out)
            continue;
        char buf[256] = "no OpenSSL error reported";
        if (jobs[i].err)
            ERR_error_string_n(jobs[i].err, buf, sizeof buf);
        th_error_set(g->err, TH_INTERNAL_ERROR, (long)jobs[i].err,
                     "PKI: generating an RSA-%u key failed: %s", jobs[i].bits, buf);
        return -1;
    }
    return 0;
}

static int gen_cas(struct gen *g)
{
    g->root = make_ca(g, "root", "tlsharness test root", g->root_key, NULL, NULL);
    g->inter = g->root ? make_ca(g, "intermediate", "tlsharness test intermediate", g->inter_key,
                                 g->root, g->root_key)
                       : NULL;
    g->untr = g->inter ? make_ca(g, "untrusted-root", "tlsharness untrusted root", g->untr_key,
                                 NULL, NULL)
                       : NULL;
    if (!g->untr)
        return -1; /* make_ca said why */
    TH_GUARD(write_pem(g, "root", ".pem", g->root, NULL, NULL));
    TH_GUARD(write_pem(g, "intermediate", ".pem", g->inter, NULL, NULL));
    TH_GUARD(write_pem(g, "untrusted-root", ".pem", g->untr, NULL, NULL));
    return 0;
}

static int gen_all(struct gen *g)
{
    TH_GUARD(gen_keys(g));
    TH_GUARD(gen_cas(g));
    for (size_t i = 0; i < N_LEAVES; i++)
        TH_GUARD(write_leaf(g, &leaf_specs[i]));
    TH_GUARD(write_crls(g));
    return write_manifest(g); /* last: its presence marks the folder complete */
}

static void gen_free(struct gen *g)
{
    EVP_PKEY_free(g->root_key);
    EVP_PKEY_free(g->inter_key);
    EVP_PKEY_free(g->untr_key);
    EVP_PKEY_free(g->own_key);
    EVP_PKEY_free(g->shared_key);
    EVP_PKEY_free(g->small_key);
    X509_free(g->root);
    X509_free(g->inter);
    X509_free(g->untr);
    ASN1_INTEGER_free(g->revoked_serial);
}

/* ---- folders ---- */

/* Remove a folder and the files in it (the PKI folder is flat). */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

static int json_ll(const char *text, const char *key, long long *out)
{
    const char *p = strstr(text, key);
    if (!p)
        return 0;
    p += strlen(key);
    p += strspn(p, " \t\r\n");
    if (*p++ != ':')
        return 0;
    return sscanf(p, "%lld", out) == 1;
}

static int file_nonempty(const char *dir, const char *name, const char *suffix)
{
    char *path = th_xasprintf("%s/%s%s", dir, name, suffix);
    struct stat st;
    int ok = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    free(path);
    return ok;
}

/* True when dir holds a complete PKI (format 1) good until after min_until. */
static int dir_complete(const char *dir, time_t min_until)
{
    char *path = th_xasprintf("%s/manifest.json", dir);
    char *text = th_read_file(path, NULL);
    free(path);
    long long format = 0, until = 0;
    int ok = text && strstr(text, "\"tlsharness\"") && json_ll(text, "\"format\"", &format) &&
             format == 1 && json_ll(text, "\"good_until\"", &until) && until > (long long)min_until;
    free(text);
    for (size_t i = 0; ok && ca_names[i]; i++)
        ok = file_nonempty(dir, ca_names[i], ".pem");
    ok = ok && file_nonempty(dir, "crl", ".pem");
    for (size_t i = 0; ok && i < N_LEAVES; i++)
        ok = file_nonempty(dir, leaf_specs[i].name, ".pem") &&
             file_nonempty(dir, leaf_specs[i].name, ".chain.pem") &&
             file_nonempty(dir, leaf_specs[i].name, ".key.pem");
    return ok;
}

/* Move the finished tmp folder to dir. rename(2) cannot replace a non-empty folder,
 * so an existing dir is first moved aside; if another process put a complete PKI in
 * place between the two renames, theirs is as good as ours. */
static int install_dir(const char *tmp, const char *dir, struct th_error *err)
{
    if (rename(tmp, dir) == 0)
        return 0;
    if (errno != ENOTEMPTY && errno != EEXIST)
        return FAIL_ERRNO(err, "move the new PKI into", dir);
    char *old = th_xasprintf("%s.old.%ld", dir, (long)getpid());
    remove_flat_dir(old);
    int rc = 0;
    if (rename(dir, old) != 0 && errno != ENOENT)
        rc = FAIL_ERRNO(err, "move the old PKI out of", dir);
    else if (rename(tmp, dir) != 0) {
        if ((errno == ENOTEMPTY || errno == EEXIST) && dir_complete(dir, time(NULL)))
            remove_flat_dir(tmp);
        else
            rc = FAIL_ERRNO(err, "move the new PKI into", dir);
    }
    remove_flat_dir(old);
    free(old);
    return rc;
}

/* dir without trailing slashes, so DIR.tmp.PID is a sibling, never a child. */
static char *trim_dir(const char *dir)
{
    char *d = th_xstrdup(dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

int th_pki_generate(const char *dir, struct th_error *err)
{
    char *target = trim_dir(dir);
    struct gen g = {.now = time(NULL), .err = err};
    g.dir = th_xasprintf("%s.tmp.%ld", target, (long)getpid());
    int rc = -1;
    th_error_clear(err);
    remove_flat_dir(g.dir); /* a leftover of a crashed run with our pid */
    if (!*target || th_mkdirs(g.dir) < 0)
        FAIL_ERRNO(err, "create folder", g.dir);
    else if (gen_all(&g) == 0)
        rc = install_dir(g.dir, target, err);
    if (rc < 0)
        remove_flat_dir(g.dir);
    gen_free(&g);
    free(g.dir);
    free(target);
    return rc;
}

int th_pki_ensure(const char *dir, struct th_error *err)
{
    if (dir_complete(dir, time(NULL) + DAY))
        return 0;
    return th_pki_generate(dir, err);
}

/* ---- names ---- */

static int in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

static int is_leaf(const char *name)
{
    return in_list(name, th_pki_leaves);
}
static int is_ca_name(const char *name)
{
    return in_list(name, ca_names);
}

int th_pki_known(const char *name, enum th_pki_use use)
{
    if (!name)
        return 0;
    switch (use) {
    case TH_PKI_CA: return is_ca_name(name) || is_leaf(name);
    case TH_PKI_CRL: return strcmp(name, "crl") == 0;
    case TH_PKI_CHAIN:
    case TH_PKI_KEY: return is_leaf(name);
    }
    return 0;
}

static const char *const use_desc[] = {
    [TH_PKI_CA] = "a certificate",
    [TH_PKI_CRL] = "a CRL",
    [TH_PKI_CHAIN] = "a certificate chain",
    [TH_PKI_KEY] = "a private key",
};

static void unknown_name(const char *name, struct th_error *err)
{
    char known[512] = "root, intermediate, untrusted-root, crl";
    size_t n = strlen(known);
    for (size_t i = 0; i < N_LEAVES && n < sizeof known; i++)
        n += (size_t)snprintf(known + n, sizeof known - n, ", %s", leaf_specs[i].name);
    TH_INPUT(err, "unknown PKI object '%s' (known: %s)", name, known);
}

static const char *use_suffix(enum th_pki_use use)
{
    return use == TH_PKI_CHAIN ? ".chain.pem" : use == TH_PKI_KEY ? ".key.pem" : ".pem";
}

int th_pki_path(const char *dir, const char *name, enum th_pki_use use, char *out, size_t cap,
                struct th_error *err)
{
    if (!name || (!is_leaf(name) && !is_ca_name(name) && strcmp(name, "crl") != 0)) {
        unknown_name(name ? name : "(null)", err);
        return -1;
    }
    if (!th_pki_known(name, use)) {
        TH_INPUT(err, "'%s' is not %s", name,
                 (unsigned)use < TH_ARRAY_LEN(use_desc) ? use_desc[use] : "usable here");
        return -1;
    }
    int n = snprintf(out, cap, "%s/%s%s", dir, name, use_suffix(use));
    if (n < 0 || (size_t)n >= cap) {
        TH_FAULT(err, ENAMETOOLONG, "path of PKI object '%s' in %s is too long", name, dir);
        return -1;
    }
    return 0;
}
