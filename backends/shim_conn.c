/* One connection of a shim (backends/README.md, "Shims"): a UNIX socket to the shim
 * carrying frames. The driver's steps never block on the network: each one moves the
 * transport's input to the shim as C frames and the shim's C frames to the
 * transport, and waits on the shim only for what the shim owes it at once (a W
 * saying its stack is blocked on input, H, F, an A). Waiting is bounded: a shim
 * silent for SILENT_S fails the step as a harness fault, so the case is an error. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "harness/vocab/util.h"
#include "shim.h"

#define SILENT_S 30.0        /* TLSHARNESS_SHIM_TIMEOUT (seconds) sets another */
#define FEED_MAX (4 * CHUNK) /* transport input relayed a step */
#define CHUNK 16384          /* transport reads and P frames */

struct buf {
    unsigned char *p;
    size_t len, off, cap;
};

struct th_shim_conn {
    struct th_shim_proc *proc;
    int fd;
    struct th_io io;
    uint64_t fed;             /* C frames sent */
    uint64_t consumed;        /* the last W's count */
    int waiting;              /* a W counted every C frame sent: the stack is blocked on input
                                 (frames from its writer do not change that) */
    int eof_sent;             /* E sent */
    uint64_t acts, acked;     /* P, S, K frames sent; the last A's count */
    int done, failed, closed; /* H, F, Z received */
    struct th_error ferr;     /* F's */
    struct th_negotiated neg; /* H's */
    long session;             /* the last g's; -2: none asked */
    int got_session;
    struct buf out; /* ciphertext for the transport */
    struct buf in;  /* plaintext for reads */
};

static double silent;

static void read_silent(void)
{
    const char *e = getenv("TLSHARNESS_SHIM_TIMEOUT");
    double v = e ? strtod(e, NULL) : 0;
    silent = v > 0 ? v : SILENT_S;
}

static double silent_s(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, read_silent);
    return silent;
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
    if (b->off && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = th_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* ---- frames on the socket ---- */

static int take_frame(struct th_shim_conn *c, struct th_error *err);

/* Move all of p through the (non-blocking) socket. While writing, frames the shim
 * sends meanwhile are taken in: a shim that answers as it reads would otherwise
 * block on its output while the driver blocks on its input, both buffers full. */
static int io_all(struct th_shim_conn *c, void *p, size_t n, int writing, struct th_error *err)
{
    unsigned char *q = p;
    double limit = silent_s();
    uint64_t deadline = th_now_ns() + (uint64_t)(limit * 1e9);
    while (n) {
        struct pollfd pf = {.fd = c->fd, .events = writing ? POLLOUT | POLLIN : POLLIN};
        uint64_t now = th_now_ns();
        int r = now < deadline ? poll(&pf, 1, (int)((deadline - now) / 1000000 + 1)) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            TH_FAULT(err, 0, "shim %s (pid %d) did not answer in %g s", c->proc->def->name,
                     (int)c->proc->pid, limit);
            return -1;
        }
        if (writing && (pf.revents & POLLIN) && !(pf.revents & POLLOUT)) {
            TH_GUARD(take_frame(c, err));
            deadline = th_now_ns() + (uint64_t)(limit * 1e9); /* it is answering */
            continue;
        }
        ssize_t k = writing ? send(c->fd, q, n, MSG_NOSIGNAL) : recv(c->fd, q, n, 0);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k <= 0) {
            struct timespec t = {0, 20 * 1000000L}; /* a dying shim: let it be reaped */
            nanosleep(&t, NULL);
            if (th_shim_proc_alive(c->proc, err))
                TH_FAULT(err, k < 0 ? errno : 0, "shim %s closed the connection",
                         c->proc->def->name);
            return -1;
        }
        q += k;
        n -= (size_t)k;
    }
    return 0;
}

