/* Expansion of the scenarios read into cases: one per variant x client x server
 * (with "*" resolved against the registry and --backends applied), and per suite
 * or group with "foreach". A pair that lacks a capability the case needs becomes a
 * case with a skip reason, not an error. The reading itself is in read.c and the
 * files it calls; what they share is in scenario_int.h. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/iana.h"
#include "scenario_int.h"

/* ---- expansion into cases ---- */

static void caps_of(const struct th_backend *b, struct th_caps *out)
{
    memset(out, 0, sizeof *out);
    b->caps(out);
}

static void set_id(struct th_case *k)
{
    free(k->id);
    const char *sv = k->server_name;
    if (strncmp(sv, "https://", 8) == 0)
        sv += 8;
    k->id =
        th_xasprintf("%s/%s-vs-%s", k->scenario, k->client->name, k->server ? k->server->name : sv);
}

static void add_suffix(struct th_case *k, const char *suffix)
{
    char *s = th_xasprintf("%s@%s", k->scenario, suffix);
    free(k->scenario);
    k->scenario = s;
    set_id(k);
}

/* The most specific deviation naming this pair; among equals, the first listed
 * (a variant's own come before the top level's). */
/* How well a deviation's name matches: 2 exactly, 1 as a glob ("fixture:*",
 * "curl-*"), 0 when absent (any), -1 not at all. */
static int name_score(const char *pattern, const char *name)
{
    if (!pattern)
        return 0;
    if (strcmp(pattern, name) == 0)
        return 2;
    return strchr(pattern, '*') && fnmatch(pattern, name, 0) == 0 ? 1 : -1;
}

static void pick_deviation(struct th_case *k, const struct scn *sc)
{
    int best = -1;
    size_t at = 0;
    for (size_t i = 0; i < sc->n_devs; i++) {
        const struct th_deviation *d = &sc->devs[i];
        int cs = name_score(d->client, k->client->name);
        int ss = name_score(d->server, k->server ? k->server->name : k->server_name);
        if (cs < 0 || ss < 0)
            continue;
        if (cs + ss > best) {
            best = cs + ss;
            at = i;
        }
    }
    if (best >= 0) {
        k->has_deviation = 1;
        th_dev_copy(&k->deviation, &sc->devs[at]);
    }
}

static void case_init(struct th_case *k, const struct scn *sc, const char *file,
                      const struct th_backend *cl, const struct peer *sv)
{
    memset(k, 0, sizeof *k);
    k->scenario = th_xstrdup(sc->name);
    k->file = th_xstrdup(file);
    k->line = sc->line;
    k->description = th_dup_or_null(sc->description);
    k->kind = sc->kind;
    k->client = cl;
    k->server = sv->be;
    k->fixture = sv->fx;
    if (sv->fx)
        k->server_name = th_xasprintf("fixture:%s", sv->fx->name);
    else
        k->server_name = th_xstrdup(sv->be ? sv->be->name : sv->url);
    k->target_host = th_dup_or_null(sv->host);
    k->target_port = sv->port;
    /* the harness's in-memory channel reaches only its own backends; load is TCP */
    k->transport = sv->be && sc->kind != TH_KIND_LOAD ? sc->transport : TH_TRANSPORT_TCP;
    k->timeout_s = sc->timeout_s;
    k->repeat = sc->ks.repeat;
    k->bulk = sc->ks.bulk;
    k->rate = sc->ks.rate;
    k->memory = sc->ks.memory;
    k->fault = sc->ks.fault;
    k->load = sc->ks.load;
    th_spec_copy(&k->c, &sc->c.sp);
    th_spec_copy(&k->s, &sc->s.sp);
    th_expect_copy(&k->expect, &sc->expect);
    pick_deviation(k, sc);
    set_id(k);
}

/* ---- skips: a capability the pair lacks ---- */

/* Every kind but handshake moves its data through the driver's transport. */
static char *skip_data_path(const char *name, const struct th_caps *cp, enum th_kind kind,
                            int client)
{
    if (kind == TH_KIND_HANDSHAKE || (cp->features & TH_CAP_DRIVER_IO))
        return NULL;
    /* a fixture (its own program) serves load; a load client must be driven */
    if (kind == TH_KIND_LOAD && !client)
        return NULL;
    if (cp->features & TH_CAP_OWN_SOCKET)
        return th_xasprintf("%s owns its socket: no driver-owned data path", name);
    return th_xasprintf("%s cannot do I/O through the driver: no driver-owned data path", name);
}

