/* The OpenSSL backend against itself: real handshakes over the in-memory pair with
 * the generated test PKI. Negative cases first-class: every refusal must map to the
 * right outcome and keep OpenSSL's own code and text. */
#include "tap.h"

#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../backends/backend.h"
#include "../harness/pki.h"
#include "../harness/transport.h"
#include "../harness/util.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_openssl;

static char tmpdir[] = "/tmp/th-openssl-XXXXXX";
static char pkidir[256];

#define V12 TH_VBIT(TH_TLS12)
#define V13 TH_VBIT(TH_TLS13)

/* One client and one server context, and the connection between them. */
struct run {
    struct th_tls_config ccfg, scfg;
    char ca[512], crl[512], chain[512], key[512];
    struct th_ctx *cctx, *sctx;
    struct th_mem_pair mp;
    struct th_conn *c, *s;
    enum th_step cst, sst;
    struct th_error cerr, serr;
    struct th_negotiated cneg, sneg;
};

static void pki_path(char *out, size_t cap, const char *file)
{
    snprintf(out, cap, "%s/%s", pkidir, file);
}

/* Defaults: TLS 1.2-1.3, library suites and groups, verify against root as
 * "localhost"; the server serves `leaf` with tickets and a cache. */
static void run_init(struct run *r, const char *leaf)
{
    memset(r, 0, sizeof(*r));
    char f[128];
    pki_path(r->ca, sizeof(r->ca), "root.pem");
    pki_path(r->crl, sizeof(r->crl), "crl.pem");
    snprintf(f, sizeof(f), "%s.chain.pem", leaf);
    pki_path(r->chain, sizeof(r->chain), f);
    snprintf(f, sizeof(f), "%s.key.pem", leaf);
    pki_path(r->key, sizeof(r->key), f);
    r->ccfg = (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                     .versions = V12 | V13,
                                     .ca_file = r->ca,
                                     .hostname = "localhost",
                                     .sni = "localhost",
                                     .verify = 1};
    r->scfg = (struct th_tls_config){.role = TH_ROLE_SERVER,
                                     .versions = V12 | V13,
                                     .cert_file = r->chain,
                                     .key_file = r->key,
                                     .tickets = 1,
                                     .session_cache = 1};
}

static int make_ctxs(struct run *r)
{
    struct th_error e = {0};
    if (B->ctx_new(&r->ccfg, &r->cctx, &e) != 0) {
        ok(0, "client ctx: %s", e.text);
        return -1;
    }
    if (B->ctx_new(&r->scfg, &r->sctx, &e) != 0) {
        ok(0, "server ctx: %s", e.text);
        return -1;
    }
    return 0;
}

static int final(enum th_step s)
{
    return s == TH_STEP_DONE || s == TH_STEP_FAILED;
}

/* Alternate the two ends until both are done or failed, or nothing moves. */
static void drive(struct run *r)
{
    r->cst = r->sst = TH_STEP_WANT_READ;
    for (int i = 0; i < 64 && !(final(r->cst) && final(r->sst)); i++) {
        uint64_t before = r->mp.c2s.total + r->mp.s2c.total + r->mp.c2s.len + r->mp.s2c.len;
        enum th_step c0 = r->cst, s0 = r->sst;
        if (!final(r->cst))
            r->cst = B->handshake(r->c, &r->cerr);
        if (!final(r->sst))
            r->sst = B->handshake(r->s, &r->serr);
        uint64_t after = r->mp.c2s.total + r->mp.s2c.total + r->mp.c2s.len + r->mp.s2c.len;
        if (before == after && c0 == r->cst && s0 == r->sst)
            break;
    }
    B->negotiated(r->c, &r->cneg);
    B->negotiated(r->s, &r->sneg);
}

/* A new connection on the existing contexts, driven through its handshake. */
static int connect_pair(struct run *r, struct th_session *resume)
{
    struct th_error e = {0};
    th_mem_pair_init(&r->mp);
    memset(&r->cerr, 0, sizeof(r->cerr));
    memset(&r->serr, 0, sizeof(r->serr));
    if (B->conn_new(r->cctx, &r->mp.client_io, resume, &r->c, &e) != 0 ||
        B->conn_new(r->sctx, &r->mp.server_io, NULL, &r->s, &e) != 0) {
        ok(0, "conn_new: %s", e.text);
        return -1;
    }
    drive(r);
    return 0;
}

static void disconnect(struct run *r)
{
    B->conn_free(r->c);
    B->conn_free(r->s);
    r->c = r->s = NULL;
    th_mem_pair_free(&r->mp);
}

