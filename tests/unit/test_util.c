/* The small shared helpers (harness/vocab/util.c): bounded copies, whole-file reads
 * and atomic writes (and what a failed one leaves behind), mkdir -p, the payload
 * pattern, the id hash and the ISO-8601 clock format. */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness/vocab/util.h"

static char root[64];

/* Entries of dir other than . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return d ? n : -1;
}

static void test_strlcpy(void)
{
    char buf[8];
    th_strlcpy(buf, "abc", sizeof(buf));
    is_str(buf, "abc", "a short string is copied whole");
    th_strlcpy(buf, "abcdefghijkl", sizeof(buf));
    is_str(buf, "abcdefg", "a long one is cut to cap-1 and terminated");
    th_strlcpy(buf, "12345678", sizeof(buf));
    is_str(buf, "1234567", "exactly cap bytes: the last is cut");
    memcpy(buf, "zzzz", 5);
    th_strlcpy(buf, "abc", 0);
    is_str(buf, "zzzz", "cap 0 writes nothing");
    th_strlcpy(buf, "abc", 1);
    is_str(buf, "", "cap 1: the empty string");
    th_strlcpy(buf, NULL, sizeof(buf));
    is_str(buf, "", "NULL copies as empty");
}

static void test_files(void)
{
    char *path = th_xasprintf("%s/f.txt", root);
    ok(th_write_file_atomic(path, "hello\0world", 11) == 0, "write a file atomically");
    size_t len = 0;
    char *text = th_read_file(path, &len);
    ok(text && len == 11 && memcmp(text, "hello\0world", 11) == 0 && text[11] == '\0',
       "read it back: every byte, NUL-terminated, NULs inside kept");
    free(text);
    ok(th_write_file_atomic(path, "x", 1) == 0 && (text = th_read_file(path, NULL)) &&
           strcmp(text, "x") == 0,
       "a second write replaces the file");
    free(text);
    ok(th_write_file_atomic(path, "", 0) == 0 && (text = th_read_file(path, &len)) && len == 0,
       "an empty file");
    free(text);
    is_int(entries(root), 1, "no temporary left beside it");

    char *missing = th_xasprintf("%s/no/such/folder/f.txt", root);
    errno = 0;
    ok(th_write_file_atomic(missing, "x", 1) == -1 && errno == ENOENT,
       "a path in a missing folder: -1, ENOENT");
    is_int(entries(root), 1, "and nothing written anywhere");
    char *sub = th_xasprintf("%s/adir", root);
    ok(th_mkdirs(sub) == 0, "make a folder");
    errno = 0;
    ok(th_write_file_atomic(sub, "x", 1) == -1 && errno != 0, "over a folder: -1 with errno");
    is_int(entries(root), 2, "and its temporary is removed");

    errno = 0;
    ok(th_read_file(missing, &len) == NULL && errno == ENOENT, "read a missing file: NULL, ENOENT");
    ok(th_read_file(sub, NULL) == NULL && errno != 0, "read a folder: NULL with errno");
    /* bigger than the first read buffer */
    size_t n = 100000;
    char *big = th_xmalloc(n);
    th_pattern_fill(7, 0, big, n);
    ok(th_write_file_atomic(path, big, n) == 0 && (text = th_read_file(path, &len)) && len == n &&
           memcmp(text, big, n) == 0,
       "100 kB round-trips");
    free(text), free(big), free(sub), free(missing), free(path);
}

/* ---- only regular files are read, and only so much ---- */

static char *at(const char *name)
{
    return th_xasprintf("%s/%s", root, name);
}

