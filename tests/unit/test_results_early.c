/* TLS 1.3 early data in the results: observed.early_data {offered, accepted, bytes,
 * replay_accepted, first_byte_ms} on a case that sends early data or whose server may
 * take it, nulls where not known (no handshake, no replay tried, no response), absent
 * on other cases; the results reader accepts what the writer writes and refuses a
 * member of the wrong type at its place. */
#include "resread_check.h"
#include "results_fake.h"

#define NC 4
static struct th_case cases[NC];
static struct th_case_result results[NC];
static char dir[] = "/tmp/th-results-early-XXXXXX";

static struct th_observed *set_case(int i, const char *name)
{
    return rf_case(&cases[i], &results[i], "early", name, 1);
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
    struct rf_out out;
    json_t *cs = rf_write_json(&out, dir, results, NC);
    if (cs) {
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
    rf_reread(&out);
    rf_done(&out);
}

#define OB(v) RF_ONE("observed", "{\"early_data\": " v "}")

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
    return rf_main(dir, build, test_write, test_read, cases, NC);
}
