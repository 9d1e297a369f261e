/* Stapled OCSP in scenarios: server.ocsp (a pki response or a DER file) and
 * client.ocsp (off, request, require) read into the case, variants overriding them;
 * expect.ocsp pinned; resolved into each side's configuration; a pair that cannot do
 * it is a skip naming the side and why; cases differing only in the staple never
 * share a fixture. Bad values: test_scenario_bad.c (tests/data/bad/ocsp-*.json). */
#include "scenario_helpers.h"

#include "harness/pki/pki.h"
#include "harness/run/endpoint.h"
#include "harness/scenario/order.h"

/* Staples, asks and requires. */
static void caps_ocsp(struct th_caps *c)
{
    caps_full(c);
    c->features |= TH_CAP_OCSP_REQUEST | TH_CAP_OCSP_REQUIRE | TH_CAP_OCSP_STAPLE;
}
/* Can only require (libcurl's CURLOPT_SSL_VERIFYSTATUS). */
static void caps_require_only(struct th_caps *c)
{
    caps_full(c);
    c->features |= TH_CAP_OCSP_REQUIRE;
}

static const struct th_backend fb_ocsp = {.name = "ocsp", .library = "O", .caps = caps_ocsp};
static const struct th_backend fb_req = {
    .name = "reqonly", .library = "R", .caps = caps_require_only};
static const struct th_backend *const reg_ocsp[] = {&fb_ocsp, &fb_req, &fb_full, NULL};

static const char oc_json[] =
    "{\"name\": \"oc\", \"kind\": \"handshake\",\n"
    " \"clients\": [\"ocsp\", \"reqonly\", \"full\"], \"servers\": [\"ocsp\", \"full\"],\n"
    " \"client\": {\"ocsp\": \"request\"}, \"server\": {\"ocsp\": \"pki:ocsp-good\"},\n"
    " \"expect\": {\"ocsp\": \"good\"},\n"
    " \"variants\": [\n"
    "  {\"name\": \"req\"},\n"
    "  {\"name\": \"must\", \"client\": {\"ocsp\": \"require\"},\n"
    "   \"server\": {\"ocsp\": \"staple.der\"}},\n"
    "  {\"name\": \"none\", \"client\": {\"ocsp\": \"require\"}, \"server\": {\"ocsp\": null},\n"
    "   \"expect\": {\"outcome\": \"ocsp_missing\", \"ocsp\": \"none\"}}]}\n";

static void test_read(void)
{
    struct th_plan p;
    char real[PATH_MAX], want[PATH_MAX + 32];
    tmp_file("oc/staple.der", "\x30\x03\x0a\x01\x00");
    cur_reg = reg_ocsp;
    if (read_text(&p, "oc/oc.json", oc_json, NULL, NULL) != 0) {
        cur_reg = reg;
        return;
    }
    snprintf(want, sizeof want, "%s/oc/staple.der", realpath(tmp, real) ? real : tmp);
    const struct th_case *req = find(&p, "oc@req/ocsp-vs-ocsp"),
                         *must = find(&p, "oc@must/ocsp-vs-ocsp"),
                         *none = find(&p, "oc@none/ocsp-vs-ocsp");
    if (ok(req && must && none, "the variants' cases")) {
        is_int(req->c.ocsp_mode, TH_OCSP_REQUEST, "client.ocsp from the top level");
        is_str(req->s.ocsp, "pki:ocsp-good", "server.ocsp a pki response");
        ok(req->expect.ocsp_pinned && req->expect.ocsp == TH_STAPLE_GOOD, "expect.ocsp good");
        is_int(must->c.ocsp_mode, TH_OCSP_REQUIRE, "a variant's client.ocsp");
        is_str(must->s.ocsp, want, "a staple file, stored absolute");
        ok(none->s.ocsp == NULL, "a variant's null: no staple");
        ok(none->expect.ocsp == TH_STAPLE_NONE, "a variant's expect.ocsp none");
        ok(req->skip == NULL && must->skip == NULL && none->skip == NULL, "ocsp pairs run");
    }
    is_str(skip_of(&p, "oc@req/reqonly-vs-ocsp"),
           "reqonly cannot ask for an OCSP staple without requiring one",
           "a client that can only require skips a request");
    ok(skip_of(&p, "oc@must/reqonly-vs-ocsp") == NULL, "...and runs a require");
    is_str(skip_of(&p, "oc@must/full-vs-ocsp"), "full cannot require an OCSP staple",
           "a client without OCSP skips a require");
    is_str(skip_of(&p, "oc@req/full-vs-ocsp"), "full cannot ask for an OCSP staple",
           "...and a request");
    is_str(skip_of(&p, "oc@req/ocsp-vs-full"), "full cannot staple an OCSP response",
           "a server that cannot staple skips while it is given a staple");
    ok(skip_of(&p, "oc@none/ocsp-vs-full") == NULL, "...and runs without one (ocsp_missing)");
    const struct th_case *a = find(&p, "oc@req/ocsp-vs-ocsp"),
                         *b = find(&p, "oc@none/ocsp-vs-ocsp");
    char ka[1024], kb[1024];
    if (a && b) {
        th_fixture_key(a, ka, sizeof ka);
        th_fixture_key(b, kb, sizeof kb);
        ok(strcmp(ka, kb) != 0, "the staple is part of the fixture's key (%s)", ka);
    }
    th_plan_free(&p);
    cur_reg = reg;
}

/* Each side's configuration as a backend gets it. */
static void test_resolve(void)
{
    struct th_plan p;
    struct th_error err = {0};
    char pki[PATH_MAX], want[PATH_MAX + 32];
    snprintf(pki, sizeof pki, "%s/pki", tmp);
    if (!ok(th_pki_generate(pki, &err) == 0, "test PKI (%s)", err.text))
        return;
    cur_reg = reg_ocsp;
    if (read_text(&p, "oc/oc.json", oc_json, NULL, NULL) == 0) {
        const struct th_case *req = find(&p, "oc@req/ocsp-vs-ocsp"),
                             *none = find(&p, "oc@none/ocsp-vs-ocsp");
        struct th_endpoint_cfg s, c;
        if (ok(req && th_endpoint_server(req, pki, &s, &err) == 0, "server resolves (%s)",
               err.text)) {
            snprintf(want, sizeof want, "%s/ocsp-good.der", pki);
            is_str(s.cfg.ocsp_file, want, "server: ocsp_file is the pki's response");
        }
        if (ok(req && th_endpoint_client(req, pki, &c, &err) == 0, "client resolves (%s)",
               err.text))
            is_int(c.cfg.ocsp, TH_OCSP_REQUEST, "client: ocsp request");
        if (none && th_endpoint_server(none, pki, &s, &err) == 0)
            ok(s.cfg.ocsp_file == NULL, "no staple: no ocsp_file");
        if (none && th_endpoint_client(none, pki, &c, &err) == 0)
            is_int(c.cfg.ocsp, TH_OCSP_REQUIRE, "client: ocsp require");
    }
    th_plan_free(&p);
    cur_reg = reg;
}

int main(void)
{
    if (tmp_setup("test_scenario_ocsp") < 0)
        return 1;
    test_read();
    test_resolve();
    tmp_cleanup();
    return done_testing();
}
