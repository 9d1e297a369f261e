/* `tlsharness serve`: an event-driven HTTPS/1.1 server over one backend (serve.h).
 *
 * Every connection is a small state machine driven until the backend asks for the
 * socket (TH_STEP_WANT_*); epoll then waits for exactly that. Driving until blocked,
 * rather than once per event, matters: a TLS library may hold a whole pipelined
 * request already decrypted, and the socket would never wake us for it. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/vocab/iana.h"
#include "harness/pki/pki.h"
#include "harness/io/transport.h"
#include "h2.h"

#define HEAD_MAX 16384
#define CHUNK 16384
#define IDLE_NS (60ull * 1000000000ull)

enum sstate { S_HANDSHAKE, S_READ, S_WRITE, S_SHUTDOWN, S_DONE, S_H2 };

struct sconn {
    struct th_tcp tcp; /* first: its io.ctx points at itself, so a conn never moves */
    struct th_conn *tls;
    struct th_h2 *h2; /* the connection negotiated ALPN h2 */
    struct server *srv;
    enum sstate state;
    enum th_step want; /* what the backend last asked for */
    char peer[64];
    uint64_t last_ns;
    unsigned requests;
    int handshaken, failed, close_after;
    struct th_error err;
    char head[HEAD_MAX + 1];
    size_t head_len;
    /* the response: hdr (head and any small body) then body_len pattern bytes */
    char hdr[1024];
    size_t hdr_len, hdr_off;
    uint64_t body_len, body_off;
    unsigned char out[CHUNK];
    size_t out_len, out_off;
};

struct server {
    const struct th_backend *b;
    struct th_ctx *ctx;
    int lfd, ep;
    int client_auth; /* a client certificate is asked for: say whether one came */
    FILE *log;
};

/* ---- HTTP ---- */

static void set_response(struct sconn *c, int status, const char *reason, const char *text,
                         uint64_t pattern_len)
{
    uint64_t len = text ? strlen(text) : pattern_len;
    int n = snprintf(c->hdr, sizeof(c->hdr),
                     "HTTP/1.1 %d %s\r\nServer: tlsharness\r\nContent-Type: %s\r\n"
                     "Content-Length: %llu\r\n%s%s\r\n%s",
                     status, reason, text ? "text/plain" : "application/octet-stream",
                     (unsigned long long)len, status == 405 ? "Allow: GET\r\n" : "",
                     c->close_after ? "Connection: close\r\n" : "", text ? text : "");
    c->hdr_len = n < 0 ? 0 : (size_t)n < sizeof(c->hdr) ? (size_t)n : sizeof(c->hdr) - 1;
    c->hdr_off = 0;
    c->body_len = text ? 0 : pattern_len;
    c->body_off = 0;
    c->out_len = c->out_off = 0;
    c->state = S_WRITE;
}

static void error_response(struct sconn *c, int status, const char *reason)
{
    char text[64];
    snprintf(text, sizeof(text), "%d %s\n", status, reason);
    c->close_after = 1;
    set_response(c, status, reason, text, 0);
}

/* True when the header block (after the request line) has a Connection: close. */
static int wants_close(const char *headers)
{
    for (const char *l = headers, *end; (end = strstr(l, "\r\n")); l = end + 2) {
        if (strncasecmp(l, "Connection:", 11) != 0)
            continue;
        for (const char *p = l + 11; p + 5 <= end; p++)
            if (strncasecmp(p, "close", 5) == 0)
                return 1;
    }
    return 0;
}

/* "/bytes/N" with N a decimal count up to the cap: 1 and *n; else 0. */
static int parse_bytes_path(const char *path, uint64_t *n)
{
    if (strncmp(path, "/bytes/", 7) != 0 || !path[7] || strlen(path + 7) > 12)
        return 0;
    uint64_t v = 0;
    for (const char *p = path + 7; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > TH_SERVE_MAX_BYTES)
        return 0;
    *n = v;
    return 1;
}