static void run_free(struct run *r)
{
    if (r->mp.client_io.ctx)
        disconnect(r);
    B->ctx_free(r->cctx);
    B->ctx_free(r->sctx);
}

/* Make both contexts and one handshake; 0 when it could be run at all. */
static int handshake(struct run *r)
{
    if (make_ctxs(r) != 0)
        return -1;
    return connect_pair(r, NULL);
}

/* Send msg from one end and read it at the other (reading first processes any TLS
 * 1.3 tickets in front of it). */
static int transfer(struct th_conn *from, struct th_conn *to, const char *msg, struct th_error *err)
{
    size_t done = 0, got = 0;
    char buf[256];
    if (B->write(from, msg, strlen(msg), &done, err) != TH_STEP_DONE || done != strlen(msg))
        return -1;
    enum th_step st = TH_STEP_WANT_READ;
    for (int i = 0; i < 8 && st == TH_STEP_WANT_READ; i++)
        st = B->read(to, buf, sizeof(buf), &got, err);
    return st == TH_STEP_DONE && got == strlen(msg) && memcmp(buf, msg, got) == 0 ? 0 : -1;
}

static void check_ok(struct run *r, const char *what)
{
    if (!ok(r->cst == TH_STEP_DONE && r->sst == TH_STEP_DONE, "%s: handshake completes", what))
        printf("#   client %s: %s / server %s: %s\n", th_outcome_name(r->cerr.outcome),
               r->cerr.text, th_outcome_name(r->serr.outcome), r->serr.text);
}

static void check_failed(const struct th_error *e, enum th_step st, enum th_outcome want,
                         const char *what)
{
    ok(st == TH_STEP_FAILED, "%s: fails", what);
    is_str(th_outcome_name(e->outcome), th_outcome_name(want), "%s: outcome", what);
    ok(e->code != 0 && e->text[0] != '\0', "%s: native code %ld and text '%s'", what, e->code,
       e->text);
    ok(ERR_peek_error() == 0, "%s: no OpenSSL error left queued", what);
}

/* ---- successful handshakes ---- */

/* The first calls may race (TCP cases run the server in its own thread): every
 * thread must see the same, complete tables. */
static void *caps_thread(void *arg)
{
    struct th_caps *caps = arg;
    B->caps(caps);
    return NULL;
}

static void test_concurrent_init(void)
{
    static struct th_caps caps[4];
    pthread_t t[4];
    int started = 0;
    for (int i = 0; i < 4; i++)
        started += pthread_create(&t[i], NULL, caps_thread, &caps[i]) == 0;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    int same = started == 4 && caps[0].n_suites > 0;
    for (int i = 1; i < started; i++)
        same &= caps[i].n_suites == caps[0].n_suites;
    ok(same, "concurrent first use: %zu suites in every thread", caps[0].n_suites);
}

static void test_caps(void)
{
    struct th_caps caps;
    B->caps(&caps);
    int has1301 = 0, has1304 = 0, hasc02f = 0, has009c = 0, haspsk = 0, hasanon = 0, hasnull = 0;
    for (size_t i = 0; i < caps.n_suites; i++) {
        has1301 |= caps.suites[i] == 0x1301;
        has1304 |= caps.suites[i] == 0x1304;
        hasc02f |= caps.suites[i] == 0xC02F;
        has009c |= caps.suites[i] == 0x009C;
        haspsk |= caps.suites[i] == 0x00A8;  /* TLS_PSK_WITH_AES_128_GCM_SHA256 */
        hasanon |= caps.suites[i] == 0x00A6; /* TLS_DH_anon_WITH_AES_128_GCM_SHA256 */
        hasnull |= caps.suites[i] == 0x003B; /* TLS_RSA_WITH_NULL_SHA256 */
    }
    ok(has1301 && has1304 && hasc02f && has009c, "caps: TLS 1.3 (with CCM), ECDHE and RSA suites");
    ok(!haspsk && !hasanon && !hasnull, "caps: no PSK, anonymous or NULL-cipher suites");
    is_int(caps.roles, TH_ROLE_CLIENT | TH_ROLE_SERVER, "caps: both roles");
    is_int(caps.versions, TH_VERSIONS_ALL, "caps: TLS 1.0-1.3");
    ok(caps.n_groups == 10 && (caps.features & TH_CAP_DRIVER_IO), "caps: groups and driver I/O");
    ok(caps.features & TH_CAP_TRUNCATION, "caps: truncation (see test_truncation)");
    ok(strncmp(B->version(), "OpenSSL 3", 9) == 0, "version is '%s'", B->version());
}

