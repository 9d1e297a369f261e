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

/* Write a whole file atomically: a temporary beside the target, fsync, rename. Only
 * a regular file (or nothing) is replaced; a symbolic link is followed to the file
 * it names, which is replaced while the link stays a link. Anything else is refused
 * before a byte is written: -1 with errno EISDIR (a folder) or EINVAL (a device, a
 * FIFO, a socket); else -1 with the errno of the step that failed. A file replaced
 * keeps its permission bits. */
int th_write_file_atomic(const char *path, const void *data, size_t len) TH_MUST_CHECK;
/* Before a run: can th_write_file_atomic write path? 0, or -1 with TH_INPUT saying
 * why in one line ("PATH: it is a character device, not a regular file", a link to
 * one, a folder that cannot be written). Makes nothing: a missing folder is fine
 * when the nearest existing one above it is writable (th_mkdirs makes the rest). */
int th_output_check(const char *path, struct th_error *err) TH_MUST_CHECK;

/* The most th_read_file reads: a results file holds about 1 KiB a case (the whole
 * catalogue over the seven implementations, 24,738 cases, is 25 MiB), scenario files
 * far less; a file past it is a mistake, not input. */
#define TH_READ_MAX ((size_t)64 << 20)
/* Read a whole regular file of at most TH_READ_MAX bytes, NUL-terminated; NULL
 * with errno on failure: EISDIR (a folder), EINVAL (a FIFO, a device, a socket:
 * refused without blocking or reading), EFBIG (past the limit), or open/read's. */
char *th_read_file(const char *path, size_t *len_out) TH_MUST_CHECK;
/* The same for a file the user named: NULL with TH_INPUT saying, in one line, the
 * file and why (its kind, the limit, or the system's reason). */
char *th_read_input(const char *path, size_t *len_out, struct th_error *err) TH_MUST_CHECK;
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
