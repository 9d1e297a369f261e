/* The scenario loader: defaults, expansion, skips, deviations, and every kind of
 * bad input reported as FILE:LINE:COL with the reason (tests/data/bad/). */
#include "harness/scenario/scenario.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

/* ---- fake backends: capabilities are all the loader looks at ---- */

static void caps_full(struct th_caps *c)
{
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xC02F, 0xC02B, 0xC013, 0x009C};
    static const uint16_t groups[] = {0x001D, 0x0017, 0x0100};
    c->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    c->versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    c->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    c->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                  TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                  TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER | TH_CAP_DRIVER_IO;
    memcpy(c->suites, suites, sizeof suites);
    c->n_suites = TH_ARRAY_LEN(suites);
    memcpy(c->groups, groups, sizeof groups);
    c->n_groups = TH_ARRAY_LEN(groups);
}

/* TLS 1.2 only, no ALPN, CRL, IP SANs or tickets. */
static void caps_tls12(struct th_caps *c)
{
    static const uint16_t suites[] = {0xC02F, 0xC02B, 0x009C, 0xC013};
    c->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    c->versions = TH_VBIT(TH_TLS12);
    c->resume = TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    c->features = TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_DRIVER_IO | TH_CAP_RESTRICT_VERSIONS |
                  TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS;
    memcpy(c->suites, suites, sizeof suites);
    c->n_suites = TH_ARRAY_LEN(suites);
    c->groups[0] = 0x0017;
    c->n_groups = 1;
}

/* A socket-owning client, like libcurl. */
static void caps_sock(struct th_caps *c)
{
    c->roles = TH_ROLE_CLIENT;
    c->versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    c->features = TH_CAP_OWN_SOCKET | TH_CAP_ALPN | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN;
    c->suites[0] = 0x1301;
    c->suites[1] = 0xC02F;
    c->n_suites = 2;
    c->groups[0] = 0x001D;
    c->n_groups = 1;
}

static const struct th_backend fb_full = {.name = "full", .library = "Full", .caps = caps_full};
static const struct th_backend fb_tls12 = {
    .name = "tls12only", .library = "Old", .caps = caps_tls12};
static const struct th_backend fb_sock = {
    .name = "curl-fake", .library = "Curl", .caps = caps_sock};
static const struct th_backend *const reg[] = {&fb_full, &fb_tls12, &fb_sock, NULL};

/* For the data-path kinds: full, plus a KeyUpdate op and reading truncation. */
static void caps_data(struct th_caps *c)
{
    caps_full(c);
    c->features |= TH_CAP_TRUNCATION;
}

static enum th_step fake_key_update(struct th_conn *c, struct th_error *err)
{
    return TH_STEP_DONE;
}

static const struct th_backend fb_data = {
    .name = "data", .library = "Data", .caps = caps_data, .key_update = fake_key_update};
/* A KeyUpdate op but no TLS 1.3 to send it in. */
static const struct th_backend fb_data12 = {
    .name = "data12", .library = "Old", .caps = caps_tls12, .key_update = fake_key_update};
static const struct th_backend *const reg_data[] = {&fb_full,  &fb_data, &fb_data12,
                                                    &fb_tls12, &fb_sock, NULL};
static const struct th_backend *const *cur_reg = reg; /* what load_opts loads with */

/* ---- helpers ---- */

struct diags {
    struct th_diag d[16];
    int n;
};

static void collect(const struct th_diag *d, void *arg)
{
    struct diags *ds = arg;
    if (ds->n < 16)
        ds->d[ds->n] = *d;
    ds->n++;
}

static char tmp[256];

static const char *tmp_file(const char *name, const char *text)
{
    static char path[8][PATH_MAX];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, PATH_MAX, "%s/%s", tmp, name);
    for (char *s = p + strlen(tmp) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static int load_opts(struct th_plan *p, const char *path, const char *backends, const char *filter,
                     struct diags *ds)
{
    struct th_load_opts o = {backends, filter, cur_reg};
    const char *paths[] = {path};
    memset(p, 0, sizeof *p);
    memset(ds, 0, sizeof *ds);
    return th_plan_load(p, paths, 1, &o, collect, ds);
}

/* Load a scenario text that must be good. */
static int load_text(struct th_plan *p, const char *name, const char *json, const char *backends,
                     const char *filter)
{
    struct diags ds;
    int rc = load_opts(p, tmp_file(name, json), backends, filter, &ds);
    if (!ok(rc == 0, "%s loads", name))
        for (int i = 0; i < ds.n && i < 16; i++)
            printf("#   %s:%d:%d: %s\n", ds.d[i].file, ds.d[i].line, ds.d[i].col, ds.d[i].msg);
    return rc;
}

static const struct th_case *find(const struct th_plan *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cases[i].id, id) == 0)
            return &p->cases[i];
    return NULL;
}

static void ids_are(const struct th_plan *p, const char *const *want, const char *what)
{
    size_t n = 0;
    while (want[n])
        n++;
    is_int(p->n, n, "%s: number of cases", what);
    for (size_t i = 0; i < n && i < p->n; i++)
        is_str(p->cases[i].id, want[i], "%s: case %zu", what, i);
}

static const char *skip_of(const struct th_plan *p, const char *id)
{
    const struct th_case *k = find(p, id);
    return k ? k->skip : "(no such case)";
}

static int contains(const char *s, const char *frag)
{
    return s && strstr(s, frag) != NULL;
}

/* ---- fixtures and kind load ---- */

/* The caps of a fixture the loader sees are the fixture's own data: whether a case
 * runs or skips follows from them, and from whether its package is installed. */
static void test_fixtures(void)
{
    struct th_plan p;
    const struct th_fixture_def *ng = th_fixture_find("nginx");
    char why[256];
    size_t nfx = 0;
    while (th_fixtures[nfx])
        nfx++;
    ok(nfx == 7, "seven fixtures known (%zu)", nfx);
    ok(ng != NULL && th_fixture_find("apache") == NULL, "find by name, unknown is NULL");
    if (load_text(&p, "fx.json",
                  "{\"name\": \"fx\", \"kind\": \"handshake\", \"clients\": [\"full\", "
                  "\"curl-fake\"],\n \"servers\": [\"fixture:nginx\", \"fixture:*\", \"full\"]}\n",
                  NULL, NULL) == 0) {
        is_int(p.n, 2 * (nfx + 1), "fixture:* adds the others once, in order");
        const struct th_case *k = find(&p, "fx/full-vs-fixture:nginx");
        if (ok(k != NULL, "id names the fixture") && ng) {
            ok(k->server == NULL && k->fixture == ng, "no backend; the fixture");
            is_str(k->server_name, "fixture:nginx", "server_name");
            is_int(k->transport, TH_TRANSPORT_TCP, "fixtures are TCP");
            const char *miss = th_fixture_missing(ng, why, sizeof why);
            if (miss)
                is_str(k->skip, miss, "skip names the package when nginx is missing");
            else
                ok(k->skip == NULL, "runs when nginx is installed (skip: %s)",
                   k->skip ? k->skip : "none");
        }
        is_str(p.cases[nfx].id, "fx/full-vs-full", "a backend after the fixtures");
    }
    th_plan_free(&p);
    if (load_text(&p, "fx.json",
                  "{\"name\": \"fx\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"fixture:*\", \"full\"]}\n",
                  "full", NULL) == 0)
        is_int(p.n, 1, "-b full drops fixtures");
    th_plan_free(&p);
    if (load_text(&p, "fx.json",
                  "{\"name\": \"fx\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"fixture:*\", \"full\"]}\n",
                  "full,fixture:caddy", NULL) == 0 &&
        ok(p.n == 2, "-b full,fixture:caddy keeps that one (%zu cases)", p.n))
        is_str(p.cases[0].id, "fx/full-vs-fixture:caddy", "the one kept");
    th_plan_free(&p);
    if (load_text(&p, "fx.json",
                  "{\"name\": \"fx\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"fixture:*\", \"full\"]}\n",
                  "full,fixture:*", NULL) == 0)
        is_int(p.n, nfx + 1, "-b fixture:* keeps them all");
    th_plan_free(&p);
}

/* What a fixture cannot be told to do skips, with the reason; never a silently
 * different server. */
static void test_fixture_skips(void)
{
    struct th_plan p;
    if (load_text(&p, "rs.json",
                  "{\"name\": \"rs\", \"kind\": \"handshake\", \"clients\": [\"curl-fake\"],\n"
                  " \"servers\": [\"full\"], \"variants\": [\n"
                  "  {\"name\": \"s\", \"client\": {\"ciphers\": [\"TLS_AES_128_GCM_SHA256\"]}},\n"
                  "  {\"name\": \"g\", \"client\": {\"groups\": [\"x25519\"]}},\n"
                  "  {\"name\": \"v\", \"client\": {\"versions\": [\"1.3\"]}}]}\n",
                  NULL, NULL) == 0) {
        is_str(skip_of(&p, "rs@s/curl-fake-vs-full"),
               "curl-fake cannot be restricted to a suite list",
               "skip: a client that would ignore a suite list");
        is_str(skip_of(&p, "rs@g/curl-fake-vs-full"),
               "curl-fake cannot be restricted to a group list",
               "skip: a client that would ignore a group list");
        is_str(skip_of(&p, "rs@v/curl-fake-vs-full"),
               "curl-fake cannot be restricted to these versions",
               "skip: a client that would ignore a version range");
    }
    th_plan_free(&p);
    const struct th_fixture_def *d = NULL;
    struct th_caps cp;
    char why[256];
    /* an installed fixture without TLS 1.0, and one that cannot restrict groups */
    for (size_t i = 0; th_fixtures[i] && !d; i++) {
        memset(&cp, 0, sizeof cp);
        th_fixtures[i]->caps(&cp);
        if (!th_fixture_missing(th_fixtures[i], why, sizeof why) &&
            !(cp.versions & TH_VBIT(TH_TLS10)))
            d = th_fixtures[i];
    }
    if (!d) {
        skip(2, "every installed fixture has TLS 1.0, or none is installed");
        return;
    }
    char json[512], id[128];
    snprintf(json, sizeof json,
             "{\"name\": \"fs\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
             " \"servers\": [\"fixture:%s\"], \"server\": {\"versions\": [\"1.0\"]}}\n",
             d->name);
    snprintf(id, sizeof id, "fs/full-vs-fixture:%s", d->name);
    if (load_text(&p, "fs.json", json, NULL, NULL) == 0 && p.n == 1)
        ok(contains(p.cases[0].skip, "lacks TLS 1.0"), "%s: TLS 1.0 asked, skip: %s", d->name,
           p.cases[0].skip ? p.cases[0].skip : "none");
    th_plan_free(&p);
}

