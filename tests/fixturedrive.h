/* Included by the fixture tests (test_fixture.c: descriptions, templates, the pool;
 * test_fixture_live.c: each installed fixture started for real): the scaffolding they
 * share. A temp folder with the test PKI and the folder fixtures run in, the
 * OpenSSL backend's client over TCP through the seam, and a fixture's default server
 * configuration. */
#ifndef TH_FIXTUREDRIVE_H
#define TH_FIXTUREDRIVE_H

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
#include "harness/io/transport.h"
#include "harness/vocab/util.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_openssl;

#define V10 TH_VBIT(TH_TLS10)
#define V11 TH_VBIT(TH_TLS11)
#define V12 TH_VBIT(TH_TLS12)
#define V13 TH_VBIT(TH_TLS13)

static char tmpdir[64], pkidir[128], fxroot[128];
static char root_pem[256], rsa_chain[256], rsa_key[256], ec_chain[256], ec_key[256];

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Entries in the folder fixtures are made in (0 when every stop cleaned up). */
static inline int folders_left(void)
{
    int n = 0;
    DIR *d = opendir(fxroot);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static inline int pid_gone(pid_t pid)
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
static inline enum th_step settle(struct client *c, enum th_step st)
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

static inline int client_open(struct client *c, struct th_ctx *ctx, uint16_t port,
                              struct th_session *resume)
{
    uint64_t ns;
    memset(c, 0, sizeof(*c));
    c->deadline = th_now_ns() + 5000000000ull;
    int fd = th_tcp_connect("127.0.0.1", port, c->deadline, &ns, &c->err);
    if (fd < 0) {
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
static inline void client_close(struct client *c)
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

static inline int send_all(struct client *c, const char *s)
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
static inline int recv_n(struct client *c, unsigned char *buf, size_t len)
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
static inline int get(struct client *c, const char *path, struct response *r)
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

static inline void connect_once(const struct th_tls_config *ccfg, uint16_t port,
                                struct th_session *resume, struct th_session **keep,
                                struct outcome *o)
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

static inline struct th_tls_config client_cfg(unsigned versions)
{
    return (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                  .versions = versions,
                                  .ca_file = root_pem,
                                  .hostname = "localhost",
                                  .sni = "localhost",
                                  .verify = 1};
}

/* ---- set-up ---- */

static inline struct th_tls_config server_cfg(const struct th_fixture_def *d, const char *chain,
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

/* The temp folder, its test PKI and run folder: 0 when the tests can go on. Either
 * way fxd_end() then cleans up. */
static inline int fxd_begin(void)
{
    struct th_error err = {0};
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/th-fixture-test-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        tmpdir[0] = '\0';
        ok(0, "mkdtemp");
        return -1;
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
    if (!ok(th_pki_generate(pkidir, &err) == 0 && th_mkdirs(fxroot) == 0 &&
                chmod(pkidir, 0755) == 0,
            "test PKI and run folder")) {
        printf("#   %s\n", err.text);
        return -1;
    }
    return 0;
}

/* Removes the temp folder; main's return value. */
static inline int fxd_end(void)
{
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}

#endif
