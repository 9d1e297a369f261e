/* Scenario loader: strict parsing of the JSON format documented in
 * scenarios/README.md. The blocks of the kinds beyond handshake are in
 * scenario_kinds.c; the expansion of what was loaded into cases (variant x client x
 * server, and per suite or group with "foreach") is in expand.c.
 *
 * Parsing walks each JSON object key by key with a table of handlers per object
 * kind. The JSON path being looked at is kept on a small stack (struct ld), so
 * every error can name it and jsonpos.c can find its FILE:LINE:COL in the text. */
#include "scenario.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/vocab/iana.h"
#include "harness/vocab/jsonpos.h"
#include "harness/pki/pki.h"
#include "scenario_int.h"

enum { WHO_CLIENT = 1, WHO_SERVER = 2 };

/* In enum th_kind's order; the ones after it are known but not run by this build. */
static const char *const kind_names[] = {
    "handshake", "bulk", "handshake_rate", "memory", "integrity", "load", NULL};
#define N_KINDS_RUN (TH_KIND_LOAD + 1)
static const char *const transport_names[] = {"memory", "tcp", NULL};
static const char *const foreach_names[] = {"none", "suite", "group", NULL};
static const char *const resume_names[] = {"none", "ticket", "session_id", NULL};
const char *const th_filter_kx[] = {"TLS13", "ECDHE", "DHE", "RSA", NULL};
const char *const th_filter_auth[] = {"RSA", "ECDSA", "any", NULL};

const char *th_kind_name(enum th_kind k)
{
    return (unsigned)k < N_KINDS_RUN ? kind_names[k] : "unknown";
}

const char *th_transport_name(enum th_transport t)
{
    return t == TH_TRANSPORT_TCP ? "tcp" : "memory";
}

/* ---- diagnostics ---- */

static void diag_at(struct loader *L, const char *file, int line, int col, const char *msg)
{
    struct th_diag d;
    th_strlcpy(d.file, file, sizeof d.file);
    d.line = line;
    d.col = col;
    th_strlcpy(d.msg, msg, sizeof d.msg);
    L->errors++;
    if (L->diag)
        L->diag(&d, L->arg);
}

static void path_str(const struct ld *l, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < l->depth && n < cap; i++) {
        int k = l->path[i].key ? snprintf(out + n, cap - n, "%s%s", i ? "." : "", l->path[i].key)
                               : snprintf(out + n, cap - n, "[%zu]", l->path[i].index);
        n += k > 0 ? (size_t)k : 0;
    }
}

int th_ld_verr(struct ld *l, int at_key, const char *fmt, va_list ap)
{
    char where[256], what[512], msg[800];
    int line = 0, col = 0;
    th_jsonpos_find(l->text, l->len, l->path, l->depth, at_key, &line, &col);
    path_str(l, where, sizeof where);
    vsnprintf(what, sizeof what, fmt, ap);
    snprintf(msg, sizeof msg, "%s%s%s", where, *where ? ": " : "", what);
    l->errors++;
    diag_at(l->L, l->file, line, col, msg);
    return -1;
}

static void join(const char *const *names, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; names[i] && n < cap; i++) {
        int k = snprintf(out + n, cap - n, "%s%s", i ? ", " : "", names[i]);
        n += k > 0 ? (size_t)k : 0;
    }
}

void th_vset_str(unsigned set, char *out, size_t cap)
{
    const char *names[5];
    size_t n = 0;
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (set & TH_VBIT(v))
            names[n++] = th_version_name(v);
    names[n] = NULL;
    join(names, out, cap);
}

static void backend_names(const struct th_backend *const *reg, char *out, size_t cap)
{
    const char *names[64];
    size_t n = 0;
    for (; reg[n] && n < 63; n++)
        names[n] = reg[n]->name;
    names[n] = NULL;
    join(names, out, cap);
    if (!n)
        th_strlcpy(out, "none", cap);
}

/* ---- typed values ---- */

const char *th_jtype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    default: return "null";
    }
}

static int want(struct ld *l, const json_t *v, int good, const char *what)
{
    return good ? 0 : perr(l, "expected %s, got %s", what, th_jtype(v));
}

static int get_str(struct ld *l, json_t *v, const char **out)
{
    TRY(want(l, v, json_is_string(v), "a string"));
    *out = json_string_value(v);
    return 0;
}

static int get_bool(struct ld *l, json_t *v, int *out)
{
    TRY(want(l, v, json_is_boolean(v), "true or false"));
    *out = json_is_true(v);
    return 0;
}

int th_get_enum(struct ld *l, json_t *v, const char *const *names, int *out)
{
    const char *s;
    char known[256];
    TRY(get_str(l, v, &s));
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    join(names, known, sizeof known);
    return perr(l, "unknown value \"%s\" (known: %s)", s, known);
}

/* A string or null into *out (replacing what was there). */
static int get_opt_str(struct ld *l, json_t *v, char **out)
{
    const char *s = NULL;
    if (!json_is_null(v)) {
        TRY(get_str(l, v, &s));
        if (!*s)
            return perr(l, "empty string (use null for none)");
    }
    free(*out);
    *out = s ? th_xstrdup(s) : NULL;
    return 0;
}

static int matches(const char *s, const char *set)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr(set, *s))
            return 0;
    return 1;
}

int th_is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

typedef int (*item_fn)(struct ld *l, json_t *it, void *ctx);

/* Each element of an array of at most max entries; all item errors are reported. */
static int each(struct ld *l, json_t *v, size_t max, item_fn fn, void *ctx)
{
    size_t i;
    json_t *it;
    int rc = 0;
    TRY(want(l, v, json_is_array(v), "an array"));
    if (json_array_size(v) > max)
        return perr(l, "too many entries (at most %zu)", max);
    json_array_foreach(v, i, it)
    {
        push_idx(l, i);
        if (fn(l, it, ctx) < 0)
            rc = -1;
        pop(l);
    }
    return rc;
}

/* ---- list items ---- */

static int version_item(struct ld *l, json_t *it, void *ctx)
{
    unsigned *set = ctx;
    const char *s;
    uint16_t v;
    TRY(get_str(l, it, &s));
    if (th_version_parse(s, &v) < 0)
        return perr(l, "unknown TLS version \"%s\" (known: 1.0, 1.1, 1.2, 1.3)", s);
    if (*set & TH_VBIT(v))
        return perr(l, "TLS %s listed twice", s);
    *set |= TH_VBIT(v);
    return 0;
}