static int put_frame(struct th_shim_conn *c, char type, const void *p, size_t n,
                     struct th_error *err)
{
    unsigned char h[5] = {(unsigned char)type, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    if (n <= CHUNK) { /* one write where it fits */
        unsigned char f[5 + CHUNK];
        memcpy(f, h, 5);
        if (n)
            memcpy(f + 5, p, n);
        return io_all(c, f, 5 + n, 1, err);
    }
    TH_GUARD(io_all(c, h, 5, 1, err));
    return io_all(c, (void *)(uintptr_t)p, n, 1, err);
}

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void parse_neg(struct th_shim_conn *c, json_t *j);

/* A JSON frame's payload: H's NEGOTIATED, F's ERROR, g's session. */
static void json_frame(struct th_shim_conn *c, char type, const unsigned char *p, size_t n)
{
    json_t *j = json_loadb((const char *)p, n, 0, NULL);
    if (type == 'H') {
        c->done = 1;
        parse_neg(c, j);
    } else if (type == 'F') {
        const char *name = json_string_value(json_object_get(j, "outcome"));
        const char *text = json_string_value(json_object_get(j, "text"));
        enum th_outcome o;
        if (!name || th_outcome_parse(name, &o) != 0)
            o = TH_INTERNAL_ERROR;
        c->failed = 1;
        th_error_set(&c->ferr, o, (long)json_integer_value(json_object_get(j, "code")), "%s",
                     text ? text : "failed, without a reason");
        /* the staple as the client saw it, kept after a failed handshake too */
        const char *ocsp = json_string_value(json_object_get(j, "ocsp"));
        if (!ocsp || th_staple_parse(ocsp, &c->neg.ocsp) != 0)
            c->neg.ocsp = TH_STAPLE_NOT_ASKED;
    } else { /* g */
        json_t *s = json_object_get(j, "session");
        c->session = json_is_integer(s) ? (long)json_integer_value(s) : -1;
        c->got_session = 1;
    }
    json_decref(j);
}

/* Read one frame and take it in. 0, or -1 with err (the shim died, was silent, or
 * broke the protocol). */
static int take_frame(struct th_shim_conn *c, struct th_error *err)
{
    unsigned char h[5];
    TH_GUARD(io_all(c, h, 5, 0, err));
    size_t n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
    if (n > (64u << 20)) {
        TH_FAULT(err, 0, "shim %s: a frame of %zu bytes", c->proc->def->name, n);
        return -1;
    }
    unsigned char small[256], *p = n <= sizeof(small) ? small : th_xmalloc(n);
    int rc = io_all(c, p, n, 0, err);
    if (rc == 0) {
        switch (h[0]) {
        case 'C': buf_add(&c->out, p, n); break;
        case 'P': buf_add(&c->in, p, n); break;
        case 'Z': c->closed = 1; break;
        case 'W':
            c->consumed = n == 8 ? be64(p) : 0;
            c->waiting = c->consumed >= c->fed;
            break;
        case 'A': c->acked = n == 8 ? be64(p) : c->acked; break;
        case 'H':
        case 'F':
        case 'g': json_frame(c, (char)h[0], p, n); break;
        default:
            TH_FAULT(err, h[0], "shim %s: unknown frame type 0x%02x", c->proc->def->name, h[0]);
            rc = -1;
        }
    }
    if (p != small)
        free(p);
    return rc;
}

/* ---- the transport ---- */

/* The shim's ciphertext to the transport. DONE when all went, WANT_WRITE when the
 * transport is full, FAILED with err. */
static enum th_step flush_out(struct th_shim_conn *c, struct th_error *err)
{
    while (c->out.off < c->out.len) {
        ssize_t k = c->io.send(c->io.ctx, c->out.p + c->out.off, c->out.len - c->out.off);
        if (k == TH_IO_AGAIN)
            return TH_STEP_WANT_WRITE;
        if (k < 0) {
            th_error_set(err, TH_IO_ERROR, 0, "transport send failed");
            return TH_STEP_FAILED;
        }
        c->out.off += (size_t)k;
    }
    c->out.off = c->out.len = 0;
    return TH_STEP_DONE;
}

/* The transport's input to the shim. -1 with err. */
/* The transport's input to the shim, FEED_MAX at most a step (as a library reads a
 * few records a call): an endless peer must not fill the shim's memory and ours;
 * nothing while plaintext the caller has not read is waiting. -1 with err. */
static int feed_in(struct th_shim_conn *c, struct th_error *err)
{
    unsigned char b[CHUNK];
    size_t fed = 0;
    if (c->in.off < c->in.len)
        return 0;
    while (!c->eof_sent && fed < FEED_MAX) {
        ssize_t k = c->io.recv(c->io.ctx, b, sizeof(b));
        if (k == TH_IO_AGAIN)
            return 0;
        if (k == 0) {
            c->eof_sent = 1;
            c->waiting = 0;
            return put_frame(c, 'E', NULL, 0, err);
        }
        if (k < 0) {
            th_error_set(err, TH_IO_ERROR, 0, "transport receive failed");
            return -1;
        }
        TH_GUARD(put_frame(c, 'C', b, (size_t)k, err));
        c->fed++;
        c->waiting = 0;
        fed += (size_t)k;
    }
    return 0;
}

/* One round: the transport's input in, then frames until `enough` holds (or, when
 * the shim owes nothing else, it waits on input it does not have); its ciphertext
 * out. What a step returns. owed: an A or a g is owed whatever the shim waits on. */
static enum th_step pump(struct th_shim_conn *c, int (*enough)(const struct th_shim_conn *),
                         int owed, struct th_error *err)
{
    enum th_step st = flush_out(c, err);
    if (st == TH_STEP_FAILED)
        return st;
    if (feed_in(c, err) != 0)
        return TH_STEP_FAILED;
    while (!enough(c) && !c->failed && (owed || !(c->waiting && !c->eof_sent)))
        if (take_frame(c, err) != 0)
            return TH_STEP_FAILED;
    st = flush_out(c, err);
    if (st == TH_STEP_FAILED)
        return st;
    if (c->failed) {
        *err = c->ferr;
        return TH_STEP_FAILED;
    }
    if (enough(c))
        return st == TH_STEP_WANT_WRITE ? st : TH_STEP_DONE;
    return st == TH_STEP_WANT_WRITE ? st : TH_STEP_WANT_READ;
}

/* ---- the steps ---- */

struct th_shim_conn *th_shim_conn_open(struct th_shim_proc *p, unsigned ctx_id, long session,
                                       const struct th_io *io, struct th_error *err)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, p->sock, sizeof(a.sun_path));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (th_shim_proc_alive(p, err))
            TH_FAULT(err, errno, "shim %s: connect %s: %s", p->def->name, p->sock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        TH_FAULT(err, errno, "shim %s: fcntl: %s", p->def->name, strerror(errno));
        close(fd);
        return NULL;
    }
    struct th_shim_conn *c = th_xcalloc(1, sizeof(*c));
    c->proc = p;
    c->fd = fd;
    c->io = *io;
    c->session = -2;
    char n[96];
    if (session >= 0)
        snprintf(n, sizeof(n), "{\"ctx\":%u,\"session\":%ld}", ctx_id, session);
    else
        snprintf(n, sizeof(n), "{\"ctx\":%u,\"session\":null}", ctx_id);
    if (put_frame(c, 'N', n, strlen(n), err) != 0) {
        th_shim_conn_free(c);
        return NULL;
    }
    return c;
}

