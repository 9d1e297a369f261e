/* The enumeration half of `tlsharness probe` (probe.h, steps 2 to 4): the versions
 * the server accepts, each offered alone; the suites it accepts per version, by
 * offering every suite, taking out the one chosen and offering the rest; whether it
 * enforces its own order; the groups it accepts with TLS 1.3, each offered alone.
 * Every handshake goes through th_probe_handshake (probe.c), so each runs on a
 * connection of its own, within --timeout and the probe's budget. */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "harness/vocab/iana.h"
#include "probe_int.h"

/* ---- suite enumeration ---- */

/* Take x out of v; 0 when it was not there. */
static int take(uint16_t *v, size_t *n, uint16_t x)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == x) {
            memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
            (*n)--;
            return 1;
        }
    return 0;
}

static void offer_singly(th_offer_fn offer, void *arg, const uint16_t *s, size_t n,
                         struct th_probe_enum *out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t chosen = 0;
        enum th_offer r = offer(arg, &s[i], 1, &chosen);
        if (r == TH_OFFER_STOP) {
            out->stopped = 1;
            return;
        }
        if (r == TH_OFFER_UNABLE) {
            out->untested[out->n_untested++] = s[i];
        } else if (r == TH_OFFER_ACCEPTED && chosen != s[i]) {
            out->rogue = chosen;
            return;
        } else if (r == TH_OFFER_ACCEPTED) {
            out->accepted[out->n_accepted++] = s[i];
        }
    }
}

void th_probe_enumerate(th_offer_fn offer, void *arg, const uint16_t *suites, size_t n,
                        struct th_probe_enum *out)
{
    uint16_t rest[TH_MAX_SUITES];
    memset(out, 0, sizeof(*out));
    if (n > TH_MAX_SUITES)
        n = TH_MAX_SUITES;
    memcpy(rest, suites, n * sizeof(*rest));
    /* every round takes one suite out or ends the loop */
    while (n > 0) {
        uint16_t chosen = 0;
        enum th_offer r = offer(arg, rest, n, &chosen);
        if (r == TH_OFFER_REFUSED)
            return;
        if (r == TH_OFFER_STOP) {
            out->stopped = 1;
            return;
        }
        if (r == TH_OFFER_UNABLE) {
            offer_singly(offer, arg, rest, n, out);
            return;
        }
        if (!take(rest, &n, chosen)) {
            out->rogue = chosen;
            return;
        }
        out->accepted[out->n_accepted++] = chosen;
    }
}

enum th_server_order th_probe_server_order(th_offer_fn offer, void *arg, uint16_t a, uint16_t b)
{
    uint16_t ab[2] = {a, b}, ba[2] = {b, a}, c1 = 0, c2 = 0;
    if (a == b)
        return TH_ORDER_NA;
    enum th_offer r1 = offer(arg, ab, 2, &c1);
    enum th_offer r2 = r1 == TH_OFFER_ACCEPTED ? offer(arg, ba, 2, &c2) : r1;
    if (r1 == TH_OFFER_UNABLE || r2 == TH_OFFER_UNABLE)
        return TH_ORDER_UNTESTED;
    if (r1 != TH_OFFER_ACCEPTED || r2 != TH_OFFER_ACCEPTED)
        return TH_ORDER_UNKNOWN;
    if (c1 == c2 && (c1 == a || c1 == b))
        return TH_ORDER_ENFORCED;
    if (c1 == a && c2 == b)
        return TH_ORDER_CLIENT;
    return TH_ORDER_UNKNOWN;
}

const char *th_probe_order_name(enum th_server_order o)
{
    switch (o) {
    case TH_ORDER_ENFORCED: return "enforced";
    case TH_ORDER_CLIENT: return "client";
    case TH_ORDER_UNKNOWN: return "unknown";
    case TH_ORDER_UNTESTED: return "untested";
    default: return "n/a";
    }
}

/* ---- what a client can offer ---- */

static int has_suite(const struct th_probe_client *c, uint16_t suite)
{
    for (size_t i = 0; i < c->caps.n_suites; i++)
        if (c->caps.suites[i] == suite)
            return 1;
    return 0;
}

/* A client that can run handshakes over our sockets with exactly these versions. */
static int drives(const struct th_probe_client *c, uint16_t version)
{
    return th_probe_has(c, TH_CAP_DRIVER_IO) && th_probe_has(c, TH_CAP_RESTRICT_VERSIONS) &&
           (c->caps.versions & TH_VBIT(version));
}

