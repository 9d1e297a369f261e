/* The "client" and "server" blocks of a scenario: one handler per key, each
 * replacing one field of the side, so that a variant's block overrides only what it
 * names. A key of the other side is refused by name. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/pki/pki.h"
#include "scenario_int.h"

static const char *const resume_names[] = {"none", "ticket", "session_id", NULL};
/* In the order of enum th_client_auth. */
static const char *const client_auth_names[] = {"none", "request", "require", NULL};
/* In the order of enum th_ocsp_mode. */
static const char *const ocsp_mode_names[] = {"off", "request", "require", NULL};
/* In the order of enum th_early and enum th_early_server. */
static const char *const early_names[] = {"off", "send", "replay", NULL};
static const char *const early_server_names[] = {"off", "accept", "reject", NULL};

void th_spec_defaults(struct th_endpoint_spec *sp, unsigned who)
{
    memset(sp, 0, sizeof *sp);
    sp->versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    if (who == WHO_CLIENT) {
        sp->ca = th_xstrdup("pki:root");
        sp->hostname = th_xstrdup("localhost");
        sp->verify = 1;
        sp->max_body = TH_MAX_BODY_DEFAULT;
    } else {
        sp->cert = th_xstrdup("pki:rsa2048");
        sp->prefer_server_order = 1;
        sp->tickets = 1;
        sp->session_cache = 1;
        sp->anti_replay = 1;
    }
}

static int alpn_item(struct cursor *cur, json_t *it, void *ctx)
{
    struct th_endpoint_spec *sp = ctx;
    const char *s;
    TH_GUARD(th_alpn_value(cur, it, &s));
    sp->alpn[sp->n_alpn++] = th_xstrdup(s);
    return 0;
}

static int k_versions(struct cursor *cur, json_t *v, struct side *sd)
{
    unsigned set = 0;
    TH_GUARD(th_each(cur, v, 4, th_version_item, &set));
    if (!set)
        return perr(cur, "empty list: name at least one version");
    sd->sp.versions = set;
    return 0;
}

static int k_ciphers(struct cursor *cur, json_t *v, struct side *sd)
{
    struct th_ids o = {sd->sp.suites, &sd->sp.n_suites};
    if (cur->foreach == FE_SUITE)
        return kerr(cur, "not allowed with \"foreach\": \"suite\" (each case sets it)");
    sd->sp.n_suites = 0;
    sd->ciphers_from = cur->variant;
    return th_each(cur, v, TH_MAX_SUITES, th_suite_item, &o);
}

static int k_groups(struct cursor *cur, json_t *v, struct side *sd)
{
    struct th_ids o = {sd->sp.groups, &sd->sp.n_groups};
    if (cur->foreach == FE_GROUP)
        return kerr(cur, "not allowed with \"foreach\": \"group\" (each case sets it)");
    sd->sp.n_groups = 0;
    return th_each(cur, v, TH_MAX_GROUPS, th_group_item, &o);
}

static int k_alpn(struct cursor *cur, json_t *v, struct side *sd)
{
    for (size_t i = 0; i < sd->sp.n_alpn; i++)
        free(sd->sp.alpn[i]);
    sd->sp.n_alpn = 0;
    return th_each(cur, v, TH_MAX_ALPN, alpn_item, &sd->sp);
}

/* What a reference names: the pki use it must be known for, the words for it in
 * messages, whether null (none) is allowed, and how a file of it is checked. */
struct ref_kind {
    enum th_pki_use use;
    const char *what;
    int nullable;
    int (*check)(const char *path, char *why, size_t cap);
};
static const struct ref_kind ref_ca = {TH_PKI_CA, "a trust anchor", 1, NULL};
static const struct ref_kind ref_crl = {TH_PKI_CRL, "a CRL", 1, NULL};
static const struct ref_kind ref_server_cert = {TH_PKI_CHAIN, "a server certificate", 0,
                                                th_pem_check_cert};
static const struct ref_kind ref_client_cert = {TH_PKI_CHAIN, "a client certificate", 1,
                                                th_pem_check_cert};
static const struct ref_kind ref_key = {TH_PKI_KEY, "a private key", 1, th_pem_check_key};
/* An OCSP response file is stapled as it is: what it holds is the clients' to judge
 * (ocsp_invalid), as a CA file's is. */
