/* The generated test PKI as a folder: made in a temporary sibling folder and moved
 * into place as a whole, so a reader sees either the old PKI or the new one; reused
 * while its manifest says it is complete and good; names resolved to files. What
 * the objects are is pki_objects.c's, how they are built pki_x509.c's. */
#include "pki.h"
#include "pki_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A system call failed on path: a fault at the caller's place (FAIL_ERRNO). Returns -1. */
static int fail_errno_at(struct th_error *err, const char *file, int line, const char *what,
                         const char *path)
{
    int e = errno;
    th_error_at(err, TH_INTERNAL_ERROR, e, file, line, "PKI: cannot %s %s: %s", what, path,
                strerror(e));
    return -1;
}
#define FAIL_ERRNO(err, what, path) fail_errno_at((err), __FILE__, __LINE__, (what), (path))

/* manifest.json: every object's name, so a reader can list what this PKI holds. */
static int write_manifest(struct th_pki_gen *g)
{
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof buf,
                                "{\"generator\":\"tlsharness\",\"format\":%d,\"created\":%lld,"
                                "\"good_until\":%lld,\"objects\":[\"crl\"",
                                TH_PKI_FORMAT, (long long)g->now, (long long)g->good_until);
    for (size_t i = 0; th_pki_cas[i] && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"%s\"", th_pki_cas[i]);
    for (size_t i = 0; th_pki_leaves[i] && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"%s\"", th_pki_leaves[i]);
    for (size_t i = 0; th_pki_ocsp[i] && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"%s\"", th_pki_ocsp[i]);
    if (n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "]}\n");
    if (n >= sizeof buf) {
        TH_FAULT(g->err, 0, "PKI: manifest too long");
        return -1;
    }
    char *path = th_xasprintf("%s/manifest.json", g->dir);
    int rc = th_pki_write_file(path, buf, n, 0644);
    if (rc < 0)
        FAIL_ERRNO(g->err, "write", path);
    free(path);
    return rc;
}

static int gen_all(struct th_pki_gen *g)
{
    TH_GUARD(th_pki_make_objects(g));
    return write_manifest(g); /* last: its presence marks the folder complete */
}

/* ---- folders ---- */

/* Remove a folder and the files in it (the PKI folder is flat). */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

static int json_ll(const char *text, const char *key, long long *out)
{
    const char *p = strstr(text, key);
    if (!p)
        return 0;
    p += strlen(key);
    p += strspn(p, " \t\r\n");
    if (*p++ != ':')
        return 0;
    return sscanf(p, "%lld", out) == 1;
}

static int file_nonempty(const char *dir, const char *name, const char *suffix)
{
    char *path = th_xasprintf("%s/%s%s", dir, name, suffix);
    struct stat st;
    int ok = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    free(path);
    return ok;
}

/* True when dir holds a complete PKI of this format good until after min_until. */
static int dir_complete(const char *dir, time_t min_until)
{
    char *path = th_xasprintf("%s/manifest.json", dir);
    char *text = th_read_file(path, NULL);
    free(path);
    long long format = 0, until = 0;
    int ok = text && strstr(text, "\"tlsharness\"") && json_ll(text, "\"format\"", &format) &&
             format == TH_PKI_FORMAT && json_ll(text, "\"good_until\"", &until) &&
             until > (long long)min_until;
    free(text);
    for (size_t i = 0; ok && th_pki_cas[i]; i++)
        ok = file_nonempty(dir, th_pki_cas[i], ".pem");
    ok = ok && file_nonempty(dir, "crl", ".pem");
    for (size_t i = 0; ok && th_pki_leaves[i]; i++)
        ok = file_nonempty(dir, th_pki_leaves[i], ".pem") &&
             file_nonempty(dir, th_pki_leaves[i], ".chain.pem") &&
             file_nonempty(dir, th_pki_leaves[i], ".key.pem");
    return ok;
}

/* Move the finished tmp folder to dir. rename(2) cannot replace a non-empty folder,
 * so an existing dir is first moved aside; if another process put a complete PKI in
 * place between the two renames, theirs is as good as ours. */
static int install_dir(const char *tmp, const char *dir, struct th_error *err)
{
    if (rename(tmp, dir) == 0)
        return 0;
    if (errno != ENOTEMPTY && errno != EEXIST)
        return FAIL_ERRNO(err, "move the new PKI into", dir);
    char *old = th_xasprintf("%s.old.%ld", dir, (long)getpid());
    remove_flat_dir(old);
    int rc = 0;
    if (rename(dir, old) != 0 && errno != ENOENT)
        rc = FAIL_ERRNO(err, "move the old PKI out of", dir);
    else if (rename(tmp, dir) != 0) {
        if ((errno == ENOTEMPTY || errno == EEXIST) && dir_complete(dir, time(NULL)))
            remove_flat_dir(tmp);
        else
            rc = FAIL_ERRNO(err, "move the new PKI into", dir);
    }
    remove_flat_dir(old);
    free(old);
    return rc;
}

