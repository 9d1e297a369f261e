#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- memory ---- */

void th_queue_push(struct th_queue *q, const void *data, size_t len)
{
    if (!len)
        return;
    if (q->len + len > q->cap) {
        size_t cap = q->cap ? q->cap : 65536;
        while (cap < q->len + len)
            cap *= 2;
        unsigned char *nb = th_xmalloc(cap);
        /* unwrap the ring into the new buffer */
        size_t first = q->cap - q->head < q->len ? q->cap - q->head : q->len;
        if (q->len) {
            memcpy(nb, q->buf + q->head, first);
            memcpy(nb + first, q->buf, q->len - first);
        }
        free(q->buf);
        q->buf = nb;
        q->cap = cap;
        q->head = 0;
    }
    size_t tail = (q->head + q->len) % q->cap;
    size_t first = q->cap - tail < len ? q->cap - tail : len;
    memcpy(q->buf + tail, data, first);
    memcpy(q->buf, (const unsigned char *)data + first, len - first);
    q->len += len;
    q->total += len;
}

static size_t queue_pop(struct th_queue *q, void *out, size_t len)
{
    if (len > q->len)
        len = q->len;
    size_t first = q->cap - q->head < len ? q->cap - q->head : len;
    memcpy(out, q->buf + q->head, first);
    memcpy((unsigned char *)out + first, q->buf, len - first);
    q->head = q->len == len ? 0 : (q->head + len) % q->cap;
    q->len -= len;
    return len;
}

static ssize_t mem_send(void *ctx, const void *buf, size_t len)
{
    struct th_queue **qs = ctx; /* [0] out, [1] in */
    if (qs[0]->eof)
        return TH_IO_FAIL;
    if (qs[0]->filter)
        qs[0]->filter(qs[0]->filter_arg, qs[0], buf, len);
    else
        th_queue_push(qs[0], buf, len);
    return (ssize_t)len;
}

static ssize_t mem_recv(void *ctx, void *buf, size_t len)
{
    struct th_queue **qs = ctx;
    if (qs[1]->len == 0)
        return qs[1]->eof ? 0 : TH_IO_AGAIN;
    return (ssize_t)queue_pop(qs[1], buf, len);
}

void th_queue_trim(struct th_queue *q)
{
    if (q->len)
        return;
    free(q->buf);
    q->buf = NULL;
    q->cap = q->head = 0;
}

void th_mem_pair_init(struct th_mem_pair *p)
{
    memset(p, 0, sizeof(*p));
    struct th_queue **cq = th_xmalloc(2 * sizeof(*cq));
    struct th_queue **sq = th_xmalloc(2 * sizeof(*sq));
    cq[0] = &p->c2s;
    cq[1] = &p->s2c;
    sq[0] = &p->s2c;
    sq[1] = &p->c2s;
    p->client_io = (struct th_io){.ctx = cq, .send = mem_send, .recv = mem_recv};
    p->server_io = (struct th_io){.ctx = sq, .send = mem_send, .recv = mem_recv};
}

void th_mem_pair_free(struct th_mem_pair *p)
{
    free(p->c2s.buf);
    free(p->s2c.buf);
    free(p->client_io.ctx);
    free(p->server_io.ctx);
    memset(p, 0, sizeof(*p));
}

void th_mem_pair_close_client(struct th_mem_pair *p)
{
    p->c2s.eof = 1;
}
void th_mem_pair_close_server(struct th_mem_pair *p)
{
    p->s2c.eof = 1;
}

/* ---- TCP ---- */

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int remaining_ms(uint64_t deadline_ns)
{
    uint64_t now = th_now_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now + 999999) / 1000000;
    return ms > 60000 ? 60000 : (int)ms;
}

int th_tcp_wait(int fd, int want_write, uint64_t deadline_ns)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = want_write ? POLLOUT : POLLIN};
        int ms = remaining_ms(deadline_ns);
        if (ms == 0)
            return 0;
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

int th_tcp_listen(const char *host, uint16_t *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", *port);
    if (getaddrinfo(host, portstr, &hints, &ai) != 0) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
        set_nonblock(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        errno = e;
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int th_tcp_accept(int lfd, uint64_t deadline_ns, struct th_error *err)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            break;
        int r = th_tcp_wait(lfd, 0, deadline_ns);
        if (r == 0) {
            TH_RAISE(err, TH_TIMEOUT, 0, "accept: no connection within the time limit");
            return -1;
        }
        if (r < 0)
            break;
    }
    int e = errno;
    TH_RAISE(err, TH_IO_ERROR, e, "accept: %s", strerror(e));
    errno = e;
    return -1;
}

int th_tcp_connect(const char *host, uint16_t port, uint64_t deadline_ns, uint64_t *connect_ns,
                   struct th_error *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL, *a;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0) {
        TH_RAISE(err, TH_IO_ERROR, EHOSTUNREACH, "TCP connect to %s:%u: %s", host, port,
                 gai_strerror(gai));
        errno = EHOSTUNREACH;
        return -1;
    }
    int rc = -1, e = ECONNREFUSED, timed_out = 0;
    for (a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || set_nonblock(fd) != 0) {
            e = errno;
            if (fd >= 0)
                close(fd);
            continue;
        }
        uint64_t t0 = th_now_ns();
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            e = errno;
            close(fd);
            continue;
        }
        int w = th_tcp_wait(fd, 1, deadline_ns);
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
            if (connect_ns)
                *connect_ns = th_now_ns() - t0;
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            rc = fd;
            break;
        }
        close(fd);
        if (w == 0) {
            timed_out = 1;
            break;
        }
        e = soerr ? soerr : errno;
    }
    freeaddrinfo(ai);
    if (rc >= 0)
        return rc;
    if (timed_out) {
        TH_RAISE(err, TH_TIMEOUT, 0, "TCP connect to %s:%u timed out", host, port);
        errno = ETIMEDOUT;
    } else {
        TH_RAISE(err, TH_IO_ERROR, e, "TCP connect to %s:%u: %s", host, port, strerror(e));
        errno = e;
    }
    return -1;
}

static ssize_t tcp_send(void *ctx, const void *buf, size_t len)
{
    struct th_tcp *t = ctx;
    for (;;) {
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) {
            t->sent += (uint64_t)n;
            return n ? n : TH_IO_AGAIN;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? TH_IO_AGAIN : TH_IO_FAIL;
    }
}

static ssize_t tcp_recv(void *ctx, void *buf, size_t len)
{
    struct th_tcp *t = ctx;
    for (;;) {
        ssize_t n = recv(t->fd, buf, len, 0);
        if (n >= 0) {
            t->received += (uint64_t)n;
            return n;
        }
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? TH_IO_AGAIN : TH_IO_FAIL;
    }
}

void th_tcp_init(struct th_tcp *t, int fd)
{
    memset(t, 0, sizeof(*t));
    t->fd = fd;
    set_nonblock(fd);
    /* both ends: a library that writes a flight in several sends must not wait on
     * Nagle's algorithm against the peer's delayed ACK (40 ms a round) */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    t->io = (struct th_io){.ctx = t, .send = tcp_send, .recv = tcp_recv};
}

void th_tcp_close(struct th_tcp *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}
