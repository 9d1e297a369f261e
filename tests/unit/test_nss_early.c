/* TLS 1.3 early data on the NSS backend (nss_early.c), in real handshakes over the
 * in-memory pair, NSS against itself and the OpenSSL backend both ways: a client
 * that resumes and sends its first bytes as early data, a server that takes them
 * (handed to its first read), refuses them, or whose tickets allow none; a replay
 * with the same session, which an NSS server takes again (its anti-replay filter
 * only catches a copied ClientHello); an early write with no session. */
#include "pairdrive.h"

extern const struct th_backend th_backend_nss;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_nss;
static const struct th_backend *const OSSL = &th_backend_openssl;

static const char msg[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

static void init_early(struct run *r, const struct th_backend *cb, const struct th_backend *sb,
                       enum th_early_server early)
{
    run_init2(r, "rsa2048", cb, sb);
    r->ccfg.versions = r->scfg.versions = V13;
    r->ccfg.resume = TH_RESUME_TICKET;
    r->ccfg.early_send = 1;
    r->scfg.session_cache = 0;
    r->scfg.early_data = early;
}

static struct th_session *first_session(struct run *r, const char *what)
{
    struct th_error e = {0};
    if (handshake(r) != 0)
        return NULL;
    check_ok(r, what);
    ok(transfer(r, 1, "ticket", &e) == 0, "%s: first connection carries data", what);
    struct th_session *s = r->cb->session_get(r->c);
    ok(s != NULL, "%s: a session to resume", what);
    disconnect(r);
    return s;
}

/* A resumed connection that sends msg as early data, then its handshake. */
static int early_pair(struct run *r, struct th_session *sess, size_t *early, const char *what)
{
    struct th_error e = {0};
    th_mem_pair_init(&r->mp);
    memset(&r->cerr, 0, sizeof(r->cerr));
    memset(&r->serr, 0, sizeof(r->serr));
    if (r->cb->conn_new(r->cctx, &r->mp.client_io, sess, &r->c, &e) != 0 ||
        r->sb->conn_new(r->sctx, &r->mp.server_io, NULL, &r->s, &e) != 0) {
        ok(0, "%s: conn_new: %s", what, e.text);
        return -1;
    }
    *early = 0;
    enum th_step st = r->cb->early_write(r->c, msg, strlen(msg), early, &e);
    is_int(st, TH_STEP_DONE, "%s: early_write is done (%s)", what, e.text);
    drive(r);
    check_ok(r, what);
    return 0;
}

static size_t server_first_read(struct run *r, char *buf, size_t cap)
{
    size_t got = 0;
    struct th_error e = {0};
    return r->sb->read(r->s, buf, cap, &got, &e) == TH_STEP_DONE ? got : 0;
}

static void expect_accepted(const struct th_backend *cb, const struct th_backend *sb)
{
    struct run r;
    size_t early = 0;
    char buf[256], what[64];
    snprintf(what, sizeof(what), "%s-%s accept", cb->name, sb->name);
    init_early(&r, cb, sb, TH_EARLY_SERVER_ACCEPT);
    struct th_session *s = first_session(&r, what);
    if (s && early_pair(&r, s, &early, what) == 0) {
        is_int(early, strlen(msg), "%s: the whole message went early", what);
        ok(r.cneg.resumed && r.cneg.early_offered && r.cneg.early_accepted,
           "%s: client says resumed, offered, accepted", what);
        ok(r.sneg.early_accepted && r.sneg.early_bytes == strlen(msg),
           "%s: server says it took %llu bytes", what, (unsigned long long)r.sneg.early_bytes);
        size_t got = server_first_read(&r, buf, sizeof(buf));
        ok(got == strlen(msg) && memcmp(buf, msg, got) == 0,
           "%s: the server's first read is the early data (%zu bytes)", what, got);
        struct th_error e = {0};
        ok(transfer(&r, 1, "answer", &e) == 0, "%s: the connection goes on", what);
        ok(transfer(&r, 0, "more", &e) == 0, "%s: a normal write after it arrives alone", what);
        disconnect(&r);
    }
    if (s)
        r.cb->session_free(s);
    run_free(&r);
}

/* reject: NSS refuses it (no anti-replay context); off: tickets allow none. */
static void expect_not_taken(enum th_early_server mode, const char *what)
{
    struct run r;
    size_t early = 0;
    char buf[256];
    init_early(&r, B, B, mode);
    struct th_session *s = first_session(&r, what);
    if (s && early_pair(&r, s, &early, what) == 0) {
        int off = mode == TH_EARLY_SERVER_OFF;
        is_int(early, off ? 0 : strlen(msg), "%s: bytes the early write took", what);
        ok(r.cneg.resumed, "%s: still resumed", what);
        is_int(r.cneg.early_offered, !off, "%s: client offered early data", what);
        ok(!r.cneg.early_accepted && !r.sneg.early_accepted, "%s: neither end says accepted", what);
        is_int(r.sneg.early_bytes, 0, "%s: server took no early bytes", what);
        is_int(server_first_read(&r, buf, sizeof(buf)), 0, "%s: nothing early to read", what);
        struct th_error e = {0};
        ok(transfer(&r, 0, msg, &e) == 0, "%s: the request sent again arrives", what);
        disconnect(&r);
    }
    if (s)
        B->session_free(s);
    run_free(&r);
}

/* A new ClientHello resuming the same ticket has a new binder: NSS takes it again,
 * anti_replay or not (the backend claims no TH_CAP_ANTI_REPLAY). */
static void test_replay(void)
{
    struct run r;
    size_t early = 0;
    init_early(&r, OSSL, B, TH_EARLY_SERVER_ACCEPT);
    r.scfg.anti_replay = 1;
    struct th_session *s = first_session(&r, "replay");
    for (int i = 0; s && i < 2 && early_pair(&r, s, &early, "replay") == 0; i++) {
        ok(r.cneg.early_accepted && r.sneg.early_accepted, "replay: taken (%d)", i + 1);
        disconnect(&r);
    }
    if (s)
        OSSL->session_free(s);
    run_free(&r);
}

static void test_no_session(void)
{
    struct run r;
    size_t early = 99;
    init_early(&r, B, B, TH_EARLY_SERVER_ACCEPT);
    if (make_ctxs(&r) == 0 && early_pair(&r, NULL, &early, "no session") == 0) {
        is_int(early, 0, "no session: the early write took nothing");
        ok(!r.cneg.early_offered && !r.cneg.resumed, "no session: nothing offered, full");
        disconnect(&r);
    }
    run_free(&r);
}

int main(void)
{
    if (pd_begin("nss-early") != 0)
        return pd_end();
    struct th_caps c;
    B->caps(&c);
    ok((c.features & TH_CAP_EARLY_DATA) && !(c.features & TH_CAP_ANTI_REPLAY),
       "caps: early data, no anti-replay");
    expect_accepted(B, B);
    expect_accepted(B, OSSL);
    expect_accepted(OSSL, B);
    expect_not_taken(TH_EARLY_SERVER_REJECT, "reject");
    expect_not_taken(TH_EARLY_SERVER_OFF, "server off");
    test_replay();
    test_no_session();
    return pd_end();
}