/* dir without trailing slashes, so DIR.tmp.PID is a sibling, never a child. */
static char *trim_dir(const char *dir)
{
    char *d = th_xstrdup(dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

int th_pki_generate(const char *dir, struct th_error *err)
{
    char *target = trim_dir(dir);
    struct th_pki_gen g = {.now = time(NULL), .err = err};
    g.dir = th_xasprintf("%s.tmp.%ld", target, (long)getpid());
    int rc = -1;
    th_error_clear(err);
    remove_flat_dir(g.dir); /* a leftover of a crashed run with our pid */
    if (!*target || th_mkdirs(g.dir) < 0)
        FAIL_ERRNO(err, "create folder", g.dir);
    else if (gen_all(&g) == 0)
        rc = install_dir(g.dir, target, err);
    if (rc < 0)
        remove_flat_dir(g.dir);
    th_pki_gen_free(&g);
    free(g.dir);
    free(target);
    return rc;
}

int th_pki_ensure(const char *dir, struct th_error *err)
{
    if (dir_complete(dir, time(NULL) + TH_PKI_DAY))
        return 0;
    return th_pki_generate(dir, err);
}

/* ---- names ---- */

static int in_list(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

static int is_leaf(const char *name)
{
    return in_list(name, th_pki_leaves);
}
static int is_ca_name(const char *name)
{
    return in_list(name, th_pki_cas);
}

int th_pki_known(const char *name, enum th_pki_use use)
{
    if (!name)
        return 0;
    switch (use) {
    case TH_PKI_CA: return is_ca_name(name) || is_leaf(name);
    case TH_PKI_CRL: return strcmp(name, "crl") == 0;
    case TH_PKI_CHAIN:
    case TH_PKI_KEY: return is_leaf(name);
    case TH_PKI_OCSP: return in_list(name, th_pki_ocsp);
    }
    return 0;
}

static const char *const use_desc[] = {
    [TH_PKI_CA] = "a certificate",          [TH_PKI_CRL] = "a CRL",
    [TH_PKI_CHAIN] = "a certificate chain", [TH_PKI_KEY] = "a private key",
    [TH_PKI_OCSP] = "an OCSP response",
};

/* The names, as many as fit in a message; `tlsharness pki` lists them all. */
static void unknown_name(const char *name, struct th_error *err)
{
    char known[320] = "crl";
    size_t n = strlen(known), i = 0, j = 0;
    while ((th_pki_cas[i] || th_pki_leaves[j]) && n + 48 < sizeof known) {
        const char *s = th_pki_cas[i] ? th_pki_cas[i++] : th_pki_leaves[j++];
        n += (size_t)snprintf(known + n, sizeof known - n, ", %s", s);
    }
    TH_INPUT(err, "unknown PKI object '%s' (known: %s%s)", name, known,
             th_pki_leaves[j] ? ", ...: `tlsharness pki` lists them all" : "");
}

static const char *use_suffix(enum th_pki_use use)
{
    switch (use) {
    case TH_PKI_CHAIN: return ".chain.pem";
    case TH_PKI_KEY: return ".key.pem";
    case TH_PKI_OCSP: return ".der";
    default: return ".pem";
    }
}

int th_pki_path(const char *dir, const char *name, enum th_pki_use use, char *out, size_t cap,
                struct th_error *err)
{
    if (!name || (!is_leaf(name) && !is_ca_name(name) && !in_list(name, th_pki_ocsp) &&
                  strcmp(name, "crl") != 0)) {
        unknown_name(name ? name : "(null)", err);
        return -1;
    }
    if (!th_pki_known(name, use)) {
        TH_INPUT(err, "'%s' is not %s", name,
                 (unsigned)use < TH_ARRAY_LEN(use_desc) ? use_desc[use] : "usable here");
        return -1;
    }
    int n = snprintf(out, cap, "%s/%s%s", dir, name, use_suffix(use));
    if (n < 0 || (size_t)n >= cap) {
        TH_FAULT(err, ENAMETOOLONG, "path of PKI object '%s' in %s is too long", name, dir);
        return -1;
    }
    return 0;
}
