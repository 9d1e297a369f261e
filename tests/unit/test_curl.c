/* The libcurl client backends, both flavours, against in-process HTTPS servers over
 * loopback TCP: `tlsharness serve`'s server (th_serve, keep-alive, /bytes/N) and a
 * small one-connection-at-a-time server of this file whose TLS settings each case
 * chooses (versions, suites, tickets, a session cache). Every refusal must map to
 * the right outcome and keep curl's own code and text; each capability a flavour
 * declares, or does not, is checked against what it does. */
#include "pairdrive.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/http/serve.h"
#include "harness/vocab/util.h"

extern const struct th_backend th_backend_curl_openssl;
extern const struct th_backend th_backend_curl_gnutls;
extern const struct th_backend th_backend_openssl;

static const struct th_backend *const flavours[] = {&th_backend_curl_openssl,
                                                    &th_backend_curl_gnutls};
#define N_FLAVOURS TH_ARRAY_LEN(flavours)
/* The server role under every server here. */
static const struct th_backend *const SB = &th_backend_openssl;

#define SEC 1000000000ull

static char ca_root[512], ca_untrusted[512], crl_file[512];

static struct th_tls_config client_cfg(void)
{
    return (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                  .versions = V12 | V13,
                                  .ca_file = ca_root,
                                  .hostname = "localhost",
                                  .sni = "localhost",
                                  .verify = 1};
}

static int has_id(const uint16_t *ids, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ---- th_serve in a thread ---- */

struct bg_serve {
    const char *cert;
    uint16_t port;
    pthread_t th;
    volatile sig_atomic_t stop;
    volatile int done;
    int rc;
    FILE *log;
};

static void *bg_serve_main(void *arg)
{
    struct bg_serve *s = arg;
    s->rc = th_serve(SB, "127.0.0.1", s->port, s->cert, pkidir, 120, &s->stop, s->log);
    s->done = 1;
    return NULL;
}

/* Up when a TCP connection to it succeeds; th_serve takes a port, so a free one is
 * found by binding port 0 first, and tried again should another process take it. */
static int bg_wait_up(struct bg_serve *s)
{
    uint64_t deadline = th_now_ns() + 3 * SEC, ns;
    while (th_now_ns() < deadline && !s->done) {
        int fd = th_tcp_connect("127.0.0.1", s->port, th_now_ns() + SEC / 5, &ns);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        usleep(10000);
    }
    return -1;
}

static int bg_serve_start(struct bg_serve *s, const char *cert)
{
    memset(s, 0, sizeof(*s));
    s->cert = cert;
    s->log = tmpfile();
    for (int attempt = 0; attempt < 5; attempt++) {
        uint16_t port = 0;
        int fd = th_tcp_listen("127.0.0.1", &port);
        if (fd < 0)
            continue;
        close(fd);
        s->port = port;
        s->stop = 0;
        s->done = 0;
        if (pthread_create(&s->th, NULL, bg_serve_main, s) != 0)
            return -1;
        if (bg_wait_up(s) == 0)
            return 0;
        s->stop = 1;
        pthread_join(s->th, NULL);
    }
    return -1;
}

static void bg_serve_stop(struct bg_serve *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    if (s->log)
        fclose(s->log);
}

/* ---- a server of our own: one connection at a time, its settings chosen ---- */

enum tsrv_mode {
    TS_ANSWER,   /* a 200 with "tsrv\n", then close_notify */
    TS_TRUNCATE, /* announce 100 bytes, send 5, close */
    TS_SILENT,   /* listen, never accept: the peer a time limit exists for */
};

#define TS_MAX 4

struct tsrv {
    struct th_tls_config cfg;
    char chain[512], key[512];
    enum tsrv_mode mode;
    struct th_ctx *ctx;
    int lfd;
    uint16_t port;
    pthread_t th;
    volatile int stop;
    int conns; /* handshakes attempted */
    struct th_negotiated neg[TS_MAX];
    struct th_error err[TS_MAX];
};

static void tsrv_init(struct tsrv *s, const char *leaf)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->chain, sizeof(s->chain), "%s/%s.chain.pem", pkidir, leaf);
    snprintf(s->key, sizeof(s->key), "%s/%s.key.pem", pkidir, leaf);
    s->cfg = (struct th_tls_config){
        .role = TH_ROLE_SERVER, .versions = V12 | V13, .cert_file = s->chain, .key_file = s->key};
    s->lfd = -1;
}

static int ts_wait(int fd, enum th_step st, uint64_t deadline)
{
    return th_tcp_wait(fd, st == TH_STEP_WANT_WRITE, deadline) == 1 ? 0 : -1;
}