/* The suites of c that run on version, in c's order. */
static size_t suites_for(const struct th_probe_client *c, uint16_t version, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->caps.n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(c->caps.suites[i]);
        if (s && (th_suite_versions(s) & TH_VBIT(version)))
            out[n++] = s->id;
    }
    return n;
}

/* ---- 2. versions ---- */

/* One version alone, with every suite the client has for it when it can pin them
 * (a library's defaults may leave out what an old server needs). */
static enum th_probe_live offer_version(struct th_probe *p, const struct th_probe_client *c,
                                        uint16_t v, struct th_negotiated *neg, struct th_error *err)
{
    struct th_tls_config cfg = th_probe_client_cfg(p, c, TH_VBIT(v));
    if (th_probe_has(c, TH_CAP_RESTRICT_SUITES))
        cfg.n_suites = suites_for(c, v, cfg.suites);
    enum th_probe_live rc = th_probe_handshake(p, c->b, &cfg, neg, err);
    if (rc == TH_LIVE_NO_CTX && cfg.n_suites) {
        cfg.n_suites = 0;
        rc = th_probe_handshake(p, c->b, &cfg, neg, err);
    }
    return rc;
}

static void probe_version(struct th_probe *p, uint16_t v, json_t *vers, json_t *refusals)
{
    const char *name = th_version_name(v);
    const struct th_probe_client *c = NULL;
    for (size_t i = 0; i < p->n_clients && !c; i++)
        if (drives(&p->clients[i], v))
            c = &p->clients[i];
    if (!c) {
        json_object_set_new(vers, name, json_null());
        th_probe_note(p, "TLS %s not tested: no client backend here can offer it alone", name);
        return;
    }
    struct th_negotiated neg;
    struct th_error err = {0};
    enum th_probe_live rc = offer_version(p, c, v, &neg, &err);
    if (rc == TH_LIVE_OK && neg.version != v) {
        rc = TH_LIVE_REFUSED;
        th_error_set(&err, TH_PROTOCOL_VERSION, neg.version, "offered TLS %s alone, got TLS %s",
                     name, th_version_name(neg.version));
    }
    if (rc == TH_LIVE_OK) {
        p->accepted |= TH_VBIT(v);
        json_object_set_new(vers, name, json_true());
        return;
    }
    /* no answer is not a refusal: the version stays undetermined */
    int known = rc == TH_LIVE_REFUSED;
    json_object_set_new(vers, name, known ? json_false() : json_null());
    json_object_set_new(refusals, name, th_probe_error_json(c->b->name, &err));
}

void th_probe_enum_versions(struct th_probe *p, json_t *r)
{
    json_t *vers = json_object(), *refusals = json_object();
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++)
        probe_version(p, th_probe_versions[i], vers, refusals);
    json_object_set_new(r, "versions", vers);
    json_object_set_new(r, "version_refusals", refusals);
}

/* ---- 3. suites ---- */

struct offer_arg {
    struct th_probe *p;
    const struct th_probe_client *c;
    uint16_t version;
};

static enum th_offer offer_suites(void *arg, const uint16_t *suites, size_t n, uint16_t *chosen)
{
    struct offer_arg *a = arg;
    struct th_tls_config cfg = th_probe_client_cfg(a->p, a->c, TH_VBIT(a->version));
    memcpy(cfg.suites, suites, n * sizeof(*suites));
    cfg.n_suites = n;
    struct th_negotiated neg;
    struct th_error err;
    switch (th_probe_handshake(a->p, a->c->b, &cfg, &neg, &err)) {
    case TH_LIVE_OK:
        *chosen = neg.suite;
        return neg.version == a->version ? TH_OFFER_ACCEPTED : TH_OFFER_REFUSED;
    case TH_LIVE_REFUSED:
        /* the server may have chosen a suite the client then refused (a 1024-bit DH
         * group at the library's security level): its ServerHello says which */
        if (a->version <= TH_TLS12)
            return th_probe_raw_offer(a->p, a->version, suites, n, chosen) == TH_OFFER_ACCEPTED
                       ? TH_OFFER_ACCEPTED
                       : TH_OFFER_REFUSED;
        return TH_OFFER_REFUSED;
    case TH_LIVE_NO_CTX: return TH_OFFER_UNABLE;
    default: return TH_OFFER_STOP;
    }
}

