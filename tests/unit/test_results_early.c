/* TLS 1.3 early data in the results: observed.early_data {offered, accepted, bytes,
 * replay_accepted, first_byte_ms} on a case that sends early data or whose server may
 * take it, nulls where not known (no handshake, no replay tried, no response), absent
 * on other cases; the results reader accepts what the writer writes and refuses a
 * member of the wrong type at its place. */
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
static char dir[] = "/tmp/th-results-early-XXXXXX";

static struct th_observed *set_case(int i, const char *name)
{
    struct th_case *c = &cases[i];
    memset(c, 0, sizeof(*c));
    c->id = th_xasprintf("early@%s/fake-vs-fake", name);
    c->scenario = th_xasprintf("early@%s", name);
    c->file = "early.json";
    c->line = 1;
    c->client = c->server = &fake;
    c->server_name = "fake";
    c->expect.outcomes = TH_OUTCOME_BIT(TH_OK);
    c->expect.resumed = c->expect.hrr = c->expect.early = c->expect.replay = -1;
    struct th_case_result *r = &results[i];
    memset(r, 0, sizeof(*r));
    r->c = c;
    r->status = TH_PASS;
    r->obs.ran = r->obs.server_seen = 1;
    return &r->obs;
}

/* 0 taken, replayed and refused; 1 sent, the server off, the handshake failed;
 * 2 only the server may take it (the client sends none); 3 no early data at all. */
static void build(void)
{
    struct th_observed *o = set_case(0, "replay");
    cases[0].c.resume = TH_RESUME_TICKET;
    cases[0].c.early = TH_EARLY_REPLAY;
    cases[0].s.early_server = TH_EARLY_SERVER_ACCEPT;
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS13,
                                    .suite = 0x1301,
                                    .resumed = 1,
                                    .early_offered = 1,
                                    .early_accepted = 1,
                                    .early_bytes = 78};
    o->replay_tried = 1;
    o->replay_accepted = 0;
    o->first_byte_ns = 1500000;

    o = set_case(1, "failed");
    cases[1].c.early = TH_EARLY_SEND;
    cases[1].expect.outcomes = TH_OUTCOME_BIT(TH_OK);
    o->outcome = TH_HANDSHAKE_FAILURE;
    o->native_side = "client";
    th_error_set(&o->client_err, TH_HANDSHAKE_FAILURE, 40, "alert 40");
    results[1].status = TH_FAIL;

    o = set_case(2, "server-only");
    cases[2].s.early_server = TH_EARLY_SERVER_REJECT;
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301};

    o = set_case(3, "plain");
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301};
}

static json_t *early(json_t *cs, int i, const char *key)
{
    json_t *o = json_object_get(json_object_get(json_array_get(cs, i), "observed"), "early_data");
    return key ? json_object_get(o, key) : o;
}

static void test_write(void)
{
    struct th_run run = {
        .started_at = 1, .finished_at = 2, .generator = "t", .results = results, .n = NC};
    struct th_error err = {0};
    char *json = th_xasprintf("%s/r.json", dir);
    is_int(th_results_write_json(json, &run, &err), 0, "JSON written (%s)", err.text);
    json_error_t je;
    json_t *doc = json_load_file(json, 0, &je);
    json_t *cs = json_object_get(doc, "cases");
    if (ok(json_array_size(cs) == NC, "all cases written")) {
        ok(json_is_true(early(cs, 0, "offered")) && json_is_true(early(cs, 0, "accepted")),
           "replay: offered and accepted");
        is_int(json_integer_value(early(cs, 0, "bytes")), 78, "replay: the early bytes");
        ok(json_is_false(early(cs, 0, "replay_accepted")), "replay: the replay refused");
        ok(json_real_value(early(cs, 0, "first_byte_ms")) == 1.5, "replay: first byte in ms");
        ok(json_is_null(early(cs, 1, "offered")) && json_is_null(early(cs, 1, "bytes")),
           "failed handshake: offered and bytes null");
        ok(json_is_null(early(cs, 1, "replay_accepted")), "no replay tried: null");
        ok(json_is_null(early(cs, 1, "first_byte_ms")), "no response: first byte null");
        ok(json_is_false(early(cs, 2, "offered")), "a server that may take it: the block is there");
        ok(!early(cs, 3, NULL), "no early data anywhere: no block");
    }
    json_decref(doc);
    struct th_res f;
    ok(th_res_read(&f, json) == 0, "the results reader accepts it (%s)", f.why);
    th_res_free(&f);
    unlink(json);
    free(json);
}

#define HEAD "{\"schema\": \"tlsharness.results/1\""
#define OB(v)                                                                                      \
    HEAD ", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"observed\": {\"early_data\": " v   \
         "}}]}"

static void test_read(void)
{
    accepted(OB("{\"offered\": true, \"accepted\": false, \"bytes\": 0, \"replay_accepted\": "
                "null, \"first_byte_ms\": 0.5}"),
             "a whole block");
    accepted(OB("null"), "early_data null");
    accepted(OB("{}"), "an empty block (members are additions)");
    refused(OB("[]"), "[]",
            "cases[0].observed.early_data: expected an object {offered, accepted, bytes, "
            "replay_accepted}, got an array",
            "an array");
    refused(OB("{\"offered\": \"yes\"}"), "\"yes\"",
            "cases[0].observed.early_data.offered: expected a boolean or null, got a string",
            "offered a string");
    refused(OB("{\"replay_accepted\": 1}"), "1}",
            "cases[0].observed.early_data.replay_accepted: expected a boolean or null, got a "
            "number",
            "replay_accepted a number");
    refused(OB("{\"bytes\": -3}"), "-3",
            "cases[0].observed.early_data.bytes: expected a whole number of bytes, 0 or more, or "
            "null; got a number",
            "negative bytes");
    refused(OB("{\"bytes\": 1.5}"), "1.5",
            "cases[0].observed.early_data.bytes: expected a whole number of bytes, 0 or more, or "
            "null; got a number",
            "fractional bytes");
    refused(OB("{\"first_byte_ms\": \"fast\"}"), "\"fast\"",
            "cases[0].observed.early_data.first_byte_ms: expected a number, got a string",
            "first_byte_ms a string");
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
