/* The scenario reader: defaults, every key, relative paths, variants, folders, and
 * the fixtures as server entries. Expansion is test_expand.c, the kinds' blocks
 * test_scenario_kinds.c, bad input test_scenario_bad.c. */
#include "scenario_helpers.h"

/* ---- good scenarios ---- */

static void test_defaults(void)
{
    struct th_plan p;
    if (read_text(&p, "defaults.json",
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
    if (read_text(
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
    if (read_text(
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
    if (read_text(
            &p, "paths/t.json",
            "{\"name\": \"paths2\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
            " \"servers\": [\"full\"], \"client\": {\"hostname\": \"example.org\"},\n"
            " \"variants\": [{\"name\": \"a\", \"client\": {\"hostname\": \"other.test\"}}]}\n",
            NULL, NULL) == 0 &&
        p.n == 1)
        is_str(p.cases[0].c.sni, "other.test", "derived sni follows a variant's hostname");
    th_plan_free(&p);
}

static void test_variants(void)
{
    struct th_plan p;
    if (read_text(&p, "var.json",
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
    is_int(read_opts(&p, dir, NULL, NULL, &ds), 0, "folder loads");
    ids_are(&p, want, "every *.json below, sorted by path");
    th_plan_free(&p);

    /* one bad file: reported, and the others still load */
    tmp_file("tree/sub/bad.json", "{\"name\": \"f/bad\", \"kind\": \"handshake\", \"clients\": 3}");
    is_int(read_opts(&p, dir, NULL, NULL, &ds), 1, "one error");
    is_int(p.n, 3, "the good files still expanded");
    ok(ds.n == 1 && contains(ds.d[0].file, "sub/bad.json") && contains(ds.d[0].msg, "clients:"),
       "the error names the bad file");
    th_plan_free(&p);

    /* a scenario name used twice */
    tmp_file("tree/z/dup.json", "{\"name\": \"f/a\", \"kind\": \"handshake\"}");
    read_opts(&p, dir, NULL, NULL, &ds);
    ok(ds.n == 2 && contains(ds.d[1].msg, "\"f/a\" is already the name of a scenario in") &&
           contains(ds.d[1].file, "dup.json") && ds.d[1].line == 1 && ds.d[1].col == 10,
       "duplicate scenario name across files");
    th_plan_free(&p);

    is_int(read_opts(&p, "/nonexistent/scenarios", NULL, NULL, &ds), 1, "non-existing path");
    ok(ds.n == 1 && strcmp(ds.d[0].file, "/nonexistent/scenarios") == 0 && ds.d[0].line == 0 &&
           contains(ds.d[0].msg, "No such file or directory"),
       "non-existing path named, with the reason");
    th_plan_free(&p);

    is_int(read_opts(&p, dir, "full,gnutls", NULL, &ds), 3, "-b with an unknown name");
    ok(ds.n >= 1 && strcmp(ds.d[0].file, "--backends") == 0 &&
           contains(ds.d[0].msg,
                    "unknown backend 'gnutls' (compiled in: full, tls12only, curl-fake)"),
       "-b names checked against the registry");
    th_plan_free(&p);
}

/* ---- fixtures ---- */

/* The caps of a fixture the reader sees are the fixture's own data: whether a case
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
    if (read_text(&p, "fx.json",
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
    if (read_text(&p, "fx.json",
                  "{\"name\": \"fx\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"fixture:*\", \"full\"]}\n",
                  "full", NULL) == 0)
        is_int(p.n, 1, "-b full drops fixtures");
    th_plan_free(&p);
    if (read_text(&p, "fx.json",
                  "{\"name\": \"fx\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"fixture:*\", \"full\"]}\n",
                  "full,fixture:caddy", NULL) == 0 &&
        ok(p.n == 2, "-b full,fixture:caddy keeps that one (%zu cases)", p.n))
        is_str(p.cases[0].id, "fx/full-vs-fixture:caddy", "the one kept");
    th_plan_free(&p);
    if (read_text(&p, "fx.json",
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
    if (read_text(&p, "rs.json",
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
    if (read_text(&p, "fs.json", json, NULL, NULL) == 0 && p.n == 1)
        ok(contains(p.cases[0].skip, "lacks TLS 1.0"), "%s: TLS 1.0 asked, skip: %s", d->name,
           p.cases[0].skip ? p.cases[0].skip : "none");
    th_plan_free(&p);
}

int main(void)
{
    if (tmp_setup("test_scenario") < 0)
        return 1;
    test_defaults();
    test_all_keys();
    test_sni_and_paths();
    test_variants();
    test_folders();
    test_fixtures();
    test_fixture_skips();
    tmp_cleanup();
    return done_testing();
}
