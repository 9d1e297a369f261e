/* TLS 1.3 early data (0-RTT) on the GnuTLS backend, over the in-memory pair: a ticket
 * from a first connection, then a resumed one whose client sends its request early
 * (->early_write before the first handshake call), then the same early bytes once more
 * with the same session, as an attacker replaying the flight would. The server
 * accepts (with or without its replay cache), rejects, or allows none; what either
 * end reports in struct th_negotiated, and what the server's ->read hands out, are
 * checked each time. Then the same against the OpenSSL backend, each way, as far as
 * its caps say it takes part. */
#include "pairdrive.h"

#include <gnutls/gnutls.h>

extern const struct th_backend th_backend_gnutls;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const G = &th_backend_gnutls;
static const struct th_backend *const O = &th_backend_openssl;

static const char REQUEST[] = "GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n";

/* What one resumed connection did. */
struct early_seen {
    int handshake_ok;
    size_t taken;      /* ->early_write's *done */
    int server_got_it; /* the server's ->read handed out the request, once */
};

/* Read at the server until `want` bytes came or nothing moves. */
static size_t server_reads(struct run *r, char *buf, size_t cap, size_t want)
{
    size_t have = 0;
    struct th_error e = {0};
    for (int i = 0; i < 16 && have < want; i++) {
        size_t got = 0;
        enum th_step st = r->sb->read(r->s, buf + have, cap - have, &got, &e);
        if (st == TH_STEP_DONE)
            have += got;
        else if (st != TH_STEP_WANT_READ)
            break;
    }
    return have;
}

/* A resumed connection that writes `len` bytes of REQUEST early, rewrites what was
 * not taken after the handshake (as the driver does), and reads it at the server. */
static void early_connect(struct run *r, struct th_session *sess, size_t len,
                          struct early_seen *out)
{
    struct th_error e = {0};
    memset(out, 0, sizeof(*out));
    th_mem_pair_init(&r->mp);
    memset(&r->cerr, 0, sizeof(r->cerr));
    memset(&r->serr, 0, sizeof(r->serr));
    if (r->cb->conn_new(r->cctx, &r->mp.client_io, sess, &r->c, &e) != 0 ||
        r->sb->conn_new(r->sctx, &r->mp.server_io, NULL, &r->s, &e) != 0) {
        ok(0, "conn_new: %s", e.text);
        return;
    }
    if (r->cb->early_write &&
        r->cb->early_write(r->c, REQUEST, len, &out->taken, &e) != TH_STEP_DONE) {
        ok(0, "early_write: %s", e.text);
        return;
    }
    drive(r);
    out->handshake_ok = r->cst == TH_STEP_DONE && r->sst == TH_STEP_DONE;
    if (!out->handshake_ok)
        return;
    size_t rest = r->cneg.early_accepted ? len - out->taken : len, done = 0;
    const char *from = r->cneg.early_accepted ? REQUEST + out->taken : REQUEST;
    if (rest && (r->cb->write(r->c, from, rest, &done, &e) != TH_STEP_DONE || done != rest)) {
        ok(0, "rewrite: %s", e.text);
        return;
    }
    char buf[256];
    size_t got = server_reads(r, buf, sizeof(buf), len);
    out->server_got_it = got == len && memcmp(buf, REQUEST, len) == 0;
}

/* One server mode: a ticket, a resumed connection with early data, its replay. */
struct ecase {
    const struct th_backend *cb, *sb;
    enum th_early_server mode;
    int anti_replay;
    int want_offered, want_accepted, want_replay_accepted;
    int want_replay_resumed; /* an OpenSSL server with anti-replay takes a ticket once */
    const char *what;
};

static void check_conn(struct run *r, const struct early_seen *s, int resumed, int offered,
                       int accepted, size_t len, const char *what)
{
    if (!ok(s->handshake_ok, "%s: handshake completes", what)) {
        printf("#   client %s / server %s\n", r->cerr.text, r->serr.text);
        return;
    }
    is_int(r->cneg.resumed, resumed, "%s: resumed", what);
    /* a full handshake carries no early data: offered, then rejected */
    is_int(r->cneg.early_offered, offered, "%s: client says offered", what);
    is_int(r->cneg.early_accepted, accepted, "%s: client says accepted", what);
    is_int((int)r->cneg.early_bytes, offered ? (int)len : 0, "%s: client early bytes", what);
    is_int((int)s->taken, offered ? (int)len : 0, "%s: early_write took", what);
    is_int(r->sneg.early_accepted, accepted, "%s: server says accepted", what);
    is_int((int)r->sneg.early_bytes, accepted ? (int)len : 0, "%s: server early bytes", what);
    if (r->sb == G)
        is_int(r->sneg.early_offered, offered, "%s: server saw the offer", what);
    ok(s->server_got_it, "%s: the server reads the request once, early or rewritten", what);
}

