/* The load generator's open loop and body hashes (harness/http/loadgen.c) against
 * th_serve_fd in a thread: a fixed rate paces the run (the requests go out on their
 * schedule, not as fast as the server answers), every body is hashed against
 * expect_sha256 and a wrong hash fails each request, and the handshakes are
 * compared with the first. The stall that shows coordinated omission:
 * tests/integration/load-rate.t. */
#include "pairdrive.h"

#include <openssl/evp.h>
#include <signal.h>
#include <unistd.h>

#include "harness/http/loadgen.h"
#include "harness/http/serve.h"
#include "harness/vocab/util.h"
#include "serve_thread.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const OSSL = &th_backend_openssl;

/* ---- th_serve_fd in a thread ---- */

/* From the pki's rsa2048, without resumption; nothing looks at its log. */
static int srv_start(struct st_srv *s)
{
    return ok(st_start(s, OSSL, "rsa2048", 0, NULL, fopen("/dev/null", "w")) == 0, "server started")
               ? 0
               : -1;
}

static void srv_stop(struct st_srv *s)
{
    st_stop(s);
    fclose(s->log);
    ok(s->rc == 0, "server ran (%s)", s->err.text);
}

static struct th_ctx *client_ctx(void)
{
    char ca[512];
    pki_path(ca, sizeof(ca), "root.pem");
    struct th_tls_config cfg = st_client_cfg(ca);
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    if (OSSL->ctx_new(&cfg, &ctx, &e) != 0)
        ok(0, "client ctx: %s", e.text);
    return ctx;
}

/* SHA-256 of the first n bytes of the payload pattern: /bytes/n's body. */
static void pattern_sha256(size_t n, uint8_t out[32])
{
    unsigned char *buf = th_xmalloc(n);
    unsigned len = 0;
    th_pattern_fill(0, 0, buf, n);
    EVP_Digest(buf, n, out, &len, EVP_sha256(), NULL);
    free(buf);
}

/* 100 requests at 200/s over 4 connections: the schedule spans 0.495 s, whatever the
 * server could do; every latency positive, none from before its send time. */
static void test_paced(struct th_ctx *ctx, uint16_t port)
{
    struct th_loadgen_params p = {.host = "127.0.0.1",
                                  .port = port,
                                  .path = "/bytes/256",
                                  .requests = 100,
                                  .timeout_s = 5,
                                  .max_seconds = 20,
                                  .connections = 4,
                                  .rate = 200};
    struct th_loadgen_stats st;
    struct th_error err = {0};
    if (!ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) == 0, "open loop ran (%s)", err.text))
        return;
    is_int(st.requests, 100, "open loop: 100 requests verified");
    is_int(st_total_errors(&st), 0, "open loop: none failed");
    ok(st.wall_ns >= 480000000ull && st.wall_ns < 3000000000ull,
       "open loop: paced by the schedule, %.3f s for 100 at 200/s (0.495 s due)", st.wall_ns / 1e9);
    uint64_t lo = UINT64_MAX;
    for (size_t i = 0; i < st.n_latency; i++)
        lo = st.latency_ns[i] < lo ? st.latency_ns[i] : lo;
    ok(st.n_latency == 100 && lo > 0, "open loop: 100 latencies, all positive");
    is_str(st.body_check, "pattern", "open loop: bodies checked against the pattern");
    is_int(st.neg_differ, 0, "every handshake negotiated what the first did");
    th_loadgen_stats_free(&st);

    /* the same count closed loop is not held to the schedule */
    p.rate = 0;
    if (ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) == 0, "closed loop ran")) {
        ok(st.requests == 100 && st.wall_ns < 480000000ull,
           "closed loop: 100 requests in %.3f s, as fast as answered", st.wall_ns / 1e9);
        th_loadgen_stats_free(&st);
    }

    /* by time, open loop: requests stop at the end, about rate x seconds */
    p.requests = 0;
    p.seconds = 0.5;
    p.rate = 100;
    if (ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) == 0, "open loop by time ran")) {
        ok(st.requests >= 40 && st.requests <= 55,
           "open loop by time: %llu requests in 0.5 s at 100/s (at most 51 due after the "
           "4 connections' first)",
           (unsigned long long)st.requests);
        th_loadgen_stats_free(&st);
    }
}

static void test_sha256(struct th_ctx *ctx, uint16_t port)
{
    uint8_t good[32], bad[32];
    pattern_sha256(3000, good);
    memcpy(bad, good, 32);
    bad[31] ^= 1;
    struct th_loadgen_params p = {.host = "127.0.0.1",
                                  .port = port,
                                  .path = "/bytes/3000",
                                  .requests = 30,
                                  .timeout_s = 5,
                                  .max_seconds = 20,
                                  .connections = 3,
                                  .expect_sha256 = good};
    struct th_loadgen_stats st;
    struct th_error err = {0};
    if (ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) == 0, "sha256 run")) {
        is_int(st.requests, 30, "right hash: 30 verified");
        is_int(st.bodies_hashed, 30, "right hash: 30 bodies hashed");
        is_int(st_total_errors(&st), 0, "right hash: none failed");
        is_str(st.body_check, "pattern+sha256", "both checks named");
        th_loadgen_stats_free(&st);
    }
    p.expect_sha256 = bad;
    p.requests = 5;
    if (ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) == 0, "wrong sha256 run")) {
        is_int(st.requests, 0, "wrong hash: nothing verified");
        ok(st.errors[TH_INTERNAL_ERROR] > 0 && st_total_errors(&st) == st.errors[TH_INTERNAL_ERROR],
           "wrong hash: internal_error only (%llu)", (unsigned long long)st_total_errors(&st));
        ok(strstr(st.first_error.text, "body of 3000 bytes has SHA-256") != NULL,
           "the first error says so: %s", st.first_error.text);
        is_int(st.bodies_hashed, 0, "no body counted as hashed");
        th_loadgen_stats_free(&st);
    }
    /* a body of any path: "/" is not a pattern, the hash alone checks it */
    p.path = "/";
    p.requests = 3;
    if (ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) == 0, "sha256 of /")) {
        is_str(st.body_check, "sha256", "a body of / is checked by its hash alone");
        ok(st.requests == 0 && st.errors[TH_INTERNAL_ERROR] > 0, "and refused: not that hash");
        th_loadgen_stats_free(&st);
    }
    p.rate = -1;
    ok(th_loadgen_run(OSSL, ctx, &p, &st, &err) != 0, "a negative rate refused: %s", err.text);
}

int main(void)
{
    if (pd_begin("loadopen") != 0)
        return pd_end();
    signal(SIGPIPE, SIG_IGN);
    struct st_srv s;
    struct th_ctx *ctx = client_ctx();
    if (ctx && srv_start(&s) == 0) {
        test_paced(ctx, s.port);
        test_sha256(ctx, s.port);
        srv_stop(&s);
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    return pd_end();
}
