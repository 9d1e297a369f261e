/* Managed real servers (fixture.h): what each fixture is, as data. nginx, lighttpd
 * on each of its TLS modules, caddy: the library underneath, what it can negotiate
 * and what its configuration can restrict (caps), and whether its program (and
 * module) is installed, and which version. The other parts are fixture_check.c
 * (what a template can express), fixture_conf.c (writing the configuration),
 * fixture_run.c (running the server), fixture_pool.c and fixture_cmd.c, sharing
 * fixture_int.h. */
#include "fixture_int.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const uint64_t th_fixture_sizes[] = {1024, 16384, 65536, 1048576, 16777216, 0};

/* Go's crypto/tls as Caddy 2.6 offers it: TLS 1.3, then every suite Caddy accepts
 * by name (it refuses the SHA-2 CBC and 3DES suites: "unsupported cipher suite"). */
static const uint16_t go_suites[] = {0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C,
                                     0xC030, 0xCCA9, 0xCCA8, 0xC009, 0xC013, 0xC00A,
                                     0xC014, 0x009C, 0x009D, 0x002F, 0x0035};
static const uint16_t go_groups[] = {0x001D, 0x0017, 0x0018, 0x0019};

/* GnuTLS 3.7 through a priority string (NAMES_GNUTLS): every suite it implements
 * with a certificate the test PKI has; GnuTLS has no ARIA. No DHE: GnuTLS 3.6+
 * runs TLS 1.2 DHE only on an RFC 7919 group the client names, which OpenSSL's
 * client never does, and mod_gnutls ignores ssl.dh-file on GnuTLS 3.6+. */
static const uint16_t gnutls_suites[] = {
    0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9,
    0x009C, 0x009D, 0xC0AC, 0xC0AD, 0xC0AE, 0xC0AF, 0xC09C, 0xC09D, 0xC0A0, 0xC0A1, 0xC009,
    0xC00A, 0xC013, 0xC014, 0xC023, 0xC024, 0xC027, 0xC028, 0x002F, 0x0035, 0x003C, 0x003D,
    0xC072, 0xC073, 0xC076, 0xC077, 0x0041, 0x0084, 0x00BA, 0x00C0};
static const uint16_t ffdhe_and_ec_groups[] = {0x001D, 0x001E, 0x0017, 0x0018, 0x0019,
                                               0x0100, 0x0101, 0x0102, 0x0103, 0x0104};

/* mbedTLS 2.28 as Debian builds it (TLS 1.2 and lower). */
static const uint16_t mbedtls_suites[] = {
    0xCCA8, 0xCCA9, 0xCCAA, 0xC02C, 0xC030, 0x009F, 0xC0AD, 0xC09F, 0xC024, 0xC028, 0x006B,
    0xC00A, 0xC014, 0x0039, 0xC0AF, 0xC0A3, 0xC073, 0xC077, 0x00C4, 0x0088, 0xC02B, 0xC02F,
    0x009E, 0xC0AC, 0xC09E, 0xC023, 0xC027, 0x0067, 0xC009, 0xC013, 0x0033, 0xC0AE, 0xC0A2,
    0xC072, 0xC076, 0x00BE, 0x0045, 0x009D, 0xC09D, 0x003D, 0x0035, 0xC0A1, 0x00C0, 0x0084,
    0x009C, 0xC09C, 0x003C, 0x002F, 0xC0A0, 0x00BA, 0x0041};
/* mbedTLS has the brainpool curves too; OpenSSL's client (which checks these
 * claims) does not offer them in TLS. */
static const uint16_t mbedtls_groups[] = {0x0019, 0x0018, 0x0017, 0x001D, 0x001E};

/* wolfSSL 5 as Debian builds it: no RSA key transport (no WOLFSSL_STATIC_RSA), and
 * of the CCM suites only those below. */
static const uint16_t wolfssl_suites[] = {
    0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8,
    0xCCA9, 0xCCAA, 0x009E, 0x009F, 0xC009, 0xC00A, 0xC013, 0xC014, 0xC023, 0xC024,
    0xC027, 0xC028, 0x0033, 0x0039, 0x0067, 0x006B, 0xC0AC, 0xC0AE, 0xC0AF};