static void test_load(void)
{
    struct th_plan p;
    if (load_text(&p, "ld.json",
                  "{\"name\": \"ld\", \"kind\": \"load\", \"clients\": [\"full\", \"curl-fake\"],\n"
                  " \"servers\": [\"full\", \"https://127.0.0.1:8443\"],\n"
                  " \"load\": {\"requests\": 500, \"connections\": 8, \"path\": \"/bytes/1024\",\n"
                  "          \"new_connection_per_request\": true, \"resume\": \"ticket\"},\n"
                  " \"variants\": [{\"name\": \"a\"}, {\"name\": \"t\", \"load\": {\"seconds\": "
                  "1.5}}]}\n",
                  NULL, NULL) == 0) {
        const struct th_case *a = find(&p, "ld@a/full-vs-full");
        const struct th_case *t = find(&p, "ld@t/full-vs-127.0.0.1:8443");
        if (ok(a && t, "cases for a backend server and an external target")) {
            is_int(a->kind, TH_KIND_LOAD, "kind load");
            is_int(a->transport, TH_TRANSPORT_TCP, "load is TCP even against a backend");
            ok(a->load.requests == 500 && a->load.connections == 8, "requests and connections");
            is_str(a->load.path, "/bytes/1024", "path");
            ok(a->load.new_connection_per_request && a->load.resume == TH_RESUME_TICKET,
               "new connection per request, resumed by ticket");
            ok(t->load.requests == 0 && t->load.seconds == 1.5, "a variant's seconds replace "
                                                                "requests");
            ok(t->load.connections == 8, "the rest is kept");
            ok(a->skip == NULL && t->skip == NULL, "both run");
        }
        is_str(skip_of(&p, "ld@a/curl-fake-vs-full"),
               "curl-fake owns its socket: no driver-owned data path",
               "skip: a socket-owning client cannot be driven for load");
    }
    th_plan_free(&p);
    if (load_text(&p, "ld2.json",
                  "{\"name\": \"ld2\", \"kind\": \"load\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"tls12only\"], \"load\": {\"resume\": \"ticket\"}}\n",
                  NULL, NULL) == 0 &&
        p.n == 1)
        is_str(p.cases[0].skip, "tls12only lacks resumption by ticket",
               "skip: load.resume the server lacks");
    th_plan_free(&p);
    if (load_text(&p, "ld3.json",
                  "{\"name\": \"ld3\", \"kind\": \"load\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"]}\n",
                  NULL, NULL) == 0 &&
        p.n == 1) {
        const struct th_case *k = &p.cases[0];
        ok(k->load.requests == 0 && k->load.seconds == 2 && k->load.connections == 16,
           "defaults: 2 s over 16 connections");
        ok(strcmp(k->load.path, "/") == 0 && !k->load.new_connection_per_request &&
               k->load.resume == TH_RESUME_NONE,
           "defaults: GET /, keep-alive, no resumption");
    }
    th_plan_free(&p);
}

/* ---- good scenarios ---- */

static void test_defaults(void)
{
    struct th_plan p;
    if (load_text(&p, "defaults.json",
                  "{\"name\": \"d\", \"kind\": \"handshake\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\"]}\n",
                  NULL, NULL))
        return;
    is_int(p.n, 1, "defaults: one case");
    const struct th_case *k = &p.cases[0];
    is_str(k->id, "d/full-vs-full", "id");
    is_str(k->scenario, "d", "scenario");
    ok(contains(k->file, "defaults.json"), "file as given");
    is_int(k->line, 1, "line");
    ok(k->description == NULL, "no description");
    is_int(k->kind, TH_KIND_HANDSHAKE, "kind");
    ok(k->client == &fb_full && k->server == &fb_full, "backends");
    is_str(k->server_name, "full", "server_name");
    ok(k->target_host == NULL && k->target_port == 0, "no target");
    is_int(k->transport, TH_TRANSPORT_MEMORY, "transport memory");
    ok(k->timeout_s == 5, "timeout 5");
    is_int(k->c.versions, TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13), "client versions 1.2, 1.3");
    is_int(k->s.versions, TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13), "server versions 1.2, 1.3");
    ok(!k->c.n_suites && !k->c.n_groups && !k->c.n_alpn, "client lists: library defaults");
    ok(!k->s.n_suites && !k->s.n_groups && !k->s.n_alpn, "server lists: library defaults");
    is_str(k->c.ca, "pki:root", "ca");
    ok(k->c.crl == NULL, "no crl");
    is_str(k->c.hostname, "localhost", "hostname");
    is_str(k->c.sni, "localhost", "sni follows hostname");
    is_int(k->c.verify, 1, "verify");
    is_int(k->c.resume, TH_RESUME_NONE, "resume none");
    is_str(k->s.cert, "pki:rsa2048", "cert");
    ok(k->s.prefer_server_order && k->s.tickets && k->s.session_cache, "server flags");
    is_int(k->expect.outcomes, TH_OUTCOME_BIT(TH_OK), "expect ok");
    ok(!k->expect.version && !k->expect.suite && !k->expect.group, "nothing pinned");
    ok(!k->expect.alpn_pinned && k->expect.resumed == -1, "alpn, resumed not pinned");
    ok(!k->has_deviation && !k->skip, "no deviation, no skip");
    th_plan_free(&p);
    is_str(th_kind_name(TH_KIND_HANDSHAKE), "handshake", "th_kind_name");
    is_str(th_transport_name(TH_TRANSPORT_TCP), "tcp", "th_transport_name");
}

static void test_all_keys(void)
{
    struct th_plan p;
    if (load_text(
            &p, "all.json",
            "{\"name\": \"all\", \"kind\": \"handshake\", \"description\": \"every key\",\n"
            " \"clients\": [\"full\"], \"servers\": [\"full\"], \"transport\": \"tcp\",\n"
            " \"timeout_s\": 2.5,\n"
            " \"client\": {\"versions\": [\"1.3\"], \"ciphers\": [\"TLS_AES_256_GCM_SHA384\",\n"
            "   \"TLS_AES_128_GCM_SHA256\"], \"groups\": [\"secp256r1\", \"x25519\"],\n"
            "   \"alpn\": [\"h2\", \"http/1.1\"], \"ca\": \"pki:intermediate\", \"crl\": "
            "\"pki:crl\",\n"
            "   \"hostname\": \"127.0.0.1\", \"verify\": false, \"resume\": \"ticket\"},\n"
            " \"server\": {\"cert\": \"pki:ecdsa-p256\", \"versions\": [\"1.2\", \"1.3\"],\n"
            "   \"prefer_server_order\": false, \"tickets\": false, \"session_cache\": false},\n"
            " \"expect\": {\"outcome\": [\"ok\", \"handshake_failure\"], \"version\": \"1.3\",\n"
            "   \"cipher\": \"TLS_AES_256_GCM_SHA384\", \"group\": \"secp256r1\",\n"
            "   \"alpn\": null, \"resumed\": true}}\n",
            NULL, NULL))
        return;
    const struct th_case *k = p.n ? &p.cases[0] : NULL;
    if (!ok(k != NULL, "all keys: a case")) {
        th_plan_free(&p);
        return;
    }
    is_str(k->description, "every key", "description");
    is_int(k->transport, TH_TRANSPORT_TCP, "transport tcp");
    ok(k->timeout_s == 2.5, "timeout 2.5");
    is_int(k->c.versions, TH_VBIT(TH_TLS13), "client versions");
    is_int(k->c.n_suites, 2, "two suites");
    is_int(k->c.suites[0], 0x1302, "suite order kept");
    is_int(k->c.groups[0], 0x0017, "group order kept");
    is_int(k->c.n_alpn, 2, "alpn");
    is_str(k->c.alpn[1], "http/1.1", "alpn[1]");
    is_str(k->c.ca, "pki:intermediate", "ca");
    is_str(k->c.crl, "pki:crl", "crl");
    is_str(k->c.hostname, "127.0.0.1", "hostname");
    ok(k->c.sni == NULL, "no sni for an IP literal");
    ok(k->c.verify == 0 && k->c.resume == TH_RESUME_TICKET, "verify, resume");
    is_str(k->s.cert, "pki:ecdsa-p256", "cert");
    ok(!k->s.prefer_server_order && !k->s.tickets && !k->s.session_cache, "server flags off");
    is_int(k->expect.outcomes, TH_OUTCOME_BIT(TH_OK) | TH_OUTCOME_BIT(TH_HANDSHAKE_FAILURE),
           "outcomes");
    ok(k->expect.version == TH_TLS13 && k->expect.suite == 0x1302 && k->expect.group == 0x0017,
       "version, suite, group pinned");
    ok(k->expect.alpn_pinned && k->expect.alpn == NULL, "alpn pinned to none");
    is_int(k->expect.resumed, 1, "resumed pinned");
    ok(k->skip == NULL, "not skipped");
    th_plan_free(&p);
}

static void test_sni_and_paths(void)
{
    struct th_plan p;
    char real[PATH_MAX], want[PATH_MAX + 32];
    tmp_file("paths/certs/ca.pem", "not really PEM\n");
    if (load_text(
            &p, "paths/s.json",
            "{\"name\": \"paths\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
            " \"servers\": [\"full\"],\n"
            " \"client\": {\"ca\": \"certs/ca.pem\", \"crl\": \"certs/ca.pem\",\n"
            "   \"hostname\": \"example.org\", \"sni\": null},\n"
            " \"variants\": [{\"name\": \"a\", \"client\": {\"hostname\": null, \"ca\": null}},\n"
            "   {\"name\": \"b\", \"client\": {\"hostname\": \"::1\", \"sni\": \"x.test\"}},\n"
            "   {\"name\": \"c\", \"client\": {\"sni\": \"localhost\"}}]}\n",
            NULL, NULL))
        return;
    snprintf(want, sizeof want, "%s/paths/certs/ca.pem", realpath(tmp, real) ? real : tmp);
    is_int(p.n, 3, "three variants");
    const struct th_case *a = find(&p, "paths@a/full-vs-full"),
                         *b = find(&p, "paths@b/full-vs-full"),
                         *c = find(&p, "paths@c/full-vs-full");
    if (a && b && c) {
        is_str(b->c.ca, want, "relative ca stored absolute");
        is_str(b->c.crl, want, "relative crl stored absolute");
        ok(a->c.ca == NULL && a->c.hostname == NULL && a->c.sni == NULL, "null ca, hostname, sni");
        is_str(b->c.sni, "x.test", "explicit sni kept");
        is_str(c->c.hostname, "example.org", "hostname from the top level");
        is_str(c->c.sni, "localhost", "variant sni");
        is_int(a->line, 5, "variant line");
    }
    th_plan_free(&p);
    if (load_text(
            &p, "paths/t.json",
            "{\"name\": \"paths2\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
            " \"servers\": [\"full\"], \"client\": {\"hostname\": \"example.org\"},\n"
            " \"variants\": [{\"name\": \"a\", \"client\": {\"hostname\": \"other.test\"}}]}\n",
            NULL, NULL) == 0 &&
        p.n == 1)
        is_str(p.cases[0].c.sni, "other.test", "derived sni follows a variant's hostname");
    th_plan_free(&p);
}