static int ts_write(struct th_conn *c, int fd, const char *buf, size_t len, uint64_t deadline)
{
    struct th_error e;
    while (len) {
        size_t done = 0;
        enum th_step st = SB->write(c, buf, len, &done, &e);
        buf += done;
        len -= done;
        if (st == TH_STEP_FAILED || (st != TH_STEP_DONE && ts_wait(fd, st, deadline) != 0))
            return -1;
    }
    return 0;
}

/* Read until the request head is in; 0 once it is. */
static int ts_read_head(struct th_conn *c, int fd, uint64_t deadline)
{
    char buf[4096];
    size_t have = 0;
    struct th_error e;
    while (have < sizeof(buf) - 1) {
        size_t got = 0;
        enum th_step st = SB->read(c, buf + have, sizeof(buf) - 1 - have, &got, &e);
        have += got;
        buf[have] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return 0;
        if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED ||
            (st != TH_STEP_DONE && ts_wait(fd, st, deadline) != 0))
            return -1;
    }
    return -1;
}

static void ts_respond(struct tsrv *s, struct th_conn *c, int fd, uint64_t deadline)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
                             "tsrv\n";
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ntsrv\n";
    struct th_error e;
    if (ts_read_head(c, fd, deadline) != 0)
        return;
    if (s->mode == TS_TRUNCATE) {
        (void)ts_write(c, fd, cut, strlen(cut), deadline);
        return; /* closed without close_notify */
    }
    if (ts_write(c, fd, ok, strlen(ok), deadline) == 0)
        (void)SB->shutdown(c, &e);
}

static void ts_serve_one(struct tsrv *s, int fd)
{
    struct th_tcp t;
    struct th_conn *c = NULL;
    struct th_error e = {0};
    uint64_t deadline = th_now_ns() + 5 * SEC;
    int i = s->conns < TS_MAX ? s->conns : TS_MAX - 1;
    th_tcp_init(&t, fd);
    s->conns++;
    if (SB->conn_new(s->ctx, &t.io, NULL, &c, &e) != 0) {
        s->err[i] = e;
        th_tcp_close(&t);
        return;
    }
    enum th_step st;
    while ((st = SB->handshake(c, &e)) == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE)
        if (ts_wait(fd, st, deadline) != 0)
            break;
    SB->negotiated(c, &s->neg[i]);
    s->err[i] = e;
    if (st == TH_STEP_DONE)
        ts_respond(s, c, fd, deadline);
    SB->conn_free(c);
    th_tcp_close(&t);
}

static void *tsrv_main(void *arg)
{
    struct tsrv *s = arg;
    uint64_t end = th_now_ns() + 60 * SEC;
    while (!s->stop && th_now_ns() < end) {
        if (s->mode == TS_SILENT) {
            usleep(20000);
            continue;
        }
        int fd = th_tcp_accept(s->lfd, th_now_ns() + SEC / 10);
        if (fd >= 0)
            ts_serve_one(s, fd);
    }
    return NULL;
}

static int tsrv_start(struct tsrv *s)
{
    struct th_error e = {0};
    if (SB->ctx_new(&s->cfg, &s->ctx, &e) != 0) {
        ok(0, "test server context: %s", e.text);
        return -1;
    }
    s->port = 0;
    s->lfd = th_tcp_listen("127.0.0.1", &s->port);
    if (s->lfd < 0 || pthread_create(&s->th, NULL, tsrv_main, s) != 0) {
        ok(0, "test server listens");
        return -1;
    }
    return 0;
}

static void tsrv_stop(struct tsrv *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->lfd);
    SB->ctx_free(s->ctx);
}

/* ---- checks ---- */

