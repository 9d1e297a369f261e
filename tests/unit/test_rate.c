/* Kind handshake_rate: a few handshakes with OpenSSL over memory and over TCP give
 * the rate and the CPU per handshake, one sample per repetition; a handshake that
 * does not negotiate what the case pins fails it. */
#include "pairdrive.h"

#include "case_helpers.h"
#include "harness/kinds/kinds.h"

static const struct th_backend *ossl;

static void check_rate(const struct th_case_result *r, unsigned reps, const char *what)
{
    const struct th_metric *m = tc_metric(r, "handshakes_per_s");
    ok(r->status == TH_PASS, "%s: pass: %s", what, r->reason);
    ok(m && m->median > 0 && m->min > 0, "%s: handshakes_per_s %g > 0", what, m ? m->median : 0);
    ok(m && m->n == reps, "%s: n == repeat (%zu)", what, m ? m->n : 0);
    m = tc_metric(r, "client_us_per_handshake");
    ok(m && m->median > 0, "%s: client_us_per_handshake %g", what, m ? m->median : 0);
    m = tc_metric(r, "server_us_per_handshake");
    ok(m && m->median > 0, "%s: server_us_per_handshake %g", what, m ? m->median : 0);
}

static void test_rate(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_HANDSHAKE_RATE, "t/rate/openssl-vs-openssl", ossl, ossl);
    c.rate.count = 4;
    c.repeat = 3;
    th_run_case(&c, &o, &r);
    check_rate(&r, 3, "full, memory");
    ok(strstr(r.reason, "full") != NULL, "every handshake checked full: %s", r.reason);

    c.rate.resume = TH_RESUME_TICKET;
    th_run_case(&c, &o, &r);
    check_rate(&r, 3, "resumed, memory");
    ok(strstr(r.reason, "resumed") != NULL, "every handshake checked resumed: %s", r.reason);

    o.repeat = 2; /* --repeat over the case's */
    c.rate.resume = TH_RESUME_NONE;
    c.transport = TH_TRANSPORT_TCP;
    th_run_case(&c, &o, &r);
    check_rate(&r, 2, "full, tcp");

    c.rate.concurrency = 2;
    c.rate.count = 6;
    th_run_case(&c, &o, &r);
    check_rate(&r, 2, "full, tcp, two at a time");
}

static void test_rate_fails(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir, .quick = 1};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_HANDSHAKE_RATE, "t/rate/pinned", ossl, ossl);
    c.rate.count = 2;
    c.expect.version = TH_TLS12; /* the pair negotiates 1.3 */
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "not what the scenario pins"),
       "negative: a pinned version not negotiated fails: %s", r.reason);
    is_int(r.n_metrics, 0, "...with no figure");

    c.transport = TH_TRANSPORT_TCP;
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "not what the scenario pins"),
       "negative: over TCP too: %s", r.reason);

    c = tc_case(TH_KIND_HANDSHAKE_RATE, "t/rate/refused", ossl, ossl);
    c.rate.count = 2;
    c.c.hostname = c.c.sni = (char *)"example.com";
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "client handshake failed: hostname_mismatch"),
       "negative: a refused handshake fails with the client's words: %s", r.reason);
    c.transport = TH_TRANSPORT_TCP;
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "handshake failed"), "negative: over TCP too: %s",
       r.reason);
}

int main(void)
{
    ossl = th_backend_find("openssl");
    if (!ossl) {
        skip(1, "no OpenSSL backend in this build");
        return done_testing();
    }
    if (pd_begin("rate") == 0) {
        test_rate();
        test_rate_fails();
    }
    return pd_end();
}