/* versions, one suite and one group pinned on both ends; what both ends report. */
static void expect_negotiated(const char *leaf, unsigned versions, uint16_t suite, uint16_t group,
                              uint16_t want_version, uint16_t want_group)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s %s 0x%04x", leaf, th_version_name(want_version), suite);
    run_init(&r, leaf);
    r.ccfg.versions = versions;
    r.ccfg.suites[0] = suite;
    r.ccfg.n_suites = 1;
    if (group) {
        r.ccfg.groups[0] = group;
        r.ccfg.n_groups = 1;
    }
    if (handshake(&r) == 0) {
        check_ok(&r, what);
        is_int(r.cneg.version, want_version, "%s: version", what);
        is_int(r.cneg.suite, suite, "%s: suite", what);
        is_int(r.cneg.group, want_group, "%s: group (client)", what);
        is_int(r.sneg.group, want_group, "%s: group (server)", what);
        ok(r.sneg.suite == suite && r.sneg.version == want_version, "%s: server agrees", what);
    }
    run_free(&r);
}

static void test_negotiation(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    if (handshake(&r) == 0) {
        check_ok(&r, "defaults");
        is_int(r.cneg.version, TH_TLS13, "defaults: TLS 1.3");
        is_int(r.cneg.group, 0x001D, "defaults: x25519");
        ok(r.cneg.alpn[0] == '\0' && !r.cneg.resumed, "defaults: no ALPN, not resumed");
    }
    run_free(&r);
    expect_negotiated("rsa2048", V12 | V13, 0x1303, 0x0018, TH_TLS13, 0x0018);
    expect_negotiated("rsa2048", V12 | V13, 0x1301, 0x0100, TH_TLS13, 0x0100);
    expect_negotiated("rsa2048", V12, 0xC02F, 0x0017, TH_TLS12, 0x0017);
    /* RSA key transport has no group; the client still allows 1.3 but offers no
     * 1.3 suite. */
    expect_negotiated("rsa2048", V12 | V13, 0x009C, 0, TH_TLS12, 0);
    expect_negotiated("ecdsa-p256", V12, 0xC02B, 0x0017, TH_TLS12, 0x0017);
    expect_negotiated("ecdsa-p256", V13, 0x1302, 0x0017, TH_TLS13, 0x0017);
    expect_negotiated("rsa2048", V12, 0x009E, 0, TH_TLS12, 0);
}

/* TLS 1.0/1.1 work when asked for; a default client refuses a server stuck there. */
static void expect_old_version(unsigned cv, unsigned sv, uint16_t want, const char *what)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.ccfg.versions = cv;
    r.scfg.versions = sv;
    if (handshake(&r) == 0 && want) {
        check_ok(&r, what);
        is_int(r.cneg.version, want, "%s: version", what);
    } else if (r.c) {
        check_failed(&r.cerr, r.cst, TH_PROTOCOL_VERSION, what);
    }
    run_free(&r);
}

static void test_old_versions(void)
{
    expect_old_version(TH_VBIT(TH_TLS10), TH_VERSIONS_ALL, TH_TLS10, "TLS 1.0 when asked");
    expect_old_version(TH_VBIT(TH_TLS11), TH_VBIT(TH_TLS11), TH_TLS11, "TLS 1.1 both");
    expect_old_version(V12 | V13, TH_VBIT(TH_TLS11), 0, "default client vs 1.1 server");
    expect_old_version(V12 | V13, TH_VBIT(TH_TLS10), 0, "default client vs 1.0 server");
}

static void test_server_order(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = V12;
    r.ccfg.suites[0] = 0xC02F;
    r.ccfg.suites[1] = 0xC030;
    r.scfg.suites[0] = 0xC030;
    r.scfg.suites[1] = 0xC02F;
    r.ccfg.n_suites = r.scfg.n_suites = 2;
    r.scfg.prefer_server_order = 1;
    if (handshake(&r) == 0) {
        check_ok(&r, "server order");
        is_int(r.cneg.suite, 0xC030, "server order: the server's first");
    }
    run_free(&r);
}

/* ---- certificates the client must refuse ---- */

static void expect_cert(const char *leaf, const char *host, int crl, enum th_outcome want)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s as %s%s", leaf, host, crl ? " with CRL" : "");
    run_init(&r, leaf);
    r.ccfg.hostname = host;
    r.ccfg.crl_file = crl ? r.crl : NULL;
    if (handshake(&r) == 0) {
        if (want == TH_OK) {
            check_ok(&r, what);
        } else {
            check_failed(&r.cerr, r.cst, want, what);
            ok(r.sst == TH_STEP_FAILED && r.serr.code != 0 && r.serr.text[0],
               "%s: server sees the alert (%s: %s)", what, th_outcome_name(r.serr.outcome),
               r.serr.text);
        }
    }
    run_free(&r);
}