struct ids {
    uint16_t *v;
    size_t *n;
};

int th_has_id(const uint16_t *v, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return 1;
    return 0;
}

static int suite_name(struct ld *l, json_t *it, uint16_t *id)
{
    const char *s;
    TRY(get_str(l, it, &s));
    const struct th_suite_info *si = th_suite_by_name(s);
    if (!si)
        return perr(l, "unknown cipher suite \"%s\" (IANA names such as TLS_AES_128_GCM_SHA256)",
                    s);
    *id = si->id;
    return 0;
}

static int group_name(struct ld *l, json_t *it, uint16_t *id)
{
    const char *s;
    TRY(get_str(l, it, &s));
    const struct th_group_info *g = th_group_by_name(s);
    if (!g)
        return perr(l, "unknown group \"%s\" (IANA names such as x25519, secp256r1, ffdhe2048)", s);
    *id = g->id;
    return 0;
}

static int id_item(struct ld *l, json_t *it, struct ids *o,
                   int (*name)(struct ld *, json_t *, uint16_t *))
{
    uint16_t id;
    TRY(name(l, it, &id));
    if (th_has_id(o->v, *o->n, id))
        return perr(l, "%s listed twice", json_string_value(it));
    o->v[(*o->n)++] = id;
    return 0;
}

static int suite_item(struct ld *l, json_t *it, void *ctx)
{
    return id_item(l, it, ctx, suite_name);
}
static int group_item(struct ld *l, json_t *it, void *ctx)
{
    return id_item(l, it, ctx, group_name);
}

static int alpn_value(struct ld *l, json_t *it, const char **out)
{
    TRY(get_str(l, it, out));
    size_t n = strlen(*out);
    if (n < 1 || n > 255)
        return perr(l, "an ALPN protocol name is 1 to 255 bytes (this one is %zu)", n);
    return 0;
}

static int alpn_item(struct ld *l, json_t *it, void *ctx)
{
    struct th_endpoint_spec *sp = ctx;
    const char *s;
    TRY(alpn_value(l, it, &s));
    sp->alpn[sp->n_alpn++] = th_xstrdup(s);
    return 0;
}

static int outcome_item(struct ld *l, json_t *it, void *ctx)
{
    th_outcome_set *set = ctx;
    enum th_outcome o;
    const char *s, *names[TH_OUTCOME_COUNT + 1];
    char known[512];
    TRY(get_str(l, it, &s));
    if (th_outcome_parse(s, &o) < 0) {
        for (int i = 0; i < TH_OUTCOME_COUNT; i++)
            names[i] = th_outcome_name((enum th_outcome)i);
        names[TH_OUTCOME_COUNT] = NULL;
        join(names, known, sizeof known);
        return perr(l, "unknown outcome \"%s\" (known: %s)", s, known);
    }
    if (*set & TH_OUTCOME_BIT(o))
        return perr(l, "outcome %s listed twice", s);
    *set |= TH_OUTCOME_BIT(o);
    return 0;
}

static int parse_outcomes(struct ld *l, json_t *v, th_outcome_set *out)
{
    *out = 0;
    if (json_is_string(v))
        return outcome_item(l, v, out);
    if (!json_is_array(v))
        return perr(l, "expected an outcome name or a list of them, got %s", th_jtype(v));
    if (json_array_size(v) == 0)
        return perr(l, "empty list: name at least one acceptable outcome");
    return each(l, v, TH_OUTCOME_COUNT, outcome_item, out);
}

/* ---- endpoint specs ---- */

static void spec_defaults(struct th_endpoint_spec *sp, unsigned who)
{
    memset(sp, 0, sizeof *sp);
    sp->versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    if (who == WHO_CLIENT) {
        sp->ca = th_xstrdup("pki:root");
        sp->hostname = th_xstrdup("localhost");
        sp->verify = 1;
    } else {
        sp->cert = th_xstrdup("pki:rsa2048");
        sp->prefer_server_order = 1;
        sp->tickets = 1;
        sp->session_cache = 1;
    }
}

char *th_dup_or_null(const char *s)
{
    return s ? th_xstrdup(s) : NULL;
}

void th_spec_copy(struct th_endpoint_spec *d, const struct th_endpoint_spec *s)
{
    *d = *s;
    for (size_t i = 0; i < s->n_alpn; i++)
        d->alpn[i] = th_xstrdup(s->alpn[i]);
    d->ca = th_dup_or_null(s->ca);
    d->crl = th_dup_or_null(s->crl);
    d->hostname = th_dup_or_null(s->hostname);
    d->sni = th_dup_or_null(s->sni);
    d->cert = th_dup_or_null(s->cert);
}

void th_spec_free(struct th_endpoint_spec *sp)
{
    for (size_t i = 0; i < sp->n_alpn; i++)
        free(sp->alpn[i]);
    free(sp->ca);
    free(sp->crl);
    free(sp->hostname);
    free(sp->sni);
    free(sp->cert);
    memset(sp, 0, sizeof *sp);
}

static int k_versions(struct ld *l, json_t *v, struct side *sd)
{
    unsigned set = 0;
    TRY(each(l, v, 4, version_item, &set));
    if (!set)
        return perr(l, "empty list: name at least one version");
    sd->sp.versions = set;
    return 0;
}

static int k_ciphers(struct ld *l, json_t *v, struct side *sd)
{
    struct ids o = {sd->sp.suites, &sd->sp.n_suites};
    if (l->foreach == FE_SUITE)
        return kerr(l, "not allowed with \"foreach\": \"suite\" (each case sets it)");
    sd->sp.n_suites = 0;
    sd->ciphers_from = l->variant;
    return each(l, v, TH_MAX_SUITES, suite_item, &o);
}

static int k_groups(struct ld *l, json_t *v, struct side *sd)
{
    struct ids o = {sd->sp.groups, &sd->sp.n_groups};
    if (l->foreach == FE_GROUP)
        return kerr(l, "not allowed with \"foreach\": \"group\" (each case sets it)");
    sd->sp.n_groups = 0;
    return each(l, v, TH_MAX_GROUPS, group_item, &o);
}

static int k_alpn(struct ld *l, json_t *v, struct side *sd)
{
    for (size_t i = 0; i < sd->sp.n_alpn; i++)
        free(sd->sp.alpn[i]);
    sd->sp.n_alpn = 0;
    return each(l, v, TH_MAX_ALPN, alpn_item, &sd->sp);
}

