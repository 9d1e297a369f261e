/* The shim backend's driver side (backends/shim*.c) against a toy shim
 * (tests/tools/fake_shim.py) that speaks the protocol over a clear-text "TLS": the
 * hello's capabilities, contexts, handshakes and data over the in-memory pair, a
 * first flight in pieces, close_notify, truncation, sessions, a refusal in the
 * shim's words, and the failures the harness must survive: a shim that dies in a
 * handshake (a harness fault naming it; the next context starts a new process), one
 * that falls silent (bounded by TLSHARNESS_SHIM_TIMEOUT), a context it refuses; its
 * CPU time read; and no process or folder left after cleanup. */
#include "pairdrive.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "backends/shim.h"
#include "case_helpers.h"
#include "harness/kinds/kinds.h"

static struct th_shim_state fake_state = {.once = PTHREAD_ONCE_INIT};
static const struct th_shim_def fake_def = {
    .name = "fake",
    .library = "toy",
    .program = "fake_shim.py",
    .argv = {"python3", "{}"},
    .state = &fake_state,
};
TH_SHIM_BACKEND(fake, fake_def, "toy", 0);
static const struct th_backend *const F = &th_backend_fake;

static void test_caps(void)
{
    struct th_caps c;
    F->caps(&c);
    is_str(F->version(), "fake 1", "version from the hello");
    ok(c.roles == (TH_ROLE_CLIENT | TH_ROLE_SERVER), "roles from the hello");
    ok(c.versions == (V12 | V13), "versions from the hello");
    ok(c.n_suites == 2 && c.suites[0] == 0x1301 && c.n_groups == 1 && c.groups[0] == 29,
       "suites and groups by IANA id");
    ok(c.resume == TH_RESUME_BIT(TH_RESUME_TICKET), "resumption by ticket");
    ok((c.features & (TH_CAP_ALPN | TH_CAP_SNI | TH_CAP_RESTRICT_VERSIONS)) ==
           (TH_CAP_ALPN | TH_CAP_SNI | TH_CAP_RESTRICT_VERSIONS),
       "feature names to bits");
    ok((c.features & (TH_CAP_DRIVER_IO | TH_CAP_OUT_OF_PROCESS)) ==
               (TH_CAP_DRIVER_IO | TH_CAP_OUT_OF_PROCESS) &&
           !(c.features & TH_CAP_CRL),
       "driver I/O and out of process always; nothing it did not say");
    is_str(c.defaults_changed[0], "nothing: a toy stack", "the defaults it changes");
}

static void test_pair(void)
{
    struct run r;
    run_init2(&r, "rsa2048", F, F);
    if (handshake(&r) != 0)
        return;
    check_ok(&r, "shim vs shim");
    ok(r.cneg.version == TH_TLS13 && r.cneg.suite == 0x1301 && !r.cneg.resumed,
       "negotiated from H: TLS 1.3, TLS_AES_128_GCM_SHA256, full");
    struct th_error e = {0};
    ok(transfer(&r, 0, "GET / HTTP/1.1", &e) == 0, "data client to server (%s)", e.text);
    ok(transfer(&r, 1, "HTTP/1.1 200 OK", &e) == 0, "data server to client (%s)", e.text);
    char big[100000];
    memset(big, 'x', sizeof(big));
    size_t done = 0, got = 0, n;
    ok(F->write(r.c, big, sizeof(big), &done, &e) == TH_STEP_DONE && done == sizeof(big),
       "a 100000-byte write, in several frames, taken whole");
    for (int i = 0; i < 64 && got < sizeof(big); i++)
        if (F->read(r.s, big, sizeof(big), &n, &e) == TH_STEP_DONE)
            got += n;
    is_int(got, sizeof(big), "...and read whole at the other end");
    struct th_session *s = F->session_get(r.c);
    ok(s != NULL, "a session to resume");
    close_server_first(&r);
    disconnect(&r);
    if (s && connect_pair(&r, s) == 0) {
        check_ok(&r, "resumed");
        ok(r.cneg.resumed, "the shim resumed the session named");
        disconnect(&r);
    }
    F->session_free(s);
    r.ccfg.sni = "slow"; /* the first flight comes in three frames */
    F->ctx_free(r.cctx);
    struct th_error ce = {0};
    ok(F->ctx_new(&r.ccfg, &r.cctx, &ce) == 0, "another client context");
    if (connect_pair(&r, NULL) == 0) {
        check_ok(&r, "a first flight in pieces");
        close_client_first(&r);
        disconnect(&r);
    }
    run_free(&r);
}