static void run_case(const struct ecase *k)
{
    struct run r;
    struct th_error e = {0};
    char what[160];
    run_init2(&r, "rsa2048", k->cb, k->sb);
    r.ccfg.versions = r.scfg.versions = V13;
    r.ccfg.resume = TH_RESUME_TICKET;
    r.ccfg.early_send = 1;
    r.scfg.early_data = k->mode;
    r.scfg.anti_replay = k->anti_replay;
    if (handshake(&r) != 0)
        goto out;
    snprintf(what, sizeof(what), "%s->%s %s: first", k->cb->name, k->sb->name, k->what);
    check_ok(&r, what);
    ok(transfer(&r, 1, "ticket", &e) == 0, "%s: data arrives", what);
    struct th_session *sess = r.cb->session_get(r.c);
    if (!ok(sess != NULL, "%s: a session to resume", what))
        goto out;
    disconnect(&r);
    size_t len = strlen(REQUEST);
    struct early_seen s;
    snprintf(what, sizeof(what), "%s->%s %s: resumed", k->cb->name, k->sb->name, k->what);
    early_connect(&r, sess, len, &s);
    check_conn(&r, &s, 1, k->want_offered, k->want_accepted, len, what);
    disconnect(&r);
    snprintf(what, sizeof(what), "%s->%s %s: replayed", k->cb->name, k->sb->name, k->what);
    early_connect(&r, sess, len, &s);
    check_conn(&r, &s, k->want_replay_resumed, k->want_offered, k->want_replay_accepted, len, what);
    r.cb->session_free(sess);
out:
    run_free(&r);
}

