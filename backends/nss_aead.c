/* The NSS backend's aead_cost op (nss_aead.h): the raw cost of a suite's record
 * protection through NSS's softoken, no TLS. PK11_Encrypt and PK11_Decrypt take the
 * nonce and AAD with each call (one PKCS #11 operation per record), the output is
 * the ciphertext with the tag after it. */
#include "nss_aead.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <pk11pub.h>
#include <pkcs11t.h>

#include "harness/vocab/util.h"
#include "nss_map.h"

struct aead_alg {
    const char *cipher; /* th_suite_info.cipher */
    CK_MECHANISM_TYPE mech;
    int key_len;
};

static const struct aead_alg aead_algs[] = {
    {"AES-128-GCM", CKM_AES_GCM, 16},
    {"AES-256-GCM", CKM_AES_GCM, 32},
    {"CHACHA20-POLY1305", CKM_CHACHA20_POLY1305, 32},
};

#define AEAD_NONCE 12
#define AEAD_AAD 13
#define AEAD_TAG 16
#define AEAD_CHECK_EVERY 64 /* records between clock reads and round-trip checks */

struct aead_run {
    const struct aead_alg *alg;
    PK11SymKey *key;
    unsigned char iv[AEAD_NONCE], nonce[AEAD_NONCE], aad[AEAD_AAD];
    unsigned char *plain, *sealed, *opened;
    unsigned len;
    uint64_t seq;
    CK_GCM_PARAMS_V3 gcm;
    CK_SALSA20_CHACHA20_POLY1305_PARAMS chacha;
    SECItem param;
};

/* The TLS nonce: the static IV with the record sequence number XORed into its last
 * 8 bytes. The sequence number also leads the AAD, as in TLS 1.2. */
static void aead_next_nonce(struct aead_run *r)
{
    memcpy(r->nonce, r->iv, AEAD_NONCE);
    for (int i = 0; i < 8; i++) {
        unsigned char b = (unsigned char)(r->seq >> (56 - 8 * i));
        r->nonce[AEAD_NONCE - 8 + i] ^= b;
        r->aad[i] = b;
    }
    r->seq++;
}

static int aead_seal_open(struct aead_run *r)
{
    unsigned out = 0, back = 0;
    return PK11_Encrypt(r->key, r->alg->mech, &r->param, r->sealed, &out, r->len + AEAD_TAG,
                        r->plain, r->len) == SECSuccess &&
           out == r->len + AEAD_TAG &&
           PK11_Decrypt(r->key, r->alg->mech, &r->param, r->opened, &back, r->len, r->sealed,
                        out) == SECSuccess &&
           back == r->len;
}

/* Seal then open records until `ns` of thread CPU time have passed, reading the
 * clock every AEAD_CHECK_EVERY records; the record at each clock read is also checked
 * to round-trip. Returns the records done, or -1 when a seal or open failed. */
static long long aead_loop(struct aead_run *r, uint64_t ns, uint64_t *spent)
{
    uint64_t t0 = th_thread_cpu_ns(), now = t0;
    long long n = 0;
    while (now - t0 < ns) {
        for (int i = 0; i < AEAD_CHECK_EVERY; i++, n++) {
            if (i == 0)
                memset(r->opened, 0, r->len);
            aead_next_nonce(r);
            if (!aead_seal_open(r))
                return -1;
            if (i == 0 && memcmp(r->opened, r->plain, r->len) != 0)
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

/* The parameters point at the run's nonce and AAD, which change in place. */
static void aead_params(struct aead_run *r)
{
    if (r->alg->mech == CKM_AES_GCM) {
        r->gcm = (CK_GCM_PARAMS_V3){.pIv = r->nonce,
                                    .ulIvLen = AEAD_NONCE,
                                    .ulIvBits = AEAD_NONCE * 8,
                                    .pAAD = r->aad,
                                    .ulAADLen = AEAD_AAD,
                                    .ulTagBits = AEAD_TAG * 8};
        r->param = (SECItem){siBuffer, (unsigned char *)&r->gcm, sizeof(r->gcm)};
    } else {
        r->chacha = (CK_SALSA20_CHACHA20_POLY1305_PARAMS){
            .pNonce = r->nonce, .ulNonceLen = AEAD_NONCE, .pAAD = r->aad, .ulAADLen = AEAD_AAD};
        r->param = (SECItem){siBuffer, (unsigned char *)&r->chacha, sizeof(r->chacha)};
    }
}

/* Key, nonce, AAD and plaintext random. */
static int aead_run_init(struct aead_run *r, size_t record_size)
{
    unsigned char key[32];
    r->len = (unsigned)record_size;
    r->plain = th_xmalloc(record_size);
    r->sealed = th_xmalloc(record_size + AEAD_TAG);
    r->opened = th_xmalloc(record_size);
    aead_params(r);
    PK11SlotInfo *slot = PK11_GetInternalSlot();
    int ok = slot && PK11_GenerateRandom(key, sizeof(key)) == SECSuccess &&
             PK11_GenerateRandom(r->iv, sizeof(r->iv)) == SECSuccess &&
             PK11_GenerateRandom(r->aad, sizeof(r->aad)) == SECSuccess &&
             PK11_GenerateRandom(r->plain, (int)r->len) == SECSuccess;
    if (ok) {
        SECItem k = {siBuffer, key, (unsigned)r->alg->key_len};
        r->key = PK11_ImportSymKeyWithFlags(slot, r->alg->mech, PK11_OriginUnwrap, CKA_ENCRYPT, &k,
                                            CKF_ENCRYPT | CKF_DECRYPT, PR_FALSE, NULL);
        ok = r->key != NULL;
    }
    if (slot)
        PK11_FreeSlot(slot);
    memset(key, 0, sizeof(key));
    return ok ? 0 : -1;
}

static void aead_run_free(struct aead_run *r)
{
    if (r->key)
        PK11_FreeSymKey(r->key);
    free(r->plain);
    free(r->sealed);
    free(r->opened);
}

int th_nss_aead_cost(uint16_t suite, size_t record_size, double seconds, double *ns_per_byte,
                     struct th_error *err)
{
    *ns_per_byte = 0;
    TH_GUARD(th_nss_init(err));
    const struct aead_alg *alg = aead_alg_for(suite, err);
    if (!alg)
        return -1;
    if (record_size == 0 || record_size > INT_MAX / 2 || !(seconds > 0)) {
        TH_FAULT(err, 0, "aead_cost: record size %zu, %g s: out of range", record_size, seconds);
        return -1;
    }
    struct aead_run r = {.alg = alg};
    uint64_t spent = 0, ns = (uint64_t)(seconds * 1e9) + 10; /* at least one batch */
    int rc = aead_run_init(&r, record_size);
    long long n = rc == 0 ? aead_loop(&r, ns / 10, &spent) : -1; /* warm-up */
    if (n > 0)
        n = aead_loop(&r, ns, &spent);
    if (n <= 0) {
        th_nss_error(err, rc == 0 ? "AEAD seal/open did not round-trip" : "AEAD set-up");
        rc = -1;
    } else {
        *ns_per_byte = (double)spent / ((double)n * (double)record_size);
    }
    aead_run_free(&r);
    return rc;
}
