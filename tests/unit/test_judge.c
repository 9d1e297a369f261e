/* Judging: how an observation and an expectation become a status, and which end's
 * error decides the outcome. */
#include "harness/run/judge.h"
#include "tap.h"

static struct th_case make_case(th_outcome_set want)
{
    struct th_case c;
    memset(&c, 0, sizeof(c));
    c.id = "x/y/a-vs-b";
    c.expect.outcomes = want;
    c.expect.resumed = c.expect.hrr = c.expect.early = c.expect.replay = -1;
    return c;
}

static struct th_case_result observe(enum th_outcome o)
{
    struct th_case_result r;
    memset(&r, 0, sizeof(r));
    r.obs.ran = 1;
    r.obs.outcome = o;
    r.obs.have_neg = o == TH_OK;
    r.obs.neg.version = TH_TLS13;
    r.obs.neg.suite = 0x1301;
    r.obs.neg.group = 0x001D;
    if (o != TH_OK) {
        r.obs.native_side = "client";
        th_error_set(&r.obs.client_err, o, 10, "certificate has expired");
    }
    return r;
}

static void test_status(void)
{
    struct th_case c = make_case(TH_OUTCOME_BIT(TH_EXPIRED));
    struct th_case_result r = observe(TH_EXPIRED);
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "expected outcome observed: pass");

    r = observe(TH_OK);
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "accepting an expired certificate fails");
    ok(strstr(r.reason, "expected outcome expired, observed ok") != NULL, "reason says both: %s",
       r.reason);

    c = make_case(TH_OUTCOME_BIT(TH_INCOMPLETE_CHAIN) | TH_OUTCOME_BIT(TH_UNKNOWN_CA));
    r = observe(TH_UNKNOWN_CA);
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "one of a list of acceptable outcomes passes");
    r = observe(TH_SELF_SIGNED);
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "an outcome outside the list fails");
    ok(strstr(r.reason, "unknown_ca or incomplete_chain") != NULL,
       "reason lists the acceptable ones");
    ok(strstr(r.reason, "certificate has expired") && strstr(r.reason, "code 10"),
       "reason carries the native text and code");

    /* a harness fault on one side (a shim that died) is an error, whatever was expected */
    c = make_case(TH_OUTCOME_BIT(TH_INTERNAL_ERROR));
    r = observe(TH_INTERNAL_ERROR);
    TH_FAULT(&r.obs.client_err, 9, "shim go (pid 42) was killed by signal 9");
    th_judge(&c, &r);
    is_int(r.status, TH_ERROR, "a fault on the client's side: error, even where expected");
    ok(strstr(r.reason, "killed by signal 9") && strstr(r.reason, "shim.c") == NULL,
       "...with its words: %s", r.reason);
    r = observe(TH_OK);
    r.obs.server_seen = 1;
    TH_FAULT(&r.obs.server_err, 0, "shim java (pid 43) did not answer in 30 s");
    th_judge(&c, &r);
    is_int(r.status, TH_ERROR, "a fault on the server's side: error");
    r = observe(TH_INTERNAL_ERROR); /* the library's own internal_error: judged as usual */
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "a library's internal_error (no harness place) is judged");
}

static void test_details(void)
{
    struct th_case c = make_case(TH_OUTCOME_BIT(TH_OK));
    c.expect.suite = 0x1302;
    struct th_case_result r = observe(TH_OK);
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "a pinned cipher that differs fails");
    ok(strstr(r.reason, "TLS_AES_256_GCM_SHA384") && strstr(r.reason, "TLS_AES_128_GCM_SHA256"),
       "reason names both suites by IANA name");
    c.expect.suite = 0x1301;
    c.expect.version = TH_TLS12;
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "a pinned version that differs fails");
    c.expect.version = TH_TLS13;
    c.expect.group = 0x0017;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "secp256r1") && strstr(r.reason, "x25519"),
       "a pinned group that differs fails, named");
    c.expect.group = 0;
    c.expect.resumed = 1;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "resumed"),
       "expected resumption, got a full handshake");
    c.expect.resumed = 0;
    c.expect.alpn_pinned = 1;
    c.expect.alpn = "h2";
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "ALPN h2"), "ALPN pinned but none negotiated");
    c.expect.alpn = NULL;
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "ALPN pinned to none, none negotiated");
    c.expect.alpn_pinned = 0;
    c.expect.ocsp_pinned = 1;
    c.expect.ocsp = TH_STAPLE_GOOD;
    r.obs.neg.ocsp = TH_STAPLE_NONE;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "expected the staple good, the client saw none"),
       "a pinned staple that did not come fails: %s", r.reason);
    r.obs.neg.ocsp = TH_STAPLE_NOT_ASKED;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "did not ask"),
       "a client that did not ask is named: %s", r.reason);
    r.obs.neg.ocsp = TH_STAPLE_GOOD;
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "the pinned staple seen passes");
    c.expect.ocsp_pinned = 0;

    c.expect.hrr = 1;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "did not show"),
       "a pinned HelloRetryRequest the records did not show fails: %s", r.reason);
    r.obs.hrr_known = 1;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "expected a HelloRetryRequest, none was sent"),
       "a pinned HelloRetryRequest not sent fails: %s", r.reason);
    r.obs.hrr = 1;
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "a pinned HelloRetryRequest sent passes");
    c.expect.hrr = -1;

    c.expect.early = 1;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "never sent"), "early data never sent: %s",
       r.reason);
    r.obs.neg.early_offered = 1;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "it was rejected"), "early data rejected: %s",
       r.reason);
    r.obs.neg.early_accepted = 1;
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "early data accepted as pinned");
    c.expect.early = -1;

    c.expect.replay = 0;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "never replayed"), "replay not tried: %s", r.reason);
    r.obs.replay_tried = r.obs.replay_accepted = 1;
    th_judge(&c, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "replayed early data rejected, it was accepted"),
       "a replay taken fails: %s", r.reason);
    r.obs.replay_accepted = 0;
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "a replay refused passes");
}

