/* Client certificates in the results: observed.client_cert {requested, sent,
 * accepted} is written when a case asked for a client certificate or gave one, and
 * only then; what is not known is null; the JUnit text says it; and the results
 * reader accepts the object and refuses it malformed, at its place. */
#include "resread_check.h"
#include "results_fake.h"

#define NC 6
static struct th_case cases[NC];
static struct th_case_result results[NC];
static char dir[] = "/tmp/th-results-mtls-XXXXXX";

/* Case i against our own server (server_seen) or a fixture. */
static struct th_observed *set_case(int i, const char *name, int ours)
{
    return rf_case(&cases[i], &results[i], "mtls", name, ours);
}

static void done_neg(struct th_observed *o, int requested, int sent)
{
    o->have_neg = 1;
    o->neg = (struct th_negotiated){
        .version = TH_TLS13, .suite = 0x1301, .cert_requested = requested, .client_cert = sent};
}

/* 0 good (ours accepted it), 1 expired refused by our server before the client
 * finished, 2 no client auth at all, 3 good against a fixture (accepted: it let the
 * connection through), 4 refused by a fixture (not known), 5 request without one. */
static void build(void)
{
    struct th_observed *o = set_case(0, "good", 1);
    cases[0].s.client_auth = TH_CLIENT_AUTH_REQUIRE;
    cases[0].c.cert = "pki:client";
    done_neg(o, 1, 1);
    o->have_server_neg = o->server_client_cert = 1;

    o = set_case(1, "expired", 1);
    cases[1].s.client_auth = TH_CLIENT_AUTH_REQUIRE;
    cases[1].c.cert = "pki:client-expired";
    o->outcome = TH_EXPIRED;
    o->native_side = "server";
    th_error_set(&o->server_err, TH_EXPIRED, 10, "certificate has expired");

    set_case(2, "plain", 1);
    done_neg(&results[2].obs, 0, 0);

    o = set_case(3, "fixture-good", 0);
    cases[3].s.client_auth = TH_CLIENT_AUTH_REQUIRE;
    cases[3].c.cert = "pki:client";
    done_neg(o, 1, 1);

    o = set_case(4, "fixture-refused", 0);
    cases[4].s.client_auth = TH_CLIENT_AUTH_REQUIRE;
    cases[4].c.cert = "pki:client-expired";
    done_neg(o, 1, 1);
    o->outcome = TH_HANDSHAKE_FAILURE;
    results[4].status = TH_FAIL;
    o->native_side = "client";
    th_error_set(&o->client_err, TH_HANDSHAKE_FAILURE, 42, "alert bad certificate");

    o = set_case(5, "request", 1);
    cases[5].s.client_auth = TH_CLIENT_AUTH_REQUEST;
    done_neg(o, 1, 0);
    o->have_server_neg = 1;
}

/* "true", "false" or "null": the member as written. */
static const char *jb(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_true(v) ? "true" : json_is_false(v) ? "false" : json_is_null(v) ? "null" : "?";
}

static void check_cc(json_t *cs, int i, const char *req, const char *sent, const char *acc)
{
    json_t *cc = json_object_get(json_object_get(json_array_get(cs, i), "observed"), "client_cert");
    if (!ok(json_is_object(cc), "%s: observed.client_cert is there", cases[i].id))
        return;
    is_str(jb(cc, "requested"), req, "%s: requested", cases[i].id);
    is_str(jb(cc, "sent"), sent, "%s: sent", cases[i].id);
    is_str(jb(cc, "accepted"), acc, "%s: accepted", cases[i].id);
}

static void test_write(void)
{
    struct rf_out out;
    json_t *cs = rf_write_json(&out, dir, results, NC);
    if (cs) {
        check_cc(cs, 0, "true", "true", "true");
        check_cc(cs, 1, "null", "null", "false");
        ok(!json_object_get(json_object_get(json_array_get(cs, 2), "observed"), "client_cert"),
           "no client auth and no client certificate: no client_cert");
        check_cc(cs, 3, "true", "true", "true");
        check_cc(cs, 4, "true", "true", "null");
        check_cc(cs, 5, "true", "false", "false");
    }
    rf_reread(&out);
    char *x = rf_write_junit(&out);
    ok(x && strstr(x, "client certificate: requested yes, sent yes, accepted unknown"),
       "JUnit: a refusal by a fixture says what is known");
    ok(x && !strstr(x, "client certificate: requested unknown"),
       "JUnit: only failing cases carry it (the expired one passed)");
    free(x);
    rf_done(&out);
}

#define CC(v) RF_ONE("observed", v)

static void test_read(void)
{
    accepted(CC("{\"client_cert\": {\"requested\": true, \"sent\": false, \"accepted\": null}}"),
             "client_cert with booleans and null");
    accepted(CC("{\"client_cert\": null}"), "client_cert null");
    accepted(CC("{\"client_cert\": {}}"), "client_cert empty (an older writer's subset)");
    accepted(CC("{\"outcome\": \"ok\"}"), "no client_cert (a case without client auth)");
    refused(CC("{\"client_cert\": [true]}"), "[true]",
            "cases[0].observed.client_cert: expected an object {requested, sent, accepted}, got "
            "an array",
            "client_cert an array");
    refused(CC("{\"client_cert\": {\"requested\": true, \"sent\": \"yes\"}}"), "\"yes\"",
            "cases[0].observed.client_cert.sent: expected a boolean or null, got a string",
            "sent a string");
    refused(CC("{\"client_cert\": {\"accepted\": 1}}"), "1}",
            "cases[0].observed.client_cert.accepted: expected a boolean or null, got a number",
            "accepted a number");
}

int main(void)
{
    return rf_main(dir, build, test_write, test_read, cases, NC);
}
