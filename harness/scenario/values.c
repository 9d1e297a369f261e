/* The scenario reader's typed JSON values: each reader checks one value's type and
 * range and reports its own error at the cursor, so a key's handler is one call.
 * The lists of versions, suites, groups and outcomes are read here too, since every
 * block that names them (client, server, expect, deviations, suite_filter) must say
 * the same thing about a bad one. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/iana.h"
#include "scenario_int.h"

/* ---- formatting for messages ---- */

void th_join(const char *const *names, char *out, size_t cap)
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
    th_join(names, out, cap);
}

void th_backend_names(const struct th_backend *const *reg, char *out, size_t cap)
{
    const char *names[64];
    size_t n = 0;
    for (; reg[n] && n < 63; n++)
        names[n] = reg[n]->name;
    names[n] = NULL;
    th_join(names, out, cap);
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

int th_want(struct cursor *cur, const json_t *v, int good, const char *what)
{
    return good ? 0 : perr(cur, "expected %s, got %s", what, th_jtype(v));
}

int th_get_str(struct cursor *cur, json_t *v, const char **out)
{
    TH_GUARD(th_want(cur, v, json_is_string(v), "a string"));
    *out = json_string_value(v);
    return 0;
}

int th_get_bool(struct cursor *cur, json_t *v, int *out)
{
    TH_GUARD(th_want(cur, v, json_is_boolean(v), "true or false"));
    *out = json_is_true(v);
    return 0;
}

int th_get_enum(struct cursor *cur, json_t *v, const char *const *names, int *out)
{
    const char *s;
    char known[256];
    TH_GUARD(th_get_str(cur, v, &s));
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    th_join(names, known, sizeof known);
    return perr(cur, "unknown value \"%s\" (known: %s)", s, known);
}

int th_get_opt_str(struct cursor *cur, json_t *v, char **out)
{
    const char *s = NULL;
    if (!json_is_null(v)) {
        TH_GUARD(th_get_str(cur, v, &s));
        if (!*s)
            return perr(cur, "empty string (use null for none)");
    }
    free(*out);
    *out = s ? th_xstrdup(s) : NULL;
    return 0;
}

int th_chars_in(const char *s, const char *set)
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

/* A string item the same as an earlier one of its list: a slip (the second
 * changes nothing, or was meant to be something else). Checked once the item's
 * own reader accepted it, so a bad name is reported as that, and a list whose
 * reader already refuses repeats in its own words (versions, suites, groups,
 * outcomes) says it once. */
static int dup_item(struct cursor *cur, json_t *arr, size_t i)
{
    const char *s = json_string_value(json_array_get(arr, i));
    for (size_t j = 0; s && j < i; j++) {
        const char *t = json_string_value(json_array_get(arr, j));
        if (t && strcmp(s, t) == 0)
            return perr(cur, "\"%s\" listed twice (also [%zu])", s, j);
    }
    return 0;
}

int th_is_hostname(const char *s, char *why, size_t cap)
{
    size_t n = strlen(s);
    if (th_is_ip(s))
        return 1;
    if (n > 253) {
        snprintf(why, cap, "%zu bytes long; a host name is at most 253", n);
        return 0;
    }
    for (const char *p = s, *label = s;; p++) {
        if (*p == '.' || !*p) {
            if (p == label) {
                snprintf(why, cap, "an empty label (\"..\", or a dot at an end)");
                return 0;
            }
            if (*label == '-' || p[-1] == '-') {
                snprintf(why, cap, "a label starts or ends with \"-\"");
                return 0;
            }
            if (!*p)
                return 1;
            label = p + 1;
            continue;
        }
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *p)) {
            snprintf(why, cap, "byte 0x%02x is not a letter, digit, \"-\" or \"_\"",
                     (unsigned char)*p);
            return 0;
        }
        if (p - label >= 63) {
            snprintf(why, cap, "a label is longer than 63 bytes");
            return 0;
        }
    }
}

