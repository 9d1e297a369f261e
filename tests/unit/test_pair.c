/* The in-memory pair: both ends of a case handshaken over memory with real
 * backends, the keyed payload moved and checked, the pins checked, and a failing
 * handshake reported with the failing end's error. */
#include "pairdrive.h"

#include "case_helpers.h"
#include "harness/run/endpoint.h"
#include "harness/run/pair.h"

static const struct th_backend *ossl, *other;

static void test_payload(void)
{
    struct th_payload p;
    unsigned char buf[5000];
    th_payload_init(&p, 42, 4096);
    th_pattern_fill(42, TH_PAYLOAD_PERIOD - 100, buf, 100);
    th_pattern_fill(42, 0, buf + 100, 4900);
    ok(th_payload_matches(&p, TH_PAYLOAD_PERIOD - 100, buf, sizeof(buf)),
       "the stream across the period's end matches");
    ok(memcmp(th_payload_at(&p, TH_PAYLOAD_PERIOD - 100), buf, 4196) == 0,
       "a write of up to slack bytes reads contiguously at any offset");
    ok(!th_payload_matches(&p, TH_PAYLOAD_PERIOD - 99, buf, sizeof(buf)),
       "negative: the same bytes at another offset do not");
    buf[4999] ^= 1;
    ok(!th_payload_matches(&p, TH_PAYLOAD_PERIOD - 100, buf, sizeof(buf)),
       "negative: one bit flipped at the end is seen");
    th_payload_free(&p);
    ok(p.pat == NULL, "freed");
}

static void one_pair(const struct th_backend *cb, const struct th_backend *sb)
{
    char what[64];
    snprintf(what, sizeof(what), "%s-vs-%s", cb->name, sb->name);
    struct th_case c = tc_case(TH_KIND_BULK, "t/pair", cb, sb);
    struct th_ctx *cctx, *sctx;
    struct th_error err = {0};
    if (!ok(th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) == 0, "%s: contexts: %s", what,
            err.text))
        return;
    struct th_pair d;
    ok(th_pair_open(&d, &c, cctx, sctx, NULL, &err) == 0, "%s: the pair opens: %s", what, err.text);
    ok(!d.cl.failed && !d.sv.failed, "%s: neither end failed", what);
    ok(th_pair_check_pins(&c, &d, &err) == 0, "%s: nothing pinned, nothing differs", what);

    struct th_payload p;
    th_payload_init(&p, th_hash64(c.id), 16384);
    unsigned char buf[100000];
    int closed = 0;
    ok(th_pair_write(&d.cl, &p, 100000, 16384) == 0 && d.cl.sent == 100000,
       "%s: the client writes 100000 bytes", what);
    size_t got = th_pair_read(&d.sv, buf, sizeof(buf), &closed);
    /* a TLS 1.3 server may read the client's tickets' acknowledgement first: read on */
    while (got < sizeof(buf) && !closed && !d.sv.failed) {
        size_t more = th_pair_read(&d.sv, buf + got, sizeof(buf) - got, &closed);
        if (!more)
            break;
        got += more;
    }
    is_int(got, 100000, "%s: the server reads them all", what);
    ok(th_payload_matches(&p, 0, buf, got), "%s: as sent", what);
    ok(d.cl.send_wall > 0 && d.sv.recv_wall > 0, "%s: both sections timed", what);

    /* the pins: a version the pair did not negotiate */
    struct th_negotiated n;
    d.cl.b->negotiated(d.cl.conn, &n);
    c.expect.version = n.version == TH_TLS13 ? TH_TLS12 : TH_TLS13;
    ok(th_pair_check_pins(&c, &d, &err) == -1 &&
           strstr(err.text, "not what the scenario pins") != NULL,
       "%s: negative: another pinned version discards the sample: %s", what, err.text);
    th_pair_close(&d);
    th_payload_free(&p);
    th_endpoint_ctxs_free(&c, cctx, sctx);
}

static void test_fails(void)
{
    struct th_case c = tc_case(TH_KIND_BULK, "t/pair", ossl, ossl);
    struct th_ctx *cctx, *sctx;
    struct th_error err = {0};
    struct th_pair d;
    struct th_case_result r;

    /* the client refuses a certificate for another name */
    c.c.hostname = c.c.sni = (char *)"example.com";
    if (th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) != 0) {
        ok(0, "contexts: %s", err.text);
        return;
    }
    ok(th_pair_open(&d, &c, cctx, sctx, NULL, &err) == -1, "a misnamed certificate: -1");
    ok(d.cl.failed && err.outcome == d.cl.err.outcome && strcmp(err.text, d.cl.err.text) == 0,
       "err is the client's error: %s: %s", th_outcome_name(err.outcome), err.text);
    is_str(th_outcome_name(err.outcome), "hostname_mismatch", "...in the vocabulary");
    memset(&r, 0, sizeof(r));
    th_pair_fail_result(&d, "handshake", &r);
    ok(r.status == TH_FAIL && r.obs.ran && r.obs.outcome == err.outcome, "the result fails");
    is_str(r.obs.native_side, "client", "the client's error decided it");
    ok(strncmp(r.reason, "handshake: client failed: ", 26) == 0, "reason: %s", r.reason);
    th_pair_close(&d);
    th_endpoint_ctxs_free(&c, cctx, sctx);

    /* the server refuses: no version in common */
    c = tc_case(TH_KIND_BULK, "t/pair", ossl, ossl);
    c.c.versions = TH_VBIT(TH_TLS13);
    c.s.versions = TH_VBIT(TH_TLS12);
    if (th_endpoint_ctxs(&c, pkidir, &cctx, &sctx, &err) != 0) {
        ok(0, "contexts: %s", err.text);
        return;
    }
    memset(&err, 0, sizeof(err));
    ok(th_pair_open(&d, &c, cctx, sctx, NULL, &err) == -1, "no common version: -1");
    ok(d.sv.failed && !d.cl.failed && strcmp(err.text, d.sv.err.text) == 0,
       "err is the server's error: %s: %s", th_outcome_name(err.outcome), err.text);
    is_str(th_outcome_name(err.outcome), "protocol_version", "...in the vocabulary");
    memset(&r, 0, sizeof(r));
    th_pair_fail_result(&d, "handshake", &r);
    is_str(r.obs.native_side, "server", "the server's error decided it");
    th_pair_close(&d);
    th_endpoint_ctxs_free(&c, cctx, sctx);
}

static void test_end_fail(void)
{
    struct th_pair_end e;
    memset(&e, 0, sizeof(e));
    th_pair_end_fail(&e, TH_TIMEOUT, "first");
    th_pair_end_fail(&e, TH_TRUNCATED, "second");
    ok(e.failed && e.err.outcome == TH_TIMEOUT && strcmp(e.err.text, "first") == 0,
       "an end's first failure stands");
}

int main(void)
{
    ossl = th_backend_find("openssl");
    other = th_backend_find("gnutls");
    if (!other)
        other = th_backend_find("mbedtls");
    test_payload();
    test_end_fail();
    if (!ossl) {
        skip(1, "no OpenSSL backend in this build");
        return done_testing();
    }
    if (pd_begin("pair") == 0) {
        one_pair(ossl, ossl);
        if (other) {
            one_pair(ossl, other);
            one_pair(other, ossl);
        }
        test_fails();
    }
    return pd_end();
}
