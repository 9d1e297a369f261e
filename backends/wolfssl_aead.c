/* The wolfSSL backend's aead_cost op (wolfssl_aead.h): the raw cost of a suite's
 * record protection through wolfCrypt, no TLS.
 *
 * What wolfSSL's record layer calls per record: AES-GCM and AES-CCM on an Aes key
 * schedule set once per direction (wc_AesGcmEncrypt / wc_AesCcmEncrypt with the
 * record's nonce, AAD and tag), ChaCha20-Poly1305 keyed per record (the one-shot
 * wc_ChaCha20Poly1305_Encrypt, which sets the ChaCha key and derives the Poly1305
 * key each time, as the record layer does). Sealed into a second buffer and opened
 * back, tag checked; the 13-byte AAD carries the sequence number as TLS 1.2's does. */
#include "wolfssl_aead.h"

#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>

#include "harness/vocab/util.h"
#include "wolfssl_map.h"

#define AEAD_NONCE 12
#define AEAD_AAD 13
#define AEAD_CHECK_EVERY 64 /* records between clock reads */

enum aead_kind { AEAD_GCM, AEAD_CCM, AEAD_CHACHA };

struct aead_alg {
    const char *cipher; /* th_suite_info.cipher */
    enum aead_kind kind;
    word32 key_len, tag_len;
};

static const struct aead_alg aead_algs[] = {
    {"AES-128-GCM", AEAD_GCM, 16, 16},          {"AES-256-GCM", AEAD_GCM, 32, 16},
    {"AES-128-CCM", AEAD_CCM, 16, 16},          {"AES-128-CCM8", AEAD_CCM, 16, 8},
    {"AES-256-CCM", AEAD_CCM, 32, 16},          {"AES-256-CCM8", AEAD_CCM, 32, 8},
    {"CHACHA20-POLY1305", AEAD_CHACHA, 32, 16},
};

struct aead_run {
    const struct aead_alg *alg;
    Aes seal, open;
    unsigned char key[32], iv[AEAD_NONCE], aad[AEAD_AAD], tag[16];
    unsigned char *plain, *sealed, *opened;
    word32 len;
    uint64_t seq;
};

static int fail_crypt(struct th_error *err, int ret, const char *what)
{
    char text[WOLFSSL_MAX_ERROR_SZ];
    th_wolfssl_error_text(ret, text, sizeof(text));
    th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: %s (%d)", what, text, ret);
    return -1;
}

static const struct aead_alg *aead_find(uint16_t suite, struct th_error *err)
{
    const struct th_suite_info *si = th_suite_by_id(suite);
    if (!si || !th_wolfssl_has_suite(suite)) {
        th_error_set(err, TH_INTERNAL_ERROR, suite, "suite 0x%04x (%s) is unknown to %s", suite,
                     si ? si->name : "?", th_wolfssl_version());
        return NULL;
    }
    for (size_t i = 0; i < TH_ARRAY_LEN(aead_algs); i++)
        if (strcmp(aead_algs[i].cipher, si->cipher) == 0)
            return &aead_algs[i];
    th_error_set(err, TH_INTERNAL_ERROR, suite,
                 "suite 0x%04x (%s) is not an AEAD suite wolfCrypt has", suite, si->name);
    return NULL;
}

/* The TLS nonce: the static IV with the record sequence number XORed into its last
 * 8 bytes; the sequence number also leads the AAD. */
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

/* One record sealed and opened; the opened bytes checked against the plaintext. */
TH_MUST_CHECK static int aead_record(struct aead_run *r, struct th_error *err)
{
    unsigned char nonce[AEAD_NONCE];
    aead_next_nonce(r, nonce);
    const struct aead_alg *a = r->alg;
    int ret;
    switch (a->kind) {
    case AEAD_GCM:
        ret = wc_AesGcmEncrypt(&r->seal, r->sealed, r->plain, r->len, nonce, AEAD_NONCE, r->tag,
                               a->tag_len, r->aad, AEAD_AAD);
        if (ret == 0)
            ret = wc_AesGcmDecrypt(&r->open, r->opened, r->sealed, r->len, nonce, AEAD_NONCE,
                                   r->tag, a->tag_len, r->aad, AEAD_AAD);
        break;
    case AEAD_CCM:
        ret = wc_AesCcmEncrypt(&r->seal, r->sealed, r->plain, r->len, nonce, AEAD_NONCE, r->tag,
                               a->tag_len, r->aad, AEAD_AAD);
        if (ret == 0)
            ret = wc_AesCcmDecrypt(&r->open, r->opened, r->sealed, r->len, nonce, AEAD_NONCE,
                                   r->tag, a->tag_len, r->aad, AEAD_AAD);
        break;
    default:
        ret = wc_ChaCha20Poly1305_Encrypt(r->key, nonce, r->aad, AEAD_AAD, r->plain, r->len,
                                          r->sealed, r->tag);
        if (ret == 0)
            ret = wc_ChaCha20Poly1305_Decrypt(r->key, nonce, r->aad, AEAD_AAD, r->sealed, r->len,
                                              r->tag, r->opened);
        break;
    }
    if (ret != 0) /* AES_GCM_AUTH_E, MAC_CMP_FAILED_E: the tag did not verify */
        return fail_crypt(err, ret, a->cipher);
    return 0;
}