static void result_free(struct th_fetch_result *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static int fetch_ok(const struct th_backend *b, const struct th_fetch_result *r, int rc,
                    const char *what)
{
    int pass = ok(rc == 0 && r->err.outcome == TH_OK, "%s %s: fetch succeeds", b->name, what);
    if (!pass)
        printf("#   %s (%ld): %s\n", th_outcome_name(r->err.outcome), r->err.code, r->err.text);
    return pass;
}

/* A refusal: the outcome, and curl's own code and text beside it. */
static void fetch_fails(const struct th_backend *b, const struct th_fetch_result *r, int rc,
                        enum th_outcome want, const char *what)
{
    ok(rc != 0, "%s %s: fetch fails", b->name, what);
    is_str(th_outcome_name(r->err.outcome), th_outcome_name(want), "%s %s: outcome", b->name, what);
    ok(r->err.text[0] != '\0', "%s %s: native code %ld, text '%s'", b->name, what, r->err.code,
       r->err.text);
    ok(r->body == NULL, "%s %s: no body handed out", b->name, what);
}

/* A configuration the flavour cannot honour: refused before any connection. */
static void fetch_refused(const struct th_backend *b, const struct th_tls_config *cfg,
                          uint16_t port, const char *needle, const char *what)
{
    struct th_fetch_result r;
    int rc = b->fetch(cfg, "127.0.0.1", port, "/", 5, &r);
    ok(rc != 0 && r.err.outcome == TH_INTERNAL_ERROR, "%s %s: refused as internal_error (%s)",
       b->name, what, th_outcome_name(r.err.outcome));
    ok(strstr(r.err.text, needle) != NULL, "%s %s: says why: '%s'", b->name, what, r.err.text);
    result_free(&r);
}

/* ---- identity and capabilities ---- */

static void test_identity(const struct th_backend *b, const char *tls)
{
    struct th_caps caps;
    b->caps(&caps);
    ok(strncmp(b->version(), "libcurl/", 8) == 0 && strstr(b->version(), tls),
       "%s: version '%s' names libcurl and %s", b->name, b->version(), tls);
    is_int(caps.roles, TH_ROLE_CLIENT, "%s: client role only", b->name);
    ok((caps.features & TH_CAP_OWN_SOCKET) && !(caps.features & TH_CAP_DRIVER_IO),
       "%s: owns its socket, no driver I/O", b->name);
    ok(b->fetch && !b->ctx_new && !b->conn_new && !b->handshake && !b->conn_free && !b->session_get,
       "%s: only fetch among the connection ops", b->name);
    ok(caps.n_suites > 5 && has_id(caps.suites, caps.n_suites, 0x1301) &&
           has_id(caps.suites, caps.n_suites, 0xC02F),
       "%s: %zu suites, TLS 1.3 and ECDHE among them", b->name, caps.n_suites);
    ok(caps.n_groups >= 3 && has_id(caps.groups, caps.n_groups, 0x001D),
       "%s: %zu groups, x25519 among them", b->name, caps.n_groups);
    ok(!(caps.features & TH_CAP_ALPN), "%s: no free ALPN list (http/1.1 only)", b->name);
}

/* The GnuTLS flavour negotiates what curl's priority string enables: no PSK, no
 * anonymous, no NULL suite, and no CBC-SHA256/384 suites NORMAL leaves out. */
static void test_gnutls_suite_list(void)
{
    struct th_caps caps;
    th_backend_curl_gnutls.caps(&caps);
    ok(!has_id(caps.suites, caps.n_suites, 0x00A8) && !has_id(caps.suites, caps.n_suites, 0x003B),
       "curl-gnutls: no PSK or NULL suites in caps");
    ok(!(caps.features & (TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS)) &&
           (caps.features & TH_CAP_RESTRICT_VERSIONS),
       "curl-gnutls: restricts versions, not suites or groups");
    th_backend_curl_openssl.caps(&caps);
    ok((caps.features &
        (TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS | TH_CAP_RESTRICT_VERSIONS)) ==
           (TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS | TH_CAP_RESTRICT_VERSIONS),
       "curl-openssl: restricts versions, suites and groups");
}

/* ---- GET against th_serve ---- */

static void test_get(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "GET /")) {
        is_int(r.http_status, 200, "%s GET /: status", b->name);
        ok(r.body_len > 10 && memcmp(r.body, "tlsharness openssl", 18) == 0,
           "%s GET /: the server's page (%zu bytes)", b->name, r.body_len);
        is_int(r.neg.version, TH_TLS13, "%s GET /: TLS 1.3", b->name);
        const struct th_suite_info *si = th_suite_by_id(r.neg.suite);
        /* The page names the suite the server negotiated: both ends must agree. */
        ok(si && r.body && memmem(r.body, r.body_len, si->name, strlen(si->name)),
           "%s GET /: suite %s as the server saw it", b->name, si ? si->name : "(none)");
        ok(r.neg.group == 0x001D || r.neg.group == 0x0017, "%s GET /: group 0x%04x", b->name,
           r.neg.group);
        ok(!r.neg.resumed && r.neg.alpn[0] == '\0', "%s GET /: not resumed, no ALPN", b->name);
    }
    result_free(&r);
}