static char *skip_transport(const char *name, const struct th_caps *cp, enum th_transport t)
{
    if (t != TH_TRANSPORT_MEMORY || (cp->features & TH_CAP_DRIVER_IO))
        return NULL;
    if (cp->features & TH_CAP_OWN_SOCKET)
        return th_xasprintf("%s owns its socket: memory transport not possible", name);
    return th_xasprintf("%s cannot do I/O through the driver: memory transport not possible", name);
}

static char *skip_versions(const char *name, const struct th_caps *cp,
                           const struct th_endpoint_spec *sp, const struct th_expect *e)
{
    char want[64], has[64];
    th_vset_str(cp->versions, has, sizeof has);
    if (!(sp->versions & cp->versions)) {
        th_vset_str(sp->versions, want, sizeof want);
        return th_xasprintf("%s lacks TLS %s (it has %s)", name, want, has);
    }
    if (e->version && !(cp->versions & TH_VBIT(e->version)))
        return th_xasprintf("%s lacks TLS %s, which expect.version pins (it has %s)", name,
                            th_version_name(e->version), has);
    return NULL;
}

/* Every suite (or group) listed, and the pinned one, must be in the caps. */
static char *skip_ids(const char *name, const uint16_t *have, size_t n_have, const uint16_t *want,
                      size_t n_want, uint16_t pinned, int suites)
{
    uint16_t missing = 0;
    for (size_t i = 0; i < n_want && !missing; i++)
        if (!th_has_id(have, n_have, want[i]))
            missing = want[i];
    if (!missing && pinned && !th_has_id(have, n_have, pinned))
        missing = pinned;
    if (!missing)
        return NULL;
    return th_xasprintf("%s lacks %s", name,
                        suites ? th_suite_by_id(missing)->name : th_group_by_id(missing)->name);
}

static char *skip_features(const char *name, const struct th_caps *cp,
                           const struct th_endpoint_spec *sp, enum th_resume resume, int client,
                           int fixture)
{
    static const char *const how[] = {"", "ticket", "session ID"};
    if (resume && !(cp->resume & TH_RESUME_BIT(resume)))
        return th_xasprintf("%s lacks resumption by %s", name, how[resume]);
    if (sp->n_alpn && !(cp->features & TH_CAP_ALPN))
        return th_xasprintf("%s lacks ALPN", name);
    if (!client && !sp->prefer_server_order && !(cp->features & TH_CAP_CLIENT_ORDER))
        return th_xasprintf("%s servers always pick by their own suite order", name);
    if (!client && sp->prefer_server_order && sp->n_suites > 1 &&
        !(cp->features & TH_CAP_SERVER_ORDER))
        return th_xasprintf("%s servers cannot enforce the listed suite order", name);
    if (!client && sp->client_auth != TH_CLIENT_AUTH_NONE && !(cp->features & TH_CAP_CLIENT_AUTH))
        return th_xasprintf("%s cannot ask for or verify a client certificate", name);
    /* a fixture says why in its own words (th_fixture_unsupported) */
    if (!client && !fixture && sp->early_server != TH_EARLY_SERVER_OFF &&
        !(cp->features & TH_CAP_EARLY_DATA))
        return th_xasprintf("%s cannot take early data", name);
    if (!client && !fixture && sp->ocsp && !(cp->features & TH_CAP_OCSP_STAPLE))
        return th_xasprintf("%s cannot staple an OCSP response", name);
    if (!client)
        return NULL;
    if (sp->cert && !(cp->features & TH_CAP_CLIENT_CERT))
        return th_xasprintf("%s cannot present a client certificate", name);
    if (sp->early != TH_EARLY_OFF && !(cp->features & TH_CAP_EARLY_DATA))
        return th_xasprintf("%s cannot send early data", name);
    if (sp->ocsp_mode == TH_OCSP_REQUEST && !(cp->features & TH_CAP_OCSP_REQUEST))
        return th_xasprintf(cp->features & TH_CAP_OCSP_REQUIRE
                                ? "%s cannot ask for an OCSP staple without requiring one"
                                : "%s cannot ask for an OCSP staple",
                            name);
    if (sp->ocsp_mode == TH_OCSP_REQUIRE && !(cp->features & TH_CAP_OCSP_REQUIRE))
        return th_xasprintf("%s cannot require an OCSP staple", name);
    if (sp->crl && !(cp->features & TH_CAP_CRL))
        return th_xasprintf("%s lacks CRL checking", name);
    if (sp->verify && sp->hostname && th_is_ip(sp->hostname) && !(cp->features & TH_CAP_IP_SAN))
        return th_xasprintf("%s cannot check an IP address (%s) against the certificate", name,
                            sp->hostname);
    return NULL;
}

