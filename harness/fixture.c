/* Managed real servers (fixture.h): nginx, lighttpd on each of its TLS modules,
 * caddy. One file in four parts: what each fixture is (caps, and what its
 * configuration can express), writing a configuration from its template, running
 * the server (start, wait, stop), and the pool and the command line.
 *
 * A configuration the template cannot express exactly is refused before anything
 * starts (th_fixture_unsupported), so a case never runs against a server that
 * silently serves something else. */
#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "iana.h"
#include "pki.h"
#include "transport.h"

const uint64_t th_fixture_sizes[] = {1024, 16384, 65536, 1048576, 16777216, 0};

uint16_t (*th_fixture_test_port)(unsigned attempt);

/* The fixture's folder name stays short enough that every path built from it fits
 * PATH_MAX. */
#define DIR_MAX 1024
#define PORT_ATTEMPTS 4
#define STOP_GRACE_NS (3ull * 1000000000ull)
#define PIDFILE_WAIT_NS (2ull * 1000000000ull)
/* lighttpd keeps server.max-keep-alive-requests in 16 bits. */
#define LIGHTTPD_MAX_KEEPALIVE 65535

/* ---- a growing string ---- */

struct sb {
    char *p;
    size_t n, cap;
};

TH_PRINTF(2, 3) static void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0)
        return;
    if (b->n + (size_t)need + 1 > b->cap) {
        b->cap = (b->n + (size_t)need + 1) * 2;
        b->p = th_xrealloc(b->p, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

static const char *sb_str(struct sb *b)
{
    if (!b->p)
        sb_printf(b, "%s", "");
    return b->p;
}

/* ---- what each fixture is ---- */

enum fx_server { FX_NGINX, FX_LIGHTTPD, FX_CADDY };

/* How a fixture's template names its suites. */
enum fx_names { NAMES_OPENSSL, NAMES_IANA, NAMES_MBEDTLS, NAMES_GNUTLS, NAMES_GO, NAMES_NSS };

struct fx_def {
    struct th_fixture_def pub; /* first: th_fixtures points here */
    enum fx_server server;
    const char *module; /* lighttpd's TLS module (mod_X), else NULL */
    enum fx_names names;
    unsigned versions, resume, features;
    const uint16_t *suites; /* NULL: borrow the OpenSSL backend's (same libssl) */
    size_t n_suites;
    const uint16_t *groups;
    size_t n_groups;
};

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

static void fx_caps(const struct fx_def *d, struct th_caps *out);

#define CAPS_FN(id)                                                                                \
    static const struct fx_def id;                                                                 \
    static void caps_##id(struct th_caps *out)                                                     \
    {                                                                                              \
        fx_caps(&id, out);                                                                         \
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

/* The private description behind a public one, or NULL when d is not ours. */
static const struct fx_def *fx_of(const struct th_fixture_def *d)
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

static void fx_caps(const struct fx_def *d, struct th_caps *out)
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

static const char *const server_prog[] = {"nginx", "lighttpd", "caddy"};

/* The program in $PATH or the sbin folders (not every user's PATH has them). */
static int find_program(const char *prog, char *out, size_t cap)
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
    const struct fx_def *d = fx_of(pd);
    char path[PATH_MAX];
    if (!d) {
        snprintf(buf, cap, "'%s' is not a fixture tlsharness knows", pd ? pd->name : "(null)");
        return buf;
    }
    if (find_program(server_prog[d->server], path, sizeof(path)) != 0) {
        snprintf(buf, cap, "%s is not installed (Debian package: %s)", server_prog[d->server],
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
    const struct fx_def *d = fx_of(pd);
    if (!d)
        return "";
    pthread_mutex_lock(&lock);
    if (!done[d->server]) {
        char path[PATH_MAX], line[256];
        static const char *const flag[] = {"-v", "-v", "version"};
        if (find_program(server_prog[d->server], path, sizeof(path)) == 0) {
            first_line_of(path, flag[d->server], line, sizeof(line));
            version_token(d->server, line, cache[d->server], sizeof(cache[0]));
        }
        done[d->server] = 1;
    }
    pthread_mutex_unlock(&lock);
    return cache[d->server];
}

/* ---- what a template can express ---- */

static int has_id(const uint16_t *v, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return 1;
    return 0;
}

/* A set of versions without holes: what MinProtocol/MaxProtocol (and OpenSSL, which
 * turns a hole into a lower bound) can say. */
static int contiguous(unsigned set)
{
    unsigned lo = TH_VBIT(th_versions_lowest(set)), hi = TH_VBIT(th_versions_highest(set));
    return set && set == ((hi - lo) | hi);
}

static int is_tls13(uint16_t suite)
{
    const struct th_suite_info *s = th_suite_by_id(suite);
    return s && s->min_version == TH_TLS13;
}

/* Does the list hold a suite of TLS 1.3 (want13) or of the versions below? */
static int lists_kind(const struct th_tls_config *cfg, int want13)
{
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (is_tls13(cfg->suites[i]) == want13)
            return 1;
    return 0;
}

/* As the backends read a suite list: one without a suite for the top version caps
 * the range at the highest version that has one (OpenSSL's servers would otherwise
 * refuse every handshake, "no ciphers available"). Only the top is cut: lower
 * versions without a suite stay, and check_lists decides whether that can be said. */
static void effective(const struct th_tls_config *in, struct th_tls_config *out)
{
    *out = *in;
    unsigned runnable = 0;
    for (size_t i = 0; i < in->n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(in->suites[i]);
        runnable |= s ? th_suite_versions(s) : 0;
    }
    uint16_t top = th_versions_highest(in->versions & runnable);
    if (in->n_suites && top)
        out->versions = in->versions & (TH_VBIT(top) | (TH_VBIT(top) - 1));
}

TH_PRINTF(3, 4) static const char *why(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return buf;
}

static const char *check_lists(const struct fx_def *d, const struct th_caps *c,
                               const struct th_tls_config *cfg, char *buf, size_t cap)
{
    const char *n = d->pub.name;
    if (!cfg->versions || (cfg->versions & ~c->versions)) {
        char has[32] = "";
        for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
            if (c->versions & TH_VBIT(v))
                snprintf(has + strlen(has), sizeof(has) - strlen(has), " %s", th_version_name(v));
        return why(buf, cap, "%s has TLS%s only", n, has);
    }
    if (cfg->versions != c->versions && !(c->features & TH_CAP_RESTRICT_VERSIONS))
        return why(buf, cap, "%s cannot restrict its versions", n);
    if (!contiguous(cfg->versions))
        return why(buf, cap, "%s takes a version range, not a set with a hole", n);
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (!has_id(c->suites, c->n_suites, cfg->suites[i]))
            return why(buf, cap, "%s cannot negotiate suite 0x%04x", n, cfg->suites[i]);
    if (cfg->n_suites && !(c->features & TH_CAP_RESTRICT_SUITES))
        return why(buf, cap, "%s cannot restrict its suites", n);
    /* nginx, mod_openssl and the other modules refuse an empty TLS 1.2 suite list */
    unsigned below13 = TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11) | TH_VBIT(TH_TLS12);
    if (cfg->n_suites && (cfg->versions & below13) && !lists_kind(cfg, 0))
        return why(buf, cap,
                   "%s cannot allow TLS 1.2 or lower with no suite for it (list one, or "
                   "allow only TLS 1.3)",
                   n);
    for (size_t i = 0; i < cfg->n_groups; i++)
        if (!has_id(c->groups, c->n_groups, cfg->groups[i]))
            return why(buf, cap, "%s cannot negotiate group 0x%04x", n, cfg->groups[i]);
    if (cfg->n_groups && !(c->features & TH_CAP_RESTRICT_GROUPS))
        return why(buf, cap, "%s cannot restrict its groups", n);
    return NULL;
}

static const char *check_order(const struct fx_def *d, const struct th_caps *c,
                               const struct th_tls_config *cfg, char *buf, size_t cap)
{
    if (cfg->prefer_server_order && cfg->n_suites > 1 && !(c->features & TH_CAP_SERVER_ORDER))
        return why(buf, cap, "%s cannot enforce the listed suite order", d->pub.name);
    if (!cfg->prefer_server_order && !(c->features & TH_CAP_CLIENT_ORDER))
        return why(buf, cap, "%s always picks by its own suite order", d->pub.name);
    return NULL;
}

/* ALPN: every fixture answers http/1.1; nginx and caddy can add h2 (ahead of it, as
 * they prefer it). lighttpd picks in the client's order, so it is kept to http/1.1. */
static const char *check_alpn(const struct fx_def *d, const struct th_tls_config *cfg, char *buf,
                              size_t cap)
{
    if (cfg->n_alpn == 0)
        return NULL;
    if (cfg->n_alpn == 1 && strcmp(cfg->alpn[0], "http/1.1") == 0)
        return NULL;
    if (d->server != FX_LIGHTTPD && cfg->n_alpn == 2 && strcmp(cfg->alpn[0], "h2") == 0 &&
        strcmp(cfg->alpn[1], "http/1.1") == 0)
        return NULL;
    return why(buf, cap, "%s answers ALPN [%s] only", d->pub.name,
               d->server == FX_LIGHTTPD ? "http/1.1" : "http/1.1] or [h2, http/1.1");
}

/* ---- GnuTLS priority strings ---- */

/* A priority string enables kx x cipher x mac: the keywords one suite needs. */
struct gt_words {
    const char *kx, *cipher, *mac;
};

static int gnutls_words(uint16_t id, struct gt_words *w)
{
    static const char *const ciphers[][2] = {
        {"AES-128-GCM", "AES-128-GCM"},
        {"AES-256-GCM", "AES-256-GCM"},
        {"AES-128-CCM", "AES-128-CCM"},
        {"AES-256-CCM", "AES-256-CCM"},
        {"AES-128-CCM8", "AES-128-CCM-8"},
        {"AES-256-CCM8", "AES-256-CCM-8"},
        {"AES-128-CBC", "AES-128-CBC"},
        {"AES-256-CBC", "AES-256-CBC"},
        {"Camellia(128)", "CAMELLIA-128-CBC"},
        {"Camellia(256)", "CAMELLIA-256-CBC"},
        {"CHACHA20-POLY1305", "CHACHA20-POLY1305"},
    };
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s)
        return -1;
    w->cipher = NULL;
    for (size_t i = 0; i < TH_ARRAY_LEN(ciphers); i++)
        if (strcmp(s->cipher, ciphers[i][0]) == 0)
            w->cipher = ciphers[i][1];
    w->mac = s->mac;
    if (!strcmp(s->kx, "TLS13"))
        w->kx = NULL;
    else if (!strcmp(s->kx, "RSA"))
        w->kx = "RSA";
    else if (!strcmp(s->kx, "ECDHE"))
        w->kx = !strcmp(s->auth, "ECDSA") ? "ECDHE-ECDSA" : "ECDHE-RSA";
    else if (!strcmp(s->kx, "DHE") && !strcmp(s->auth, "RSA"))
        w->kx = "DHE-RSA";
    else
        return -1;
    return w->cipher ? 0 : -1;
}

/* Keywords of one kind in first-use order. */
struct gt_list {
    const char *v[16];
    size_t n;
};

static size_t gt_index(struct gt_list *l, const char *w)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], w) == 0)
            return i;
    if (l->n < TH_ARRAY_LEN(l->v))
        l->v[l->n++] = w;
    return l->n - 1;
}

