/* The mbedTLS backend's aead_cost op (mbedtls_aead.h): the raw cost of a suite's
 * record protection through mbedTLS's cipher layer, no TLS. */
#include "mbedtls_aead.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/cipher.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "harness/vocab/util.h"
#include "mbedtls_map.h"

static int fail_ctx(struct th_error *err, int ret, const char *what)
{
    th_mbedtls_error(err, ret, what);
    return -1;
}

/* What the TLS 1.2 record layer of 2.28 does per AEAD record (ssl_msg.c,
 * mbedtls_ssl_encrypt_buf / mbedtls_ssl_decrypt_buf): the generic cipher layer's
 * mbedtls_cipher_auth_encrypt_ext / mbedtls_cipher_auth_decrypt_ext, in place, tag
 * after the ciphertext, on one context per direction keyed with MBEDTLS_ENCRYPT /
 * MBEDTLS_DECRYPT. Nothing else of TLS: no record header, no copies; the 13-byte
 * AAD stays fixed where TLS's carries the sequence number (same length, same cost). */
struct aead_bench {
    mbedtls_cipher_context_t enc, dec;
    unsigned char iv[12], nonce[12], aad[13];
    unsigned char *buf, *plain; /* buf: the record in flight; plain: what it must return to */
    size_t len, taglen;
    uint64_t seq;
};

/* The suite's AEAD in the cipher layer, or NULL with err saying why not. */
static const mbedtls_cipher_info_t *aead_info(uint16_t suite, size_t *taglen, struct th_error *err)
{
    const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(suite);
    const struct th_suite_info *si = th_suite_by_id(suite);
    const char *name = si ? si->name : "?";
    if (!cs) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "suite 0x%04x (%s) is unknown to %s", suite,
                     name, th_mbedtls_version());
        return NULL;
    }
    const mbedtls_cipher_info_t *ci = mbedtls_cipher_info_from_type(cs->cipher);
    mbedtls_cipher_mode_t m = ci ? ci->mode : MBEDTLS_MODE_NONE;
    if (m != MBEDTLS_MODE_GCM && m != MBEDTLS_MODE_CCM && m != MBEDTLS_MODE_CHACHAPOLY) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "suite 0x%04x (%s) is not an AEAD suite", suite,
                     name);
        return NULL;
    }
    *taglen = cs->flags & MBEDTLS_CIPHERSUITE_SHORT_TAG ? 8 : 16;
    return ci;
}

static void aead_bench_free(struct aead_bench *b)
{
    mbedtls_cipher_free(&b->enc);
    mbedtls_cipher_free(&b->dec);
    free(b->buf);
    free(b->plain);
}

/* Random key, IV and AAD, from a DRBG seeded like the contexts' own. */
TH_MUST_CHECK static int aead_bench_init(struct aead_bench *b, const mbedtls_cipher_info_t *ci,
                                         size_t len, struct th_error *err)
{
    static const unsigned char pers[] = "tlsharness mbedtls aead";
    unsigned char key[32];
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, pers, sizeof(pers) - 1);
    if (!ret)
        ret = mbedtls_ctr_drbg_random(&drbg, key, sizeof(key));
    if (!ret)
        ret = mbedtls_ctr_drbg_random(&drbg, b->iv, sizeof(b->iv));
    if (!ret)
        ret = mbedtls_ctr_drbg_random(&drbg, b->aad, sizeof(b->aad));
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    if (ret)
        return fail_ctx(err, ret, "mbedtls_ctr_drbg_random");
    /* The payload's bytes do not change the cost; they only have to come back. */
    for (size_t i = 0; i < len; i++)
        b->plain[i] = (unsigned char)(i * 131 + 7);
    memcpy(b->buf, b->plain, len);
    if ((ret = mbedtls_cipher_setup(&b->enc, ci)) != 0 ||
        (ret = mbedtls_cipher_setup(&b->dec, ci)) != 0 ||
        (ret = mbedtls_cipher_setkey(&b->enc, key, (int)ci->key_bitlen, MBEDTLS_ENCRYPT)) != 0 ||
        (ret = mbedtls_cipher_setkey(&b->dec, key, (int)ci->key_bitlen, MBEDTLS_DECRYPT)) != 0)
        return fail_ctx(err, ret, ci->name);
    return 0;
}

