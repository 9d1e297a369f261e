/* Expansion of the scenarios read into cases: variants x clients x servers in a
 * stable order, "*" and "fixture:*", external targets, foreach over suites and
 * groups with suite_filter, skip reasons for what a pair lacks, the deviation that
 * names each pair, and the --backends and --filter selections. Fake backends only:
 * capabilities are data. */
#include "scenario_helpers.h"

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
    if (read_text(&p, "star.json", star_json, NULL, NULL) == 0) {
        ids_are(&p, all, "\"*\" in registry order; servers need driver I/O");
        const struct th_case *k = find(&p, "star/tls12only-vs-full");
        if (k) {
            is_int(k->c.versions, TH_VBIT(TH_TLS12), "client versions narrowed to its backend's");
            is_int(k->s.versions, TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13), "server's kept");
        }
    }
    th_plan_free(&p);
    if (read_text(&p, "star.json", star_json, "full,curl-fake", NULL) == 0)
        ids_are(&p, b, "-b full,curl-fake");
    th_plan_free(&p);
    if (read_text(&p, "star.json", star_json, NULL, "*-vs-tls12only") == 0)
        ids_are(&p, g, "glob filter");
    th_plan_free(&p);
    if (read_text(&p, "star.json", star_json, NULL, "nothing*") == 0)
        is_int(p.n, 0, "filter matching nothing");
    th_plan_free(&p);
    if (read_text(&p, "order.json",
                  "{\"name\": \"order\", \"kind\": \"handshake\",\n"
                  " \"clients\": [\"tls12only\", \"*\", \"full\"], \"servers\": [\"full\"]}\n",
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
    if (read_text(&p, "ext.json", ext, NULL, NULL) == 0) {
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
    if (read_text(&p, "ext.json", ext, "tls12only", NULL) == 0)
        is_int(p.n, 0, "-b drops clients even against targets");
    th_plan_free(&p);
    if (read_text(&p, "ext.json", ext, "curl-fake", NULL) == 0)
        is_int(p.n, 3, "-b keeps external targets");
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
    if (read_text(&p, "fs.json",
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
    if (read_text(&p, "ff.json",
                  "{\"name\": \"ff\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\"],\n"
                  " \"suite_filter\": {\"kx\": [\"ECDHE\"], \"cipher\": [\"AES-128-GCM\"]},\n"
                  " \"variants\": [{\"name\": \"v\"}]}\n",
                  NULL, NULL) == 0)
        ids_are(&p, gcm, "suite_filter kx and cipher, with a variant");
    th_plan_free(&p);
    if (read_text(&p, "ff13.json",
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
    if (read_text(&p, "ffv.json",
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
    if (read_text(&p, "ffs.json",
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
    if (read_text(&p, "fg.json",
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

/* One piece: a variant per missing capability, the client's and then the
 * server's, each reason checked beside the text that asks for it. */
static void test_skips(void)
{
    struct th_plan p;
    if (read_text(
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

    if (read_text(
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

    if (read_text(&p, "skip-t.json",
                  "{\"name\": \"skip-t\", \"kind\": \"handshake\", \"clients\": [\"curl-fake\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\"}\n",
                  NULL, NULL) == 0 &&
        p.n == 1)
        ok(p.cases[0].skip == NULL, "socket-owning client over tcp runs");
    th_plan_free(&p);
}

/* One piece: one scenario's deviations and the one each pair gets, then the same
 * for globs; the table of pairs reads against the text above it. */
static void test_deviations(void)
{
    struct th_plan p;
    if (read_text(&p, "dev.json",
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
    if (read_text(
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

/* ---- more fakes: what the shared ones do not cover ---- */

/* Neither the driver's I/O nor a socket of its own: nothing can carry its bytes
 * through the harness. */
static void caps_nodrive(struct th_caps *c)
{
    caps_full(c);
    c->features &= ~TH_CAP_DRIVER_IO;
}

/* Follows neither a version range nor a group list it is given. */
static void caps_loose(struct th_caps *c)
{
    caps_full(c);
    c->features &= ~(TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_GROUPS);
}

static void caps_client_only(struct th_caps *c)
{
    caps_full(c);
    c->roles = TH_ROLE_CLIENT;
}

static void caps_x25519(struct th_caps *c)
{
    caps_full(c);
    c->groups[0] = 0x001D;
    c->n_groups = 1;
}

static const struct th_backend fb_nodrive = {
    .name = "nodrive", .library = "NoDrive", .caps = caps_nodrive};
static const struct th_backend fb_loose = {.name = "loose", .library = "Loose", .caps = caps_loose};
static const struct th_backend fb_conly = {
    .name = "conly", .library = "ClientOnly", .caps = caps_client_only};
static const struct th_backend fb_x25519 = {
    .name = "x25519only", .library = "X", .caps = caps_x25519};
static const struct th_backend *const reg_more[] = {&fb_full,  &fb_tls12,  &fb_nodrive, &fb_loose,
                                                    &fb_conly, &fb_x25519, NULL};
static const struct th_backend *const reg_clients_only[] = {&fb_conly, NULL};

/* ---- variants x clients x servers ---- */

static const char mx_json[] =
    "{\"name\": \"mx\", \"kind\": \"handshake\", \"clients\": [\"tls12only\", \"full\"],\n"
    " \"servers\": [\"full\", \"tls12only\"],\n"
    " \"variants\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}\n";

/* Variant first, then client, then server, each in the order listed. */
static void test_matrix(void)
{
    struct th_plan p;
    static const char *const all[] = {
        "mx@a/tls12only-vs-full", "mx@a/tls12only-vs-tls12only", "mx@a/full-vs-full",
        "mx@a/full-vs-tls12only", "mx@b/tls12only-vs-full",      "mx@b/tls12only-vs-tls12only",
        "mx@b/full-vs-full",      "mx@b/full-vs-tls12only",      NULL};
    static const char *const only_b[] = {"mx@b/tls12only-vs-full", "mx@b/tls12only-vs-tls12only",
                                         "mx@b/full-vs-full", "mx@b/full-vs-tls12only", NULL};
    if (read_text(&p, "mx.json", mx_json, NULL, NULL) == 0) {
        ids_are(&p, all, "2 variants x 2 clients x 2 servers");
        const struct th_case *k = find(&p, "mx@b/full-vs-tls12only");
        if (ok(k != NULL, "a case of the second variant")) {
            is_str(k->scenario, "mx@b", "its scenario names the variant");
            ok(k->client == &fb_full && k->server == &fb_tls12, "its backends");
        }
    }
    th_plan_free(&p);
    if (read_text(&p, "mx.json", mx_json, NULL, "mx@b/*") == 0)
        ids_are(&p, only_b, "--filter on the variant");
    th_plan_free(&p);
    if (read_text(&p, "mx.json", mx_json, NULL, "mx/*") == 0)
        is_int(p.n, 0, "--filter without the variant matches none: it is part of the id");
    th_plan_free(&p);
    if (read_text(&p, "mx.json", mx_json, NULL, "*-vs-full") == 0)
        is_int(p.n, 4, "--filter on the server, across variants");
    th_plan_free(&p);
}

/* ---- "*" ---- */

static void test_star_roles(void)
{
    struct th_plan p;
    cur_reg = reg_more;
    if (read_text(&p, "sr.json", "{\"name\": \"sr\", \"kind\": \"handshake\"}\n", NULL, NULL) ==
        0) {
        /* clients: every backend with the client role; servers: the driver must own
         * their I/O, so nodrive is left out, and conly is no server */
        is_int(p.n, 6 * 4, "six clients x four servers");
        size_t odd = 0;
        for (size_t i = 0; i < p.n; i++)
            odd += p.cases[i].server == &fb_nodrive || p.cases[i].server == &fb_conly;
        is_int(odd, 0, "no case against a server \"*\" must leave out");
        ok(find(&p, "sr/conly-vs-x25519only") != NULL, "a client-only backend is a client");
        is_str(skip_of(&p, "sr/nodrive-vs-full"),
               "nodrive cannot do I/O through the driver: memory transport not possible",
               "skip: a client the memory transport cannot carry");
        ok(skip_of(&p, "sr/loose-vs-full") == NULL, "asking nothing of a loose backend runs");
    }
    th_plan_free(&p);
    /* named, a server "*" leaves out is a case; the memory transport skips it, TCP runs */
    if (read_text(&p, "srn.json",
                  "{\"name\": \"srn\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"nodrive\"]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 1, "a named server is expanded"))
        is_str(p.cases[0].skip,
               "nodrive cannot do I/O through the driver: memory transport not possible",
               "skip: the server side over memory");
    th_plan_free(&p);
    if (read_text(&p, "srt.json",
                  "{\"name\": \"srt\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"nodrive\"], \"transport\": \"tcp\"}\n",
                  NULL, NULL) == 0 &&
        p.n == 1)
        ok(p.cases[0].skip == NULL, "the same server over tcp runs");
    th_plan_free(&p);
    cur_reg = reg_clients_only;
    if (read_text(&p, "sr0.json", "{\"name\": \"sr0\", \"kind\": \"handshake\"}\n", NULL, NULL) ==
        0)
        is_int(p.n, 0, "\"*\" with no server in the registry: no case, and no error");
    th_plan_free(&p);
    cur_reg = reg;
}

/* ---- skips ---- */

static void test_skip_reasons(void)
{
    struct th_plan p;
    cur_reg = reg_more;
    if (read_text(&p, "sk-b.json",
                  "{\"name\": \"sk-b\", \"kind\": \"bulk\", \"clients\": [\"nodrive\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\"}\n",
                  NULL, NULL) == 0 &&
        p.n == 1)
        is_str(p.cases[0].skip,
               "nodrive cannot do I/O through the driver: no driver-owned data path",
               "skip: bulk needs a data path the driver owns, over tcp too");
    th_plan_free(&p);
    if (read_text(&p, "sk-l.json",
                  "{\"name\": \"sk-l\", \"kind\": \"load\", \"clients\": [\"full\", \"nodrive\"],\n"
                  " \"servers\": [\"nodrive\"]}\n",
                  NULL, NULL) == 0) {
        ok(skip_of(&p, "sk-l/full-vs-nodrive") == NULL, "load: a server need not be driven");
        is_str(skip_of(&p, "sk-l/nodrive-vs-nodrive"),
               "nodrive cannot do I/O through the driver: no driver-owned data path",
               "load: the client must be driven");
    }
    th_plan_free(&p);
    if (read_text(&p, "sk-r.json",
                  "{\"name\": \"sk-r\", \"kind\": \"handshake\",\n"
                  " \"clients\": [\"full\", \"tls12only\"], \"servers\": [\"loose\"],\n"
                  " \"variants\": [{\"name\": \"v13\", \"server\": {\"versions\": [\"1.3\"]}},\n"
                  "  {\"name\": \"both\", \"client\": {\"versions\": [\"1.3\"]},\n"
                  "   \"server\": {\"versions\": [\"1.3\"]}},\n"
                  "  {\"name\": \"g\", \"server\": {\"groups\": [\"x25519\"]}}]}\n",
                  NULL, NULL) == 0) {
        is_str(skip_of(&p, "sk-r@v13/full-vs-loose"),
               "loose cannot be restricted to these versions",
               "skip: a server that would ignore a version range");
        is_str(skip_of(&p, "sk-r@both/tls12only-vs-loose"), "tls12only lacks TLS 1.3 (it has 1.2)",
               "both sides lack something: the client's reason is given");
        is_str(skip_of(&p, "sk-r@g/full-vs-loose"), "loose cannot be restricted to a group list",
               "skip: a server that would ignore a group list");
    }
    th_plan_free(&p);
    cur_reg = reg;
}

/* ---- foreach ---- */

static void test_foreach_more(void)
{
    struct th_plan p;
    cur_reg = reg_more;
    if (read_text(&p, "fg2.json",
                  "{\"name\": \"fg2\", \"kind\": \"handshake\", \"foreach\": \"group\",\n"
                  " \"clients\": [\"full\", \"tls12only\"], \"servers\": [\"x25519only\", "
                  "\"loose\"]}\n",
                  NULL, NULL) == 0) {
        ok(find(&p, "fg2@x25519/full-vs-x25519only") != NULL, "the one group both list");
        is_str(skip_of(&p, "fg2/tls12only-vs-x25519only"), "no group both list",
               "no group in common: one skipped case");
        is_str(skip_of(&p, "fg2/full-vs-loose"),
               "loose cannot be restricted to one group (foreach)",
               "a server that cannot pin one group: one skipped case");
        ok(find(&p, "fg2@x25519/full-vs-loose") == NULL, "and no case per group for it");
    }
    th_plan_free(&p);
    cur_reg = reg;
    if (read_text(&p, "fe.json",
                  "{\"name\": \"fe\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\", \"tls12only\"],\n"
                  " \"suite_filter\": {\"auth\": [\"ECDSA\"]}}\n",
                  NULL, NULL) == 0) {
        static const char *const want[] = {
            "fe@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full",
            "fe@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-tls12only", NULL};
        ids_are(&p, want, "suite_filter auth ECDSA");
        int ecdsa = p.n > 0;
        for (size_t i = 0; i < p.n; i++)
            ecdsa &= strcmp(p.cases[i].s.cert, "pki:ecdsa-p256") == 0 &&
                     p.cases[i].c.versions == TH_VBIT(TH_TLS12);
        ok(ecdsa, "each serves the ECDSA leaf, over TLS 1.2");
    }
    th_plan_free(&p);
    static const char *const v13[] = {"fv@TLS_AES_128_GCM_SHA256/full-vs-full",
                                      "fv@TLS_AES_256_GCM_SHA384/full-vs-full",
                                      "fv@TLS_CHACHA20_POLY1305_SHA256/full-vs-full", NULL};
    static const char *const fv_json =
        "{\"name\": \"fv\", \"kind\": \"handshake\", \"foreach\": \"suite\",\n"
        " \"clients\": [\"full\"], \"servers\": [\"full\"], \"expect\": {\"version\": \"1.3\"}}\n";
    if (read_text(&p, "fv.json", fv_json, NULL, NULL) == 0) {
        ids_are(&p, v13, "a pinned version leaves the suites that run on it");
        if (p.n)
            ok(p.cases[0].expect.version == TH_TLS13 && p.cases[0].c.versions == TH_VBIT(TH_TLS13),
               "pinned, and narrowed to it");
    }
    th_plan_free(&p);
    if (read_text(&p, "fv.json", fv_json, NULL, "*@TLS_AES_256*") == 0 &&
        ok(p.n == 1, "--filter applies to the ids foreach makes"))
        is_str(p.cases[0].id, "fv@TLS_AES_256_GCM_SHA384/full-vs-full", "the one kept");
    th_plan_free(&p);
}

/* ---- deviations: the pair each names ---- */

static void test_deviation_pairs(void)
{
    struct th_plan p;
    if (read_text(&p, "dp.json",
                  "{\"name\": \"dp\", \"kind\": \"handshake\",\n"
                  " \"clients\": [\"full\", \"tls12only\"], \"servers\": [\"full\"],\n"
                  " \"deviations\": [\n"
                  "  {\"client\": \"nosuch\", \"outcome\": \"timeout\", \"why\": \"n\"},\n"
                  "  {\"client\": \"tls12only\", \"server\": \"tls12only\", \"outcome\": "
                  "\"timeout\",\n"
                  "   \"why\": \"p\"}],\n"
                  " \"variants\": [{\"name\": \"a\", \"deviations\": [{\"client\": \"*\", "
                  "\"outcome\": \"io_error\",\n"
                  "   \"why\": \"star\"}]},\n"
                  "  {\"name\": \"b\"}]}\n",
                  NULL, NULL) == 0) {
        const struct th_case *a1 = find(&p, "dp@a/full-vs-full"),
                             *a2 = find(&p, "dp@a/tls12only-vs-full"),
                             *b1 = find(&p, "dp@b/full-vs-full"),
                             *b2 = find(&p, "dp@b/tls12only-vs-full");
        if (ok(a1 && a2 && b1 && b2, "four cases")) {
            ok(a1->has_deviation && a2->has_deviation, "a glob client matches every client");
            is_str(a2->deviation.why, "star", "the variant's own deviation");
            is_int(a2->deviation.outcomes, TH_OUTCOME_BIT(TH_IO_ERROR), "with its outcome");
            ok(!b1->has_deviation,
               "a variant's deviation stays in it; a backend not compiled in matches no case");
            ok(!b2->has_deviation && b2->deviation.why == NULL,
               "a pair deviation needs both names to match");
        }
    }
    th_plan_free(&p);
}

/* "intermittent" on a deviation: read as a boolean, false when absent, carried
 * into the case (a variant's deviation too); anything but true or false is an
 * error at its value. */
static void test_deviation_intermittent(void)
{
    struct th_plan p;
    struct diags ds;
    if (read_text(&p, "di.json",
                  "{\"name\": \"di\", \"kind\": \"handshake\",\n"
                  " \"clients\": [\"full\", \"tls12only\"], \"servers\": [\"full\"],\n"
                  " \"deviations\": [\n"
                  "  {\"client\": \"full\", \"outcome\": \"timeout\", \"intermittent\": true,\n"
                  "   \"why\": \"sometimes\"},\n"
                  "  {\"client\": \"tls12only\", \"outcome\": \"timeout\", \"why\": \"always\"}],\n"
                  " \"variants\": [{\"name\": \"a\"},\n"
                  "  {\"name\": \"b\", \"deviations\": [{\"client\": \"tls12only\", \"outcome\": "
                  "\"io_error\",\n"
                  "   \"intermittent\": false, \"why\": \"said false\"}, {\"client\": \"full\", "
                  "\"outcome\": \"io_error\", \"intermittent\": true, \"why\": \"v\"}]}]}\n",
                  NULL, NULL) == 0) {
        const struct th_case *a1 = find(&p, "di@a/full-vs-full"),
                             *a2 = find(&p, "di@a/tls12only-vs-full"),
                             *b1 = find(&p, "di@b/full-vs-full"),
                             *b2 = find(&p, "di@b/tls12only-vs-full");
        if (ok(a1 && a2 && b1 && b2, "four cases")) {
            ok(a1->has_deviation && a1->deviation.intermittent == 1,
               "\"intermittent\": true is read into the case");
            ok(a2->has_deviation && a2->deviation.intermittent == 0,
               "without \"intermittent\": false");
            ok(b1->has_deviation && b1->deviation.intermittent == 1 &&
                   strcmp(b1->deviation.why, "v") == 0,
               "a variant's intermittent deviation");
            ok(b2->has_deviation && b2->deviation.intermittent == 0 &&
                   strcmp(b2->deviation.why, "said false") == 0,
               "\"intermittent\": false read as false");
        }
    }
    th_plan_free(&p);
    const char *path = tmp_file("dib.json", "{\"name\": \"dib\", \"kind\": \"handshake\",\n"
                                            " \"deviations\": [{\"client\": \"full\", "
                                            "\"outcome\": \"timeout\",\n"
                                            "   \"intermittent\": 1, \"why\": \"w\"}]}\n");
    is_int(read_opts(&p, path, NULL, NULL, &ds), 1, "\"intermittent\": 1 is an error");
    is_int(p.n, 0, "and gives no case");
    if (ok(ds.n == 1, "one error")) {
        is_int(ds.d[0].line, 3, "at the value's line");
        is_int(ds.d[0].col, 20, "and column");
        ok(contains(ds.d[0].file, "dib.json"), "in the file: %s", ds.d[0].file);
        ok(contains(ds.d[0].msg,
                    "deviations[0].intermittent: expected true or false, got a number"),
           "message: %s", ds.d[0].msg);
    }
    th_plan_free(&p);
    path = tmp_file("dik.json", "{\"name\": \"dik\", \"kind\": \"handshake\",\n"
                                " \"deviations\": [{\"client\": \"full\", \"outcome\": "
                                "\"timeout\", \"why\": \"w\", \"intermitent\": true}]}\n");
    is_int(read_opts(&p, path, NULL, NULL, &ds), 1, "a misspelt key is an error");
    ok(ds.n == 1 && contains(ds.d[0].msg, "(deviation keys: client, server, outcome, why, "
                                          "intermittent)"),
       "which lists intermittent among the deviation keys: %s", ds.n ? ds.d[0].msg : "");
    th_plan_free(&p);
}

/* ---- --backends ---- */

static void test_backends_opt(void)
{
    struct th_plan p;
    struct diags ds;
    const char *path = tmp_file("bo.json", star_json);
    is_int(read_opts(&p, path, "tls12only", NULL, &ds), 0, "-b tls12only");
    is_int(p.n, 1, "-b keeps clients and servers alike: one pair");
    th_plan_free(&p);
    is_int(read_opts(&p, path, "full,tls12only", NULL, &ds), 0, "-b full,tls12only");
    is_int(p.n, 4, "two clients x two servers");
    th_plan_free(&p);
    is_int(read_opts(&p, path, "nosuch", NULL, &ds), 1, "-b with only an unknown name");
    ok(ds.n == 1 && strcmp(ds.d[0].file, "--backends") == 0 &&
           contains(ds.d[0].msg, "unknown backend 'nosuch'"),
       "reported as --backends");
    is_int(p.n, 0, "and selects nothing");
    th_plan_free(&p);
    is_int(read_opts(&p, path, "fixture:nosuch", NULL, &ds), 1, "-b fixture:NAME unknown");
    th_plan_free(&p);
}

int main(void)
{
    if (tmp_setup("test_expand") < 0)
        return 1;
    test_star();
    test_external();
    test_foreach_suite();
    test_foreach_filter();
    test_foreach_group();
    test_skips();
    test_deviations();
    test_matrix();
    test_star_roles();
    test_skip_reasons();
    test_foreach_more();
    test_deviation_pairs();
    test_deviation_intermittent();
    test_backends_opt();
    tmp_cleanup();
    return done_testing();
}