static void test_read_limits(void)
{
    char *fifo = at("pipe"), *big = at("big"), *edge = at("edge"), *folder = at("rfolder");
    size_t len = 0;
    struct th_error err;
    ok(mkfifo(fifo, 0600) == 0, "make a FIFO nothing writes to");
    uint64_t t0 = th_now_ns();
    errno = 0;
    ok(th_read_file(fifo, &len) == NULL && errno == EINVAL, "a FIFO: NULL, EINVAL");
    ok(th_now_ns() - t0 < 2000000000ull, "without waiting for a writer");
    errno = 0;
    ok(th_read_file("/dev/zero", &len) == NULL && errno == EINVAL,
       "/dev/zero: NULL, EINVAL, and no memory eaten");
    ok(th_mkdirs(folder) == 0, "a folder");
    errno = 0;
    ok(th_read_file(folder, NULL) == NULL && errno == EISDIR, "a folder: NULL, EISDIR");

    int fd = open(edge, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ok(fd >= 0 && ftruncate(fd, (off_t)TH_READ_MAX) == 0, "a file of exactly the limit");
    close(fd);
    char *text = th_read_file(edge, &len);
    ok(text && len == TH_READ_MAX, "is read whole");
    free(text);
    fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ok(fd >= 0 && ftruncate(fd, (off_t)TH_READ_MAX + 1) == 0, "one byte more");
    close(fd);
    errno = 0;
    ok(th_read_file(big, &len) == NULL && errno == EFBIG, "is refused: NULL, EFBIG");
    char *proc = th_read_file("/proc/self/status", &len);
    ok(proc != NULL && len > 0, "a /proc file (st_size 0) is still read to its end");
    free(proc);

    ok(th_read_input(fifo, &len, &err) == NULL && err.input &&
           strstr(err.text, "/pipe: cannot read: it is a FIFO, not a regular file"),
       "th_read_input: the FIFO named, and what it is");
    ok(th_read_input("/dev/zero", &len, &err) == NULL &&
           strcmp(err.text, "/dev/zero: cannot read: it is a character device, not a regular "
                            "file") == 0,
       "th_read_input: the device named, and what it is");
    ok(th_read_input(big, &len, &err) == NULL &&
           strstr(err.text, "/big: cannot read: larger than 64 MiB, the limit for an input file"),
       "th_read_input: the file and the limit");
    ok(th_read_input(folder, &len, &err) == NULL && strstr(err.text, "it is a folder"),
       "th_read_input: a folder");
    ok(th_read_input("/no/such\nfile\x1b[2J", &len, &err) == NULL && err.input &&
           strcmp(err.text, "/no/such\\nfile\\x1b[2J: cannot read: No such file or directory") == 0,
       "th_read_input: a missing file, its name escaped to one line");
    unlink(fifo), unlink(big), unlink(edge), rmdir(folder);
    free(fifo), free(big), free(edge), free(folder);
}

/* ---- writes replace a regular file or nothing, through links ---- */

static int is_kind(const char *path, mode_t kind)
{
    struct stat st;
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == kind;
}

static int holds(const char *path, const char *want)
{
    char *text = th_read_file(path, NULL);
    int same = text && strcmp(text, want) == 0;
    free(text);
    return same;
}

static void test_write_targets(void)
{
    char *w = at("w"), *file = at("w/file"), *link = at("w/link"), *dangling = at("w/dangling"),
         *fifo = at("w/fifo"), *lfifo = at("w/to-fifo"), *loop = at("w/loop"), *dev = at("w/null"),
         *sub = at("w/sub"), *rel = at("w/sub/rel");
    ok(th_mkdirs(sub) == 0, "a folder to write in");
    ok(th_write_file_atomic(file, "one", 3) == 0 && symlink(file, link) == 0,
       "a file and a link to it");
    ok(th_write_file_atomic(link, "two", 3) == 0, "a write through the link");
    ok(is_kind(link, S_IFLNK) && holds(file, "two"), "replaced the file; the link stays a link");
    ok(symlink("../file", rel) == 0 && th_write_file_atomic(rel, "three", 5) == 0 &&
           is_kind(rel, S_IFLNK) && holds(file, "three"),
       "a relative link is followed from its own folder");
    ok(symlink("made-by-write", dangling) == 0 && th_write_file_atomic(dangling, "new", 3) == 0,
       "a link to nothing yet");
    char *made = at("w/made-by-write");
    ok(is_kind(dangling, S_IFLNK) && is_kind(made, S_IFREG) && holds(made, "new"),
       "makes the file it names; the link stays");
    struct stat st;
    ok(stat(made, &st) == 0 && !(st.st_mode & (S_IWOTH | S_IXUSR)),
       "with a new file's permissions, not the link's 0777");

    ok(chmod(file, 0600) == 0 && th_write_file_atomic(file, "four", 4) == 0, "a 0600 file");
    ok(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600, "keeps its permissions when replaced");

    ok(mkfifo(fifo, 0600) == 0, "a FIFO");
    errno = 0;
    ok(th_write_file_atomic(fifo, "x", 1) == -1 && errno == EINVAL && is_kind(fifo, S_IFIFO),
       "over a FIFO: refused, EINVAL, the FIFO untouched");
    ok(symlink(fifo, lfifo) == 0, "a link to the FIFO");
    errno = 0;
    ok(th_write_file_atomic(lfifo, "x", 1) == -1 && errno == EINVAL && is_kind(lfifo, S_IFLNK) &&
           is_kind(fifo, S_IFIFO),
       "through a link to a FIFO: refused, both untouched");
    errno = 0;
    ok(th_write_file_atomic(sub, "x", 1) == -1 && errno == EISDIR && is_kind(sub, S_IFDIR),
       "over a folder: EISDIR");
    ok(symlink("loop", loop) == 0, "a link to itself");
    errno = 0;
    ok(th_write_file_atomic(loop, "x", 1) == -1 && errno == ELOOP && is_kind(loop, S_IFLNK),
       "a link loop: ELOOP");
    /* the repro: `mknod X c 1 3; run -o X` left a regular file */
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        errno = 0;
        ok(th_write_file_atomic(dev, "x", 1) == -1 && errno == EINVAL && is_kind(dev, S_IFCHR),
           "over a character device: refused, still a device");
        struct th_error err;
        ok(th_output_check(dev, &err) == -1 && err.input &&
               strstr(err.text, "/w/null: it is a character device, not a regular file"),
           "th_output_check says so before a run");
        unlink(dev);
    } else {
        skip(2, "mknod needs root");
    }
    /* file, link, dangling, made-by-write, fifo, to-fifo, loop, sub */
    is_int(entries(w), 8, "no temporary left in the folder: only what the test made");
    free(made), free(w), free(file), free(link), free(dangling), free(fifo), free(lfifo);
    free(loop), free(dev), free(sub), free(rel);
}