struct gt_plan {
    struct gt_list kx, cipher, mac;
};

static void gt_collect(const struct th_tls_config *cfg, struct gt_plan *p)
{
    memset(p, 0, sizeof(*p));
    struct gt_words w;
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (gnutls_words(cfg->suites[i], &w) == 0) {
            if (w.kx)
                gt_index(&p->kx, w.kx);
            gt_index(&p->cipher, w.cipher);
            gt_index(&p->mac, w.mac);
        }
}

/* Where GnuTLS ranks a suite the plan enables: TLS 1.3 first by cipher then MAC,
 * then the rest by key exchange, cipher, MAC (lib/priority.c set_ciphersuite_list).
 * -1 when the plan does not enable it. */
static long gt_rank(struct gt_plan *p, uint16_t id, unsigned versions)
{
    struct gt_words w;
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s || gnutls_words(id, &w) != 0 || !(th_suite_versions(s) & versions))
        return -1;
    size_t k = 0, c, m;
    struct gt_plan q = *p; /* lookups must not add */
    if (w.kx && (k = gt_index(&q.kx, w.kx)) >= p->kx.n)
        return -1;
    if ((c = gt_index(&q.cipher, w.cipher)) >= p->cipher.n ||
        (m = gt_index(&q.mac, w.mac)) >= p->mac.n)
        return -1;
    return (w.kx ? 1000000L + 10000L * (long)k : 0) + 100L * (long)c + (long)m;
}

/* The suites of a priority string are every kx x cipher x mac it names: the list
 * must be exactly that product, and (served in the server's order) in its order. */
static const char *check_gnutls(const struct fx_def *d, const struct th_caps *c,
                                const struct th_tls_config *cfg, char *buf, size_t cap)
{
    if (!cfg->n_suites)
        return NULL;
    struct gt_plan p;
    gt_collect(cfg, &p);
    for (size_t i = 0; i < c->n_suites; i++)
        if (gt_rank(&p, c->suites[i], cfg->versions) >= 0) {
            if (!has_id(cfg->suites, cfg->n_suites, c->suites[i]))
                return why(buf, cap,
                           "%s: a GnuTLS priority string enabling this list also enables "
                           "suite 0x%04x (it enables every key exchange x cipher x MAC named)",
                           d->pub.name, c->suites[i]);
        }
    long last = -1;
    for (size_t i = 0; i < cfg->n_suites && cfg->prefer_server_order; i++) {
        long r = gt_rank(&p, cfg->suites[i], cfg->versions);
        if (r >= 0 && r < last)
            return why(buf, cap,
                       "%s: GnuTLS orders suites by key exchange, then cipher, then MAC; "
                       "suite 0x%04x cannot come where it is listed",
                       d->pub.name, cfg->suites[i]);
        last = r > last ? r : last;
    }
    return NULL;
}

/* Go's crypto/tls has no setting for TLS 1.3 suites: all three, or TLS 1.3 off. */
static const char *check_caddy(const struct fx_def *d, const struct th_tls_config *cfg, char *buf,
                               size_t cap)
{
    if (!cfg->n_suites || !(cfg->versions & TH_VBIT(TH_TLS13)))
        return NULL;
    size_t n13 = 0;
    for (size_t i = 0; i < cfg->n_suites; i++)
        n13 += is_tls13(cfg->suites[i]);
    if (n13 != 3)
        return why(buf, cap,
                   "%s (Go) cannot choose its TLS 1.3 suites: list all three or none "
                   "with TLS 1.3 off",
                   d->pub.name);
    return NULL;
}

/* mod_wolfssl (lighttpd 1.4.69) hands "Groups" to wolfSSL_OBJ_sn2nid() and
 * SSL_CTX_set_tmp_ecdh(): one NIST curve by name, and it reaches TLS 1.2's ECDHE
 * only. A list, x25519 or an ffdhe group stops the server ("SSL: Unknown curve name
 * x25519"); TLS 1.3 key shares stay unrestricted (a secp256r1-only server still
 * agrees on x25519 or secp384r1 in TLS 1.3). */
static const char *check_wolfssl(const struct fx_def *d, const struct th_tls_config *cfg, char *buf,
                                 size_t cap)
{
    if (!cfg->n_groups)
        return NULL;
    uint16_t g = cfg->groups[0];
    if (cfg->n_groups > 1 || g < 0x0017 || g > 0x0019)
        return why(buf, cap,
                   "%s can be restricted to one NIST curve (secp256r1, secp384r1, secp521r1) "
                   "only: mod_wolfssl takes one curve name under Groups",
                   d->pub.name);
    if (cfg->versions & TH_VBIT(TH_TLS13))
        return why(buf, cap,
                   "%s cannot restrict its TLS 1.3 groups: mod_wolfssl's Groups reaches "
                   "TLS 1.2 ECDHE only",
                   d->pub.name);
    return NULL;
}

/* Leaves of the test PKI a fixture's library will not load, so its server cannot
 * start with them. The leaf is named "pki:NAME" when cases are expanded and by its
 * file, NAME.chain.pem, when a server starts. */
static const struct {
    const char *fixture, *leaf, *why;
} refused_leaves[] = {
    {"lighttpd-nss", "bad-key-usage",
     "NSS will not serve a leaf whose key usage allows certificate signing only (mod_nss: "
     "\"failed to set default certificate for socket: (SEC_ERROR_INVALID_ARGS)\")"},
};

