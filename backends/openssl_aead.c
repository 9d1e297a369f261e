/* The OpenSSL backend's aead_cost op (openssl_aead.h): the raw cost of a suite's
 * record protection through libcrypto, no TLS. */
#include "openssl_aead.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "harness/vocab/util.h"
#include "openssl_map.h"

/* The EVP_CIPHER_CTX AEAD interface (EVP_CipherInit_ex / EVP_CipherUpdate /
 * EVP_CipherFinal_ex with the AEAD ctrls) on a fetched EVP_CIPHER: what libssl's own
 * record layer (tls13_enc, tls1_enc) calls, with the same per-record sequence - a
 * new nonce through CipherInit, the CCM length first, the AAD, the data, the tag. */
struct aead_alg {
    const char *cipher; /* th_suite_info.cipher */
    const char *evp;    /* OpenSSL's fetch name */
    int tag_len;
    int ccm; /* CCM needs the tag length up front and the data length before the AAD */
};

static const struct aead_alg aead_algs[] = {
    {"AES-128-GCM", "AES-128-GCM", 16, 0},
    {"AES-256-GCM", "AES-256-GCM", 16, 0},
    {"CHACHA20-POLY1305", "ChaCha20-Poly1305", 16, 0},
    {"AES-128-CCM", "AES-128-CCM", 16, 1},
    {"AES-128-CCM8", "AES-128-CCM", 8, 1},
    {"AES-256-CCM", "AES-256-CCM", 16, 1},
    {"AES-256-CCM8", "AES-256-CCM", 8, 1},
    {"ARIAGCM(128)", "ARIA-128-GCM", 16, 0},
    {"ARIAGCM(256)", "ARIA-256-GCM", 16, 0},
};

#define AEAD_NONCE 12
#define AEAD_AAD 13
#define AEAD_CHECK_EVERY 64 /* records between clock reads and round-trip checks */

/* One direction's key schedule, as libssl sets it up: cipher, nonce length, (CCM)
 * tag length, then the key. */
static int aead_ctx_init(EVP_CIPHER_CTX *x, EVP_CIPHER *cipher, const struct aead_alg *a,
                         const unsigned char *key, int enc)
{
    return EVP_CipherInit_ex(x, cipher, NULL, NULL, NULL, enc) == 1 &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, AEAD_NONCE, NULL) > 0 &&
           (!a->ccm || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, a->tag_len, NULL) > 0) &&
           EVP_CipherInit_ex(x, NULL, NULL, key, NULL, enc) == 1;
}

struct aead_run {
    const struct aead_alg *alg;
    EVP_CIPHER_CTX *seal, *open;
    unsigned char iv[AEAD_NONCE], aad[AEAD_AAD], tag[16];
    unsigned char *plain, *sealed, *opened;
    int len;
    uint64_t seq;
};

/* The TLS nonce: the static IV with the record sequence number XORed into its last
 * 8 bytes. The sequence number also leads the AAD, as in TLS 1.2. */
static void aead_next_nonce(struct aead_run *r, unsigned char nonce[AEAD_NONCE])
{
    memcpy(nonce, r->iv, AEAD_NONCE);
    for (int i = 0; i < 8; i++) {
        unsigned char b = (unsigned char)(r->seq >> (56 - 8 * i));
        nonce[AEAD_NONCE - 8 + i] ^= b;
        r->aad[i] = b;
    }
    r->seq++;
}

static int aead_seal(struct aead_run *r, const unsigned char *nonce)
{
    EVP_CIPHER_CTX *x = r->seal;
    int n = 0, fin = 0;
    return EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, 1) == 1 &&
           (!r->alg->ccm || EVP_CipherUpdate(x, NULL, &n, NULL, r->len) == 1) &&
           EVP_CipherUpdate(x, NULL, &n, r->aad, AEAD_AAD) == 1 &&
           EVP_CipherUpdate(x, r->sealed, &n, r->plain, r->len) == 1 &&
           EVP_CipherFinal_ex(x, r->sealed + n, &fin) == 1 && n + fin == r->len &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, r->alg->tag_len, r->tag) > 0;
}

/* 1 only when the tag verified. */
static int aead_open(struct aead_run *r, const unsigned char *nonce)
{
    EVP_CIPHER_CTX *x = r->open;
    int n = 0, fin = 0;
    return EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, 0) == 1 &&
           EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, r->alg->tag_len, r->tag) > 0 &&
           (!r->alg->ccm || EVP_CipherUpdate(x, NULL, &n, NULL, r->len) == 1) &&
           EVP_CipherUpdate(x, NULL, &n, r->aad, AEAD_AAD) == 1 &&
           EVP_CipherUpdate(x, r->opened, &n, r->sealed, r->len) == 1 &&
           EVP_CipherFinal_ex(x, r->opened + n, &fin) == 1 && n + fin == r->len;
}