/* The client's transport ends without close_notify: the server says truncated. */
static void test_truncated(void)
{
    struct run r;
    run_init2(&r, "rsa2048", F, F);
    if (handshake(&r) != 0)
        return;
    struct th_error e = {0};
    size_t n;
    char buf[16];
    th_mem_pair_close_client(&r.mp); /* the client's direction ends */
    enum th_step st = TH_STEP_WANT_READ;
    for (int i = 0; i < 8 && st == TH_STEP_WANT_READ; i++)
        st = F->read(r.s, buf, sizeof(buf), &n, &e);
    ok(st == TH_STEP_FAILED && e.outcome == TH_TRUNCATED && !e.file,
       "end of stream without close_notify: truncated, in the shim's words (%s)", e.text);
    run_free(&r);
}

static void test_refused(void)
{
    struct run r;
    run_init2(&r, "rsa2048", F, F);
    r.scfg.sni = "refuse";
    if (handshake(&r) != 0)
        return;
    ok(r.sst == TH_STEP_FAILED && r.serr.outcome == TH_UNKNOWN_CA && r.serr.code == 48 &&
           strcmp(r.serr.text, "toy: unknown CA") == 0 && !r.serr.file,
       "a refusal: the shim's outcome, code and text, no harness place");
    run_free(&r);
    struct th_tls_config cfg = {.role = TH_ROLE_CLIENT, .versions = V13, .hostname = "bad-config"};
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(F->ctx_new(&cfg, &ctx, &e) != 0 && e.code == 7 &&
           strstr(e.text, "cannot honour hostname bad-config"),
       "a context the shim refuses: its words (%s)", e.text);
}

/* The client's shim dies at its connection's first byte: a fault naming it; a new
 * context starts a new process and works. */
static void test_dies(void)
{
    struct run r;
    run_init2(&r, "rsa2048", F, F);
    r.ccfg.sni = "die";
    pid_t before = fake_state.proc[0] ? fake_state.proc[0]->pid : 0;
    if (handshake(&r) != 0)
        return;
    ok(r.cst == TH_STEP_FAILED && r.cerr.outcome == TH_INTERNAL_ERROR && r.cerr.file,
       "the shim died: a harness fault (%s)", r.cerr.text);
    ok(strstr(r.cerr.text, "shim fake (pid ") && strstr(r.cerr.text, "exited with status 3"),
       "...naming it and how");
    ok(before > 0 && kill(before, 0) != 0, "...and it is gone");
    run_free(&r);
    run_init2(&r, "rsa2048", F, F);
    if (handshake(&r) == 0)
        check_ok(&r, "after a death, the next context's handshake");
    ok(fake_state.proc[0] && fake_state.proc[0]->pid != before, "...in a new process");
    run_free(&r);
}

static void test_silent(void)
{
    struct run r;
    run_init2(&r, "rsa2048", F, F);
    r.scfg.sni = "silent";
    uint64_t t0 = th_now_ns();
    if (handshake(&r) != 0)
        return;
    double s = (double)(th_now_ns() - t0) / 1e9;
    ok(r.sst == TH_STEP_FAILED && r.serr.file && strstr(r.serr.text, "did not answer in 2 s"),
       "a silent shim: a fault after TLSHARNESS_SHIM_TIMEOUT (%s)", r.serr.text);
    ok(s < 8, "...in %.1f s", s);
    run_free(&r);
}

