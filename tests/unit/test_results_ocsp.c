/* Stapled OCSP in the results: observed.ocsp says what the client saw (null: it did
 * not ask), written when a case stapled a response or had its client ask, also when
 * the handshake failed; expected.ocsp when pinned; the JUnit text says it; the
 * results reader accepts the names and null and refuses anything else, at its place. */
#include "resread_check.h"
#include "results_fake.h"

#define NC 4
static struct th_case cases[NC];
static struct th_case_result results[NC];
static char dir[] = "/tmp/th-results-ocsp-XXXXXX";

static struct th_observed *set_case(int i, const char *name)
{
    return rf_case(&cases[i], &results[i], "ocsp", name, 1);
}

/* 0 a good staple required and pinned, 1 a revoked staple refused (handshake failed),
 * 2 stapled to a client that did not ask, 3 neither stapled nor asked. */
static void build(void)
{
    struct th_observed *o = set_case(0, "good");
    cases[0].c.ocsp_mode = TH_OCSP_REQUIRE;
    cases[0].s.ocsp = "pki:ocsp-good";
    cases[0].expect.ocsp_pinned = 1;
    cases[0].expect.ocsp = TH_STAPLE_GOOD;
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301, .ocsp = TH_STAPLE_GOOD};

    o = set_case(1, "revoked");
    cases[1].c.ocsp_mode = TH_OCSP_REQUEST;
    cases[1].s.ocsp = "pki:ocsp-revoked";
    cases[1].expect.outcomes = TH_OUTCOME_BIT(TH_REVOKED);
    o->outcome = TH_REVOKED;
    o->neg.ocsp = TH_STAPLE_REVOKED;
    o->native_side = "client";
    th_error_set(&o->client_err, TH_REVOKED, 23, "OCSP staple: certificate revoked");
    results[1].status = TH_FAIL; /* so that JUnit carries its text */

    o = set_case(2, "unasked");
    cases[2].s.ocsp = "pki:ocsp-good";
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS12, .suite = 0xC02F};

    o = set_case(3, "plain");
    o->have_neg = 1;
    o->neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301};
}

static json_t *member(json_t *cs, int i, const char *block)
{
    return json_object_get(json_object_get(json_array_get(cs, i), block), "ocsp");
}

static void test_write(void)
{
    struct rf_out out;
    json_t *cs = rf_write_json(&out, dir, results, NC);
    if (cs) {
        is_str(json_string_value(member(cs, 0, "observed")), "good", "observed.ocsp good");
        is_str(json_string_value(member(cs, 0, "expected")), "good", "expected.ocsp pinned");
        is_str(json_string_value(member(cs, 1, "observed")), "revoked",
               "a failed handshake keeps what the staple said");
        ok(!member(cs, 1, "expected"), "not pinned: no expected.ocsp");
        ok(json_is_null(member(cs, 2, "observed")), "stapled but not asked for: null");
        ok(!member(cs, 3, "observed"), "no staple and no asking: no observed.ocsp");
    }
    rf_reread(&out);
    rf_junit_says(&out, "OCSP staple: revoked", "JUnit: the failing case names the staple");
    rf_done(&out);
}

#define OB(v) RF_ONE("observed", v)
#define EX(v) RF_ONE("expected", v)

static void test_read(void)
{
    accepted(OB("{\"ocsp\": \"good\"}"), "observed.ocsp good");
    accepted(OB("{\"ocsp\": \"none\"}"), "observed.ocsp none");
    accepted(OB("{\"ocsp\": null}"), "observed.ocsp null");
    accepted(EX("{\"ocsp\": \"invalid\"}"), "expected.ocsp invalid");
    refused(OB("{\"ocsp\": \"fine\"}"), "\"fine\"",
            "cases[0].observed.ocsp: expected one of none, good, revoked, unknown, invalid or null",
            "an unknown staple status");
    refused(OB("{\"ocsp\": true}"), "true",
            "cases[0].observed.ocsp: expected one of none, good, revoked, unknown, invalid or null",
            "a boolean");
    refused(EX("{\"ocsp\": 3}"), "3}",
            "cases[0].expected.ocsp: expected one of none, good, revoked, unknown, invalid or null",
            "a number in expected");
}

int main(void)
{
    return rf_main(dir, build, test_write, test_read, cases, NC);
}