static int leaf_is(const char *cert, const char *leaf)
{
    const char *base = strncmp(cert, "pki:", 4) == 0 ? cert + 4 : strrchr(cert, '/');
    base = base ? base + (*base == '/') : cert;
    size_t n = strlen(leaf);
    return strncmp(base, leaf, n) == 0 && (base[n] == '\0' || strcmp(base + n, ".chain.pem") == 0);
}

static const char *check_leaf(const struct fx_def *d, const struct th_tls_config *cfg, char *buf,
                              size_t cap)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(refused_leaves); i++)
        if (strcmp(d->pub.name, refused_leaves[i].fixture) == 0 &&
            leaf_is(cfg->cert_file, refused_leaves[i].leaf))
            return why(buf, cap, "%s cannot serve pki:%s: %s", d->pub.name, refused_leaves[i].leaf,
                       refused_leaves[i].why);
    return NULL;
}

/* The checks run on the configuration as the template will write it (effective). */
static const char *unsupported(const struct fx_def *d, const struct th_tls_config *given, char *buf,
                               size_t cap)
{
    struct th_caps c;
    struct th_tls_config cfg;
    const char *r;
    fx_caps(d, &c);
    if (!given->cert_file || !given->key_file)
        return why(buf, cap, "%s needs a certificate and a key file", d->pub.name);
    effective(given, &cfg);
    if ((r = check_leaf(d, &cfg, buf, cap)) || (r = check_lists(d, &c, &cfg, buf, cap)) ||
        (r = check_order(d, &c, &cfg, buf, cap)) || (r = check_alpn(d, &cfg, buf, cap)))
        return r;
    if (d->names == NAMES_GNUTLS)
        return check_gnutls(d, &c, &cfg, buf, cap);
    if (d->server == FX_CADDY)
        return check_caddy(d, &cfg, buf, cap);
    if (d->names == NAMES_IANA)
        return check_wolfssl(d, &cfg, buf, cap);
    return NULL;
}

const char *th_fixture_unsupported(const struct th_fixture_def *pd, const struct th_tls_config *cfg,
                                   char *buf, size_t cap)
{
    const struct fx_def *d = fx_of(pd);
    if (!d)
        return why(buf, cap, "'%s' is not a fixture tlsharness knows", pd ? pd->name : "(null)");
    return unsupported(d, cfg, buf, cap);
}

/* ---- names in each server's language ---- */

static const char *openssl_group(uint16_t id)
{
    static const struct {
        uint16_t id;
        const char *name;
    } map[] = {
        {0x0017, "P-256"},
        {0x0018, "P-384"},
        {0x0019, "P-521"},
        {0x001D, "X25519"},
        {0x001E, "X448"},
        {0x0100, "ffdhe2048"},
        {0x0101, "ffdhe3072"},
        {0x0102, "ffdhe4096"},
        {0x0103, "ffdhe6144"},
        {0x0104, "ffdhe8192"},
        {0x001A, "brainpoolP256r1"},
        {0x001B, "brainpoolP384r1"},
        {0x001C, "brainpoolP512r1"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(map); i++)
        if (map[i].id == id)
            return map[i].name;
    return "unknown";
}

/* mod_nss's own names for the TLS 1.3 suites (its cipher table, typo included). */
static const char *nss_tls13_name(uint16_t id)
{
    switch (id) {
    case 0x1301: return "TLS-AES-128-GCM-SHA256";
    case 0x1302: return "TLS-AES-256-GCM-SHA384";
    case 0x1303: return "TLS-CHACHA20-POLY1305_SHA256";
    }
    return "unknown";
}

/* One suite as the server's configuration names it. */
static void suite_word(enum fx_names names, uint16_t id, struct sb *out)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    const char *iana = s ? s->name : "unknown";
    if (names == NAMES_NSS && is_tls13(id)) {
        sb_printf(out, "%s", nss_tls13_name(id));
    } else if ((names == NAMES_OPENSSL || names == NAMES_NSS) && !is_tls13(id)) {
        sb_printf(out, "%s", OPENSSL_cipher_name(iana));
    } else if (names == NAMES_MBEDTLS) {
        for (const char *p = iana; *p; p++)
            sb_printf(out, "%c", *p == '_' ? '-' : *p);
    } else {
        sb_printf(out, "%s", iana);
    }
}

/* The listed suites of one kind (TLS 1.3 or not, or both), joined by sep. */
static void suite_list(enum fx_names names, const struct th_tls_config *cfg, int kind13,
                       const char *sep, const char *quote, struct sb *out)
{
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_suites; i++) {
        if (kind13 >= 0 && is_tls13(cfg->suites[i]) != kind13)
            continue;
        sb_printf(out, "%s%s", k++ ? sep : "", quote);
        suite_word(names, cfg->suites[i], out);
        sb_printf(out, "%s", quote);
    }
}

/* Groups by OpenSSL's names (P-256) or IANA's (secp256r1: mod_wolfssl and
 * mod_mbedtls know no P-384). */
static void group_list(const struct th_tls_config *cfg, int iana, const char *sep, struct sb *out)
{
    for (size_t i = 0; i < cfg->n_groups; i++) {
        const struct th_group_info *g = th_group_by_id(cfg->groups[i]);
        sb_printf(out, "%s%s", i ? sep : "", iana && g ? g->name : openssl_group(cfg->groups[i]));
    }
}

/* ---- the fixture's folder ---- */

struct th_fixture {
    const struct fx_def *def;
    pid_t pid;
    int reaped;
    uint16_t port;
    char dir[DIR_MAX];
};

static void path_in(const struct th_fixture *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Written with explicit modes: nginx's workers read the document root as "nobody"
 * when the harness runs as root, whatever the umask. */
static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    int rc = fchmod(fd, mode);
    return close(fd) == 0 && rc == 0 ? 0 : -1;
}

static int write_pattern(const char *path, uint64_t len)
{
    enum { CHUNK = 65536 };
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    unsigned char *buf = th_xmalloc(CHUNK);
    int rc = fchmod(fd, 0644);
    for (uint64_t off = 0; off < len && rc == 0;) {
        size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
        th_pattern_fill(0, off, buf, n);
        rc = write(fd, buf, n) == (ssize_t)n ? 0 : -1;
        off += n;
    }
    free(buf);
    return close(fd) == 0 ? rc : -1;
}

static int make_subdir(const struct th_fixture *f, const char *name)
{
    char p[PATH_MAX];
    path_in(f, name, p, sizeof(p));
    return mkdir(p, 0755) == 0 && chmod(p, 0755) == 0 ? 0 : -1;
}

static int write_docroot(const struct th_fixture *f)
{
    char p[PATH_MAX];
    TH_GUARD(make_subdir(f, "root"));
    TH_GUARD(make_subdir(f, "root/bytes"));
    path_in(f, "root/index.html", p, sizeof(p));
    TH_GUARD(write_pattern(p, TH_FIXTURE_INDEX_LEN));
    for (size_t i = 0; th_fixture_sizes[i]; i++) {
        snprintf(p, sizeof(p), "%s/root/bytes/%llu", f->dir,
                 (unsigned long long)th_fixture_sizes[i]);
        TH_GUARD(write_pattern(p, th_fixture_sizes[i]));
    }
    return 0;
}

static int make_folder(struct th_fixture *f, const char *tmp_root, char *err, size_t errcap)
{
    const char *root = tmp_root ? tmp_root : getenv("TMPDIR");
    int n = snprintf(f->dir, sizeof(f->dir), "%s/th-fixture-%s-XXXXXX",
                     root && *root ? root : "/tmp", f->def->pub.name);
    if (n < 0 || (size_t)n >= sizeof(f->dir)) {
        snprintf(err, errcap, "the temporary folder's path is too long (over %d bytes)", DIR_MAX);
        f->dir[0] = '\0';
        return -1;
    }
    if (!mkdtemp(f->dir)) {
        snprintf(err, errcap, "cannot make a folder %s: %s", f->dir, strerror(errno));
        f->dir[0] = '\0';
        return -1;
    }
    static const char *const subdirs[] = {"tmp", "home", "data", "config"};
    int rc = chmod(f->dir, 0755);
    for (size_t i = 0; i < TH_ARRAY_LEN(subdirs) && rc == 0; i++)
        rc = make_subdir(f, subdirs[i]);
    if (rc == 0)
        rc = write_docroot(f);
    if (rc != 0)
        snprintf(err, errcap, "cannot fill the folder %s: %s", f->dir, strerror(errno));
    return rc;
}

