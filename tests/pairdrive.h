/* Included by the backend unit tests (test_openssl.c, test_gnutls.c, test_mbedtls.c):
 * the scaffolding they share. A test PKI in a temp folder, one client and one server
 * context (each end any backend) driven over the in-memory pair until both
 * handshakes end, data moved between them, and the checks and cases that read the
 * same for every library. What is particular to one library stays in its own test.
 *
 * Before including it a test may define PD_DEFAULT_VERSIONS, the versions both ends
 * allow unless a case says otherwise (TLS 1.2-1.3 when it does not). */
#ifndef TH_PAIRDRIVE_H
#define TH_PAIRDRIVE_H

#include "tap.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "harness/pki/pki.h"
#include "harness/io/transport.h"

#define V10 TH_VBIT(TH_TLS10)
#define V11 TH_VBIT(TH_TLS11)
#define V12 TH_VBIT(TH_TLS12)
#define V13 TH_VBIT(TH_TLS13)

#ifndef PD_DEFAULT_VERSIONS
#define PD_DEFAULT_VERSIONS (V12 | V13)
#endif

/* ---- the test PKI ---- */

static char pd_tmpdir[64];
static int pd_tmpdir_made;
static char pkidir[256];

static inline int pd_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* A temp folder /tmp/th-<name>-XXXXXX with the test PKI in it (one TAP test); 0 when
 * the tests can go on. Either way pd_end() then cleans up. */
static inline int pd_begin(const char *name)
{
    struct th_error err = {0};
    snprintf(pd_tmpdir, sizeof(pd_tmpdir), "/tmp/th-%s-XXXXXX", name);
    if (!mkdtemp(pd_tmpdir)) {
        ok(0, "mkdtemp");
        return -1;
    }
    pd_tmpdir_made = 1;
    snprintf(pkidir, sizeof(pkidir), "%s/pki", pd_tmpdir);
    if (!ok(th_pki_generate(pkidir, &err) == 0, "test PKI generated")) {
        printf("#   %s\n", err.text);
        return -1;
    }
    return 0;
}