static void test_gnutls_pair(void)
{
    const struct ecase cases[] = {
        {G, G, TH_EARLY_SERVER_ACCEPT, 1, 1, 1, 0, 1, "accept, anti-replay"},
        {G, G, TH_EARLY_SERVER_ACCEPT, 0, 1, 1, 1, 1, "accept, no anti-replay"},
        {G, G, TH_EARLY_SERVER_REJECT, 1, 1, 0, 0, 1, "reject"},
        {G, G, TH_EARLY_SERVER_REJECT, 0, 1, 0, 0, 1, "reject, no anti-replay"},
        /* tickets without early_data: the client offers nothing */
        {G, G, TH_EARLY_SERVER_OFF, 1, 0, 0, 0, 1, "server off"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(cases); i++)
        run_case(&cases[i]);
}

/* The other library on either side, where its caps say it takes part; a server
 * without early data is still a peer whose tickets allow none. */
static void test_openssl(void)
{
    struct th_caps oc;
    O->caps(&oc);
    int o_early = (oc.features & TH_CAP_EARLY_DATA) != 0;
    struct ecase off = {G, O, TH_EARLY_SERVER_OFF, 1, 0, 0, 0, 1, "server off"};
    run_case(&off);
    if (!o_early) {
        skip(1, "openssl lacks early data: the other cases wait for it");
        return;
    }
    const struct ecase cases[] = {
        {G, O, TH_EARLY_SERVER_ACCEPT, 1, 1, 1, 0, 0, "accept, anti-replay"},
        {G, O, TH_EARLY_SERVER_ACCEPT, 0, 1, 1, 1, 1, "accept, no anti-replay"},
        {G, O, TH_EARLY_SERVER_REJECT, 1, 1, 0, 0, 0, "reject"},
        {O, G, TH_EARLY_SERVER_ACCEPT, 1, 1, 1, 0, 1, "accept, anti-replay"},
        {O, G, TH_EARLY_SERVER_ACCEPT, 0, 1, 1, 1, 1, "accept, no anti-replay"},
        {O, G, TH_EARLY_SERVER_REJECT, 1, 1, 0, 0, 1, "reject"},
        {O, G, TH_EARLY_SERVER_OFF, 1, 0, 0, 0, 1, "server off"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(cases); i++)
        run_case(&cases[i]);
}

/* More than a ticket allows: early_write takes what fits (the server's limit is
 * 16384) and the rest goes after the handshake. A connection that is not resumed, or
 * a TLS 1.2 one, takes nothing early. */
static void test_limits(void)
{
    struct run r;
    struct th_error e = {0};
    static char big[20000];
    memset(big, 'x', sizeof(big));
    run_init2(&r, "rsa2048", G, G);
    r.ccfg.versions = r.scfg.versions = V13;
    r.ccfg.resume = TH_RESUME_TICKET;
    r.ccfg.early_send = 1;
    r.scfg.early_data = TH_EARLY_SERVER_ACCEPT;
    r.scfg.anti_replay = 1;
    if (make_ctxs(&r) != 0)
        goto out;
    th_mem_pair_init(&r.mp);
    size_t taken = 1;
    if (G->conn_new(r.cctx, &r.mp.client_io, NULL, &r.c, &e) != 0 ||
        G->conn_new(r.sctx, &r.mp.server_io, NULL, &r.s, &e) != 0)
        goto out;
    ok(G->early_write(r.c, "GET /", 5, &taken, &e) == TH_STEP_DONE && taken == 0,
       "not resumed: early_write takes nothing (%zu)", taken);
    drive(&r);
    check_ok(&r, "not resumed");
    is_int(r.cneg.early_offered, 0, "not resumed: nothing offered");
    ok(transfer(&r, 1, "ticket", &e) == 0, "not resumed: data arrives");
    struct th_session *sess = G->session_get(r.c);
    disconnect(&r);
    if (!ok(sess != NULL, "a session"))
        goto out;
    th_mem_pair_init(&r.mp);
    if (G->conn_new(r.cctx, &r.mp.client_io, sess, &r.c, &e) != 0 ||
        G->conn_new(r.sctx, &r.mp.server_io, NULL, &r.s, &e) != 0)
        goto out;
    ok(G->early_write(r.c, big, sizeof(big), &taken, &e) == TH_STEP_DONE && taken == 16384,
       "too much: early_write takes the ticket's 16384 (%zu)", taken);
    ok(G->early_write(r.c, big, 10, &taken, &e) == TH_STEP_DONE && taken == 0,
       "full: early_write takes nothing more (%zu)", taken);
    drive(&r);
    check_ok(&r, "too much");
    ok(r.cneg.early_accepted && r.sneg.early_bytes == 16384, "too much: server took 16384 (%llu)",
       (unsigned long long)r.sneg.early_bytes);
    static char got[20000];
    size_t n = 0, done = 0;
    ok(G->write(r.c, big + 16384, sizeof(big) - 16384, &done, &e) == TH_STEP_DONE,
       "too much: the rest goes after");
    for (int i = 0; i < 64 && n < sizeof(big); i++) {
        size_t k = 0;
        enum th_step st = G->read(r.s, got + n, sizeof(got) - n, &k, &e);
        if (st != TH_STEP_DONE && st != TH_STEP_WANT_READ)
            break;
        n += k;
    }
    ok(n == sizeof(big) && memcmp(got, big, n) == 0,
       "too much: the server reads all in order (%zu)", n);
    G->session_free(sess);
out:
    run_free(&r);
}

/* A client that asks for early data but whose driver queues none on a ticket that
 * allows it: GnuTLS made with GNUTLS_ENABLE_EARLY_DATA still offers early data (the
 * extension, then EndOfEarlyData, no bytes) and resumes: pinned here so a change in
 * the library shows. TLS 1.2 has no early data: a 1.2 session takes nothing and
 * offers nothing. */
static void test_nothing_queued(void)
{
    for (int v12 = 0; v12 <= 1; v12++) {
        const char *what = v12 ? "TLS 1.2 session" : "nothing queued";
        struct run r;
        struct th_error e = {0};
        run_init2(&r, "rsa2048", G, G);
        r.ccfg.versions = r.scfg.versions = v12 ? V12 : V13;
        r.ccfg.resume = TH_RESUME_TICKET;
        r.ccfg.early_send = 1;
        r.scfg.early_data = TH_EARLY_SERVER_ACCEPT;
        r.scfg.anti_replay = 1;
        if (handshake(&r) != 0)
            goto next;
        ok(transfer(&r, 1, "ticket", &e) == 0, "%s: data arrives", what);
        struct th_session *sess = G->session_get(r.c);
        disconnect(&r);
        if (!ok(sess != NULL, "%s: a session", what))
            goto next;
        size_t len = v12 ? 5 : 0;
        struct early_seen s;
        early_connect(&r, sess, len, &s);
        if (len == 0)
            s.server_got_it = 1; /* nothing to read */
        ok(s.handshake_ok && r.cneg.resumed, "%s: resumes", what);
        ok(!r.cneg.early_offered && r.sneg.early_offered == !v12 && r.sneg.early_accepted == !v12 &&
               r.sneg.early_bytes == 0 && s.taken == 0,
           "%s: nothing taken; the server sees an offer: %d, accepted %d, %llu bytes", what,
           r.sneg.early_offered, r.sneg.early_accepted, (unsigned long long)r.sneg.early_bytes);
        G->session_free(sess);
    next:
        run_free(&r);
    }
}

/* The resumed connection needs a HelloRetryRequest: the server takes only secp384r1,
 * which the client lists but sends no key share for. RFC 8446 4.1.2 and 4.2.10: the
 * client's second ClientHello drops early_data, and the server skips the early data
 * records of the first flight; the handshake then goes on in 1-RTT.
 * FINDING: GnuTLS 3.7.9 does neither. Its client sends early_data again in the second
 * ClientHello ("Sending extension Early Data/42" after "HELLO RETRY REQUEST was
 * received"): against GnuTLS both ends fail with GNUTLS_E_INVALID_REQUEST ("The
 * request is invalid."), against OpenSSL the handshake stalls, neither end moving.
 * Its server, after sending the HRR, tries to decrypt the early records and fails
 * with GNUTLS_E_DECRYPTION_FAILED ("Decryption has failed.", alert bad_record_mac);
 * gnutls-serv --earlydata with %SERVER_PRECEDENCE against `openssl s_client
 * -early_data` shows the same. Pinned here: a pass of the other kind means the
 * library changed. */
enum hrr_end { HRR_FAILS, HRR_STALLS };

static void test_hrr(const struct th_backend *cb, const struct th_backend *sb, enum hrr_end want,
                     enum th_outcome outcome, long code)
{
    struct run r;
    struct th_error e = {0};
    char what[96];
    snprintf(what, sizeof(what), "%s->%s early data after HRR", cb->name, sb->name);
    run_init2(&r, "rsa2048", cb, sb);
    r.ccfg.versions = r.scfg.versions = V13;
    r.ccfg.resume = TH_RESUME_TICKET;
    r.ccfg.early_send = 1;
    r.scfg.early_data = TH_EARLY_SERVER_ACCEPT;
    r.scfg.anti_replay = 1;    /* 0 fails alike: the replay cache plays no part */
    r.ccfg.groups[0] = 0x001d; /* x25519 and secp256r1: the key shares */
    r.ccfg.groups[1] = 0x0017;
    r.ccfg.groups[2] = 0x0018; /* secp384r1: listed, no key share */
    r.ccfg.n_groups = 3;
    r.scfg.groups[0] = 0x0018;
    r.scfg.n_groups = 1;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, what);
    ok(transfer(&r, 1, "ticket", &e) == 0, "%s: data arrives", what);
    struct th_session *sess = r.cb->session_get(r.c);
    disconnect(&r);
    if (!ok(sess != NULL, "%s: a session", what))
        goto out;
    struct early_seen s;
    early_connect(&r, sess, strlen(REQUEST), &s);
    is_int((int)s.taken, (int)strlen(REQUEST), "%s: the request went early", what);
    if (want == HRR_STALLS) {
        ok(r.cst == TH_STEP_WANT_READ && r.sst == TH_STEP_WANT_READ,
           "%s: FINDING: stalls, both ends waiting (%d, %d)", what, r.cst, r.sst);
    } else {
        const struct th_error *fe = sb == G ? &r.serr : &r.cerr;
        ok(r.cst == TH_STEP_FAILED && r.sst == TH_STEP_FAILED && fe->outcome == outcome &&
               fe->code == code,
           "%s: FINDING: fails, %s %ld '%s'", what, th_outcome_name(fe->outcome), fe->code,
           fe->text);
    }
    r.cb->session_free(sess);
out:
    run_free(&r);
}

static void test_caps(void)
{
    struct th_caps c;
    G->caps(&c);
    ok((c.features & TH_CAP_EARLY_DATA) && (c.features & TH_CAP_ANTI_REPLAY) && G->early_write,
       "gnutls declares early data and anti-replay, and has early_write");
}

int main(void)
{
    if (pd_begin("gnutls-early") == 0) {
        test_caps();
        test_gnutls_pair();
        test_limits();
        test_nothing_queued();
        test_hrr(G, G, HRR_FAILS, TH_HANDSHAKE_FAILURE, GNUTLS_E_INVALID_REQUEST);
        test_hrr(O, G, HRR_FAILS, TH_BAD_RECORD_MAC, GNUTLS_E_DECRYPTION_FAILED);
        test_hrr(G, O, HRR_STALLS, TH_OK, 0);
        test_openssl();
    }
    return pd_end();
}