static void test_certificates(void)
{
    expect_cert("rsa2048", "localhost", 1, TH_OK);
    expect_cert("rsa2048", "127.0.0.1", 0, TH_OK);
    expect_cert("rsa2048", "::1", 0, TH_OK);
    expect_cert("rsa2048", "127.0.0.2", 0, TH_HOSTNAME_MISMATCH);
    expect_cert("rsa2048", "example.com", 0, TH_HOSTNAME_MISMATCH);
    expect_cert("wrong-host", "localhost", 0, TH_HOSTNAME_MISMATCH);
    expect_cert("expired", "localhost", 0, TH_EXPIRED);
    expect_cert("not-yet-valid", "localhost", 0, TH_NOT_YET_VALID);
    expect_cert("self-signed", "localhost", 0, TH_SELF_SIGNED);
    expect_cert("untrusted", "localhost", 0, TH_UNKNOWN_CA);
    expect_cert("no-intermediate", "localhost", 0, TH_UNKNOWN_CA);
    expect_cert("bad-eku", "localhost", 0, TH_BAD_EKU);
    expect_cert("bad-key-usage", "localhost", 0, TH_BAD_KEY_USAGE);
    expect_cert("rsa1024", "localhost", 0, TH_WEAK_KEY);
    expect_cert("sha1", "localhost", 0, TH_WEAK_SIGNATURE);
    expect_cert("bad-signature", "localhost", 0, TH_BAD_SIGNATURE);
    expect_cert("revoked", "localhost", 0, TH_OK);
    expect_cert("revoked", "localhost", 1, TH_REVOKED);
}

static void test_verify_off(void)
{
    struct run r;
    run_init(&r, "expired");
    r.ccfg.verify = 0;
    r.ccfg.hostname = "example.com";
    if (handshake(&r) == 0)
        check_ok(&r, "verify off accepts an expired, misnamed leaf");
    run_free(&r);
    run_init(&r, "rsa2048");
    r.ccfg.ca_file = NULL;
    if (handshake(&r) == 0)
        check_failed(&r.cerr, r.cst, TH_UNKNOWN_CA, "no trust anchors");
    run_free(&r);
}

/* ---- negotiation failures ---- */

static void expect_no_overlap(unsigned cv, uint16_t csuite, unsigned sv, uint16_t ssuite,
                              enum th_outcome want, const char *what)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.ccfg.versions = cv;
    r.scfg.versions = sv;
    r.ccfg.suites[0] = csuite;
    r.scfg.suites[0] = ssuite;
    r.ccfg.n_suites = csuite ? 1 : 0;
    r.scfg.n_suites = ssuite ? 1 : 0;
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, want, what);
        ok(r.cst == TH_STEP_FAILED && r.cerr.text[0], "%s: client fails too (%s: %s)", what,
           th_outcome_name(r.cerr.outcome), r.cerr.text);
    }
    run_free(&r);
}

static void test_no_overlap(void)
{
    expect_no_overlap(V13, 0x1301, V13, 0x1302, TH_NO_SHARED_CIPHER, "TLS 1.3 no shared suite");
    expect_no_overlap(V12, 0xC02F, V12, 0xC030, TH_NO_SHARED_CIPHER, "TLS 1.2 no shared suite");
    /* only a 1.3 suite on a client that allows 1.2: 1.2 is offered without a suite */
    expect_no_overlap(V12 | V13, 0x1301, V12, 0, TH_NO_SHARED_CIPHER, "1.3-only list vs 1.2");
    expect_no_overlap(V13, 0, V12, 0, TH_PROTOCOL_VERSION, "client 1.3 vs server 1.2");
    expect_no_overlap(V12, 0, V13, 0, TH_PROTOCOL_VERSION, "client 1.2 vs server 1.3");

    /* TLS 1.2 ECDSA: OpenSSL's server also needs the certificate's curve among the
     * client's groups (RFC 4492), so x25519 alone rules out a P-256 certificate. */
    struct run r;
    run_init(&r, "ecdsa-p256");
    r.ccfg.versions = r.scfg.versions = V12;
    r.ccfg.groups[0] = 0x001D;
    r.ccfg.n_groups = 1;
    r.ccfg.suites[0] = 0xC02B;
    r.ccfg.n_suites = 1;
    if (handshake(&r) == 0)
        check_failed(&r.serr, r.sst, TH_NO_SHARED_CIPHER, "TLS 1.2 ECDSA P-256 vs x25519 only");
    run_free(&r);

    run_init(&r, "rsa2048");
    r.ccfg.groups[0] = 0x001D;
    r.scfg.groups[0] = 0x0018;
    r.ccfg.n_groups = r.scfg.n_groups = 1;
    r.ccfg.versions = r.scfg.versions = V13;
    if (handshake(&r) == 0)
        check_failed(&r.serr, r.sst, TH_NO_SHARED_CIPHER, "TLS 1.3 no shared group");
    run_free(&r);
}