static const uint16_t wolfssl_groups[] = {0x001D, 0x001E, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101};

/* NSS as Debian builds it. */
static const uint16_t nss_suites[] = {
    0x1301, 0x1302, 0x1303, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9, 0xCCAA, 0x009E, 0x009F,
    0x009C, 0x009D, 0xC009, 0xC00A, 0xC013, 0xC014, 0xC023, 0xC024, 0xC027, 0xC028, 0x0033, 0x0039,
    0x0067, 0x006B, 0x002F, 0x0035, 0x003C, 0x003D, 0x0045, 0x0088, 0x0041, 0x0084};
static const uint16_t nss_groups[] = {0x001D, 0x0017, 0x0018, 0x0019};

#define LIST(a) (a), TH_ARRAY_LEN(a)
#define V(x) TH_VBIT(TH_##x)
#define RESUME_BOTH (TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID))
#define RESTRICT_ALL (TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS)

#define CAPS_FN(id)                                                                                \
    static const struct fx_def id;                                                                 \
    static void caps_##id(struct th_caps *out)                                                     \
    {                                                                                              \
        th_fx_caps(&id, out);                                                                      \
    }
CAPS_FN(fx_nginx)
CAPS_FN(fx_lt_openssl)
CAPS_FN(fx_lt_gnutls)
CAPS_FN(fx_lt_mbedtls)
CAPS_FN(fx_lt_wolfssl)
CAPS_FN(fx_lt_nss)
CAPS_FN(fx_caddy)

static const struct fx_def fx_nginx = {
    .pub = {"nginx", "nginx-light", "OpenSSL", caps_fx_nginx},
    .server = FX_NGINX,
    .names = NAMES_OPENSSL,
    .versions = TH_VERSIONS_ALL,
    .resume = RESUME_BOTH,
    .features = TH_CAP_ALPN | TH_CAP_SNI | RESTRICT_ALL | TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER,
    .groups = LIST(ffdhe_and_ec_groups),
};

static const struct fx_def fx_lt_openssl = {
    .pub = {"lighttpd-openssl", "lighttpd lighttpd-mod-openssl", "OpenSSL", caps_fx_lt_openssl},
    .server = FX_LIGHTTPD,
    .module = "openssl",
    .names = NAMES_OPENSSL,
    .versions = TH_VERSIONS_ALL,
    .resume = RESUME_BOTH,
    .features = TH_CAP_ALPN | TH_CAP_SNI | RESTRICT_ALL | TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER,
    .groups = LIST(ffdhe_and_ec_groups),
};

/* mod_gnutls keeps no session cache: tickets only. */
static const struct fx_def fx_lt_gnutls = {
    .pub = {"lighttpd-gnutls", "lighttpd lighttpd-mod-gnutls", "GnuTLS", caps_fx_lt_gnutls},
    .server = FX_LIGHTTPD,
    .module = "gnutls",
    .names = NAMES_GNUTLS,
    .versions = TH_VERSIONS_ALL,
    .resume = TH_RESUME_BIT(TH_RESUME_TICKET),
    .features = TH_CAP_ALPN | TH_CAP_SNI | RESTRICT_ALL | TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER,
    .suites = LIST(gnutls_suites),
    .groups = LIST(ffdhe_and_ec_groups),
};

/* TLS 1.2 only as lighttpd sets mbedTLS up (1.0 and 1.1 are refused), always in
 * the server's order (MBEDTLS_SSL_SRV_RESPECT_CLIENT_PREFERENCE is off in Debian),
 * tickets but no session cache. */