static void route(struct server *s, struct sconn *c, const char *method, const char *path)
{
    uint64_t n;
    if (strcmp(method, "GET") != 0) {
        error_response(c, 405, "Method Not Allowed");
    } else if (strcmp(path, "/") == 0) {
        struct th_negotiated neg;
        s->b->negotiated(c->tls, &neg);
        const struct th_suite_info *si = th_suite_by_id(neg.suite);
        char text[512];
        int len =
            snprintf(text, sizeof(text), "tlsharness %s %s\nTLS %s %s\n", s->b->name,
                     s->b->version(), th_version_name(neg.version), si ? si->name : "unknown");
        if (s->client_auth && len > 0 && (size_t)len < sizeof(text))
            snprintf(text + len, sizeof(text) - (size_t)len, "client certificate: %s\n",
                     neg.client_cert ? "verified" : "none");
        set_response(c, 200, "OK", text, 0);
    } else if (parse_bytes_path(path, &n)) {
        set_response(c, 200, "OK", NULL, n);
    } else {
        set_response(c, 404, "Not Found", "404 Not Found\n", 0);
    }
}

/* A complete head is in c->head (NUL-terminated, ending at `end`): answer it. */
static void handle_request(struct server *s, struct sconn *c, char *end)
{
    c->requests++;
    *end = '\0';
    char *eol = strstr(c->head, "\r\n");
    char *headers = eol ? eol + 2 : end;
    if (eol)
        *eol = '\0';
    char *sp1 = strchr(c->head, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == c->head || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ') ||
        strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1') || sp2[9]) {
        error_response(c, 400, "Bad Request");
        return;
    }
    *sp1 = *sp2 = '\0';
    c->close_after = sp2[8] == '0' || wants_close(headers);
    route(s, c, c->head, sp1 + 1);
}

/* ---- one connection's steps ---- */

static char *find_head_end(struct sconn *c)
{
    c->head[c->head_len] = '\0';
    char *e = strstr(c->head, "\r\n\r\n");
    return e ? e + 4 : NULL;
}

/* Read until a whole head is in; leftover bytes stay for the next request. */
static enum th_step step_read(struct server *s, struct sconn *c)
{
    char *end;
    while (!(end = find_head_end(c))) {
        if (c->head_len >= HEAD_MAX) {
            error_response(c, 431, "Request Header Fields Too Large");
            return TH_STEP_DONE;
        }
        size_t got = 0;
        enum th_step st =
            s->b->read(c->tls, c->head + c->head_len, HEAD_MAX - c->head_len, &got, &c->err);
        c->head_len += got;
        if (st != TH_STEP_DONE)
            return st;
    }
    size_t used = (size_t)(end - c->head), rest = c->head_len - used;
    char saved[HEAD_MAX + 1];
    memcpy(saved, end, rest);
    handle_request(s, c, end - 2); /* keep one CRLF so the last header line ends */
    memcpy(c->head, saved, rest);
    c->head_len = rest;
    return TH_STEP_DONE;
}

/* Next chunk of the response into c->out; 0 when nothing is left. */
static size_t fill_out(struct sconn *c)
{
    size_t n = 0;
    if (c->hdr_off < c->hdr_len) {
        n = c->hdr_len - c->hdr_off;
        if (n > CHUNK)
            n = CHUNK;
        memcpy(c->out, c->hdr + c->hdr_off, n);
        c->hdr_off += n;
    }
    if (n < CHUNK && c->body_off < c->body_len) {
        uint64_t m = c->body_len - c->body_off;
        if (m > CHUNK - n)
            m = CHUNK - n;
        th_pattern_fill(0, c->body_off, c->out + n, (size_t)m);
        c->body_off += m;
        n += (size_t)m;
    }
    c->out_len = n;
    c->out_off = 0;
    return n;
}

static enum th_step step_write(struct server *s, struct sconn *c)
{
    for (;;) {
        if (c->out_off == c->out_len && fill_out(c) == 0) {
            c->state = c->close_after ? S_SHUTDOWN : S_READ;
            return TH_STEP_DONE;
        }
        size_t done = 0;
        enum th_step st =
            s->b->write(c->tls, c->out + c->out_off, c->out_len - c->out_off, &done, &c->err);
        c->out_off += done;
        if (st != TH_STEP_DONE)
            return st;
    }
}