static const struct ref_kind ref_ocsp = {TH_PKI_OCSP, "an OCSP response", 1, NULL};

static int is_pki(const char *ref)
{
    return strncmp(ref, "pki:", 4) == 0;
}

/* "pki:NAME" checked against the PKI, or a file path (relative to the scenario's
 * folder) that must be a regular file, and for a certificate or key PEM holding
 * one; stored absolute. A CA or CRL file's content is left to the libraries: one
 * a library cannot load is its verdict (anchor_unusable), not the scenario's
 * mistake. */
static int pki_or_file(struct cursor *cur, json_t *v, const struct ref_kind *rk, char **out)
{
    const char *s;
    struct stat st;
    char why[PATH_MAX + 256];
    TH_GUARD(th_get_str(cur, v, &s));
    if (is_pki(s)) {
        if (!th_pki_known(s + 4, rk->use))
            return perr(cur, "unknown pki object \"%s\" for %s (see scenarios/README.md)", s,
                        rk->what);
        *out = th_xstrdup(s);
        return 0;
    }
    if (!*s)
        return perr(cur, "empty path");
    char *abs = s[0] == '/' ? th_xstrdup(s) : th_xasprintf("%s/%s", cur->dir, s);
    int rc = 0;
    if (stat(abs, &st) < 0)
        rc = perr(cur, "file not found: %s (a path is relative to the scenario's folder)", abs);
    else if (!S_ISREG(st.st_mode))
        rc = perr(cur, "not a regular file: %s", abs);
    else if (rk->check && rk->check(abs, why, sizeof(why)) != 0)
        rc = perr(cur, "%s", why);
    if (rc < 0) {
        free(abs);
        return -1;
    }
    *out = abs;
    return 0;
}

static int k_ref(struct cursor *cur, json_t *v, char **field, const struct ref_kind *rk)
{
    char *val = NULL;
    if (!json_is_null(v) || !rk->nullable)
        TH_GUARD(pki_or_file(cur, v, rk, &val));
    free(*field);
    *field = val;
    return 0;
}

static int k_ca(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.ca, &ref_ca);
}
static int k_crl(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.crl, &ref_crl);
}
static int k_server_cert(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.cert, &ref_server_cert);
}
static int k_client_cert(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.cert, &ref_client_cert);
}
static int k_client_ca(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.client_ca, &ref_ca);
}
static int k_server_ocsp(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.ocsp, &ref_ocsp);
}
static int k_client_ocsp(struct cursor *cur, json_t *v, struct side *sd)
{
    int r;
    TH_GUARD(th_get_enum(cur, v, ocsp_mode_names, &r));
    sd->sp.ocsp_mode = (enum th_ocsp_mode)r;
    return 0;
}
static int k_client_early(struct cursor *cur, json_t *v, struct side *sd)
{
    int r;
    int timed = cur->kind == TH_KIND_LOAD || cur->kind == TH_KIND_HANDSHAKE_RATE;
    if (cur->kind != TH_KIND_HANDSHAKE && !timed)
        return kerr(cur,
                    "not used by kind %s: early data is sent by the resumed connections of "
                    "kinds handshake, handshake_rate and load",
                    th_kind_name(cur->kind));
    TH_GUARD(th_get_enum(cur, v, early_names, &r));
    if (timed && r == TH_EARLY_REPLAY)
        return perr(cur,
                    "\"replay\" is for kind handshake (one replayed connection); kind %s "
                    "takes \"off\" or \"send\"",
                    th_kind_name(cur->kind));
    sd->sp.early = (enum th_early)r;
    return 0;
}
static int k_server_early(struct cursor *cur, json_t *v, struct side *sd)
{
    int r;
    TH_GUARD(th_get_enum(cur, v, early_server_names, &r));
    sd->sp.early_server = (enum th_early_server)r;
    return 0;
}
static int k_anti_replay(struct cursor *cur, json_t *v, struct side *sd)
{
    return th_get_bool(cur, v, &sd->sp.anti_replay);
}
static int k_key(struct cursor *cur, json_t *v, struct side *sd)
{
    return k_ref(cur, v, &sd->sp.key, &ref_key);
}

/* An error at the block's key name (its value). */
TH_PRINTF(3, 4) static int err_at(struct cursor *cur, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push_key(cur, key);
    int rc = th_cursor_verr(cur, 0, fmt, ap);
    pop(cur);
    va_end(ap);
    return rc;
}