/* Restrictions a side asks for that its configuration cannot express: it would
 * silently negotiate something else (a fixture's template, libcurl's GnuTLS
 * flavour ignoring a cipher list). */
static char *skip_restrict(const char *name, const struct th_caps *cp,
                           const struct th_endpoint_spec *sp)
{
    if (!(cp->features & TH_CAP_RESTRICT_VERSIONS) && (sp->versions & cp->versions) != cp->versions)
        return th_xasprintf("%s cannot be restricted to these versions", name);
    if (sp->n_suites && !(cp->features & TH_CAP_RESTRICT_SUITES))
        return th_xasprintf("%s cannot be restricted to a suite list", name);
    /* a list that can run on TLS 1.3 restricts its TLS 1.3 suites too */
    if (sp->n_suites && (cp->features & TH_CAP_TLS13_SUITES_FIXED) &&
        (th_versions_effective(sp->versions & cp->versions, sp->suites, sp->n_suites) &
         TH_VBIT(TH_TLS13)))
        return th_xasprintf("%s cannot be restricted to TLS 1.3 suites (it always offers and "
                            "accepts its own)",
                            name);
    if (sp->n_groups && !(cp->features & TH_CAP_RESTRICT_GROUPS))
        return th_xasprintf("%s cannot be restricted to a group list", name);
    return NULL;
}

/* Why one side cannot run the case, or NULL; then its versions are narrowed to
 * those its backend (or fixture) has. */
static char *side_skip(const char *name, const struct th_caps *cp, struct th_endpoint_spec *sp,
                       const struct th_case *k, int client)
{
    char *r;
    /* the measured handshakes (rate) or the reconnections (load) resume; client.resume
     * is not allowed there */
    enum th_resume resume = k->kind == TH_KIND_HANDSHAKE_RATE ? k->rate.resume
                            : k->kind == TH_KIND_LOAD         ? k->load.resume
                                                              : k->c.resume;
    if ((r = skip_data_path(name, cp, k->kind, client)) ||
        (r = skip_transport(name, cp, k->transport)) ||
        (r = skip_versions(name, cp, sp, &k->expect)) ||
        (r = skip_ids(name, cp->suites, cp->n_suites, sp->suites, sp->n_suites, k->expect.suite,
                      1)) ||
        (r = skip_ids(name, cp->groups, cp->n_groups, sp->groups, sp->n_groups, k->expect.group,
                      0)) ||
        (r = skip_features(name, cp, sp, resume, client, k->fixture != NULL)) ||
        (r = skip_restrict(name, cp, sp)))
        return r;
    sp->versions &= cp->versions;
    return NULL;
}

/* The caps of the case's server side (backend or fixture); 0 for an external
 * target, whose capabilities are unknown. */
static int server_caps(const struct th_case *k, struct th_caps *out)
{
    memset(out, 0, sizeof *out);
    if (k->server)
        k->server->caps(out);
    else if (k->fixture)
        k->fixture->caps(out);
    else
        return 0;
    return 1;
}

/* Why the pair cannot inject the integrity case's fault, or NULL. After side_skip:
 * versions are narrowed to the backends'. */