static void test_output_check(void)
{
    struct th_error err;
    char *file = at("w/file"), *lfifo = at("w/to-fifo"), *deep = at("w/new/a/b/r.json"),
         *under = at("w/file/r.json"), *odd = at("w/fifo\n\x1b[2J");
    ok(th_output_check(file, &err) == 0, "a regular file: fine");
    ok(th_output_check(deep, &err) == 0, "a path whose folders are still to make: fine");
    ok(th_output_check("r.json", &err) == 0, "a bare name in this folder: fine");
    ok(th_output_check(lfifo, &err) == -1 && err.input &&
           strstr(err.text, "/w/to-fifo: a symbolic link to ") &&
           strstr(err.text, "/w/fifo, which is a FIFO, not a regular file"),
       "a link to a FIFO: refused, saying where it leads");
    char *sub = at("w/sub");
    ok(th_output_check(sub, &err) == -1 && strstr(err.text, "it is a folder"), "a folder: refused");
    ok(th_output_check(under, &err) == -1 && err.input && strstr(err.text, "/w/file/r.json") &&
           strstr(err.text, "Not a directory"),
       "under a regular file: refused, named");
    ok(th_output_check("", &err) == -1 && err.input, "an empty path: refused");
    ok(mkfifo(odd, 0600) == 0, "a FIFO with a newline and an escape in its name");
    ok(th_output_check(odd, &err) == -1 && strstr(err.text, "/w/fifo\\n\\x1b[2J: it is a FIFO") &&
           !strchr(err.text, '\n') && !strchr(err.text, '\x1b'),
       "its name escaped: one line");
    char *ro = at("w/ro"), *in_ro = at("w/ro/r.json");
    ok(th_mkdirs(ro) == 0 && chmod(ro, 0500) == 0, "a folder without write permission");
    if (geteuid() != 0)
        ok(th_output_check(in_ro, &err) == -1 && strstr(err.text, "cannot write in folder") &&
               strstr(err.text, "Permission denied"),
           "a file in it: refused, the folder named");
    else
        skip(1, "root writes anywhere");
    chmod(ro, 0700);
    unlink(odd);
    free(file), free(lfifo), free(deep), free(under), free(odd), free(ro), free(in_ro), free(sub);
}

static void test_mkdirs(void)
{
    char *deep = th_xasprintf("%s/a/b/c", root);
    struct stat st;
    ok(th_mkdirs(deep) == 0 && stat(deep, &st) == 0 && S_ISDIR(st.st_mode),
       "mkdir -p makes every level");
    ok(th_mkdirs(deep) == 0, "again: nothing to do, 0");
    char *slash = th_xasprintf("%s/a/b/d/", root);
    ok(th_mkdirs(slash) == 0, "a trailing slash is fine");
    char *file = th_xasprintf("%s/a/file", root), *under = th_xasprintf("%s/a/file/x", root);
    ok(th_write_file_atomic(file, "x", 1) == 0, "a file in the way");
    errno = 0;
    ok(th_mkdirs(file) == -1 && errno == ENOTDIR, "where a file stands: -1, ENOTDIR");
    errno = 0;
    ok(th_mkdirs(under) == -1 && errno == ENOTDIR, "under a file: -1, ENOTDIR");
    free(deep), free(slash), free(file), free(under);
}