static void test_bytes(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    size_t n = 300000;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/bytes/300000", 5, &r);
    if (fetch_ok(b, &r, rc, "GET /bytes/300000")) {
        unsigned char *want = th_xmalloc(n);
        th_pattern_fill(0, 0, want, n);
        ok(r.body_len == n && memcmp(r.body, want, n) == 0, "%s: %zu pattern bytes intact", b->name,
           r.body_len);
        free(want);
    }
    result_free(&r);
    rc = b->fetch(&cfg, "127.0.0.1", port, "/no-such-page", 5, &r);
    if (fetch_ok(b, &r, rc, "GET /no-such-page"))
        is_int(r.http_status, 404, "%s: a 404 is an HTTP status, not a TLS failure", b->name);
    result_free(&r);
}

/* Names: an IP literal checked against IP SANs, a wrong name refused unless
 * verification is off, and no name at all checks the chain only. */
static void test_names(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.hostname = "127.0.0.1";
    cfg.sni = NULL;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "hostname 127.0.0.1 (IP SAN)");
    result_free(&r);
    cfg.hostname = "::1"; /* in the URL, while it connects to 127.0.0.1 */
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "hostname ::1 (IPv6 SAN)");
    result_free(&r);
    cfg.hostname = "127.0.0.2"; /* connects to 127.0.0.1, checks .2 */
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_HOSTNAME_MISMATCH, "hostname 127.0.0.2");
    result_free(&r);
    cfg = client_cfg();
    cfg.hostname = cfg.sni = "wrong.example";
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_HOSTNAME_MISMATCH, "hostname wrong.example");
    result_free(&r);
    cfg.verify = 0;
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "hostname wrong.example, verify off");
    result_free(&r);
    cfg = client_cfg();
    cfg.hostname = NULL;
    cfg.sni = NULL;
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "no hostname: chain only");
    result_free(&r);
    cfg = client_cfg();
    cfg.hostname = "127.0.0.1";
    cfg.sni = NULL;
    rc = b->fetch(&cfg, "localhost", port, "/", 5, &r); /* a host given by name */
    fetch_ok(b, &r, rc, "host localhost, hostname 127.0.0.1");
    result_free(&r);
    cfg = client_cfg();
    cfg.ca_file = NULL; /* no trust anchors: not the system's either */
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_UNKNOWN_CA, "no CA file");
    result_free(&r);
    cfg.ca_file = ca_untrusted;
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_UNKNOWN_CA, "another root");
    result_free(&r);
}

static void test_versions(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    static const struct {
        unsigned set;
        uint16_t want;
    } pins[] = {{V12, TH_TLS12}, {V13, TH_TLS13}, {V10 | V11 | V12, TH_TLS12}};
    for (size_t i = 0; i < TH_ARRAY_LEN(pins); i++) {
        char what[64];
        cfg.versions = pins[i].set;
        snprintf(what, sizeof(what), "versions up to %s", th_version_name(pins[i].want));
        int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
        if (fetch_ok(b, &r, rc, what))
            is_int(r.neg.version, pins[i].want, "%s %s: negotiated", b->name, what);
        result_free(&r);
    }
    cfg.versions = V11 | V13;
    fetch_refused(b, &cfg, port, "version range", "TLS 1.1 and 1.3 without 1.2");
}

/* The server refuses the leaf: each with the outcome the flavour's TLS library
 * reports through its own backend (see scenarios/cert). */
struct cert_case {
    const char *leaf;
    int crl;
    enum th_outcome want[2]; /* curl-openssl, curl-gnutls */
};

static const struct cert_case cert_cases[] = {
    {"expired", 0, {TH_EXPIRED, TH_EXPIRED}},
    {"not-yet-valid", 0, {TH_NOT_YET_VALID, TH_NOT_YET_VALID}},
    {"wrong-host", 0, {TH_HOSTNAME_MISMATCH, TH_HOSTNAME_MISMATCH}},
    {"untrusted", 0, {TH_UNKNOWN_CA, TH_UNKNOWN_CA}},
    {"self-signed", 0, {TH_SELF_SIGNED, TH_SELF_SIGNED}},
    {"revoked", 1, {TH_REVOKED, TH_REVOKED}},
    {"revoked", 0, {TH_OK, TH_OK}},
    {"rsa2048", 1, {TH_OK, TH_OK}},
    /* A finding: libcurl-gnutls 7.88 checks the chain without a key purpose, so a
     * clientAuth-only leaf passes (the GnuTLS backend, which asks for serverAuth,
     * refuses it). */
    {"bad-eku", 0, {TH_BAD_EKU, TH_OK}},
    {"bad-signature", 0, {TH_BAD_SIGNATURE, TH_BAD_SIGNATURE}},
    {"sha1", 0, {TH_WEAK_SIGNATURE, TH_WEAK_SIGNATURE}},
    {"rsa1024", 0, {TH_WEAK_KEY, TH_OK}},
    {"no-intermediate", 0, {TH_UNKNOWN_CA, TH_UNKNOWN_CA}},
    {"ecdsa-p256", 0, {TH_OK, TH_OK}},
};

