/* What a fixture's template can express (fixture.h: th_fixture_unsupported). A
 * configuration the template cannot express exactly is refused before anything
 * starts, so a case never runs against a server that silently serves something
 * else. The checks run on the configuration as the template will write it
 * (th_fx_effective), with each library's own limits: a GnuTLS priority string's
 * product of keywords, Go's fixed TLS 1.3 suites, mod_wolfssl's one curve, the
 * leaves a library will not load. */
#include "fixture_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "iana.h"

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

int th_fx_is_tls13(uint16_t suite)
{
    const struct th_suite_info *s = th_suite_by_id(suite);
    return s && s->min_version == TH_TLS13;
}

int th_fx_lists_kind(const struct th_tls_config *cfg, int want13)
{
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (th_fx_is_tls13(cfg->suites[i]) == want13)
            return 1;
    return 0;
}

/* As the backends read a suite list: one without a suite for the top version caps
 * the range at the highest version that has one (OpenSSL's servers would otherwise
 * refuse every handshake, "no ciphers available"). Only the top is cut: lower
 * versions without a suite stay, and check_lists decides whether that can be said. */
void th_fx_effective(const struct th_tls_config *in, struct th_tls_config *out)
{
    *out = *in;
    out->versions = th_versions_effective(in->versions, in->suites, in->n_suites);
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
    if (cfg->n_suites && (cfg->versions & below13) && !th_fx_lists_kind(cfg, 0))
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

static size_t gt_index(struct gt_list *l, const char *w)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], w) == 0)
            return i;
    if (l->n < TH_ARRAY_LEN(l->v))
        l->v[l->n++] = w;
    return l->n - 1;
}

void th_fx_gt_collect(const struct th_tls_config *cfg, struct gt_plan *p)
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
    th_fx_gt_collect(cfg, &p);
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
        n13 += th_fx_is_tls13(cfg->suites[i]);
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

/* The checks run on the configuration as the template will write it (th_fx_effective). */
static const char *unsupported(const struct fx_def *d, const struct th_tls_config *given, char *buf,
                               size_t cap)
{
    struct th_caps c;
    struct th_tls_config cfg;
    const char *r;
    th_fx_caps(d, &c);
    if (!given->cert_file || !given->key_file)
        return why(buf, cap, "%s needs a certificate and a key file", d->pub.name);
    th_fx_effective(given, &cfg);
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
    const struct fx_def *d = th_fx_of(pd);
    if (!d)
        return why(buf, cap, "'%s' is not a fixture tlsharness knows", pd ? pd->name : "(null)");
    return unsupported(d, cfg, buf, cap);
}
