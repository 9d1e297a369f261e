/* The generic backend for TLS stacks out of process (backends/README.md, "Shims").
 * A shim is a program of another language that speaks the shim protocol; shim_NAME.c
 * names it (struct th_shim_def) and makes its ops struct with TH_SHIM_BACKEND, whose
 * ops call the th_shim_* functions below with the def. Inside: shim_proc.c runs the
 * processes and their control channel, shim_conn.c a connection's frames, shim.c
 * the ops. */
#ifndef TH_SHIM_H
#define TH_SHIM_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"

#define TH_SHIM_PROTOCOL 1
#define TH_SHIM_MAX_ARGS 16

struct th_shim_def {
    const char *name;    /* the backend's name: "go" */
    const char *library; /* "Go crypto/tls" */
    const char *program; /* the file looked for in the shims folder */
    /* argv before the socket path; "{}" is replaced by the program's path, a leading
     * "{dir}" by the shims folder */
    const char *argv[TH_SHIM_MAX_ARGS];
    struct th_shim_state *state; /* the def's own mutable state (shim.c) */
};

struct th_shim_state {
    pthread_once_t once;
    pthread_mutex_t lock;
    struct th_caps caps;          /* from the shim's hello, or none (no roles) */
    char version[256];            /* "go1.19.8", or why there is none */
    char *strings[64];            /* defaults_changed texts the caps point to */
    struct th_shim_proc *proc[2]; /* per role: [0] client, [1] server; NULL until used */
    struct th_shim_proc *retired; /* processes that died: kept for the contexts and
                                     sessions that point at them, freed at cleanup */
};

/* ---- shim_proc.c: one process of a shim, its control channel ---- */

struct th_shim_proc {
    const struct th_shim_def *def;
    pid_t pid, owner;   /* the shim's pid; the process that started it (a fork must not share) */
    int to_fd, from_fd; /* its standard input and output */
    char dir[128];      /* its folder: the socket, its standard error */
    char sock[108];     /* sizeof(sockaddr_un.sun_path) */
    char line[1 << 16]; /* the control channel's read buffer */
    size_t line_len;
    pthread_mutex_t lock; /* one request at a time */
    int dead;
    /* its CPU time: threads seen and their last schedstat, the time of those gone */
    struct th_shim_proc *retired; /* the next one that died before this one (shim.c) */
    pthread_mutex_t cpu_lock;
    struct {
        int tid;
        uint64_t ns;
    } seen[256];
    size_t n_seen;
    uint64_t gone_ns, last_ns;
};

/* Start def's program (its socket in a fresh folder), say hello, and return its
 * reply's object (the caller json_decref's it) in *hello. NULL with err. */
struct th_shim_proc *th_shim_proc_start(const struct th_shim_def *def, void **hello,
                                        struct th_error *err) TH_MUST_CHECK;
/* One request (a JSON object, text) and its reply: 0 with *reply (json_t *, the
 * caller's), -1 with err (the shim refused: its ERROR; died or silent: a fault). */
int th_shim_request(struct th_shim_proc *p, const char *request, void **reply, double timeout_s,
                    struct th_error *err) TH_MUST_CHECK;
/* Quit, wait a moment, kill, reap, remove its folder (th_shim_proc_end); then free it. */
void th_shim_proc_end(struct th_shim_proc *p);
void th_shim_proc_stop(struct th_shim_proc *p);
/* Whether it still runs; when not, err says how it ended (its standard error's tail). */
int th_shim_proc_alive(struct th_shim_proc *p, struct th_error *err);
/* Its CPU time so far, nanoseconds: every live thread's schedstat, plus what threads
 * that ended had when last seen; never less than a reading before. */
uint64_t th_shim_proc_cpu_ns(struct th_shim_proc *p);
/* The shims folder: $TLSHARNESS_SHIM_DIR, else beside this program (see shim_proc.c). */
const char *th_shim_dir(void);
/* Remove the folders of shims whose driver is gone. */
void th_shim_sweep(void);

/* ---- shim_conn.c: one connection's frames ---- */

struct th_shim_conn;
struct th_shim_conn *th_shim_conn_open(struct th_shim_proc *p, unsigned ctx_id, long session,
                                       const struct th_io *io, struct th_error *err) TH_MUST_CHECK;