/* Seal then open records until `ns` of thread CPU time have passed, reading the
 * clock every AEAD_CHECK_EVERY records; the record at each clock read is also checked
 * to round-trip (its output cleared first, so a silent no-op cannot pass).
 * Returns the records done, or -1 when a seal or open failed. */
static long long aead_loop(struct aead_run *r, uint64_t ns, uint64_t *spent)
{
    unsigned char nonce[AEAD_NONCE];
    uint64_t t0 = th_thread_cpu_ns(), now = t0;
    long long n = 0;
    while (now - t0 < ns) {
        for (int i = 0; i < AEAD_CHECK_EVERY; i++, n++) {
            if (i == 0)
                memset(r->opened, 0, (size_t)r->len);
            aead_next_nonce(r, nonce);
            if (!aead_seal(r, nonce) || !aead_open(r, nonce))
                return -1;
            if (i == 0 && memcmp(r->opened, r->plain, (size_t)r->len) != 0)
                return -1;
        }
        now = th_thread_cpu_ns();
    }
    *spent = now - t0;
    return n;
}

static const struct aead_alg *aead_alg_for(uint16_t suite, struct th_error *err)
{
    const struct th_suite_info *s = th_suite_by_id(suite);
    if (!s) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "suite 0x%04x is unknown", suite);
        return NULL;
    }
    if (strcmp(s->mac, "AEAD") != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "%s is not an AEAD suite (%s with %s)", s->name,
                     s->cipher, s->mac);
        return NULL;
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(aead_algs); i++)
        if (!strcmp(aead_algs[i].cipher, s->cipher))
            return &aead_algs[i];
    th_error_set(err, TH_INTERNAL_ERROR, suite, "no raw AEAD for %s (%s) in this backend", s->name,
                 s->cipher);
    return NULL;
}

static void aead_run_free(struct aead_run *r)
{
    EVP_CIPHER_CTX_free(r->seal);
    EVP_CIPHER_CTX_free(r->open);
    free(r->plain);
    free(r->sealed);
    free(r->opened);
}

/* Keys, nonce, AAD and plaintext random; both directions keyed alike. */
static int aead_run_init(struct aead_run *r, EVP_CIPHER *cipher, size_t record_size)
{
    unsigned char key[32];
    r->len = (int)record_size;
    r->plain = th_xmalloc(record_size);
    r->sealed = th_xmalloc(record_size);
    r->opened = th_xmalloc(record_size);
    r->seal = EVP_CIPHER_CTX_new();
    r->open = EVP_CIPHER_CTX_new();
    int ok = r->seal && r->open && RAND_bytes(key, sizeof(key)) == 1 &&
             RAND_bytes(r->iv, sizeof(r->iv)) == 1 && RAND_bytes(r->aad, sizeof(r->aad)) == 1 &&
             RAND_bytes(r->plain, r->len) == 1 && aead_ctx_init(r->seal, cipher, r->alg, key, 1) &&
             aead_ctx_init(r->open, cipher, r->alg, key, 0);
    OPENSSL_cleanse(key, sizeof(key));
    return ok ? 0 : -1;
}

static int fail_ctx(struct th_error *err, const char *what)
{
    th_ossl_queued_error(err, what);
    return -1;
}

int th_ossl_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                      struct th_error *err)
{
    *ns_per_byte = 0;
    ERR_clear_error();
    const struct aead_alg *alg = aead_alg_for(suite, err);
    if (!alg)
        return -1;
    if (record_size == 0 || record_size > INT_MAX / 2 || !(seconds > 0)) {
        TH_FAULT(err, 0, "aead_cost: record size %zu, %g s: out of range", record_size, seconds);
        return -1;
    }
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, alg->evp, NULL);
    if (!cipher)
        return fail_ctx(err, alg->evp);
    struct aead_run r = {.alg = alg};
    uint64_t spent = 0, ns = (uint64_t)(seconds * 1e9) + 10; /* at least one batch */
    int rc = aead_run_init(&r, cipher, record_size);
    long long n = rc == 0 ? aead_loop(&r, ns / 10, &spent) : -1; /* warm-up */
    if (n > 0)
        n = aead_loop(&r, ns, &spent);
    if (n <= 0)
        rc = fail_ctx(err, rc == 0 ? "AEAD seal/open did not round-trip" : "AEAD set-up");
    else
        *ns_per_byte = (double)spent / ((double)n * (double)record_size);
    aead_run_free(&r);
    EVP_CIPHER_free(cipher);
    return rc;
}
