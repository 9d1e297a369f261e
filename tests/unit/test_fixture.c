/* Managed real servers (harness/fixture.c). Every fixture whose package is
 * installed is started for real, spoken to over TCP by the OpenSSL backend's
 * client, and stopped; each capability it claims is checked against what it
 * negotiates: versions, suites, groups, the order it picks in, resumption. A
 * fixture that is not installed is a skip naming the package. */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "harness/fixture/fixture.h"
#include "harness/pki/pki.h"
#include "harness/run/transport.h"
#include "harness/vocab/util.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_openssl;

#define V10 TH_VBIT(TH_TLS10)
#define V11 TH_VBIT(TH_TLS11)
#define V12 TH_VBIT(TH_TLS12)
#define V13 TH_VBIT(TH_TLS13)

static char tmpdir[64], pkidir[128], fxroot[128];
static char root_pem[256], rsa_chain[256], rsa_key[256], ec_chain[256], ec_key[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Entries in the folder fixtures are made in (0 when every stop cleaned up). */
static int folders_left(void)
{
    int n = 0;
    DIR *d = opendir(fxroot);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int pid_gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

/* ---- an HTTPS client over TCP: the OpenSSL backend through the seam ---- */

struct client {
    struct th_tcp tcp;
    struct th_conn *conn;
    struct th_error err;
    uint64_t deadline;
};

/* Drive one step until it is done, waiting on the socket as it asks. */
static enum th_step settle(struct client *c, enum th_step st)
{
    if (st == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE) {
        int w = th_tcp_wait(c->tcp.fd, st == TH_STEP_WANT_WRITE, c->deadline);
        if (w <= 0) {
            th_error_set(&c->err, TH_TIMEOUT, 0, "no progress before the deadline");
            return TH_STEP_FAILED;
        }
    }
    return st;
}

static int client_open(struct client *c, struct th_ctx *ctx, uint16_t port,
                       struct th_session *resume)
{
    uint64_t ns;
    memset(c, 0, sizeof(*c));
    c->deadline = th_now_ns() + 5000000000ull;
    int fd = th_tcp_connect("127.0.0.1", port, c->deadline, &ns);
    if (fd < 0) {
        th_error_set(&c->err, TH_IO_ERROR, errno, "connect: %s", strerror(errno));
        c->tcp.fd = -1;
        return -1;
    }
    th_tcp_init(&c->tcp, fd);
    if (B->conn_new(ctx, &c->tcp.io, resume, &c->conn, &c->err) != 0)
        return -1;
    enum th_step st;
    do
        st = settle(c, B->handshake(c->conn, &c->err));
    while (st == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE);
    return st == TH_STEP_DONE ? 0 : -1;
}

/* With close_notify: OpenSSL servers drop from their cache a session whose
 * connection ended without one, which would make session-id resumption a race. */
static void client_close(struct client *c)
{
    struct th_error e;
    if (c->conn && c->tcp.fd >= 0)
        (void)B->shutdown(c->conn, &e);
    if (c->conn)
        B->conn_free(c->conn);
    if (c->tcp.fd >= 0)
        th_tcp_close(&c->tcp);
    c->conn = NULL;
}

static int send_all(struct client *c, const char *s)
{
    size_t off = 0, len = strlen(s);
    while (off < len) {
        size_t done = 0;
        enum th_step st = settle(c, B->write(c->conn, s + off, len - off, &done, &c->err));
        off += done;
        if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED)
            return -1;
    }
    return 0;
}

/* Read into buf until `len` bytes are there. */
static int recv_n(struct client *c, unsigned char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t got = 0;
        enum th_step st = settle(c, B->read(c->conn, buf + off, len - off, &got, &c->err));
        off += got;
        if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED)
            return -1;
    }
    return 0;
}

struct response {
    int status;
    long length; /* Content-Length, -1 when absent */
    int body_ok; /* the body is the pattern, byte for byte */
};