int th_each(struct cursor *cur, json_t *v, size_t max, th_item_fn fn, void *ctx)
{
    size_t i;
    json_t *it;
    int rc = 0;
    TH_GUARD(th_want(cur, v, json_is_array(v), "an array"));
    if (json_array_size(v) > max)
        return perr(cur, "too many entries (at most %zu)", max);
    json_array_foreach(v, i, it)
    {
        push_idx(cur, i);
        if (fn(cur, it, ctx) < 0 || dup_item(cur, v, i) < 0)
            rc = -1;
        pop(cur);
    }
    return rc;
}

/* ---- list items ---- */

int th_version_item(struct cursor *cur, json_t *it, void *ctx)
{
    unsigned *set = ctx;
    const char *s;
    uint16_t v;
    TH_GUARD(th_get_str(cur, it, &s));
    if (th_version_parse(s, &v) < 0)
        return perr(cur, "unknown TLS version \"%s\" (known: 1.0, 1.1, 1.2, 1.3)", s);
    if (*set & TH_VBIT(v))
        return perr(cur, "TLS %s listed twice", s);
    *set |= TH_VBIT(v);
    return 0;
}

int th_has_id(const uint16_t *v, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == id)
            return 1;
    return 0;
}

int th_suite_name(struct cursor *cur, json_t *it, uint16_t *id)
{
    const char *s;
    TH_GUARD(th_get_str(cur, it, &s));
    const struct th_suite_info *si = th_suite_by_name(s);
    if (!si)
        return perr(cur, "unknown cipher suite \"%s\" (IANA names such as TLS_AES_128_GCM_SHA256)",
                    s);
    *id = si->id;
    return 0;
}

int th_group_name(struct cursor *cur, json_t *it, uint16_t *id)
{
    const char *s;
    TH_GUARD(th_get_str(cur, it, &s));
    const struct th_group_info *g = th_group_by_name(s);
    if (!g)
        return perr(cur, "unknown group \"%s\" (IANA names such as x25519, secp256r1, ffdhe2048)",
                    s);
    *id = g->id;
    return 0;
}

static int id_item(struct cursor *cur, json_t *it, struct th_ids *o,
                   int (*name)(struct cursor *, json_t *, uint16_t *))
{
    uint16_t id;
    TH_GUARD(name(cur, it, &id));
    if (th_has_id(o->v, *o->n, id))
        return perr(cur, "%s listed twice", json_string_value(it));
    o->v[(*o->n)++] = id;
    return 0;
}

int th_suite_item(struct cursor *cur, json_t *it, void *ctx)
{
    return id_item(cur, it, ctx, th_suite_name);
}
int th_group_item(struct cursor *cur, json_t *it, void *ctx)
{
    return id_item(cur, it, ctx, th_group_name);
}

int th_alpn_value(struct cursor *cur, json_t *it, const char **out)
{
    TH_GUARD(th_get_str(cur, it, out));
    size_t n = strlen(*out);
    if (n < 1 || n > 255)
        return perr(cur, "an ALPN protocol name is 1 to 255 bytes (this one is %zu)", n);
    return 0;
}

static int outcome_item(struct cursor *cur, json_t *it, void *ctx)
{
    th_outcome_set *set = ctx;
    enum th_outcome o;
    const char *s, *names[TH_OUTCOME_COUNT + 1];
    char known[512];
    TH_GUARD(th_get_str(cur, it, &s));
    if (th_outcome_parse(s, &o) < 0) {
        for (int i = 0; i < TH_OUTCOME_COUNT; i++)
            names[i] = th_outcome_name((enum th_outcome)i);
        names[TH_OUTCOME_COUNT] = NULL;
        th_join(names, known, sizeof known);
        return perr(cur, "unknown outcome \"%s\" (known: %s)", s, known);
    }
    if (*set & TH_OUTCOME_BIT(o))
        return perr(cur, "outcome %s listed twice", s);
    *set |= TH_OUTCOME_BIT(o);
    return 0;
}

int th_parse_outcomes(struct cursor *cur, json_t *v, th_outcome_set *out)
{
    *out = 0;
    if (json_is_string(v))
        return outcome_item(cur, v, out);
    if (!json_is_array(v))
        return perr(cur, "expected an outcome name or a list of them, got %s", th_jtype(v));
    if (json_array_size(v) == 0)
        return perr(cur, "empty list: name at least one acceptable outcome");
    return th_each(cur, v, TH_OUTCOME_COUNT, outcome_item, out);
}
