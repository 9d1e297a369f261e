/* HelloRetryRequest and handshake_rate's counts in the results: observed.hrr a
 * boolean when the records showed TLS 1.3, else null; expected.hrr when pinned;
 * observed.handshakes {attempted, full, resumed, hrr} for kind handshake_rate; the
 * JUnit text says it; the results reader takes what is written back and refuses
 * anything else, at its place. */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/report/resread.h"
#include "harness/report/results.h"
#include "resread_check.h"
#include "tap.h"

static void fake_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
}

static const char *fake_version(void)
{
    return "1.0";
}

static const struct th_backend fake = {
    .name = "fake", .library = "Fake", .version = fake_version, .caps = fake_caps};

#define NC 4
static struct th_case cases[NC];
static struct th_case_result results[NC];
static char dir[] = "/tmp/th-results-hrr-XXXXXX";

static struct th_observed *set_case(int i, const char *name, enum th_kind kind)
{
    struct th_case *c = &cases[i];
    memset(c, 0, sizeof(*c));
    c->id = th_xasprintf("hrr@%s/fake-vs-fake", name);
    c->scenario = th_xasprintf("hrr@%s", name);
    c->file = "hrr.json";
    c->line = 1;
    c->kind = kind;
    c->client = c->server = &fake;
    c->server_name = "fake";
    c->expect.outcomes = TH_OUTCOME_BIT(TH_OK);
    c->expect.resumed = c->expect.hrr = c->expect.early = c->expect.replay = -1;
    struct th_case_result *r = &results[i];
    memset(r, 0, sizeof(*r));
    r->c = c;
    r->status = TH_PASS;
    r->obs.ran = r->obs.server_seen = r->obs.have_neg = 1;
    r->obs.neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301, .group = 0x0017};
    return &r->obs;
}

/* 0 a retry request, pinned (failed: JUnit carries the text); 1 TLS 1.3 without one;
 * 2 TLS 1.2 (not known); 3 handshake_rate, resumed, two of five with one. */
static void build(void)
{
    struct th_observed *o = set_case(0, "retry", TH_KIND_HANDSHAKE);
    cases[0].expect.hrr = 0;
    o->hrr_known = o->hrr = 1;
    results[0].status = TH_FAIL;
    o = set_case(1, "none", TH_KIND_HANDSHAKE);
    o->hrr_known = 1;
    o = set_case(2, "tls12", TH_KIND_HANDSHAKE);
    o->neg.version = TH_TLS12;
    o = set_case(3, "rate", TH_KIND_HANDSHAKE_RATE);
    o->neg.resumed = 1;
    o->rate = (struct th_rate_seen){
        .ran = 1, .attempted = 5, .full = 0, .resumed = 5, .hrr_known = 5, .hrr = 2};
    o->hrr_known = 1;
}

static json_t *ob(json_t *cs, int i, const char *key)
{
    return json_object_get(json_object_get(json_array_get(cs, i), "observed"), key);
}

static json_int_t count(json_t *cs, int i, const char *key)
{
    return json_integer_value(json_object_get(ob(cs, i, "handshakes"), key));
}

static void test_write(void)
{
    struct th_run run = {
        .started_at = 1, .finished_at = 2, .generator = "t", .results = results, .n = NC};
    struct th_error err = {0};
    char *json = th_xasprintf("%s/r.json", dir), *xml = th_xasprintf("%s/r.xml", dir);
    is_int(th_results_write_json(json, &run, &err), 0, "JSON written (%s)", err.text);
    json_error_t je;
    json_t *doc = json_load_file(json, 0, &je);
    json_t *cs = json_object_get(doc, "cases");
    if (ok(json_array_size(cs) == NC, "all cases written")) {
        ok(json_is_true(ob(cs, 0, "hrr")), "a retry request: true");
        ok(json_is_false(
               json_object_get(json_object_get(json_array_get(cs, 0), "expected"), "hrr")),
           "expected.hrr pinned false");
        ok(!json_object_get(json_object_get(json_array_get(cs, 1), "expected"), "hrr"),
           "not pinned: no expected.hrr");
        ok(json_is_false(ob(cs, 1, "hrr")), "TLS 1.3 without one: false");
        ok(json_is_null(ob(cs, 2, "hrr")), "not known: null");
        ok(!ob(cs, 1, "handshakes"), "kind handshake: no handshakes count");
        ok(count(cs, 3, "attempted") == 5 && count(cs, 3, "full") == 0 &&
               count(cs, 3, "resumed") == 5 && count(cs, 3, "hrr") == 2,
           "handshake_rate: the counts");
        is_str(json_string_value(ob(cs, 3, "version")), "1.3", "handshake_rate: the version");
        ok(json_is_true(ob(cs, 3, "resumed")), "handshake_rate: resumed");
    }
    json_decref(doc);
    struct th_res f;
    ok(th_res_read(&f, json) == 0, "the results reader accepts it (%s)", f.why);
    th_res_free(&f);

    is_int(th_results_write_junit(xml, &run, &err), 0, "JUnit written (%s)", err.text);
    char *x = th_read_file(xml, NULL);
    ok(x && strstr(x, "HelloRetryRequest yes"), "JUnit: the failing case says it had one");
    free(x);
    unlink(json);
    unlink(xml);
    free(json);
    free(xml);
}

#define HEAD "{\"schema\": \"tlsharness.results/1\""
#define OB(v) HEAD ", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"observed\": " v "}]}"
#define HS(v) OB("{\"handshakes\": " v "}")

static void test_read(void)
{
    accepted(OB("{\"hrr\": true}"), "observed.hrr true");
    accepted(OB("{\"hrr\": null}"), "observed.hrr null");
    accepted(HS("{\"attempted\": 3, \"full\": 3, \"resumed\": 0, \"hrr\": null}"),
             "handshakes with hrr null");
    accepted(HS("{\"attempted\": 3, \"full\": 1, \"resumed\": 0}"), "handshakes without hrr");
    accepted(HS("null"), "handshakes null");
    refused(OB("{\"hrr\": 1}"), "1}",
            "cases[0].observed.hrr: expected a boolean or null, got a "
            "number",
            "hrr a number");
    refused(OB("{\"hrr\": \"yes\"}"), "\"yes\"",
            "cases[0].observed.hrr: expected a boolean or null, got a string", "hrr a string");
    refused(HS("[1]"), "[1]",
            "cases[0].observed.handshakes: expected an object {attempted, full, resumed, hrr}, "
            "got an array",
            "handshakes an array");
    refused(HS("{\"full\": 1, \"resumed\": 0}"), "{\"full\"",
            "cases[0].observed.handshakes: missing \"attempted\"", "no attempted");
    refused(HS("{\"attempted\": -1, \"full\": 0, \"resumed\": 0}"), "-1",
            "cases[0].observed.handshakes.attempted: expected a count (an integer >= 0), got a "
            "number",
            "a negative count");
    refused(HS("{\"attempted\": 1, \"full\": 1.5, \"resumed\": 0}"), "1.5",
            "cases[0].observed.handshakes.full: expected a count (an integer >= 0), got a number",
            "a fractional count");
    refused(HS("{\"attempted\": 1, \"full\": 1, \"resumed\": 0, \"hrr\": false}"), "false",
            "cases[0].observed.handshakes.hrr: expected a count (an integer >= 0) or null, got a "
            "boolean",
            "hrr count a boolean");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    build();
    test_write();
    test_read();
    rmdir(dir);
    for (int i = 0; i < NC; i++) {
        free(cases[i].id);
        free(cases[i].scenario);
    }
    return done_testing();
}