/* One GET on an open connection, keep-alive; the body checked against the pattern. */
static int get(struct client *c, const char *path, struct response *r)
{
    char req[256], head[8192];
    size_t n = 0;
    memset(r, 0, sizeof(*r));
    r->length = -1;
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
    if (send_all(c, req) != 0)
        return -1;
    while (n < 4 || memcmp(head + n - 4, "\r\n\r\n", 4) != 0) {
        if (n + 1 >= sizeof(head) || recv_n(c, (unsigned char *)head + n, 1) != 0)
            return -1;
        n++;
    }
    head[n] = '\0';
    r->status = atoi(head + 9);
    for (char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n"))
        if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
            r->length = atol(l + 17);
    if (r->length < 0)
        return -1;
    unsigned char *body = th_xmalloc((size_t)r->length + 1),
                  *want = th_xmalloc((size_t)r->length + 1);
    int rc = recv_n(c, body, (size_t)r->length);
    th_pattern_fill(0, 0, want, (size_t)r->length);
    r->body_ok = rc == 0 && memcmp(body, want, (size_t)r->length) == 0;
    free(body);
    free(want);
    return rc;
}

/* What one connection negotiated (a GET / completes it: TLS 1.3 tickets arrive
 * before the response), and its session when asked for. */
struct outcome {
    int ok;
    struct th_negotiated neg;
    struct th_error err;
};

static void connect_once(const struct th_tls_config *ccfg, uint16_t port, struct th_session *resume,
                         struct th_session **keep, struct outcome *o)
{
    struct th_ctx *ctx = NULL;
    struct client c;
    struct response r;
    memset(o, 0, sizeof(*o));
    if (keep)
        *keep = NULL;
    if (B->ctx_new(ccfg, &ctx, &o->err) != 0)
        return;
    if (client_open(&c, ctx, port, resume) == 0) {
        B->negotiated(c.conn, &o->neg);
        /* after ALPN h2 the server expects HTTP/2: the handshake is the result */
        o->ok = !strcmp(o->neg.alpn, "h2") || (get(&c, "/", &r) == 0 && r.status == 200);
        if (o->ok && keep)
            *keep = B->session_get(c.conn);
    }
    if (!o->ok)
        o->err = c.err;
    client_close(&c);
    B->ctx_free(ctx);
}

static struct th_tls_config client_cfg(unsigned versions)
{
    return (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                  .versions = versions,
                                  .ca_file = root_pem,
                                  .hostname = "localhost",
                                  .sni = "localhost",
                                  .verify = 1};
}

/* ---- the fixtures' descriptions ---- */

static struct th_tls_config server_cfg(const struct th_fixture_def *d, const char *chain,
                                       const char *key)
{
    struct th_caps c;
    d->caps(&c);
    return (struct th_tls_config){.role = TH_ROLE_SERVER,
                                  .versions = c.versions,
                                  .cert_file = chain,
                                  .key_file = key,
                                  .prefer_server_order = 1,
                                  .tickets = 1,
                                  .session_cache = 1};
}

static void test_registry(void)
{
    size_t n = 0;
    int complete = 1;
    for (; th_fixtures[n]; n++) {
        const struct th_fixture_def *d = th_fixtures[n];
        struct th_caps c;
        d->caps(&c);
        complete &= d->name && d->package && d->library && c.roles == TH_ROLE_SERVER &&
                    c.n_suites > 0 && c.n_groups > 0 && c.versions && (c.features & TH_CAP_ALPN) &&
                    th_fixture_find(d->name) == d;
    }
    is_int(n, 7, "seven fixtures");
    ok(complete, "each has a name, package, library and server caps, and is found by name");
    ok(th_fixture_find("nosuch") == NULL && th_fixture_find(NULL) == NULL &&
           th_fixture_find("fixture:nginx") == NULL,
       "unknown names are not found");
    int ascending = 1;
    size_t k = 0;
    for (; th_fixture_sizes[k]; k++)
        ascending &= k == 0 || th_fixture_sizes[k] > th_fixture_sizes[k - 1];
    ok(k >= 4 && ascending && th_fixture_sizes[k - 1] == 16777216,
       "sizes: %zu, ascending, 0-terminated, up to 16 MiB", k);
}

static void test_bogus_def(void)
{
    static const struct th_fixture_def bogus = {"bogus", "no-such-package", "none", NULL};
    char buf[256], err[512];
    struct th_tls_config cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    struct th_fixture *f = (struct th_fixture *)1;
    const char *m = th_fixture_missing(&bogus, buf, sizeof(buf));
    ok(m && strstr(m, "bogus"), "missing: a definition not ours says so (%s)", m ? m : "NULL");
    is_str(th_fixture_version(&bogus), "", "version of a definition not ours is empty");
    m = th_fixture_unsupported(&bogus, &cfg, buf, sizeof(buf));
    ok(m && strstr(m, "bogus"), "unsupported: refused");
    ok(th_fixture_start(&bogus, &cfg, fxroot, 5, &f, err, sizeof(err)) == -1 && f == NULL &&
           strstr(err, "bogus"),
       "start: refused with the reason (%s)", err);
    th_fixture_stop(NULL);
    th_fixture_pool_free(NULL);
    ok(1, "stop(NULL) and pool_free(NULL) are no-ops");
}

/* ---- what each template can express (no server started) ---- */

static void expect_unsupported(const char *name, struct th_tls_config *cfg, const char *word,
                               const char *what)
{
    char buf[512];
    const char *r = th_fixture_unsupported(th_fixture_find(name), cfg, buf, sizeof(buf));
    ok(r && strstr(r, word), "%s: %s refused (%s)", name, what, r ? r : "accepted");
}

static void test_expressible(void)
{
    char buf[512];
    int all = 1;
    for (size_t i = 0; th_fixtures[i]; i++) {
        struct th_tls_config cfg = server_cfg(th_fixtures[i], rsa_chain, rsa_key);
        const char *r = th_fixture_unsupported(th_fixtures[i], &cfg, buf, sizeof(buf));
        if (r)
            printf("# %s: %s\n", th_fixtures[i]->name, r);
        all &= r == NULL;
    }
    ok(all, "every fixture takes its default configuration");

    struct th_tls_config cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    cfg.versions = V10 | V12;
    expect_unsupported("nginx", &cfg, "hole", "versions with a hole");
    cfg = server_cfg(th_fixture_find("lighttpd-mbedtls"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    expect_unsupported("lighttpd-mbedtls", &cfg, "TLS 1.2 only", "TLS 1.3");
    cfg.versions = V12;
    cfg.prefer_server_order = 0;
    expect_unsupported("lighttpd-mbedtls", &cfg, "own suite order", "the client's order");
    cfg = server_cfg(th_fixture_find("lighttpd-nss"), rsa_chain, rsa_key);
    cfg.groups[0] = 0x001D;
    cfg.n_groups = 1;
    expect_unsupported("lighttpd-nss", &cfg, "restrict its groups", "a group list");
}

/* The libraries whose suite lists have rules of their own: Go's, GnuTLS's. */
static void test_expressible_suites(void)
{
    char buf[512];
    struct th_tls_config cfg = server_cfg(th_fixture_find("caddy"), rsa_chain, rsa_key);
    cfg.versions = V13;
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    expect_unsupported("caddy", &cfg, "TLS 1.3 suites", "one TLS 1.3 suite of three");
    cfg.versions = V12;
    cfg.suites[1] = 0xC02F;
    cfg.suites[0] = 0xC030;
    cfg.n_suites = 2;
    expect_unsupported("caddy", &cfg, "suite order", "two suites in the server's order");
    cfg.suites[0] = 0x003C; /* a SHA-2 CBC suite: Caddy refuses it */
    cfg.n_suites = 1;
    expect_unsupported("caddy", &cfg, "0x003c", "a suite Go does not offer");
    cfg = server_cfg(th_fixture_find("lighttpd-gnutls"), rsa_chain, rsa_key);
    cfg.versions = V12;
    cfg.suites[0] = 0xC02F; /* ECDHE-RSA AES-128-GCM */
    cfg.suites[1] = 0x003D; /* RSA AES-256-CBC-SHA256: the product adds more */
    cfg.n_suites = 2;
    expect_unsupported("lighttpd-gnutls", &cfg, "also enables", "a list that is no product");
    cfg.suites[0] = 0xC030; /* AES-256 then AES-128: same kx, cipher order kept */
    cfg.suites[1] = 0xC02F;
    ok(th_fixture_unsupported(th_fixture_find("lighttpd-gnutls"), &cfg, buf, sizeof(buf)) == NULL,
       "lighttpd-gnutls: a product list in its order is taken");
    cfg.suites[0] = 0xC02F;
    cfg.suites[1] = 0x009C; /* ECDHE-RSA then RSA, both AES-128-GCM */
    cfg.suites[2] = 0xC030; /* ... then AES-256: kx-major order would put it second */
    cfg.suites[3] = 0x009D;
    cfg.n_suites = 4;
    expect_unsupported("lighttpd-gnutls", &cfg, "orders suites", "an order GnuTLS cannot keep");
}

static void test_expressible_nginx(void)
{
    char buf[512];
    struct th_tls_config cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    expect_unsupported("nginx", &cfg, "no suite for it", "TLS 1.2 allowed with no TLS 1.2 suite");
    cfg.n_suites = 0;
    cfg.alpn[0] = "h2";
    cfg.n_alpn = 1;
    expect_unsupported("nginx", &cfg, "ALPN", "ALPN h2 alone");
    cfg.alpn[1] = "http/1.1";
    cfg.n_alpn = 2;
    ok(th_fixture_unsupported(th_fixture_find("nginx"), &cfg, buf, sizeof(buf)) == NULL,
       "nginx: ALPN [h2, http/1.1] is taken");
    expect_unsupported("lighttpd-openssl", &cfg, "ALPN", "ALPN h2");
    cfg.n_alpn = 0;
    cfg.cert_file = NULL;
    expect_unsupported("nginx", &cfg, "certificate", "no certificate");
}

static void expect_taken(const char *name, struct th_tls_config *cfg, const char *what)
{
    char buf[512];
    const char *r = th_fixture_unsupported(th_fixture_find(name), cfg, buf, sizeof(buf));
    ok(r == NULL, "%s: %s taken%s%s", name, what, r ? ": " : "", r ? r : "");
}

/* mod_wolfssl's Groups: one NIST curve, TLS 1.2 only. */
static void test_expressible_wolfssl(void)
{
    struct th_tls_config cfg = server_cfg(th_fixture_find("lighttpd-wolfssl"), rsa_chain, rsa_key);
    cfg.versions = V12;
    cfg.groups[0] = 0x001D;
    cfg.n_groups = 1;
    expect_unsupported("lighttpd-wolfssl", &cfg, "one NIST curve", "x25519");
    cfg.groups[0] = 0x0017;
    cfg.groups[1] = 0x0018;
    cfg.n_groups = 2;
    expect_unsupported("lighttpd-wolfssl", &cfg, "one NIST curve", "two curves");
    cfg.groups[0] = 0x0018;
    cfg.n_groups = 1;
    expect_taken("lighttpd-wolfssl", &cfg, "secp384r1 alone on TLS 1.2");
    cfg.versions = V12 | V13;
    expect_unsupported("lighttpd-wolfssl", &cfg, "TLS 1.3 groups", "secp384r1 with TLS 1.3 on");
}

/* A leaf a library will not load, by its pki: name and by its file. */
static void test_expressible_leaves(void)
{
    struct th_tls_config cfg = server_cfg(th_fixture_find("lighttpd-nss"), rsa_chain, rsa_key);
    cfg.cert_file = "pki:bad-key-usage";
    expect_unsupported("lighttpd-nss", &cfg, "cannot serve pki:bad-key-usage", "pki:bad-key-usage");
    cfg.cert_file = "/some/pki/bad-key-usage.chain.pem";
    expect_unsupported("lighttpd-nss", &cfg, "SEC_ERROR_INVALID_ARGS", "bad-key-usage.chain.pem");
    cfg.cert_file = "/some/bad-key-usage/rsa2048.chain.pem";
    expect_taken("lighttpd-nss", &cfg, "a good leaf in a folder named like a bad one");
    cfg.cert_file = "pki:bad-key-usage-2";
    expect_taken("lighttpd-nss", &cfg, "a leaf whose name only begins like a refused one");
    cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    cfg.cert_file = "pki:bad-key-usage";
    expect_taken("nginx", &cfg, "pki:bad-key-usage (OpenSSL loads it)");
}

/* A list without a suite for the top version runs capped at the top version that
 * has one, as the backends read it. */
static void test_expressible_top(void)
{
    struct th_tls_config cfg = server_cfg(th_fixture_find("caddy"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    cfg.suites[0] = 0xC02F;
    cfg.n_suites = 1;
    expect_taken("caddy", &cfg, "a TLS 1.2 suite with TLS 1.2 and 1.3 allowed");
    cfg = server_cfg(th_fixture_find("lighttpd-gnutls"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    cfg.suites[0] = 0xC02F;
    cfg.n_suites = 1;
    expect_taken("lighttpd-gnutls", &cfg, "ECDHE-RSA AES-128-GCM with TLS 1.3 allowed");
}

/* ---- one installed fixture, for real ---- */

struct fx {
    const struct th_fixture_def *d;
    struct th_caps caps;
    char name[64];
};

static struct th_fixture *start_or_fail(struct fx *x, const struct th_tls_config *cfg,
                                        const char *what)
{
    char err[1024];
    struct th_fixture *f = NULL;
    uint64_t t0 = th_now_ns();
    if (!ok(th_fixture_start(x->d, cfg, fxroot, 10, &f, err, sizeof(err)) == 0, "%s: %s starts",
            x->name, what))
        printf("#   %s\n", err);
    else
        printf("#   up in %.0f ms on port %u\n", (th_now_ns() - t0) / 1e6,
               (unsigned)th_fixture_port(f));
    return f;
}

static void check_http(struct fx *x, struct th_fixture *f)
{
    struct th_tls_config cc = client_cfg(V12 | V13 | (x->caps.versions & (V10 | V11)));
    struct th_ctx *ctx = NULL;
    struct th_error e;
    struct client c;
    struct response r1, r2, r3;
    if (B->ctx_new(&cc, &ctx, &e) != 0) {
        ok(0, "client ctx: %s", e.text);
        return;
    }
    int opened = client_open(&c, ctx, th_fixture_port(f), NULL) == 0;
    if (ok(opened, "%s: TLS handshake with verification", x->name)) {
        ok(get(&c, "/", &r1) == 0 && r1.status == 200 && r1.length == TH_FIXTURE_INDEX_LEN &&
               r1.body_ok,
           "%s: GET / is the %d-byte pattern", x->name, TH_FIXTURE_INDEX_LEN);
        ok(get(&c, "/bytes/65536", &r2) == 0 && r2.status == 200 && r2.length == 65536 &&
               r2.body_ok,
           "%s: GET /bytes/65536 on the same connection, Content-Length and body", x->name);
        ok(get(&c, "/bytes/16777216", &r3) == 0 && r3.length == 16777216 && r3.body_ok,
           "%s: GET /bytes/16777216, third request kept alive", x->name);
    } else {
        printf("#   %s: %s\n", th_outcome_name(c.err.outcome), c.err.text);
    }
    client_close(&c);
    B->ctx_free(ctx);
}

/* Every version the fixture claims negotiates, and none other does. */
static void check_versions(struct fx *x, struct th_fixture *f, unsigned served)
{
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++) {
        struct th_tls_config cc = client_cfg(TH_VBIT(v));
        struct outcome o;
        connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
        int want = (served & TH_VBIT(v)) != 0;
        if (!ok(o.ok == want && (!want || o.neg.version == v), "%s: TLS %s %s", x->name,
                th_version_name(v), want ? "negotiates" : "is refused"))
            printf("#   ok %d, version 0x%04x, %s\n", o.ok, o.neg.version, o.err.text);
    }
}

static const char *alpn_of(struct fx *x, struct th_fixture *f, const char *first,
                           const char *second)
{
    static char got[64];
    struct th_tls_config cc = client_cfg(x->caps.versions & (V12 | V13));
    struct outcome o;
    cc.alpn[cc.n_alpn++] = first;
    if (second)
        cc.alpn[cc.n_alpn++] = second;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    snprintf(got, sizeof(got), "%s", o.ok ? o.neg.alpn : "(failed)");
    return got;
}

static void check_alpn(struct fx *x, struct th_fixture *f)
{
    is_str(alpn_of(x, f, "http/1.1", NULL), "http/1.1", "%s: ALPN http/1.1 answered", x->name);
    is_str(alpn_of(x, f, "h2", "http/1.1"), "http/1.1", "%s: h2 not answered by default", x->name);
}

/* [h2, http/1.1] where the template can say it: h2 first, as the server prefers. */
static void check_h2(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    char buf[256];
    s.alpn[0] = "h2";
    s.alpn[1] = "http/1.1";
    s.n_alpn = 2;
    if (th_fixture_unsupported(x->d, &s, buf, sizeof(buf)))
        return;
    struct th_fixture *f = start_or_fail(x, &s, "ALPN h2, http/1.1");
    if (!f)
        return;
    is_str(alpn_of(x, f, "http/1.1", "h2"), "h2", "%s: h2 preferred over the client's order",
           x->name);
    is_str(alpn_of(x, f, "http/1.1", NULL), "http/1.1", "%s: http/1.1 still answered", x->name);
    th_fixture_stop(f);
}

/* Two connections, the second offering the first's session. */
static int resumes(struct th_fixture *f, unsigned versions, enum th_resume how)
{
    struct th_tls_config cc = client_cfg(versions);
    struct th_session *s = NULL;
    struct outcome o1, o2;
    cc.resume = how;
    connect_once(&cc, th_fixture_port(f), NULL, &s, &o1);
    if (!o1.ok || !s) {
        if (s)
            B->session_free(s);
        return 0;
    }
    connect_once(&cc, th_fixture_port(f), s, NULL, &o2);
    B->session_free(s);
    return o2.ok && o2.neg.resumed;
}

static const char *const resume_name[] = {"none", "ticket", "session id"};

static void check_resume(struct fx *x, struct th_fixture *f, enum th_resume how, int want,
                         const char *setting)
{
    int got = resumes(f, V12, how);
    ok(got == want, "%s: TLS 1.2 resumption by %s %s with %s", x->name, resume_name[how],
       want ? "works" : "does not happen", setting);
}

/* Server [first, second] in the given order: which one a client offering them the
 * other way round gets. */
static void check_order(struct fx *x, int server_order)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    s.versions = V12;
    s.suites[0] = 0xC02F;
    s.suites[1] = 0xC030;
    s.n_suites = 2;
    s.prefer_server_order = server_order;
    s.tickets = server_order;        /* the ticket-only instance ... */
    s.session_cache = !server_order; /* ... and the cache-only one */
    struct th_fixture *f = start_or_fail(x, &s, server_order ? "server order" : "client order");
    if (!f)
        return;
    struct th_tls_config cc = client_cfg(V12);
    struct outcome o;
    cc.suites[0] = 0xC030;
    cc.suites[1] = 0xC02F;
    cc.n_suites = 2;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    uint16_t want = server_order ? 0xC02F : 0xC030;
    if (!ok(o.ok && o.neg.suite == want, "%s: picks 0x%04x by the %s order", x->name, want,
            server_order ? "server's" : "client's"))
        printf("#   got 0x%04x (%s)\n", o.neg.suite, o.err.text);
    if (server_order)
        check_resume(x, f, TH_RESUME_TICKET, !!(x->caps.resume & TH_RESUME_BIT(TH_RESUME_TICKET)),
                     "tickets on, cache off");
    else
        check_resume(x, f, TH_RESUME_SESSION_ID,
                     !!(x->caps.resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID)),
                     "cache on, tickets off");
    th_fixture_stop(f);
}

/* Versions, one suite, one group, and no resumption of either kind. */
static void check_restricted(struct fx *x)
{
    unsigned f_ = x->caps.features;
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    if (f_ & TH_CAP_RESTRICT_VERSIONS)
        s.versions = V12;
    if (f_ & TH_CAP_RESTRICT_SUITES)
        s.suites[s.n_suites++] = 0xC02F;
    if (f_ & TH_CAP_RESTRICT_GROUPS)
        s.groups[s.n_groups++] = 0x0018;
    s.tickets = s.session_cache = 0;
    struct th_fixture *f = start_or_fail(x, &s, "restricted");
    if (!f)
        return;
    uint16_t port = th_fixture_port(f);
    struct th_tls_config cc = client_cfg(x->caps.versions);
    struct outcome o;
    cc.suites[0] = 0xC030;
    cc.suites[1] = 0xC02F;
    cc.n_suites = 2;
    cc.groups[0] = 0x001D;
    cc.groups[1] = 0x0018;
    cc.n_groups = 2;
    /* a TLS 1.3 suite too, so the client's top version has one */
    if (x->caps.versions & V13)
        cc.suites[cc.n_suites++] = 0x1301;
    connect_once(&cc, port, NULL, NULL, &o);
    ok(o.ok, "%s restricted: handshake (%s)", x->name, o.err.text);
    if (f_ & TH_CAP_RESTRICT_VERSIONS)
        is_int(o.neg.version, TH_TLS12, "%s: TLS 1.2 only, though the client offers more", x->name);
    if (f_ & TH_CAP_RESTRICT_SUITES)
        is_int(o.neg.suite, 0xC02F, "%s: the one suite listed, though the client prefers another",
               x->name);
    if (f_ & TH_CAP_RESTRICT_GROUPS)
        is_int(o.neg.group, 0x0018, "%s: secp384r1 only, though the client prefers x25519",
               x->name);
    if ((f_ & TH_CAP_RESTRICT_VERSIONS) && (x->caps.versions & V13)) {
        cc = client_cfg(V13);
        connect_once(&cc, port, NULL, NULL, &o);
        ok(!o.ok, "%s: a TLS 1.3-only client is refused", x->name);
    }
    if (f_ & TH_CAP_RESTRICT_SUITES) {
        cc = client_cfg(V12);
        cc.suites[0] = 0xC030;
        cc.n_suites = 1;
        connect_once(&cc, port, NULL, NULL, &o);
        ok(!o.ok, "%s: a client without the listed suite is refused", x->name);
    }
    if (f_ & TH_CAP_RESTRICT_GROUPS) {
        /* the listed suite is ECDHE: without secp384r1 there is nothing to agree on */
        cc = client_cfg(V12);
        cc.suites[0] = 0xC02F;
        cc.n_suites = 1;
        cc.groups[0] = 0x001D;
        cc.n_groups = 1;
        connect_once(&cc, port, NULL, NULL, &o);
        if (!ok(!o.ok, "%s: a client without the listed group is refused", x->name))
            printf("#   it agreed on group 0x%04x\n", o.neg.group);
    }
    check_resume(x, f, TH_RESUME_TICKET, 0, "tickets and cache off");
    check_resume(x, f, TH_RESUME_SESSION_ID, 0, "tickets and cache off");
    th_fixture_stop(f);
}

/* Only TLS 1.2 suites listed, TLS 1.2 and 1.3 allowed: the server runs as TLS 1.2
 * (OpenSSL's servers refuse every handshake when the top version has no suite). */
static void check_top_cut(struct fx *x)
{
    unsigned f_ = x->caps.features;
    if (!(f_ & TH_CAP_RESTRICT_SUITES) || (x->caps.versions & (V12 | V13)) != (V12 | V13))
        return;
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    s.versions = V12 | V13;
    s.suites[s.n_suites++] = 0xC02F;
    struct th_fixture *f = start_or_fail(x, &s, "TLS 1.2 suite with TLS 1.3 allowed");
    if (!f)
        return;
    struct th_tls_config cc = client_cfg(V12 | V13);
    struct outcome o;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    if (!ok(o.ok && o.neg.version == TH_TLS12 && o.neg.suite == 0xC02F,
            "%s: a TLS 1.2 suite list with TLS 1.3 allowed negotiates TLS 1.2 and that suite",
            x->name))
        printf("#   version 0x%04x suite 0x%04x (%s)\n", o.neg.version, o.neg.suite, o.err.text);
    th_fixture_stop(f);
}

/* Each TLS 1.3 suite claimed, listed alone, is the one negotiated even when the
 * client prefers every other: what a one-suite TLS 1.3 case asks of a fixture. */
static void check_tls13_alone(struct fx *x)
{
    uint16_t all[8];
    size_t n = 0;
    for (size_t i = 0; i < x->caps.n_suites && n < TH_ARRAY_LEN(all); i++)
        if (th_suite_by_id(x->caps.suites[i])->min_version == TH_TLS13)
            all[n++] = x->caps.suites[i];
    if (!(x->caps.features & TH_CAP_RESTRICT_SUITES) || !(x->caps.versions & V13) || n < 2)
        return;
    for (size_t k = 0; k < n; k++) {
        struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
        char buf[512], what[96];
        s.versions = V13;
        s.suites[s.n_suites++] = all[k];
        const char *r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
        if (r) {
            char msg[640];
            snprintf(msg, sizeof(msg), "%s: TLS 1.3 suite 0x%04x alone: %s", x->name, all[k], r);
            skip(1, msg);
            continue;
        }
        snprintf(what, sizeof(what), "TLS 1.3 suite 0x%04x alone", all[k]);
        struct th_fixture *f = start_or_fail(x, &s, what);
        if (!f)
            continue;
        struct th_tls_config cc = client_cfg(V13);
        for (size_t i = 0; i < n; i++)
            if (i != k)
                cc.suites[cc.n_suites++] = all[i];
        cc.suites[cc.n_suites++] = all[k];
        struct outcome o;
        connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
        if (!ok(o.ok && o.neg.suite == all[k], "%s: %s is the one negotiated", x->name, what))
            printf("#   suite 0x%04x (%s)\n", o.neg.suite, o.err.text);
        th_fixture_stop(f);
    }
}

static int auth_fits(uint16_t id, int ecdsa)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s)
        return 0;
    if (!strcmp(s->auth, "any"))
        return 1;
    return ecdsa ? !strcmp(s->auth, "ECDSA") : !strcmp(s->auth, "RSA");
}

/* Does a client pinned to suite (0: any) and group (0: any) get them from f? */
static int pins(struct fx *x, struct th_fixture *f, uint16_t suite, uint16_t group, int quiet)
{
    unsigned v = suite ? th_suite_versions(th_suite_by_id(suite)) : V12 | V13;
    struct th_tls_config cc = client_cfg(v & x->caps.versions);
    struct outcome o;
    if (suite)
        cc.suites[cc.n_suites++] = suite;
    if (group)
        cc.groups[cc.n_groups++] = group;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    int got = o.ok && (!suite || o.neg.suite == suite) && (!group || o.neg.group == group);
    if (!got && !quiet)
        printf("#   %s does not negotiate %s %s: %s\n", x->name,
               suite ? th_suite_by_id(suite)->name : "", group ? th_group_by_id(group)->name : "",
               o.err.text);
    return got;
}

/* A suite or group the bulk instance did not negotiate, served alone. */
static int pins_alone(struct fx *x, int ecdsa, uint16_t suite, uint16_t group)
{
    struct th_tls_config s =
        server_cfg(x->d, ecdsa ? ec_chain : rsa_chain, ecdsa ? ec_key : rsa_key);
    char buf[512], err[1024];
    struct th_fixture *f = NULL;
    if (suite) {
        s.versions &= th_suite_versions(th_suite_by_id(suite));
        s.suites[s.n_suites++] = suite;
    }
    if (group)
        s.groups[s.n_groups++] = group;
    const char *r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
    if (r || th_fixture_start(x->d, &s, fxroot, 10, &f, err, sizeof(err)) != 0) {
        printf("#   %s: cannot serve it alone: %s\n", x->name, r ? r : err);
        return 0;
    }
    int got = pins(x, f, suite, group, 0);
    th_fixture_stop(f);
    return got;
}

/* Every suite claimed (served with a fitting leaf) negotiates when the client pins
 * it, and every group claimed: all at once where the template can list them all,
 * else from the library's default, and what that lacks served alone. */
static void check_claims(struct fx *x, int ecdsa)
{
    struct th_tls_config s =
        server_cfg(x->d, ecdsa ? ec_chain : rsa_chain, ecdsa ? ec_key : rsa_key);
    if (x->caps.features & TH_CAP_RESTRICT_SUITES) {
        for (size_t i = 0; i < x->caps.n_suites; i++)
            if (auth_fits(x->caps.suites[i], ecdsa))
                s.suites[s.n_suites++] = x->caps.suites[i];
        /* the order is the client's pin's business: whichever order can be said */
        char buf[512];
        const char *r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
        if (r && (x->caps.features & TH_CAP_CLIENT_ORDER)) {
            s.prefer_server_order = 0;
            r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
        }
        if (r) {
            printf("# %s: all claimed suites at once: %s\n", x->name, r);
            s.n_suites = 0;
            s.prefer_server_order = 1;
        }
    }
    struct th_fixture *f =
        start_or_fail(x, &s, ecdsa ? "ECDSA leaf, every suite" : "RSA leaf, every suite");
    if (!f)
        return;
    uint16_t retry[TH_MAX_SUITES];
    size_t tried = 0, good = 0, n_retry = 0;
    for (size_t i = 0; i < x->caps.n_suites; i++) {
        uint16_t id = x->caps.suites[i];
        if (!auth_fits(id, ecdsa))
            continue;
        tried++;
        if (pins(x, f, id, 0, 1))
            good++;
        else
            retry[n_retry++] = id;
    }
    size_t gt = 0, gg = 0, n_gretry = 0;
    uint16_t gretry[TH_MAX_GROUPS];
    for (size_t i = 0; !ecdsa && i < x->caps.n_groups; i++, gt++) {
        if (pins(x, f, 0, x->caps.groups[i], 1))
            gg++;
        else
            gretry[n_gretry++] = x->caps.groups[i];
    }
    th_fixture_stop(f);
    if (n_retry || n_gretry)
        printf("# %s: %zu suites and %zu groups served alone\n", x->name, n_retry, n_gretry);
    for (size_t i = 0; i < n_retry; i++)
        good += (x->caps.features & TH_CAP_RESTRICT_SUITES) && pins_alone(x, ecdsa, retry[i], 0);
    for (size_t i = 0; i < n_gretry; i++)
        gg += (x->caps.features & TH_CAP_RESTRICT_GROUPS) && pins_alone(x, 0, 0, gretry[i]);
    ok(tried > 0 && good == tried, "%s: %zu of %zu claimed %s suites negotiate", x->name, good,
       tried, ecdsa ? "ECDSA" : "RSA");
    if (!ecdsa)
        ok(gg == gt, "%s: %zu of %zu claimed groups negotiate", x->name, gg, gt);
}

/* ---- failures ---- */

static void check_bad_cert(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, "/nonexistent/leaf.pem", rsa_key);
    char err[1024];
    struct th_fixture *f = NULL;
    int rc = th_fixture_start(x->d, &s, fxroot, 10, &f, err, sizeof(err));
    ok(rc == -1 && f == NULL, "%s: a missing certificate file fails the start", x->name);
    ok(strstr(err, "/nonexistent/leaf.pem") != NULL, "%s: ... with the server's own words: %s",
       x->name, err);
    is_int(folders_left(), 0, "%s: ... and its folder removed", x->name);
}

static uint16_t busy_port, free_port_after;

static uint16_t hook_busy_first(unsigned attempt)
{
    return attempt == 0 ? busy_port : free_port_after;
}

static uint16_t hook_always_busy(unsigned attempt)
{
    (void)attempt;
    return busy_port;
}

static void check_collision(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    char err[1024];
    struct th_fixture *f = NULL;
    int lfd = th_tcp_listen("127.0.0.1", &busy_port);
    int lfd2 = th_tcp_listen("127.0.0.1", &free_port_after);
    close(lfd2); /* free again: the retry's port */
    if (!ok(lfd >= 0, "%s: a port held for the collision", x->name))
        return;
    th_fixture_test_port = hook_busy_first;
    int rc = th_fixture_start(x->d, &s, fxroot, 10, &f, err, sizeof(err));
    ok(rc == 0 && f && th_fixture_port(f) == free_port_after,
       "%s: its port taken, the start retries on another (%s)", x->name, rc ? err : "ok");
    th_fixture_stop(f);
    th_fixture_test_port = hook_always_busy;
    rc = th_fixture_start(x->d, &s, fxroot, 10, &f, err, sizeof(err));
    ok(rc == -1 && strstr(err, "was taken") && strcasestr(err, "address already in use"),
       "%s: every attempt taken: fails with the server's words (%s)", x->name, err);
    th_fixture_test_port = NULL;
    close(lfd);
    is_int(folders_left(), 0, "%s: ... nothing left behind", x->name);
}

static void check_dead(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    struct th_fixture *f = start_or_fail(x, &s, "to be killed");
    if (!f)
        return;
    pid_t pid = th_fixture_pid(f);
    kill(pid, SIGKILL);
    for (int i = 0; i < 200 && th_fixture_alive(f); i++)
        usleep(10000);
    ok(!th_fixture_alive(f), "%s: a killed server is not alive", x->name);
    char tail[256];
    th_fixture_log_tail(f, tail, sizeof(tail));
    th_fixture_stop(f);
    ok(pid_gone(pid) && folders_left() == 0, "%s: stopping a dead server reaps it and cleans up",
       x->name);
}

static void test_one(const struct th_fixture_def *d)
{
    struct fx x = {.d = d};
    char why[512];
    snprintf(x.name, sizeof(x.name), "%s", d->name);
    d->caps(&x.caps);
    const char *missing = th_fixture_missing(d, why, sizeof(why));
    if (missing) {
        printf("ok %d # skip %s: %s\n", ++tap_n, d->name, missing);
        return;
    }
    const char *v = th_fixture_version(d);
    ok(v[0] && strchr(v, '/'), "%s: version '%s'", d->name, v);
    uint64_t t0 = th_now_ns();
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    struct th_fixture *f = start_or_fail(&x, &s, "default");
    if (f) {
        char pidfile[512];
        pid_t pid = th_fixture_pid(f);
        snprintf(pidfile, sizeof(pidfile), "%s/server.pid", th_fixture_dir(f));
        ok(th_fixture_alive(f) && access(pidfile, R_OK) == 0, "%s: alive, pid file in its folder",
           d->name);
        check_http(&x, f);
        check_versions(&x, f, x.caps.versions);
        check_alpn(&x, f);
        /* a session-id client sends no ticket extension: only a cache resumes it */
        for (enum th_resume how = TH_RESUME_TICKET; how <= TH_RESUME_SESSION_ID; how++)
            ok(resumes(f, V12, how) == !!(x.caps.resume & TH_RESUME_BIT(how)),
               "%s: resumption by %s %s, as claimed", d->name, resume_name[how],
               (x.caps.resume & TH_RESUME_BIT(how)) ? "works" : "does not happen");
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s", th_fixture_dir(f));
        th_fixture_stop(f);
        ok(pid_gone(pid) && access(dir, F_OK) != 0, "%s: stopped: pid %d gone, folder removed",
           d->name, (int)pid);
    }
    check_h2(&x);
    if (x.caps.features & TH_CAP_SERVER_ORDER)
        check_order(&x, 1);
    if (x.caps.features & TH_CAP_CLIENT_ORDER)
        check_order(&x, 0);
    check_restricted(&x);
    check_top_cut(&x);
    check_tls13_alone(&x);
    check_claims(&x, 0);
    check_claims(&x, 1);
    check_bad_cert(&x);
    check_collision(&x);
    check_dead(&x);
    printf("# %s: %.1f s in all\n", d->name, (th_now_ns() - t0) / 1e9);
}

/* ---- the pool ---- */

static void test_pool(void)
{
    const struct th_fixture_def *d = th_fixture_find("lighttpd-openssl");
    char why[256], err[1024];
    if (th_fixture_missing(d, why, sizeof(why))) {
        printf("ok %d # skip pool: %s\n", ++tap_n, why);
        return;
    }
    struct th_fixture_pool *p = th_fixture_pool_new(fxroot, 2);
    struct th_tls_config a = server_cfg(d, rsa_chain, rsa_key), b = a, c = a;
    b.tickets = 0;
    c.versions = V12;
    struct th_fixture *fa, *fa2, *fb, *fc, *fa3;
    ok(th_fixture_pool_get(p, d, &a, 10, &fa, err, sizeof(err)) == 0, "pool: first get starts");
    ok(th_fixture_pool_get(p, d, &a, 10, &fa2, err, sizeof(err)) == 0 && fa2 == fa &&
           th_fixture_pool_running(p) == 1,
       "pool: the same configuration shares the instance");
    ok(th_fixture_pool_get(p, d, &b, 10, &fb, err, sizeof(err)) == 0 && fb != fa &&
           th_fixture_pool_running(p) == 2,
       "pool: another configuration gets its own");
    pid_t pa = th_fixture_pid(fa);
    ok(th_fixture_pool_get(p, d, &a, 10, &fa2, err, sizeof(err)) == 0 && fa2 == fa,
       "pool: a is used again (b is now the least recent)");
    pid_t pb = th_fixture_pid(fb);
    ok(th_fixture_pool_get(p, d, &c, 10, &fc, err, sizeof(err)) == 0 &&
           th_fixture_pool_running(p) == 2,
       "pool: a third with max_running 2 ...");
    usleep(50000);
    ok(pid_gone(pb) && !pid_gone(pa), "pool: ... stops the least recently used (b), keeps a");
    kill(pa, SIGKILL);
    for (int i = 0; i < 200 && th_fixture_alive(fa); i++)
        usleep(10000);
    ok(th_fixture_pool_get(p, d, &a, 10, &fa3, err, sizeof(err)) == 0 && th_fixture_alive(fa3) &&
           th_fixture_pid(fa3) != pa,
       "pool: an instance that died is started again");
    struct th_tls_config bad = a;
    bad.key_file = "/nonexistent/key.pem";
    ok(th_fixture_pool_get(p, d, &bad, 10, &fb, err, sizeof(err)) == -1 && fb == NULL,
       "pool: a start failure is passed on (%s)", err);
    pid_t pc = th_fixture_pid(fc), pa3 = th_fixture_pid(fa3);
    th_fixture_pool_free(p);
    ok(pid_gone(pc) && pid_gone(pa3) && folders_left() == 0, "pool: free stops everything");
}

/* ---- templates ---- */

static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *s = th_read_file(from, &len);
    if (s && th_write_file_atomic(to, s, len) != 0)
        printf("# cannot write %s\n", to);
    free(s);
}