static const char star_json[] = "{\"name\": \"star\", \"kind\": \"handshake\"}\n";

static void test_star(void)
{
    struct th_plan p;
    static const char *const all[] = {"star/full-vs-full",
                                      "star/full-vs-tls12only",
                                      "star/tls12only-vs-full",
                                      "star/tls12only-vs-tls12only",
                                      "star/curl-fake-vs-full",
                                      "star/curl-fake-vs-tls12only",
                                      NULL};
    static const char *const b[] = {"star/full-vs-full", "star/curl-fake-vs-full", NULL};
    static const char *const g[] = {"star/full-vs-tls12only", "star/tls12only-vs-tls12only",
                                    "star/curl-fake-vs-tls12only", NULL};
    if (load_text(&p, "star.json", star_json, NULL, NULL) == 0) {
        ids_are(&p, all, "\"*\" in registry order; servers need driver I/O");
        const struct th_case *k = find(&p, "star/tls12only-vs-full");
        if (k) {
            is_int(k->c.versions, TH_VBIT(TH_TLS12), "client versions narrowed to its backend's");
            is_int(k->s.versions, TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13), "server's kept");
        }
    }
    th_plan_free(&p);
    if (load_text(&p, "star.json", star_json, "full,curl-fake", NULL) == 0)
        ids_are(&p, b, "-b full,curl-fake");
    th_plan_free(&p);
    if (load_text(&p, "star.json", star_json, NULL, "*-vs-tls12only") == 0)
        ids_are(&p, g, "glob filter");
    th_plan_free(&p);
    if (load_text(&p, "star.json", star_json, NULL, "nothing*") == 0)
        is_int(p.n, 0, "filter matching nothing");
    th_plan_free(&p);
    if (load_text(
            &p, "order.json",
            "{\"name\": \"order\", \"kind\": \"handshake\",\n"
            " \"clients\": [\"tls12only\", \"*\", \"full\"], \"servers\": [\"full\", \"full\"]}\n",
            NULL, NULL) == 0) {
        static const char *const o[] = {"order/tls12only-vs-full", "order/full-vs-full",
                                        "order/curl-fake-vs-full", NULL};
        ids_are(&p, o, "listed order, duplicates dropped");
    }
    th_plan_free(&p);
}

static void test_external(void)
{
    struct th_plan p;
    static const char ext[] =
        "{\"name\": \"ext\", \"kind\": \"handshake\", \"clients\": [\"full\", \"curl-fake\"],\n"
        " \"servers\": [\"https://example.com:8443\", \"https://[::1]:443\",\n"
        "             \"https://127.0.0.1:4433\", \"tls12only\"]}\n";
    if (load_text(&p, "ext.json", ext, NULL, NULL) == 0) {
        static const char *const want[] = {"ext/full-vs-example.com:8443",
                                           "ext/full-vs-[::1]:443",
                                           "ext/full-vs-127.0.0.1:4433",
                                           "ext/full-vs-tls12only",
                                           "ext/curl-fake-vs-example.com:8443",
                                           "ext/curl-fake-vs-[::1]:443",
                                           "ext/curl-fake-vs-127.0.0.1:4433",
                                           "ext/curl-fake-vs-tls12only",
                                           NULL};
        ids_are(&p, want, "external targets");
        const struct th_case *k = find(&p, "ext/full-vs-example.com:8443");
        const struct th_case *v6 = find(&p, "ext/curl-fake-vs-[::1]:443");
        if (k && v6) {
            ok(k->server == NULL, "no server backend");
            is_str(k->server_name, "https://example.com:8443", "server_name is the URL");
            is_str(k->target_host, "example.com", "host");
            is_int(k->target_port, 8443, "port");
            is_int(k->transport, TH_TRANSPORT_TCP, "external targets are TCP");
            is_str(v6->target_host, "::1", "IPv6 host without brackets");
            ok(v6->skip == NULL, "socket-owning client runs against a target");
        }
        const struct th_case *m = find(&p, "ext/curl-fake-vs-tls12only");
        ok(m && !m->skip && m->transport == TH_TRANSPORT_TCP,
           "a socket-owning client runs a memory scenario's handshake over TCP");
    }
    th_plan_free(&p);
    if (load_text(&p, "ext.json", ext, "tls12only", NULL) == 0)
        is_int(p.n, 0, "-b drops clients even against targets");
    th_plan_free(&p);
    if (load_text(&p, "ext.json", ext, "curl-fake", NULL) == 0)
        is_int(p.n, 3, "-b keeps external targets");
    th_plan_free(&p);
}

static void test_variants(void)
{
    struct th_plan p;
    if (load_text(&p, "var.json",
                  "{\"name\": \"var\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"description\": \"top\",\n"
                  " \"client\": {\"alpn\": [\"h2\"], \"versions\": [\"1.2\", \"1.3\"]},\n"
                  " \"expect\": {\"version\": \"1.3\"},\n"
                  " \"variants\": [\n"
                  "  {\"name\": \"a\", \"client\": {\"versions\": [\"1.2\"]},\n"
                  "   \"expect\": {\"version\": \"1.2\"}},\n"
                  "  {\"name\": \"b.2\", \"description\": \"mine\",\n"
                  "   \"server\": {\"cert\": \"pki:self-signed\"},\n"
                  "   \"expect\": {\"outcome\": [\"unknown_ca\", \"self_signed\"]}}]}\n",
                  NULL, NULL))
        return;
    static const char *const want[] = {"var@a/full-vs-full", "var@b.2/full-vs-full", NULL};
    ids_are(&p, want, "one case per variant");
    if (p.n == 2) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1];
        is_str(a->scenario, "var@a", "scenario NAME@VARIANT");
        is_int(a->c.versions, TH_VBIT(TH_TLS12), "variant versions replace");
        ok(a->c.n_alpn == 1 && strcmp(a->c.alpn[0], "h2") == 0, "untouched keys inherited");
        is_int(a->expect.version, TH_TLS12, "expect.version overridden");
        is_int(a->expect.outcomes, TH_OUTCOME_BIT(TH_OK), "outcome inherited");
        is_str(a->description, "top", "description inherited");
        is_int(b->expect.version, TH_TLS13, "expect.version inherited");
        is_int(b->expect.outcomes, TH_OUTCOME_BIT(TH_UNKNOWN_CA) | TH_OUTCOME_BIT(TH_SELF_SIGNED),
               "outcome replaced");
        is_str(b->s.cert, "pki:self-signed", "server key overridden");
        is_str(b->description, "mine", "description overridden");
        is_int(a->line, 6, "line of variant a");
        is_int(b->line, 8, "line of variant b.2");
    }
    th_plan_free(&p);
}

static void test_foreach_suite(void)
{
    struct th_plan p;
    static const char *const want[] = {
        "fs@TLS_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
        "fs@TLS_AES_128_GCM_SHA256/full-vs-full",
        "fs@TLS_AES_256_GCM_SHA384/full-vs-full",
        "fs@TLS_CHACHA20_POLY1305_SHA256/full-vs-full",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA/full-vs-full",
        "fs@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
        "fs@TLS_RSA_WITH_AES_128_GCM_SHA256/full-vs-tls12only",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA/full-vs-tls12only",
        "fs@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-tls12only",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/full-vs-tls12only",
        "fs@TLS_RSA_WITH_AES_128_GCM_SHA256/full-vs-example.com:443",
        "fs@TLS_AES_128_GCM_SHA256/full-vs-example.com:443",
        "fs@TLS_AES_256_GCM_SHA384/full-vs-example.com:443",
        "fs@TLS_CHACHA20_POLY1305_SHA256/full-vs-example.com:443",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA/full-vs-example.com:443",
        "fs@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-example.com:443",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/full-vs-example.com:443",
        "fs/curl-fake-vs-full",
        "fs/curl-fake-vs-tls12only",
        "fs/curl-fake-vs-example.com:443",
        NULL};
    if (load_text(&p, "fs.json",
                  "{\"name\": \"fs\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\", \"curl-fake\"],\n"
                  " \"servers\": [\"full\", \"tls12only\", \"https://example.com:443\"],\n"
                  " \"server\": {\"cert\": \"pki:rsa1024\"}}\n",
                  NULL, NULL) == 0) {
        ids_are(&p, want, "foreach suite: both list it, a common version");
        const struct th_case *k = find(&p, "fs@TLS_AES_128_GCM_SHA256/full-vs-full");
        const struct th_case *e =
            find(&p, "fs@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full");
        const struct th_case *cbc = find(&p, "fs@TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA/full-vs-full");
        if (k && e && cbc) {
            ok(k->c.n_suites == 1 && k->c.suites[0] == 0x1301 && k->s.n_suites == 1 &&
                   k->s.suites[0] == 0x1301,
               "both sides list only the suite");
            is_int(k->expect.suite, 0x1301, "expect.cipher pinned");
            is_int(k->c.versions, TH_VBIT(TH_TLS13), "client narrowed to 1.3");
            is_int(k->s.versions, TH_VBIT(TH_TLS13), "server narrowed to 1.3");
            is_str(k->s.cert, "pki:rsa1024", "RSA suite keeps the scenario's cert");
            is_str(e->s.cert, "pki:ecdsa-p256", "ECDSA suite gets the ECDSA leaf");
            is_int(cbc->c.versions, TH_VBIT(TH_TLS12), "1.0-1.2 suite narrowed to the common 1.2");
            is_str(k->scenario, "fs@TLS_AES_128_GCM_SHA256", "scenario NAME@SUITE");
            is_str(skip_of(&p, "fs/curl-fake-vs-full"),
                   "curl-fake cannot be restricted to one suite (foreach)",
                   "a pair that cannot pin one suite is one skipped case");
        }
    }
    th_plan_free(&p);
}

