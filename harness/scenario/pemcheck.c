/* A user's own certificate and key files, checked when the scenario is read: a
 * file that is not PEM, holds no certificate (no private key), or a key that is not
 * the leaf's is the scenario's mistake (exit 2 at the key that names it), not a
 * library's verdict on a handshake. The certificates' DER is not judged here: a
 * malformed leaf is a thing a user may well want to serve. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness/vocab/util.h"
#include "scenario_int.h"

/* More than any real chain or key file; a bigger "PEM file" is a wrong path. */
#define PEM_MAX (1u << 20)

TH_PRINTF(3, 4) static int say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_key_block(const char *name)
{
    return strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "RSA PRIVATE KEY") == 0 ||
           strcmp(name, "EC PRIVATE KEY") == 0 || strcmp(name, "DSA PRIVATE KEY") == 0;
}

/* What a PEM file holds, by block. */
struct pem_scan {
    size_t blocks, certs, keys, encrypted;
    unsigned char *leaf; /* the first CERTIFICATE block's DER (OPENSSL_malloc'd) */
    long leaf_len;
};

/* Every block of path into s; -1 with why when it cannot be read as PEM at all. */
static int pem_scan(const char *path, struct pem_scan *s, char *why, size_t cap)
{
    struct stat st;
    memset(s, 0, sizeof(*s));
    if (stat(path, &st) == 0 && st.st_size > (off_t)PEM_MAX)
        return say(why, cap, "%s is %lld bytes: not a PEM certificate or key file (at most %u)",
                   path, (long long)st.st_size, PEM_MAX);
    BIO *in = BIO_new_file(path, "r");
    if (!in)
        return say(why, cap, "cannot open %s", path);
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        if (PEM_read_bio(in, &name, &header, &data, &len) != 1)
            break;
        s->blocks++;
        if (strcmp(name, "CERTIFICATE") == 0 && s->certs++ == 0) {
            s->leaf = data;
            s->leaf_len = len;
            data = NULL;
        }
        if (is_key_block(name)) {
            s->keys++;
            s->encrypted += strstr(header, "ENCRYPTED") != NULL;
        }
        s->encrypted += strcmp(name, "ENCRYPTED PRIVATE KEY") == 0;
        s->keys += strcmp(name, "ENCRYPTED PRIVATE KEY") == 0;
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
    }
    /* the loop ends on the first thing that is not a block: end of file, or text
     * PEM_read_bio cannot read (a broken block) */
    unsigned long e = ERR_peek_last_error();
    int at_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
    ERR_clear_error();
    BIO_free(in);
    if (!at_end) {
        OPENSSL_free(s->leaf);
        s->leaf = NULL;
        return say(why, cap, "%s: PEM block %zu cannot be read (a broken or truncated block)", path,
                   s->blocks + 1);
    }
    if (!s->blocks)
        return say(why, cap, "%s is not PEM: no \"-----BEGIN ...-----\" block in it", path);
    return 0;
}

int th_pem_check_cert(const char *path, char *why, size_t cap)
{
    struct pem_scan s;
    TH_GUARD(pem_scan(path, &s, why, cap));
    OPENSSL_free(s.leaf);
    if (!s.certs)
        return say(why, cap,
                   "%s holds no certificate (no \"-----BEGIN CERTIFICATE-----\"): the chain as "
                   "served, leaf first",
                   path);
    return 0;
}

int th_pem_check_key(const char *path, char *why, size_t cap)
{
    struct pem_scan s;
    TH_GUARD(pem_scan(path, &s, why, cap));
    OPENSSL_free(s.leaf);
    if (!s.keys)
        return say(why, cap, "%s holds no private key (no \"-----BEGIN PRIVATE KEY-----\")", path);
    if (s.encrypted)
        return say(why, cap,
                   "%s holds an encrypted key: the harness has no passphrase to give (write "
                   "it unencrypted: openssl pkey -in KEY -out KEY.plain)",
                   path);
    if (s.keys > 1)
        return say(why, cap, "%s holds %zu private keys: give the leaf's alone", path, s.keys);
    return 0;
}

/* Never asked for: th_pem_check_key has refused encrypted keys. Without it OpenSSL
 * would prompt on the terminal. */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
    return 0;
}

static EVP_PKEY *read_key(const char *path)
{
    BIO *in = BIO_new_file(path, "r");
    EVP_PKEY *k = in ? PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL) : NULL;
    BIO_free(in);
    return k;
}

static const char *ossl_reason(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "no reason given";
    ERR_error_string_n(e, buf, cap);
    return buf;
}

/* Which certificate of the file (1-based) k is the key of; 0: none. */
static size_t key_owner(const char *path, EVP_PKEY *k)
{
    BIO *in = BIO_new_file(path, "r");
    X509 *x;
    size_t i = 0, at = 0;
    while (in && !at && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        i++;
        if (X509_check_private_key(x, k) == 1)
            at = i;
        X509_free(x);
    }
    BIO_free(in);
    ERR_clear_error();
    return at;
}

int th_pem_check_pair(const char *cert, const char *key, char *why, size_t cap)
{
    struct pem_scan s;
    char r[256];
    int rc = -1;
    TH_GUARD(pem_scan(cert, &s, why, cap));
    const unsigned char *p = s.leaf;
    X509 *x = s.leaf ? d2i_X509(NULL, &p, s.leaf_len) : NULL;
    EVP_PKEY *k = read_key(key);
    if (!x)
        say(why, cap,
            "the first certificate of %s cannot be parsed, so its key cannot be checked "
            "(OpenSSL: %s)",
            cert, ossl_reason(r, sizeof(r)));
    else if (!k)
        say(why, cap, "the private key in %s cannot be read (OpenSSL: %s)", key,
            ossl_reason(r, sizeof(r)));
    else if (X509_check_private_key(x, k) != 1) {
        size_t at = key_owner(cert, k);
        if (at)
            say(why, cap,
                "the key in %s is the key of certificate %zu of %s, not of the first: the leaf "
                "goes first in the chain file",
                key, at, cert);
        else
            say(why, cap, "the key in %s is not the key of the first certificate of %s", key, cert);
    } else
        rc = 0;
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(k);
    OPENSSL_free(s.leaf);
    return rc;
}