static char *skip_fault(const struct th_case *k)
{
    struct th_caps cp;
    if (k->kind != TH_KIND_INTEGRITY || !k->server)
        return NULL;
    if (k->fault.fault == TH_FAULT_KEY_UPDATE) {
        if (!k->client->key_update || !(k->c.versions & TH_VBIT(TH_TLS13)))
            return th_xasprintf("%s lacks TLS 1.3 KeyUpdate", k->client->name);
        if (!k->server->key_update || !(k->s.versions & TH_VBIT(TH_TLS13)))
            return th_xasprintf("%s lacks TLS 1.3 KeyUpdate", k->server->name);
    }
    if (k->fault.fault == TH_FAULT_TRUNCATE) {
        const struct th_backend *rx = k->fault.direction == TH_S2C ? k->client : k->server;
        caps_of(rx, &cp);
        if (!(cp.features & TH_CAP_TRUNCATION))
            return th_xasprintf("%s cannot tell a close without close_notify from a clean one",
                                rx->name);
    }
    return NULL;
}

/* ---- foreach ---- */

static void fixture_skip(struct th_case *k);

static void push_case(struct reader *rd, struct th_case *k)
{
    fixture_skip(k);
    struct th_plan *p = rd->plan;
    if (rd->opts->filter && fnmatch(rd->opts->filter, k->id, 0) != 0) {
        th_case_free(k);
        return;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->cases = th_xrealloc(p->cases, p->cap * sizeof *p->cases);
    }
    p->cases[p->n++] = *k;
}

