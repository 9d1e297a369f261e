/* The load generator's 0-RTT (th_loadgen_params.early_data) against our own server in
 * a thread: every reconnection sends its GET as early data and the server must take
 * it; the time from connect to the first byte (ttfb_ns) is kept per connection. The
 * negative case: a server whose tickets allow no early data. (A server that refuses
 * what its tickets allow: kind load's scenario tests, tests/unit/test_kinds.c.) */
#include "pairdrive.h"

#include <signal.h>
#include <unistd.h>

#include "harness/http/loadgen.h"
#include "harness/http/serve.h"
#include "serve_thread.h"

extern const struct th_backend th_backend_openssl;
#ifdef TH_HAVE_GNUTLS
extern const struct th_backend th_backend_gnutls;
#endif
static const struct th_backend *const OSSL = &th_backend_openssl;

static struct th_ctx *early_client(const struct th_backend *b)
{
    char root[512];
    pki_path(root, sizeof(root), "root.pem");
    struct th_tls_config cfg = st_client_cfg(root);
    cfg.versions = V13;
    cfg.resume = TH_RESUME_TICKET;
    cfg.early_send = 1;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    if (b->ctx_new(&cfg, &ctx, &e) != 0)
        ok(0, "%s client ctx: %s", b->name, e.text);
    return ctx;
}

/* Serve with b, its tickets allowing early data or not; 40 requests over 4 slots,
 * each a new connection resuming the slot's newest ticket, early_data asked or not. */
static int run(const struct th_backend *cb, const struct th_backend *sb, int server_early,
               int early, struct th_loadgen_stats *st)
{
    char chain[512], key[512];
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    struct th_serve_tls t = {
        .cert_file = chain, .key_file = key, .resumption = 1, .early_data = server_early};
    struct st_srv s;
    struct th_ctx *ctx = early_client(cb);
    int rc = -1;
    FILE *log = tmpfile();
    if (ctx && st_start(&s, sb, "rsa2048", 1, &t, log) == 0) {
        struct th_loadgen_params p = {.host = "127.0.0.1",
                                      .port = s.port,
                                      .path = "/bytes/100",
                                      .requests = 40,
                                      .timeout_s = 5,
                                      .max_seconds = 5,
                                      .connections = 4,
                                      .new_connection_per_request = 1,
                                      .resume = TH_RESUME_TICKET,
                                      .early_data = early};
        rc = st_run(cb, ctx, &p, st, NULL);
        st_stop_count(&s);
    } else if (log) {
        fclose(log);
    }
    if (ctx)
        cb->ctx_free(ctx);
    return rc;
}

/* Every connection's TCP-to-first-byte time covers its connect and its handshake. */
static int ttfb_covers(const struct th_loadgen_stats *st)
{
    for (size_t i = 0; i < st->n_phase; i++)
        if (!st->ttfb_ns[i] || st->ttfb_ns[i] < st->connect_ns[i] + st->tls_ns[i] / 2)
            return 0;
    return st->n_phase > 0;
}

static void expect_taken(const struct th_backend *cb, const struct th_backend *sb)
{
    struct th_loadgen_stats st;
    if (run(cb, sb, 1, 1, &st) != 0)
        return;
    char what[64];
    snprintf(what, sizeof(what), "%s vs %s, 0-RTT", cb->name, sb->name);
    ok(st.requests == 40 && st_total_errors(&st) == 0, "%s: 40 requests, no errors (%s)", what,
       st.first_error.text);
    ok(st.resumed == 36 && st.early_offered == 36 && st.early_accepted == 36,
       "%s: the 36 reconnections resumed and sent their GET early, all taken (%llu, %llu, %llu)",
       what, (unsigned long long)st.resumed, (unsigned long long)st.early_offered,
       (unsigned long long)st.early_accepted);
    ok(st.early_bytes >= 36 * 20, "%s: %llu bytes went early", what,
       (unsigned long long)st.early_bytes);
    ok(st.n_phase == 40 && ttfb_covers(&st), "%s: 40 connect-to-first-byte times", what);
    th_loadgen_stats_free(&st);
}

static void test_without_early(void)
{
    struct th_loadgen_stats st;
    if (run(OSSL, OSSL, 1, 0, &st) != 0)
        return;
    ok(st.requests == 40 && st.resumed == 36 && st.early_offered == 0 && st.early_bytes == 0,
       "early_data not asked: 36 resumed, none sent early");
    ok(ttfb_covers(&st), "early_data not asked: connect-to-first-byte times kept");
    th_loadgen_stats_free(&st);
}

/* A server whose tickets allow no early data: each reconnection fails, saying so. */
static void test_server_allows_none(void)
{
    struct th_loadgen_stats st;
    if (run(OSSL, OSSL, 0, 1, &st) != 0)
        return;
    ok(st.requests == 4 && st.errors[TH_INTERNAL_ERROR] > 0 && st.early_accepted == 0,
       "tickets allow none: only the 4 first (full) connections count (%llu)",
       (unsigned long long)st.requests);
    ok(strstr(st.first_error.text, "no early data sent: the session allows none") != NULL,
       "tickets allow none: '%s'", st.first_error.text);
    th_loadgen_stats_free(&st);
}

int main(void)
{
    if (pd_begin("loadgen_early") != 0)
        return pd_end();
    signal(SIGPIPE, SIG_IGN);
    expect_taken(OSSL, OSSL);
#ifdef TH_HAVE_GNUTLS
    expect_taken(&th_backend_gnutls, OSSL);
    expect_taken(OSSL, &th_backend_gnutls);
    expect_taken(&th_backend_gnutls, &th_backend_gnutls);
#endif
    test_without_early();
    test_server_allows_none();
    return pd_end();
}
