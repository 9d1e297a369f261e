/* "expect" and "deviations": what a case must show, and the known, explained
 * differences of one backend that turn a mismatch into xfail. */
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/iana.h"
#include "scenario_int.h"

/* ---- expect ---- */

static int e_outcome(struct cursor *cur, json_t *v, struct th_expect *e)
{
    return th_parse_outcomes(cur, v, &e->outcomes);
}

static int e_version(struct cursor *cur, json_t *v, struct th_expect *e)
{
    const char *s;
    TH_GUARD(th_get_str(cur, v, &s));
    if (th_version_parse(s, &e->version) < 0)
        return perr(cur, "unknown TLS version \"%s\" (known: 1.0, 1.1, 1.2, 1.3)", s);
    return 0;
}

static int e_cipher(struct cursor *cur, json_t *v, struct th_expect *e)
{
    if (cur->foreach == FE_SUITE)
        return kerr(cur, "not allowed with \"foreach\": \"suite\" (each case sets it)");
    return th_suite_name(cur, v, &e->suite);
}

static int e_group(struct cursor *cur, json_t *v, struct th_expect *e)
{
    if (cur->foreach == FE_GROUP)
        return kerr(cur, "not allowed with \"foreach\": \"group\" (each case sets it)");
    return th_group_name(cur, v, &e->group);
}

static int e_alpn(struct cursor *cur, json_t *v, struct th_expect *e)
{
    const char *s = NULL;
    if (!json_is_null(v))
        TH_GUARD(th_alpn_value(cur, v, &s));
    free(e->alpn);
    e->alpn = th_dup_or_null(s);
    e->alpn_pinned = 1;
    return 0;
}

static int e_resumed(struct cursor *cur, json_t *v, struct th_expect *e)
{
    return th_get_bool(cur, v, &e->resumed);
}

/* The staple the client must have seen: "none" | "good" | "revoked" | "unknown" |
 * "invalid" (needs client.ocsp request or require; checked with the blocks). */
static int e_ocsp(struct cursor *cur, json_t *v, struct th_expect *e)
{
    static const char *const names[] = {"none", "good", "revoked", "unknown", "invalid", NULL};
    int r;
    TH_GUARD(th_get_enum(cur, v, names, &r));
    e->ocsp_pinned = 1;
    e->ocsp = (enum th_staple)(TH_STAPLE_NONE + r);
    return 0;
}

static int e_hrr(struct cursor *cur, json_t *v, struct th_expect *e)
{
    return th_get_bool(cur, v, &e->hrr);
}

/* "accepted" or "rejected": what the server did with the early data (early_data) or
 * with the same early data sent again (replay). */
static int accepted_or_not(struct cursor *cur, json_t *v, int *out)
{
    static const char *const names[] = {"rejected", "accepted", NULL};
    return th_get_enum(cur, v, names, out);
}
static int e_early(struct cursor *cur, json_t *v, struct th_expect *e)
{
    return accepted_or_not(cur, v, &e->early);
}
static int e_replay(struct cursor *cur, json_t *v, struct th_expect *e)
{
    return accepted_or_not(cur, v, &e->replay);
}

typedef int (*expect_fn)(struct cursor *, json_t *, struct th_expect *);
static const struct expect_key {
    const char *name;
    expect_fn fn;
} expect_keys[] = {
    {"outcome", e_outcome},  {"version", e_version}, {"cipher", e_cipher}, {"group", e_group},
    {"alpn", e_alpn},        {"resumed", e_resumed}, {"ocsp", e_ocsp},     {"hrr", e_hrr},
    {"early_data", e_early}, {"replay", e_replay},
};

int th_parse_expect(struct cursor *cur, json_t *obj, struct th_expect *e)
{
    const char *key;
    json_t *v;
    int rc = 0;
    TH_GUARD(th_want(cur, obj, json_is_object(obj), "an object"));
    json_object_foreach(obj, key, v)
    {
        expect_fn fn = NULL;
        for (size_t i = 0; i < TH_ARRAY_LEN(expect_keys); i++)
            if (strcmp(expect_keys[i].name, key) == 0)
                fn = expect_keys[i].fn;
        push_key(cur, key);
        if ((fn ? fn(cur, v, e)
                : kerr(cur, "unknown key (expect keys: outcome, version, cipher, "
                            "group, alpn, resumed, ocsp, hrr, early_data, replay)")) < 0)
            rc = -1;
        pop(cur);
    }
    return rc;
}