/* An HTTP/2 request gets the answers HTTP/1.1 gets (route). */
static void h2_route(void *arg, const char *method, const char *path, struct th_h2_answer *a)
{
    struct sconn *c = arg;
    uint64_t n;
    if (strcmp(method, "GET") != 0) {
        a->status = 405;
        snprintf(a->text, sizeof(a->text), "405 Method Not Allowed\n");
    } else if (strcmp(path, "/") == 0) {
        struct th_negotiated neg;
        c->srv->b->negotiated(c->tls, &neg);
        const struct th_suite_info *si = th_suite_by_id(neg.suite);
        a->status = 200;
        snprintf(a->text, sizeof(a->text), "tlsharness %s %s\nTLS %s %s\nHTTP/2\n", c->srv->b->name,
                 c->srv->b->version(), th_version_name(neg.version), si ? si->name : "unknown");
    } else if (parse_bytes_path(path, &n)) {
        a->status = 200;
        a->pattern = 1;
        a->pattern_len = n;
    } else {
        a->status = 404;
        snprintf(a->text, sizeof(a->text), "404 Not Found\n");
    }
}

/* After the handshake: HTTP/2 when ALPN chose it, else HTTP/1.1. */
static enum sstate after_handshake(struct server *s, struct sconn *c)
{
    struct th_negotiated neg;
    s->b->negotiated(c->tls, &neg);
    if (strcmp(neg.alpn, "h2") != 0)
        return S_READ;
    c->srv = s;
    c->h2 = th_h2_server_new(s->b, c->tls, h2_route, c, &c->err);
    if (!c->h2) {
        c->failed = 1;
        return S_DONE;
    }
    return S_H2;
}

/* Drive a connection until the backend needs the socket or the connection ends. */
static void drive(struct server *s, struct sconn *c)
{
    for (;;) {
        enum th_step st = TH_STEP_DONE;
        switch (c->state) {
        case S_HANDSHAKE:
            st = s->b->handshake(c->tls, &c->err);
            if (st == TH_STEP_DONE) {
                c->handshaken = 1;
                c->state = after_handshake(s, c);
            }
            break;
        case S_H2:
            st = th_h2_pump(c->h2, &c->err);
            c->requests = th_h2_requests(c->h2);
            if (st == TH_STEP_FAILED && !th_h2_in_flight(c->h2) && c->err.outcome == TH_TRUNCATED)
                st = TH_STEP_CLOSED; /* a client hanging up between streams */
            break;
        case S_READ: st = step_read(s, c); break;
        case S_WRITE: st = step_write(s, c); break;
        case S_SHUTDOWN:
            st = s->b->shutdown(c->tls, &c->err);
            if (st == TH_STEP_DONE)
                c->state = S_DONE;
            break;
        case S_DONE: return;
        }
        if (st == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE) {
            c->want = st;
            return;
        }
        if (st == TH_STEP_CLOSED) {
            c->state = S_DONE;
            return;
        }
        if (st == TH_STEP_FAILED) {
            /* an end of stream between requests is a client hanging up, not a failure */
            c->failed = c->state == S_HANDSHAKE || c->state == S_WRITE || c->head_len > 0 ||
                        (c->state == S_H2 && th_h2_in_flight(c->h2));
            c->state = S_DONE;
            return;
        }
    }
}

/* ---- the connection table ---- */

static void log_conn(struct server *s, struct sconn *c)
{
    if (!c->handshaken) {
        fprintf(s->log, "%s: handshake %s: %s (%s)\n", c->peer, c->failed ? "failed" : "not done",
                th_outcome_name(c->err.outcome), c->err.text[0] ? c->err.text : "no detail");
    } else {
        struct th_negotiated neg;
        s->b->negotiated(c->tls, &neg);
        const struct th_suite_info *si = th_suite_by_id(neg.suite);
        fprintf(s->log, "%s: TLS %s %s, %u request%s", c->peer, th_version_name(neg.version),
                si ? si->name : "unknown", c->requests, c->requests == 1 ? "" : "s");
        if (s->client_auth)
            fprintf(s->log, ", client certificate %s", neg.client_cert ? "verified" : "none");
        if (c->failed)
            fprintf(s->log, ", then failed: %s (%s)", th_outcome_name(c->err.outcome),
                    c->err.text[0] ? c->err.text : "no detail");
        fputc('\n', s->log);
    }
    fflush(s->log);
}

static void conn_close(struct server *s, struct sconn *c, int log)
{
    if (log)
        log_conn(s, c);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->tcp.fd, NULL);
    th_h2_free(c->h2);
    if (c->tls)
        s->b->conn_free(c->tls);
    th_tcp_close(&c->tcp);
    free(c);
}

static void conn_watch(struct server *s, struct sconn *c, int op)
{
    struct epoll_event ev = {.events = c->want == TH_STEP_WANT_WRITE ? EPOLLOUT : EPOLLIN,
                             .data.ptr = c};
    epoll_ctl(s->ep, op, c->tcp.fd, &ev);
}

