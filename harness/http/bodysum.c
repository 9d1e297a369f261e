/* Body hashes (bodysum.h), with OpenSSL's libcrypto, which every build links: the
 * hash is the same whichever TLS library carried the body. */
#include "bodysum.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct th_bodysum {
    EVP_MD_CTX *md;
    int ok; /* the digest calls have all succeeded since the start */
};

struct th_bodysum *th_bodysum_new(void)
{
    struct th_bodysum *b = th_xcalloc(1, sizeof(*b));
    b->md = EVP_MD_CTX_new();
    if (!b->md) {
        free(b);
        return NULL;
    }
    return b;
}

void th_bodysum_free(struct th_bodysum *b)
{
    if (!b)
        return;
    EVP_MD_CTX_free(b->md);
    free(b);
}

void th_bodysum_start(struct th_bodysum *b)
{
    b->ok = EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) == 1;
}

void th_bodysum_update(struct th_bodysum *b, const void *p, size_t n)
{
    if (b->ok && n)
        b->ok = EVP_DigestUpdate(b->md, p, n) == 1;
}

void th_bodysum_sink(void *arg, const unsigned char *p, size_t n)
{
    th_bodysum_update(arg, p, n);
}

static void hex32(const uint8_t *d, char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int th_bodysum_check(struct th_bodysum *b, const uint8_t want[32], uint64_t body_len,
                     struct th_error *err)
{
    uint8_t got[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!b->ok || EVP_DigestFinal_ex(b->md, got, &len) != 1 || len != 32) {
        b->ok = 0;
        th_error_set(err, TH_INTERNAL_ERROR, 0, "SHA-256 of the body could not be computed");
        return -1;
    }
    b->ok = 0; /* a new body needs th_bodysum_start */
    if (memcmp(got, want, 32) == 0)
        return 0;
    char g[65], w[65];
    hex32(got, g);
    hex32(want, w);
    th_error_set(err, TH_INTERNAL_ERROR, 0, "body of %llu bytes has SHA-256 %s, expected %s",
                 (unsigned long long)body_len, g, w);
    return -1;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int th_sha256_from_hex(const char *s, uint8_t out[32])
{
    if (!s || strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