static void test_pattern(void)
{
    unsigned char a[257], b[257], c[64];
    th_pattern_fill(42, 0, a, sizeof(a));
    th_pattern_fill(42, 0, b, sizeof(b));
    ok(memcmp(a, b, sizeof(a)) == 0, "the same seed gives the same bytes");
    int all = 1;
    for (uint64_t off = 0; off < 200; off += 13)
        for (size_t len = 0; len <= 57 && off + len <= sizeof(a); len += 3) {
            memset(c, 0, sizeof(c));
            th_pattern_fill(42, off, c, len);
            all &= memcmp(c, a + off, len) == 0;
        }
    ok(all, "any slice at any offset is the same bytes as the whole");
    th_pattern_fill(43, 0, b, sizeof(b));
    ok(memcmp(a, b, sizeof(a)) != 0, "another seed, other bytes");
    memset(c, 0xAA, sizeof(c));
    th_pattern_fill(42, 5, c, 0);
    ok(c[0] == 0xAA, "length 0 writes nothing");
    uint64_t far = (1ull << 40) + 3;
    th_pattern_fill(0, far, c, 16);
    th_pattern_fill(0, far + 8, b, 8);
    ok(memcmp(c + 8, b, 8) == 0, "offsets past 4 GiB stay consistent");
}

static void test_hash_time(void)
{
    /* FNV-1a's step with the basis util.c has always used (1469598103934665603, a digit
     * short of FNV's): payload seeds derive from it, so these values must not move */
    ok(th_hash64("") == 0x14650fb0739d0383ull, "the empty string hashes to the basis");
    ok(th_hash64("a") == 0x44bd8ad473cd9906ull, "\"a\" hashes as it always has");
    ok(th_hash64("cert/expired") == th_hash64("cert/expired"), "the same id, the same seed");
    ok(th_hash64("cert/expired") != th_hash64("cert/expire"), "another id, another seed");
    char buf[32];
    th_iso8601(0, buf, sizeof(buf));
    is_str(buf, "1970-01-01T00:00:00Z", "the epoch");
    th_iso8601(1700000000.75, buf, sizeof(buf));
    is_str(buf, "2023-11-14T22:13:20Z", "UTC, fractions dropped");
    uint64_t t0 = th_now_ns(), t1 = th_now_ns();
    ok(t1 >= t0, "the monotonic clock does not go back");
    ok(th_wall_clock() > 1.6e9, "the wall clock is seconds since the epoch");
}

static void test_utf8(void)
{
    uint32_t cp = 0;
    ok(th_utf8_decode((const unsigned char *)"A", &cp) == 1 && cp == 'A', "ASCII: one byte");
    ok(th_utf8_decode((const unsigned char *)"\xc3\xa9", &cp) == 2 && cp == 0xE9, "é: two bytes");
    ok(th_utf8_decode((const unsigned char *)"\xe2\x80\xa6", NULL) == 3,
       "…: three, cp may be NULL");
    ok(th_utf8_decode((const unsigned char *)"\xf0\x9f\x94\x92", &cp) == 4 && cp == 0x1F512,
       "a four-byte code point");
    ok(th_utf8_decode((const unsigned char *)"\xc0\xaf", &cp) == 0, "overlong: refused");
    ok(th_utf8_decode((const unsigned char *)"\xed\xa0\x80", &cp) == 0, "a surrogate: refused");
    ok(th_utf8_decode((const unsigned char *)"\xe2\x80", &cp) == 0, "cut at the NUL: refused");
    ok(th_utf8_decode((const unsigned char *)"\x80", &cp) == 0,
       "a lone continuation byte: refused");
}

int main(void)
{
    snprintf(root, sizeof(root), "/tmp/th-util-XXXXXX");
    if (!mkdtemp(root)) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    test_strlcpy();
    test_files();
    test_read_limits();
    test_write_targets();
    test_output_check();
    test_mkdirs();
    test_pattern();
    test_hash_time();
    test_utf8();
    char *cmd = th_xasprintf("rm -rf '%s'", root);
    ok(system(cmd) == 0, "cleanup");
    free(cmd);
    return done_testing();
}