static void test_certs(void)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(cert_cases); i++) {
        const struct cert_case *k = &cert_cases[i];
        struct bg_serve s;
        if (!ok(bg_serve_start(&s, k->leaf) == 0, "th_serve with %s", k->leaf))
            continue;
        for (size_t f = 0; f < N_FLAVOURS; f++) {
            const struct th_backend *b = flavours[f];
            struct th_tls_config cfg = client_cfg();
            struct th_fetch_result r;
            char what[64];
            cfg.crl_file = k->crl ? crl_file : NULL;
            snprintf(what, sizeof(what), "leaf %s%s", k->leaf, k->crl ? " with CRL" : "");
            int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
            if (k->want[f] == TH_OK)
                fetch_ok(b, &r, rc, what);
            else
                fetch_fails(b, &r, rc, k->want[f], what);
            result_free(&r);
        }
        bg_serve_stop(&s);
    }
}

/* Fetches from several threads at once, both flavours side by side: each keeps
 * its own handle, and the body and details are each its own. */
struct conc_arg {
    const struct th_backend *b;
    uint16_t port;
    int good;
};

static void *conc_main(void *arg)
{
    struct conc_arg *a = arg;
    for (int i = 0; i < 5; i++) {
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        unsigned char want[20000];
        th_pattern_fill(0, 0, want, sizeof(want));
        if (a->b->fetch(&cfg, "127.0.0.1", a->port, "/bytes/20000", 5, &r) == 0 &&
            r.body_len == sizeof(want) && memcmp(r.body, want, sizeof(want)) == 0 &&
            r.neg.version == TH_TLS13)
            a->good++;
        result_free(&r);
    }
    return NULL;
}

static void test_concurrent(uint16_t port)
{
    struct conc_arg a[4];
    pthread_t t[4];
    int started = 0, good = 0;
    for (int i = 0; i < 4; i++) {
        a[i] = (struct conc_arg){.b = flavours[i % N_FLAVOURS], .port = port};
        started += pthread_create(&t[i], NULL, conc_main, &a[i]) == 0;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        good += a[i].good;
    }
    is_int(good, 20, "20 fetches from 4 threads, both flavours at once, all intact");
}

/* ---- against our own server ---- */

/* Pinning a suite: curl-openssl offers exactly it; curl-gnutls refuses the list,
 * since its library would offer its defaults instead (see test_gnutls_ignores). */
static void test_suites(uint16_t port)
{
    const struct th_backend *b = &th_backend_curl_openssl;
    static const struct {
        unsigned versions;
        uint16_t suite, group;
    } pins[] = {{V12 | V13, 0xC030, 0x0018},  /* AES-256-GCM over P-384, capping at 1.2 */
                {V12 | V13, 0x1303, 0x0100},  /* ChaCha20 over ffdhe2048 */
                {V12, 0x009C, 0},             /* RSA key transport: no group */
                {V12 | V13, 0xC02B, 0x001D}}; /* ECDSA suite: refused by an RSA server */
    for (size_t i = 0; i < TH_ARRAY_LEN(pins); i++) {
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        char what[64];
        cfg.versions = pins[i].versions;
        cfg.suites[0] = pins[i].suite;
        cfg.n_suites = 1;
        if (pins[i].group) {
            cfg.groups[0] = pins[i].group;
            cfg.n_groups = 1;
        }
        snprintf(what, sizeof(what), "suite 0x%04x group 0x%04x", pins[i].suite, pins[i].group);
        int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
        if (pins[i].suite == 0xC02B) {
            fetch_fails(b, &r, rc, TH_HANDSHAKE_FAILURE, what);
        } else if (fetch_ok(b, &r, rc, what)) {
            is_int(r.neg.suite, pins[i].suite, "%s %s: suite", b->name, what);
            is_int(r.neg.group, pins[i].group, "%s %s: group", b->name, what);
        }
        result_free(&r);
    }
    struct th_tls_config cfg = client_cfg();
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    fetch_refused(&th_backend_curl_gnutls, &cfg, port, "cannot restrict cipher suites", "a suite");
    cfg.n_suites = 0;
    cfg.groups[0] = 0x001D;
    cfg.n_groups = 1;
    fetch_refused(&th_backend_curl_gnutls, &cfg, port, "cannot restrict groups", "a group");
}

/* Only TLS 1.3 suites asked for, TLS 1.2 still allowed: the 1.2 list must be empty,
 * not curl's default, so a TLS 1.2-only server finds no suite in common. */