/* "cert" and "key" travel together: a block that sets one sets the other, so that a
 * variant's certificate never meets the key of another block's. A pki leaf alone
 * brings its own key; a file needs its key file beside it, checked to be the leaf's. */
static int check_pair(struct cursor *cur, json_t *obj, struct side *sd)
{
    const char *cert = sd->sp.cert, *key = sd->sp.key;
    char why[2 * PATH_MAX + 256];
    int has_key = json_object_get(obj, "key") != NULL;
    if (!json_object_get(obj, "cert"))
        return has_key ? err_at(cur, "key",
                                "\"key\" goes beside \"cert\" in the same block: give the "
                                "certificate this key belongs to")
                       : 0;
    if (!has_key || !key) {
        if (cert && !is_pki(cert))
            return err_at(cur, "cert",
                          "a certificate file needs its private key: give \"key\" (a PEM "
                          "file) in the same block");
        free(sd->sp.key);
        sd->sp.key = NULL;
        return 0;
    }
    if (!cert)
        return err_at(cur, "key", "a key without a certificate (\"cert\" is null)");
    if (is_pki(cert) && (!is_pki(key) || strcmp(cert + 4, key + 4) != 0))
        return err_at(cur, "key",
                      "\"cert\": \"%s\" comes with its own key: leave \"key\" out (or give "
                      "\"%s\")",
                      cert, cert);
    if (!is_pki(cert) && is_pki(key))
        return err_at(cur, "key",
                      "a key of the test PKI is not the key of a certificate file: give the "
                      "file of the key");
    if (!is_pki(cert) && th_pem_check_pair(cert, key, why, sizeof(why)) != 0)
        return err_at(cur, "key", "%s", why);
    return 0;
}

/* A server that asks for a client certificate must have roots to check it against:
 * without them every library refuses every certificate, and the case would test
 * nothing. Checked where a block sets either key, on what the block leaves. */
static int check_client_auth(struct cursor *cur, json_t *obj, struct side *sd)
{
    if (sd->sp.client_auth == TH_CLIENT_AUTH_NONE || sd->sp.client_ca)
        return 0;
    if (json_object_get(obj, "client_ca"))
        return err_at(cur, "client_ca",
                      "null while \"client_auth\" is \"%s\": a server that asks for a client "
                      "certificate needs the roots it must chain to",
                      client_auth_names[sd->sp.client_auth]);
    if (json_object_get(obj, "client_auth"))
        return err_at(cur, "client_auth",
                      "\"%s\" needs \"client_ca\" (the roots a client certificate must chain "
                      "to, e.g. \"pki:root\")",
                      client_auth_names[sd->sp.client_auth]);
    return 0;
}

/* A host name the client checks or sends reaches libraries, logs and reports:
 * only a real DNS name or an IP literal, so no control byte, space or megabyte
 * string gets that far. */
static int host_value(struct cursor *cur, json_t *v, char **out, const char *what)
{
    char why[96];
    TH_GUARD(th_get_opt_str(cur, v, out));
    if (*out && !th_is_hostname(*out, why, sizeof why))
        return perr(cur, "not a DNS name or IP address for %s: %s", what, why);
    return 0;
}

static int k_hostname(struct cursor *cur, json_t *v, struct side *sd)
{
    return host_value(cur, v, &sd->sp.hostname, "the name checked");
}
static int k_verify(struct cursor *cur, json_t *v, struct side *sd)
{
    return th_get_bool(cur, v, &sd->sp.verify);
}
static int k_client_auth(struct cursor *cur, json_t *v, struct side *sd)
{
    int r;
    TH_GUARD(th_get_enum(cur, v, client_auth_names, &r));
    sd->sp.client_auth = (enum th_client_auth)r;
    return 0;
}
static int k_prefer(struct cursor *cur, json_t *v, struct side *sd)
{
    return th_get_bool(cur, v, &sd->sp.prefer_server_order);
}
static int k_tickets(struct cursor *cur, json_t *v, struct side *sd)
{
    return th_get_bool(cur, v, &sd->sp.tickets);
}
static int k_cache(struct cursor *cur, json_t *v, struct side *sd)
{
    return th_get_bool(cur, v, &sd->sp.session_cache);
}

