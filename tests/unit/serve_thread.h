/* Shared by the tests that speak to tlsharness's own server on 127.0.0.1
 * (test_serve.c, test_serve_tls.c, test_loadopen.c, test_h2.c, test_loadgen.c): the
 * server run in a thread on a fresh listening socket, stopped, and its log read back;
 * and a load run against it, reported. Included after pairdrive.h (the pki it serves
 * from); the helpers are static inline so that a file need not use them all. */
#ifndef TH_SERVE_THREAD_H
#define TH_SERVE_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness/http/loadgen.h"
#include "harness/http/serve.h"
#include "harness/vocab/util.h"
#include "pairdrive.h"
#include "tap.h"

/* ---- th_serve_fd or th_serve_tls_fd in a thread ---- */

struct st_srv {
    const struct th_backend *b;
    const char *cert; /* th_serve_fd's pki leaf, as given to it */
    int resumption;
    int has_tls;             /* served by th_serve_tls_fd with tls instead */
    struct th_serve_tls tls; /* a copy: the caller's may be gone while it serves */
    int lfd, rc;
    uint16_t port;
    volatile sig_atomic_t stop;
    pthread_t t;
    FILE *log;
    struct th_error err;
};

static inline void *st_main(void *arg)
{
    struct st_srv *s = arg;
    if (s->has_tls)
        s->rc = th_serve_tls_fd(s->b, s->lfd, &s->tls, 60, &s->stop, s->log, &s->err);
    else
        s->rc = th_serve_fd(s->b, s->lfd, s->cert, pkidir, s->resumption, 60, &s->stop, s->log,
                            &s->err);
    return NULL;
}

/* Serve with backend b on a free port of 127.0.0.1 (s->port), one line a connection
 * to log (opened by the caller; NULL fails): from the pki's cert with or without
 * resumption, or, tls not NULL, with those settings. Every member is set here from
 * the arguments, none left from an earlier use of s. 0, or -1 when it did not start. */
static inline int st_start(struct st_srv *s, const struct th_backend *b, const char *cert,
                           int resumption, const struct th_serve_tls *tls, FILE *log)
{
    memset(s, 0, sizeof(*s));
    s->b = b;
    s->cert = cert;
    s->resumption = resumption;
    if (tls) {
        s->tls = *tls;
        s->has_tls = 1;
    }
    s->log = log;
    s->lfd = th_tcp_listen("127.0.0.1", &s->port);
    return s->log && s->lfd >= 0 && pthread_create(&s->t, NULL, st_main, s) == 0 ? 0 : -1;
}

/* Stop it and wait for it; its log rewound, still open (s->rc says how it ended). */
static inline void st_stop(struct st_srv *s)
{
    s->stop = 1;
    pthread_join(s->t, NULL);
    close(s->lfd);
    rewind(s->log);
}

/* Stop it; its log into out (cap bytes with the '\0'). */
static inline void st_stop_log(struct st_srv *s, char *out, size_t cap)
{
    st_stop(s);
    size_t n = fread(out, 1, cap - 1, s->log);
    out[n] = '\0';
    fclose(s->log);
}

/* Stop it; the requests it answered, summed over its log's "N request(s)" lines. A
 * server that did not end cleanly fails a check. */
static inline unsigned st_stop_count(struct st_srv *s)
{
    st_stop(s);
    unsigned total = 0, n;
    char line[512];
    while (fgets(line, sizeof(line), s->log)) {
        char *r = strstr(line, " request"), *c = r;
        while (c && c > line && c[-1] >= '0' && c[-1] <= '9')
            c--;
        if (r && c < r && sscanf(c, "%u", &n) == 1)
            total += n;
    }
    fclose(s->log);
    if (s->rc != 0)
        ok(0, "server ran (rc %d: %s)", s->rc, s->err.text);
    return total;
}

/* ---- the client ---- */

/* What every client of these tests starts from: TLS 1.2-1.3, verifying the server
 * as localhost (also its SNI) against ca, a path that must outlive the ctx_new. */
static inline struct th_tls_config st_client_cfg(const char *ca)
{
    return (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                  .versions = V12 | V13,
                                  .ca_file = ca,
                                  .hostname = "localhost",
                                  .sni = "localhost",
                                  .verify = 1};
}

/* After a step that asked for the socket, wait for it (5 s at the most): TH_STEP_DONE
 * then means "call again". Other results pass through. */
static inline enum th_step st_settle(struct th_tcp *t, enum th_step st)
{
    if (st != TH_STEP_WANT_READ && st != TH_STEP_WANT_WRITE)
        return st;
    int ready = th_tcp_wait(t->fd, st == TH_STEP_WANT_WRITE, th_now_ns() + 5000000000ull);
    return ready == 1 ? TH_STEP_DONE : TH_STEP_FAILED;
}

/* ---- a load run against it ---- */

static inline uint64_t st_total_errors(const struct th_loadgen_stats *st)
{
    uint64_t n = 0;
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        n += st->errors[i];
    return n;
}

/* Run and report: 0 when th_loadgen_run went through (a failure fails a check; the
 * errors of a run that went through are only shown). secs, when not NULL: how long
 * it took. */
static inline int st_run(const struct th_backend *b, struct th_ctx *ctx,
                         const struct th_loadgen_params *p, struct th_loadgen_stats *st,
                         double *secs)
{
    struct th_error err = {0};
    uint64_t t0 = th_now_ns();
    int rc = th_loadgen_run(b, ctx, p, st, &err);
    if (secs)
        *secs = (double)(th_now_ns() - t0) / 1e9;
    if (rc != 0)
        ok(0, "th_loadgen_run: %s", err.text);
    else if (st_total_errors(st))
        printf("#   %llu errors, first %s: %s\n", (unsigned long long)st_total_errors(st),
               th_outcome_name(st->first_error.outcome), st->first_error.text);
    return rc;
}

#endif