static void test_tls13_suites_only(void)
{
    const struct th_backend *b = &th_backend_curl_openssl;
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = V12;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_HANDSHAKE_FAILURE, "TLS 1.3 suite only vs a TLS 1.2 server");
    result_free(&r);
    tsrv_stop(&s);
    is_str(th_outcome_name(s.err[0].outcome), "no_shared_cipher",
           "%s TLS 1.3 suite only: the server found no suite in common", b->name);
}

/* Configurations curl cannot express, refused before connecting. */
static void test_refusals(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    cfg.alpn[0] = "h2";
    cfg.n_alpn = 1;
    fetch_refused(b, &cfg, port, "http/1.1", "ALPN h2");
    cfg = client_cfg();
    cfg.sni = "other.example";
    fetch_refused(b, &cfg, port, "server_name", "SNI other than the host name");
    cfg.sni = NULL;
    fetch_refused(b, &cfg, port, "server_name", "no SNI for a DNS host name");
    cfg = client_cfg();
    cfg.role = TH_ROLE_SERVER;
    fetch_refused(b, &cfg, port, "client role", "server role");
}

static void test_alpn(const struct th_backend *b)
{
    struct tsrv s;
    static const char *const protos[] = {"http/1.1"};
    tsrv_init(&s, "rsa2048");
    s.cfg.alpn[0] = protos[0];
    s.cfg.n_alpn = 1;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "no ALPN asked"))
        is_str(r.neg.alpn, "", "%s: no ALPN offered, none selected", b->name);
    result_free(&r);
    cfg.alpn[0] = "http/1.1";
    cfg.n_alpn = 1;
    rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "ALPN http/1.1")) {
        is_str(r.neg.alpn, "http/1.1", "%s: ALPN http/1.1 selected", b->name);
        ok(r.body_len == 5 && memcmp(r.body, "tsrv\n", 5) == 0, "%s: body from our server",
           b->name);
    }
    result_free(&r);
    tsrv_stop(&s);
}

/* One resuming fetch against a server with tickets and/or a session cache: 1 when
 * the second connection resumed (the client and the server agreeing), 0 when not,
 * -1 when the fetch failed. */
static int resumed(const struct th_backend *b, unsigned versions, int tickets, int cache,
                   enum th_resume how, const char *what)
{
    struct tsrv s;
    int got = -1;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = versions;
    s.cfg.tickets = tickets;
    s.cfg.session_cache = cache;
    if (tsrv_start(&s) != 0)
        return -1;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.versions = versions;
    cfg.resume = how;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, what)) {
        got = r.neg.resumed;
        is_int(r.neg.version, th_versions_highest(versions), "%s %s: version", b->name, what);
        ok(r.body_len == 5 && r.http_status == 200, "%s %s: the second response", b->name, what);
    }
    tsrv_stop(&s);
    ok(s.conns == 2 && (got < 0 || s.neg[1].resumed == got),
       "%s %s: two connections, the server agrees (%d)", b->name, what, s.neg[1].resumed);
    result_free(&r);
    return got;
}

/* What each flavour resumes, and that its caps say so. curl-openssl never offers a
 * TLS 1.2 ticket (curl sets SSL_OP_NO_TICKET); curl-gnutls offers no ticket at all,
 * in either version. */
static void test_resume(const struct th_backend *b, int tls13_ticket, int tls13_stateful)
{
    struct th_caps caps;
    b->caps(&caps);
    int t13 = resumed(b, V13, 1, 0, TH_RESUME_TICKET, "ticket TLS 1.3");
    int t12 = resumed(b, V12, 1, 0, TH_RESUME_TICKET, "ticket TLS 1.2");
    int id12 = resumed(b, V12, 0, 1, TH_RESUME_SESSION_ID, "session id TLS 1.2");
    int id13 = resumed(b, V13, 0, 1, TH_RESUME_SESSION_ID, "stateful ticket TLS 1.3");
    int none = resumed(b, V12 | V13, 0, 0, TH_RESUME_TICKET, "server without tickets or cache");
    is_int(t13, tls13_ticket, "%s: TLS 1.3 ticket resumption", b->name);
    is_int(t12, 0, "%s: no TLS 1.2 ticket resumption", b->name);
    is_int(id12, 1, "%s: TLS 1.2 session-id resumption", b->name);
    is_int(id13, tls13_stateful, "%s: TLS 1.3 resumption from a server cache", b->name);
    is_int(none, 0, "%s: nothing to resume from, not resumed", b->name);
    is_int(!!(caps.resume & TH_RESUME_BIT(TH_RESUME_TICKET)), t13 == 1 || t12 == 1,
           "%s: caps claim tickets only if some version resumes by one", b->name);
    is_int(!!(caps.resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID)), id12 == 1,
           "%s: caps claim session ids as TLS 1.2 resumes by one", b->name);
}