/* The suites of version v split by client: each to the first client that has it
 * and can pin a suite list. */
struct split {
    uint16_t *suites[16];
    size_t n[16];
    size_t n_clients;
};

static int assigned(const struct split *s, size_t upto, uint16_t id)
{
    for (size_t i = 0; i < upto; i++)
        for (size_t j = 0; j < s->n[i]; j++)
            if (s->suites[i][j] == id)
                return 1;
    return 0;
}

static void split_suites(const struct th_probe *p, uint16_t v, struct split *s)
{
    uint16_t mine[TH_MAX_SUITES];
    memset(s, 0, sizeof(*s));
    s->n_clients = p->n_clients < 16 ? p->n_clients : 16;
    for (size_t i = 0; i < s->n_clients; i++) {
        const struct th_probe_client *c = &p->clients[i];
        s->suites[i] = th_xcalloc(TH_MAX_SUITES, sizeof(uint16_t));
        if (!drives(c, v) || !th_probe_has(c, TH_CAP_RESTRICT_SUITES))
            continue;
        size_t n = suites_for(c, v, mine);
        for (size_t j = 0; j < n; j++)
            if (!assigned(s, i + 1, mine[j]))
                s->suites[i][s->n[i]++] = mine[j];
    }
}

static void split_free(struct split *s)
{
    for (size_t i = 0; i < s->n_clients; i++)
        free(s->suites[i]);
}

static void add_names(json_t *a, const uint16_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct th_suite_info *s = th_suite_by_id(ids[i]);
        json_array_append_new(a, s ? json_string(s->name) : json_sprintf("0x%04X", ids[i]));
    }
}

/* The IANA suites of version v that no client was given: none here can offer them. */
static void add_unoffered(const struct split *s, uint16_t v, json_t *untested)
{
    for (size_t i = 0; i < th_suite_count(); i++) {
        const struct th_suite_info *si = th_suite_at(i);
        if ((th_suite_versions(si) & TH_VBIT(v)) && !assigned(s, s->n_clients, si->id))
            json_array_append_new(untested, json_string(si->name));
    }
}

static void enum_report(struct th_probe *p, const struct th_probe_client *c, uint16_t v,
                        const struct th_probe_enum *e)
{
    const struct th_suite_info *rogue = th_suite_by_id(e->rogue);
    if (e->stopped)
        th_probe_note(
            p, "TLS %s suites with %s: stopped early (no answer); the list may be incomplete",
            th_version_name(v), c->b->name);
    if (e->rogue)
        th_probe_note(p, "TLS %s: the server chose %s (0x%04X), which %s had not offered",
                      th_version_name(v), rogue ? rogue->name : "an unknown suite", e->rogue,
                      c->b->name);
}

/* A pair of accepted suites offered in both orders by a client that has both. */
static enum th_server_order order_of_pair(struct th_probe *p, uint16_t v, uint16_t x, uint16_t y)
{
    enum th_server_order o = TH_ORDER_UNTESTED;
    for (size_t i = 0; i < p->n_clients && o == TH_ORDER_UNTESTED; i++) {
        const struct th_probe_client *c = &p->clients[i];
        if (!drives(c, v) || !th_probe_has(c, TH_CAP_RESTRICT_SUITES) || !has_suite(c, x) ||
            !has_suite(c, y))
            continue;
        struct offer_arg a = {p, c, v};
        o = th_probe_server_order(offer_suites, &a, x, y);
    }
    return o;
}

/* The first pair of the first ORDER_PAIRS accepted suites some client can offer in
 * both orders (GnuTLS cannot pin every order: its priority strings sort by key
 * exchange first). Pairs that cannot be offered cost no handshake. */
#define ORDER_PAIRS 8
static enum th_server_order order_of(struct th_probe *p, uint16_t v, const uint16_t *acc, size_t n)
{
    if (n < 2)
        return TH_ORDER_NA;
    enum th_server_order o = TH_ORDER_UNTESTED;
    size_t lim = n < ORDER_PAIRS ? n : ORDER_PAIRS;
    for (size_t i = 0; i < lim && o == TH_ORDER_UNTESTED; i++)
        for (size_t j = i + 1; j < lim && o == TH_ORDER_UNTESTED; j++)
            o = order_of_pair(p, v, acc[i], acc[j]);
    return o;
}