/* ---- resumption ---- */

/* Two connections on the same contexts; resumed as reported by the second. */
static void expect_resume(unsigned versions, int tickets, int cache, enum th_resume ask, int want,
                          const char *what)
{
    struct run r;
    struct th_error e = {0};
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = versions;
    r.ccfg.resume = ask;
    r.scfg.tickets = tickets;
    r.scfg.session_cache = cache;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, what);
    ok(transfer(r.s, r.c, "hello", &e) == 0, "%s: data arrives", what);
    struct th_session *sess = B->session_get(r.c);
    ok(want ? sess != NULL : 1, "%s: a session to resume", what);
    disconnect(&r); /* without close_notify: must not cost the session */
    /* twice from the same session, as a handshake benchmark does */
    for (int i = 0; i < 2 && connect_pair(&r, sess) == 0; i++) {
        check_ok(&r, what);
        is_int(r.cneg.resumed, want, "%s: client says resumed (%d)", what, i + 1);
        is_int(r.sneg.resumed, want, "%s: server says resumed (%d)", what, i + 1);
        disconnect(&r);
    }
    B->session_free(sess);
out:
    run_free(&r);
}

static void test_resumption(void)
{
    expect_resume(V13, 1, 0, TH_RESUME_TICKET, 1, "TLS 1.3 ticket");
    expect_resume(V12, 1, 0, TH_RESUME_TICKET, 1, "TLS 1.2 ticket");
    expect_resume(V12, 0, 1, TH_RESUME_SESSION_ID, 1, "TLS 1.2 session id");
    expect_resume(V13, 0, 1, TH_RESUME_SESSION_ID, 1, "TLS 1.3 stateful ticket");
    expect_resume(V13, 0, 0, TH_RESUME_TICKET, 0, "TLS 1.3 nothing to resume");
    expect_resume(V12, 0, 0, TH_RESUME_SESSION_ID, 0, "TLS 1.2 nothing to resume");
}

/* ---- ALPN ---- */

static void expect_alpn(const char *const *cl, size_t nc, const char *const *sl, size_t ns,
                        const char *want)
{
    struct run r;
    run_init(&r, "rsa2048");
    for (size_t i = 0; i < nc; i++)
        r.ccfg.alpn[i] = cl[i];
    for (size_t i = 0; i < ns; i++)
        r.scfg.alpn[i] = sl[i];
    r.ccfg.n_alpn = nc;
    r.scfg.n_alpn = ns;
    if (handshake(&r) == 0) {
        check_ok(&r, "ALPN");
        is_str(r.cneg.alpn, want, "ALPN: client sees '%s'", want);
        is_str(r.sneg.alpn, want, "ALPN: server chose '%s'", want);
    }
    run_free(&r);
}

static void test_alpn(void)
{
    static const char *const client[] = {"http/1.1", "h2"};
    static const char *const server[] = {"h2", "http/1.1"};
    static const char *const other[] = {"spdy/3"};
    expect_alpn(client, 2, server, 2, "h2");
    expect_alpn(client, 2, other, 1, "");
    expect_alpn(client, 2, NULL, 0, "");
}

/* ---- the record layer ---- */

static void test_bad_record_mac(unsigned versions, const char *what)
{
    struct run r;
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = versions;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, what);
    ok(transfer(r.s, r.c, "ping", &e) == 0, "%s: data arrives", what); /* drain tickets */
    ok(B->write(r.c, "hello, world", 12, &done, &e) == TH_STEP_DONE, "%s: write", what);
    /* flip one bit of the last byte in flight: inside the record's tag */
    struct th_queue *q = &r.mp.c2s;
    q->buf[(q->head + q->len - 1) % q->cap] ^= 0x01;
    enum th_step st = B->read(r.s, buf, sizeof(buf), &done, &r.serr);
    check_failed(&r.serr, st, TH_BAD_RECORD_MAC, what);
out:
    run_free(&r);
}

