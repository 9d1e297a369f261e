/* The OpenSSL backend against itself: real handshakes over the in-memory pair with
 * the generated test PKI. Negative cases first-class: every refusal must map to the
 * right outcome and keep OpenSSL's own code and text. */
#include "pairdrive.h"

#include <math.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/vocab/util.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_openssl;

static void run_init(struct run *r, const char *leaf)
{
    run_init2(r, leaf, B, B);
}

/* After every refusal: OpenSSL's error queue must be empty (one TAP test). */
static void no_error_queued(const struct th_error *e, const char *what)
{
    ok(ERR_peek_error() == 0, "%s: no OpenSSL error left queued", what);
}

/* ---- successful handshakes ---- */

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
    run_init(&r, leaf);
    r.ccfg.versions = versions;
    r.ccfg.suites[0] = suite;
    r.ccfg.n_suites = 1;
    expect_pinned(&r, leaf, suite, group, want_version, want_group);
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

static void test_old_versions(void)
{
    expect_old_version(B, B, V10, TH_VERSIONS_ALL, TH_TLS10, "TLS 1.0 when asked");
    expect_old_version(B, B, V11, V11, TH_TLS11, "TLS 1.1 both");
    expect_old_version(B, B, V12 | V13, V11, 0, "default client vs 1.1 server");
    expect_old_version(B, B, V12 | V13, V10, 0, "default client vs 1.0 server");
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
    char what[96];
    snprintf(what, sizeof(what), "%s as %s%s", leaf, host, crl ? " with CRL" : "");
    expect_cert_what(B, B, leaf, host, crl, want, what);
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
    /* both sent alone: error 20 on one certificate (test_openssl_cert.c) */
    expect_cert("untrusted", "localhost", 0, TH_INCOMPLETE_CHAIN);
    expect_cert("no-intermediate", "localhost", 0, TH_INCOMPLETE_CHAIN);
    expect_cert("bad-eku", "localhost", 0, TH_BAD_EKU);
    expect_cert("bad-key-usage", "localhost", 0, TH_BAD_KEY_USAGE);
    expect_cert("rsa1024", "localhost", 0, TH_WEAK_KEY);
    expect_cert("sha1", "localhost", 0, TH_WEAK_SIGNATURE);
    expect_cert("bad-signature", "localhost", 0, TH_BAD_SIGNATURE);
    expect_cert("revoked", "localhost", 0, TH_OK);
    expect_cert("revoked", "localhost", 1, TH_REVOKED);
}

/* ---- negotiation failures ---- */

static void test_no_overlap(void)
{
    expect_no_overlap(B, B, V13, 0x1301, V13, 0x1302, TH_NO_SHARED_CIPHER,
                      "TLS 1.3 no shared suite");
    expect_no_overlap(B, B, V12, 0xC02F, V12, 0xC030, TH_NO_SHARED_CIPHER,
                      "TLS 1.2 no shared suite");
    /* only a 1.3 suite on a client that allows 1.2: 1.2 is offered without a suite */
    expect_no_overlap(B, B, V12 | V13, 0x1301, V12, 0, TH_NO_SHARED_CIPHER, "1.3-only list vs 1.2");
    expect_no_overlap(B, B, V13, 0, V12, 0, TH_PROTOCOL_VERSION, "client 1.3 vs server 1.2");
    expect_no_overlap(B, B, V12, 0, V13, 0, TH_PROTOCOL_VERSION, "client 1.2 vs server 1.3");

    /* TLS 1.2 ECDSA: OpenSSL's server also needs the certificate's curve among the
     * client's groups (RFC 4492), so x25519 alone rules out a P-256 certificate. */
    struct run r;
    run_init(&r, "ecdsa-p256");
    r.ccfg.versions = r.scfg.versions = V12;
    r.ccfg.groups[0] = 0x001D;
    r.ccfg.n_groups = 1;
    r.ccfg.suites[0] = 0xC02B;
    r.ccfg.n_suites = 1;
    expect_server_fails(&r, TH_NO_SHARED_CIPHER, "TLS 1.2 ECDSA P-256 vs x25519 only");
    expect_no_shared_group(B, B);
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
    ok(transfer(&r, 1, "hello", &e) == 0, "%s: data arrives", what);
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

static void test_alpn(void)
{
    static const char *const client[] = {"http/1.1", "h2"};
    static const char *const server[] = {"h2", "http/1.1"};
    static const char *const other[] = {"spdy/3"};
    expect_alpn(B, B, client, 2, server, 2, "h2");
    expect_alpn(B, B, client, 2, other, 1, "");
    expect_alpn(B, B, client, 2, NULL, 0, "");
}

/* ---- the record layer ---- */

static void test_close(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    if (handshake(&r) != 0)
        goto out;
    close_server_first(&r);
    disconnect(&r);
    if (connect_pair(&r, NULL) != 0)
        goto out;
    close_client_first(&r);
    ok(ERR_peek_error() == 0, "close: no OpenSSL error left queued");
    disconnect(&r);
    if (connect_pair(&r, NULL) != 0)
        goto out;
    close_truncated(&r);
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
    ok(transfer(&r, 0, "GET /", &e) == 0, "%s: request arrives", what);
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
    ok(transfer(&r, 1, "tickets", &e) == 0, "KeyUpdate: tickets drained");
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
    ok(transfer(&r, 0, "still", &e) == 0, "the TLS 1.2 connection still works");
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

static void test_io_error(void)
{
    expect_io_error(B, broken_recv, "send and recv fail", no_error_queued);
    expect_io_error(B, idle_recv, "send fails, recv would block", no_error_queued);
}

/* ---- configuration errors ---- */

static void test_bad_config(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.scfg.cert_file = "/nonexistent.pem";
    expect_bad_config(B, &r.scfg, "missing certificate");
    run_init(&r, "rsa2048");
    r.scfg.key_file = r.ca; /* not the leaf's key */
    expect_bad_config(B, &r.scfg, "key that is not a key");
    run_init(&r, "rsa2048");
    r.ccfg.suites[0] = 0xFFFF;
    r.ccfg.n_suites = 1;
    expect_bad_config(B, &r.ccfg, "unknown suite");
    run_init(&r, "rsa2048");
    r.ccfg.groups[0] = 0x0999;
    r.ccfg.n_groups = 1;
    expect_bad_config(B, &r.ccfg, "unknown group");
    /* a CA or CRL file OpenSSL refuses is anchor_unusable: test_openssl_cert.c */
}

int main(void)
{
    pd_on_refusal = no_error_queued;
    if (pd_begin("openssl") != 0)
        return pd_end();
    test_concurrent_init(B, 0);
    ok(B->init() == 0, "init");
    test_caps();
    test_negotiation();
    test_old_versions();
    test_server_order();
    test_certificates();
    expect_verify_off(B, B);
    test_no_overlap();
    test_resumption();
    test_alpn();
    expect_bad_record_mac(B, B, V13, "TLS 1.3 flipped bit");
    expect_bad_record_mac(B, B, V12, "TLS 1.2 flipped bit");
    test_close();
    test_truncation(V13, "TLS 1.3 record cut by EOF");
    test_truncation(V12, "TLS 1.2 record cut by EOF");
    test_key_update();
    test_key_update_refused();
    test_aead_cost();
    test_io_error();
    test_bad_config();
    return pd_end();
}
