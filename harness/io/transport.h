/* Transports owned by the driver. Backends move bytes only through struct th_io, so
 * the same backend runs over the in-memory pair (both peers in one process, no
 * kernel: the pure data path) or over a TCP socket. */
#ifndef TH_TRANSPORT_H
#define TH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "harness/vocab/error.h"
#include "harness/vocab/util.h"

struct th_queue;
/* Sees every byte a writer sends into a queue, and decides what is queued (fault
 * injection: see fault.h). It queues with th_queue_push. */
typedef void (*th_queue_filter)(void *arg, struct th_queue *q, const unsigned char *data,
                                size_t len);

/* A byte queue in one direction. */
struct th_queue {
    unsigned char *buf;
    size_t cap, head, len;
    int eof;                /* the writer closed: recv returns 0 once drained */
    uint64_t total;         /* bytes ever queued */
    th_queue_filter filter; /* NULL: bytes go straight in */
    void *filter_arg;
};

void th_queue_push(struct th_queue *q, const void *data, size_t len);
/* Give back the buffer of an empty queue (it grows again when used). */
void th_queue_trim(struct th_queue *q);

/* Two queues and the two endpoints' views of them. */
struct th_mem_pair {
    struct th_queue c2s, s2c;
    struct th_io client_io, server_io;
};

void th_mem_pair_init(struct th_mem_pair *p);
void th_mem_pair_free(struct th_mem_pair *p);
/* Signal end of stream from one side (as a TCP FIN would). */
void th_mem_pair_close_client(struct th_mem_pair *p);
void th_mem_pair_close_server(struct th_mem_pair *p);

/* TCP: a non-blocking connected socket behind a struct th_io. */
struct th_tcp {
    int fd;
    struct th_io io;
    uint64_t sent, received;
};

/* Listen on host (numeric, e.g. "127.0.0.1" or "::1"), port 0 for any; the bound
 * port is returned in *port. Returns the listening fd or -1 (errno set). */
int th_tcp_listen(const char *host, uint16_t *port) TH_MUST_CHECK;
/* Accept within the deadline (th_now_ns() clock). Returns the fd, or -1 with err:
 * outcome TH_TIMEOUT when the deadline passed, TH_IO_ERROR with the errno as code
 * otherwise (EINVAL: the listener was shut down). err may be NULL; errno is set too. */
int th_tcp_accept(int lfd, uint64_t deadline_ns, struct th_error *err) TH_MUST_CHECK;
/* Connect to host:port (name or literal) within the deadline. Returns the fd, or
 * -1 with err: TH_TIMEOUT when the deadline passed, TH_IO_ERROR with the errno as
 * code otherwise (ECONNREFUSED, EHOSTUNREACH for a name that does not resolve).
 * *connect_ns (may be NULL) receives the TCP handshake time; err may be NULL. */
int th_tcp_connect(const char *host, uint16_t port, uint64_t deadline_ns, uint64_t *connect_ns,
                   struct th_error *err) TH_MUST_CHECK;
/* Wrap a connected fd (made non-blocking) for a backend. */
void th_tcp_init(struct th_tcp *t, int fd);
void th_tcp_close(struct th_tcp *t);
/* Wait until fd is readable (want_write 0) or writable, or the deadline passes.
 * Returns 1 ready, 0 timeout, -1 error. */
int th_tcp_wait(int fd, int want_write, uint64_t deadline_ns) TH_MUST_CHECK;

#endif
