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

/* What a served endpoint presents and asks for, as files (the caller has resolved
 * pki names and checked the files). Zeroed: th_serve's defaults, which need a pki. */
struct th_serve_tls {
    const char *cert_file, *key_file; /* PEM chain as sent (leaf first) and its key */
    enum th_client_auth client_auth;  /* request or require a client certificate */
    const char *client_ca_file;       /* roots a client certificate must chain to */
    const char *ocsp_file;            /* DER OCSP response stapled to a client that asks */
    int resumption;                   /* issue session tickets and keep a session cache */
    int early_data;                   /* tickets allow TLS 1.3 early data, taken once:
                                         a replay of it is refused (anti-replay) */
    /* The user chose the files (pki objects too): a library's refusal of them is bad
     * input (err.input, exit 2), not the harness's fault. */
    int user_files;
    /* Called once the socket listens and the library took the configuration, so a
     * command says where it serves only when it does (NULL: nothing to say). */
    void (*on_ready)(void *arg);
    void *ready_arg;
};

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

/* The same as th_serve_fd with the endpoint given as files: what `tlsharness serve`
 * runs (a user's own chain, client certificates, a staple). A backend that refuses
 * the configuration: -1 with the library's words in err. With a client_auth the log
 * line of each connection says whether a client certificate came and verified. */
int th_serve_tls_fd(const struct th_backend *b, int lfd, const struct th_serve_tls *t,
                    double max_seconds, volatile sig_atomic_t *stop, FILE *log,
                    struct th_error *err) TH_MUST_CHECK;

/* th_serve_tls_fd on host:port (host NULL: 127.0.0.1), listening itself. */
int th_serve_tls(const struct th_backend *b, const char *host, uint16_t port,
                 const struct th_serve_tls *t, double max_seconds, volatile sig_atomic_t *stop,
                 FILE *log, struct th_error *err) TH_MUST_CHECK;

/* The same with a server context the caller made from its own configuration (and
 * still owns): the runner serves a case's server side this way. */
int th_serve_ctx(const struct th_backend *b, struct th_ctx *ctx, int lfd, double max_seconds,
                 volatile sig_atomic_t *stop, FILE *log, struct th_error *err) TH_MUST_CHECK;

#endif
