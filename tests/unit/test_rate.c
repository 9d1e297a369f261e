/* Kind handshake_rate: a few handshakes with OpenSSL over memory and over TCP give
 * the rate and the CPU per handshake, one sample per repetition; a handshake that
 * does not negotiate what the case pins fails it. handshakes.request adds a request
 * and its reply (as early data with client.early_data "send") and ttfb_ms. */
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

/* observed: what was negotiated, and every handshake counted, the warm-up included
 * (count x (repeat + 1)); a client whose key share the server lacks needs a
 * HelloRetryRequest on each one, read off the records over memory and over TCP. */
static void test_rate_observed(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_HANDSHAKE_RATE, "t/rate/observed", ossl, ossl);
    c.rate.count = 3;
    c.repeat = 2;
    th_run_case(&c, &o, &r);
    const struct th_rate_seen *s = &r.obs.rate;
    ok(r.status == TH_PASS && r.obs.have_neg && r.obs.neg.version == TH_TLS13,
       "full: TLS 1.3 negotiated, observed (%s)", r.reason);
    ok(s->ran && s->attempted == 9 && s->full == 9 && s->resumed == 0,
       "full: 9 attempted, 9 full (%llu, %llu, %llu)", (unsigned long long)s->attempted,
       (unsigned long long)s->full, (unsigned long long)s->resumed);
    ok(s->hrr_known == 9 && s->hrr == 0 && r.obs.hrr_known && !r.obs.hrr,
       "full: no HelloRetryRequest, known on each");

    c.rate.resume = TH_RESUME_TICKET;
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS && s->resumed == 9 && s->full == 0 && r.obs.neg.resumed,
       "resumed: 9 of 9 resumed (%llu)", (unsigned long long)s->resumed);

    c.rate.resume = TH_RESUME_NONE;
    c.c.groups[0] = 0x001D; /* x25519, then secp256r1 */
    c.c.groups[1] = 0x0017;
    c.c.n_groups = 2;
    c.s.groups[0] = 0x0017;
    c.s.n_groups = 1;
    for (int tcp = 0; tcp < 2; tcp++) {
        c.transport = tcp ? TH_TRANSPORT_TCP : TH_TRANSPORT_MEMORY;
        th_run_case(&c, &o, &r);
        ok(r.status == TH_PASS && s->hrr == 9 && s->hrr_known == 9 && r.obs.hrr == 1,
           "%s: a HelloRetryRequest on each of 9 (%llu; %s)", tcp ? "tcp" : "memory",
           (unsigned long long)s->hrr, r.reason);
        is_int(r.obs.neg.group, 0x0017, "...and secp256r1 negotiated");
    }

    c.transport = TH_TRANSPORT_MEMORY;
    c.s.versions = TH_VBIT(TH_TLS12);
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS && s->hrr_known == 0 && !r.obs.hrr_known,
       "TLS 1.2: no HelloRetryRequest to know of (%s)", r.reason);

    c.expect.version = TH_TLS13; /* negative: fails on the first, counted */
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && r.obs.ran && s->attempted == 1 && s->full == 1,
       "a failing case still counts what it tried (%llu)", (unsigned long long)s->attempted);
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

/* handshakes.request: each resumed TLS 1.3 connection carries a request, after the
 * handshake or (early) as 0-RTT data the server must take; ttfb_ms, one a repetition. */
static void test_rate_request(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_HANDSHAKE_RATE, "t/rate/request", ossl, ossl);
    const struct th_rate_seen *s = &r.obs.rate;
    c.rate.count = 5;
    c.repeat = 2;
    c.rate.resume = TH_RESUME_TICKET;
    c.rate.request = 1;
    c.c.versions = c.s.versions = TH_VBIT(TH_TLS13);
    c.s.early_server = TH_EARLY_SERVER_ACCEPT; /* single-use tickets: each one resumes the newest */
    for (int tcp = 0; tcp < 2; tcp++)
        for (int early = 0; early < 2; early++) {
            const char *what = early ? (tcp ? "0-RTT, tcp" : "0-RTT, memory")
                                     : (tcp ? "1-RTT, tcp" : "1-RTT, memory");
            c.transport = tcp ? TH_TRANSPORT_TCP : TH_TRANSPORT_MEMORY;
            c.c.early = early ? TH_EARLY_SEND : TH_EARLY_OFF;
            th_run_case(&c, &o, &r);
            const struct th_metric *m = tc_metric(&r, "ttfb_ms");
            ok(r.status == TH_PASS && s->resumed == 15, "%s: pass, 15 resumed: %s", what, r.reason);
            ok(m && m->n == 2 && m->min > 0, "%s: ttfb_ms %g over 2 repetitions", what,
               m ? m->median : 0);
            ok(s->early_offered == (early ? 15u : 0u) && s->early_accepted == s->early_offered,
               "%s: %llu sent early, all taken", what, (unsigned long long)s->early_offered);
        }
    /* negative: the server's tickets allow no early data */
    c.s.early_server = TH_EARLY_SERVER_OFF;
    for (int tcp = 0; tcp < 2; tcp++) {
        c.transport = tcp ? TH_TRANSPORT_TCP : TH_TRANSPORT_MEMORY;
        th_run_case(&c, &o, &r);
        ok(r.status == TH_FAIL && strstr(r.reason, "no early data sent: the session allows none"),
           "negative, %s: tickets allowing no early data fail the 0-RTT case: %s",
           tcp ? "tcp" : "memory", r.reason);
        is_int(r.n_metrics, 0, "...with no figure");
    }
    /* without request, no ttfb_ms */
    c.rate.request = 0;
    c.c.early = TH_EARLY_OFF;
    c.transport = TH_TRANSPORT_MEMORY;
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS && !tc_metric(&r, "ttfb_ms"), "no request: no ttfb_ms");
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
        test_rate_observed();
        test_rate_fails();
        test_rate_request();
    }
    return pd_end();
}
