/* TLS 1.3 early data on the OpenSSL backend (openssl_early.c), in real handshakes over
 * the in-memory pair: a client that resumes and sends its first bytes as early data,
 * a server that takes them (handed to its first read), refuses them (the client sees
 * them rejected and nothing reaches the server's reads), or whose tickets allow none
 * (nothing is offered); the same early data replayed with the same session, refused
 * with anti-replay and taken without; and an early write with no session to resume. */
#include "pairdrive.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_openssl;

static const char msg[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";

/* A TLS 1.3 run whose server's tickets are as `early` says. */
static void init_early(struct run *r, enum th_early_server early, int anti_replay)
{
    run_init2(r, "rsa2048", B, B);
    r->ccfg.versions = r->scfg.versions = V13;
    r->ccfg.resume = TH_RESUME_TICKET;
    r->ccfg.early_send = 1;
    r->scfg.session_cache = 0; /* anti-replay must turn the cache on itself */
    r->scfg.early_data = early;
    r->scfg.anti_replay = anti_replay;
}

/* A first connection, a message each way (the ticket comes with it), its session. */
static struct th_session *first_session(struct run *r, const char *what)
{
    struct th_error e = {0};
    if (handshake(r) != 0)
        return NULL;
    check_ok(r, what);
    ok(transfer(r, 1, "ticket", &e) == 0, "%s: first connection carries data", what);
    struct th_session *s = B->session_get(r->c);
    ok(s != NULL, "%s: a session to resume", what);
    disconnect(r);
    return s;
}

/* A resumed connection that sends msg as early data first: *early the bytes taken,
 * then the handshake. 0 when it could be run. */
static int early_pair(struct run *r, struct th_session *sess, size_t *early, const char *what)
{
    struct th_error e = {0};
    th_mem_pair_init(&r->mp);
    memset(&r->cerr, 0, sizeof(r->cerr));
    memset(&r->serr, 0, sizeof(r->serr));
    if (B->conn_new(r->cctx, &r->mp.client_io, sess, &r->c, &e) != 0 ||
        B->conn_new(r->sctx, &r->mp.server_io, NULL, &r->s, &e) != 0) {
        ok(0, "%s: conn_new: %s", what, e.text);
        return -1;
    }
    *early = 0;
    enum th_step st = B->early_write(r->c, msg, strlen(msg), early, &e);
    is_int(st, TH_STEP_DONE, "%s: early_write is done (%s)", what, e.text);
    drive(r);
    check_ok(r, what);
    return 0;
}

/* What the server's first read brings, with nothing more written: the early data it
 * took, or nothing. */
static size_t server_first_read(struct run *r, char *buf, size_t cap)
{
    size_t got = 0;
    struct th_error e = {0};
    enum th_step st = B->read(r->s, buf, cap, &got, &e);
    return st == TH_STEP_DONE ? got : 0;
}

static void test_accepted(void)
{
    struct run r;
    size_t early = 0;
    char buf[256];
    init_early(&r, TH_EARLY_SERVER_ACCEPT, 1);
    struct th_session *s = first_session(&r, "accept");
    if (s && early_pair(&r, s, &early, "accept") == 0) {
        is_int(early, strlen(msg), "accept: the whole message went early");
        ok(r.cneg.resumed && r.cneg.early_offered && r.cneg.early_accepted,
           "accept: client says resumed, offered, accepted");
        ok(r.sneg.early_offered && r.sneg.early_accepted, "accept: server says it took it");
        is_int(r.cneg.early_bytes, strlen(msg), "accept: client counts the early bytes");
        is_int(r.sneg.early_bytes, strlen(msg), "accept: server counts the early bytes");
        size_t got = server_first_read(&r, buf, sizeof(buf));
        ok(got == strlen(msg) && memcmp(buf, msg, got) == 0,
           "accept: the server's first read is the early data (%zu bytes)", got);
        struct th_error e = {0};
        ok(transfer(&r, 1, "answer", &e) == 0, "accept: the connection goes on");
        ok(transfer(&r, 0, "more", &e) == 0, "accept: a normal write after it arrives alone");
        disconnect(&r);
    }
    if (s)
        B->session_free(s);
    run_free(&r);
}

/* reject: the ticket allows early data and the server refuses it; off: the ticket
 * allows none, so nothing is offered. The request must then go again after the
 * handshake, and the server must not see the refused bytes. */
static void expect_not_taken(enum th_early_server mode, const char *what)
{
    struct run r;
    size_t early = 0;
    char buf[256];
    init_early(&r, mode, 1);
    struct th_session *s = first_session(&r, what);
    if (s && early_pair(&r, s, &early, what) == 0) {
        int off = mode == TH_EARLY_SERVER_OFF;
        is_int(early, off ? 0 : strlen(msg), "%s: bytes the early write took", what);
        ok(r.cneg.resumed, "%s: still resumed", what);
        is_int(r.cneg.early_offered, !off, "%s: client offered early data", what);
        ok(!r.cneg.early_accepted && !r.sneg.early_accepted, "%s: neither end says accepted", what);
        is_int(r.sneg.early_offered, !off, "%s: server saw it offered", what);
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

/* The same session and early data twice more: the first resumption takes it; the
 * replay is refused with anti-replay (the ticket was single use: no resumption at
 * all) and taken without. */
static void expect_replay(int anti_replay, const char *what)
{
    struct run r;
    size_t early = 0;
    init_early(&r, TH_EARLY_SERVER_ACCEPT, anti_replay);
    struct th_session *s = first_session(&r, what);
    if (s && early_pair(&r, s, &early, what) == 0) {
        ok(r.cneg.early_accepted, "%s: the first early data is taken", what);
        disconnect(&r);
        if (early_pair(&r, s, &early, what) == 0) {
            is_int(r.cneg.early_accepted, !anti_replay, "%s: the replay is %s", what,
                   anti_replay ? "refused" : "taken");
            is_int(r.sneg.early_accepted, !anti_replay, "%s: the server agrees", what);
            is_int(r.cneg.resumed, !anti_replay, "%s: the replay %s", what,
                   anti_replay ? "is a full handshake" : "resumes");
            disconnect(&r);
        }
    }
    if (s)
        B->session_free(s);
    run_free(&r);
}

/* No session: nothing can go early (done 0), and the handshake is a full one. */
static void test_no_session(void)
{
    struct run r;
    size_t early = 99;
    init_early(&r, TH_EARLY_SERVER_ACCEPT, 1);
    if (make_ctxs(&r) == 0 && early_pair(&r, NULL, &early, "no session") == 0) {
        is_int(early, 0, "no session: the early write took nothing");
        ok(!r.cneg.early_offered && !r.cneg.resumed, "no session: nothing offered, full");
        disconnect(&r);
    }
    run_free(&r);
}

static void test_caps(void)
{
    struct th_caps c;
    B->caps(&c);
    ok((c.features & TH_CAP_EARLY_DATA) && (c.features & TH_CAP_ANTI_REPLAY),
       "caps: early data and anti-replay");
    ok(B->early_write != NULL, "the early_write op is set");
}

int main(void)
{
    if (pd_begin("openssl-early") != 0)
        return pd_end();
    test_caps();
    test_accepted();
    expect_not_taken(TH_EARLY_SERVER_REJECT, "reject");
    expect_not_taken(TH_EARLY_SERVER_OFF, "server off");
    expect_replay(1, "anti-replay");
    expect_replay(0, "no anti-replay");
    test_no_session();
    return pd_end();
}