static const char *use_name(enum th_pki_use use)
{
    return use == TH_PKI_CA    ? "a trust anchor"
           : use == TH_PKI_CRL ? "a CRL"
                               : "a server certificate";
}

/* "pki:NAME" checked against the PKI, or a file path (relative to the scenario's
 * folder) that must exist; stored absolute. */
static int pki_or_file(struct ld *l, json_t *v, enum th_pki_use use, int files, char **out)
{
    const char *s;
    struct stat st;
    TRY(get_str(l, v, &s));
    if (strncmp(s, "pki:", 4) == 0) {
        if (!th_pki_known(s + 4, use))
            return perr(l, "unknown pki object \"%s\" for %s (see scenarios/README.md)", s,
                        use_name(use));
        *out = th_xstrdup(s);
        return 0;
    }
    if (!files)
        return perr(l, "expected \"pki:NAME\" naming a leaf, got \"%s\"", s);
    if (!*s)
        return perr(l, "empty path");
    char *abs = s[0] == '/' ? th_xstrdup(s) : th_xasprintf("%s/%s", l->dir, s);
    if (stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
        perr(l, "file not found: %s (a path is relative to the scenario's folder)", abs);
        free(abs);
        return -1;
    }
    *out = abs;
    return 0;
}

static int k_ref(struct ld *l, json_t *v, char **field, enum th_pki_use use, int files)
{
    char *val = NULL;
    if (!json_is_null(v) || use == TH_PKI_CHAIN)
        TRY(pki_or_file(l, v, use, files, &val));
    free(*field);
    *field = val;
    return 0;
}

static int k_ca(struct ld *l, json_t *v, struct side *sd)
{
    return k_ref(l, v, &sd->sp.ca, TH_PKI_CA, 1);
}
static int k_crl(struct ld *l, json_t *v, struct side *sd)
{
    return k_ref(l, v, &sd->sp.crl, TH_PKI_CRL, 1);
}
static int k_cert(struct ld *l, json_t *v, struct side *sd)
{
    return k_ref(l, v, &sd->sp.cert, TH_PKI_CHAIN, 0);
}
static int k_hostname(struct ld *l, json_t *v, struct side *sd)
{
    return get_opt_str(l, v, &sd->sp.hostname);
}
static int k_verify(struct ld *l, json_t *v, struct side *sd)
{
    return get_bool(l, v, &sd->sp.verify);
}
static int k_prefer(struct ld *l, json_t *v, struct side *sd)
{
    return get_bool(l, v, &sd->sp.prefer_server_order);
}
static int k_tickets(struct ld *l, json_t *v, struct side *sd)
{
    return get_bool(l, v, &sd->sp.tickets);
}
static int k_cache(struct ld *l, json_t *v, struct side *sd)
{
    return get_bool(l, v, &sd->sp.session_cache);
}

static int k_sni(struct ld *l, json_t *v, struct side *sd)
{
    sd->sni_set = 1;
    return get_opt_str(l, v, &sd->sp.sni);
}

static int k_resume(struct ld *l, json_t *v, struct side *sd)
{
    int r;
    if (l->kind == TH_KIND_HANDSHAKE_RATE)
        return kerr(l, "not used by kind handshake_rate: \"handshakes\": {\"resume\": ...} says "
                       "how the measured handshakes resume");
    if (l->kind == TH_KIND_LOAD)
        return kerr(l, "not used by kind load: \"load\": {\"resume\": ...} says how "
                       "reconnections resume");
    TRY(th_get_enum(l, v, resume_names, &r));
    sd->sp.resume = (enum th_resume)r;
    return 0;
}

typedef int (*side_fn)(struct ld *, json_t *, struct side *);
static const struct side_key {
    const char *name;
    unsigned who;
    side_fn fn;
} side_keys[] = {
    {"versions", WHO_CLIENT | WHO_SERVER, k_versions},
    {"ciphers", WHO_CLIENT | WHO_SERVER, k_ciphers},
    {"groups", WHO_CLIENT | WHO_SERVER, k_groups},
    {"alpn", WHO_CLIENT | WHO_SERVER, k_alpn},
    {"ca", WHO_CLIENT, k_ca},
    {"crl", WHO_CLIENT, k_crl},
    {"hostname", WHO_CLIENT, k_hostname},
    {"sni", WHO_CLIENT, k_sni},
    {"verify", WHO_CLIENT, k_verify},
    {"resume", WHO_CLIENT, k_resume},
    {"cert", WHO_SERVER, k_cert},
    {"prefer_server_order", WHO_SERVER, k_prefer},
    {"tickets", WHO_SERVER, k_tickets},
    {"session_cache", WHO_SERVER, k_cache},
};

static int side_key_err(struct ld *l, const char *key, unsigned who)
{
    const char *names[TH_ARRAY_LEN(side_keys) + 1];
    char known[512];
    size_t n = 0;
    const char *me = who == WHO_CLIENT ? "client" : "server";
    for (size_t i = 0; i < TH_ARRAY_LEN(side_keys); i++) {
        if (strcmp(side_keys[i].name, key) == 0)
            return kerr(l, "\"%s\" is a %s key, not allowed in %s", key,
                        who == WHO_CLIENT ? "server" : "client", me);
        if (side_keys[i].who & who)
            names[n++] = side_keys[i].name;
    }
    names[n] = NULL;
    join(names, known, sizeof known);
    return kerr(l, "unknown key (%s keys: %s)", me, known);
}

/* Apply a client or server block onto sd: each key present replaces that field. */
static int parse_side(struct ld *l, json_t *obj, struct side *sd, unsigned who)
{
    const char *key;
    json_t *v;
    int rc = 0;
    TRY(want(l, obj, json_is_object(obj), "an object"));
    json_object_foreach(obj, key, v)
    {
        const struct side_key *k = NULL;
        for (size_t i = 0; i < TH_ARRAY_LEN(side_keys) && !k; i++)
            if (strcmp(side_keys[i].name, key) == 0 && (side_keys[i].who & who))
                k = &side_keys[i];
        push_key(l, key);
        if ((k ? k->fn(l, v, sd) : side_key_err(l, key, who)) < 0)
            rc = -1;
        pop(l);
    }
    return rc;
}

/* ---- expect ---- */