/* Removes the temp folder; main's return value. */
static inline int pd_end(void)
{
    if (pd_tmpdir_made)
        nftw(pd_tmpdir, pd_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}

/* ---- one client and one server, each end either backend ---- */

struct run {
    const struct th_backend *cb, *sb;
    struct th_tls_config ccfg, scfg;
    char ca[512], crl[512], chain[512], key[512];
    struct th_ctx *cctx, *sctx;
    struct th_mem_pair mp;
    struct th_conn *c, *s;
    enum th_step cst, sst;
    struct th_error cerr, serr;
    struct th_negotiated cneg, sneg;
};

static inline void pki_path(char *out, size_t cap, const char *file)
{
    snprintf(out, cap, "%s/%s", pkidir, file);
}

/* Defaults: PD_DEFAULT_VERSIONS, library suites and groups, verify against root as
 * "localhost"; the server serves `leaf` with tickets and a cache. */
static inline void run_init2(struct run *r, const char *leaf, const struct th_backend *cb,
                             const struct th_backend *sb)
{
    memset(r, 0, sizeof(*r));
    char f[128];
    r->cb = cb;
    r->sb = sb;
    pki_path(r->ca, sizeof(r->ca), "root.pem");
    pki_path(r->crl, sizeof(r->crl), "crl.pem");
    snprintf(f, sizeof(f), "%s.chain.pem", leaf);
    pki_path(r->chain, sizeof(r->chain), f);
    snprintf(f, sizeof(f), "%s.key.pem", leaf);
    pki_path(r->key, sizeof(r->key), f);
    r->ccfg = (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                     .versions = PD_DEFAULT_VERSIONS,
                                     .ca_file = r->ca,
                                     .hostname = "localhost",
                                     .sni = "localhost",
                                     .verify = 1};
    r->scfg = (struct th_tls_config){.role = TH_ROLE_SERVER,
                                     .versions = PD_DEFAULT_VERSIONS,
                                     .cert_file = r->chain,
                                     .key_file = r->key,
                                     .tickets = 1,
                                     .session_cache = 1};
}

static inline int make_ctxs(struct run *r)
{
    struct th_error e = {0};
    if (r->cb->ctx_new(&r->ccfg, &r->cctx, &e) != 0) {
        ok(0, "client ctx: %s", e.text);
        return -1;
    }
    if (r->sb->ctx_new(&r->scfg, &r->sctx, &e) != 0) {
        ok(0, "server ctx: %s", e.text);
        return -1;
    }
    return 0;
}

static inline int final(enum th_step s)
{
    return s == TH_STEP_DONE || s == TH_STEP_FAILED;
}

/* Alternate the two ends until both are done or failed, or nothing moves. */
static inline void drive(struct run *r)
{
    r->cst = r->sst = TH_STEP_WANT_READ;
    for (int i = 0; i < 64 && !(final(r->cst) && final(r->sst)); i++) {
        uint64_t before = r->mp.c2s.total + r->mp.s2c.total + r->mp.c2s.len + r->mp.s2c.len;
        enum th_step c0 = r->cst, s0 = r->sst;
        if (!final(r->cst))
            r->cst = r->cb->handshake(r->c, &r->cerr);
        if (!final(r->sst))
            r->sst = r->sb->handshake(r->s, &r->serr);
        uint64_t after = r->mp.c2s.total + r->mp.s2c.total + r->mp.c2s.len + r->mp.s2c.len;
        if (before == after && c0 == r->cst && s0 == r->sst)
            break;
    }
    r->cb->negotiated(r->c, &r->cneg);
    r->sb->negotiated(r->s, &r->sneg);
}

/* A new connection on the existing contexts, driven through its handshake. */
static inline int connect_pair(struct run *r, struct th_session *resume)
{
    struct th_error e = {0};
    th_mem_pair_init(&r->mp);
    memset(&r->cerr, 0, sizeof(r->cerr));
    memset(&r->serr, 0, sizeof(r->serr));
    if (r->cb->conn_new(r->cctx, &r->mp.client_io, resume, &r->c, &e) != 0 ||
        r->sb->conn_new(r->sctx, &r->mp.server_io, NULL, &r->s, &e) != 0) {
        ok(0, "conn_new: %s", e.text);
        return -1;
    }
    drive(r);
    return 0;
}

static inline void disconnect(struct run *r)
{
    r->cb->conn_free(r->c);
    r->sb->conn_free(r->s);
    r->c = r->s = NULL;
    th_mem_pair_free(&r->mp);
}

static inline void run_free(struct run *r)
{
    if (r->mp.client_io.ctx)
        disconnect(r);
    if (r->cctx)
        r->cb->ctx_free(r->cctx);
    if (r->sctx)
        r->sb->ctx_free(r->sctx);
}

/* Make both contexts and one handshake; 0 when it could be run at all. */
static inline int handshake(struct run *r)
{
    if (make_ctxs(r) != 0)
        return -1;
    return connect_pair(r, NULL);
}

/* Send msg from one end and read it at the other (reading first processes any TLS
 * 1.3 tickets in front of it). to_client: the server writes, the client reads. */
static inline int transfer(struct run *r, int to_client, const char *msg, struct th_error *err)
{
    const struct th_backend *fb = to_client ? r->sb : r->cb, *tb = to_client ? r->cb : r->sb;
    struct th_conn *from = to_client ? r->s : r->c, *to = to_client ? r->c : r->s;
    size_t done = 0, got = 0;
    char buf[256];
    if (fb->write(from, msg, strlen(msg), &done, err) != TH_STEP_DONE || done != strlen(msg))
        return -1;
    enum th_step st = TH_STEP_WANT_READ;
    for (int i = 0; i < 8 && st == TH_STEP_WANT_READ; i++)
        st = tb->read(to, buf, sizeof(buf), &got, err);
    return st == TH_STEP_DONE && got == strlen(msg) && memcmp(buf, msg, got) == 0 ? 0 : -1;
}

/* ---- checks ---- */

/* Set by a test whose library has more to check after each refusal (check_failed,
 * expect_bad_config): one TAP test more each time, e.g. an empty error queue. */
static void (*pd_on_refusal)(const struct th_error *e, const char *what);

static inline int check_ok(struct run *r, const char *what)
{
    int pass =
        ok(r->cst == TH_STEP_DONE && r->sst == TH_STEP_DONE, "%s: handshake completes", what);
    if (!pass)
        printf("#   client %s: %s / server %s: %s\n", th_outcome_name(r->cerr.outcome),
               r->cerr.text, th_outcome_name(r->serr.outcome), r->serr.text);
    return pass;
}

static inline void check_failed(const struct th_error *e, enum th_step st, enum th_outcome want,
                                const char *what)
{
    ok(st == TH_STEP_FAILED, "%s: fails", what);
    is_str(th_outcome_name(e->outcome), th_outcome_name(want), "%s: outcome", what);
    ok(e->code != 0 && e->text[0] != '\0', "%s: native code %ld and text '%s'", what, e->code,
       e->text);
    if (pd_on_refusal)
        pd_on_refusal(e, what);
}

/* What both ends report after a handshake with one suite pinned. */
static inline void check_negotiated(struct run *r, uint16_t suite, uint16_t want_version,
                                    uint16_t want_group, const char *what)
{
    is_int(r->cneg.version, want_version, "%s: version", what);
    is_int(r->cneg.suite, suite, "%s: suite", what);
    is_int(r->cneg.group, want_group, "%s: group (client)", what);
    is_int(r->sneg.group, want_group, "%s: group (server)", what);
    ok(r->sneg.suite == suite && r->sneg.version == want_version, "%s: server agrees", what);
}

/* ---- cases every library runs alike ---- */

/* A run prepared with `leaf` and one suite pinned; `group` (0: the library's) pinned
 * on the client. One handshake, and what both ends report. */
static inline void expect_pinned(struct run *r, const char *leaf, uint16_t suite, uint16_t group,
                                 uint16_t want_version, uint16_t want_group)
{
    char what[96];
    snprintf(what, sizeof(what), "%s %s 0x%04x", leaf, th_version_name(want_version), suite);
    if (group) {
        r->ccfg.groups[0] = group;
        r->ccfg.n_groups = 1;
    }
    if (handshake(r) == 0) {
        check_ok(r, what);
        check_negotiated(r, suite, want_version, want_group, what);
    }
    run_free(r);
}

struct pd_caps_arg {
    const struct th_backend *b;
    struct th_caps caps;
};

static inline void *pd_caps_thread(void *arg)
{
    struct pd_caps_arg *a = arg;
    a->b->caps(&a->caps);
    return NULL;
}

/* The first calls may race (TCP cases run the server in its own thread): every
 * thread must see the same, complete tables (with groups: the group lists too). */
static inline void test_concurrent_init(const struct th_backend *b, int groups)
{
    static struct pd_caps_arg a[4];
    pthread_t t[4];
    int started = 0;
    for (int i = 0; i < 4; i++) {
        a[i].b = b;
        started += pthread_create(&t[i], NULL, pd_caps_thread, &a[i]) == 0;
    }
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    int same = started == 4 && a[0].caps.n_suites > 0;
    for (int i = 1; i < started; i++)
        same &= a[i].caps.n_suites == a[0].caps.n_suites &&
                (!groups || a[i].caps.n_groups == a[0].caps.n_groups);
    ok(same, "concurrent first use: %zu suites in every thread", a[0].caps.n_suites);
}

/* The client checks the server's `leaf` as `host`; a refusal must reach the server
 * as an alert. */
static inline void expect_cert_what(const struct th_backend *cb, const struct th_backend *sb,
                                    const char *leaf, const char *host, int crl,
                                    enum th_outcome want, const char *what)
{
    struct run r;
    run_init2(&r, leaf, cb, sb);
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

/* One handshake on a prepared run that the server and then the client refuse. */
static inline void expect_both_fail(struct run *r, enum th_outcome swant, enum th_outcome cwant,
                                    const char *what)
{
    if (handshake(r) == 0) {
        check_failed(&r->serr, r->sst, swant, what);
        check_failed(&r->cerr, r->cst, cwant, what);
    }
    run_free(r);
}

/* One handshake on a prepared run that the server refuses. */
static inline void expect_server_fails(struct run *r, enum th_outcome want, const char *what)
{
    if (handshake(r) == 0)
        check_failed(&r->serr, r->sst, want, what);
    run_free(r);
}

static inline void expect_verify_off(const struct th_backend *cb, const struct th_backend *sb)
{
    struct run r;
    run_init2(&r, "expired", cb, sb);
    r.ccfg.verify = 0;
    r.ccfg.hostname = "example.com";
    if (handshake(&r) == 0)
        check_ok(&r, "verify off accepts an expired, misnamed leaf");
    run_free(&r);
    run_init2(&r, "rsa2048", cb, sb);
    r.ccfg.ca_file = NULL;
    if (handshake(&r) == 0)
        check_failed(&r.cerr, r.cst, TH_UNKNOWN_CA, "no trust anchors");
    run_free(&r);
}

/* TLS 1.0/1.1 work when asked for; a default client refuses a server stuck there. */
static inline void expect_old_version(const struct th_backend *cb, const struct th_backend *sb,
                                      unsigned cv, unsigned sv, uint16_t want, const char *what)
{
    struct run r;
    run_init2(&r, "rsa2048", cb, sb);
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

/* Versions and one suite on each end (0: the library's) that do not meet: the
 * server refuses, and the client fails too. */
static inline void expect_no_overlap(const struct th_backend *cb, const struct th_backend *sb,
                                     unsigned cv, uint16_t csuite, unsigned sv, uint16_t ssuite,
                                     enum th_outcome want, const char *what)
{
    struct run r;
    run_init2(&r, "rsa2048", cb, sb);
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

/* TLS 1.3, x25519 against secp384r1 only. */
static inline void expect_no_shared_group(const struct th_backend *cb, const struct th_backend *sb)
{
    struct run r;
    run_init2(&r, "rsa2048", cb, sb);
    r.ccfg.groups[0] = 0x001D;
    r.scfg.groups[0] = 0x0018;
    r.ccfg.n_groups = r.scfg.n_groups = 1;
    r.ccfg.versions = r.scfg.versions = V13;
    expect_server_fails(&r, TH_NO_SHARED_CIPHER, "TLS 1.3 no shared group");
}

static inline void set_alpn(struct run *r, const char *const *cl, size_t nc, const char *const *sl,
                            size_t ns)
{
    for (size_t i = 0; i < nc; i++)
        r->ccfg.alpn[i] = cl[i];
    for (size_t i = 0; i < ns; i++)
        r->scfg.alpn[i] = sl[i];
    r->ccfg.n_alpn = nc;
    r->scfg.n_alpn = ns;
}

/* The protocols each end offers; what both end up with ("" for none). */
static inline void expect_alpn(const struct th_backend *cb, const struct th_backend *sb,
                               const char *const *cl, size_t nc, const char *const *sl, size_t ns,
                               const char *want)
{
    struct run r;
    run_init2(&r, "rsa2048", cb, sb);
    set_alpn(&r, cl, nc, sl, ns);
    if (handshake(&r) == 0) {
        check_ok(&r, "ALPN");
        is_str(r.cneg.alpn, want, "ALPN: client sees '%s'", want);
        is_str(r.sneg.alpn, want, "ALPN: server chose '%s'", want);
    }
    run_free(&r);
}

/* One bit of the last byte the client has in flight flipped (inside the record's
 * tag): the server must refuse the record as bad_record_mac. */
static inline void flip_and_read(struct run *r, const char *what)
{
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    ok(r->cb->write(r->c, "hello, world", 12, &done, &e) == TH_STEP_DONE, "%s: write", what);
    struct th_queue *q = &r->mp.c2s;
    q->buf[(q->head + q->len - 1) % q->cap] ^= 0x01;
    enum th_step st = r->sb->read(r->s, buf, sizeof(buf), &done, &r->serr);
    check_failed(&r->serr, st, TH_BAD_RECORD_MAC, what);
}

static inline void expect_bad_record_mac(const struct th_backend *cb, const struct th_backend *sb,
                                         unsigned versions, const char *what)
{
    struct run r;
    struct th_error e = {0};
    run_init2(&r, "rsa2048", cb, sb);
    r.ccfg.versions = r.scfg.versions = versions;
    if (handshake(&r) == 0) {
        check_ok(&r, what);
        ok(transfer(&r, 1, "ping", &e) == 0, "%s: data arrives", what); /* drain tickets */
        flip_and_read(&r, what);
    }
    run_free(&r);
}

/* ---- closing a connected pair ---- */

static inline void close_server_first(struct run *r)
{
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    ok(transfer(r, 0, "GET /", &e) == 0, "close: request arrives");
    ok(r->sb->shutdown(r->s, &e) == TH_STEP_DONE, "close: server sends close_notify");
    is_int(r->cb->read(r->c, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED, "close: client sees it");
    is_int(r->cb->shutdown(r->c, &e), TH_STEP_DONE, "close: client answers");
    is_int(r->sb->read(r->s, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED, "close: server sees it");
}

/* The client closes first and still reads the server's close_notify. */
static inline void close_client_first(struct run *r)
{
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    is_int(r->cb->shutdown(r->c, &e), TH_STEP_DONE, "client first: close_notify sent");
    is_int(r->sb->read(r->s, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED,
           "client first: server sees it");
    is_int(r->sb->shutdown(r->s, &e), TH_STEP_DONE, "client first: server answers");
    is_int(r->cb->read(r->c, buf, sizeof(buf), &done, &e), TH_STEP_CLOSED,
           "client first: client sees it");
}

/* The server's end goes away (FIN) without close_notify: truncated. */
static inline void close_truncated(struct run *r)
{
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    ok(transfer(r, 0, "GET /", &e) == 0, "truncated: request arrives");
    th_mem_pair_close_server(&r->mp);
    enum th_step st = r->cb->read(r->c, buf, sizeof(buf), &done, &r->cerr);
    check_failed(&r->cerr, st, TH_TRUNCATED, "EOF without close_notify");
}

/* ---- the transport failing ---- */

/* The transport failing outright is io_error, not a TLS outcome. */
static inline ssize_t broken_send(void *ctx, const void *buf, size_t len)
{
    return TH_IO_FAIL;
}
static inline ssize_t broken_recv(void *ctx, void *buf, size_t len)
{
    return TH_IO_FAIL;
}
static inline ssize_t idle_recv(void *ctx, void *buf, size_t len)
{
    return TH_IO_AGAIN;
}

/* A client of b whose sends fail; `more` checks what the library has to say
 * besides (one TAP test). */
static inline void expect_io_error(const struct th_backend *b,
                                   ssize_t (*recv_fn)(void *, void *, size_t), const char *what,
                                   void (*more)(const struct th_error *e, const char *what))
{
    struct run r;
    struct th_error e = {0};
    run_init2(&r, "rsa2048", b, b);
    if (make_ctxs(&r) == 0) {
        struct th_io io = {.ctx = NULL, .send = broken_send, .recv = recv_fn};
        struct th_conn *c = NULL;
        if (b->conn_new(r.cctx, &io, NULL, &c, &e) == 0) {
            enum th_step st = b->handshake(c, &e);
            is_int(st, TH_STEP_FAILED, "%s: handshake fails", what);
            is_str(th_outcome_name(e.outcome), "io_error", "%s: io_error (%s)", what, e.text);
            more(&e, what);
            b->conn_free(c);
        }
    }
    run_free(&r);
}

/* ---- configuration errors ---- */

static inline void expect_bad_config(const struct th_backend *b, struct th_tls_config *cfg,
                                     const char *what)
{
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(b->ctx_new(cfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    ok(e.outcome == TH_INTERNAL_ERROR && e.text[0], "%s: says why: %s", what, e.text);
    if (pd_on_refusal)
        pd_on_refusal(&e, what);
    if (ctx)
        b->ctx_free(ctx);
}

#endif