/* Random key, IV and AAD from wolfCrypt's own generator; the key schedules. */
TH_MUST_CHECK static int aead_setup(struct aead_run *r, struct th_error *err)
{
    WC_RNG rng;
    int ret = wc_InitRng(&rng);
    if (ret != 0)
        return fail_crypt(err, ret, "wc_InitRng");
    ret = wc_RNG_GenerateBlock(&rng, r->key, sizeof(r->key));
    if (ret == 0)
        ret = wc_RNG_GenerateBlock(&rng, r->iv, sizeof(r->iv));
    if (ret == 0)
        ret = wc_RNG_GenerateBlock(&rng, r->aad, sizeof(r->aad));
    wc_FreeRng(&rng);
    if (ret != 0)
        return fail_crypt(err, ret, "wc_RNG_GenerateBlock");
    for (word32 i = 0; i < r->len; i++)
        r->plain[i] = (unsigned char)(i * 131 + 7);
    if (r->alg->kind == AEAD_GCM) {
        if ((ret = wc_AesGcmSetKey(&r->seal, r->key, r->alg->key_len)) != 0 ||
            (ret = wc_AesGcmSetKey(&r->open, r->key, r->alg->key_len)) != 0)
            return fail_crypt(err, ret, "wc_AesGcmSetKey");
    } else if (r->alg->kind == AEAD_CCM) {
        if ((ret = wc_AesCcmSetKey(&r->seal, r->key, r->alg->key_len)) != 0 ||
            (ret = wc_AesCcmSetKey(&r->open, r->key, r->alg->key_len)) != 0)
            return fail_crypt(err, ret, "wc_AesCcmSetKey");
    }
    return 0;
}

/* Records until `seconds` of this thread's CPU time have gone. */
TH_MUST_CHECK static int aead_loop(struct aead_run *r, double seconds, uint64_t *ns,
                                   uint64_t *records, struct th_error *err)
{
    uint64_t start = th_thread_cpu_ns(), now = start, n = 0;
    uint64_t budget = (uint64_t)(seconds * 1e9);
    do {
        for (int i = 0; i < AEAD_CHECK_EVERY; i++, n++)
            TH_GUARD(aead_record(r, err));
        now = th_thread_cpu_ns();
    } while (now - start < budget);
    if (memcmp(r->opened, r->plain, r->len) != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "%s: opened records differ from what was sealed",
                     r->alg->cipher);
        return -1;
    }
    *ns = now - start;
    *records = n;
    return 0;
}

int th_wolfssl_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                         struct th_error *err)
{
    *ns_per_byte = 0;
    const struct aead_alg *a = aead_find(suite, err);
    if (!a)
        return -1;
    if (record_size == 0 || record_size > 1u << 24 || !(seconds > 0)) {
        TH_FAULT(err, 0, "aead_cost: bad record size %zu or time %g", record_size, seconds);
        return -1;
    }
    struct aead_run r = {.alg = a, .len = (word32)record_size};
    if (wc_AesInit(&r.seal, NULL, INVALID_DEVID) != 0 ||
        wc_AesInit(&r.open, NULL, INVALID_DEVID) != 0) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "wc_AesInit failed");
        return -1;
    }
    r.plain = th_xmalloc(record_size);
    r.sealed = th_xmalloc(record_size);
    r.opened = th_xmalloc(record_size);
    uint64_t ns = 0, records = 0;
    int rc = aead_setup(&r, err);
    if (rc == 0) /* warm-up: caches, frequency */
        rc = aead_loop(&r, seconds / 10, &ns, &records, err);
    if (rc == 0)
        rc = aead_loop(&r, seconds, &ns, &records, err);
    if (rc == 0)
        *ns_per_byte = (double)ns / ((double)records * (double)record_size);
    wc_AesFree(&r.seal);
    wc_AesFree(&r.open);
    free(r.plain);
    free(r.sealed);
    free(r.opened);
    return rc;
}