static void test_templates(void)
{
    const struct th_fixture_def *d = th_fixture_find("nginx");
    char why[256], err[1024], dir[256], path[512];
    struct th_fixture *f = NULL;
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    snprintf(dir, sizeof(dir), "%s/templates", tmpdir);
    if (th_mkdirs(dir) != 0)
        return;
    setenv("TLSHARNESS_FIXTURES", dir, 1);
    ok(th_fixture_start(d, &s, fxroot, 5, &f, err, sizeof(err)) == -1 && strstr(err, "cannot read"),
       "templates: a folder without them fails the start (%s)", err);
    if (!th_fixture_missing(d, why, sizeof(why))) {
        snprintf(path, sizeof(path), "%s/nginx.conf.in", dir);
        FILE *fp = fopen(path, "w");
        if (fp) {
            fputs("daemon off;\nerror_log @NOSUCH@;\n", fp);
            fclose(fp);
        }
        snprintf(path, sizeof(path), "%s/ffdhe2048.pem", dir);
        copy_file("harness/fixture/templates/ffdhe2048.pem", path);
        ok(th_fixture_start(d, &s, fxroot, 5, &f, err, sizeof(err)) == -1 &&
               strstr(err, "@NOSUCH@"),
           "templates: a name tlsharness does not fill fails the start (%s)", err);
    }
    unsetenv("TLSHARNESS_FIXTURES");
    is_int(folders_left(), 0, "templates: nothing left behind");
}