static void probe_suites_of(struct th_probe *p, uint16_t v, json_t *suites, json_t *order,
                            json_t *untested)
{
    struct split s;
    struct th_probe_enum e;
    uint16_t *acc = th_xcalloc(th_suite_count() + 1, sizeof(uint16_t));
    size_t n_acc = 0;
    json_t *list = json_array(), *left = json_array();
    split_suites(p, v, &s);
    for (size_t i = 0; i < s.n_clients; i++) {
        if (!s.n[i])
            continue;
        struct offer_arg a = {p, &p->clients[i], v};
        th_probe_enumerate(offer_suites, &a, s.suites[i], s.n[i], &e);
        enum_report(p, &p->clients[i], v, &e);
        for (size_t j = 0; j < e.n_accepted && n_acc < th_suite_count(); j++)
            acc[n_acc++] = e.accepted[j];
        add_names(left, e.untested, e.n_untested);
    }
    add_names(list, acc, n_acc);
    add_unoffered(&s, v, left);
    const char *name = th_version_name(v);
    json_object_set_new(suites, name, list);
    json_object_set_new(order, name, json_string(th_probe_order_name(order_of(p, v, acc, n_acc))));
    json_object_set_new(untested, name, left);
    split_free(&s);
    free(acc);
}

void th_probe_enum_suites(struct th_probe *p, json_t *r)
{
    json_t *suites = json_object(), *order = json_object(), *untested = json_object();
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++)
        if (p->accepted & TH_VBIT(th_probe_versions[i]))
            probe_suites_of(p, th_probe_versions[i], suites, order, untested);
    json_object_set_new(r, "suites", suites);
    json_object_set_new(r, "server_order", order);
    json_object_set_new(r, "not_tested", untested);
}

/* ---- 4. groups, with TLS 1.2 and 1.3 ---- */

static int group_listed(const json_t *a, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (!strcmp(json_string_value(v), name)) return 1;
    return 0;
}

/* Each group a client here has, offered alone at version v: those the server
 * negotiated. */
static json_t *groups_at(struct th_probe *p, uint16_t v)
{
    json_t *acc = json_array(), *tried = json_array();
    for (size_t i = 0; i < p->n_clients; i++) {
        const struct th_probe_client *c = &p->clients[i];
        if (!drives(c, v) || !th_probe_has(c, TH_CAP_RESTRICT_GROUPS))
            continue;
        for (size_t j = 0; j < c->caps.n_groups; j++) {
            const struct th_group_info *g = th_group_by_id(c->caps.groups[j]);
            if (!g || group_listed(tried, g->name))
                continue;
            json_array_append_new(tried, json_string(g->name));
            struct th_tls_config cfg = th_probe_client_cfg(p, c, TH_VBIT(v));
            cfg.groups[0] = g->id;
            cfg.n_groups = 1;
            struct th_negotiated neg;
            struct th_error err;
            if (th_probe_handshake(p, c->b, &cfg, &neg, &err) == TH_LIVE_OK && neg.group == g->id)
                json_array_append_new(acc, json_string(g->name));
        }
    }
    json_decref(tried);
    return acc;
}

/* TLS 1.2: every group some client here has, each offered alone in a ClientHello of
 * the probe's own (probe_legacy.c). The libraries do not all say which group a TLS
 * 1.2 handshake used (an ffdhe group with DHE least of all); the ServerKeyExchange
 * does. */
static json_t *groups12(struct th_probe *p)
{
    uint16_t ids[64];
    size_t n = 0;
    for (size_t i = 0; i < p->n_clients; i++)
        for (size_t j = 0; j < p->clients[i].caps.n_groups && n < 64; j++) {
            size_t k = 0;
            while (k < n && ids[k] != p->clients[i].caps.groups[j])
                k++;
            if (k == n)
                ids[n++] = p->clients[i].caps.groups[j];
        }
    return th_probe_groups12(p, ids, n);
}

void th_probe_enum_groups(struct th_probe *p, json_t *r)
{
    json_t *groups = json_object();
    if (p->accepted & TH_VBIT(TH_TLS12))
        json_object_set_new(groups, "1.2", groups12(p));
    if (p->accepted & TH_VBIT(TH_TLS13))
        json_object_set_new(groups, "1.3", groups_at(p, TH_TLS13));
    json_object_set_new(r, "groups", groups);
}