/* ---- templates ---- */

/* Where harness/fixtures is: $TLSHARNESS_FIXTURES, or near the running program (the
 * source tree it was built in, or PREFIX/share/tlsharness/fixtures), or the current
 * folder's harness/fixtures. */
static int template_dir(char *out, size_t cap)
{
    const char *env = getenv("TLSHARNESS_FIXTURES");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 0;
    }
    char exe[DIR_MAX], probe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n >= (ssize_t)sizeof(exe) - 1)
        n = 0; /* cut: not a path to build on */
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    static const char *const rel[] = {"harness/fixtures", "../harness/fixtures",
                                      "../../harness/fixtures", "../share/tlsharness/fixtures"};
    for (size_t i = 0; n > 0 && i < TH_ARRAY_LEN(rel); i++) {
        snprintf(probe, sizeof(probe), "%s/%s/nginx.conf.in", exe, rel[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(out, cap, "%s/%s", exe, rel[i]);
            return 0;
        }
    }
    if (access("harness/fixtures/nginx.conf.in", R_OK) == 0) {
        snprintf(out, cap, "harness/fixtures");
        return 0;
    }
    return -1;
}

struct var {
    const char *name, *value;
};

static const char *var_value(const struct var *v, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i].name) == len && strncmp(v[i].name, name, len) == 0)
            return v[i].value;
    return NULL;
}

/* Replace every @NAME@ (capitals, digits, '_') of the template by its value; an
 * unknown name is a template error. */
