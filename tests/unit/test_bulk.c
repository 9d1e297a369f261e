/* Kind bulk: a small transfer with OpenSSL over memory and over TCP gives the
 * throughput and the cost per byte; a pair that negotiates something else than the
 * case pins fails it. */
#include "pairdrive.h"

#include "case_helpers.h"
#include "harness/kinds/kinds.h"

static const struct th_backend *ossl;

static void check_bulk(const struct th_case_result *r, unsigned reps, const char *what)
{
    const struct th_metric *m = tc_metric(r, "throughput_mib_s");
    ok(r->status == TH_PASS, "%s: pass: %s", what, r->reason);
    ok(m && m->median > 0 && m->n == reps, "%s: throughput_mib_s %g over %zu", what,
       m ? m->median : 0, m ? m->n : 0);
    ok(tc_metric(r, "send_ns_per_byte") && tc_metric(r, "recv_ns_per_byte"),
       "%s: the cost per byte each way", what);
    ok(r->obs.have_neg && r->obs.neg.version == TH_TLS13, "%s: negotiated TLS 1.3", what);
}

static void test_bulk(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir, .repeat = 2};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_BULK, "t/bulk/openssl-vs-openssl", ossl, ossl);
    c.bulk.bytes = 1u << 20;
    th_run_case(&c, &o, &r);
    check_bulk(&r, 2, "c2s, memory");
    ok(tc_metric(&r, "aead_ns_per_byte") && tc_metric(&r, "efficiency"),
       "the AEAD's own cost and the efficiency beside it");

    c.bulk.direction = TH_BOTH;
    c.bulk.write_size = 1000;
    th_run_case(&c, &o, &r);
    check_bulk(&r, 2, "both ways, 1000-byte writes, memory");

    c.bulk.direction = TH_S2C;
    c.bulk.write_size = 16384;
    c.transport = TH_TRANSPORT_TCP;
    th_run_case(&c, &o, &r);
    check_bulk(&r, 2, "s2c, tcp");

    o.quick = 1;
    c = tc_case(TH_KIND_BULK, "t/bulk/by-time", ossl, ossl);
    c.bulk.seconds = 0.5; /* --quick: 25 ms */
    th_run_case(&c, &o, &r);
    check_bulk(&r, 1, "by time, quick");
}

static void test_bulk_fails(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir, .quick = 1};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_BULK, "t/bulk/pinned", ossl, ossl);
    c.bulk.bytes = 1u << 18;
    c.expect.suite = 0x1302; /* AES-256-GCM; OpenSSL picks AES-128-GCM first */
    c.c.suites[0] = 0x1301;
    c.c.n_suites = 1;
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "not what the scenario pins"),
       "negative: a pinned suite not negotiated: %s", r.reason);
    is_int(r.n_metrics, 0, "...and no figure");

    c = tc_case(TH_KIND_BULK, "t/bulk/refused", ossl, ossl);
    c.bulk.bytes = 1u << 18;
    c.c.hostname = c.c.sni = (char *)"example.com";
    th_run_case(&c, &o, &r);
    ok(r.status == TH_FAIL && strstr(r.reason, "observed hostname_mismatch (client: "),
       "negative: a refused handshake fails, judged: %s", r.reason);
    is_str(th_outcome_name(r.obs.outcome), "hostname_mismatch", "...observed in the vocabulary");

    c.expect.outcomes = TH_OUTCOME_BIT(TH_HOSTNAME_MISMATCH);
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS, "a failure the case expects passes: %s", r.reason);
}

int main(void)
{
    ossl = th_backend_find("openssl");
    if (!ossl) {
        skip(1, "no OpenSSL backend in this build");
        return done_testing();
    }
    if (pd_begin("bulk") == 0) {
        test_bulk();
        test_bulk_fails();
    }
    return pd_end();
}