static void test_close(void)
{
    struct run r;
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    run_init(&r, "rsa2048");
    if (handshake(&r) != 0)
        goto out;
    ok(transfer(r.c, r.s, "GET /", &e) == 0, "close: request arrives");
    ok(B->shutdown(r.s, &e) == TH_STEP_DONE, "close: server sends close_notify");
    is_int(B->read(r.c, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED, "close: client sees it");
    is_int(B->shutdown(r.c, &e), TH_STEP_DONE, "close: client answers");
    is_int(B->read(r.s, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED, "close: server sees it");
    disconnect(&r);
    /* the client closes first and still reads the server's close_notify */
    if (connect_pair(&r, NULL) != 0)
        goto out;
    is_int(B->shutdown(r.c, &e), TH_STEP_DONE, "client first: close_notify sent");
    is_int(B->read(r.s, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED,
           "client first: server sees it");
    is_int(B->shutdown(r.s, &e), TH_STEP_DONE, "client first: server answers");
    is_int(B->read(r.c, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED,
           "client first: client sees it");
    ok(ERR_peek_error() == 0, "close: no OpenSSL error left queued");
    disconnect(&r);
    if (connect_pair(&r, NULL) != 0)
        goto out;
    ok(transfer(r.c, r.s, "GET /", &e) == 0, "truncated: request arrives");
    th_mem_pair_close_server(&r.mp); /* FIN without close_notify */
    enum th_step st = B->read(r.c, buf, sizeof(buf), &done, &r.cerr);
    check_failed(&r.cerr, st, TH_TRUNCATED, "EOF without close_notify");
out:
    run_free(&r);
}

/* A record cut short by the end of stream, in either version: still truncated. */
static void test_truncation(unsigned versions, const char *what)
{
    struct run r;
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = versions;
    if (handshake(&r) != 0)
        goto out;
    ok(transfer(r.c, r.s, "GET /", &e) == 0, "%s: request arrives", what);
    ok(B->write(r.s, "response", 8, &done, &e) == TH_STEP_DONE, "%s: response written", what);
    r.mp.s2c.len -= 3; /* the record's last bytes never arrive */
    th_mem_pair_close_server(&r.mp);
    enum th_step st = B->read(r.c, buf, sizeof(buf), &done, &r.cerr);
    check_failed(&r.cerr, st, TH_TRUNCATED, what);
out:
    run_free(&r);
}

/* ---- the data path ---- */

#define MIB (1024 * 1024)
#define CHUNK 16384

/* Read at `to` until nothing more is queued, appending at got. */
static int drain(struct th_conn *to, unsigned char *dst, size_t cap, size_t *got,
                 struct th_error *err)
{
    for (;;) {
        size_t n = 0;
        enum th_step st = B->read(to, dst + *got, cap - *got, &n, err);
        if (st == TH_STEP_WANT_READ)
            return 0;
        if (st != TH_STEP_DONE)
            return -1;
        *got += n;
        if (*got == cap)
            return 0;
    }
}

/* 1 MiB from one end to the other in 16 KiB writes, the receiver reading after each;
 * with ku, the sender asks for a KeyUpdate halfway. 0 when it arrived byte-exact;
 * *wire: the bytes the sender put on the wire (q is its outgoing queue). */
static int stream(struct th_conn *from, struct th_conn *to, struct th_queue *q, int ku,
                  uint64_t *wire, const char *what)
{
    struct th_error e = {0};
    unsigned char *src = malloc(MIB), *dst = calloc(1, MIB);
    size_t got = 0;
    uint64_t before = q->total;
    int rc = -1;
    th_pattern_fill(42, 0, src, MIB);
    for (size_t off = 0; off < MIB; off += CHUNK) {
        size_t done = 0;
        if (ku && off == MIB / 2 &&
            !ok(B->key_update(from, &e) == TH_STEP_DONE, "%s: KeyUpdate scheduled%s%s", what,
                e.text[0] ? ": " : "", e.text))
            goto out;
        if (B->write(from, src + off, CHUNK, &done, &e) != TH_STEP_DONE || done != CHUNK ||
            drain(to, dst, MIB, &got, &e) != 0) {
            ok(0, "%s: transfer at %zu: %s: %s", what, off, th_outcome_name(e.outcome), e.text);
            goto out;
        }
    }
    rc = got == MIB && memcmp(src, dst, MIB) == 0 ? 0 : -1;
out:
    *wire = q->total - before;
    free(src);
    free(dst);
    return rc;
}

/* A TLS 1.3 KeyUpdate record with a 16-byte tag: 5 header + 4 handshake header + 1
 * request byte + 1 inner content type + 16 tag. Comparing a stream's wire bytes with
 * a plain one's shows exactly one went out. */
#define KEY_UPDATE_RECORD 27

static void test_key_update(void)
{
    struct run r;
    struct th_error e = {0};
    uint64_t c0, c1, c2, s0, s1, s2;
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = V13;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, "KeyUpdate");
    ok(transfer(r.s, r.c, "tickets", &e) == 0, "KeyUpdate: tickets drained");
    ok(stream(r.s, r.c, &r.mp.s2c, 0, &s0, "plain s2c") == 0, "1 MiB s2c, no KeyUpdate");
    ok(stream(r.c, r.s, &r.mp.c2s, 0, &c0, "plain c2s") == 0, "1 MiB c2s, no KeyUpdate");
    ok(stream(r.c, r.s, &r.mp.c2s, 1, &c1, "c2s") == 0,
       "1 MiB c2s with a client KeyUpdate halfway arrives byte-exact");
    is_int(c1 - c0, KEY_UPDATE_RECORD, "c2s: one KeyUpdate record more on the wire");
    is_int(r.mp.s2c.len, 0, "c2s: the server answers only with its next write");
    ok(stream(r.s, r.c, &r.mp.s2c, 0, &s1, "s2c after") == 0,
       "1 MiB s2c after it arrives byte-exact");
    is_int(s1 - s0, KEY_UPDATE_RECORD, "s2c: the server's answering KeyUpdate went first");
    ok(stream(r.s, r.c, &r.mp.s2c, 1, &s2, "s2c") == 0,
       "1 MiB s2c with a server KeyUpdate halfway arrives byte-exact");
    is_int(s2 - s0, KEY_UPDATE_RECORD, "s2c: one KeyUpdate record more on the wire");
    ok(stream(r.c, r.s, &r.mp.c2s, 0, &c2, "c2s after") == 0,
       "1 MiB c2s after it arrives byte-exact");
    is_int(c2 - c0, KEY_UPDATE_RECORD, "c2s: the client answered the server's request");
    ok(ERR_peek_error() == 0, "KeyUpdate: no OpenSSL error left queued");
out:
    run_free(&r);
}

static void test_key_update_refused(void)
{
    struct run r;
    struct th_error e = {0};
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = V12;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, "TLS 1.2");
    is_int(B->key_update(r.c, &e), TH_STEP_FAILED, "KeyUpdate on TLS 1.2 fails");
    ok(e.text[0] != '\0', "KeyUpdate on TLS 1.2 says why: %s", e.text);
    ok(ERR_peek_error() == 0, "KeyUpdate on TLS 1.2: no OpenSSL error left queued");
    ok(transfer(r.c, r.s, "still", &e) == 0, "the TLS 1.2 connection still works");
    disconnect(&r);
    /* before the handshake: OpenSSL refuses (still in init) */
    th_mem_pair_init(&r.mp);
    memset(&e, 0, sizeof(e));
    if (B->conn_new(r.cctx, &r.mp.client_io, NULL, &r.c, &e) == 0 &&
        B->conn_new(r.sctx, &r.mp.server_io, NULL, &r.s, &e) == 0) {
        is_int(B->key_update(r.c, &e), TH_STEP_FAILED, "KeyUpdate before the handshake fails");
        ok(e.text[0] != '\0' && ERR_peek_error() == 0, "before the handshake: says why: %s",
           e.text);
    }
out:
    run_free(&r);
}

/* Each AEAD suite listed gets a finite positive cost; other suites and bad
 * arguments get -1 and a reason. */
static void test_aead_cost(void)
{
    struct th_caps caps;
    struct th_error e = {0};
    size_t n_aead = 0, n_good = 0;
    double ns = 0, gcm = 0;
    B->caps(&caps);
    for (size_t i = 0; i < caps.n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(caps.suites[i]);
        if (!s || strcmp(s->mac, "AEAD") != 0)
            continue;
        n_aead++;
        memset(&e, 0, sizeof(e));
        if (B->aead_cost(caps.suites[i], 16384, 0.005, &ns, &e) == 0 && isfinite(ns) && ns > 0)
            n_good++;
        else
            printf("#   %s: %g ns/byte: %s\n", s->name, ns, e.text);
        if (caps.suites[i] == 0x1301)
            gcm = ns;
    }
    ok(n_aead >= 5 && n_good == n_aead, "aead_cost: %zu of %zu AEAD suites measured", n_good,
       n_aead);
    ok(gcm > 0 && gcm < 1000, "aead_cost: AES-128-GCM %.3f ns/byte at 16 KiB", gcm);
    ok(B->aead_cost(0x1305, 1, 0.002, &ns, &e) == 0 && ns > 0, "aead_cost: CCM_8, 1-byte records");
    ok(B->aead_cost(0x1303, 100000, 0.002, &ns, &e) == 0 && ns > 0,
       "aead_cost: ChaCha20-Poly1305, 100000-byte records");

    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0xC013, 16384, 0.01, &ns, &e), -1, "aead_cost: CBC suite refused");
    ok(strstr(e.text, "not an AEAD") != NULL, "aead_cost: CBC says why: %s", e.text);
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0xFFFF, 16384, 0.01, &ns, &e), -1, "aead_cost: unknown suite refused");
    ok(e.text[0] != '\0', "aead_cost: unknown suite says why: %s", e.text);
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0x1301, 0, 0.01, &ns, &e), -1, "aead_cost: empty records refused");
    ok(e.text[0] != '\0', "aead_cost: empty records say why: %s", e.text);
    ok(ERR_peek_error() == 0, "aead_cost: no OpenSSL error left queued");
}

