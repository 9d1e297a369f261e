/* One scenario file: its top level, its variants, and the checks across blocks
 * once each variant is complete (scenarios/README.md has the format). The blocks
 * themselves are read elsewhere in the room (scenario_int.h lists where); this file
 * says which keys exist, in which order they are handled, and what a variant
 * inherits.
 *
 * Reading walks each JSON object key by key with a table of handlers per object
 * kind. The JSON path being looked at is kept on the cursor's small stack, so every
 * error can name it and jsonpos.c can find its FILE:LINE:COL in the text. */
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/iana.h"
#include "harness/vocab/jsonpos.h"
#include "scenario_int.h"

static const char *const transport_names[] = {"memory", "tcp", NULL};
static const char *const foreach_names[] = {"none", "suite", "group", NULL};
const char *const th_filter_kx[] = {"TLS13", "ECDHE", "DHE", "RSA", NULL};
const char *const th_filter_auth[] = {"RSA", "ECDSA", "any", NULL};

/* ---- one scenario, and the variants copied from it ---- */

static void scn_init(struct scn *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->variant = -1;
    sc->timeout_s = 5;
    th_spec_defaults(&sc->c.sp, WHO_CLIENT);
    th_spec_defaults(&sc->s.sp, WHO_SERVER);
    sc->c.ciphers_from = sc->s.ciphers_from = -1;
    th_kspec_defaults(&sc->ks);
    sc->expect.outcomes = 0; /* the kind's default, once the variant is complete */
    sc->expect.resumed = sc->expect.hrr = sc->expect.early = sc->expect.replay = -1;
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

void th_file_scn_free(struct file_scn *f)
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

static int t_name(struct cursor *cur, json_t *v, struct file_scn *f)
{
    const char *s;
    struct reader *rd = cur->rd;
    TH_GUARD(th_get_str(cur, v, &s));
    if (!th_chars_in(s, "abcdefghijklmnopqrstuvwxyz0123456789._/-"))
        return perr(cur, "\"%s\" must match [a-z0-9._/-]+", s);
    for (size_t i = 0; i < rd->n_names; i++)
        if (strcmp(rd->names[i], s) == 0)
            return perr(cur, "\"%s\" is already the name of a scenario in %s", s,
                        rd->name_files[i]);
    rd->names = th_xrealloc(rd->names, (rd->n_names + 1) * sizeof *rd->names);
    rd->name_files = th_xrealloc(rd->name_files, (rd->n_names + 1) * sizeof *rd->name_files);
    rd->names[rd->n_names] = th_xstrdup(s);
    rd->name_files[rd->n_names++] = th_xstrdup(cur->file);
    f->base.name = th_xstrdup(s);
    return 0;
}

static int t_description(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_get_opt_str(cur, v, &f->base.description);
}

static int t_transport(struct cursor *cur, json_t *v, struct file_scn *f)
{
    int t;
    TH_GUARD(th_get_enum(cur, v, transport_names, &t));
    f->base.transport = cur->transport = (enum th_transport)t;
    if (t == TH_TRANSPORT_TCP && cur->kind == TH_KIND_MEMORY)
        return perr(cur, "kind memory needs \"transport\": \"memory\": it counts the heap of "
                         "both ends in this process");
    if (t == TH_TRANSPORT_TCP && cur->kind == TH_KIND_INTEGRITY)
        return perr(cur, "kind integrity needs \"transport\": \"memory\": faults are injected "
                         "into the in-memory channel");
    return 0;
}

static int t_timeout(struct cursor *cur, json_t *v, struct file_scn *f)
{
    TH_GUARD(th_want(cur, v, json_is_number(v), "a number of seconds"));
    double t = json_number_value(v);
    if (!(t > 0 && t <= 300))
        return perr(cur, "%g out of range: more than 0 and at most 300 seconds", t);
    f->base.timeout_s = t;
    return 0;
}

static int t_foreach(struct cursor *cur, json_t *v, struct file_scn *f)
{
    int fe;
    TH_GUARD(th_get_enum(cur, v, foreach_names + 1, &fe));
    f->base.foreach = cur->foreach = fe + 1;
    return 0;
}

static int filter_name(struct cursor *cur, json_t *it, const char *const *names, unsigned *set)
{
    int i;
    TH_GUARD(th_get_enum(cur, it, names, &i));
    *set |= 1u << i;
    return 0;
}

static int kx_item(struct cursor *cur, json_t *it, void *ctx)
{
    return filter_name(cur, it, th_filter_kx, ctx);
}
static int auth_item(struct cursor *cur, json_t *it, void *ctx)
{
    return filter_name(cur, it, th_filter_auth, ctx);
}

static int cipher_item(struct cursor *cur, json_t *it, void *ctx)
{
    struct filt *ft = ctx;
    const char *s;
    TH_GUARD(th_get_str(cur, it, &s));
    for (size_t i = 0; i < th_suite_count(); i++) {
        if (strcmp(th_suite_at(i)->cipher, s) == 0) {
            ft->ciphers[ft->n_ciphers++] = th_suite_at(i)->cipher;
            return 0;
        }
    }
    return perr(cur,
                "unknown cipher \"%s\" (names such as AES-128-GCM, CHACHA20-POLY1305, AES-128-CBC)",
                s);
}

static int filter_key(struct cursor *cur, const char *key, json_t *v, struct filt *ft)
{
    if (strcmp(key, "versions") == 0) {
        TH_GUARD(th_each(cur, v, 4, th_version_item, &ft->versions));
        return ft->versions ? 0 : perr(cur, "empty list: leave it out to allow every version");
    }
    if (strcmp(key, "kx") == 0)
        return th_each(cur, v, 4, kx_item, &ft->kx);
    if (strcmp(key, "auth") == 0)
        return th_each(cur, v, 3, auth_item, &ft->auth);
    if (strcmp(key, "cipher") == 0)
        return th_each(cur, v, MAX_FILTER, cipher_item, ft);
    return kerr(cur, "unknown key (suite_filter keys: versions, kx, auth, cipher)");
}

static int t_filter(struct cursor *cur, json_t *v, struct file_scn *f)
{
    const char *key;
    json_t *x;
    int rc = 0;
    if (cur->foreach != FE_SUITE)
        return kerr(cur, "only allowed with \"foreach\": \"suite\"");
    TH_GUARD(th_want(cur, v, json_is_object(v), "an object"));
    json_object_foreach(v, key, x)
    {
        push_key(cur, key);
        if (filter_key(cur, key, x, &f->base.filt) < 0)
            rc = -1;
        pop(cur);
    }
    return rc;
}

static int t_client(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_parse_side(cur, v, &f->base.c, WHO_CLIENT);
}

static int t_server(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_parse_side(cur, v, &f->base.s, WHO_SERVER);
}

static int t_expect(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_parse_expect(cur, v, &f->base.expect);
}

static int t_devs(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_parse_devs(cur, v, &f->base);
}

static int t_repeat(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_parse_repeat(cur, v, &f->base.ks);
}

static int t_block(struct cursor *cur, json_t *v, struct file_scn *f)
{
    return th_parse_kind_block(cur, cur->path[cur->depth - 1].key, v, &f->base.ks);
}

/* ---- variants ---- */

static int var_key(struct cursor *cur, const char *key, json_t *v, struct scn *sc)
{
    if (strcmp(key, "name") == 0)
        return 0; /* done first, by var_name */
    if (strcmp(key, "description") == 0)
        return th_get_opt_str(cur, v, &sc->description);
    if (strcmp(key, "client") == 0)
        return th_parse_side(cur, v, &sc->c, WHO_CLIENT);
    if (strcmp(key, "server") == 0)
        return th_parse_side(cur, v, &sc->s, WHO_SERVER);
    if (strcmp(key, "expect") == 0)
        return th_parse_expect(cur, v, &sc->expect);
    if (strcmp(key, "deviations") == 0)
        return th_parse_devs(cur, v, sc);
    if (th_is_kind_block(key))
        return th_parse_kind_block(cur, key, v, &sc->ks);
    const char *block = th_kind_block(cur->kind);
    return kerr(cur,
                "unknown key (variant keys: name, description, client, server, expect, "
                "deviations%s%s)",
                block ? ", " : "", block ? block : "");
}

static int var_name(struct cursor *cur, json_t *obj, const struct file_scn *f, const char **out)
{
    json_t *v = json_object_get(obj, "name");
    if (!v)
        return perr(cur, "missing required key \"name\"");
    push_key(cur, "name");
    int rc = th_get_str(cur, v, out);
    if (rc == 0 && !th_chars_in(*out, "abcdefghijklmnopqrstuvwxyz0123456789._-"))
        rc = perr(cur, "\"%s\" must match [a-z0-9._-]+", *out);
    for (size_t i = 0; rc == 0 && i < f->n_vars; i++)
        if (strcmp(strchr(f->vars[i].name, '@') + 1, *out) == 0)
            rc = perr(cur, "variant \"%s\" is defined twice (also variants[%zu])", *out, i);
    pop(cur);
    return rc;
}

static int variant_item(struct cursor *cur, json_t *obj, void *ctx)
{
    struct file_scn *f = ctx;
    const char *name, *key;
    json_t *v;
    int rc = 0, col;
    TH_GUARD(th_want(cur, obj, json_is_object(obj), "an object"));
    TH_GUARD(var_name(cur, obj, f, &name));
    struct scn *sc = &f->vars[f->n_vars];
    scn_copy(sc, &f->base);
    f->n_vars++;
    free(sc->name);
    sc->name = th_xasprintf("%s@%s", f->base.name ? f->base.name : "", name);
    sc->variant = cur->variant = (int)(f->n_vars - 1);
    th_jsonpos_near(cur->text, cur->len, cur->path, cur->depth, 0, &sc->line, &col);
    json_object_foreach(obj, key, v)
    {
        push_key(cur, key);
        if (var_key(cur, key, v, sc) < 0)
            rc = -1;
        pop(cur);
    }
    cur->variant = -1;
    return rc;
}

static int t_variants(struct cursor *cur, json_t *v, struct file_scn *f)
{
    TH_GUARD(th_want(cur, v, json_is_array(v), "an array"));
    if (!json_array_size(v))
        return perr(cur, "empty list: leave it out for a scenario without variants");
    f->vars = th_xcalloc(json_array_size(v), sizeof *f->vars);
    return th_each(cur, v, 1024, variant_item, f);
}

typedef int (*top_fn)(struct cursor *, json_t *, struct file_scn *);
/* In the order they are handled: foreach and transport before the blocks they
 * constrain, and variants last since they copy the top level. */
static const struct top_key {
    const char *name;
    int required;
    top_fn fn;
} top_keys[] = {
    {"name", 1, t_name},
    {"kind", 1, NULL},
    {"description", 0, t_description},
    {"clients", 0, th_parse_clients},
    {"servers", 0, th_parse_servers},
    {"transport", 0, t_transport},
    {"timeout_s", 0, t_timeout},
    {"foreach", 0, t_foreach},
    {"suite_filter", 0, t_filter},
    {"client", 0, t_client},
    {"server", 0, t_server},
    {"expect", 0, t_expect},
    {"deviations", 0, t_devs},
    {"repeat", 0, t_repeat},
    {"bulk", 0, t_block},
    {"handshakes", 0, t_block},
    {"memory", 0, t_block},
    {"integrity", 0, t_block},
    {"load", 0, t_block},
    {"variants", 0, t_variants},
};

/* Kind comes first: a kind this build does not run has keys of its own, which must
 * not read as unknown. Returns -1 when the rest is not worth checking (a missing
 * kind is reported, and the rest still checked as a handshake scenario). */
static int check_kind(struct cursor *cur, json_t *root, struct file_scn *f)
{
    json_t *v = json_object_get(root, "kind");
    int k;
    f->base.kind = TH_KIND_HANDSHAKE;
    if (!v) {
        perr(cur, "missing required key \"kind\"");
        return 0;
    }
    push_key(cur, "kind");
    int rc = th_get_enum(cur, v, th_kind_names, &k);
    if (rc == 0)
        f->base.kind = cur->kind = (enum th_kind)k;
    pop(cur);
    return rc;
}

static int check_top_keys(struct cursor *cur, json_t *root)
{
    const char *key, *names[TH_ARRAY_LEN(top_keys) + 1];
    char known[512];
    json_t *v;
    int rc = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(top_keys); i++)
        names[i] = top_keys[i].name;
    names[TH_ARRAY_LEN(top_keys)] = NULL;
    th_join(names, known, sizeof known);
    json_object_foreach(root, key, v)
    {
        size_t i = 0;
        while (i < TH_ARRAY_LEN(top_keys) && strcmp(top_keys[i].name, key) != 0)
            i++;
        if (i < TH_ARRAY_LEN(top_keys))
            continue;
        push_key(cur, key);
        rc = kerr(cur, "unknown key (top-level keys: %s)", known);
        pop(cur);
    }
    return rc;
}

