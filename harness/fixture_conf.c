/* A fixture's configuration (fixture_int.h: th_fx_write_config), written into its
 * folder from the server's template in harness/fixtures/: @NAME@ filled with the
 * port, the files, and the versions, suites and groups in each server's own
 * language (OpenSSL's names, IANA's, mbedTLS's, a GnuTLS priority string, mod_nss's
 * names, Caddy's JSON). What a template cannot express never reaches here:
 * fixture_check.c refuses it first. */
#include "fixture_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iana.h"

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
    if (names == NAMES_NSS && th_fx_is_tls13(id)) {
        sb_printf(out, "%s", nss_tls13_name(id));
    } else if ((names == NAMES_OPENSSL || names == NAMES_NSS) && !th_fx_is_tls13(id)) {
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
        if (kind13 >= 0 && th_fx_is_tls13(cfg->suites[i]) != kind13)
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

/* ---- templates ---- */

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
    th_fx_path_in(f, out_name, dst, sizeof(dst));
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
    th_fx_path_in(f, "ffdhe2048.pem", dst, sizeof(dst));
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
    if (th_fx_lists_kind(cfg, 0))
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
        th_fx_gt_collect(cfg, &p);
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

/* The suite entries of lighttpd_conf_cmd: each module takes its list under a key
 * and by names of its own. */
static void lighttpd_suites(const struct fx_def *d, const struct th_tls_config *cfg, struct sb *out)
{
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
        if (th_fx_lists_kind(cfg, 0))
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
    lighttpd_suites(d, cfg, out);
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
    if (th_fx_lists_kind(cfg, 0)) {
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

int th_fx_write_config(const struct th_fixture *f, const struct th_tls_config *given, char *err,
                       size_t errcap)
{
    struct th_tls_config cfg;
    th_fx_effective(given, &cfg);
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