/* The transport failing outright is io_error, not a TLS outcome. */
static ssize_t broken_send(void *ctx, const void *buf, size_t len)
{
    return TH_IO_FAIL;
}
static ssize_t broken_recv(void *ctx, void *buf, size_t len)
{
    return TH_IO_FAIL;
}
static ssize_t idle_recv(void *ctx, void *buf, size_t len)
{
    return TH_IO_AGAIN;
}

static void expect_io_error(ssize_t (*recv_fn)(void *, void *, size_t), const char *what)
{
    struct run r;
    struct th_error e = {0};
    run_init(&r, "rsa2048");
    if (make_ctxs(&r) == 0) {
        struct th_io io = {.ctx = NULL, .send = broken_send, .recv = recv_fn};
        struct th_conn *c = NULL;
        if (B->conn_new(r.cctx, &io, NULL, &c, &e) == 0) {
            enum th_step st = B->handshake(c, &e);
            is_int(st, TH_STEP_FAILED, "%s: handshake fails", what);
            is_str(th_outcome_name(e.outcome), "io_error", "%s: io_error (%s)", what, e.text);
            ok(ERR_peek_error() == 0, "%s: no OpenSSL error left queued", what);
            B->conn_free(c);
        }
    }
    run_free(&r);
}

static void test_io_error(void)
{
    expect_io_error(broken_recv, "send and recv fail");
    expect_io_error(idle_recv, "send fails, recv would block");
}