static int parse_top(struct cursor *cur, json_t *root, struct file_scn *f)
{
    int rc = 0, col;
    th_jsonpos_near(cur->text, cur->len, NULL, 0, 0, &f->base.line, &col);
    if (!json_is_object(root))
        return perr(cur, "the top level must be a JSON object, got %s", th_jtype(root));
    TH_GUARD(check_kind(cur, root, f));
    if (check_top_keys(cur, root) < 0)
        rc = -1;
    f->clients[0].star = f->servers[0].star = 1;
    f->n_clients = f->n_servers = 1;
    for (size_t i = 0; i < TH_ARRAY_LEN(top_keys); i++) {
        json_t *v = json_object_get(root, top_keys[i].name);
        if (!v && top_keys[i].required && top_keys[i].fn)
            rc = perr(cur, "missing required key \"%s\"", top_keys[i].name);
        if (!v || !top_keys[i].fn)
            continue;
        push_key(cur, top_keys[i].name);
        if (top_keys[i].fn(cur, v, f) < 0)
            rc = -1;
        pop(cur);
    }
    return rc;
}

/* ---- checks across blocks, once a variant is complete ---- */

/* A pinned suite must run on at least one of that side's versions. */
static int check_suites(struct cursor *cur, const struct scn *sc, const struct side *sd,
                        const char *who)
{
    int rc = 0;
    for (size_t j = 0; j < sd->sp.n_suites; j++) {
        const struct th_suite_info *si = th_suite_by_id(sd->sp.suites[j]);
        char need[64];
        if (th_suite_versions(si) & sd->sp.versions)
            continue;
        th_vset_str(th_suite_versions(si), need, sizeof need);
        cur->depth = 0;
        if (sd->ciphers_from >= 0) {
            push_key(cur, "variants");
            push_idx(cur, (size_t)sd->ciphers_from);
        }
        push_key(cur, who);
        push_key(cur, "ciphers");
        push_idx(cur, j);
        rc = perr(cur, "%s needs TLS %s, not in %s.versions%s%s%s", si->name, need, who,
                  sc->variant != sd->ciphers_from ? " of variant \"" : "",
                  sc->variant != sd->ciphers_from ? strchr(sc->name, '@') + 1 : "",
                  sc->variant != sd->ciphers_from ? "\"" : "");
        cur->depth = 0;
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

static int finish_file(struct cursor *cur, struct file_scn *f)
{
    size_t n = f->n_vars ? f->n_vars : 1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct scn *sc = f->n_vars ? &f->vars[i] : &f->base;
        finish_sni(&sc->c);
        rc |= check_suites(cur, sc, &sc->c, "client");
        rc |= check_suites(cur, sc, &sc->s, "server");
        rc |= th_kind_finish(cur, sc);
    }
    return rc;
}

int th_scenario_read(struct cursor *cur, json_t *root, struct file_scn *f)
{
    memset(f, 0, sizeof *f);
    scn_init(&f->base);
    if (parse_top(cur, root, f) < 0 || cur->errors)
        return -1;
    return finish_file(cur, f);
}
