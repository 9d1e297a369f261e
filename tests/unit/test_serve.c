/* `tlsharness serve`'s engine (harness/http/serve.c) with the OpenSSL backend on
 * 127.0.0.1, spoken to by the OpenSSL backend's client over TCP: GET / and
 * GET /bytes/N (checked against the pattern), keep-alive and HTTP/1.0, and every
 * refusal it answers: 404, 405, 400 for a malformed request line, 431 for an
 * oversized head; a client that fails its handshake; the starts it refuses. */
#include "pairdrive.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "harness/http/response.h"
#include "harness/http/serve.h"
#include "harness/vocab/util.h"
#include "serve_thread.h"

extern const struct th_backend th_backend_openssl;
static const struct th_backend *const OSSL = &th_backend_openssl;

#define SEC 1000000000ull

/* ---- th_serve_fd in a thread ---- */

/* From the pki's default leaf, without resumption; the log kept for the checks. */
static int srv_start(struct st_srv *s)
{
    return st_start(s, OSSL, NULL, 0, NULL, tmpfile());
}

/* ---- one client connection ---- */

static struct th_ctx *client_ctx(const char *ca)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", pkidir, ca);
    struct th_tls_config cfg = st_client_cfg(path);
    struct th_ctx *ctx = NULL;
    struct th_error e;
    return OSSL->ctx_new(&cfg, &ctx, &e) == 0 ? ctx : NULL;
}

/* Connect, send req, read until the server closes (or cap bytes). The bytes read, or
 * -1 when the handshake failed. */
static long exchange(struct th_ctx *ctx, uint16_t port, const char *req, char *out, size_t cap)
{
    struct th_tcp t;
    struct th_conn *c = NULL;
    struct th_error e;
    uint64_t ns;
    int fd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 5 * SEC, &ns, &e);
    if (fd < 0)
        return -1;
    th_tcp_init(&t, fd);
    long got = -1;
    enum th_step st = TH_STEP_FAILED;
    if (OSSL->conn_new(ctx, &t.io, NULL, &c, &e) == 0)
        while ((st = OSSL->handshake(c, &e)) != TH_STEP_DONE && st_settle(&t, st) == TH_STEP_DONE)
            ;
    if (st == TH_STEP_DONE) {
        size_t off = 0, len = strlen(req), n = 0;
        while (off < len && (st = OSSL->write(c, req + off, len - off, &n, &e)) != TH_STEP_FAILED &&
               st != TH_STEP_CLOSED && st_settle(&t, st) == TH_STEP_DONE)
            off += n, n = 0;
        got = 0;
        while ((size_t)got < cap - 1) {
            n = 0;
            st = OSSL->read(c, out + got, cap - 1 - (size_t)got, &n, &e);
            got += (long)n;
            if (st == TH_STEP_CLOSED || st == TH_STEP_FAILED || st_settle(&t, st) != TH_STEP_DONE)
                break;
        }
        out[got] = '\0';
    }
    if (c)
        OSSL->conn_free(c);
    th_tcp_close(&t);
    return got;
}

static char resp[1 << 18];

/* The status of a response that starts in resp. */
static int status_of(const char *r)
{
    return strncmp(r, "HTTP/1.1 ", 9) == 0 ? atoi(r + 9) : -1;
}

/* ---- the requests ---- */

static void test_get(struct th_ctx *ctx, uint16_t port)
{
    long n = exchange(ctx, port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                      resp, sizeof(resp));
    const char *body = n > 0 ? strstr(resp, "\r\n\r\n") : NULL;
    ok(n > 0 && status_of(resp) == 200 && strstr(resp, "Connection: close\r\n"),
       "GET /: 200, and it closes as asked");
    ok(body && strncmp(body + 4, "tlsharness openssl ", 19) == 0 && strstr(body, "\nTLS 1.3 TLS_"),
       "GET /: the body names the backend, the version and the suite");

    static struct th_http_resp r;
    n = exchange(ctx, port,
                 "GET /bytes/100000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", resp,
                 sizeof(resp));
    th_http_resp_start(&r, 1, 100000);
    ok(n > 100000 && th_http_resp_feed(&r, (unsigned char *)resp, (size_t)n) == TH_HTTP_DONE &&
           r.body == 100000,
       "GET /bytes/100000: 100000 bytes of the pattern, byte for byte (%s)", r.why);
    n = exchange(ctx, port, "GET /bytes/0 HTTP/1.1\r\nConnection: close\r\n\r\n", resp,
                 sizeof(resp));
    ok(n > 0 && status_of(resp) == 200 && strstr(resp, "Content-Length: 0\r\n"),
       "GET /bytes/0: an empty 200");
    n = exchange(
        ctx, port,
        "GET /bytes/10 HTTP/1.1\r\n\r\nGET /bytes/20 HTTP/1.1\r\nConnection: close\r\n\r\n", resp,
        sizeof(resp));
    const char *second = n > 0 ? strstr(resp + 1, "HTTP/1.1 200 OK") : NULL;
    ok(status_of(resp) == 200 && strstr(resp, "Content-Length: 10\r\n") && second &&
           strstr(second, "Content-Length: 20\r\n"),
       "two pipelined requests on one keep-alive connection: both answered, in order");
    n = exchange(ctx, port, "GET / HTTP/1.0\r\n\r\n", resp, sizeof(resp));
    ok(n > 0 && status_of(resp) == 200 && strstr(resp, "Connection: close\r\n"),
       "HTTP/1.0: answered, then closed");
}