static int k_sni(struct cursor *cur, json_t *v, struct side *sd)
{
    sd->sni_set = 1;
    return host_value(cur, v, &sd->sp.sni, "SNI");
}

static int k_resume(struct cursor *cur, json_t *v, struct side *sd)
{
    int r;
    if (cur->kind == TH_KIND_HANDSHAKE_RATE)
        return kerr(cur, "not used by kind handshake_rate: \"handshakes\": {\"resume\": ...} says "
                         "how the measured handshakes resume");
    if (cur->kind == TH_KIND_LOAD)
        return kerr(cur, "not used by kind load: \"load\": {\"resume\": ...} says how "
                         "reconnections resume");
    TH_GUARD(th_get_enum(cur, v, resume_names, &r));
    sd->sp.resume = (enum th_resume)r;
    return 0;
}

/* The bound on the body of the GET / a handshake case makes (load checks bodies as
 * they stream and keeps none). */
#define MAX_BODY_BOUND (UINT64_C(1) << 32)
static int k_max_body(struct cursor *cur, json_t *v, struct side *sd)
{
    if (cur->kind != TH_KIND_HANDSHAKE)
        return kerr(cur, "not used by kind %s: only kind handshake keeps a response body",
                    th_kind_name(cur->kind));
    if (!json_is_integer(v))
        return perr(cur, "expected a whole number of bytes, got %s", th_jtype(v));
    json_int_t n = json_integer_value(v);
    if (n < 1 || (uint64_t)n > MAX_BODY_BOUND)
        return perr(cur, "%lld out of range 1-%llu", (long long)n,
                    (unsigned long long)MAX_BODY_BOUND);
    sd->sp.max_body = (uint64_t)n;
    return 0;
}

typedef int (*side_fn)(struct cursor *, json_t *, struct side *);
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
    {"max_body_bytes", WHO_CLIENT, k_max_body},
    {"cert", WHO_SERVER, k_server_cert},
    {"cert", WHO_CLIENT, k_client_cert},
    {"key", WHO_CLIENT | WHO_SERVER, k_key},
    {"client_auth", WHO_SERVER, k_client_auth},
    {"client_ca", WHO_SERVER, k_client_ca},
    {"ocsp", WHO_SERVER, k_server_ocsp},
    {"ocsp", WHO_CLIENT, k_client_ocsp},
    {"early_data", WHO_CLIENT, k_client_early},
    {"early_data", WHO_SERVER, k_server_early},
    {"anti_replay", WHO_SERVER, k_anti_replay},
    {"prefer_server_order", WHO_SERVER, k_prefer},
    {"tickets", WHO_SERVER, k_tickets},
    {"session_cache", WHO_SERVER, k_cache},
};

static int side_key_err(struct cursor *cur, const char *key, unsigned who)
{
    const char *names[TH_ARRAY_LEN(side_keys) + 1];
    char known[512];
    size_t n = 0;
    const char *me = who == WHO_CLIENT ? "client" : "server";
    for (size_t i = 0; i < TH_ARRAY_LEN(side_keys); i++) {
        if (strcmp(side_keys[i].name, key) == 0)
            return kerr(cur, "\"%s\" is a %s key, not allowed in %s", key,
                        who == WHO_CLIENT ? "server" : "client", me);
        if (side_keys[i].who & who)
            names[n++] = side_keys[i].name;
    }
    names[n] = NULL;
    th_join(names, known, sizeof known);
    return kerr(cur, "unknown key (%s keys: %s)", me, known);
}

int th_parse_side(struct cursor *cur, json_t *obj, struct side *sd, unsigned who)
{
    const char *key;
    json_t *v;
    int rc = 0;
    TH_GUARD(th_want(cur, obj, json_is_object(obj), "an object"));
    json_object_foreach(obj, key, v)
    {
        const struct side_key *k = NULL;
        for (size_t i = 0; i < TH_ARRAY_LEN(side_keys) && !k; i++)
            if (strcmp(side_keys[i].name, key) == 0 && (side_keys[i].who & who))
                k = &side_keys[i];
        push_key(cur, key);
        if ((k ? k->fn(cur, v, sd) : side_key_err(cur, key, who)) < 0)
            rc = -1;
        pop(cur);
    }
    if (rc == 0)
        rc = check_pair(cur, obj, sd);
    if (rc == 0 && who == WHO_SERVER)
        rc = check_client_auth(cur, obj, sd);
    return rc;
}
