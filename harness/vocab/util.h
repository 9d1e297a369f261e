/* Small shared helpers: checked allocation, bounded string copies, clocks, files and
 * the payload pattern. Errors and guards: error.h. */
#ifndef TH_UTIL_H
#define TH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that cannot fail: out of memory aborts with exit 3. */
void *th_xmalloc(size_t n);
void *th_xcalloc(size_t n, size_t size);
void *th_xrealloc(void *p, size_t n);
char *th_xstrdup(const char *s);
char *th_xasprintf(const char *fmt, ...) TH_PRINTF(1, 2);

/* Copy with truncation; always NUL-terminates when cap > 0. */
void th_strlcpy(char *dst, const char *src, size_t cap);

uint64_t th_now_ns(void);        /* CLOCK_MONOTONIC */
uint64_t th_thread_cpu_ns(void); /* CLOCK_THREAD_CPUTIME_ID */
double th_wall_clock(void);      /* seconds since the epoch */
void th_iso8601(double t, char *out, size_t cap);

/* Write a whole file atomically: a temporary beside it, fsync, rename. */
int th_write_file_atomic(const char *path, const void *data, size_t len) TH_MUST_CHECK;
/* Read a whole file; NULL with errno set on failure. */
char *th_read_file(const char *path, size_t *len_out) TH_MUST_CHECK;
/* mkdir -p */
int th_mkdirs(const char *path) TH_MUST_CHECK;

/* The keyed payload pattern: a receiver regenerates it to check every byte instead
 * of trusting an echo. seed: any 64-bit key (e.g. th_hash64 of the case id). */
uint64_t th_hash64(const char *s);
void th_pattern_fill(uint64_t seed, uint64_t offset, void *buf, size_t len);

/* Length (1..4) of the well-formed UTF-8 sequence at s, with its code point in *cp
 * (when cp is not NULL); 0 when s does not start one. Stops at a NUL, so it never
 * reads past the string. */
size_t th_utf8_decode(const unsigned char *s, uint32_t *cp);

#endif