static void expect_status(struct th_ctx *ctx, uint16_t port, const char *req, int want,
                          const char *what)
{
    long n = exchange(ctx, port, req, resp, sizeof(resp));
    ok(n > 0 && status_of(resp) == want, "%s: %d (%.20s)", what, want, n > 0 ? resp : "nothing");
}

static void test_refusals(struct th_ctx *ctx, uint16_t port)
{
    const char *close = "Connection: close\r\n\r\n";
    char req[256];
    snprintf(req, sizeof(req), "GET /nosuch HTTP/1.1\r\n%s", close);
    expect_status(ctx, port, req, 404, "an unknown path");
    snprintf(req, sizeof(req), "GET /bytes/1073741825 HTTP/1.1\r\n%s", close);
    expect_status(ctx, port, req, 404, "/bytes/ over 1 GiB");
    snprintf(req, sizeof(req), "GET /bytes/12x HTTP/1.1\r\n%s", close);
    expect_status(ctx, port, req, 404, "/bytes/ not a number");
    snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nContent-Length: 0\r\n%s", close);
    expect_status(ctx, port, req, 405, "POST");
    ok(strstr(resp, "Allow: GET\r\n") != NULL, "405 says what is allowed");
    /* a malformed request line is answered 400 and the connection closed, without
     * a Connection: close from the client */
    expect_status(ctx, port, "NONSENSE\r\n\r\n", 400, "a request line without spaces");
    ok(strstr(resp, "Connection: close\r\n") != NULL, "400 closes the connection");
    expect_status(ctx, port, "GET / HTTP/2.0\r\n\r\n", 400, "HTTP/2.0 in a request line");
    expect_status(ctx, port, "GET  / HTTP/1.1\r\n\r\n", 400, "an empty target");
    expect_status(ctx, port, "GET / HTTP/1.1 x\r\n\r\n", 400, "a word after the version");
    static char big[20000];
    int k = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX-Big: ");
    memset(big + k, 'a', 17000);
    memcpy(big + k + 17000, "\r\n\r\n", 5);
    expect_status(ctx, port, big, 431, "a head over 16 KiB");
}

/* ---- starts it refuses, and stopping ---- */

static void test_refused_starts(void)
{
    struct th_error err = {0};
    volatile sig_atomic_t stop = 0;
    uint16_t port = 0;
    int lfd = th_tcp_listen("127.0.0.1", &port);
    FILE *log = tmpfile();
    ok(th_serve_fd(OSSL, lfd, "nosuch", pkidir, 0, 1, &stop, log, &err) == -1 && err.input &&
           strstr(err.text, "--cert nosuch: unknown PKI object 'nosuch'"),
       "an unknown --cert: the user's input (%s)", err.text);
    ok(th_serve_fd(OSSL, lfd, "crl", pkidir, 0, 1, &stop, log, &err) == -1 &&
           strstr(err.text, "is not a certificate chain"),
       "a --cert that is no leaf (%s)", err.text);
    char nopki[300];
    snprintf(nopki, sizeof(nopki), "%s/none", pd_tmpdir);
    ok(th_serve_fd(OSSL, lfd, NULL, nopki, 0, 1, &stop, log, &err) == -1 && !err.input &&
           strstr(err.text, "openssl server context"),
       "a PKI folder without the files: the library's words (%s)", err.text);
    ok(th_serve_ctx(OSSL, NULL, -1, 1, &stop, log, &err) == -1 && err.code == EBADF && err.file,
       "no socket: a fault with errno, at its place (%s)", err.text);
    ok(th_serve(OSSL, "192.0.2.1", 4433, NULL, pkidir, 1, &stop, log, &err) == -1 &&
           strstr(err.text, "cannot listen on 192.0.2.1:4433") && err.file,
       "an address it cannot listen on: a fault (%s)", err.text);
    uint64_t t0 = th_now_ns();
    ok(th_serve_fd(OSSL, lfd, NULL, pkidir, 0, 0.3, &stop, log, &err) == 0 &&
           th_now_ns() - t0 < 3 * SEC,
       "max_seconds: it stops by itself with 0");
    fclose(log);
    close(lfd);
}

int main(void)
{
    if (pd_begin("serve") != 0)
        return pd_end();
    signal(SIGPIPE, SIG_IGN);
    struct st_srv s;
    struct th_ctx *ctx = client_ctx("root.pem"), *wrong = client_ctx("untrusted-root.pem");
    int up = ctx && wrong && srv_start(&s) == 0;
    if (ok(up, "server on 127.0.0.1:%u", up ? (unsigned)s.port : 0)) {
        test_get(ctx, s.port);
        test_refusals(ctx, s.port);
        ok(exchange(wrong, s.port, "GET / HTTP/1.1\r\n\r\n", resp, sizeof(resp)) == -1,
           "a client that does not trust it: no handshake");
        char log[8192];
        uint64_t t0 = th_now_ns();
        st_stop_log(&s, log, sizeof(log));
        ok(s.rc == 0 && th_now_ns() - t0 < 2 * SEC, "stop: returns 0 promptly (%s)", s.err.text);
        ok(strstr(log, "127.0.0.1:") && strstr(log, ": TLS 1.3 TLS_") &&
               strstr(log, ", 2 requests\n"),
           "one log line per connection: peer, version, suite, requests");
        ok(strstr(log, ": handshake failed: ") != NULL, "the failed handshake is logged");
    }
    if (ctx)
        OSSL->ctx_free(ctx);
    if (wrong)
        OSSL->ctx_free(wrong);
    test_refused_starts();
    return pd_end();
}