static int name_index(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Only suites the test PKI can serve (certificate authentication with RSA or
 * ECDSA keys) are candidates, whatever the filter says. */
static int filter_pass(const struct filt *ft, const struct th_suite_info *si)
{
    int kx = name_index(th_filter_kx, si->kx), au = name_index(th_filter_auth, si->auth);
    if (kx < 0 || au < 0)
        return 0;
    if ((ft->kx && !(ft->kx & 1u << kx)) || (ft->auth && !(ft->auth & 1u << au)))
        return 0;
    for (size_t i = 0; i < ft->n_ciphers; i++)
        if (strcmp(ft->ciphers[i], si->cipher) == 0)
            return 1;
    return ft->n_ciphers == 0;
}

/* The versions a suite could run on in this case; 0: not a candidate. */
static unsigned suite_fit(const struct th_case *k, const struct th_caps *cc,
                          const struct th_caps *sc, const struct filt *ft,
                          const struct th_suite_info *si)
{
    if (!th_has_id(cc->suites, cc->n_suites, si->id) ||
        (sc && !th_has_id(sc->suites, sc->n_suites, si->id)) || !filter_pass(ft, si))
        return 0;
    unsigned v = k->c.versions & th_suite_versions(si);
    if (sc)
        v &= k->s.versions;
    if (ft->versions)
        v &= ft->versions;
    if (k->expect.version)
        v &= TH_VBIT(k->expect.version);
    if (k->kind == TH_KIND_INTEGRITY && k->fault.fault == TH_FAULT_KEY_UPDATE)
        v &= TH_VBIT(TH_TLS13);
    return v;
}

static size_t expand_suites(struct reader *rd, const struct th_case *k, const struct filt *ft)
{
    struct th_caps cc, sc;
    size_t n = 0;
    caps_of(k->client, &cc);
    int have_sc = server_caps(k, &sc);
    for (size_t i = 0; i < th_suite_count(); i++) {
        const struct th_suite_info *si = th_suite_at(i);
        unsigned v = suite_fit(k, &cc, have_sc ? &sc : NULL, ft, si);
        struct th_case ch;
        if (!v)
            continue;
        th_case_copy(&ch, k);
        ch.c.suites[0] = ch.s.suites[0] = si->id;
        ch.c.n_suites = ch.s.n_suites = 1;
        ch.expect.suite = si->id;
        ch.c.versions = ch.s.versions = v;
        /* the default leaf is RSA: an ECDSA suite gets the PKI's ECDSA leaf, unless
         * the scenario serves its own files, which are served as they are */
        if (strcmp(si->auth, "ECDSA") == 0 && (!ch.s.cert || strncmp(ch.s.cert, "pki:", 4) == 0)) {
            free(ch.s.cert);
            free(ch.s.key);
            ch.s.cert = th_xstrdup("pki:ecdsa-p256");
            ch.s.key = NULL;
        }
        add_suffix(&ch, si->name);
        /* a TLS 1.3 suite cannot be pinned on a stack whose TLS 1.3 suites are fixed */
        int fixed = (v & TH_VBIT(TH_TLS13))
                        ? ((cc.features & TH_CAP_TLS13_SUITES_FIXED)              ? 1
                           : have_sc && (sc.features & TH_CAP_TLS13_SUITES_FIXED) ? 2
                                                                                  : 0)
                        : 0;
        if (fixed)
            ch.skip = th_xasprintf("%s cannot be restricted to one TLS 1.3 suite (it always "
                                   "offers and accepts its own)",
                                   fixed == 1 ? k->client->name : k->server_name);
        push_case(rd, &ch);
        n++;
    }
    return n;
}

static size_t expand_groups(struct reader *rd, const struct th_case *k)
{
    struct th_caps cc, sc;
    size_t n = 0;
    caps_of(k->client, &cc);
    int have_sc = server_caps(k, &sc);
    for (size_t i = 0; i < cc.n_groups; i++) {
        uint16_t g = cc.groups[i];
        struct th_case ch;
        if ((have_sc && !th_has_id(sc.groups, sc.n_groups, g)) || !th_group_by_id(g))
            continue;
        th_case_copy(&ch, k);
        ch.c.groups[0] = ch.s.groups[0] = g;
        ch.c.n_groups = ch.s.n_groups = 1;
        ch.expect.group = g;
        add_suffix(&ch, th_group_by_id(g)->name);
        push_case(rd, &ch);
        n++;
    }
    return n;
}

/* A fixture's template must express the case's server configuration exactly
 * (what the caps cannot say, such as a suite list GnuTLS's priority strings cannot
 * spell); the case is a skip otherwise. */
static void fixture_skip(struct th_case *k)
{
    struct th_tls_config cfg = {.role = TH_ROLE_SERVER};
    char why[256];
    if (!k->fixture || k->skip)
        return;
    cfg.versions = k->s.versions;
    memcpy(cfg.suites, k->s.suites, k->s.n_suites * sizeof(cfg.suites[0]));
    cfg.n_suites = k->s.n_suites;
    memcpy(cfg.groups, k->s.groups, k->s.n_groups * sizeof(cfg.groups[0]));
    cfg.n_groups = k->s.n_groups;
    for (size_t i = 0; i < k->s.n_alpn; i++)
        cfg.alpn[i] = k->s.alpn[i];
    cfg.n_alpn = k->s.n_alpn;
    cfg.prefer_server_order = k->s.prefer_server_order;
    cfg.tickets = k->s.tickets;
    cfg.session_cache = k->s.session_cache;
    /* the files are resolved when the case runs; here only that there are some */
    cfg.cert_file = k->s.cert ? k->s.cert : "pki:rsa2048";
    cfg.key_file = k->s.key ? k->s.key : cfg.cert_file;
    cfg.client_auth = k->s.client_auth;
    cfg.client_ca_file = k->s.client_ca;
    cfg.ocsp_file = k->s.ocsp;
    cfg.early_data = k->s.early_server;
    cfg.anti_replay = k->s.anti_replay;
    if (th_fixture_unsupported(k->fixture, &cfg, why, sizeof(why)))
        k->skip = th_xasprintf("%s: %s", k->server_name, why);
}

/* foreach pins one suite (or group) on both sides: each must be able to honour it. */
static char *skip_foreach(const struct th_case *k, int fe, const struct th_caps *cc)
{
    unsigned need = fe == FE_SUITE ? TH_CAP_RESTRICT_SUITES : TH_CAP_RESTRICT_GROUPS;
    const char *what = fe == FE_SUITE ? "suite" : "group";
    struct th_caps sc;
    if (!(cc->features & need))
        return th_xasprintf("%s cannot be restricted to one %s (foreach)", k->client->name, what);
    if (server_caps(k, &sc) && !(sc.features & need))
        return th_xasprintf("%s cannot be restricted to one %s (foreach)", k->server_name, what);
    return NULL;
}

static void expand_pair(struct reader *rd, const struct scn *sc, const char *file,
                        const struct th_backend *cl, const struct peer *sv)
{
    struct th_case k;
    struct th_caps cc, scp;
    char why[256];
    size_t n;
    case_init(&k, sc, file, cl, sv);
    caps_of(cl, &cc);
    /* a handshake is the same over either transport: a client that owns its socket
     * runs it over TCP rather than not at all */
    if (k.kind == TH_KIND_HANDSHAKE && (cc.features & TH_CAP_OWN_SOCKET))
        k.transport = TH_TRANSPORT_TCP;
    k.skip = side_skip(cl->name, &cc, &k.c, &k, 1);
    if (!k.skip && k.fixture && th_fixture_missing(k.fixture, why, sizeof why))
        k.skip = th_xstrdup(why);
    if (!k.skip && server_caps(&k, &scp))
        k.skip = side_skip(k.server_name, &scp, &k.s, &k, 0);
    if (!k.skip)
        k.skip = skip_fault(&k);
    if (!k.skip && sc->foreach != FE_NONE)
        k.skip = skip_foreach(&k, sc->foreach, &cc);
    if (sc->foreach == FE_NONE || k.skip) {
        push_case(rd, &k);
        return;
    }
    n = sc->foreach == FE_SUITE ? expand_suites(rd, &k, &sc->filt) : expand_groups(rd, &k);
    if (n) {
        th_case_free(&k);
        return;
    }
    k.skip = th_xstrdup(sc->foreach == FE_SUITE
                            ? "no cipher suite both list runs on a version both have and passes "
                              "suite_filter"
                            : "no group both list");
    push_case(rd, &k);
}

static void add_peer(struct peer *out, size_t *n, const struct peer *p)
{
    for (size_t i = 0; i < *n; i++)
        if (p->be   ? out[i].be == p->be
            : p->fx ? out[i].fx == p->fx
                    : (out[i].url && strcmp(out[i].url, p->url) == 0))
            return;
    out[(*n)++] = *p;
}

/* "*" into every registry backend with the role (servers: that the driver can
 * run), "fixture:*" into every fixture; duplicates dropped. out borrows the
 * strings of in. */
static size_t resolve(const struct reader *rd, const struct peer *in, size_t n, unsigned role,
                      struct peer *out)
{
    size_t k = 0;
    unsigned need = role == TH_ROLE_SERVER ? TH_CAP_DRIVER_IO : 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].fx_star) {
            for (size_t j = 0; th_fixtures[j]; j++)
                add_peer(out, &k, &(struct peer){.fx = th_fixtures[j]});
            continue;
        }
        if (!in[i].star) {
            add_peer(out, &k, &in[i]);
            continue;
        }
        for (size_t j = 0; rd->reg[j]; j++) {
            struct th_caps caps;
            caps_of(rd->reg[j], &caps);
            struct peer p = {.be = rd->reg[j]};
            if ((caps.roles & role) && (caps.features & need) == need)
                add_peer(out, &k, &p);
        }
    }
    return k;
}

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        if (!e)
            return 0;
        p = e + 1;
    }
}