static void test_foreach_filter(void)
{
    struct th_plan p;
    static const char *const gcm[] = {"ff@v@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                      "ff@v@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                      NULL};
    if (load_text(&p, "ff.json",
                  "{\"name\": \"ff\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\"],\n"
                  " \"suite_filter\": {\"kx\": [\"ECDHE\"], \"cipher\": [\"AES-128-GCM\"]},\n"
                  " \"variants\": [{\"name\": \"v\"}]}\n",
                  NULL, NULL) == 0)
        ids_are(&p, gcm, "suite_filter kx and cipher, with a variant");
    th_plan_free(&p);
    if (load_text(&p, "ff13.json",
                  "{\"name\": \"ff13\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\", \"tls12only\"],\n"
                  " \"suite_filter\": {\"versions\": [\"1.3\"], \"auth\": [\"any\"]}}\n",
                  NULL, NULL) == 0) {
        is_int(p.n, 4, "1.3 filter: three suites, and one skip for the 1.2-only pair");
        is_str(skip_of(&p, "ff13/full-vs-tls12only"),
               "no cipher suite both list runs on a version both have and passes suite_filter",
               "no suite left: listed as a skip");
    }
    th_plan_free(&p);
    if (load_text(&p, "ffv.json",
                  "{\"name\": \"ffv\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\"],\n"
                  " \"suite_filter\": {\"versions\": [\"1.2\"], \"auth\": [\"RSA\"], \"kx\": "
                  "[\"RSA\"]},\n"
                  " \"client\": {\"versions\": [\"1.2\", \"1.3\"]}}\n",
                  NULL, NULL) == 0 &&
        p.n == 1) {
        is_str(p.cases[0].id, "ffv@TLS_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
               "RSA key transport");
        is_int(p.cases[0].c.versions, TH_VBIT(TH_TLS12), "filter versions narrow too");
    }
    th_plan_free(&p);
    if (load_text(&p, "ffs.json",
                  "{\"name\": \"ffs\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"curl-fake\"], \"servers\": [\"full\"],\n"
                  " \"client\": {\"crl\": \"pki:crl\"}}\n",
                  NULL, NULL) == 0) {
        is_int(p.n, 1, "a pair skipped before foreach is one case");
        is_str(skip_of(&p, "ffs/curl-fake-vs-full"), "curl-fake lacks CRL checking", "its skip");
    }
    th_plan_free(&p);
}

static void test_foreach_group(void)
{
    struct th_plan p;
    static const char *const want[] = {"fg@x25519/full-vs-full", "fg@secp256r1/full-vs-full",
                                       "fg@ffdhe2048/full-vs-full",
                                       "fg@secp256r1/full-vs-tls12only", NULL};
    if (load_text(&p, "fg.json",
                  "{\"name\": \"fg\", \"kind\": \"handshake\", \"foreach\": \"group\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\", \"tls12only\"]}\n",
                  NULL, NULL) == 0) {
        ids_are(&p, want, "foreach group: groups both list");
        const struct th_case *k = find(&p, "fg@secp256r1/full-vs-tls12only");
        if (k) {
            ok(k->c.n_groups == 1 && k->c.groups[0] == 0x0017 && k->s.n_groups == 1 &&
                   k->s.groups[0] == 0x0017,
               "both sides list only the group");
            is_int(k->expect.group, 0x0017, "expect.group pinned");
        }
    }
    th_plan_free(&p);
}

static void test_skips(void)
{
    struct th_plan p;
    if (load_text(
            &p, "skip.json",
            "{\"name\": \"skip\", \"kind\": \"handshake\", \"clients\": [\"tls12only\"],\n"
            " \"servers\": [\"full\"],\n"
            " \"variants\": [{\"name\": \"versions\", \"client\": {\"versions\": [\"1.3\"]}},\n"
            "  {\"name\": \"pinned\", \"expect\": {\"version\": \"1.3\"}},\n"
            "  {\"name\": \"cipher\", \"client\": {\"ciphers\": "
            "[\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\n"
            "     \"TLS_CHACHA20_POLY1305_SHA256\"]}},\n"
            "  {\"name\": \"pcipher\", \"expect\": {\"cipher\": \"TLS_AES_128_GCM_SHA256\"}},\n"
            "  {\"name\": \"group\", \"client\": {\"groups\": [\"x25519\"]}},\n"
            "  {\"name\": \"resume\", \"client\": {\"resume\": \"ticket\"}},\n"
            "  {\"name\": \"resume-sid\", \"client\": {\"resume\": \"session_id\"}},\n"
            "  {\"name\": \"alpn\", \"client\": {\"alpn\": [\"h2\"]}},\n"
            "  {\"name\": \"crl\", \"client\": {\"crl\": \"pki:crl\"}},\n"
            "  {\"name\": \"ip\", \"client\": {\"hostname\": \"127.0.0.1\"}},\n"
            "  {\"name\": \"ip-noverify\", \"client\": {\"hostname\": \"::1\", \"verify\": "
            "false}}]}\n",
            NULL, NULL))
        return;
    is_str(skip_of(&p, "skip@versions/tls12only-vs-full"), "tls12only lacks TLS 1.3 (it has 1.2)",
           "skip: versions");
    is_str(skip_of(&p, "skip@pinned/tls12only-vs-full"),
           "tls12only lacks TLS 1.3, which expect.version pins (it has 1.2)",
           "skip: pinned version");
    is_str(skip_of(&p, "skip@cipher/tls12only-vs-full"),
           "tls12only lacks TLS_CHACHA20_POLY1305_SHA256", "skip: a listed suite, named");
    is_str(skip_of(&p, "skip@pcipher/tls12only-vs-full"), "tls12only lacks TLS_AES_128_GCM_SHA256",
           "skip: the pinned suite");
    is_str(skip_of(&p, "skip@group/tls12only-vs-full"), "tls12only lacks x25519", "skip: group");
    is_str(skip_of(&p, "skip@resume/tls12only-vs-full"), "tls12only lacks resumption by ticket",
           "skip: resumption");
    ok(skip_of(&p, "skip@resume-sid/tls12only-vs-full") == NULL, "session IDs it has");
    is_str(skip_of(&p, "skip@alpn/tls12only-vs-full"), "tls12only lacks ALPN", "skip: ALPN");
    is_str(skip_of(&p, "skip@crl/tls12only-vs-full"), "tls12only lacks CRL checking", "skip: CRL");
    is_str(skip_of(&p, "skip@ip/tls12only-vs-full"),
           "tls12only cannot check an IP address (127.0.0.1) against the certificate",
           "skip: IP SAN");
    ok(skip_of(&p, "skip@ip-noverify/tls12only-vs-full") == NULL, "IP literal without verify runs");
    th_plan_free(&p);

    if (load_text(
            &p, "skip-s.json",
            "{\"name\": \"skip-s\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
            " \"servers\": [\"tls12only\"], \"transport\": \"tcp\",\n"
            " \"variants\": [{\"name\": \"alpn\", \"server\": {\"alpn\": [\"h2\"]}},\n"
            "  {\"name\": \"resume\", \"client\": {\"resume\": \"ticket\"}},\n"
            "  {\"name\": \"client-order\", \"server\": {\"prefer_server_order\": false}},\n"
            "  {\"name\": \"fine\", \"client\": {\"crl\": \"pki:crl\", \"alpn\": [\"h2\"]}}]}\n",
            NULL, NULL))
        return;
    is_str(skip_of(&p, "skip-s@alpn/full-vs-tls12only"), "tls12only lacks ALPN",
           "server skip: ALPN");
    is_str(skip_of(&p, "skip-s@resume/full-vs-tls12only"), "tls12only lacks resumption by ticket",
           "server skip: the client's resumption");
    is_str(skip_of(&p, "skip-s@client-order/full-vs-tls12only"),
           "tls12only servers always pick by their own suite order",
           "server skip: it cannot follow the client's order");
    ok(skip_of(&p, "skip-s@fine/full-vs-tls12only") == NULL, "client-only needs stay client-side");
    is_int(find(&p, "skip-s@fine/full-vs-tls12only")->s.versions, TH_VBIT(TH_TLS12),
           "server versions narrowed");
    th_plan_free(&p);

    if (load_text(&p, "skip-t.json",
                  "{\"name\": \"skip-t\", \"kind\": \"handshake\", \"clients\": [\"curl-fake\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\"}\n",
                  NULL, NULL) == 0 &&
        p.n == 1)
        ok(p.cases[0].skip == NULL, "socket-owning client over tcp runs");
    th_plan_free(&p);
}