/* ---- deviations ---- */

static int dev_name(struct cursor *cur, json_t *v, char **out)
{
    const char *s;
    TH_GUARD(th_get_str(cur, v, &s));
    const char *name = strncmp(s, "fixture:", 8) == 0 ? s + 8 : s;
    if (!*name || !th_chars_in(name, "abcdefghijklmnopqrstuvwxyz0123456789._-*"))
        return perr(cur, "\"%s\" is not a backend or fixture name (or a glob of them)", s);
    *out = th_xstrdup(s);
    return 0;
}

static int dev_key(struct cursor *cur, const char *key, json_t *v, struct th_deviation *d)
{
    const char *s;
    if (strcmp(key, "client") == 0)
        return dev_name(cur, v, &d->client);
    if (strcmp(key, "server") == 0)
        return dev_name(cur, v, &d->server);
    if (strcmp(key, "outcome") == 0)
        return th_parse_outcomes(cur, v, &d->outcomes);
    if (strcmp(key, "why") == 0) {
        TH_GUARD(th_get_str(cur, v, &s));
        if (!*s)
            return perr(cur, "empty: say why this backend differs");
        d->why = th_xstrdup(s);
        return 0;
    }
    if (strcmp(key, "intermittent") == 0)
        return th_get_bool(cur, v, &d->intermittent);
    return kerr(cur, "unknown key (deviation keys: client, server, outcome, why, intermittent)");
}

static int parse_dev(struct cursor *cur, json_t *obj, void *ctx)
{
    struct th_deviation *d = ctx;
    const char *key;
    json_t *v;
    int rc = 0;
    TH_GUARD(th_want(cur, obj, json_is_object(obj), "an object"));
    json_object_foreach(obj, key, v)
    {
        push_key(cur, key);
        if (dev_key(cur, key, v, d) < 0)
            rc = -1;
        pop(cur);
    }
    if (!json_object_get(obj, "outcome"))
        rc = perr(cur, "missing required key \"outcome\"");
    if (!json_object_get(obj, "why"))
        rc = perr(cur, "missing required key \"why\" (say why this backend differs)");
    if (!json_object_get(obj, "client") && !json_object_get(obj, "server"))
        rc = perr(cur, "needs \"client\" or \"server\": the backend whose difference it explains");
    return rc;
}

struct devs {
    struct th_deviation *v;
    size_t n;
};

static int same_name(const char *a, const char *b)
{
    return a ? b && strcmp(a, b) == 0 : !b;
}

/* Two deviations of one list for the same client and server: only the first
 * could ever apply, so the second is a slip (its outcome belongs in the first's
 * list). */
static int dev_item(struct cursor *cur, json_t *it, void *ctx)
{
    struct devs *ds = ctx;
    ds->v = th_xrealloc(ds->v, (ds->n + 1) * sizeof *ds->v);
    memset(&ds->v[ds->n], 0, sizeof ds->v[0]);
    const struct th_deviation *d = &ds->v[ds->n];
    TH_GUARD(parse_dev(cur, it, &ds->v[ds->n++]));
    for (size_t i = 0; i + 1 < ds->n; i++)
        if (same_name(ds->v[i].client, d->client) && same_name(ds->v[i].server, d->server))
            return perr(cur,
                        "a second deviation for the same client and server (also [%zu]): "
                        "list the outcomes in one",
                        i);
    return 0;
}

int th_parse_devs(struct cursor *cur, json_t *v, struct scn *sc)
{
    struct devs ds = {NULL, 0};
    int rc = th_each(cur, v, 256, dev_item, &ds);
    ds.v = th_xrealloc(ds.v, (ds.n + sc->n_devs) * sizeof *ds.v);
    if (sc->n_devs)
        memcpy(ds.v + ds.n, sc->devs, sc->n_devs * sizeof *ds.v);
    free(sc->devs);
    sc->devs = ds.v;
    sc->n_devs += ds.n;
    return rc;
}