static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
            port = ntohs(a->sin_port);
        }
    }
    snprintf(out, cap, "%s:%u", host, port);
}

/* Kept as a list to close what is left at the end and to sweep idle connections. */
struct conn_list {
    struct sconn **v;
    size_t n, cap;
};

static void list_remove(struct conn_list *l, struct sconn *c)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == c) {
            l->v[i] = l->v[--l->n];
            return;
        }
}

static void accept_all(struct server *s, struct conn_list *l)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a failure the next wake-up retries */
        struct sconn *c = th_xcalloc(1, sizeof(*c));
        th_tcp_init(&c->tcp, fd);
        peer_name(fd, c->peer, sizeof(c->peer));
        c->last_ns = th_now_ns();
        if (s->b->conn_new(s->ctx, &c->tcp.io, NULL, &c->tls, &c->err) != 0) {
            conn_close(s, c, 1);
            continue;
        }
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 16;
            l->v = th_xrealloc(l->v, l->cap * sizeof(*l->v));
        }
        l->v[l->n++] = c;
        drive(s, c);
        if (c->state == S_DONE) {
            list_remove(l, c);
            conn_close(s, c, 1);
        } else {
            conn_watch(s, c, EPOLL_CTL_ADD);
        }
    }
}

static void on_event(struct server *s, struct conn_list *l, struct sconn *c)
{
    c->last_ns = th_now_ns();
    drive(s, c);
    if (c->state == S_DONE) {
        list_remove(l, c);
        conn_close(s, c, 1);
    } else {
        conn_watch(s, c, EPOLL_CTL_MOD);
    }
}

static void sweep_idle(struct server *s, struct conn_list *l, uint64_t now)
{
    for (size_t i = 0; i < l->n;) {
        struct sconn *c = l->v[i];
        if (now - c->last_ns < IDLE_NS) {
            i++;
            continue;
        }
        list_remove(l, c);
        conn_close(s, c, 1);
    }
}

/* The pki leaf's chain and key into chain and key (PATH_MAX each). */
static int pki_files(const char *cert, const char *pki_dir, char *chain, char *key,
                     struct th_error *err)
{
    if (th_pki_path(pki_dir, cert, TH_PKI_CHAIN, chain, PATH_MAX, err) != 0 ||
        th_pki_path(pki_dir, cert, TH_PKI_KEY, key, PATH_MAX, err) != 0) {
        th_error_prefix(err, "--cert %s", cert);
        return -1;
    }
    return 0;
}

static int make_ctx(struct server *s, const struct th_serve_tls *t, struct th_error *err)
{
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    s->b->caps(&caps);
    struct th_tls_config cfg = {.role = TH_ROLE_SERVER,
                                .cert_file = t->cert_file,
                                .key_file = t->key_file,
                                .client_auth = t->client_auth,
                                .client_ca_file = t->client_ca_file,
                                .ocsp_file = t->ocsp_file,
                                .tickets = t->resumption,
                                .session_cache = t->resumption,
                                .early_data =
                                    t->early_data ? TH_EARLY_SERVER_ACCEPT : TH_EARLY_SERVER_OFF,
                                .anti_replay = t->early_data};
    /* HTTP/2 to the clients that ask for it (h2.c), HTTP/1.1 to the others */
    if (caps.features & TH_CAP_ALPN) {
        cfg.alpn[0] = "h2";
        cfg.alpn[1] = "http/1.1";
        cfg.n_alpn = 2;
    }
    cfg.versions = caps.versions & (TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13));
    if (!cfg.versions)
        cfg.versions = caps.versions;
    struct th_error e = {0};
    if (s->b->ctx_new(&cfg, &s->ctx, &e) != 0) {
        th_error_prefix(&e, "%s server context: %s", s->b->name, th_outcome_name(e.outcome));
        e.input = e.input || t->user_files;
        if (err)
            *err = e;
        return -1;
    }
    s->client_auth = t->client_auth != TH_CLIENT_AUTH_NONE;
    return 0;
}

