/* HelloRetryRequest and handshake_rate's counts in the results: observed.hrr a
 * boolean when the records showed TLS 1.3, else null; expected.hrr when pinned;
 * observed.handshakes {attempted, full, resumed, hrr} for kind handshake_rate; the
 * JUnit text says it; the results reader takes what is written back and refuses
 * anything else, at its place. */
#include "resread_check.h"
#include "results_fake.h"

#define NC 4
static struct th_case cases[NC];
static struct th_case_result results[NC];
static char dir[] = "/tmp/th-results-hrr-XXXXXX";

static struct th_observed *set_case(int i, const char *name, enum th_kind kind)
{
    struct th_observed *o = rf_case(&cases[i], &results[i], "hrr", name, 1);
    cases[i].kind = kind;
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301, .group = 0x0017};
    return o;
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
    struct rf_out out;
    json_t *cs = rf_write_json(&out, dir, results, NC);
    if (cs) {
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
    rf_reread(&out);
    rf_junit_says(&out, "HelloRetryRequest yes", "JUnit: the failing case says it had one");
    rf_done(&out);
}

#define OB(v) RF_ONE("observed", v)
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
    return rf_main(dir, build, test_write, test_read, cases, NC);
}
