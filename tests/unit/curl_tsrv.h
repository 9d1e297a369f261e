/* Included by the libcurl backend tests (test_curl_conn.c, test_curl_cert.c) after
 * curlcheck.h: a small server of their own over loopback TCP, one connection at a
 * time, whose TLS settings and served chain each case chooses (the OpenSSL
 * backend's server role, SB), and what it saw of each connection. */
#ifndef TH_CURL_TSRV_H
#define TH_CURL_TSRV_H

#include "curlcheck.h"

#include <sys/socket.h>

/* ---- a server of our own: one connection at a time, its settings chosen ---- */

enum tsrv_mode {
    TS_ANSWER,   /* a 200 with "tsrv\n", then close_notify */
    TS_TRUNCATE, /* announce 100 bytes, send 5, close */
    TS_SILENT,   /* listen, never accept: the peer a time limit exists for */
    TS_CHUNKED,  /* a 200 with 16 bytes in two chunks: no length to refuse up front */
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

static inline void tsrv_init(struct tsrv *s, const char *leaf)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->chain, sizeof(s->chain), "%s/%s.chain.pem", pkidir, leaf);
    snprintf(s->key, sizeof(s->key), "%s/%s.key.pem", pkidir, leaf);
    s->cfg = (struct th_tls_config){
        .role = TH_ROLE_SERVER, .versions = V12 | V13, .cert_file = s->chain, .key_file = s->key};
    s->lfd = -1;
}

static inline int ts_wait(int fd, enum th_step st, uint64_t deadline)
{
    return th_tcp_wait(fd, st == TH_STEP_WANT_WRITE, deadline) == 1 ? 0 : -1;
}

static inline int ts_write(struct th_conn *c, int fd, const char *buf, size_t len,
                           uint64_t deadline)
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
static inline int ts_read_head(struct th_conn *c, int fd, uint64_t deadline)
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

static inline void ts_respond(struct tsrv *s, struct th_conn *c, int fd, uint64_t deadline)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
                             "tsrv\n";
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ntsrv\n";
    static const char chunked[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n8\r\nabcdefgh\r\n8\r\nijklmnop\r\n0\r\n\r\n";
    struct th_error e;
    if (ts_read_head(c, fd, deadline) != 0)
        return;
    if (s->mode == TS_CHUNKED) {
        if (ts_write(c, fd, chunked, strlen(chunked), deadline) == 0)
            (void)SB->shutdown(c, &e);
        return;
    }
    if (s->mode == TS_TRUNCATE) {
        (void)ts_write(c, fd, cut, strlen(cut), deadline);
        return; /* closed without close_notify */
    }
    if (ts_write(c, fd, ok, strlen(ok), deadline) == 0)
        (void)SB->shutdown(c, &e);
}

/* After a refusal, close as a web server does (nginx's lingering close): stop
 * sending, then read what the client still sends for a moment. Closing with its
 * data unread would reset the connection, and the reset can overtake the alert. */
static inline void ts_linger(int fd)
{
    char buf[4096];
    uint64_t end = th_now_ns() + SEC / 5;
    shutdown(fd, SHUT_WR);
    while (th_tcp_wait(fd, 0, end) == 1 && read(fd, buf, sizeof(buf)) > 0)
        ;
}

static inline void ts_serve_one(struct tsrv *s, int fd)
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
    else
        ts_linger(fd);
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
        int fd = th_tcp_accept(s->lfd, th_now_ns() + SEC / 10, NULL);
        if (fd >= 0)
            ts_serve_one(s, fd);
    }
    return NULL;
}

static inline int tsrv_start(struct tsrv *s)
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

static inline void tsrv_stop(struct tsrv *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->lfd);
    SB->ctx_free(s->ctx);
}

#endif