int main(void)
{
    char err[256];
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/th-fixture-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        ok(0, "mkdtemp");
        return done_testing();
    }
    chmod(tmpdir, 0755); /* nginx's workers read the document roots inside */
    snprintf(pkidir, sizeof(pkidir), "%s/pki", tmpdir);
    snprintf(fxroot, sizeof(fxroot), "%s/run", tmpdir);
    snprintf(root_pem, sizeof(root_pem), "%s/root.pem", pkidir);
    snprintf(rsa_chain, sizeof(rsa_chain), "%s/rsa2048.chain.pem", pkidir);
    snprintf(rsa_key, sizeof(rsa_key), "%s/rsa2048.key.pem", pkidir);
    snprintf(ec_chain, sizeof(ec_chain), "%s/ecdsa-p256.chain.pem", pkidir);
    snprintf(ec_key, sizeof(ec_key), "%s/ecdsa-p256.key.pem", pkidir);
    signal(SIGPIPE, SIG_IGN);
    if (ok(th_pki_generate(pkidir, err, sizeof(err)) == 0 && th_mkdirs(fxroot) == 0 &&
               chmod(pkidir, 0755) == 0,
           "test PKI and run folder")) {
        test_registry();
        test_bogus_def();
        test_expressible();
        test_expressible_suites();
        test_expressible_nginx();
        test_expressible_wolfssl();
        test_expressible_leaves();
        test_expressible_top();
        const char *only = getenv("TH_FIXTURE_ONLY"); /* one fixture, when debugging */
        for (size_t i = 0; th_fixtures[i]; i++)
            if (!only || strcmp(only, th_fixtures[i]->name) == 0)
                test_one(th_fixtures[i]);
        test_pool();
        test_templates();
    }
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