/* --backends keeps the backends it names, and the fixtures it names as
 * "fixture:NAME" or all of them as "fixture:*"; external targets always stay. */
static int kept(const struct reader *rd, const struct peer *p)
{
    const char *list = rd->opts->backends;
    char name[64];
    if (!list || (!p->be && !p->fx))
        return 1;
    if (p->be)
        return in_list(list, p->be->name);
    snprintf(name, sizeof name, "fixture:%s", p->fx->name);
    return in_list(list, name) || in_list(list, "fixture:*");
}

void th_expand_file(struct reader *rd, const char *file, const struct file_scn *f)
{
    size_t nreg = 0;
    while (rd->reg[nreg])
        nreg++;
    size_t nfx = 0;
    while (th_fixtures[nfx])
        nfx++;
    struct peer *cl = th_xcalloc(f->n_clients * (nreg + 1), sizeof *cl);
    struct peer *sv = th_xcalloc(f->n_servers * (nreg + nfx + 1), sizeof *sv);
    size_t ncl = resolve(rd, f->clients, f->n_clients, TH_ROLE_CLIENT, cl);
    size_t nsv = resolve(rd, f->servers, f->n_servers, TH_ROLE_SERVER, sv);
    size_t nsc = f->n_vars ? f->n_vars : 1;
    for (size_t v = 0; v < nsc; v++) {
        const struct scn *sc = f->n_vars ? &f->vars[v] : &f->base;
        for (size_t i = 0; i < ncl; i++)
            for (size_t j = 0; j < nsv; j++)
                if (kept(rd, &cl[i]) && kept(rd, &sv[j]))
                    expand_pair(rd, sc, file, cl[i].be, &sv[j]);
    }
    free(cl);
    free(sv);
}