/* ---- configuration errors ---- */

static void expect_bad_config(struct th_tls_config *cfg, const char *what)
{
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(B->ctx_new(cfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    ok(e.outcome == TH_INTERNAL_ERROR && e.text[0], "%s: says why: %s", what, e.text);
    ok(ERR_peek_error() == 0, "%s: no OpenSSL error left queued", what);
    B->ctx_free(ctx);
}

static void test_bad_config(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.scfg.cert_file = "/nonexistent.pem";
    expect_bad_config(&r.scfg, "missing certificate");
    run_init(&r, "rsa2048");
    r.scfg.key_file = r.ca; /* not the leaf's key */
    expect_bad_config(&r.scfg, "key that is not a key");
    run_init(&r, "rsa2048");
    r.ccfg.suites[0] = 0xFFFF;
    r.ccfg.n_suites = 1;
    expect_bad_config(&r.ccfg, "unknown suite");
    run_init(&r, "rsa2048");
    r.ccfg.groups[0] = 0x0999;
    r.ccfg.n_groups = 1;
    expect_bad_config(&r.ccfg, "unknown group");
    run_init(&r, "rsa2048");
    r.ccfg.crl_file = r.ca; /* holds no CRL */
    expect_bad_config(&r.ccfg, "CRL file without a CRL");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

int main(void)
{
    char err[256];
    if (!mkdtemp(tmpdir)) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    snprintf(pkidir, sizeof(pkidir), "%s/pki", tmpdir);
    if (!ok(th_pki_generate(pkidir, err, sizeof(err)) == 0, "test PKI generated")) {
        printf("#   %s\n", err);
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return done_testing();
    }
    test_concurrent_init();
    ok(B->init() == 0, "init");
    test_caps();
    test_negotiation();
    test_old_versions();
    test_server_order();
    test_certificates();
    test_verify_off();
    test_no_overlap();
    test_resumption();
    test_alpn();
    test_bad_record_mac(V13, "TLS 1.3 flipped bit");
    test_bad_record_mac(V12, "TLS 1.2 flipped bit");
    test_close();
    test_truncation(V13, "TLS 1.3 record cut by EOF");
    test_truncation(V12, "TLS 1.2 record cut by EOF");
    test_key_update();
    test_key_update_refused();
    test_aead_cost();
    test_io_error();
    test_bad_config();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