static const struct fx_def fx_lt_mbedtls = {
    .pub = {"lighttpd-mbedtls", "lighttpd lighttpd-mod-mbedtls", "mbedTLS", caps_fx_lt_mbedtls},
    .server = FX_LIGHTTPD,
    .module = "mbedtls",
    .names = NAMES_MBEDTLS,
    .versions = V(TLS12),
    .resume = TH_RESUME_BIT(TH_RESUME_TICKET),
    .features = TH_CAP_ALPN | TH_CAP_SNI | RESTRICT_ALL | TH_CAP_SERVER_ORDER,
    .suites = LIST(mbedtls_suites),
    .groups = LIST(mbedtls_groups),
};

/* wolfSSL always picks in the server's order. Debian's build has no TLS 1.0/1.1.
 * Groups: one NIST curve, for TLS 1.2 only (check_wolfssl). */
static const struct fx_def fx_lt_wolfssl = {
    .pub = {"lighttpd-wolfssl", "lighttpd lighttpd-mod-wolfssl", "wolfSSL", caps_fx_lt_wolfssl},
    .server = FX_LIGHTTPD,
    .module = "wolfssl",
    .names = NAMES_IANA,
    .versions = V(TLS12) | V(TLS13),
    .resume = RESUME_BOTH,
    .features = TH_CAP_ALPN | TH_CAP_SNI | RESTRICT_ALL | TH_CAP_SERVER_ORDER,
    .suites = LIST(wolfssl_suites),
    .groups = LIST(wolfssl_groups),
};

/* NSS picks by its own fixed suite order whatever the list's order or the
 * client's (lighttpd's ServerPreference is taken and has no effect): no order
 * feature, so only one-suite lists are taken; TLS 1.3 suites go by mod_nss's own
 * names (suite_word). It cannot restrict groups (mod_nss: "ignoring Curves/Groups;
 * not implemented"), will not load pki:bad-key-usage (refused_leaves), and its
 * session cache crashes lighttpd (see write_lighttpd): tickets only. */
static const struct fx_def fx_lt_nss = {
    .pub = {"lighttpd-nss", "lighttpd lighttpd-mod-nss", "NSS", caps_fx_lt_nss},
    .server = FX_LIGHTTPD,
    .module = "nss",
    .names = NAMES_NSS,
    .versions = TH_VERSIONS_ALL,
    .resume = TH_RESUME_BIT(TH_RESUME_TICKET),
    .features = TH_CAP_ALPN | TH_CAP_SNI | TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES,
    .suites = LIST(nss_suites),
    .groups = LIST(nss_groups),
};

/* Go orders suites itself (neither the list's order nor the client's), has no
 * session cache, and Caddy offers TLS 1.2 and 1.3 only. */
static const struct fx_def fx_caddy = {
    .pub = {"caddy", "caddy", "Go crypto/tls", caps_fx_caddy},
    .server = FX_CADDY,
    .names = NAMES_GO,
    .versions = V(TLS12) | V(TLS13),
    .resume = TH_RESUME_BIT(TH_RESUME_TICKET),
    .features = TH_CAP_ALPN | TH_CAP_SNI | RESTRICT_ALL,
    .suites = LIST(go_suites),
    .groups = LIST(go_groups),
};

const struct th_fixture_def *const th_fixtures[] = {
    &fx_nginx.pub,      &fx_lt_openssl.pub, &fx_lt_gnutls.pub, &fx_lt_mbedtls.pub,
    &fx_lt_wolfssl.pub, &fx_lt_nss.pub,     &fx_caddy.pub,     NULL,
};

const struct fx_def *th_fx_of(const struct th_fixture_def *d)
{
    for (size_t i = 0; d && th_fixtures[i]; i++)
        if (th_fixtures[i] == d)
            return (const struct fx_def *)d;
    return NULL;
}

const struct th_fixture_def *th_fixture_find(const char *name)
{
    for (size_t i = 0; name && th_fixtures[i]; i++)
        if (strcmp(th_fixtures[i]->name, name) == 0)
            return th_fixtures[i];
    return NULL;
}

extern const struct th_backend th_backend_openssl;