/* A server stuck at TLS 1.1: refused unless asked for, then spoken. */
static void test_old_server(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = V11;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_PROTOCOL_VERSION, "server at TLS 1.1, client 1.2-1.3");
    result_free(&r);
    cfg.versions = V10 | V11;
    rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "server at TLS 1.1, client 1.0-1.1"))
        is_int(r.neg.version, TH_TLS11, "%s: TLS 1.1 when asked for", b->name);
    result_free(&r);
    tsrv_stop(&s);
}

static void test_truncated(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.mode = TS_TRUNCATE;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_TRUNCATED, "body cut short");
    tsrv_stop(&s);
    result_free(&r);
}

/* ---- transport failures ---- */

static void test_refused(const struct th_backend *b)
{
    uint16_t port = 0;
    int fd = th_tcp_listen("127.0.0.1", &port);
    if (!ok(fd >= 0, "a port to close"))
        return;
    close(fd); /* nothing listens there now */
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_IO_ERROR, "connection refused");
    result_free(&r);
}

static void test_timeout(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.mode = TS_SILENT;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    uint64_t t0 = th_now_ns();
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 0.5, &r);
    double took = (double)(th_now_ns() - t0) / 1e9;
    fetch_fails(b, &r, rc, TH_TIMEOUT, "a server that never answers");
    ok(took >= 0.45 && took < 2.0, "%s: gave up after %.2f s of 0.5", b->name, took);
    tsrv_stop(&s);
    result_free(&r);
}

/* ---- what libcurl-gnutls itself does with the options it lacks ---- */

struct raw_curl {
    void *dl;
    CURL *(*init)(void);
    CURLcode (*setopt)(CURL *, CURLoption, ...);
    CURLcode (*perform)(CURL *);
    CURLcode (*getinfo)(CURL *, CURLINFO, ...);
    void (*cleanup)(CURL *);
};

static int raw_open(struct raw_curl *c, const char *lib)
{
    c->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!c->dl)
        return -1;
    *(void **)&c->init = dlsym(c->dl, "curl_easy_init");
    *(void **)&c->setopt = dlsym(c->dl, "curl_easy_setopt");
    *(void **)&c->perform = dlsym(c->dl, "curl_easy_perform");
    *(void **)&c->getinfo = dlsym(c->dl, "curl_easy_getinfo");
    *(void **)&c->cleanup = dlsym(c->dl, "curl_easy_cleanup");
    return c->init && c->setopt && c->perform && c->getinfo && c->cleanup ? 0 : -1;
}

static size_t raw_sink(char *p, size_t size, size_t n, void *arg)
{
    return size * n;
}

/* What a TLS 1.2 fetch with only AES-128-GCM in CURLOPT_SSL_CIPHER_LIST negotiates,
 * as the server saw it; the setopt's return in *set_rc. */