static int e_outcome(struct ld *l, json_t *v, struct th_expect *e)
{
    return parse_outcomes(l, v, &e->outcomes);
}

static int e_version(struct ld *l, json_t *v, struct th_expect *e)
{
    const char *s;
    TRY(get_str(l, v, &s));
    if (th_version_parse(s, &e->version) < 0)
        return perr(l, "unknown TLS version \"%s\" (known: 1.0, 1.1, 1.2, 1.3)", s);
    return 0;
}

static int e_cipher(struct ld *l, json_t *v, struct th_expect *e)
{
    if (l->foreach == FE_SUITE)
        return kerr(l, "not allowed with \"foreach\": \"suite\" (each case sets it)");
    return suite_name(l, v, &e->suite);
}

static int e_group(struct ld *l, json_t *v, struct th_expect *e)
{
    if (l->foreach == FE_GROUP)
        return kerr(l, "not allowed with \"foreach\": \"group\" (each case sets it)");
    return group_name(l, v, &e->group);
}

static int e_alpn(struct ld *l, json_t *v, struct th_expect *e)
{
    const char *s = NULL;
    if (!json_is_null(v))
        TRY(alpn_value(l, v, &s));
    free(e->alpn);
    e->alpn = th_dup_or_null(s);
    e->alpn_pinned = 1;
    return 0;
}

static int e_resumed(struct ld *l, json_t *v, struct th_expect *e)
{
    return get_bool(l, v, &e->resumed);
}

typedef int (*expect_fn)(struct ld *, json_t *, struct th_expect *);
static const struct expect_key {
    const char *name;
    expect_fn fn;
} expect_keys[] = {
    {"outcome", e_outcome}, {"version", e_version}, {"cipher", e_cipher},
    {"group", e_group},     {"alpn", e_alpn},       {"resumed", e_resumed},
};

static int parse_expect(struct ld *l, json_t *obj, struct th_expect *e)
{
    const char *key;
    json_t *v;
    int rc = 0;
    TRY(want(l, obj, json_is_object(obj), "an object"));
    json_object_foreach(obj, key, v)
    {
        expect_fn fn = NULL;
        for (size_t i = 0; i < TH_ARRAY_LEN(expect_keys); i++)
            if (strcmp(expect_keys[i].name, key) == 0)
                fn = expect_keys[i].fn;
        push_key(l, key);
        if ((fn ? fn(l, v, e)
                : kerr(l, "unknown key (expect keys: outcome, version, cipher, "
                          "group, alpn, resumed)")) < 0)
            rc = -1;
        pop(l);
    }
    return rc;
}

/* ---- deviations ---- */

void th_dev_free(struct th_deviation *d)
{
    free(d->client);
    free(d->server);
    free(d->why);
    memset(d, 0, sizeof *d);
}

void th_dev_copy(struct th_deviation *d, const struct th_deviation *s)
{
    d->client = th_dup_or_null(s->client);
    d->server = th_dup_or_null(s->server);
    d->outcomes = s->outcomes;
    d->why = th_dup_or_null(s->why);
}

static int dev_name(struct ld *l, json_t *v, char **out)
{
    const char *s;
    TRY(get_str(l, v, &s));
    const char *name = strncmp(s, "fixture:", 8) == 0 ? s + 8 : s;
    if (!*name || !matches(name, "abcdefghijklmnopqrstuvwxyz0123456789._-*"))
        return perr(l, "\"%s\" is not a backend or fixture name (or a glob of them)", s);
    *out = th_xstrdup(s);
    return 0;
}

static int dev_key(struct ld *l, const char *key, json_t *v, struct th_deviation *d)
{
    const char *s;
    if (strcmp(key, "client") == 0)
        return dev_name(l, v, &d->client);
    if (strcmp(key, "server") == 0)
        return dev_name(l, v, &d->server);
    if (strcmp(key, "outcome") == 0)
        return parse_outcomes(l, v, &d->outcomes);
    if (strcmp(key, "why") == 0) {
        TRY(get_str(l, v, &s));
        if (!*s)
            return perr(l, "empty: say why this backend differs");
        d->why = th_xstrdup(s);
        return 0;
    }
    return kerr(l, "unknown key (deviation keys: client, server, outcome, why)");
}

static int parse_dev(struct ld *l, json_t *obj, void *ctx)
{
    struct th_deviation *d = ctx;
    const char *key;
    json_t *v;
    int rc = 0;
    TRY(want(l, obj, json_is_object(obj), "an object"));
    json_object_foreach(obj, key, v)
    {
        push_key(l, key);
        if (dev_key(l, key, v, d) < 0)
            rc = -1;
        pop(l);
    }
    if (!json_object_get(obj, "outcome"))
        rc = perr(l, "missing required key \"outcome\"");
    if (!json_object_get(obj, "why"))
        rc = perr(l, "missing required key \"why\" (say why this backend differs)");
    if (!json_object_get(obj, "client") && !json_object_get(obj, "server"))
        rc = perr(l, "needs \"client\" or \"server\": the backend whose difference it explains");
    return rc;
}

struct devs {
    struct th_deviation *v;
    size_t n;
};

static int dev_item(struct ld *l, json_t *it, void *ctx)
{
    struct devs *ds = ctx;
    ds->v = th_xrealloc(ds->v, (ds->n + 1) * sizeof *ds->v);
    memset(&ds->v[ds->n], 0, sizeof ds->v[0]);
    return parse_dev(l, it, &ds->v[ds->n++]);
}

/* Deviations of a block: they go before those already in sc, so a variant's own
 * come first when the most specific match is chosen. */
static int parse_devs(struct ld *l, json_t *v, struct scn *sc)
{
    struct devs ds = {NULL, 0};
    int rc = each(l, v, 256, dev_item, &ds);
    ds.v = th_xrealloc(ds.v, (ds.n + sc->n_devs) * sizeof *ds.v);
    if (sc->n_devs)
        memcpy(ds.v + ds.n, sc->devs, sc->n_devs * sizeof *ds.v);
    free(sc->devs);
    sc->devs = ds.v;
    sc->n_devs += ds.n;
    return rc;
}

/* ---- whole scenarios ---- */

void th_expect_copy(struct th_expect *d, const struct th_expect *s)
{
    *d = *s;
    d->alpn = th_dup_or_null(s->alpn);
}