static int render(const char *tmpl, const struct var *v, size_t nv, struct sb *out, char *err,
                  size_t errcap)
{
    for (const char *p = tmpl; *p;) {
        const char *at = strchr(p, '@');
        if (!at) {
            sb_printf(out, "%s", p);
            break;
        }
        size_t len = strspn(at + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
        sb_printf(out, "%.*s", (int)(at - p), p);
        if (len == 0 || at[1 + len] != '@') {
            sb_printf(out, "@");
            p = at + 1;
            continue;
        }
        const char *val = var_value(v, nv, at + 1, len);
        if (!val) {
            snprintf(err, errcap, "template names @%.*s@, which tlsharness does not fill", (int)len,
                     at + 1);
            return -1;
        }
        sb_printf(out, "%s", val);
        p = at + len + 2;
    }
    return 0;
}

static int write_from_template(const struct th_fixture *f, const char *tmpl_name,
                               const char *out_name, const struct var *v, size_t nv, char *err,
                               size_t errcap)
{
    char dir[PATH_MAX], path[PATH_MAX + 64];
    if (template_dir(dir, sizeof(dir)) != 0) {
        snprintf(err, errcap,
                 "cannot find the fixture templates (harness/fixtures; set "
                 "TLSHARNESS_FIXTURES to their folder)");
        return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, tmpl_name);
    char *tmpl = th_read_file(path, NULL);
    if (!tmpl) {
        snprintf(err, errcap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct sb out = {0};
    int rc = render(tmpl, v, nv, &out, err, errcap);
    if (rc != 0) {
        char e2[256];
        snprintf(e2, sizeof(e2), "%s", err);
        snprintf(err, errcap, "%s: %s", path, e2);
    }
    free(tmpl);
    char dst[PATH_MAX];
    path_in(f, out_name, dst, sizeof(dst));
    if (rc == 0 && (rc = write_file(dst, sb_str(&out), out.n, 0644)) != 0)
        snprintf(err, errcap, "cannot write %s: %s", dst, strerror(errno));
    free(out.p);
    return rc;
}

/* Paths go inside double quotes in every configuration language used here. */
static int quotable(const char *s, const char *what, char *err, size_t errcap)
{
    for (const char *p = s; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
            snprintf(err, errcap,
                     "%s '%s' has a character the server's configuration cannot "
                     "quote",
                     what, s);
            return -1;
        }
    return 0;
}

static int copy_dhparam(const struct th_fixture *f, char *err, size_t errcap)
{
    char dir[PATH_MAX], src[PATH_MAX + 32], dst[PATH_MAX];
    size_t len = 0;
    char *pem = NULL;
    if (template_dir(dir, sizeof(dir)) == 0) {
        snprintf(src, sizeof(src), "%s/ffdhe2048.pem", dir);
        pem = th_read_file(src, &len);
    }
    path_in(f, "ffdhe2048.pem", dst, sizeof(dst));
    int rc = pem ? write_file(dst, pem, len, 0644) : -1;
    if (rc != 0)
        snprintf(err, errcap, "cannot copy ffdhe2048.pem from the fixture templates");
    free(pem);
    return rc;
}

static const char *const ossl_versions[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

static int write_nginx(const struct th_fixture *f, const struct th_tls_config *cfg, char *err,
                       size_t errcap)
{
    struct sb port = {0}, protos = {0}, ciphers = {0}, suites13 = {0}, curves = {0};
    sb_printf(&port, "%u", (unsigned)f->port);
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (cfg->versions & TH_VBIT(v))
            sb_printf(&protos, "%s%s", protos.n ? " " : "", ossl_versions[v - TH_TLS10]);
    /* Level 0, as the OpenSSL backend's server: every leaf of the test PKI loads and
     * TLS 1.0/1.1 can sign their handshakes. A list of TLS 1.3 suites alone comes
     * with TLS 1.3 alone (check_lists), where the TLS 1.2 list is never read; nginx
     * refuses an empty one ("SSL_CTX_set_cipher_list(...) failed"), so it keeps the
     * default there. */
    if (lists_kind(cfg, 0))
        suite_list(NAMES_OPENSSL, cfg, 0, ":", "", &ciphers);
    else
        sb_printf(&ciphers, "DEFAULT");
    sb_printf(&ciphers, ":@SECLEVEL=0");
    if (cfg->n_suites) {
        sb_printf(&suites13, "ssl_conf_command Ciphersuites \"");
        suite_list(NAMES_OPENSSL, cfg, 1, ":", "", &suites13);
        sb_printf(&suites13, "\";");
    }
    if (cfg->n_groups) {
        sb_printf(&curves, "\"");
        group_list(cfg, 0, ":", &curves);
        sb_printf(&curves, "\"");
    } else {
        sb_printf(&curves, "auto");
    }
    struct var v[] = {
        {"DIR", f->dir},
        {"PORT", sb_str(&port)},
        {"WORKERS", "1"},
        {"HTTP2", cfg->n_alpn == 2 ? " http2" : ""},
        {"CERT", cfg->cert_file},
        {"KEY", cfg->key_file},
        {"PROTOCOLS", sb_str(&protos)},
        {"CIPHERS", sb_str(&ciphers)},
        {"CIPHERSUITES", sb_str(&suites13)},
        {"CURVES", sb_str(&curves)},
        {"PREFER", cfg->prefer_server_order ? "on" : "off"},
        {"TICKETS", cfg->tickets ? "on" : "off"},
        {"CACHE", cfg->session_cache ? "shared:fixture:10m" : "off"},
    };
    int rc = write_from_template(f, "nginx.conf.in", "nginx.conf", v, TH_ARRAY_LEN(v), err, errcap);
    if (rc == 0)
        rc = copy_dhparam(f, err, errcap);
    free(port.p), free(protos.p), free(ciphers.p), free(suites13.p), free(curves.p);
    return rc;
}

/* lighttpd's ssl-conf-cmd "MinProtocol"/"MaxProtocol" values. */
static const char *const lt_versions[] = {"TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

/* A GnuTLS priority string for mod_gnutls's "gnutls-override": exact where
 * lighttpd's translation of OpenSSL cipher strings is coarse. */
static void gnutls_priority(const struct th_tls_config *cfg, struct sb *out)
{
    static const char *const vers[] = {"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"};
    static const char *const groups[][2] = {
        {"x25519", "X25519"},       {"x448", "X448"},           {"secp256r1", "SECP256R1"},
        {"secp384r1", "SECP384R1"}, {"secp521r1", "SECP521R1"}, {"ffdhe2048", "FFDHE2048"},
        {"ffdhe3072", "FFDHE3072"}, {"ffdhe4096", "FFDHE4096"}, {"ffdhe6144", "FFDHE6144"},
        {"ffdhe8192", "FFDHE8192"},
    };
    sb_printf(out, "%s", cfg->n_suites ? "NONE" : "NORMAL:-VERS-ALL");
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (cfg->versions & TH_VBIT(v))
            sb_printf(out, ":+VERS-%s", vers[v - TH_TLS10]);
    if (cfg->n_suites) {
        struct gt_plan p;
        gt_collect(cfg, &p);
        for (size_t i = 0; i < p.kx.n; i++)
            sb_printf(out, ":+%s", p.kx.v[i]);
        for (size_t i = 0; i < p.cipher.n; i++)
            sb_printf(out, ":+%s", p.cipher.v[i]);
        for (size_t i = 0; i < p.mac.n; i++)
            sb_printf(out, ":+%s", p.mac.v[i]);
        sb_printf(out, ":+SIGN-ALL:+COMP-NULL");
        if (!cfg->n_groups)
            sb_printf(out, ":+GROUP-ALL");
    }
    if (cfg->n_groups)
        sb_printf(out, "%s", cfg->n_suites ? "" : ":-GROUP-ALL");
    for (size_t i = 0; i < cfg->n_groups; i++) {
        const struct th_group_info *g = th_group_by_id(cfg->groups[i]);
        for (size_t j = 0; g && j < TH_ARRAY_LEN(groups); j++)
            if (strcmp(g->name, groups[j][0]) == 0)
                sb_printf(out, ":+GROUP-%s", groups[j][1]);
    }
    if (cfg->prefer_server_order)
        sb_printf(out, ":%%SERVER_PRECEDENCE");
    if (!cfg->tickets)
        sb_printf(out, ":%%NO_TICKETS");
}

/* The ssl.openssl.ssl-conf-cmd entries for one module: each says only what the
 * module was seen to honour (tests/unit/test_fixture.c checks each claim). */
static void lighttpd_conf_cmd(const struct fx_def *d, const struct th_tls_config *cfg,
                              struct sb *out)
{
    uint16_t lo = th_versions_lowest(cfg->versions), hi = th_versions_highest(cfg->versions);
    if (d->names == NAMES_GNUTLS) {
        sb_printf(out, "    \"gnutls-override\" => \"");
        gnutls_priority(cfg, out);
        sb_printf(out, "\",\n");
        return;
    }
    /* mod_openssl hands these to OpenSSL, which says TLSv1; the others want TLSv1.0 */
    const char *const *vn =
        d->names == NAMES_OPENSSL && !strcmp(d->module, "openssl") ? ossl_versions : lt_versions;
    sb_printf(out, "    \"MinProtocol\" => \"%s\",\n    \"MaxProtocol\" => \"%s\",\n",
              vn[lo - TH_TLS10], vn[hi - TH_TLS10]);
    if (d->names == NAMES_MBEDTLS) {
        /* mod_mbedtls takes mbedTLS's own suite names, in order, under Ciphersuites */
        if (cfg->n_suites) {
            sb_printf(out, "    \"Ciphersuites\" => \"");
            suite_list(NAMES_MBEDTLS, cfg, -1, ":", "", out);
            sb_printf(out, "\",\n");
        }
    } else if (d->names == NAMES_IANA) {
        /* mod_wolfssl hands CipherString to wolfSSL, which takes IANA names of
         * every version in one list */
        sb_printf(out, "    \"CipherString\" => \"");
        if (cfg->n_suites)
            suite_list(NAMES_IANA, cfg, -1, ":", "", out);
        else
            sb_printf(out, "ALL");
        sb_printf(out, "\",\n");
    } else if (d->names == NAMES_NSS) {
        /* mod_nss reads the TLS 1.3 suites from CipherString too, by names of its own,
         * and ignores Ciphersuites ("Ciphersuite support not implemented for ...") */
        sb_printf(out, "    \"CipherString\" => \"");
        if (cfg->n_suites)
            suite_list(NAMES_NSS, cfg, -1, ":", "", out);
        else
            sb_printf(out, "DEFAULT");
        sb_printf(out, "\",\n");
    } else {
        /* mod_openssl: as for nginx, a list of TLS 1.3 suites alone comes with TLS 1.3
         * alone, and OpenSSL refuses an empty TLS 1.2 list ("no cipher match") */
        sb_printf(out, "    \"CipherString\" => \"");
        if (lists_kind(cfg, 0))
            suite_list(NAMES_OPENSSL, cfg, 0, ":", "", out);
        else
            sb_printf(out, "DEFAULT");
        sb_printf(out, ":@SECLEVEL=0\",\n");
        if (cfg->n_suites) {
            sb_printf(out, "    \"Ciphersuites\" => \"");
            suite_list(NAMES_IANA, cfg, 1, ":", "", out);
            sb_printf(out, "\",\n");
        }
    }
    if (cfg->n_groups) {
        /* mod_wolfssl and mod_mbedtls know the IANA names (secp256r1, x25519) only:
         * mod_mbedtls ignores others ("unrecognized curve: X25519; ignored") */
        sb_printf(out, "    \"Groups\" => \"");
        group_list(cfg, d->names == NAMES_IANA || d->names == NAMES_MBEDTLS, ":", out);
        sb_printf(out, "\",\n");
    }
    sb_printf(out, "    \"Options\" => \"%sServerPreference,%sSessionTicket\",\n",
              cfg->prefer_server_order ? "" : "-", cfg->tickets ? "" : "-");
}

static int write_lighttpd(const struct th_fixture *f, const struct th_tls_config *cfg, char *err,
                          size_t errcap)
{
    const struct fx_def *d = f->def;
    struct sb port = {0}, ka = {0}, features = {0}, cmd = {0};
    sb_printf(&port, "%u", (unsigned)f->port);
    sb_printf(&ka, "%u", (unsigned)LIGHTTPD_MAX_KEEPALIVE);
    /* mod_nss 1.4.69 dies of SIGFPE on its first handshake with the session cache
     * on: it has none here (and no TH_RESUME_SESSION_ID). */
    int cache = cfg->session_cache && (d->resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID));
    sb_printf(&features, "\"server.h2proto\" => \"disable\", \"ssl.session-cache\" => \"%s\"",
              cache ? "enable" : "disable");
    lighttpd_conf_cmd(d, cfg, &cmd);
    struct var v[] = {
        {"DIR", f->dir},
        {"PORT", sb_str(&port)},
        {"MODULE", d->module},
        {"KEEPALIVE_REQUESTS", sb_str(&ka)},
        {"FEATURES", sb_str(&features)},
        {"CERT", cfg->cert_file},
        {"KEY", cfg->key_file},
        {"CONF_CMD", sb_str(&cmd)},
    };
    int rc = write_from_template(f, "lighttpd.conf.in", "lighttpd.conf", v, TH_ARRAY_LEN(v), err,
                                 errcap);
    free(port.p), free(ka.p), free(features.p), free(cmd.p);
    return rc;
}

static void caddy_policy(const struct th_tls_config *cfg, struct sb *out)
{
    static const char *const go_versions[] = {"tls1.0", "tls1.1", "tls1.2", "tls1.3"};
    uint16_t lo = th_versions_lowest(cfg->versions), hi = th_versions_highest(cfg->versions);
    sb_printf(out, "\"protocol_min\": \"%s\", \"protocol_max\": \"%s\"", go_versions[lo - TH_TLS10],
              go_versions[hi - TH_TLS10]);
    if (lists_kind(cfg, 0)) {
        /* TLS 1.3 suites are not Go's to configure (check_caddy) */
        sb_printf(out, ", \"cipher_suites\": [");
        suite_list(NAMES_GO, cfg, 0, ", ", "\"", out);
        sb_printf(out, "]");
    }
    if (cfg->n_groups) {
        sb_printf(out, ", \"curves\": [");
        for (size_t i = 0; i < cfg->n_groups; i++) {
            const struct th_group_info *g = th_group_by_id(cfg->groups[i]);
            sb_printf(out, "%s\"%s\"", i ? ", " : "", g ? g->name : "unknown");
        }
        sb_printf(out, "]");
    }
    sb_printf(out, ", \"alpn\": [%s\"http/1.1\"]", cfg->n_alpn == 2 ? "\"h2\", " : "");
}

static int write_caddy(const struct th_fixture *f, const struct th_tls_config *cfg, char *err,
                       size_t errcap)
{
    struct sb port = {0}, policy = {0};
    sb_printf(&port, "%u", (unsigned)f->port);
    caddy_policy(cfg, &policy);
    struct var v[] = {
        {"DIR", f->dir},
        {"PORT", sb_str(&port)},
        {"PROTOCOLS", cfg->n_alpn == 2 ? "\"h1\", \"h2\"" : "\"h1\""},
        {"POLICY", sb_str(&policy)},
        {"CERT", cfg->cert_file},
        {"KEY", cfg->key_file},
        {"TICKETS_DISABLED", cfg->tickets ? "false" : "true"},
    };
    int rc = write_from_template(f, "caddy.json.in", "caddy.json", v, TH_ARRAY_LEN(v), err, errcap);
    free(port.p), free(policy.p);
    return rc;
}

static int write_config(const struct th_fixture *f, const struct th_tls_config *given, char *err,
                        size_t errcap)
{
    struct th_tls_config cfg;
    effective(given, &cfg);
    if (quotable(f->dir, "folder", err, errcap) != 0 ||
        quotable(cfg.cert_file, "certificate file", err, errcap) != 0 ||
        quotable(cfg.key_file, "key file", err, errcap) != 0)
        return -1;
    switch (f->def->server) {
    case FX_NGINX: return write_nginx(f, &cfg, err, errcap);
    case FX_LIGHTTPD: return write_lighttpd(f, &cfg, err, errcap);
    case FX_CADDY: return write_caddy(f, &cfg, err, errcap);
    }
    return -1;
}

/* ---- running the server ---- */

/* A port the kernel had free a moment ago (the server binds it next; a collision
 * in between is retried). */
static uint16_t pick_port(unsigned attempt)
{
    if (th_fixture_test_port)
        return th_fixture_test_port(attempt);
    uint16_t port = 0;
    int fd = th_tcp_listen("127.0.0.1", &port);
    if (fd < 0)
        return 0;
    close(fd);
    return port;
}

size_t th_fixture_log_tail(const struct th_fixture *f, char *buf, size_t cap)
{
    char path[PATH_MAX];
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    path_in(f, "error.log", path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)(cap - 1) ? end - (off_t)(cap - 1) : 0;
    ssize_t n = pread(fd, buf, cap - 1, from);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

/* The log's last lines on one line, for an error message. */
static void tail_for_err(const struct th_fixture *f, char *out, size_t cap)
{
    char tail[600];
    size_t n = th_fixture_log_tail(f, tail, sizeof(tail));
    while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
        tail[--n] = '\0';
    char *start = tail;
    if (n == sizeof(tail) - 1 && strchr(tail, '\n'))
        start = strchr(tail, '\n') + 1; /* drop a cut first line */
    for (char *p = start; *p; p++)
        if (*p == '\n')
            *p = '|';
    snprintf(out, cap, "%s", *start ? start : "(its log is empty)");
}

/* The server's command line and environment, built before fork so the child only
 * calls what is safe between fork and exec. */
struct cmdline {
    char prog[PATH_MAX], a[3][PATH_MAX + 8], env[6][PATH_MAX + 32];
    char *argv[10], *envp[8];
};

static void build_cmdline(const struct th_fixture *f, const char *prog, struct cmdline *c)
{
    size_t k = 0;
    snprintf(c->prog, sizeof(c->prog), "%s", prog);
    c->argv[k++] = c->prog;
    switch (f->def->server) {
    case FX_NGINX:
        snprintf(c->a[0], sizeof(c->a[0]), "%s/", f->dir);
        snprintf(c->a[1], sizeof(c->a[1]), "%s/nginx.conf", f->dir);
        snprintf(c->a[2], sizeof(c->a[2]), "%s/error.log", f->dir);
        c->argv[k++] = "-p", c->argv[k++] = c->a[0];
        c->argv[k++] = "-c", c->argv[k++] = c->a[1];
        c->argv[k++] = "-e", c->argv[k++] = c->a[2];
        break;
    case FX_LIGHTTPD:
        snprintf(c->a[0], sizeof(c->a[0]), "%s/lighttpd.conf", f->dir);
        c->argv[k++] = "-D", c->argv[k++] = "-f", c->argv[k++] = c->a[0];
        break;
    case FX_CADDY:
        snprintf(c->a[0], sizeof(c->a[0]), "%s/caddy.json", f->dir);
        snprintf(c->a[1], sizeof(c->a[1]), "%s/server.pid", f->dir);
        c->argv[k++] = "run", c->argv[k++] = "--config", c->argv[k++] = c->a[0];
        c->argv[k++] = "--pidfile", c->argv[k++] = c->a[1];
        break;
    }
    c->argv[k] = NULL;
    /* A small, fixed environment: caddy keeps its state under HOME and the XDG
     * folders, so those point into the fixture's folder too. */
    snprintf(c->env[0], sizeof(c->env[0]),
             "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
             "/sbin:/bin");
    snprintf(c->env[1], sizeof(c->env[1]), "HOME=%s/home", f->dir);
    snprintf(c->env[2], sizeof(c->env[2]), "XDG_DATA_HOME=%s/data", f->dir);
    snprintf(c->env[3], sizeof(c->env[3]), "XDG_CONFIG_HOME=%s/config", f->dir);
    snprintf(c->env[4], sizeof(c->env[4]), "TMPDIR=%s/tmp", f->dir);
    snprintf(c->env[5], sizeof(c->env[5]), "LANG=C");
    for (k = 0; k < TH_ARRAY_LEN(c->env); k++)
        c->envp[k] = c->env[k];
    c->envp[k] = NULL;
}

/* In the child, between fork and exec. Its own session, so a stop can reach every
 * process it forks (nginx's workers); killed with its parent, so a harness that
 * dies leaves no server behind; signals as a fresh process has them. */
static void child_exec(const struct cmdline *c, int logfd, int nullfd, int report, pid_t parent)
{
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    dup2(nullfd, 0);
    dup2(logfd, 1);
    dup2(logfd, 2);
    /* everything else goes, but the pipe that reports a failed exec (close on exec) */
    if (report > 3)
        close_range(3, (unsigned)report - 1, 0);
    close_range((unsigned)report + 1, ~0u, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(c->prog, c->argv, c->envp);
    int e = errno;
    ssize_t w = write(report, &e, sizeof(e));
    (void)w;
    _exit(127);
}

/* An fd above the standard three, so the child's dup2 onto 0-2 cannot clobber it. */
static int high_fd(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return h;
}

static void close_if(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* Returns once the child has become the server program (or failed to): until its
 * exec, the child holds copies of every descriptor of ours, sockets included, and
 * must not be mistaken for a server listening. */
static int launch(struct th_fixture *f, const char *prog, char *err, size_t errcap)
{
    char log[PATH_MAX];
    struct cmdline c;
    int report[2] = {-1, -1};
    build_cmdline(f, prog, &c);
    path_in(f, "error.log", log, sizeof(log));
    int logfd = high_fd(open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
    int nullfd = high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    pid_t parent = getpid(), pid = -1;
    if (logfd >= 0 && nullfd >= 0 && pipe2(report, O_CLOEXEC) == 0 &&
        (report[1] = high_fd(report[1])) >= 0 && (pid = fork()) == 0)
        child_exec(&c, logfd, nullfd, report[1], parent);
    int e = errno;
    close_if(logfd);
    close_if(nullfd);
    close_if(report[1]);
    ssize_t n = 0;
    if (pid > 0)
        while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
            ;
    close_if(report[0]);
    if (pid > 0 && n == 0) {
        f->pid = pid;
        f->reaped = 0;
        return 0;
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    snprintf(err, errcap, "cannot start %s: %s", prog, strerror(e));
    return -1;
}

/* Exited (not yet reaped: the pid stays ours until waitpid)? */
static int exited(const struct th_fixture *f)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (f->reaped)
        return 1;
    return waitid(P_PID, (id_t)f->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == f->pid;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int accepts(uint16_t port)
{
    uint64_t ns;
    int fd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 200000000ull, &ns);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* SIGTERM, a grace period, then SIGKILL to its whole session, and reap. */
static void terminate(struct th_fixture *f)
{
    if (f->reaped || f->pid <= 0)
        return;
    kill(f->pid, SIGTERM);
    uint64_t deadline = th_now_ns() + STOP_GRACE_NS;
    for (int i = 0; !exited(f) && th_now_ns() < deadline; i++) {
        /* lighttpd can take a SIGTERM into account only at its next event or its
         * once-a-second timer: a connection is an event (1 s less per stop) */
        if (i == 2 && f->port)
            (void)accepts(f->port);
        sleep_ms(10);
    }
    /* The group is still ours while its leader is unreaped: sweep what is left
     * (the server itself after the grace period, or its workers). */
    kill(-f->pid, SIGKILL);
    while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    f->reaped = 1;
}

/* 1 when pid holds a socket listening on 127.0.0.1:port, 0 when not, -1 when /proc
 * cannot tell. Connecting alone cannot: another program may hold a port our server
 * failed to bind. */
static int listens_on(pid_t pid, uint16_t port)
{
    unsigned long inodes[16];
    size_t n = 0;
    char line[512], path[64], link[64];
    FILE *fp = fopen("/proc/net/tcp", "re");
    if (!fp)
        return -1;
    while (fgets(line, sizeof(line), fp) && n < TH_ARRAY_LEN(inodes)) {
        unsigned addr, lport, st;
        unsigned long ino;
        if (sscanf(line, " %*d: %8X:%X %*8X:%*X %X %*X:%*X %*X:%*X %*X %*u %*u %lu", &addr, &lport,
                   &st, &ino) == 4 &&
            lport == port && st == 0x0A && addr == htonl(INADDR_LOOPBACK))
            inodes[n++] = ino;
    }
    fclose(fp);
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (!dir) /* gone, or a zombie; or no /proc to ask */
        return access("/proc/self/fd", R_OK) == 0 ? 0 : -1;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(dir));) {
        char fdpath[320];
        unsigned long ino;
        snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
        ssize_t len = readlink(fdpath, link, sizeof(link) - 1);
        link[len > 0 ? len : 0] = '\0';
        if (sscanf(link, "socket:[%lu]", &ino) == 1)
            for (size_t i = 0; i < n; i++)
                found |= inodes[i] == ino;
    }
    closedir(dir);
    return found;
}

static int log_says_in_use(const struct th_fixture *f)
{
    char tail[4096];
    th_fixture_log_tail(f, tail, sizeof(tail));
    return strcasestr(tail, "address already in use") != NULL;
}

static void exit_text(int status, char *out, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, cap, "stopped");
}

/* 0 once the server listens and accepts; 1 when its port was taken (try another);
 * -1 with err when it failed or ran out of time. */
static int wait_ready(struct th_fixture *f, uint64_t deadline, char *err, size_t errcap)
{
    const char *name = f->def->pub.name;
    char tail[640], how[64];
    for (;;) {
        int status = 0;
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            f->reaped = 1;
            if (log_says_in_use(f))
                return 1;
            exit_text(status, how, sizeof(how));
            tail_for_err(f, tail, sizeof(tail));
            snprintf(err, errcap, "%s %s before accepting connections on 127.0.0.1:%u: %s", name,
                     how, (unsigned)f->port, tail);
            return -1;
        }
        if (log_says_in_use(f))
            return 1;
        int l = listens_on(f->pid, f->port);
        if (l != 0 && accepts(f->port) && !exited(f))
            return 0;
        if (th_now_ns() > deadline) {
            tail_for_err(f, tail, sizeof(tail));
            snprintf(err, errcap, "%s did not accept connections on 127.0.0.1:%u in time: %s", name,
                     (unsigned)f->port, tail);
            return -1;
        }
        sleep_ms(10);
    }
}

/* The pid the server wrote, or 0. */
static pid_t read_pidfile(const struct th_fixture *f)
{
    char path[PATH_MAX];
    path_in(f, "server.pid", path, sizeof(path));
    char *s = th_read_file(path, NULL);
    long pid = s ? strtol(s, NULL, 10) : 0;
    free(s);
    return pid > 0 ? (pid_t)pid : 0;
}

/* The pid file must name the process we started: it is what stops it. */
static int check_pidfile(const struct th_fixture *f, char *err, size_t errcap)
{
    uint64_t deadline = th_now_ns() + PIDFILE_WAIT_NS;
    pid_t p;
    while ((p = read_pidfile(f)) == 0 && th_now_ns() < deadline)
        sleep_ms(10);
    if (p == f->pid)
        return 0;
    if (p == 0)
        snprintf(err, errcap, "%s wrote no pid file in %s", f->def->pub.name, f->dir);
    else
        snprintf(err, errcap, "%s's pid file says %d, but the process started is %d",
                 f->def->pub.name, (int)p, (int)f->pid);
    return -1;
}

/* One start attempt after another while the port turns out taken. */
static int run_server(struct th_fixture *f, const struct th_tls_config *cfg, const char *prog,
                      double timeout_s, char *err, size_t errcap)
{
    uint64_t deadline = th_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (unsigned attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
        if (!(f->port = pick_port(attempt))) {
            snprintf(err, errcap, "no free port on 127.0.0.1: %s", strerror(errno));
            return -1;
        }
        TH_GUARD(write_config(f, cfg, err, errcap));
        TH_GUARD(launch(f, prog, err, errcap));
        int rc = wait_ready(f, deadline, err, errcap);
        if (rc == 0)
            return check_pidfile(f, err, errcap);
        if (rc < 0)
            return -1;
        char tail[640];
        tail_for_err(f, tail, sizeof(tail));
        snprintf(err, errcap, "%s: 127.0.0.1:%u was taken on attempt %u of %d: %s",
                 f->def->pub.name, (unsigned)f->port, attempt + 1, PORT_ATTEMPTS, tail);
        terminate(f);
    }
    return -1;
}

int th_fixture_start(const struct th_fixture_def *pd, const struct th_tls_config *cfg,
                     const char *tmp_root, double timeout_s, struct th_fixture **out, char *err,
                     size_t errcap)
{
    const struct fx_def *d = fx_of(pd);
    char buf[512], prog[PATH_MAX];
    const char *reason;
    *out = NULL;
    if (!d)
        reason = why(buf, sizeof(buf), "'%s' is not a fixture tlsharness knows",
                     pd ? pd->name : "(null)");
    else if (!(reason = th_fixture_missing(pd, buf, sizeof(buf))))
        reason = unsupported(d, cfg, buf, sizeof(buf));
    if (reason) {
        snprintf(err, errcap, "%s", reason);
        return -1;
    }
    if (find_program(server_prog[d->server], prog, sizeof(prog)) != 0) {
        snprintf(err, errcap, "%s is not installed", server_prog[d->server]);
        return -1;
    }
    struct th_fixture *f = th_xcalloc(1, sizeof(*f));
    f->def = d;
    f->reaped = 1;
    if (make_folder(f, tmp_root, err, errcap) == 0 &&
        run_server(f, cfg, prog, timeout_s > 0 ? timeout_s : 10, err, errcap) == 0) {
        *out = f;
        return 0;
    }
    th_fixture_stop(f);
    return -1;
}

uint16_t th_fixture_port(const struct th_fixture *f)
{
    return f->port;
}

const char *th_fixture_dir(const struct th_fixture *f)
{
    return f->dir;
}

pid_t th_fixture_pid(const struct th_fixture *f)
{
    return f->pid;
}

int th_fixture_alive(const struct th_fixture *f)
{
    return f && !exited(f);
}

void th_fixture_stop(struct th_fixture *f)
{
    if (!f)
        return;
    /* The process signalled is the one started here, which the pid file was checked
     * to name at start (check_pidfile): never a pid a server could rewrite later. */
    terminate(f);
    remove_tree(f->dir);
    free(f);
}

/* ---- the pool ---- */

struct pool_entry {
    const struct th_fixture_def *def;
    struct th_tls_config cfg; /* its strings are the entry's own copies */
    struct th_fixture *f;
    uint64_t used;
};

struct th_fixture_pool {
    char *tmp_root;
    size_t max;
    struct pool_entry *v;
    size_t n;
    uint64_t clock;
};

struct th_fixture_pool *th_fixture_pool_new(const char *tmp_root, size_t max_running)
{
    struct th_fixture_pool *p = th_xcalloc(1, sizeof(*p));
    p->tmp_root = tmp_root ? th_xstrdup(tmp_root) : NULL;
    p->max = max_running ? max_running : 1;
    p->v = th_xcalloc(p->max, sizeof(*p->v));
    return p;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Equal in every field that reaches the template. */
static int same_config(const struct th_tls_config *a, const struct th_tls_config *b)
{
    if (a->versions != b->versions || a->n_suites != b->n_suites || a->n_groups != b->n_groups ||
        a->n_alpn != b->n_alpn || !a->prefer_server_order != !b->prefer_server_order ||
        !a->tickets != !b->tickets || !a->session_cache != !b->session_cache ||
        !same_str(a->cert_file, b->cert_file) || !same_str(a->key_file, b->key_file))
        return 0;
    for (size_t i = 0; i < a->n_alpn; i++)
        if (!same_str(a->alpn[i], b->alpn[i]))
            return 0;
    return memcmp(a->suites, b->suites, a->n_suites * sizeof(a->suites[0])) == 0 &&
           memcmp(a->groups, b->groups, a->n_groups * sizeof(a->groups[0])) == 0;
}

static void entry_clear(struct pool_entry *e)
{
    th_fixture_stop(e->f);
    free((char *)e->cfg.cert_file);
    free((char *)e->cfg.key_file);
    for (size_t i = 0; i < e->cfg.n_alpn; i++)
        free((char *)e->cfg.alpn[i]);
    memset(e, 0, sizeof(*e));
}

static void entry_set(struct pool_entry *e, const struct th_fixture_def *d,
                      const struct th_tls_config *cfg, struct th_fixture *f)
{
    e->def = d;
    e->cfg = *cfg;
    /* only what same_config compares is kept */
    e->cfg.ca_file = e->cfg.crl_file = e->cfg.hostname = e->cfg.sni = NULL;
    e->cfg.cert_file = cfg->cert_file ? th_xstrdup(cfg->cert_file) : NULL;
    e->cfg.key_file = cfg->key_file ? th_xstrdup(cfg->key_file) : NULL;
    for (size_t i = 0; i < cfg->n_alpn; i++)
        e->cfg.alpn[i] = th_xstrdup(cfg->alpn[i]);
    e->f = f;
}

/* The entry to put a new instance in: a free one, else the least recently used,
 * stopped. */
static struct pool_entry *pool_slot(struct th_fixture_pool *p)
{
    if (p->n < p->max)
        return &p->v[p->n++];
    struct pool_entry *lru = &p->v[0];
    for (size_t i = 1; i < p->n; i++)
        if (p->v[i].used < lru->used)
            lru = &p->v[i];
    entry_clear(lru);
    return lru;
}

int th_fixture_pool_get(struct th_fixture_pool *p, const struct th_fixture_def *d,
                        const struct th_tls_config *cfg, double timeout_s, struct th_fixture **out,
                        char *err, size_t errcap)
{
    *out = NULL;
    for (size_t i = 0; i < p->n; i++) {
        struct pool_entry *e = &p->v[i];
        if (e->def != d || !same_config(&e->cfg, cfg))
            continue;
        if (th_fixture_alive(e->f)) {
            e->used = ++p->clock;
            *out = e->f;
            return 0;
        }
        /* it died: start it again in its place */
        entry_clear(e);
        p->v[i] = p->v[--p->n];
        memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
        break;
    }
    struct th_fixture *f;
    if (th_fixture_start(d, cfg, p->tmp_root, timeout_s, &f, err, errcap) != 0)
        return -1;
    struct pool_entry *e = pool_slot(p);
    entry_set(e, d, cfg, f);
    e->used = ++p->clock;
    *out = f;
    return 0;
}

size_t th_fixture_pool_running(const struct th_fixture_pool *p)
{
    return p ? p->n : 0;
}

void th_fixture_pool_free(struct th_fixture_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        entry_clear(&p->v[i]);
    free(p->v);
    free(p->tmp_root);
    free(p);
}

/* ---- tlsharness fixture NAME ---- */

static volatile sig_atomic_t cmd_stop;

static void cmd_on_signal(int sig)
{
    (void)sig;
    cmd_stop = 1;
}

struct cmd_opts {
    const char *name, *cert, *pki_dir;
    double seconds;
};

static int cmd_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "tlsharness: fixture: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n(see 'tlsharness help')\n");
    return 2;
}

static int cmd_parse(int argc, char **argv, struct cmd_opts *o)
{
    enum { O_CERT = 256, O_SECONDS, O_PKI };
    static const struct option longopts[] = {
        {"cert", required_argument, NULL, O_CERT},
        {"seconds", required_argument, NULL, O_SECONDS},
        {"pki", required_argument, NULL, O_PKI},
        {NULL, 0, NULL, 0},
    };
    const char *env = getenv("TLSHARNESS_PKI");
    *o = (struct cmd_opts){.cert = "rsa2048", .pki_dir = env && *env ? env : "results/pki"};
    optind = 1;
    opterr = 0;
    int ch;
    char *end;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case O_CERT: o->cert = optarg; break;
        case O_PKI: o->pki_dir = optarg; break;
        case O_SECONDS:
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->seconds >= 0 && o->seconds <= 1e7))
                return cmd_usage("--seconds: '%s' is not a duration in seconds", optarg);
            break;
        default: return cmd_usage("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cmd_usage("%s", "needs one fixture NAME");
    o->name = argv[optind];
    return 0;
}

/* The default server configuration: every version the fixture has, its library's
 * suites and groups, its own order, tickets and a cache. */
static void cmd_config(const struct th_fixture_def *d, const char *chain, const char *key,
                       struct th_tls_config *cfg)
{
    struct th_caps c;
    d->caps(&c);
    *cfg = (struct th_tls_config){.role = TH_ROLE_SERVER,
                                  .versions = c.versions,
                                  .cert_file = chain,
                                  .key_file = key,
                                  .prefer_server_order = 1,
                                  .tickets = 1,
                                  .session_cache = 1};
}

static int cmd_resolve(const struct cmd_opts *o, char *chain, char *key, size_t cap)
{
    char err[512], abs_dir[PATH_MAX];
    if (!th_pki_known(o->cert, TH_PKI_CHAIN) || !th_pki_known(o->cert, TH_PKI_KEY))
        return cmd_usage("--cert: '%s' is not a pki leaf (see 'tlsharness pki')", o->cert);
    if (th_pki_ensure(o->pki_dir, err, sizeof(err)) != 0 ||
        !realpath(o->pki_dir, abs_dir) || /* the server runs in a folder of its own */
        th_pki_path(abs_dir, o->cert, TH_PKI_CHAIN, chain, cap, err, sizeof(err)) != 0 ||
        th_pki_path(abs_dir, o->cert, TH_PKI_KEY, key, cap, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: test PKI in %s: %s\n", o->pki_dir, err);
        return 3;
    }
    return 0;
}

/* Until a signal, the time limit, or the server's own end (an error: exit 3). */
static int cmd_wait(struct th_fixture *f, double seconds)
{
    uint64_t deadline = seconds > 0 ? th_now_ns() + (uint64_t)(seconds * 1e9) : 0;
    while (!cmd_stop && (!deadline || th_now_ns() < deadline)) {
        if (!th_fixture_alive(f)) {
            char tail[640];
            tail_for_err(f, tail, sizeof(tail));
            fprintf(stderr, "tlsharness: fixture: %s stopped by itself: %s\n", f->def->pub.name,
                    tail);
            return 3;
        }
        sleep_ms(50);
    }
    return 0;
}

int th_fixture_cmd(int argc, char **argv)
{
    struct cmd_opts o;
    char chain[PATH_MAX], key[PATH_MAX], err[1024], known[256] = "";
    int rc = cmd_parse(argc, argv, &o);
    if (rc)
        return rc;
    const struct th_fixture_def *d = th_fixture_find(o.name);
    if (!d) {
        for (size_t i = 0; th_fixtures[i]; i++)
            snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "",
                     th_fixtures[i]->name);
        fprintf(stderr, "tlsharness: fixture: unknown fixture '%s' (known: %s)\n", o.name, known);
        return 2;
    }
    if ((rc = cmd_resolve(&o, chain, key, sizeof(chain))) != 0)
        return rc;
    struct th_tls_config cfg;
    cmd_config(d, chain, key, &cfg);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cmd_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct th_fixture *f;
    if (th_fixture_start(d, &cfg, NULL, 15, &f, err, sizeof(err)) != 0) {
        fprintf(stderr, "tlsharness: fixture: %s\n", err);
        return 3;
    }
    printf("serving https://127.0.0.1:%u/ with %s (pid %d, folder %s)\n", (unsigned)f->port,
           d->name, (int)f->pid, f->dir);
    fflush(stdout);
    rc = cmd_wait(f, o.seconds);
    th_fixture_stop(f);
    return rc;
}