enum th_step th_shim_conn_handshake(struct th_shim_conn *c, struct th_error *err);
enum th_step th_shim_conn_write(struct th_shim_conn *c, const void *buf, size_t len, size_t *done,
                                struct th_error *err);
enum th_step th_shim_conn_read(struct th_shim_conn *c, void *buf, size_t len, size_t *done,
                               struct th_error *err);
/* 'S' (close_notify) or 'K' (key update), acknowledged. */
enum th_step th_shim_conn_act(struct th_shim_conn *c, char what, struct th_error *err);
void th_shim_conn_negotiated(const struct th_shim_conn *c, struct th_negotiated *out);
/* The session to resume later: the shim's id, or -1. */
long th_shim_conn_session(struct th_shim_conn *c);
void th_shim_conn_free(struct th_shim_conn *c);

/* ---- shim.c: the ops, parameterised by the def ---- */

const char *th_shim_version(const struct th_shim_def *d);
void th_shim_caps(const struct th_shim_def *d, struct th_caps *out);
void th_shim_cleanup(const struct th_shim_def *d);
int th_shim_ctx_new(const struct th_shim_def *d, const struct th_tls_config *cfg,
                    struct th_ctx **out, struct th_error *err) TH_MUST_CHECK;
void th_shim_ctx_free(struct th_ctx *ctx);
int th_shim_conn_new(struct th_ctx *ctx, const struct th_io *io, struct th_session *resume_from,
                     struct th_conn **out, struct th_error *err) TH_MUST_CHECK;
enum th_step th_shim_handshake(struct th_conn *c, struct th_error *err);
enum th_step th_shim_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                           struct th_error *err);
enum th_step th_shim_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                          struct th_error *err);
enum th_step th_shim_shutdown(struct th_conn *c, struct th_error *err);
enum th_step th_shim_key_update(struct th_conn *c, struct th_error *err);
void th_shim_negotiated(struct th_conn *c, struct th_negotiated *out);
void th_shim_conn_free_op(struct th_conn *c);
struct th_session *th_shim_session_get(struct th_conn *c);
void th_shim_session_free(struct th_session *s);
uint64_t th_shim_cpu_ns(struct th_ctx *ctx);

/* One shim's ops struct: its own small functions around the def (the ops take no
 * backend pointer). LIBRARY: the def's library, as a literal; KEY_UPDATE: 1 when the
 * shim can send a KeyUpdate. */
#define TH_SHIM_BACKEND(ID, DEF, LIBRARY, KEY_UPDATE)                                              \
    static const char *ID##_version(void)                                                          \
    {                                                                                              \
        return th_shim_version(&DEF);                                                              \
    }                                                                                              \
    static void ID##_caps(struct th_caps *out)                                                     \
    {                                                                                              \
        th_shim_caps(&DEF, out);                                                                   \
    }                                                                                              \
    static void ID##_cleanup(void)                                                                 \
    {                                                                                              \
        th_shim_cleanup(&DEF);                                                                     \
    }                                                                                              \
    static int ID##_ctx_new(const struct th_tls_config *cfg, struct th_ctx **out,                  \
                            struct th_error *err)                                                  \
    {                                                                                              \
        return th_shim_ctx_new(&DEF, cfg, out, err);                                               \
    }                                                                                              \
    const struct th_backend th_backend_##ID = {                                                    \
        .name = #ID,                                                                               \
        .library = LIBRARY,                                                                        \
        .version = ID##_version,                                                                   \
        .caps = ID##_caps,                                                                         \
        .cleanup = ID##_cleanup,                                                                   \
        .ctx_new = ID##_ctx_new,                                                                   \
        .ctx_free = th_shim_ctx_free,                                                              \
        .conn_new = th_shim_conn_new,                                                              \
        .handshake = th_shim_handshake,                                                            \
        .write = th_shim_write,                                                                    \
        .read = th_shim_read,                                                                      \
        .shutdown = th_shim_shutdown,                                                              \
        .negotiated = th_shim_negotiated,                                                          \
        .conn_free = th_shim_conn_free_op,                                                         \
        .session_get = th_shim_session_get,                                                        \
        .session_free = th_shim_session_free,                                                      \
        .key_update = (KEY_UPDATE) ? th_shim_key_update : NULL,                                    \
        .cpu_ns = th_shim_cpu_ns,                                                                  \
    }

#endif