static void scn_init(struct scn *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->variant = -1;
    sc->timeout_s = 5;
    spec_defaults(&sc->c.sp, WHO_CLIENT);
    spec_defaults(&sc->s.sp, WHO_SERVER);
    sc->c.ciphers_from = sc->s.ciphers_from = -1;
    th_kspec_defaults(&sc->ks);
    sc->expect.outcomes = 0; /* the kind's default, once the variant is complete */
    sc->expect.resumed = -1;
}

static void scn_copy(struct scn *d, const struct scn *s)
{
    *d = *s;
    d->name = th_dup_or_null(s->name);
    d->description = th_dup_or_null(s->description);
    th_spec_copy(&d->c.sp, &s->c.sp);
    th_spec_copy(&d->s.sp, &s->s.sp);
    th_expect_copy(&d->expect, &s->expect);
    d->devs = s->n_devs ? th_xcalloc(s->n_devs, sizeof *d->devs) : NULL;
    for (size_t i = 0; i < s->n_devs; i++)
        th_dev_copy(&d->devs[i], &s->devs[i]);
}

static void scn_free(struct scn *sc)
{
    free(sc->name);
    free(sc->description);
    th_spec_free(&sc->c.sp);
    th_spec_free(&sc->s.sp);
    free(sc->expect.alpn);
    for (size_t i = 0; i < sc->n_devs; i++)
        th_dev_free(&sc->devs[i]);
    free(sc->devs);
    memset(sc, 0, sizeof *sc);
}

static void file_free(struct file_scn *f)
{
    struct peer *lists[2] = {f->clients, f->servers};
    size_t ns[2] = {f->n_clients, f->n_servers};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < ns[k]; i++) {
            free(lists[k][i].url);
            free(lists[k][i].host);
            free(lists[k][i].label);
        }
    }
    for (size_t i = 0; i < f->n_vars; i++)
        scn_free(&f->vars[i]);
    free(f->vars);
    scn_free(&f->base);
}

static int t_name(struct ld *l, json_t *v, struct file_scn *f)
{
    const char *s;
    struct loader *L = l->L;
    TRY(get_str(l, v, &s));
    if (!matches(s, "abcdefghijklmnopqrstuvwxyz0123456789._/-"))
        return perr(l, "\"%s\" must match [a-z0-9._/-]+", s);
    for (size_t i = 0; i < L->n_names; i++)
        if (strcmp(L->names[i], s) == 0)
            return perr(l, "\"%s\" is already the name of a scenario in %s", s, L->name_files[i]);
    L->names = th_xrealloc(L->names, (L->n_names + 1) * sizeof *L->names);
    L->name_files = th_xrealloc(L->name_files, (L->n_names + 1) * sizeof *L->name_files);
    L->names[L->n_names] = th_xstrdup(s);
    L->name_files[L->n_names++] = th_xstrdup(l->file);
    f->base.name = th_xstrdup(s);
    return 0;
}

static int t_description(struct ld *l, json_t *v, struct file_scn *f)
{
    return get_opt_str(l, v, &f->base.description);
}

static int t_transport(struct ld *l, json_t *v, struct file_scn *f)
{
    int t;
    TRY(th_get_enum(l, v, transport_names, &t));
    f->base.transport = l->transport = (enum th_transport)t;
    if (t == TH_TRANSPORT_TCP && l->kind == TH_KIND_MEMORY)
        return perr(l, "kind memory needs \"transport\": \"memory\": it counts the heap of "
                       "both ends in this process");
    if (t == TH_TRANSPORT_TCP && l->kind == TH_KIND_INTEGRITY)
        return perr(l, "kind integrity needs \"transport\": \"memory\": faults are injected "
                       "into the in-memory channel");
    return 0;
}

static int t_timeout(struct ld *l, json_t *v, struct file_scn *f)
{
    TRY(want(l, v, json_is_number(v), "a number of seconds"));
    double t = json_number_value(v);
    if (!(t > 0 && t <= 300))
        return perr(l, "%g out of range: more than 0 and at most 300 seconds", t);
    f->base.timeout_s = t;
    return 0;
}

/* "*", a backend of the registry that has the role, or (servers) an external
 * target "https://HOST:PORT". */
static int peer_backend(struct ld *l, const char *s, unsigned role, struct peer *p)
{
    char known[256];
    if (strcmp(s, "*") == 0) {
        p->star = 1;
        return 0;
    }
    for (size_t i = 0; l->L->reg[i]; i++) {
        if (strcmp(l->L->reg[i]->name, s) != 0)
            continue;
        struct th_caps caps;
        memset(&caps, 0, sizeof caps);
        l->L->reg[i]->caps(&caps);
        if (!(caps.roles & role))
            return perr(l, "backend '%s' cannot be a %s", s,
                        role == TH_ROLE_CLIENT ? "client" : "server");
        p->be = l->L->reg[i];
        return 0;
    }
    backend_names(l->L->reg, known, sizeof known);
    return perr(l, "unknown backend '%s' (compiled in: %s)", s, known);
}

static int target_port(struct ld *l, const char *url, const char *p, uint16_t *out)
{
    char *end;
    if (*p != ':' || !p[1])
        return perr(l, "external target \"%s\" needs a port: https://HOST:PORT", url);
    if (!matches(p + 1, "0123456789") || strlen(p + 1) > 5)
        return perr(l, "external target \"%s\": port must be a number 1-65535, with no path", url);
    long port = strtol(p + 1, &end, 10);
    if (port < 1 || port > 65535)
        return perr(l, "external target \"%s\": port %ld out of range 1-65535", url, port);
    *out = (uint16_t)port;
    return 0;
}