/* The event loop over a listening socket the caller owns. */
static void serve_loop(struct server *s, double max_seconds, volatile sig_atomic_t *stop)
{
    uint64_t deadline = max_seconds > 0 ? th_now_ns() + (uint64_t)(max_seconds * 1e9) : 0;
    struct conn_list l = {0};
    struct epoll_event evs[64];
    while (!*stop && (!deadline || th_now_ns() < deadline)) {
        int n = epoll_wait(s->ep, evs, (int)TH_ARRAY_LEN(evs), 200);
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr)
                accept_all(s, &l);
            else
                on_event(s, &l, evs[i].data.ptr);
        }
        sweep_idle(s, &l, th_now_ns());
    }
    while (l.n)
        conn_close(s, l.v[--l.n], 1);
    free(l.v);
}

/* The event loop on s->lfd with s->ctx; the caller owns both. */
static int serve_run(struct server *s, double max_seconds, volatile sig_atomic_t *stop,
                     struct th_error *err)
{
    int fl = fcntl(s->lfd, F_GETFL);
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (fl < 0 || fcntl(s->lfd, F_SETFL, fl | O_NONBLOCK) != 0 || s->ep < 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &lev) != 0) {
        TH_FAULT(err, errno, "cannot serve on fd %d: %s", s->lfd, strerror(errno));
        if (s->ep >= 0)
            close(s->ep);
        return -1;
    }
    serve_loop(s, max_seconds, stop);
    close(s->ep);
    return 0;
}

int th_serve_ctx(const struct th_backend *b, struct th_ctx *ctx, int lfd, double max_seconds,
                 volatile sig_atomic_t *stop, FILE *log, struct th_error *err)
{
    struct server s = {.b = b, .ctx = ctx, .lfd = lfd, .ep = -1, .log = log};
    return serve_run(&s, max_seconds, stop, err);
}

int th_serve_tls_fd(const struct th_backend *b, int lfd, const struct th_serve_tls *t,
                    double max_seconds, volatile sig_atomic_t *stop, FILE *log,
                    struct th_error *err)
{
    struct server s = {.b = b, .lfd = lfd, .ep = -1, .log = log};
    if (make_ctx(&s, t, err) != 0)
        return -1;
    if (t->on_ready)
        t->on_ready(t->ready_arg);
    int rc = serve_run(&s, max_seconds, stop, err);
    b->ctx_free(s.ctx);
    return rc;
}

int th_serve_fd(const struct th_backend *b, int lfd, const char *cert, const char *pki_dir,
                int resumption, double max_seconds, volatile sig_atomic_t *stop, FILE *log,
                struct th_error *err)
{
    char chain[PATH_MAX], key[PATH_MAX];
    TH_GUARD(pki_files(cert ? cert : "rsa2048", pki_dir, chain, key, err));
    struct th_serve_tls t = {.cert_file = chain, .key_file = key, .resumption = resumption};
    return th_serve_tls_fd(b, lfd, &t, max_seconds, stop, log, err);
}

int th_serve_tls(const struct th_backend *b, const char *host, uint16_t port,
                 const struct th_serve_tls *t, double max_seconds, volatile sig_atomic_t *stop,
                 FILE *log, struct th_error *err)
{
    host = host ? host : "127.0.0.1";
    /* the context first: a port that accepts must be one that is served (a caller
     * waits for the port, then reads what on_ready said) */
    struct server s = {.b = b, .lfd = -1, .ep = -1, .log = log};
    if (make_ctx(&s, t, err) != 0)
        return -1;
    uint16_t bound = port;
    s.lfd = th_tcp_listen(host, &bound);
    if (s.lfd < 0) {
        TH_FAULT(err, errno, "cannot listen on %s:%u: %s", host, port, strerror(errno));
        b->ctx_free(s.ctx);
        return -1;
    }
    if (t->on_ready)
        t->on_ready(t->ready_arg);
    int rc = serve_run(&s, max_seconds, stop, err);
    b->ctx_free(s.ctx);
    close(s.lfd);
    return rc;
}

int th_serve(const struct th_backend *b, const char *host, uint16_t port, const char *cert,
             const char *pki_dir, double max_seconds, volatile sig_atomic_t *stop, FILE *log,
             struct th_error *err)
{
    char chain[PATH_MAX], key[PATH_MAX];
    /* resumption on, as real servers have it: a client may measure it */
    struct th_serve_tls t = {.cert_file = chain, .key_file = key, .resumption = 1};
    TH_GUARD(pki_files(cert ? cert : "rsa2048", pki_dir, chain, key, err));
    return th_serve_tls(b, host, port, &t, max_seconds, stop, log, err);
}
