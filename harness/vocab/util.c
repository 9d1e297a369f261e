#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

static void oom(void)
{
    fputs("tlsharness: out of memory\n", stderr);
    exit(3);
}

void *th_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *th_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *th_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *th_xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        oom();
    return p;
}

char *th_xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return s;
}

void th_strlcpy(char *dst, const char *src, size_t cap)
{
    if (!cap)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t th_now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}
uint64_t th_thread_cpu_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

double th_wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void th_iso8601(double t, char *out, size_t cap)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- whole files: regular files only, bounded ---- */

/* What a non-regular file is, for a message. */
static const char *file_kind(mode_t m)
{
    return S_ISDIR(m)    ? "a folder"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISLNK(m)  ? "a symbolic link"
                         : "something";
}

/* The errno of a refusal to read or replace a file of mode m. */
static int refusal(mode_t m)
{
    return S_ISDIR(m) ? EISDIR : EINVAL;
}

static void close_keep_errno(int fd)
{
    int e = errno;
    close(fd);
    errno = e;
}

/* The file at path, whole. Only a regular file: a FIFO would block forever and a
 * device (/dev/zero) never end. *mode gets the mode of a file refused for its kind
 * (else 0). NULL with errno (th_read_file's contract). */
static char *read_whole(const char *path, size_t *len_out, mode_t *mode)
{
    struct stat st;
    *mode = 0;
    if (stat(path, &st) != 0)
        return NULL;
    if (!S_ISREG(st.st_mode)) {
        *mode = st.st_mode;
        errno = refusal(st.st_mode);
        return NULL;
    }
    /* O_NONBLOCK: should a FIFO take the file's place after stat, open does not
     * wait for a writer (and fstat below refuses it) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0) {
        close_keep_errno(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)TH_READ_MAX) {
        *mode = S_ISREG(st.st_mode) ? 0 : st.st_mode;
        close(fd);
        errno = *mode ? refusal(*mode) : EFBIG;
        return NULL;
    }
    /* st_size is a hint only: /proc files say 0, and a file may grow while read */
    size_t cap = (size_t)st.st_size + 2 > 4096 ? (size_t)st.st_size + 2 : 4096, len = 0;
    char *buf = th_xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = th_xrealloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || len + (size_t)(n > 0 ? n : 0) > TH_READ_MAX) {
            if (n >= 0)
                errno = EFBIG;
            close_keep_errno(fd);
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

char *th_read_file(const char *path, size_t *len_out)
{
    mode_t mode;
    return read_whole(path, len_out, &mode);
}

char *th_read_input(const char *path, size_t *len_out, struct th_error *err)
{
    mode_t mode;
    char *text = read_whole(path, len_out, &mode);
    char p[256];
    if (text)
        return text;
    th_text_safe(p, sizeof p, path);
    if (mode)
        TH_INPUT(err, "%s: cannot read: it is %s, not a regular file", p, file_kind(mode));
    else if (errno == EFBIG)
        TH_INPUT(err, "%s: cannot read: larger than %zu MiB, the limit for an input file", p,
                 (size_t)TH_READ_MAX >> 20);
    else
        TH_INPUT(err, "%s: cannot read: %s", p, strerror(errno));
    return NULL;
}

/* The file a link at path names: its text, joined to the link's folder when it is
 * relative. NULL with errno. */
static char *link_target(const char *path)
{
    size_t cap = 256;
    for (;;) {
        char *buf = th_xmalloc(cap);
        ssize_t n = readlink(path, buf, cap);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            const char *slash = strrchr(path, '/');
            if (buf[0] == '/' || !slash)
                return buf;
            char *joined = th_xasprintf("%.*s/%s", (int)(slash - path), path, buf);
            free(buf);
            return joined;
        }
        free(buf);
        cap *= 2;
    }
}

/* Where a write to path lands: path itself, or the file a symbolic link names
 * (through further links), so that the link stays a link. 0 with *target (to free)
 * and *mode (0: nothing there yet, the rename makes it). -1 with errno (EISDIR,
 * EINVAL for another kind, ELOOP, or lstat's); *target is then the offending path
 * (or NULL) and *mode its kind. */
static int write_target(const char *path, char **target, mode_t *mode)
{
    char *cur = th_xstrdup(path);
    *mode = 0;
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0) {
            *target = cur;
            *mode = 0; /* not a link's 0777 passed on to the file made */
            return errno == ENOENT ? 0 : -1;
        }
        *mode = st.st_mode;
        if (S_ISREG(st.st_mode)) {
            *target = cur;
            return 0;
        }
        if (!S_ISLNK(st.st_mode)) {
            *target = cur;
            errno = refusal(st.st_mode);
            return -1;
        }
        char *next = link_target(cur);
        if (!next) {
            *target = cur;
            return -1;
        }
        free(cur);
        cur = next;
    }
    *target = cur;
    *mode = 0;
    errno = ELOOP;
    return -1;
}