static int parse_target(struct ld *l, const char *url, struct peer *p)
{
    const char *h = url + 8, *hend, *after;
    unsigned char buf[16];
    if (*h == '[') {
        hend = strchr(h, ']');
        after = hend ? hend + 1 : NULL;
        p->host = hend ? strndup(h + 1, (size_t)(hend - h - 1)) : NULL;
        if (!p->host || inet_pton(AF_INET6, p->host, buf) != 1)
            return perr(l, "external target \"%s\": bad IPv6 address", url);
    } else {
        hend = strchr(h, ':');
        after = hend ? hend : h + strlen(h);
        p->host = strndup(h, (size_t)(after - h));
        if (!p->host || !matches(p->host, "abcdefghijklmnopqrstuvwxyz"
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"))
            return perr(l, "external target \"%s\": bad host name", url);
    }
    TRY(target_port(l, url, after, &p->port));
    p->url = th_xstrdup(url);
    p->label = th_xstrdup(h);
    return 0;
}

/* "fixture:NAME" or "fixture:*" (every fixture the harness knows). */
static int peer_fixture(struct ld *l, const char *s, struct peer *p)
{
    char known[256] = "";
    if (strcmp(s + 8, "*") == 0) {
        p->fx_star = 1;
        return 0;
    }
    if ((p->fx = th_fixture_find(s + 8)))
        return 0;
    for (size_t i = 0; th_fixtures[i]; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 th_fixtures[i]->name);
    return perr(l, "unknown fixture '%s' (known: %s)", s + 8, known);
}

static int server_item(struct ld *l, json_t *it, void *ctx)
{
    struct file_scn *f = ctx;
    struct peer *p = &f->servers[f->n_servers++];
    const char *s;
    memset(p, 0, sizeof *p);
    TRY(get_str(l, it, &s));
    int outside = strncmp(s, "https://", 8) == 0 || strncmp(s, "fixture:", 8) == 0;
    if (outside && l->kind != TH_KIND_HANDSHAKE && l->kind != TH_KIND_LOAD)
        return perr(l,
                    "kind %s needs both ends in the harness; external targets and fixtures "
                    "are for kinds handshake and load",
                    th_kind_name(l->kind));
    if (strncmp(s, "https://", 8) == 0)
        return parse_target(l, s, p);
    if (strncmp(s, "http://", 7) == 0)
        return perr(l, "external targets use https:// (got \"%s\")", s);
    if (strncmp(s, "fixture:", 8) == 0)
        return peer_fixture(l, s, p);
    return peer_backend(l, s, TH_ROLE_SERVER, p);
}

static int client_item(struct ld *l, json_t *it, void *ctx)
{
    struct file_scn *f = ctx;
    struct peer *p = &f->clients[f->n_clients++];
    const char *s;
    memset(p, 0, sizeof *p);
    TRY(get_str(l, it, &s));
    return peer_backend(l, s, TH_ROLE_CLIENT, p);
}

static int t_clients(struct ld *l, json_t *v, struct file_scn *f)
{
    f->n_clients = 0;
    if (json_is_array(v) && !json_array_size(v))
        return perr(l, "empty list: name backends or \"*\"");
    return each(l, v, MAX_PEERS, client_item, f);
}

static int t_servers(struct ld *l, json_t *v, struct file_scn *f)
{
    f->n_servers = 0;
    if (json_is_array(v) && !json_array_size(v))
        return perr(l,
                    "empty list: name backends, \"*\", fixture:NAME or https://HOST:PORT targets");
    return each(l, v, MAX_PEERS, server_item, f);
}

static int t_foreach(struct ld *l, json_t *v, struct file_scn *f)
{
    int fe;
    TRY(th_get_enum(l, v, foreach_names + 1, &fe));
    f->base.foreach = l->foreach = fe + 1;
    return 0;
}

static int filter_name(struct ld *l, json_t *it, const char *const *names, unsigned *set)
{
    int i;
    TRY(th_get_enum(l, it, names, &i));
    *set |= 1u << i;
    return 0;
}

static int kx_item(struct ld *l, json_t *it, void *ctx)
{
    return filter_name(l, it, th_filter_kx, ctx);
}
static int auth_item(struct ld *l, json_t *it, void *ctx)
{
    return filter_name(l, it, th_filter_auth, ctx);
}

static int cipher_item(struct ld *l, json_t *it, void *ctx)
{
    struct filt *ft = ctx;
    const char *s;
    TRY(get_str(l, it, &s));
    for (size_t i = 0; i < th_suite_count(); i++) {
        if (strcmp(th_suite_at(i)->cipher, s) == 0) {
            ft->ciphers[ft->n_ciphers++] = th_suite_at(i)->cipher;
            return 0;
        }
    }
    return perr(
        l, "unknown cipher \"%s\" (names such as AES-128-GCM, CHACHA20-POLY1305, AES-128-CBC)", s);
}

static int filter_key(struct ld *l, const char *key, json_t *v, struct filt *ft)
{
    if (strcmp(key, "versions") == 0) {
        TRY(each(l, v, 4, version_item, &ft->versions));
        return ft->versions ? 0 : perr(l, "empty list: leave it out to allow every version");
    }
    if (strcmp(key, "kx") == 0)
        return each(l, v, 4, kx_item, &ft->kx);
    if (strcmp(key, "auth") == 0)
        return each(l, v, 3, auth_item, &ft->auth);
    if (strcmp(key, "cipher") == 0)
        return each(l, v, MAX_FILTER, cipher_item, ft);
    return kerr(l, "unknown key (suite_filter keys: versions, kx, auth, cipher)");
}

static int t_filter(struct ld *l, json_t *v, struct file_scn *f)
{
    const char *key;
    json_t *x;
    int rc = 0;
    if (l->foreach != FE_SUITE)
        return kerr(l, "only allowed with \"foreach\": \"suite\"");
    TRY(want(l, v, json_is_object(v), "an object"));
    json_object_foreach(v, key, x)
    {
        push_key(l, key);
        if (filter_key(l, key, x, &f->base.filt) < 0)
            rc = -1;
        pop(l);
    }
    return rc;
}

static int t_client(struct ld *l, json_t *v, struct file_scn *f)
{
    return parse_side(l, v, &f->base.c, WHO_CLIENT);
}

static int t_server(struct ld *l, json_t *v, struct file_scn *f)
{
    return parse_side(l, v, &f->base.s, WHO_SERVER);
}

static int t_expect(struct ld *l, json_t *v, struct file_scn *f)
{
    return parse_expect(l, v, &f->base.expect);
}

static int t_devs(struct ld *l, json_t *v, struct file_scn *f)
{
    return parse_devs(l, v, &f->base);
}

static int t_repeat(struct ld *l, json_t *v, struct file_scn *f)
{
    return th_parse_repeat(l, v, &f->base.ks);
}

static int t_block(struct ld *l, json_t *v, struct file_scn *f)
{
    return th_parse_kind_block(l, l->path[l->depth - 1].key, v, &f->base.ks);
}

/* ---- variants ---- */

static int var_key(struct ld *l, const char *key, json_t *v, struct scn *sc)
{
    if (strcmp(key, "name") == 0)
        return 0; /* done first, by parse_variant */
    if (strcmp(key, "description") == 0)
        return get_opt_str(l, v, &sc->description);
    if (strcmp(key, "client") == 0)
        return parse_side(l, v, &sc->c, WHO_CLIENT);
    if (strcmp(key, "server") == 0)
        return parse_side(l, v, &sc->s, WHO_SERVER);
    if (strcmp(key, "expect") == 0)
        return parse_expect(l, v, &sc->expect);
    if (strcmp(key, "deviations") == 0)
        return parse_devs(l, v, sc);
    if (th_is_kind_block(key))
        return th_parse_kind_block(l, key, v, &sc->ks);
    const char *block = th_kind_block(l->kind);
    return kerr(l,
                "unknown key (variant keys: name, description, client, server, expect, "
                "deviations%s%s)",
                block ? ", " : "", block ? block : "");
}

static int var_name(struct ld *l, json_t *obj, const struct file_scn *f, const char **out)
{
    json_t *v = json_object_get(obj, "name");
    if (!v)
        return perr(l, "missing required key \"name\"");
    push_key(l, "name");
    int rc = get_str(l, v, out);
    if (rc == 0 && !matches(*out, "abcdefghijklmnopqrstuvwxyz0123456789._-"))
        rc = perr(l, "\"%s\" must match [a-z0-9._-]+", *out);
    for (size_t i = 0; rc == 0 && i < f->n_vars; i++)
        if (strcmp(strchr(f->vars[i].name, '@') + 1, *out) == 0)
            rc = perr(l, "variant \"%s\" is defined twice (also variants[%zu])", *out, i);
    pop(l);
    return rc;
}

static int variant_item(struct ld *l, json_t *obj, void *ctx)
{
    struct file_scn *f = ctx;
    const char *name, *key;
    json_t *v;
    int rc = 0, col;
    TRY(want(l, obj, json_is_object(obj), "an object"));
    TRY(var_name(l, obj, f, &name));
    struct scn *sc = &f->vars[f->n_vars];
    scn_copy(sc, &f->base);
    f->n_vars++;
    free(sc->name);
    sc->name = th_xasprintf("%s@%s", f->base.name ? f->base.name : "", name);
    sc->variant = l->variant = (int)(f->n_vars - 1);
    th_jsonpos_find(l->text, l->len, l->path, l->depth, 0, &sc->line, &col);
    json_object_foreach(obj, key, v)
    {
        push_key(l, key);
        if (var_key(l, key, v, sc) < 0)
            rc = -1;
        pop(l);
    }
    l->variant = -1;
    return rc;
}

static int t_variants(struct ld *l, json_t *v, struct file_scn *f)
{
    TRY(want(l, v, json_is_array(v), "an array"));
    if (!json_array_size(v))
        return perr(l, "empty list: leave it out for a scenario without variants");
    f->vars = th_xcalloc(json_array_size(v), sizeof *f->vars);
    return each(l, v, 1024, variant_item, f);
}

typedef int (*top_fn)(struct ld *, json_t *, struct file_scn *);
/* In the order they are handled: foreach and transport before the blocks they
 * constrain, and variants last since they copy the top level. */
static const struct top_key {
    const char *name;
    int required;
    top_fn fn;
} top_keys[] = {
    {"name", 1, t_name},         {"kind", 1, NULL},           {"description", 0, t_description},
    {"clients", 0, t_clients},   {"servers", 0, t_servers},   {"transport", 0, t_transport},
    {"timeout_s", 0, t_timeout}, {"foreach", 0, t_foreach},   {"suite_filter", 0, t_filter},
    {"client", 0, t_client},     {"server", 0, t_server},     {"expect", 0, t_expect},
    {"deviations", 0, t_devs},   {"repeat", 0, t_repeat},     {"bulk", 0, t_block},
    {"handshakes", 0, t_block},  {"memory", 0, t_block},      {"integrity", 0, t_block},
    {"load", 0, t_block},        {"variants", 0, t_variants},
};

/* Kind comes first: a kind this build does not run has keys of its own, which must
 * not read as unknown. Returns -1 when the rest is not worth checking (a missing
 * kind is reported, and the rest still checked as a handshake scenario). */
static int check_kind(struct ld *l, json_t *root, struct file_scn *f)
{
    json_t *v = json_object_get(root, "kind");
    int k;
    f->base.kind = TH_KIND_HANDSHAKE;
    if (!v) {
        perr(l, "missing required key \"kind\"");
        return 0;
    }
    push_key(l, "kind");
    int rc = th_get_enum(l, v, kind_names, &k);
    if (rc == 0)
        f->base.kind = l->kind = (enum th_kind)k;
    pop(l);
    return rc;
}

static int check_top_keys(struct ld *l, json_t *root)
{
    const char *key, *names[TH_ARRAY_LEN(top_keys) + 1];
    char known[512];
    json_t *v;
    int rc = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(top_keys); i++)
        names[i] = top_keys[i].name;
    names[TH_ARRAY_LEN(top_keys)] = NULL;
    join(names, known, sizeof known);
    json_object_foreach(root, key, v)
    {
        size_t i = 0;
        while (i < TH_ARRAY_LEN(top_keys) && strcmp(top_keys[i].name, key) != 0)
            i++;
        if (i < TH_ARRAY_LEN(top_keys))
            continue;
        push_key(l, key);
        rc = kerr(l, "unknown key (top-level keys: %s)", known);
        pop(l);
    }
    return rc;
}

static int parse_top(struct ld *l, json_t *root, struct file_scn *f)
{
    int rc = 0, col;
    th_jsonpos_find(l->text, l->len, NULL, 0, 0, &f->base.line, &col);
    if (!json_is_object(root))
        return perr(l, "the top level must be a JSON object, got %s", th_jtype(root));
    TRY(check_kind(l, root, f));
    if (check_top_keys(l, root) < 0)
        rc = -1;
    f->clients[0].star = f->servers[0].star = 1;
    f->n_clients = f->n_servers = 1;
    for (size_t i = 0; i < TH_ARRAY_LEN(top_keys); i++) {
        json_t *v = json_object_get(root, top_keys[i].name);
        if (!v && top_keys[i].required && top_keys[i].fn)
            rc = perr(l, "missing required key \"%s\"", top_keys[i].name);
        if (!v || !top_keys[i].fn)
            continue;
        push_key(l, top_keys[i].name);
        if (top_keys[i].fn(l, v, f) < 0)
            rc = -1;
        pop(l);
    }
    return rc;
}

/* ---- checks across blocks, once a variant is complete ---- */

/* A pinned suite must run on at least one of that side's versions. */
static int check_suites(struct ld *l, const struct scn *sc, const struct side *sd, const char *who)
{
    int rc = 0;
    for (size_t j = 0; j < sd->sp.n_suites; j++) {
        const struct th_suite_info *si = th_suite_by_id(sd->sp.suites[j]);
        char need[64];
        if (th_suite_versions(si) & sd->sp.versions)
            continue;
        th_vset_str(th_suite_versions(si), need, sizeof need);
        l->depth = 0;
        if (sd->ciphers_from >= 0) {
            push_key(l, "variants");
            push_idx(l, (size_t)sd->ciphers_from);
        }
        push_key(l, who);
        push_key(l, "ciphers");
        push_idx(l, j);
        rc = perr(l, "%s needs TLS %s, not in %s.versions%s%s%s", si->name, need, who,
                  sc->variant != sd->ciphers_from ? " of variant \"" : "",
                  sc->variant != sd->ciphers_from ? strchr(sc->name, '@') + 1 : "",
                  sc->variant != sd->ciphers_from ? "\"" : "");
        l->depth = 0;
    }
    return rc;
}

static void finish_sni(struct side *sd)
{
    if (sd->sni_set)
        return;
    free(sd->sp.sni);
    sd->sp.sni = sd->sp.hostname && !th_is_ip(sd->sp.hostname) ? th_xstrdup(sd->sp.hostname) : NULL;
}

static int finish_file(struct ld *l, struct file_scn *f)
{
    size_t n = f->n_vars ? f->n_vars : 1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct scn *sc = f->n_vars ? &f->vars[i] : &f->base;
        finish_sni(&sc->c);
        rc |= check_suites(l, sc, &sc->c, "client");
        rc |= check_suites(l, sc, &sc->s, "server");
        rc |= th_kind_finish(l, sc);
    }
    return rc;
}