void th_fx_caps(const struct fx_def *d, struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_SERVER;
    out->versions = d->versions;
    out->resume = d->resume;
    out->features = d->features;
    if (d->suites) {
        memcpy(out->suites, d->suites, d->n_suites * sizeof(d->suites[0]));
        out->n_suites = d->n_suites;
    } else {
        /* nginx and mod_openssl run on the libssl the harness links: the same list */
        struct th_caps o;
        th_backend_openssl.caps(&o);
        memcpy(out->suites, o.suites, o.n_suites * sizeof(o.suites[0]));
        out->n_suites = o.n_suites;
    }
    memcpy(out->groups, d->groups, d->n_groups * sizeof(d->groups[0]));
    out->n_groups = d->n_groups;
}

/* ---- the programs ---- */

const char *const th_fx_program[] = {"nginx", "lighttpd", "caddy"};

int th_fx_find_program(const char *prog, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char *dirs = th_xasprintf("%s:/usr/local/sbin:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
    int found = 0;
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        snprintf(out, cap, "%s/%s", *dir ? dir : ".", prog);
        found = access(out, X_OK) == 0;
    }
    free(dirs);
    return found ? 0 : -1;
}

/* lighttpd looks for its modules here (Debian's build; server.modules-path unset). */
#define LIGHTTPD_MODULES "/usr/lib/lighttpd"

const char *th_fixture_missing(const struct th_fixture_def *pd, char *buf, size_t cap)
{
    const struct fx_def *d = th_fx_of(pd);
    char path[PATH_MAX];
    if (!d) {
        snprintf(buf, cap, "'%s' is not a fixture tlsharness knows", pd ? pd->name : "(null)");
        return buf;
    }
    if (th_fx_find_program(th_fx_program[d->server], path, sizeof(path)) != 0) {
        snprintf(buf, cap, "%s is not installed (Debian package: %s)", th_fx_program[d->server],
                 d->pub.package);
        return buf;
    }
    if (d->module) {
        snprintf(path, sizeof(path), "%s/mod_%s.so", LIGHTTPD_MODULES, d->module);
        if (access(path, R_OK) != 0) {
            snprintf(buf, cap, "lighttpd's %s module %s is missing (Debian package: %s)",
                     d->pub.library, path, d->pub.package);
            return buf;
        }
    }
    return NULL;
}

/* Run prog with one argument; its first output line (stdout and stderr) into out. */
static void first_line_of(const char *prog, const char *arg, char *out, size_t cap)
{
    int fds[2];
    out[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execl(prog, prog, arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (pid > 0 && n + 1 < cap && (r = read(fds[0], out + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    out[strcspn(out, "\r\n")] = '\0';
}

/* "nginx version: nginx/1.22.1", "lighttpd/1.4.69 (ssl) - a light...", "2.6.2" or
 * "v2.7.6 h1:..." to "nginx/1.22.1", "lighttpd/1.4.69", "caddy/2.6.2". */
static void version_token(enum fx_server s, const char *line, char *out, size_t cap)
{
    const char *p = line;
    if (s == FX_NGINX && (p = strstr(line, "nginx/")) == NULL)
        p = line;
    size_t n = strcspn(p, " \t");
    if (s == FX_CADDY) {
        p += *p == 'v';
        n = strcspn(p, " \t");
        snprintf(out, cap, "caddy/%.*s", (int)n, p);
    } else {
        snprintf(out, cap, "%.*s", (int)n, p);
    }
}

const char *th_fixture_version(const struct th_fixture_def *pd)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char cache[3][64];
    static int done[3];
    const struct fx_def *d = th_fx_of(pd);
    if (!d)
        return "";
    pthread_mutex_lock(&lock);
    if (!done[d->server]) {
        char path[PATH_MAX], line[256];
        static const char *const flag[] = {"-v", "-v", "version"};
        if (th_fx_find_program(th_fx_program[d->server], path, sizeof(path)) == 0) {
            first_line_of(path, flag[d->server], line, sizeof(line));
            version_token(d->server, line, cache[d->server], sizeof(cache[0]));
        }
        done[d->server] = 1;
    }
    pthread_mutex_unlock(&lock);
    return cache[d->server];
}