/* A new temporary beside target, opened for writing; never through a link someone
 * left at its name (O_EXCL | O_NOFOLLOW). NULL with errno. */
static char *open_temp(const char *target, int *fd)
{
    static unsigned counter; /* threads of one process each get their own name */
    for (int tries = 0; tries < 100; tries++) {
        unsigned k = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
        char *tmp = th_xasprintf("%s.tmp.%ld.%u", target, (long)getpid(), k);
        *fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (*fd >= 0)
            return tmp;
        free(tmp);
        if (errno != EEXIST)
            return NULL;
    }
    return NULL;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Is target still a regular file or nothing, just before the rename: narrows the
 * window in which something else could take its place since write_target. */
static int still_replaceable(const char *target)
{
    struct stat st;
    if (lstat(target, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISREG(st.st_mode))
        return 0;
    errno = refusal(st.st_mode);
    return -1;
}

int th_write_file_atomic(const char *path, const void *data, size_t len)
{
    char *target, *tmp;
    mode_t mode;
    int fd = -1;
    if (write_target(path, &target, &mode) != 0 || !(tmp = open_temp(target, &fd))) {
        int e = errno;
        free(target);
        errno = e;
        return -1;
    }
    /* a file replaced keeps its permissions (a 0600 results file stays private) */
    int rc =
        (mode && fchmod(fd, mode & 0777) != 0) || write_all(fd, data, len) != 0 || fsync(fd) != 0
            ? -1
            : 0;
    if (close(fd) != 0 && rc == 0)
        rc = -1;
    if (rc == 0 && (still_replaceable(target) != 0 || rename(tmp, target) != 0))
        rc = -1;
    int e = errno;
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    free(target);
    errno = e;
    return rc;
}

/* The folder path is in: "." for a bare name, "/" for a name at the root. */
static char *parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return th_xstrdup(".");
    return slash == path ? th_xstrdup("/") : th_xasprintf("%.*s", (int)(slash - path), path);
}

/* The folder the temporary will be made in: it, or the nearest folder above it
 * that exists (th_mkdirs makes the rest), must be a folder the caller can write. */
static int folder_writable(const char *p, const char *target, struct th_error *err)
{
    char *dir = parent_of(target), where[256];
    struct stat st;
    int rc = 0;
    while (stat(dir, &st) != 0 && errno == ENOENT && strcmp(dir, ".") != 0 &&
           strcmp(dir, "/") != 0) {
        char *up = parent_of(dir);
        free(dir);
        dir = up;
    }
    th_text_safe(where, sizeof where, dir);
    if (stat(dir, &st) != 0)
        TH_INPUT(err, "%s: cannot write in %s: %s", p, where, strerror(errno)), rc = -1;
    else if (!S_ISDIR(st.st_mode))
        TH_INPUT(err, "%s: cannot write in %s: it is not a folder", p, where), rc = -1;
    else if (access(dir, W_OK | X_OK) != 0)
        TH_INPUT(err, "%s: cannot write in folder %s: %s", p, where, strerror(errno)), rc = -1;
    free(dir);
    return rc;
}

int th_output_check(const char *path, struct th_error *err)
{
    char p[256], found[256], *target = NULL;
    mode_t mode;
    if (!path || !*path) {
        TH_INPUT(err, "an empty path names no file to write");
        return -1;
    }
    th_text_safe(p, sizeof p, path);
    int rc = write_target(path, &target, &mode);
    int e = errno;
    th_text_safe(found, sizeof found, target);
    int via_link = target && strcmp(target, path) != 0;
    if (rc != 0 && mode && via_link)
        TH_INPUT(err, "%s: a symbolic link to %s, which is %s, not a regular file", p, found,
                 file_kind(mode));
    else if (rc != 0 && mode)
        TH_INPUT(err, "%s: it is %s, not a regular file", p, file_kind(mode));
    else if (rc != 0)
        TH_INPUT(err, "%s: cannot write: %s", p, strerror(e));
    else
        rc = folder_writable(p, target, err);
    free(target);
    return rc;
}

int th_mkdirs(const char *path)
{
    char *p = th_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0755);
    struct stat st;
    if (rc != 0 && errno == EEXIST && stat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR; /* a file stands where the folder should be */
        rc = -1;
    } else if (rc != 0 && errno == EEXIST) {
        rc = 0;
    }
    free(p);
    return rc;
}

uint64_t th_hash64(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Byte i of the stream is a function of (seed, i / 8) only, so any slice can be
 * regenerated independently: splitmix64 over the 8-byte block index. */
void th_pattern_fill(uint64_t seed, uint64_t offset, void *buf, size_t len)
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

size_t th_utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        if (cp)
            *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    if (cp)
        *cp = v;
    return n;
}