static void test_deviations(void)
{
    struct th_case c = make_case(TH_OUTCOME_BIT(TH_BAD_EKU));
    c.has_deviation = 1;
    c.deviation.outcomes = TH_OUTCOME_BIT(TH_OK);
    c.deviation.why = "this library's default verify call ignores the EKU";
    struct th_case_result r = observe(TH_OK);
    th_judge(&c, &r);
    is_int(r.status, TH_XFAIL, "the declared deviation happened: xfail");
    ok(strstr(r.reason, "ignores the EKU") && strstr(r.reason, "observed ok"),
       "xfail keeps the reason and what was observed visible");
    r = observe(TH_BAD_EKU);
    th_judge(&c, &r);
    is_int(r.status, TH_XPASS, "the deviation did not happen: xpass");
    r = observe(TH_TIMEOUT);
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "neither expected nor the deviation: fail");

    /* a deviation of a pinned detail: the outcome as expected, the detail not */
    c = make_case(TH_OUTCOME_BIT(TH_OK));
    c.expect.hrr = 1;
    c.has_deviation = 1;
    c.deviation.outcomes = TH_OUTCOME_BIT(TH_OK);
    c.deviation.why = "this library sends two key shares";
    r = observe(TH_OK);
    r.obs.hrr_known = 1;
    th_judge(&c, &r);
    is_int(r.status, TH_XFAIL, "a detail's declared deviation: xfail");
    ok(strstr(r.reason, "observed ok, but expected a HelloRetryRequest, none was sent: this "
                        "library sends two key shares") != NULL,
       "...naming the detail that differed: %s", r.reason);
}

/* An intermittent deviation: the library does it only sometimes, so the expected
 * outcome is a pass with a reason that says so, not an xpass. */
static void test_intermittent(void)
{
    struct th_case c = make_case(TH_OUTCOME_BIT(TH_OK));
    c.has_deviation = 1;
    c.deviation.outcomes = TH_OUTCOME_BIT(TH_INTERNAL_ERROR);
    c.deviation.why = "refuses about half of the session IDs under load";
    c.deviation.intermittent = 1;
    struct th_case_result r = observe(TH_INTERNAL_ERROR);
    th_judge(&c, &r);
    is_int(r.status, TH_XFAIL, "intermittent, and it happened: xfail");
    ok(strstr(r.reason, "known deviation: observed internal_error") &&
           strstr(r.reason, "half of the session IDs"),
       "xfail reason as for any deviation: %s", r.reason);
    r = observe(TH_OK);
    th_judge(&c, &r);
    is_int(r.status, TH_PASS, "intermittent, and it did not happen: pass, not xpass");
    ok(strstr(r.reason, "passed; the declared intermittent deviation did not happen this time: "
                        "refuses about half of the session IDs under load") != NULL,
       "the pass says the deviation did not show this time: %s", r.reason);
    r = observe(TH_TIMEOUT);
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "intermittent, neither expected nor the deviation: fail");
    ok(strstr(r.reason, "expected outcome ok, observed timeout") != NULL, "fail reason: %s",
       r.reason);
    r = observe(TH_OK);
    r.obs.neg.version = TH_TLS12;
    c.expect.version = TH_TLS13;
    th_judge(&c, &r);
    is_int(r.status, TH_FAIL, "intermittent, ok but a pinned detail differs: fail");
    c.expect.version = 0;
    c.deviation.intermittent = 0;
    r = observe(TH_OK);
    th_judge(&c, &r);
    is_int(r.status, TH_XPASS, "not intermittent, the deviation did not happen: xpass as before");
    ok(strstr(r.reason, "declared deviation did not happen") != NULL, "xpass reason: %s", r.reason);
}

static void test_decide(void)
{
    struct th_error cl = {0}, sv = {0};
    const char *side = NULL;
    is_int(th_decide_outcome(&cl, 0, &sv, 0, &side), TH_OK, "no errors: ok");
    ok(side == NULL, "no side decided");
    cl.outcome = TH_HANDSHAKE_FAILURE;
    sv.outcome = TH_NO_SHARED_CIPHER;
    is_int(th_decide_outcome(&cl, 1, &sv, 1, &side), TH_NO_SHARED_CIPHER,
           "a generic alert at the client is refined by the server's precise reason");
    is_str(side, "server", "the server's error decided");
    cl.outcome = TH_EXPIRED;
    sv.outcome = TH_HANDSHAKE_FAILURE;
    is_int(th_decide_outcome(&cl, 1, &sv, 1, &side), TH_EXPIRED, "the client's precise view wins");
    is_str(side, "client", "the client's error decided");
    cl.outcome = TH_HANDSHAKE_FAILURE;
    is_int(th_decide_outcome(&cl, 1, &sv, 1, &side), TH_HANDSHAKE_FAILURE,
           "both generic: client's");
    is_int(th_decide_outcome(&cl, 0, &sv, 1, &side), TH_HANDSHAKE_FAILURE,
           "only the server failed");
    is_str(side, "server", "...and says so");
}

int main(void)
{
    test_status();
    test_details();
    test_deviations();
    test_intermittent();
    test_decide();
    return done_testing();
}