static uint16_t raw_suite(struct raw_curl *c, const char *list, CURLcode *set_rc)
{
    struct tsrv s;
    uint16_t got = 0;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = V12;
    if (tsrv_start(&s) != 0)
        return 0;
    CURL *h = c->init();
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", s.port);
    c->setopt(h, CURLOPT_URL, url);
    c->setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    c->setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    c->setopt(h, CURLOPT_NOPROXY, "*");
    c->setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    c->setopt(h, CURLOPT_WRITEFUNCTION, raw_sink);
    c->setopt(h, CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
    *set_rc = c->setopt(h, CURLOPT_SSL_CIPHER_LIST, list);
    if (c->perform(h) == CURLE_OK)
        got = s.neg[0].suite;
    c->cleanup(h);
    tsrv_stop(&s);
    return got;
}

/* The capability finding behind curl-gnutls's caps: its library takes a cipher list
 * and offers its defaults anyway, and refuses a TLS 1.3 list outright. Both are
 * checked against the library, so a libcurl that honours them fails this test and
 * its caps can be widened. */
static void test_gnutls_ignores(void)
{
    struct raw_curl c;
    CURLcode rc = CURLE_OK;
    if (!ok(raw_open(&c, "libcurl-gnutls.so.4") == 0, "libcurl-gnutls.so.4 opens"))
        return;
    uint16_t got = raw_suite(&c,
                             "NONE:+VERS-TLS1.2:+AES-128-GCM:+ECDHE-RSA:+AEAD:+SIGN-ALL:"
                             "+GROUP-ALL:+COMP-NULL:+CTYPE-X509",
                             &rc);
    is_int(rc, CURLE_OK, "libcurl-gnutls takes CURLOPT_SSL_CIPHER_LIST");
    ok(got != 0 && got != 0xC02F, "libcurl-gnutls ignores it: AES-128-GCM asked, got 0x%04x", got);
    CURL *h = c.init();
    rc = c.setopt(h, CURLOPT_TLS13_CIPHERS, "TLS_AES_128_GCM_SHA256");
    is_int(rc, CURLE_NOT_BUILT_IN, "libcurl-gnutls refuses CURLOPT_TLS13_CIPHERS");
    c.cleanup(h);
    /* The same cipher list in OpenSSL's syntax is honoured by curl-openssl. */
    struct raw_curl o;
    if (ok(raw_open(&o, "libcurl.so.4") == 0, "libcurl.so.4 opens")) {
        got = raw_suite(&o, "ECDHE-RSA-AES128-GCM-SHA256", &rc);
        is_int(got, 0xC02F, "libcurl (OpenSSL) honours its cipher list");
    }
}

/* ---- a flavour whose library is missing or wrong ---- */

/* In a child (the library is loaded once per process): point the GnuTLS flavour at
 * `lib` and report what it says. */
static void expect_unavailable(const char *lib, const char *needle, const char *what)
{
    int pfd[2];
    char buf[600] = "";
    if (pipe(pfd) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        setenv("TH_CURL_GNUTLS_LIB", lib, 1);
        const struct th_backend *b = &th_backend_curl_gnutls;
        struct th_caps caps;
        struct th_fetch_result r;
        struct th_tls_config cfg = client_cfg();
        int init = b->init();
        b->caps(&caps);
        int rc = b->fetch(&cfg, "127.0.0.1", 1, "/", 1, &r);
        dprintf(pfd[1], "%d %u %zu %d %s|%s|%s", init, caps.roles, caps.n_suites, rc,
                th_outcome_name(r.err.outcome), b->version(), r.err.text);
        _exit(0);
    }
    close(pfd[1]);
    ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    waitpid(pid, NULL, 0);
    ok(strncmp(buf, "0 0 0 -1 internal_error|unavailable: ", 37) == 0,
       "%s: init 0, no role, no suites, fetch fails: '%s'", what, buf);
    ok(strstr(buf, needle) != NULL, "%s: version and error say why ('%s')", what, needle);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("curl") != 0)
        return pd_end();
    /* before any thread: the children only load a library */
    expect_unavailable("libcurl-no-such-flavour.so.4", "libcurl-no-such-flavour.so.4",
                       "missing library");
    expect_unavailable("libcurl.so.4", "built on OpenSSL", "library of the other flavour");
    pki_path(ca_root, sizeof(ca_root), "root.pem");
    pki_path(ca_untrusted, sizeof(ca_untrusted), "untrusted-root.pem");
    pki_path(crl_file, sizeof(crl_file), "crl.pem");
    /* A flavour missing here is a machine without its package (libcurl4,
     * libcurl3-gnutls): one clear failure rather than every case after it. */
    for (size_t i = 0; i < N_FLAVOURS; i++)
        if (!ok(flavours[i]->init() == 0 && strncmp(flavours[i]->version(), "unavailable", 11),
                "%s: init, available: %s", flavours[i]->name, flavours[i]->version()))
            return pd_end();
    test_identity(&th_backend_curl_openssl, "OpenSSL/3");
    test_identity(&th_backend_curl_gnutls, "GnuTLS/3");
    test_gnutls_suite_list();
    test_gnutls_ignores();
    struct bg_serve s;
    if (ok(bg_serve_start(&s, "rsa2048") == 0, "th_serve up")) {
        for (size_t i = 0; i < N_FLAVOURS; i++) {
            test_get(flavours[i], s.port);
            test_bytes(flavours[i], s.port);
            test_names(flavours[i], s.port);
            test_versions(flavours[i], s.port);
            test_refusals(flavours[i], s.port);
        }
        test_suites(s.port);
        test_concurrent(s.port);
        bg_serve_stop(&s);
    }
    test_certs();
    test_tls13_suites_only();
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        test_alpn(flavours[i]);
        test_resume(flavours[i], i == 0, i == 0);
        test_old_server(flavours[i]);
        test_truncated(flavours[i]);
        test_refused(flavours[i]);
        test_timeout(flavours[i]);
    }
    for (size_t i = 0; i < N_FLAVOURS; i++)
        flavours[i]->cleanup();
    return pd_end();
}