/* One record sealed and opened in place, the nonce the IV XOR the record's sequence
 * number as TLS does. buf returns to the plaintext, so the next record starts from
 * it and one comparison at the end checks every round trip. */
TH_MUST_CHECK static int aead_record(struct aead_bench *b, struct th_error *err)
{
    size_t olen = 0, clen = 0;
    memcpy(b->nonce, b->iv, sizeof(b->nonce));
    for (int i = 0; i < 8; i++)
        b->nonce[sizeof(b->nonce) - 1 - i] ^= (unsigned char)(b->seq >> (8 * i));
    b->seq++;
    int ret = mbedtls_cipher_auth_encrypt_ext(&b->enc, b->nonce, sizeof(b->nonce), b->aad,
                                              sizeof(b->aad), b->buf, b->len, b->buf,
                                              b->len + b->taglen, &clen, b->taglen);
    if (ret || clen != b->len + b->taglen)
        return fail_ctx(err, ret ? ret : MBEDTLS_ERR_CIPHER_BAD_INPUT_DATA,
                        "mbedtls_cipher_auth_encrypt_ext");
    ret =
        mbedtls_cipher_auth_decrypt_ext(&b->dec, b->nonce, sizeof(b->nonce), b->aad, sizeof(b->aad),
                                        b->buf, clen, b->buf, clen, &olen, b->taglen);
    if (ret || olen != b->len) /* MBEDTLS_ERR_CIPHER_AUTH_FAILED: the tag did not verify */
        return fail_ctx(err, ret ? ret : MBEDTLS_ERR_CIPHER_BAD_INPUT_DATA,
                        "mbedtls_cipher_auth_decrypt_ext");
    return 0;
}

/* Records until `seconds` of this thread's CPU time have gone, the clock read every
 * 64 records; the CPU nanoseconds and the records in *ns and *records. */
TH_MUST_CHECK static int aead_loop(struct aead_bench *b, double seconds, uint64_t *ns,
                                   uint64_t *records, struct th_error *err)
{
    uint64_t start = th_thread_cpu_ns(), now = start, n = 0;
    uint64_t budget = (uint64_t)(seconds * 1e9);
    do {
        for (int i = 0; i < 64; i++, n++)
            TH_GUARD(aead_record(b, err));
        now = th_thread_cpu_ns();
    } while (now - start < budget);
    *ns = now - start;
    *records = n;
    return 0;
}

int th_mbedtls_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                         struct th_error *err)
{
    struct aead_bench b = {.len = record_size};
    uint64_t ns = 0, records = 0;
    *ns_per_byte = 0;
    th_mbedtls_init();
    const mbedtls_cipher_info_t *ci = aead_info(suite, &b.taglen, err);
    if (!ci)
        return -1;
    if (record_size == 0 || record_size > 1u << 24 || !(seconds > 0)) {
        TH_FAULT(err, 0, "aead_cost: bad record size %zu or time %g", record_size, seconds);
        return -1;
    }
    mbedtls_cipher_init(&b.enc);
    mbedtls_cipher_init(&b.dec);
    b.buf = th_xmalloc(record_size + b.taglen);
    b.plain = th_xmalloc(record_size);
    int rc = aead_bench_init(&b, ci, record_size, err);
    if (rc == 0) /* warm-up: caches, frequency, lazily built tables */
        rc = aead_loop(&b, seconds / 10, &ns, &records, err);
    if (rc == 0)
        rc = aead_loop(&b, seconds, &ns, &records, err);
    if (rc == 0 && memcmp(b.buf, b.plain, record_size) != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "%s: opened records differ from what was sealed",
                     ci->name);
        rc = -1;
    }
    if (rc == 0)
        *ns_per_byte = (double)ns / ((double)records * (double)record_size);
    aead_bench_free(&b);
    return rc;
}
