/* The GnuTLS backend's aead_cost op (gnutls_aead.h): the raw cost of a suite's
 * record protection through GnuTLS's own AEAD API, no TLS. */
#include "gnutls_aead.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "harness/vocab/util.h"
#include "gnutls_map.h"

/* The API is GnuTLS's high-level AEAD one, gnutls_aead_cipher_encrypt / _decrypt
 * on a gnutls_aead_cipher_hd_t: the very calls (and handle type) its TLS 1.3
 * record layer makes in lib/cipher.c, so the ratio to the TLS data path is
 * fair. One handle seals and opens, as one key direction of a connection would. */

#define AEAD_NONCE 12
#define AEAD_AAD 13   /* TLS 1.2's: sequence number, type, version, length */
#define AEAD_BATCH 64 /* records between clock reads: one read per record would weigh */
#define AEAD_MAX_RECORD (1u << 24)

struct aead_bench {
    gnutls_aead_cipher_hd_t h;
    size_t len, tag;
    unsigned char iv[AEAD_NONCE], aad[AEAD_AAD];
    unsigned char *pt, *ct, *out;
    uint64_t seq;
};

/* Seal then open one record under the next nonce: the IV with the record counter
 * XORed into its last 8 bytes, as TLS 1.3 builds it. 0, or GnuTLS's error (a
 * tag that did not verify is GNUTLS_E_DECRYPTION_FAILED). */
static int aead_record(struct aead_bench *b)
{
    unsigned char nonce[AEAD_NONCE];
    uint64_t seq = b->seq++;
    memcpy(nonce, b->iv, sizeof(nonce));
    for (int i = 0; i < 8; i++) {
        nonce[AEAD_NONCE - 1 - i] ^= (unsigned char)(seq >> (8 * i));
        b->aad[7 - i] = (unsigned char)(seq >> (8 * i));
    }
    size_t ct_len = b->len + b->tag, pt_len = b->len;
    int ret = gnutls_aead_cipher_encrypt(b->h, nonce, sizeof(nonce), b->aad, sizeof(b->aad), b->tag,
                                         b->pt, b->len, b->ct, &ct_len);
    if (ret < 0)
        return ret;
    ret = gnutls_aead_cipher_decrypt(b->h, nonce, sizeof(nonce), b->aad, sizeof(b->aad), b->tag,
                                     b->ct, ct_len, b->out, &pt_len);
    if (ret < 0)
        return ret;
    return pt_len == b->len ? 0 : GNUTLS_E_DECRYPTION_FAILED;
}

/* Batches of records until `budget` ns of thread CPU time are spent. Each batch's
 * last record is compared with the plaintext after the clock is read, so the
 * check proves the round trip without costing the measurement. */
static int aead_loop(struct aead_bench *b, uint64_t budget, uint64_t *ns, uint64_t *records)
{
    *ns = *records = 0;
    do {
        uint64_t t0 = th_thread_cpu_ns();
        for (int i = 0; i < AEAD_BATCH; i++) {
            int ret = aead_record(b);
            if (ret < 0)
                return ret;
        }
        *ns += th_thread_cpu_ns() - t0;
        *records += AEAD_BATCH;
        if (memcmp(b->out, b->pt, b->len) != 0)
            return GNUTLS_E_DECRYPTION_FAILED;
        memset(b->out, 0, b->len);
    } while (*ns < budget);
    return 0;
}

/* The suite's cipher when it is an AEAD GnuTLS has (a tag size means AEAD: CBC
 * suites have none); GNUTLS_CIPHER_UNKNOWN with err otherwise. */
static gnutls_cipher_algorithm_t aead_of_suite(uint16_t suite, struct th_error *err)
{
    const struct th_gnutls_suite *a = th_gnutls_suite(suite);
    const struct th_suite_info *s = th_suite_by_id(suite);
    if (!a) {
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_UNKNOWN_CIPHER_SUITE,
                     "suite 0x%04x is unknown to GnuTLS", suite);
        return GNUTLS_CIPHER_UNKNOWN;
    }
    if (gnutls_cipher_get_tag_size(a->cipher) == 0) {
        th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                     "suite %s is not an AEAD suite (%s with %s): no raw AEAD cost",
                     s ? s->name : "?", gnutls_cipher_get_name(a->cipher),
                     gnutls_mac_get_name(a->mac));
        return GNUTLS_CIPHER_UNKNOWN;
    }
    return a->cipher;
}

static int aead_open(struct aead_bench *b, gnutls_cipher_algorithm_t alg, size_t len)
{
    unsigned char key[64];
    size_t key_len = gnutls_cipher_get_key_size(alg);
    gnutls_datum_t k = {key, (unsigned)key_len};
    b->len = len;
    b->tag = gnutls_cipher_get_tag_size(alg);
    b->pt = th_xmalloc(len);
    b->ct = th_xmalloc(len + b->tag);
    b->out = th_xcalloc(1, len);
    memset(b->aad, 0, sizeof(b->aad));
    b->aad[8] = 23; /* application_data */
    b->aad[9] = 3;
    b->aad[10] = 3;
    b->aad[11] = (unsigned char)(len >> 8);
    b->aad[12] = (unsigned char)len;
    int ret = key_len <= sizeof(key) ? 0 : GNUTLS_E_INTERNAL_ERROR;
    if (ret == 0)
        ret = gnutls_rnd(GNUTLS_RND_RANDOM, key, key_len);
    if (ret == 0)
        ret = gnutls_rnd(GNUTLS_RND_NONCE, b->iv, sizeof(b->iv));
    if (ret == 0)
        ret = gnutls_rnd(GNUTLS_RND_NONCE, b->pt, len);
    if (ret == 0)
        ret = gnutls_aead_cipher_init(&b->h, alg, &k);
    gnutls_memset(key, 0, sizeof(key));
    return ret;
}

static void aead_close(struct aead_bench *b)
{
    if (b->h)
        gnutls_aead_cipher_deinit(b->h);
    free(b->pt);
    free(b->ct);
    free(b->out);
}

int th_gnutls_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                        struct th_error *err)
{
    *ns_per_byte = 0;
    gnutls_cipher_algorithm_t alg = aead_of_suite(suite, err);
    if (alg == GNUTLS_CIPHER_UNKNOWN)
        return -1;
    if (record_size == 0 || record_size > AEAD_MAX_RECORD) {
        TH_FAULT(err, GNUTLS_E_INVALID_REQUEST, "record size %zu out of range (1..%u)", record_size,
                 AEAD_MAX_RECORD);
        return -1;
    }
    struct aead_bench b = {0};
    uint64_t budget = seconds > 0 ? (uint64_t)(seconds * 1e9) : 0, ns = 0, records = 0;
    int ret = aead_open(&b, alg, record_size);
    if (ret == 0) /* warm-up: caches, key schedule, CPU frequency */
        ret = aead_loop(&b, budget / 10, &ns, &records);
    if (ret == 0)
        ret = aead_loop(&b, budget, &ns, &records);
    aead_close(&b);
    if (ret < 0) {
        th_error_set(err, ret == GNUTLS_E_DECRYPTION_FAILED ? TH_BAD_RECORD_MAC : TH_INTERNAL_ERROR,
                     ret, "%s seal/open: %s", gnutls_cipher_get_name(alg), gnutls_strerror(ret));
        return -1;
    }
    *ns_per_byte = (double)ns / ((double)records * (double)record_size);
    return 0;
}
