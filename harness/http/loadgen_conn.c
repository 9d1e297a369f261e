/* The connection side both load engines share (loadgen_int.h): one place for how a
 * connection is opened, verified, closed and recorded, so that HTTP/1.1 and HTTP/2
 * runs measure and fail alike. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loadgen_int.h"

#define DEFAULT_TIMEOUT_S 10.0
#define ERRORS_FLOOR 100
#define ERRORS_PER_REQUEST 10
/* Latency samples allocated up front when running by count: the whole count up to
 * this many (8 MiB); a larger count grows the array as it fills, not 8 bytes times
 * a billion before the first request. */
#define LATENCY_PREALLOC ((size_t)1 << 20)

/* ---- set-up ---- */

static int resolve(struct th_loadgen_run *r, struct th_error *err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", r->p->port);
    int rc = getaddrinfo(r->p->host, port, &hints, &ai);
    if (rc != 0 || !ai || ai->ai_addrlen > sizeof(r->addr)) {
        TH_RAISE(err, TH_IO_ERROR, rc, "cannot resolve %s: %s", r->p->host,
                 rc ? gai_strerror(rc) : "no address");
        if (ai)
            freeaddrinfo(ai);
        return -1;
    }
    memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
    r->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

int th_loadgen_open(struct th_loadgen_run *r, struct th_error *err)
{
    if (resolve(r, err) != 0)
        return -1;
    if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        TH_FAULT(err, errno, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void th_loadgen_clock_start(struct th_loadgen_run *r)
{
    const struct th_loadgen_params *p = r->p;
    if (p->requests) {
        r->lat_cap = p->requests < LATENCY_PREALLOC ? (size_t)p->requests : LATENCY_PREALLOC;
        r->st->latency_ns = th_xmalloc(r->lat_cap * sizeof(uint64_t));
    }
    r->timeout_ns = (uint64_t)((p->timeout_s > 0 ? p->timeout_s : DEFAULT_TIMEOUT_S) * 1e9);
    r->cpu0 = th_thread_cpu_ns();
    r->t0 = r->last_ns = th_now_ns();
    double limit = p->requests ? p->max_seconds : p->seconds;
    if (limit > 0)
        r->end_ns = r->t0 + (uint64_t)(limit * 1e9);
}

void th_loadgen_clock_stop(struct th_loadgen_run *r)
{
    r->st->cpu_ns = th_thread_cpu_ns() - r->cpu0;
    r->st->wall_ns = (r->st->requests ? r->last_ns : th_now_ns()) - r->t0;
}

const char *th_loadgen_body_check(int pattern, const uint8_t *sha256)
{
    return pattern ? (sha256 ? "pattern+sha256" : "pattern") : (sha256 ? "sha256" : "length");
}

void th_loadgen_authority(const struct th_loadgen_params *p, char *buf, size_t size)
{
    if (p->host_header)
        th_strlcpy(buf, p->host_header, size);
    else
        snprintf(buf, size, strchr(p->host, ':') ? "[%s]:%u" : "%s:%u", p->host, p->port);
}

/* ---- the run ---- */

int th_loadgen_stop_now(const struct th_loadgen_run *r, uint64_t now)
{
    const struct th_loadgen_params *p = r->p;
    return r->stopping || (p->interrupt && *p->interrupt) || (r->end_ns && now >= r->end_ns) ||
           (p->requests && r->st->requests >= p->requests);
}

int th_loadgen_nothing_to_issue(const struct th_loadgen_run *r, uint64_t now)
{
    return th_loadgen_stop_now(r, now) || (r->p->requests && r->issued >= r->p->requests);
}

/* The cap keeps a target that refuses everything from holding one core spinning
 * until the time limit. */
void th_loadgen_count_failure(struct th_loadgen_run *r, const struct th_error *err)
{
    enum th_outcome o = err->outcome;
    if (o <= TH_OK || o >= TH_OUTCOME_COUNT)
        o = TH_INTERNAL_ERROR; /* a failure without a class is still a failure */
    r->st->errors[o]++;
    if (r->failures++ == 0) {
        r->st->first_error = *err;
        r->st->first_error.outcome = o;
    }
    uint64_t cap = r->st->requests * ERRORS_PER_REQUEST;
    if (r->failures > (cap > ERRORS_FLOOR ? cap : ERRORS_FLOOR))
        r->stopping = 1;
}

/* ---- one connection ---- */

enum th_step th_loadgen_connect(struct th_loadgen_run *r, struct th_loadgen_conn *k)
{
    int fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        th_error_set(&k->err, TH_IO_ERROR, errno, "socket: %s", strerror(errno));
        return TH_STEP_FAILED;
    }
    th_tcp_init(&k->tcp, fd);
    k->t_connect = th_now_ns();
    if (connect(fd, (struct sockaddr *)&r->addr, r->addrlen) == 0)
        return TH_STEP_DONE;
    if (errno == EINPROGRESS)
        return TH_STEP_WANT_WRITE;
    th_error_set(&k->err, TH_IO_ERROR, errno, "connect to %s:%u: %s", r->p->host, r->p->port,
                 strerror(errno));
    return TH_STEP_FAILED;
}

int th_loadgen_connect_result(struct th_loadgen_run *r, struct th_loadgen_conn *k)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(k->tcp.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        soerr = errno;
    if (!soerr)
        return 0;
    th_error_set(&k->err, TH_IO_ERROR, soerr, "connect to %s:%u: %s", r->p->host, r->p->port,
                 strerror(soerr));
    return -1;
}

int th_loadgen_tls_new(struct th_loadgen_run *r, struct th_loadgen_conn *k)
{
    k->t_tcp = th_now_ns();
    k->connect_ns = k->t_tcp - k->t_connect;
    k->conn_reqs = 0;
    struct th_session *sess = r->p->resume != TH_RESUME_NONE ? k->sess : NULL;
    k->offered = sess != NULL;
    k->early = k->early_accepted = 0;
    k->early_len = 0;
    if (r->b->conn_new(r->ctx, &k->tcp.io, sess, &k->tls, &k->err) != 0) {
        k->tls = NULL;
        return -1;
    }
    return 0;
}

enum th_step th_loadgen_early(struct th_loadgen_run *r, struct th_loadgen_conn *k, const void *req,
                              size_t len)
{
    if (!r->p->early_data || !k->offered || k->early)
        return TH_STEP_DONE;
    if (!r->b->early_write) {
        th_error_set(&k->err, TH_INTERNAL_ERROR, 0, "%s cannot send early data", r->b->name);
        return TH_STEP_FAILED;
    }
    size_t done = 0;
    enum th_step st = r->b->early_write(k->tls, req, len, &done, &k->err);
    if (st == TH_STEP_DONE) {
        k->early = 1;
        k->early_len = done;
    }
    return st;
}

/* With early_data, a connection that offered a session sent its request early and
 * the server took it: else the sample is not the 0-RTT one asked for. */
static int verify_early(struct th_loadgen_run *r, struct th_loadgen_conn *k,
                        const struct th_negotiated *n)
{
    if (!k->early)
        return 0;
    k->early_accepted = n->early_accepted;
    if (k->early_len && n->early_accepted)
        return 0;
    if (!k->early_len)
        th_error_set(&k->err, TH_INTERNAL_ERROR, 0,
                     "no early data sent: the session allows none (the server's ticket "
                     "said 0 bytes)");
    else
        th_error_set(&k->err, TH_INTERNAL_ERROR, 0,
                     "the server refused the request sent as early data (%zu bytes; it "
                     "went again after the handshake)",
                     k->early_len);
    return -1;
}

enum th_step th_loadgen_handshake(struct th_loadgen_run *r, struct th_loadgen_conn *k,
                                  const char *want_alpn)
{
    enum th_step step = r->b->handshake(k->tls, &k->err);
    if (step != TH_STEP_DONE)
        return step == TH_STEP_CLOSED ? TH_STEP_FAILED : step;
    k->tls_ns = th_now_ns() - k->t_tcp;
    struct th_negotiated n;
    r->b->negotiated(k->tls, &n);
    if (th_loadgen_verify(r->p, &n, want_alpn, k->had_conn, k->offered, &k->err) != 0 ||
        verify_early(r, k, &n) != 0)
        return TH_STEP_FAILED;
    struct th_loadgen_stats *st = r->st;
    if (!st->have_neg) {
        st->neg = n;
        st->have_neg = 1;
    } else if (!th_loadgen_same_neg(&st->neg, &n)) {
        st->neg_differ++;
    }
    st->connections++;
    st->resumed += n.resumed != 0;
    st->early_offered += (uint64_t)k->early;
    st->early_accepted += (uint64_t)k->early_accepted;
    st->early_bytes += k->early_accepted ? k->early_len : 0;
    return TH_STEP_DONE;
}

void th_loadgen_watch(struct th_loadgen_run *r, struct th_loadgen_conn *k, uint32_t events)
{
    if (k->ev == events)
        return;
    struct epoll_event ev = {.events = events,
                             .data.u64 = (uint64_t)k->gen << 32 | (uint64_t)k->index};
    if (epoll_ctl(r->ep, k->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, k->tcp.fd, &ev) == 0)
        k->ev = events;
}

int th_loadgen_blocked(struct th_loadgen_run *r, struct th_loadgen_conn *k, enum th_step st)
{
    if (st != TH_STEP_WANT_READ && st != TH_STEP_WANT_WRITE)
        return 0;
    th_loadgen_watch(r, k, st == TH_STEP_WANT_READ ? EPOLLIN : EPOLLOUT);
    return 1;
}

void th_loadgen_close(struct th_loadgen_run *r, struct th_loadgen_conn *k, int clean)
{
    if (k->tls) {
        struct th_error ignored;
        if (clean)
            (void)r->b->shutdown(k->tls, &ignored);
        r->b->conn_free(k->tls);
        k->tls = NULL;
    }
    if (k->tcp.fd >= 0)
        th_tcp_close(&k->tcp); /* leaves the epoll set with it */
    k->ev = 0;
    k->gen++;
}

void th_loadgen_conn_free(struct th_loadgen_run *r, struct th_loadgen_conn *k)
{
    if (k->sess)
        r->b->session_free(k->sess);
    k->sess = NULL;
}

void th_loadgen_run_free(struct th_loadgen_run *r)
{
    if (r->ep >= 0)
        close(r->ep);
    r->ep = -1;
}

/* ---- recording ---- */

void th_loadgen_push_latency(struct th_loadgen_run *r, uint64_t ns)
{
    struct th_loadgen_stats *st = r->st;
    if (st->n_latency == r->lat_cap) { /* by time, or by a count above LATENCY_PREALLOC */
        r->lat_cap = r->lat_cap ? 2 * r->lat_cap : 4096;
        st->latency_ns = th_xrealloc(st->latency_ns, r->lat_cap * sizeof(uint64_t));
    }
    st->latency_ns[st->n_latency++] = ns;
}

void th_loadgen_first_response(struct th_loadgen_run *r, struct th_loadgen_conn *k,
                               uint64_t first_byte_ns, uint64_t t_first)
{
    struct th_loadgen_stats *st = r->st;
    if (st->n_phase == r->phase_cap) {
        r->phase_cap = r->phase_cap ? 2 * r->phase_cap : 256;
        st->connect_ns = th_xrealloc(st->connect_ns, r->phase_cap * sizeof(uint64_t));
        st->tls_ns = th_xrealloc(st->tls_ns, r->phase_cap * sizeof(uint64_t));
        st->first_byte_ns = th_xrealloc(st->first_byte_ns, r->phase_cap * sizeof(uint64_t));
        st->ttfb_ns = th_xrealloc(st->ttfb_ns, r->phase_cap * sizeof(uint64_t));
    }
    st->connect_ns[st->n_phase] = k->connect_ns;
    st->tls_ns[st->n_phase] = k->tls_ns;
    st->ttfb_ns[st->n_phase] = t_first - k->t_connect;
    st->first_byte_ns[st->n_phase++] = first_byte_ns;
    k->had_conn = 1;
    if (r->p->resume != TH_RESUME_NONE) {
        struct th_session *sess = r->b->session_get(k->tls);
        if (sess) {
            r->b->session_free(k->sess);
            k->sess = sess;
        }
    }
}