static void test_cpu_and_cleanup(void)
{
    struct run r;
    run_init2(&r, "rsa2048", F, F);
    if (make_ctxs(&r) != 0)
        return;
    uint64_t c0 = F->cpu_ns(r.cctx);
    for (int i = 0; i < 20; i++)
        if (connect_pair(&r, NULL) == 0)
            disconnect(&r);
    uint64_t c1 = F->cpu_ns(r.cctx);
    ok(c0 > 0 && c1 > c0, "the shim's CPU time read, and it grew (%.1f ms)",
       (double)(c1 - c0) / 1e6);
    run_free(&r);
    pid_t pids[2] = {fake_state.proc[0]->pid, fake_state.proc[1]->pid};
    char dirs[2][128];
    snprintf(dirs[0], sizeof(dirs[0]), "%s", fake_state.proc[0]->dir);
    snprintf(dirs[1], sizeof(dirs[1]), "%s", fake_state.proc[1]->dir);
    F->cleanup();
    ok(kill(pids[0], 0) != 0 && kill(pids[1], 0) != 0, "cleanup: both processes gone");
    ok(access(dirs[0], F_OK) != 0 && access(dirs[1], F_OK) != 0, "cleanup: their folders gone");
}

/* The kinds read the shim's CPU: bulk and handshake_rate figures include the work
 * its process did, over memory and over TCP. */
static void test_kinds(void)
{
    struct th_runner_opts o = {.pki_dir = pkidir};
    struct th_case_result r;
    struct th_case c = tc_case(TH_KIND_BULK, "t/bulk/fake-vs-fake", F, F);
    c.bulk.bytes = 1u << 20;
    c.repeat = 2;
    for (int tcp = 0; tcp < 2; tcp++) {
        c.transport = tcp ? TH_TRANSPORT_TCP : TH_TRANSPORT_MEMORY;
        th_run_case(&c, &o, &r);
        const struct th_metric *snd = tc_metric(&r, "send_ns_per_byte");
        const struct th_metric *rcv = tc_metric(&r, "recv_ns_per_byte");
        ok(r.status == TH_PASS && snd && rcv && snd->min > 0 && rcv->min > 0,
           "bulk %s through the shim: pass, send %.2f and receive %.2f ns/byte (%s)",
           tcp ? "over TCP" : "in memory", snd ? snd->median : 0, rcv ? rcv->median : 0, r.reason);
    }
    c = tc_case(TH_KIND_HANDSHAKE_RATE, "t/rate/fake-vs-fake", F, F);
    c.rate.count = 20;
    c.repeat = 2;
    c.s.sni = (char *)"x"; /* not "silent" or "die": a plain toy server */
    for (int tcp = 0; tcp < 2; tcp++) {
        c.transport = tcp ? TH_TRANSPORT_TCP : TH_TRANSPORT_MEMORY;
        th_run_case(&c, &o, &r);
        const struct th_metric *cu = tc_metric(&r, "client_us_per_handshake");
        const struct th_metric *su = tc_metric(&r, "server_us_per_handshake");
        ok(r.status == TH_PASS && cu && su && cu->min > 0 && su->min > 0,
           "handshake_rate %s through the shim: client %.1f, server %.1f us a handshake (%s)",
           tcp ? "over TCP" : "in memory", cu ? cu->median : 0, su ? su->median : 0, r.reason);
    }
}

int main(void)
{
    char tools[600];
    if (!getcwd(tools, sizeof(tools) - 20))
        return 1;
    strcat(tools, "/tests/tools");
    setenv("TLSHARNESS_SHIM_DIR", tools, 1);
    setenv("TLSHARNESS_SHIM_TIMEOUT", "2", 1);
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("shim") != 0)
        return pd_end();
    test_caps();
    test_pair();
    test_truncated();
    test_refused();
    test_dies();
    test_silent();
    test_kinds();
    test_cpu_and_cleanup();
    return pd_end();
}