static void test_deviations(void)
{
    struct th_plan p;
    if (load_text(&p, "dev.json",
                  "{\"name\": \"dev\", \"kind\": \"handshake\", \"clients\": [\"*\"],\n"
                  " \"servers\": [\"full\", \"tls12only\"],\n"
                  " \"deviations\": [\n"
                  "  {\"client\": \"tls12only\", \"outcome\": \"unknown_ca\", \"why\": \"w1\"},\n"
                  "  {\"server\": \"tls12only\", \"outcome\": [\"io_error\", \"timeout\"], "
                  "\"why\": \"w3\"},\n"
                  "  {\"client\": \"full\", \"server\": \"tls12only\", \"outcome\": "
                  "\"handshake_failure\",\n"
                  "   \"why\": \"w2\"}],\n"
                  " \"variants\": [{\"name\": \"plain\"},\n"
                  "  {\"name\": \"more\", \"deviations\": [{\"client\": \"curl-fake\", \"server\": "
                  "\"tls12only\",\n"
                  "    \"outcome\": \"ok\", \"why\": \"w4\"}, {\"client\": \"tls12only\", "
                  "\"outcome\": \"ok\",\n"
                  "    \"why\": \"w5\"}]}]}\n",
                  NULL, NULL))
        return;
    static const struct {
        const char *id, *why;
    } want[] = {
        {"dev@plain/full-vs-full", NULL},           {"dev@plain/full-vs-tls12only", "w2"},
        {"dev@plain/tls12only-vs-full", "w1"},      {"dev@plain/tls12only-vs-tls12only", "w1"},
        {"dev@plain/curl-fake-vs-tls12only", "w3"}, {"dev@more/curl-fake-vs-tls12only", "w4"},
        {"dev@more/tls12only-vs-full", "w5"},       {"dev@more/full-vs-tls12only", "w2"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(want); i++) {
        const struct th_case *k = find(&p, want[i].id);
        if (!ok(k != NULL, "case %s", want[i].id))
            continue;
        is_int(k->has_deviation, want[i].why != NULL, "%s: has_deviation", want[i].id);
        is_str(k->deviation.why, want[i].why, "%s: the matching deviation", want[i].id);
    }
    const struct th_case *k = find(&p, "dev@plain/curl-fake-vs-tls12only");
    if (k) {
        ok(k->deviation.client == NULL, "deviation client unnamed");
        is_str(k->deviation.server, "tls12only", "deviation server");
        is_int(k->deviation.outcomes, TH_OUTCOME_BIT(TH_IO_ERROR) | TH_OUTCOME_BIT(TH_TIMEOUT),
               "deviation outcomes");
    }
    th_plan_free(&p);
    /* globs: "fixture:*" and "*l*"; an exact name beats a glob */
    if (load_text(
            &p, "devg.json",
            "{\"name\": \"devg\", \"kind\": \"handshake\", \"clients\": [\"full\", "
            "\"tls12only\"],\n"
            " \"servers\": [\"fixture:nginx\", \"fixture:caddy\", \"full\"],\n"
            " \"deviations\": [\n"
            "  {\"server\": \"fixture:*\", \"outcome\": \"handshake_failure\", \"why\": \"g1\"},\n"
            "  {\"server\": \"fixture:caddy\", \"outcome\": \"ok\", \"why\": \"g2\"},\n"
            "  {\"client\": \"tls12*\", \"server\": \"fixture:*\", \"outcome\": \"ok\", "
            "\"why\": \"g3\"}]}\n",
            NULL, NULL) == 0) {
        static const struct {
            const char *id, *why;
        } gw[] = {
            {"devg/full-vs-fixture:nginx", "g1"},
            {"devg/full-vs-fixture:caddy", "g2"},
            {"devg/full-vs-full", NULL},
            {"devg/tls12only-vs-fixture:nginx", "g3"},
            {"devg/tls12only-vs-fixture:caddy", "g2"}, /* 2 = 1 + 1: the first listed */
        };
        for (size_t i = 0; i < TH_ARRAY_LEN(gw); i++) {
            const struct th_case *g = find(&p, gw[i].id);
            if (ok(g != NULL, "case %s", gw[i].id))
                is_str(g->deviation.why, gw[i].why, "%s: glob deviation", gw[i].id);
        }
    }
    th_plan_free(&p);
}

static void test_folders(void)
{
    struct th_plan p;
    struct diags ds;
    static const char *const want[] = {"f/a/full-vs-full", "f/b/full-vs-full", "f/c/full-vs-full",
                                       NULL};
    tmp_file("tree/sub/b.json",
             "{\"name\": \"f/b\", \"kind\": \"handshake\", \"clients\": [\"full\"], "
             "\"servers\": [\"full\"]}");
    tmp_file("tree/a.json", "{\"name\": \"f/a\", \"kind\": \"handshake\", \"clients\": [\"full\"], "
                            "\"servers\": [\"full\"]}");
    tmp_file("tree/z/c.json",
             "{\"name\": \"f/c\", \"kind\": \"handshake\", \"clients\": [\"full\"], "
             "\"servers\": [\"full\"]}");
    tmp_file("tree/notes.txt", "not a scenario");
    tmp_file("tree/.hidden.json", "{");
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/tree", tmp);
    is_int(load_opts(&p, dir, NULL, NULL, &ds), 0, "folder loads");
    ids_are(&p, want, "every *.json below, sorted by path");
    th_plan_free(&p);

    /* one bad file: reported, and the others still load */
    tmp_file("tree/sub/bad.json", "{\"name\": \"f/bad\", \"kind\": \"handshake\", \"clients\": 3}");
    is_int(load_opts(&p, dir, NULL, NULL, &ds), 1, "one error");
    is_int(p.n, 3, "the good files still expanded");
    ok(ds.n == 1 && contains(ds.d[0].file, "sub/bad.json") && contains(ds.d[0].msg, "clients:"),
       "the error names the bad file");
    th_plan_free(&p);

    /* a scenario name used twice */
    tmp_file("tree/z/dup.json", "{\"name\": \"f/a\", \"kind\": \"handshake\"}");
    load_opts(&p, dir, NULL, NULL, &ds);
    ok(ds.n == 2 && contains(ds.d[1].msg, "\"f/a\" is already the name of a scenario in") &&
           contains(ds.d[1].file, "dup.json") && ds.d[1].line == 1 && ds.d[1].col == 10,
       "duplicate scenario name across files");
    th_plan_free(&p);

    is_int(load_opts(&p, "/nonexistent/scenarios", NULL, NULL, &ds), 1, "non-existing path");
    ok(ds.n == 1 && strcmp(ds.d[0].file, "/nonexistent/scenarios") == 0 && ds.d[0].line == 0 &&
           contains(ds.d[0].msg, "No such file or directory"),
       "non-existing path named, with the reason");
    th_plan_free(&p);

    is_int(load_opts(&p, dir, "full,gnutls", NULL, &ds), 3, "-b with an unknown name");
    ok(ds.n >= 1 && strcmp(ds.d[0].file, "--backends") == 0 &&
           contains(ds.d[0].msg,
                    "unknown backend 'gnutls' (compiled in: full, tls12only, curl-fake)"),
       "-b names checked against the registry");
    th_plan_free(&p);
}

/* ---- the kinds beyond handshake ---- */

/* The one case of a scenario that must load into exactly one, or NULL. */
static const struct th_case *only_case(struct th_plan *p, const char *name, const char *json)
{
    if (load_text(p, name, json, NULL, NULL) != 0)
        return NULL;
    return ok(p->n == 1, "%s: one case", name) ? &p->cases[0] : NULL;
}

static void test_kind_names(void)
{
    is_str(th_kind_name(TH_KIND_BULK), "bulk", "th_kind_name bulk");
    is_str(th_kind_name(TH_KIND_HANDSHAKE_RATE), "handshake_rate", "th_kind_name handshake_rate");
    is_str(th_kind_name(TH_KIND_MEMORY), "memory", "th_kind_name memory");
    is_str(th_kind_name(TH_KIND_INTEGRITY), "integrity", "th_kind_name integrity");
}

static void test_bulk(void)
{
    struct th_plan p;
    const struct th_case *k;
    if ((k = only_case(&p, "bulk-d.json",
                       "{\"name\": \"bd\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"]}\n"))) {
        is_int(k->kind, TH_KIND_BULK, "bulk: kind");
        ok(k->bulk.bytes == 0 && k->bulk.seconds == 1, "bulk: by time, 1 s by default");
        is_int(k->bulk.write_size, 16384, "bulk: write_size 16384 by default");
        is_int(k->bulk.direction, TH_C2S, "bulk: c2s by default");
        is_int(k->repeat, 0, "bulk: repeat 0 (the CLI's) by default");
        is_int(k->expect.outcomes, TH_OUTCOME_BIT(TH_OK), "bulk: expect ok by default");
        ok(k->skip == NULL, "bulk: runs");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "bulk-all.json",
                       "{\"name\": \"ba\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"transport\": \"tcp\", \"repeat\": 1000,\n"
                       " \"bulk\": {\"write_size\": 1048576, \"bytes\": 1099511627776,\n"
                       "          \"direction\": \"both\"}}\n"))) {
        ok(k->bulk.bytes == (UINT64_C(1) << 40) && k->bulk.seconds == 0, "bulk: bytes 2^40");
        is_int(k->bulk.write_size, 1048576, "bulk: write_size 1 MiB");
        is_int(k->bulk.direction, TH_BOTH, "bulk: both");
        is_int(k->repeat, 1000, "bulk: repeat");
        is_int(k->transport, TH_TRANSPORT_TCP, "bulk: over tcp");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "bulk-s.json",
                       "{\"name\": \"bs\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"repeat\": 1,\n"
                       " \"bulk\": {\"seconds\": 0.25, \"write_size\": 1, \"direction\": "
                       "\"s2c\"}}\n"))) {
        ok(k->bulk.bytes == 0 && k->bulk.seconds == 0.25, "bulk: seconds 0.25");
        ok(k->bulk.write_size == 1 && k->bulk.direction == TH_S2C, "bulk: write_size 1, s2c");
        is_int(k->repeat, 1, "bulk: repeat 1");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "bulk-600.json",
                       "{\"name\": \"b600\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"bulk\": {\"seconds\": 600}}\n")))
        ok(k->bulk.bytes == 0 && k->bulk.seconds == 600, "bulk: 600 s, the limit");
    th_plan_free(&p);
}

static void test_handshake_rate(void)
{
    struct th_plan p;
    const struct th_case *k;
    if ((k = only_case(&p, "rate-d.json",
                       "{\"name\": \"rd\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"handshakes\": {}}\n"))) {
        is_int(k->kind, TH_KIND_HANDSHAKE_RATE, "rate: kind");
        ok(k->rate.count == 0 && k->rate.seconds == 1, "rate: by time, 1 s by default");
        is_int(k->rate.resume, TH_RESUME_NONE, "rate: full handshakes by default");
        is_int(k->rate.concurrency, 1, "rate: concurrency 1 by default");
        is_int(k->c.resume, TH_RESUME_NONE, "rate: client.resume none");
        ok(k->repeat == 0 && k->skip == NULL, "rate: repeat 0, runs");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "rate-all.json",
                       "{\"name\": \"ra\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"transport\": \"tcp\", \"repeat\": 3,\n"
                       " \"handshakes\": {\"count\": 10000000, \"resume\": \"session_id\",\n"
                       "                \"concurrency\": 64}}\n"))) {
        ok(k->rate.count == 10000000 && k->rate.seconds == 0, "rate: count");
        is_int(k->rate.resume, TH_RESUME_SESSION_ID, "rate: resume session_id");
        is_int(k->rate.concurrency, 64, "rate: concurrency 64 over tcp");
        is_int(k->c.resume, TH_RESUME_NONE, "rate: client.resume stays none");
        is_int(k->repeat, 3, "rate: repeat");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "rate-s.json",
                       "{\"name\": \"rs\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"handshakes\": {\"seconds\": 2.5,\n"
                       "  \"concurrency\": 1, \"resume\": \"ticket\"}}\n"))) {
        ok(k->rate.count == 0 && k->rate.seconds == 2.5, "rate: seconds");
        is_int(k->rate.resume, TH_RESUME_TICKET, "rate: resume ticket");
    }
    th_plan_free(&p);
}

static void test_memory(void)
{
    struct th_plan p;
    const struct th_case *k;
    if ((k = only_case(&p, "mem-d.json",
                       "{\"name\": \"md\", \"kind\": \"memory\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"transport\": \"memory\"}\n"))) {
        is_int(k->kind, TH_KIND_MEMORY, "memory: kind");
        is_int(k->memory.connections, 200, "memory: 200 connections by default");
        ok(k->repeat == 0 && k->skip == NULL, "memory: repeat 0, runs");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "mem-all.json",
                       "{\"name\": \"ma\", \"kind\": \"memory\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"repeat\": 2,\n"
                       " \"memory\": {\"connections\": 100000}}\n"))) {
        is_int(k->memory.connections, 100000, "memory: connections");
        is_int(k->repeat, 2, "memory: repeat");
    }
    th_plan_free(&p);
}