/* ---- files and folders ---- */

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]))
            return 0;
    return 1;
}

static void parse_and_expand(struct ld *l)
{
    json_error_t je;
    json_t *root;
    struct file_scn f;
    if (blank(l->text, l->len)) {
        diag_at(l->L, l->file, 1, 1, "empty file: expected a JSON object");
        return;
    }
    root = json_loadb(l->text, l->len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        diag_at(l->L, l->file, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0, je.text);
        return;
    }
    memset(&f, 0, sizeof f);
    scn_init(&f.base);
    if (parse_top(l, root, &f) == 0 && l->errors == 0 && finish_file(l, &f) == 0)
        th_expand_file(l->L, l->file, &f);
    file_free(&f);
    json_decref(root);
}

/* The absolute folder a scenario's relative paths start from (the folder the file
 * is in as named, not where a symbolic link points). */
static char *abs_dir(const char *file)
{
    char *dir = th_xstrdup(file), *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    char *abs = realpath(slash ? dir : ".", NULL);
    free(dir);
    return abs ? abs : th_xstrdup(".");
}

static void diag_errno(struct loader *L, const char *file, const char *what)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    diag_at(L, file, 0, 0, msg);
}

static void load_file(struct loader *L, const char *file)
{
    struct ld l = {.L = L, .file = file, .variant = -1};
    char *text = th_read_file(file, &l.len);
    if (!text) {
        diag_errno(L, file, "cannot read");
        return;
    }
    l.text = text;
    l.dir = abs_dir(file);
    parse_and_expand(&l);
    free(text);
    free(l.dir);
}

