/* The scenario loader: defaults, expansion, skips, deviations, and every kind of
 * bad input reported as FILE:LINE:COL with the reason (tests/data/bad/). */
#include "../../harness/scenario.h"

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
    c->features = TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_DRIVER_IO;
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
    struct th_load_opts o = {backends, filter, reg};
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
        is_str(skip_of(&p, "ext/curl-fake-vs-tls12only"),
               "curl-fake owns its socket: memory transport not possible", "memory skip");
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
        "fs@TLS_AES_128_GCM_SHA256/curl-fake-vs-example.com:443",
        "fs@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/curl-fake-vs-example.com:443",
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
                   "curl-fake owns its socket: memory transport not possible",
                   "a pair skipped before foreach is one case");
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
                  " \"clients\": [\"curl-fake\"], \"servers\": [\"full\"]}\n",
                  NULL, NULL) == 0) {
        is_int(p.n, 1, "a pair skipped before foreach is one case");
        is_str(skip_of(&p, "ffs/curl-fake-vs-full"),
               "curl-fake owns its socket: memory transport not possible", "its skip");
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
    {"fixture.json", 4, 15, "\"fixture:nginx\"",
     "fixture servers (\"fixture:nginx\") are not supported by this build"},
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
    {"kind-bulk.json", 3, 11, "\"bulk\"", "kind: kind 'bulk' is not supported by this build"},
    {"kind-unknown.json", 3, 11, "\"handshaek\"",
     "kind: unknown value \"handshaek\" (known: handshake, bulk, handshake_rate, load)"},
    {"bad-name.json", 2, 11, "\"Cert/Expired\"", "name: \"Cert/Expired\" must match [a-z0-9._/-]+"},
    {"verify-string.json", 4, 25, "\"yes\"", "client.verify: expected true or false, got a string"},
    {"alpn-empty.json", 4, 30, "\"\"", "client.alpn[1]: an ALPN protocol name is 1 to 255 bytes"},
    {"hostname-empty.json", 4, 27, "\"\"", "client.hostname: empty string (use null for none)"},
    {"resume-bad.json", 4, 25, "\"psk\"", "client.resume: unknown value \"psk\""},
    {"client-not-object.json", 4, 13, "[", "client: expected an object, got an array"},
    {"two-errors.json", 4, 16, "\"udp\"", "transport: unknown value"},
    {"bad-utf8.json", 3, 15, "d", "unable to decode byte 0xff"},
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
    for (size_t i = 0; i < TH_ARRAY_LEN(bads); i++)
        test_bad(&bads[i]);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        diag("could not remove the temporary folder");
    return done_testing();
}
