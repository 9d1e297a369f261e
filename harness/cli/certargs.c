/* serve's and fixture's certificate options (certargs.h). */
#include "certargs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "harness/scenario/pemcheck.h"

/* An OCSP response is a few KiB; a bigger file is a wrong path. */
#define OCSP_MAX (1u << 20)

/* Each step returns 0 or the exit status, said already: pass a non-zero one on. */
#define PASS_ON(x)                                                                                 \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_)                                                                                   \
            return rc_;                                                                            \
    } while (0)

TH_PRINTF(1, 2) static int bad(const char *fmt, ...)
{
    char msg[2 * PATH_MAX + 512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return th_cli_usage_error("%s", msg);
}

static int is_pki(const char *ref)
{
    return strncmp(ref, "pki:", 4) == 0;
}

/* A user's file as an absolute path into out: it must be a regular file. A name of
 * the test PKI for use given without "pki:" is said as such. */
static int user_file(const char *cmd, const char *opt, const char *path, enum th_pki_use use,
                     char *out)
{
    struct stat st;
    if (!*path)
        return bad("%s: %s: empty file name", cmd, opt);
    if (stat(path, &st) != 0 && th_pki_known(path, use))
        return bad("%s: %s: no file %s: the test PKI's is pki:%s", cmd, opt, path, path);
    if (stat(path, &st) != 0)
        return bad("%s: %s: cannot read %s: %s", cmd, opt, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return bad("%s: %s: %s is not a regular file", cmd, opt, path);
    if (!realpath(path, out))
        return bad("%s: %s: cannot resolve %s: %s", cmd, opt, path, strerror(errno));
    return 0;
}

/* The PKI, made or reused once, the first time an option names it; its folder
 * absolute in dir. */
struct pki_state {
    const char *given;
    char dir[PATH_MAX];
    int ready;
};

static int pki_ready(struct pki_state *p)
{
    struct th_error err;
    if (p->ready)
        return 0;
    if (th_pki_ensure(p->given, &err) != 0)
        return th_cli_fail(&err, "test PKI in %s", p->given);
    if (!realpath(p->given, p->dir)) {
        TH_FAULT(&err, errno, "%s: %s", p->given, strerror(errno));
        return th_cli_fail(&err, "test PKI");
    }
    p->ready = 1;
    return 0;
}

/* A pki object's file for use into out; what the option is named for in messages. */
static int pki_file(struct pki_state *p, const char *cmd, const char *opt, const char *name,
                    enum th_pki_use use, const char *what, char *out)
{
    struct th_error err;
    int rc;
    if (!th_pki_known(name, use))
        return bad("%s: %s: '%s' is not %s of the test PKI (see scenarios/README.md)", cmd, opt,
                   name, what);
    if ((rc = pki_ready(p)) != 0)
        return rc;
    if (th_pki_path(p->dir, name, use, out, PATH_MAX, &err) != 0)
        return th_cli_fail(&err, "%s: %s", cmd, opt);
    return 0;
}

/* --cert and --key: a pki leaf alone, or a chain file with its key file. */
static int resolve_identity(struct pki_state *p, const char *cmd, const struct th_cert_args *a,
                            struct th_cert_files *out)
{
    const char *cert = a->cert ? a->cert : "rsa2048";
    const char *name = is_pki(cert) ? cert + 4 : cert;
    char why[2 * PATH_MAX + 256];
    struct stat st;
    if (!a->key) {
        if (!is_pki(cert) && !th_pki_known(name, TH_PKI_CHAIN) && stat(cert, &st) == 0)
            return bad("%s: --cert: %s is a file: a chain file needs its private key, --key FILE",
                       cmd, cert);
        if (!th_pki_known(name, TH_PKI_CHAIN))
            return bad("%s: --cert: '%s' is neither a pki leaf (see 'tlsharness pki') nor a "
                       "file given with --key FILE",
                       cmd, cert);
        PASS_ON(pki_file(p, cmd, "--cert", name, TH_PKI_CHAIN, "a leaf", out->chain));
        return pki_file(p, cmd, "--cert", name, TH_PKI_KEY, "a leaf", out->key);
    }
    if (!a->cert)
        return bad("%s: --key goes with --cert FILE (the chain the key belongs to)", cmd);
    if (is_pki(cert))
        return bad("%s: --key: %s comes with its own key: leave --key out", cmd, cert);
    PASS_ON(user_file(cmd, "--cert", cert, TH_PKI_CHAIN, out->chain));
    PASS_ON(user_file(cmd, "--key", a->key, TH_PKI_KEY, out->key));
    if (th_pem_check_cert(out->chain, why, sizeof(why)) != 0)
        return bad("%s: --cert: %s", cmd, why);
    if (th_pem_check_key(out->key, why, sizeof(why)) != 0 ||
        th_pem_check_pair(out->chain, out->key, why, sizeof(why)) != 0)
        return bad("%s: --key: %s", cmd, why);
    return 0;
}

/* The first bytes of a DER OCSPResponse are a SEQUENCE tag: a PEM or text file given
 * by mistake is said as such. What the response says is left to the libraries (a
 * stale or foreign response is a thing to serve on purpose). */
static int check_ocsp_file(const char *cmd, const char *path)
{
    unsigned char head[11] = {0};
    struct stat st;
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof(head) - 1, f) : 0;
    if (f)
        fclose(f);
    if (!f)
        return bad("%s: --ocsp: cannot read %s: %s", cmd, path, strerror(errno));
    if (stat(path, &st) == 0 && st.st_size > (off_t)OCSP_MAX)
        return bad("%s: --ocsp: %s is %lld bytes: not an OCSP response (at most %u)", cmd, path,
                   (long long)st.st_size, OCSP_MAX);
    if (n == 0)
        return bad("%s: --ocsp: %s is empty", cmd, path);
    if (memcmp(head, "-----BEGIN", 10) == 0)
        return bad("%s: --ocsp: %s is PEM: a staple is DER (openssl ocsp -respout writes it)", cmd,
                   path);
    if (head[0] != 0x30)
        return bad("%s: --ocsp: %s is not a DER OCSP response (it does not start with a "
                   "SEQUENCE)",
                   cmd, path);
    return 0;
}

int th_cert_args_resolve(const char *cmd, const struct th_cert_args *a, const char *pki_dir,
                         struct th_cert_files *out)
{
    struct pki_state p = {.given = pki_dir};
    char why[PATH_MAX + 256];
    memset(out, 0, sizeof(*out));
    PASS_ON(resolve_identity(&p, cmd, a, out));
    if (a->client_ca && is_pki(a->client_ca)) {
        PASS_ON(pki_file(&p, cmd, "--client-ca", a->client_ca + 4, TH_PKI_CA, "a certificate",
                         out->client_ca));
    } else if (a->client_ca) {
        PASS_ON(user_file(cmd, "--client-ca", a->client_ca, TH_PKI_CA, out->client_ca));
        if (th_pem_check_cert(out->client_ca, why, sizeof(why)) != 0)
            return bad("%s: --client-ca: %s", cmd, why);
    }
    if (a->ocsp && is_pki(a->ocsp)) {
        PASS_ON(
            pki_file(&p, cmd, "--ocsp", a->ocsp + 4, TH_PKI_OCSP, "an OCSP response", out->ocsp));
    } else if (a->ocsp) {
        PASS_ON(user_file(cmd, "--ocsp", a->ocsp, TH_PKI_OCSP, out->ocsp));
        PASS_ON(check_ocsp_file(cmd, out->ocsp));
    }
    return 0;
}