static void test_integrity(void)
{
    struct th_plan p;
    static const struct {
        const char *id;
        enum th_fault fault;
        th_outcome_set outcomes;
    } want[] = {
        {"in@flip/full-vs-full", TH_FAULT_FLIP_BIT, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@drop/full-vs-full", TH_FAULT_DROP, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@dup/full-vs-full", TH_FAULT_DUPLICATE, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@reorder/full-vs-full", TH_FAULT_REORDER, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@truncate/full-vs-full", TH_FAULT_TRUNCATE, TH_OUTCOME_BIT(TH_TRUNCATED)},
        {"in@ku/full-vs-full", TH_FAULT_KEY_UPDATE, TH_OUTCOME_BIT(TH_OK)},
        {"in@given/full-vs-full", TH_FAULT_FLIP_BIT,
         TH_OUTCOME_BIT(TH_BAD_RECORD_MAC) | TH_OUTCOME_BIT(TH_IO_ERROR)},
    };
    if (load_text(&p, "integ.json",
                  "{\"name\": \"in\", \"kind\": \"integrity\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"integrity\": {\"fault\": \"flip_bit\"},\n"
                  " \"variants\": [{\"name\": \"flip\"},\n"
                  "  {\"name\": \"drop\", \"integrity\": {\"fault\": \"drop\"}},\n"
                  "  {\"name\": \"dup\", \"integrity\": {\"fault\": \"duplicate\"}},\n"
                  "  {\"name\": \"reorder\", \"integrity\": {\"fault\": \"reorder\"}},\n"
                  "  {\"name\": \"truncate\", \"integrity\": {\"fault\": \"truncate\"}},\n"
                  "  {\"name\": \"ku\", \"integrity\": {\"fault\": \"key_update\"}},\n"
                  "  {\"name\": \"given\", \"expect\": {\"outcome\": [\"bad_record_mac\", "
                  "\"io_error\"]}}]}\n",
                  NULL, NULL) == 0) {
        is_int(p.n, TH_ARRAY_LEN(want), "integrity: one case per variant");
        for (size_t i = 0; i < TH_ARRAY_LEN(want); i++) {
            const struct th_case *k = find(&p, want[i].id);
            if (!ok(k != NULL, "case %s", want[i].id))
                continue;
            is_int(k->fault.fault, want[i].fault, "%s: fault", want[i].id);
            is_int(k->expect.outcomes, want[i].outcomes, "%s: expected outcome", want[i].id);
        }
        const struct th_case *k = find(&p, "in@flip/full-vs-full");
        if (k) {
            is_int(k->kind, TH_KIND_INTEGRITY, "integrity: kind");
            ok(k->fault.record == 3 && k->fault.bytes == 262144 && k->fault.write_size == 16384,
               "integrity: record 3 of 262144 bytes in 16384-byte writes by default");
            is_int(k->fault.direction, TH_C2S, "integrity: c2s by default");
            ok(k->repeat == 0 && k->skip == NULL, "integrity: no repeat; runs");
        }
    }
    th_plan_free(&p);
    const struct th_case *k;
    if ((k = only_case(&p, "integ-all.json",
                       "{\"name\": \"ia\", \"kind\": \"integrity\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"expect\": {\"outcome\": \"io_error\"},\n"
                       " \"integrity\": {\"fault\": \"drop\", \"record\": 1000, \"bytes\": 1001,\n"
                       "  \"write_size\": 1, \"direction\": \"s2c\"}}\n"))) {
        ok(k->fault.fault == TH_FAULT_DROP && k->fault.record == 1000, "integrity: record 1000");
        ok(k->fault.bytes == 1001 && k->fault.write_size == 1,
           "integrity: exactly record + 1 writes are enough");
        is_int(k->fault.direction, TH_S2C, "integrity: s2c");
        is_int(k->expect.outcomes, TH_OUTCOME_BIT(TH_IO_ERROR),
               "integrity: a given outcome replaces the fault's");
    }
    th_plan_free(&p);
}