static int hs_done(const struct th_shim_conn *c)
{
    return c->done;
}

enum th_step th_shim_conn_handshake(struct th_shim_conn *c, struct th_error *err)
{
    return pump(c, hs_done, 0, err);
}

static int readable(const struct th_shim_conn *c)
{
    return c->in.off < c->in.len || c->closed;
}

enum th_step th_shim_conn_read(struct th_shim_conn *c, void *buf, size_t len, size_t *done,
                               struct th_error *err)
{
    *done = 0;
    enum th_step st = pump(c, readable, 0, err);
    if (c->in.off < c->in.len) {
        size_t n = c->in.len - c->in.off < len ? c->in.len - c->in.off : len;
        memcpy(buf, c->in.p + c->in.off, n);
        c->in.off += n;
        *done = n;
        return TH_STEP_DONE; /* a failure after the data: at the next read */
    }
    if (st == TH_STEP_DONE && c->closed)
        return TH_STEP_CLOSED;
    return st;
}

static int all_acked(const struct th_shim_conn *c)
{
    return c->acked >= c->acts;
}

enum th_step th_shim_conn_write(struct th_shim_conn *c, const void *buf, size_t len, size_t *done,
                                struct th_error *err)
{
    *done = 0;
    if (c->failed) {
        *err = c->ferr;
        return TH_STEP_FAILED;
    }
    const unsigned char *p = buf;
    for (size_t off = 0; off < len;) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (put_frame(c, 'P', p + off, n, err) != 0)
            return TH_STEP_FAILED;
        c->acts++;
        off += n;
    }
    enum th_step st = pump(c, all_acked, 1, err);
    if (st == TH_STEP_FAILED)
        return st;
    *done = len; /* the shim took it all; what the transport could not take yet goes
                    at the next step */
    return TH_STEP_DONE;
}

enum th_step th_shim_conn_act(struct th_shim_conn *c, char what, struct th_error *err)
{
    if (c->failed) {
        *err = c->ferr;
        return TH_STEP_FAILED;
    }
    if (put_frame(c, what, NULL, 0, err) != 0)
        return TH_STEP_FAILED;
    c->acts++;
    enum th_step st = pump(c, all_acked, 1, err);
    return st == TH_STEP_WANT_READ ? TH_STEP_DONE : st;
}

long th_shim_conn_session(struct th_shim_conn *c)
{
    struct th_error err = {0};
    c->got_session = 0;
    if (c->failed || put_frame(c, 'G', NULL, 0, &err) != 0)
        return -1;
    while (!c->got_session && !c->failed)
        if (take_frame(c, &err) != 0)
            return -1;
    return c->got_session ? c->session : -1;
}

void th_shim_conn_negotiated(const struct th_shim_conn *c, struct th_negotiated *out)
{
    *out = c->neg;
}

void th_shim_conn_free(struct th_shim_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->out.p);
    free(c->in.p);
    free(c);
}

/* ---- H's NEGOTIATED ---- */

static void parse_neg(struct th_shim_conn *c, json_t *j)
{
    struct th_negotiated *n = &c->neg;
    const char *v = json_string_value(json_object_get(j, "version"));
    const char *alpn = json_string_value(json_object_get(j, "alpn"));
    const char *ocsp = json_string_value(json_object_get(j, "ocsp"));
    memset(n, 0, sizeof(*n));
    if (!v || th_version_parse(v, &n->version) != 0)
        n->version = 0;
    n->suite = (uint16_t)json_integer_value(json_object_get(j, "suite"));
    n->group = (uint16_t)json_integer_value(json_object_get(j, "group"));
    snprintf(n->alpn, sizeof(n->alpn), "%s", alpn ? alpn : "");
    n->resumed = json_is_true(json_object_get(j, "resumed"));
    n->cert_requested = json_is_true(json_object_get(j, "cert_requested"));
    n->client_cert = json_is_true(json_object_get(j, "client_cert"));
    if (!ocsp || th_staple_parse(ocsp, &n->ocsp) != 0)
        n->ocsp = TH_STAPLE_NOT_ASKED; /* null: the client did not ask */
}
