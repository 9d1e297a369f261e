/* pattern N: print the first N bytes of the payload pattern with seed 0, as
 * `tlsharness serve` sends for GET /bytes/N, so a test can compare what a client
 * received. Tools build standalone: pattern_fill must match th_pattern_fill in
 * harness/util.c byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void pattern_fill(uint64_t seed, uint64_t offset, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len) {
        uint64_t block = offset / 8, z = seed + (block + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (unsigned i = (unsigned)(offset % 8); i < 8 && len; i++, len--, offset++)
            *p++ = (unsigned char)(z >> (8 * i));
    }
}

int main(int argc, char **argv)
{
    char *end;
    unsigned long long n = argc == 2 ? strtoull(argv[1], &end, 10) : 0;
    if (argc != 2 || *end) {
        fputs("usage: pattern N\n", stderr);
        return 2;
    }
    unsigned char buf[16384];
    for (unsigned long long off = 0; off < n;) {
        size_t m = n - off < sizeof(buf) ? (size_t)(n - off) : sizeof(buf);
        pattern_fill(0, off, buf, m);
        if (fwrite(buf, 1, m, stdout) != m)
            return 1;
        off += m;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