/* A variant overrides the kind's block key by key, as it does client and server. */
static void test_kind_variants(void)
{
    struct th_plan p;
    if (load_text(&p, "bulk-var.json",
                  "{\"name\": \"bv\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"repeat\": 7,\n"
                  " \"bulk\": {\"bytes\": 1048576, \"direction\": \"s2c\"},\n"
                  " \"variants\": [{\"name\": \"64k\", \"bulk\": {\"write_size\": 65536}},\n"
                  "  {\"name\": \"timed\", \"bulk\": {\"seconds\": 3}},\n"
                  "  {\"name\": \"plain\"}]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 3, "bulk variants: three cases")) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1], *c = &p.cases[2];
        ok(a->bulk.bytes == 1048576 && a->bulk.direction == TH_S2C, "64k: the rest inherited");
        is_int(a->bulk.write_size, 65536, "64k: write_size overridden");
        ok(b->bulk.bytes == 0 && b->bulk.seconds == 3, "timed: seconds replace bytes");
        ok(b->bulk.direction == TH_S2C && b->bulk.write_size == 16384, "timed: the rest kept");
        ok(c->bulk.bytes == 1048576 && c->bulk.write_size == 16384, "plain: the top level's");
        ok(a->repeat == 7 && b->repeat == 7 && c->repeat == 7, "repeat shared by the variants");
    }
    th_plan_free(&p);
    if (load_text(&p, "rate-var.json",
                  "{\"name\": \"rv\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\",\n"
                  " \"handshakes\": {\"count\": 500, \"concurrency\": 4},\n"
                  " \"variants\": [{\"name\": \"full\"},\n"
                  "  {\"name\": \"ticket\", \"handshakes\": {\"resume\": \"ticket\"}},\n"
                  "  {\"name\": \"timed\", \"handshakes\": {\"seconds\": 2, \"concurrency\": "
                  "1}}]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 3, "rate variants: three cases")) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1], *c = &p.cases[2];
        ok(a->rate.count == 500 && a->rate.resume == TH_RESUME_NONE, "full: the top level's");
        ok(b->rate.count == 500 && b->rate.concurrency == 4 && b->rate.resume == TH_RESUME_TICKET,
           "ticket: resume overridden, the rest inherited");
        ok(c->rate.count == 0 && c->rate.seconds == 2 && c->rate.concurrency == 1,
           "timed: seconds replace count; concurrency overridden");
    }
    th_plan_free(&p);
    if (load_text(&p, "integ-var.json",
                  "{\"name\": \"iv\", \"kind\": \"integrity\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"expect\": {\"outcome\": \"bad_record_mac\"},\n"
                  " \"integrity\": {\"fault\": \"drop\", \"bytes\": 100000, \"write_size\": "
                  "1000},\n"
                  " \"variants\": [{\"name\": \"r50\", \"integrity\": {\"record\": 50}},\n"
                  "  {\"name\": \"trunc\", \"integrity\": {\"fault\": \"truncate\", \"direction\": "
                  "\"s2c\"}}]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 2, "integrity variants: two cases")) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1];
        ok(a->fault.fault == TH_FAULT_DROP && a->fault.record == 50 && a->fault.bytes == 100000 &&
               a->fault.write_size == 1000,
           "r50: record overridden, the rest inherited");
        ok(b->fault.fault == TH_FAULT_TRUNCATE && b->fault.direction == TH_S2C &&
               b->fault.record == 3,
           "trunc: fault and direction overridden");
        is_int(b->expect.outcomes, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC),
               "trunc: the top level's expect.outcome, not the fault's default");
    }
    th_plan_free(&p);
}

static void test_kind_foreach(void)
{
    struct th_plan p;
    static const char *const want[] = {"bf@TLS_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                       "bf@TLS_AES_128_GCM_SHA256/full-vs-full",
                                       "bf@TLS_CHACHA20_POLY1305_SHA256/full-vs-full",
                                       "bf@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                       "bf@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                       NULL};
    if (load_text(&p, "bulk-fe.json",
                  "{\"name\": \"bf\", \"kind\": \"bulk\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\"],\n"
                  " \"suite_filter\": {\"cipher\": [\"AES-128-GCM\", \"CHACHA20-POLY1305\"]},\n"
                  " \"bulk\": {\"bytes\": 4194304, \"write_size\": 16384}}\n",
                  NULL, NULL) == 0) {
        ids_are(&p, want, "bulk over each AEAD");
        int same = 1;
        for (size_t i = 0; i < p.n; i++)
            same &= p.cases[i].kind == TH_KIND_BULK && p.cases[i].bulk.bytes == 4194304;
        ok(same, "each suite's case carries the bulk block");
    }
    th_plan_free(&p);
    if (load_text(&p, "rate-fg.json",
                  "{\"name\": \"rg\", \"kind\": \"handshake_rate\", \"foreach\": \"group\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"tls12only\"],\n"
                  " \"handshakes\": {\"count\": 100}}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 1, "rate over each group: one group in common")) {
        is_str(p.cases[0].id, "rg@secp256r1/full-vs-tls12only", "rate: foreach group");
        ok(p.cases[0].rate.count == 100, "the group's case carries the handshakes block");
    }
    th_plan_free(&p);
}

static void test_kind_skips(void)
{
    struct th_plan p;
    cur_reg = reg_data;
    if (load_text(&p, "ks-io.json",
                  "{\"name\": \"ks-io\", \"kind\": \"bulk\", \"clients\": [\"curl-fake\", "
                  "\"full\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\"}\n",
                  NULL, NULL) == 0) {
        is_str(skip_of(&p, "ks-io/curl-fake-vs-full"),
               "curl-fake owns its socket: no driver-owned data path",
               "skip: a socket-owning client has no data path, even over tcp");
        ok(skip_of(&p, "ks-io/full-vs-full") == NULL, "a driver-I/O pair runs");
    }
    th_plan_free(&p);
    static const char *const kinds[] = {
        "\"kind\": \"memory\"", "\"kind\": \"handshake_rate\"",
        "\"kind\": \"integrity\", \"integrity\": {\"fault\": \"drop\"}"};
    for (size_t i = 0; i < TH_ARRAY_LEN(kinds); i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"name\": \"ks-io%zu\", %s, \"clients\": [\"*\"], \"servers\": [\"full\"]}\n", i,
                 kinds[i]);
        char id[64];
        snprintf(id, sizeof id, "ks-io%zu/curl-fake-vs-full", i);
        if (load_text(&p, "ks-io-k.json", json, NULL, NULL) == 0)
            is_str(skip_of(&p, id), "curl-fake owns its socket: no driver-owned data path",
                   "skip: no data path for %s", kinds[i]);
        th_plan_free(&p);
    }

    if (load_text(&p, "ks-rate.json",
                  "{\"name\": \"ks-rate\", \"kind\": \"handshake_rate\",\n"
                  " \"clients\": [\"full\", \"tls12only\"], \"servers\": [\"full\", "
                  "\"tls12only\"],\n"
                  " \"handshakes\": {\"resume\": \"ticket\"},\n"
                  " \"variants\": [{\"name\": \"ticket\"},\n"
                  "  {\"name\": \"sid\", \"handshakes\": {\"resume\": \"session_id\"}}]}\n",
                  NULL, NULL) == 0) {
        ok(skip_of(&p, "ks-rate@ticket/full-vs-full") == NULL, "rate resume: both have tickets");
        is_str(skip_of(&p, "ks-rate@ticket/full-vs-tls12only"),
               "tls12only lacks resumption by ticket", "skip: the server lacks handshakes.resume");
        is_str(skip_of(&p, "ks-rate@ticket/tls12only-vs-full"),
               "tls12only lacks resumption by ticket", "skip: the client lacks handshakes.resume");
        ok(skip_of(&p, "ks-rate@sid/tls12only-vs-tls12only") == NULL, "session IDs both have");
    }
    th_plan_free(&p);

    if (load_text(&p, "ks-ku.json",
                  "{\"name\": \"ks-ku\", \"kind\": \"integrity\",\n"
                  " \"clients\": [\"full\", \"data\", \"data12\"], \"servers\": [\"data\", "
                  "\"full\"],\n"
                  " \"integrity\": {\"fault\": \"key_update\"}}\n",
                  NULL, NULL) == 0) {
        ok(skip_of(&p, "ks-ku/data-vs-data") == NULL, "key_update: both have the op and 1.3");
        is_str(skip_of(&p, "ks-ku/full-vs-data"), "full lacks TLS 1.3 KeyUpdate",
               "skip: the client has no key_update op");
        is_str(skip_of(&p, "ks-ku/data-vs-full"), "full lacks TLS 1.3 KeyUpdate",
               "skip: the server has no key_update op");
        is_str(skip_of(&p, "ks-ku/data12-vs-data"), "data12 lacks TLS 1.3 KeyUpdate",
               "skip: the op, but no TLS 1.3 once narrowed");
    }
    th_plan_free(&p);

    if (load_text(&p, "ks-tr.json",
                  "{\"name\": \"ks-tr\", \"kind\": \"integrity\",\n"
                  " \"clients\": [\"full\", \"data\"], \"servers\": [\"full\", \"data\"],\n"
                  " \"integrity\": {\"fault\": \"truncate\"},\n"
                  " \"variants\": [{\"name\": \"c2s\"},\n"
                  "  {\"name\": \"s2c\", \"integrity\": {\"direction\": \"s2c\"}},\n"
                  "  {\"name\": \"flip\", \"integrity\": {\"fault\": \"flip_bit\"}}]}\n",
                  NULL, NULL) == 0) {
        const char *const no = "full cannot tell a close without close_notify from a clean one";
        is_str(skip_of(&p, "ks-tr@c2s/data-vs-full"), no, "skip: c2s, the server receives");
        ok(skip_of(&p, "ks-tr@c2s/full-vs-data") == NULL, "c2s: the client's caps do not matter");
        is_str(skip_of(&p, "ks-tr@s2c/full-vs-data"), no, "skip: s2c, the client receives");
        ok(skip_of(&p, "ks-tr@s2c/data-vs-full") == NULL, "s2c: the server's caps do not matter");
        ok(skip_of(&p, "ks-tr@flip/full-vs-full") == NULL, "other faults need neither");
    }
    th_plan_free(&p);

    static const char *const ku13[] = {"kf@TLS_AES_128_GCM_SHA256/data-vs-data",
                                       "kf@TLS_AES_256_GCM_SHA384/data-vs-data",
                                       "kf@TLS_CHACHA20_POLY1305_SHA256/data-vs-data", NULL};
    if (load_text(&p, "ks-kf.json",
                  "{\"name\": \"kf\", \"kind\": \"integrity\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"data\"], \"servers\": [\"data\"],\n"
                  " \"integrity\": {\"fault\": \"key_update\"}}\n",
                  NULL, NULL) == 0) {
        ids_are(&p, ku13, "key_update over each suite: TLS 1.3 suites only");
        if (p.n)
            is_int(p.cases[0].c.versions, TH_VBIT(TH_TLS13), "key_update: versions 1.3");
    }
    th_plan_free(&p);
    cur_reg = reg;
}

/* ---- bad inputs: tests/data/bad/ ---- */

struct bad {
    const char *file;
    int line, col;
    const char *at;   /* the text found at line:col */
    const char *frag; /* part of the message */
};

static const struct bad bads[] = {
    {"syntax.json", 4, 22, "]", "unexpected token"},
    {"missing-name.json", 1, 1, "{", "missing required key \"name\""},
    {"missing-kind.json", 1, 1, "{", "missing required key \"kind\""},
    {"unknown-top-key.json", 4, 3, "\"clinets\"",
     "clinets: unknown key (top-level keys: name, kind,"},
    {"unknown-client-key.json", 4, 36, "\"verfy\"",
     "client.verfy: unknown key (client keys: versions, ciphers"},
    {"server-key-in-client.json", 5, 5, "\"cert\"",
     "client.cert: \"cert\" is a server key, not allowed in client"},
    {"client-key-in-server.json", 4, 38, "\"hostname\"",
     "server.hostname: \"hostname\" is a client key, not allowed in server"},
    {"versions-string.json", 4, 27, "\"1.3\"", "client.versions: expected an array, got a string"},
    {"unknown-version.json", 6, 18, "\"1.4\"",
     "client.versions[1]: unknown TLS version \"1.4\" (known: 1.0, 1.1, 1.2, 1.3)"},
    {"duplicate-version.json", 4, 42, "\"1.3\"", "server.versions[2]: TLS 1.3 listed twice"},
    {"unknown-suite.json", 4, 53, "\"TLS_AES_128_GCM_SHA257\"",
     "server.ciphers[1]: unknown cipher suite \"TLS_AES_128_GCM_SHA257\""},
    {"unknown-group.json", 4, 26, "\"x25520\"", "client.groups[0]: unknown group \"x25520\""},
    {"unknown-outcome.json", 4, 41, "\"expird\"",
     "expect.outcome[1]: unknown outcome \"expird\" (known: ok, expired,"},
    {"empty-outcome-list.json", 4, 26, "[]", "expect.outcome: empty list"},
    {"expect-version.json", 4, 43, "\"1.5\"", "expect.version: unknown TLS version \"1.5\""},
    {"expect-unknown-key.json", 4, 15, "\"outcomes\"",
     "expect.outcomes: unknown key (expect keys: outcome,"},
    {"bad-transport.json", 4, 16, "\"udp\"",
     "transport: unknown value \"udp\" (known: memory, tcp)"},
    {"bad-timeout.json", 4, 16, "0",
     "timeout_s: 0 out of range: more than 0 and at most 300 seconds"},
    {"timeout-too-long.json", 4, 16, "300.5", "timeout_s: 300.5 out of range"},
    {"timeout-string.json", 4, 16, "\"5\"",
     "timeout_s: expected a number of seconds, got a string"},
    {"unknown-pki.json", 4, 23, "\"pki:rsa4096\"",
     "server.cert: unknown pki object \"pki:rsa4096\" for a server certificate"},
    {"cert-not-pki.json", 4, 23, "\"server.pem\"",
     "server.cert: expected \"pki:NAME\" naming a leaf"},
    {"crl-not-crl.json", 4, 22, "\"pki:root\"",
     "client.crl: unknown pki object \"pki:root\" for a CRL"},
    {"ca-missing.json", 4, 21, "\"no-such-ca.pem\"", "client.ca: file not found: /"},
    {"deviation-no-why.json", 6, 5, "{", "deviations[1]: missing required key \"why\""},
    {"deviation-empty-why.json", 4, 70, "\"\"",
     "deviations[0].why: empty: say why this backend differs"},
    {"deviation-no-side.json", 4, 18, "{", "deviations[0]: needs \"client\" or \"server\""},
    {"deviation-no-outcome.json", 4, 18, "{", "deviations[0]: missing required key \"outcome\""},
    {"duplicate-variant.json", 7, 15, "\"a\"",
     "variants[2].name: variant \"a\" is defined twice (also variants[0])"},
    {"variant-bad-name.json", 4, 26, "\"Tls 1.2\"",
     "variants[0].name: \"Tls 1.2\" must match [a-z0-9._-]+"},
    {"variant-no-name.json", 4, 16, "{ \"client\"", "variants[0]: missing required key \"name\""},
    {"variant-unknown-key.json", 4, 31, "\"servers\"",
     "variants[0].servers: unknown key (variant keys:"},
    {"variant-bad-client.json", 6, 42, "\"psk\"",
     "variants[1].client.resume: unknown value \"psk\" (known: none, ticket, session_id)"},
    {"url-no-port.json", 4, 15, "\"https://example.com\"",
     "servers[0]: external target \"https://example.com\" needs a port: https://HOST:PORT"},
    {"url-port-0.json", 4, 23, "\"https://example.com:0\"",
     "servers[1]: external target \"https://example.com:0\": port 0 out of range 1-65535"},
    {"url-port-70000.json", 4, 15, "\"https://127.0.0.1:70000\"",
     "port 70000 out of range 1-65535"},
    {"url-http.json", 4, 15, "\"http://example.com:80\"",
     "servers[0]: external targets use https://"},
    {"url-path.json", 4, 15, "\"https://example.com:443/index.html\"",
     "port must be a number 1-65535, with no path"},
    {"url-bad-ipv6.json", 4, 15, "\"https://[::g]:443\"", "bad IPv6 address"},
    {"fixture-unknown.json", 4, 15, "\"fixture:apache\"",
     "servers[0]: unknown fixture 'apache' (known: nginx, "},
    {"fixture-bulk.json", 4, 23, "\"fixture:nginx\"",
     "servers[1]: kind bulk needs both ends in the harness; external targets and fixtures "
     "are for kinds handshake and load"},
    {"deviation-bad-fixture.json", 4, 29, "\"fixture:\"", "is not a backend or fixture name"},
    {"load-unknown-key.json", 4, 28, "\"conections\"", "load.conections: unknown key (load keys: "},
    {"load-requests-and-seconds.json", 4, 28, "\"seconds\"",
     "give \"requests\" or \"seconds\", not both"},
    {"load-bad-path.json", 4, 20, "\"bytes/1024\"", "is not an absolute path"},
    {"load-path-space.json", 4, 20, "\"/a b\"", "path has a space"},
    {"load-connections-zero.json", 4, 27, "0", "0 out of range 1-10000"},
    {"load-client-resume.json", 4, 14, "\"resume\"", "not used by kind load"},
    {"load-new-connection-string.json", 4, 42, "\"yes\"", "expected true or false, got a string"},
    {"load-bad-resume.json", 4, 22, "\"psk\"", "unknown value \"psk\""},
    {"load-in-handshake.json", 4, 3, "\"load\"",
     "only for kind load (this scenario is kind handshake)"},
    {"unknown-backend.json", 4, 23, "\"wolfssl\"",
     "clients[1]: unknown backend 'wolfssl' (compiled in: full, tls12only, curl-fake)"},
    {"backend-role.json", 4, 15, "\"curl-fake\"",
     "servers[0]: backend 'curl-fake' cannot be a server"},
    {"clients-empty.json", 4, 14, "[]", "clients: empty list"},
    {"duplicate-key.json", 4, 8, "\": \"handshake\"", "duplicate object key"},
    {"foreach-group-groups.json", 5, 15, "\"groups\"",
     "server.groups: not allowed with \"foreach\": \"group\""},
    {"foreach-suite-cipher.json", 4, 15, "\"cipher\"",
     "expect.cipher: not allowed with \"foreach\": \"suite\""},
    {"foreach-bad.json", 4, 14, "\"version\"",
     "foreach: unknown value \"version\" (known: suite, group)"},
    {"suite-filter-no-foreach.json", 4, 3, "\"suite_filter\"",
     "suite_filter: only allowed with \"foreach\": \"suite\""},
    {"suite-filter-bad-kx.json", 5, 37, "\"ECDH\"",
     "suite_filter.kx[1]: unknown value \"ECDH\" (known: TLS13, ECDHE, DHE, RSA)"},
    {"suite-filter-bad-cipher.json", 5, 47, "\"AES128GCM\"",
     "suite_filter.cipher[1]: unknown cipher \"AES128GCM\""},
    {"suite-needs-version.json", 6, 17, "\"TLS_AES_128_GCM_SHA256\"",
     "client.ciphers[0]: TLS_AES_128_GCM_SHA256 needs TLS 1.3, not in client.versions"},
    {"variant-suite-needs-version.json", 4, 27, "\"TLS_AES_128_GCM_SHA256\"",
     "server.ciphers[0]: TLS_AES_128_GCM_SHA256 needs TLS 1.3, not in server.versions of variant "
     "\"tls12\""},
    {"empty.json", 1, 1, "", "empty file: expected a JSON object"},
    {"blank.json", 1, 1, "", "empty file: expected a JSON object"},
    {"top-array.json", 1, 1, "[", "the top level must be a JSON object, got an array"},
    {"kind-unknown.json", 3, 11, "\"handshaek\"",
     "kind: unknown value \"handshaek\" (known: handshake, bulk, handshake_rate, memory, "
     "integrity, load)"},
    {"bad-name.json", 2, 11, "\"Cert/Expired\"", "name: \"Cert/Expired\" must match [a-z0-9._/-]+"},
    {"verify-string.json", 4, 25, "\"yes\"", "client.verify: expected true or false, got a string"},
    {"alpn-empty.json", 4, 30, "\"\"", "client.alpn[1]: an ALPN protocol name is 1 to 255 bytes"},
    {"hostname-empty.json", 4, 27, "\"\"", "client.hostname: empty string (use null for none)"},
    {"resume-bad.json", 4, 25, "\"psk\"", "client.resume: unknown value \"psk\""},
    {"client-not-object.json", 4, 13, "[", "client: expected an object, got an array"},
    {"two-errors.json", 4, 16, "\"udp\"", "transport: unknown value"},
    {"bad-utf8.json", 3, 15, "d", "unable to decode byte 0xff"},
    /* the kinds' blocks */
    {"block-wrong-kind.json", 4, 3, "\"bulk\"",
     "bulk: only for kind bulk (this scenario is kind handshake)"},
    {"block-wrong-kind-variant.json", 4, 32, "\"handshakes\"",
     "variants[0].handshakes: only for kind handshake_rate (this scenario is kind bulk)"},
    {"bulk-bytes-and-seconds.json", 4, 31, "\"seconds\"",
     "bulk.seconds: give \"bytes\" or \"seconds\", not both"},
    {"bulk-bytes-zero.json", 4, 22, "0", "bulk.bytes: 0 out of range 1-1099511627776"},
    {"bulk-bytes-negative.json", 4, 22, "-1048576",
     "bulk.bytes: -1048576 out of range 1-1099511627776"},
    {"bulk-bytes-huge.json", 4, 22, "1099511627777",
     "bulk.bytes: 1099511627777 out of range 1-1099511627776"},
    {"bulk-bytes-real.json", 4, 22, "1.5e6", "bulk.bytes: expected a whole number, got 1.5e+06"},
    {"bulk-bytes-string.json", 4, 22, "\"1M\"",
     "bulk.bytes: expected a whole number, got a string"},
    {"bulk-seconds-zero.json", 4, 24, "0",
     "bulk.seconds: 0 out of range: more than 0 and at most 600 seconds"},
    {"bulk-seconds-too-long.json", 4, 24, "600.5", "bulk.seconds: 600.5 out of range"},
    {"bulk-write-size-huge.json", 4, 27, "1048577",
     "bulk.write_size: 1048577 out of range 1-1048576"},
    {"bulk-not-object.json", 4, 11, "1048576", "bulk: expected an object, got a number"},
    {"bulk-unknown-key.json", 4, 31, "\"record_size\"",
     "bulk.record_size: unknown key (bulk keys: bytes, seconds, write_size, direction)"},
    {"bulk-bad-direction.json", 4, 26, "\"up\"",
     "bulk.direction: unknown value \"up\" (known: c2s, s2c, both)"},
    {"rate-count-and-seconds.json", 4, 33, "\"count\"",
     "handshakes.count: give \"count\" or \"seconds\", not both"},
    {"rate-count-zero.json", 4, 28, "0", "handshakes.count: 0 out of range 1-10000000"},
    {"rate-count-huge.json", 4, 28, "10000001", "handshakes.count: 10000001 out of range"},
    {"rate-bad-resume.json", 4, 29, "\"psk\"",
     "handshakes.resume: unknown value \"psk\" (known: none, ticket, session_id)"},
    {"rate-concurrency-memory.json", 4, 49, "4",
     "handshakes.concurrency: 4 concurrent handshakes need \"transport\": \"tcp\""},
    {"rate-concurrency-huge.json", 5, 34, "65", "handshakes.concurrency: 65 out of range 1-64"},
    {"rate-client-resume.json", 4, 15, "\"resume\"",
     "client.resume: not used by kind handshake_rate: \"handshakes\": {\"resume\": ...}"},
    {"memory-tcp.json", 4, 16, "\"tcp\"", "transport: kind memory needs \"transport\": \"memory\""},
    {"memory-connections-zero.json", 4, 30, "0", "memory.connections: 0 out of range 1-100000"},
    {"memory-unknown-key.json", 4, 15, "\"conns\"",
     "memory.conns: unknown key (memory keys: connections)"},
    {"integrity-tcp.json", 4, 16, "\"tcp\"",
     "transport: kind integrity needs \"transport\": \"memory\": faults are injected into the "
     "in-memory channel"},
    {"integrity-bad-fault.json", 4, 27, "\"bitflip\"",
     "integrity.fault: unknown value \"bitflip\" (known: flip_bit, drop, duplicate, reorder, "
     "truncate, key_update)"},
    {"integrity-no-fault.json", 4, 16, "{",
     "integrity: missing required key \"fault\" (one of: flip_bit, drop,"},
    {"integrity-no-block.json", 1, 1, "{",
     "kind integrity needs \"integrity\": {\"fault\": ...} (one of: flip_bit,"},
    {"integrity-variant-no-fault.json", 5, 17, "{ \"name\": \"none\"",
     "variants[1]: kind integrity needs \"integrity\": {\"fault\": ...}"},
    {"integrity-both.json", 4, 48, "\"both\"",
     "integrity.direction: \"both\" is not possible here"},
    {"integrity-too-few-bytes.json", 4, 44, "65535",
     "integrity.bytes: too few bytes for record 3: 65535 bytes, and (record + 1) x write_size "
     "is 65536"},
    {"integrity-record-too-far.json", 4, 48, "16",
     "integrity.record: too few bytes for record 16: 262144 bytes, and (record + 1) x "
     "write_size is 278528"},
    {"integrity-variant-too-few.json", 6, 60, "100",
     "variants[1].integrity.record: too few bytes for record 100: 100000 bytes, and (record + "
     "1) x write_size is 101000"},
    {"integrity-record-zero.json", 4, 45, "0", "integrity.record: 0 out of range 1-1000"},
    {"integrity-key-update-tls12.json", 4, 27, "\"key_update\"",
     "integrity.fault: key_update needs TLS 1.3 in client.versions and server.versions"},
    {"repeat-handshake.json", 4, 3, "\"repeat\"",
     "repeat: only for the benchmark kinds bulk, handshake_rate, memory and load (this scenario is "
     "kind handshake)"},
    {"repeat-integrity.json", 5, 3, "\"repeat\"", "(this scenario is kind integrity)"},
    {"repeat-zero.json", 4, 13, "0", "repeat: 0 out of range 1-1000"},
    {"repeat-huge.json", 4, 13, "1001", "repeat: 1001 out of range 1-1000"},
    {"repeat-string.json", 4, 13, "\"5\"", "repeat: expected a whole number, got a string"},
    {"repeat-in-variant.json", 4, 32, "\"repeat\"",
     "variants[0].repeat: unknown key (variant keys: name, description, client, server, expect, "
     "deviations, bulk)"},
    {"external-bulk.json", 4, 23, "\"https://example.com:443\"",
     "servers[1]: kind bulk needs both ends in the harness; external targets and fixtures "
     "are for kinds handshake and load"},
    {"external-handshake-rate.json", 4, 15, "\"https://example.com:443\"",
     "servers[0]: kind handshake_rate needs both ends in the harness"},
};

static char data_dir[PATH_MAX];

/* The text at line:col (columns in characters) of file. */
static const char *text_at(const char *text, int line, int col)
{
    const char *p = text;
    for (int l = 1; l < line && p; l++)
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    for (int c = 1; p && *p && c < col; c++)
        do
            p++;
        while ((*p & 0xC0) == 0x80);
    return p ? p : "";
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_bad(const struct bad *b)
{
    struct th_plan p;
    struct diags ds;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", data_dir, b->file);
    int rc = load_opts(&p, path, NULL, NULL, &ds);
    int two = strcmp(b->file, "two-errors.json") == 0;
    is_int(rc, two ? 2 : 1, "%s: error count", b->file);
    is_int(p.n, 0, "%s: no cases", b->file);
    th_plan_free(&p);
    if (!ds.n)
        return;
    const struct th_diag *d = &ds.d[0];
    char where[PATH_MAX + 128];
    snprintf(where, sizeof where, "%s:%d:%d", path, b->line, b->col);
    char got[PATH_MAX + 128];
    snprintf(got, sizeof got, "%s:%d:%d", d->file, d->line, d->col);
    is_str(got, where, "%s: FILE:LINE:COL", b->file);
    if (!ok(contains(d->msg, b->frag), "%s: message says '%s'", b->file, b->frag))
        printf("#   message: %s\n", d->msg);
    const char *at = text_at(slurp(path), d->line, d->col);
    if (!ok(strncmp(at, b->at, strlen(b->at)) == 0, "%s: points at %s", b->file, b->at))
        printf("#   points at: %.20s\n", at);
}

int main(void)
{
    char tmpl[] = "/tmp/test_scenario.XXXXXX";
    const char *here = __FILE__, *cut = strstr(here, "unit/test_scenario.c");
    snprintf(data_dir, sizeof data_dir, "%.*sdata/bad", (int)(cut ? cut - here : 0), here);
    if (!mkdtemp(tmpl))
        return 1;
    th_strlcpy(tmp, tmpl, sizeof tmp);
    test_defaults();
    test_all_keys();
    test_sni_and_paths();
    test_star();
    test_external();
    test_variants();
    test_foreach_suite();
    test_foreach_filter();
    test_foreach_group();
    test_skips();
    test_deviations();
    test_folders();
    test_kind_names();
    test_bulk();
    test_handshake_rate();
    test_memory();
    test_integrity();
    test_kind_variants();
    test_kind_foreach();
    test_kind_skips();
    test_fixtures();
    test_fixture_skips();
    test_load();
    for (size_t i = 0; i < TH_ARRAY_LEN(bads); i++)
        test_bad(&bads[i]);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        diag("could not remove the temporary folder");
    return done_testing();
}
