/* `tlsharness serve`: one backend's server role as a small HTTPS/1.1 server, so real
 * clients (browsers, curl, s_client, load generators) can be pointed at it. One
 * thread, non-blocking sockets, epoll over the listener and every connection. */
#ifndef TH_SERVE_H
#define TH_SERVE_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "backends/backend.h"
#include "harness/vocab/util.h"

/* Largest body GET /bytes/N serves. */
#define TH_SERVE_MAX_BYTES (1ull << 30)

/* Serve on host:port (host NULL: 127.0.0.1) with cert, a pki leaf name (NULL:
 * rsa2048) from pki_dir, until *stop is set or max_seconds pass (0: no limit). One
 * line per connection goes to log. 0 on a clean stop; -1 with err when the
 * certificate (an unknown name is the user's input) or the port cannot be used. The
 * backend must have the server role and driver I/O. It issues session tickets and
 * keeps a session cache, as real servers do, so clients can resume. */
int th_serve(const struct th_backend *b, const char *host, uint16_t port, const char *cert,
             const char *pki_dir, double max_seconds, volatile sig_atomic_t *stop, FILE *log,
             struct th_error *err) TH_MUST_CHECK;
/* The same on a listening socket the caller made and still owns (made non-blocking
 * here, not closed), so a caller can listen on port 0, learn the port, and serve
 * from another thread. resumption: issue session tickets and keep a session cache
 * (th_serve does both). */
int th_serve_fd(const struct th_backend *b, int lfd, const char *cert, const char *pki_dir,
                int resumption, double max_seconds, volatile sig_atomic_t *stop, FILE *log,
                struct th_error *err) TH_MUST_CHECK;

/* The same with a server context the caller made from its own configuration (and
 * still owns): the runner serves a case's server side this way. */
int th_serve_ctx(const struct th_backend *b, struct th_ctx *ctx, int lfd, double max_seconds,
                 volatile sig_atomic_t *stop, FILE *log, struct th_error *err) TH_MUST_CHECK;

#endif