struct strv {
    char **v;
    size_t n;
};

static void walk(struct loader *L, const char *dir, struct strv *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) {
        diag_errno(L, dir, "cannot read folder");
        return;
    }
    while ((e = readdir(d))) {
        struct stat st;
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        char *p = th_xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(L, p, out); /* symbolic links to folders are not followed: no loops */
        } else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && n > 5 &&
                   strcmp(e->d_name + n - 5, ".json") == 0) {
            out->v = th_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
            out->v[out->n++] = p;
            continue;
        }
        free(p);
    }
    closedir(d);
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_path(struct loader *L, const char *path)
{
    struct stat st;
    struct strv files = {NULL, 0};
    if (stat(path, &st) < 0) {
        diag_errno(L, path, "cannot read");
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        load_file(L, path);
        return;
    }
    walk(L, path, &files);
    if (files.n)
        qsort(files.v, files.n, sizeof *files.v, cmp_path);
    for (size_t i = 0; i < files.n; i++) {
        load_file(L, files.v[i]);
        free(files.v[i]);
    }
    free(files.v);
}

/* -b names must be compiled in: a typo would otherwise select nothing, silently. */
static void check_backends_opt(struct loader *L)
{
    const char *list = L->opts->backends;
    char known[256], msg[400];
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        int found = len == 0;
        for (size_t i = 0; L->reg[i] && !found; i++)
            found = strlen(L->reg[i]->name) == len && strncmp(L->reg[i]->name, p, len) == 0;
        if (!found && len > 8 && strncmp(p, "fixture:", 8) == 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len - 8), p + 8);
            found = strcmp(name, "*") == 0 || th_fixture_find(name) != NULL;
        }
        if (!found) {
            backend_names(L->reg, known, sizeof known);
            snprintf(msg, sizeof msg, "unknown backend '%.*s' (compiled in: %s)", (int)len, p,
                     known);
            diag_at(L, "--backends", 0, 0, msg);
        }
        p += len + (p[len] == ',');
    }
}

int th_plan_load(struct th_plan *plan, const char *const *paths, size_t n_paths,
                 const struct th_load_opts *opts, th_diag_fn diag, void *arg)
{
    static const struct th_load_opts none;
    struct loader L = {.opts = opts ? opts : &none, .diag = diag, .arg = arg, .plan = plan};
    L.reg = L.opts->registry ? L.opts->registry : th_backends;
    check_backends_opt(&L);
    for (size_t i = 0; i < n_paths; i++)
        load_path(&L, paths[i]);
    for (size_t i = 0; i < L.n_names; i++) {
        free(L.names[i]);
        free(L.name_files[i]);
    }
    free(L.names);
    free(L.name_files);
    return L.errors;
}

void th_plan_free(struct th_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        th_case_free(&plan->cases[i]);
    free(plan->cases);
    memset(plan, 0, sizeof *plan);
}
