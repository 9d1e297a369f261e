/* The ops of a shim backend (shim.h): a process per role, started at first use and
 * kept, its capabilities from its hello, contexts and sessions by the shim's ids,
 * connections through shim_conn.c. A process a fork inherited is not used there: the
 * fork starts its own (the control channel cannot be shared). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/vocab/util.h"
#include "shim.h"

struct th_ctx {
    const struct th_shim_def *def;
    struct th_shim_proc *proc;
    unsigned id;
};

struct th_conn {
    struct th_ctx *ctx;
    struct th_shim_conn *c;
};

struct th_session {
    struct th_shim_proc *proc;
    long id;
};

/* ---- capabilities, from the hello ---- */

static unsigned name_bits(json_t *a, const char *const *names, unsigned shift)
{
    unsigned bits = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        for (unsigned k = 0; s && names[k]; k++)
            if (strcmp(s, names[k]) == 0)
                bits |= 1u << (k + shift);
    }
    return bits;
}

static void id_list(json_t *a, uint16_t *out, size_t *n, size_t cap)
{
    size_t i;
    json_t *v;
    *n = 0;
    json_array_foreach(a, i, v) if (json_is_integer(v) && *n < cap) out[(*n)++] =
        (uint16_t)json_integer_value(v);
}

static void take_hello(struct th_shim_state *st, json_t *h)
{
    static const char *const roles[] = {"client", "server", NULL};
    static const char *const resume[] = {"none", "ticket", "session_id", NULL};
    json_t *c = json_object_get(h, "caps"), *v;
    const char *ver = json_string_value(json_object_get(h, "version"));
    snprintf(st->version, sizeof(st->version), "%s", ver ? ver : "unknown");
    st->caps.roles = name_bits(json_object_get(c, "roles"), roles, 0);
    st->caps.resume = name_bits(json_object_get(c, "resume"), resume, 0) & ~1u;
    st->caps.features = name_bits(json_object_get(c, "features"), th_cap_feature_names, 0);
    st->caps.features |= TH_CAP_DRIVER_IO | TH_CAP_OUT_OF_PROCESS;
    st->caps.features &= ~TH_CAP_OWN_SOCKET;
    size_t i;
    json_array_foreach(json_object_get(c, "versions"), i, v)
    {
        uint16_t ver16;
        if (json_is_string(v) && th_version_parse(json_string_value(v), &ver16) == 0)
            st->caps.versions |= TH_VBIT(ver16);
    }
    id_list(json_object_get(c, "suites"), st->caps.suites, &st->caps.n_suites, TH_MAX_SUITES);
    id_list(json_object_get(c, "groups"), st->caps.groups, &st->caps.n_groups, TH_MAX_GROUPS);
    size_t k = 0;
    json_array_foreach(json_object_get(c, "defaults_changed"), i, v)
    {
        if (!json_is_string(v) || k == TH_MAX_DEFAULTS_CHANGED || k == TH_ARRAY_LEN(st->strings))
            continue;
        st->strings[k] = th_xstrdup(json_string_value(v));
        st->caps.defaults_changed[k] = st->strings[k];
        k++;
    }
}

static void init_state(void);
static const struct th_shim_def *init_def; /* the def pthread_once is running for */

/* The process serving role (0 client, 1 server) in this process, started if needed;
 * st->lock held by the caller. */
static struct th_shim_proc *proc_of(const struct th_shim_def *d, int role, struct th_error *err)
{
    struct th_shim_state *st = d->state;
    struct th_shim_proc *p = st->proc[role];
    struct th_error ignored;
    if (p && p->owner == getpid() && th_shim_proc_alive(p, &ignored))
        return p;
    if (p && p->owner == getpid()) {
        th_shim_proc_end(p); /* dead: reap it, remove its folder; contexts and sessions
                                still point at it, so it stays allocated until cleanup */
        p->retired = st->retired;
        st->retired = p;
    }
    st->proc[role] = NULL;
    void *hello = NULL;
    if (!(p = th_shim_proc_start(d, &hello, err)))
        return NULL;
    json_int_t v = json_integer_value(json_object_get(hello, "protocol"));
    if (v != TH_SHIM_PROTOCOL) {
        TH_FAULT(err, (long)v, "shim %s speaks protocol %lld, this program %d", d->name,
                 (long long)v, TH_SHIM_PROTOCOL);
        json_decref(hello);
        th_shim_proc_stop(p);
        return NULL;
    }
    if (!st->caps.roles)
        take_hello(st, hello);
    json_decref(hello);
    return st->proc[role] = p;
}

static void state_once(const struct th_shim_def *d)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m); /* pthread_once takes no argument: one def at a time */
    init_def = d;
    pthread_once(&d->state->once, init_state);
    pthread_mutex_unlock(&m);
}

static void init_state(void)
{
    const struct th_shim_def *d = init_def;
    struct th_shim_state *st = d->state;
    struct th_error err = {0};
    pthread_mutex_init(&st->lock, NULL);
    th_shim_sweep();
    pthread_mutex_lock(&st->lock);
    if (!proc_of(d, 0, &err))
        snprintf(st->version, sizeof(st->version), "not available: %.200s", err.text);
    pthread_mutex_unlock(&st->lock);
}

const char *th_shim_version(const struct th_shim_def *d)
{
    state_once(d);
    return d->state->version;
}

void th_shim_caps(const struct th_shim_def *d, struct th_caps *out)
{
    state_once(d);
    *out = d->state->caps;
}

void th_shim_cleanup(const struct th_shim_def *d)
{
    struct th_shim_state *st = d->state;
    for (int r = 0; r < 2; r++)
        if (st->proc[r] && st->proc[r]->owner == getpid()) {
            th_shim_proc_stop(st->proc[r]);
            st->proc[r] = NULL;
        }
    while (st->retired) {
        struct th_shim_proc *p = st->retired;
        st->retired = p->retired;
        if (p->owner == getpid())
            th_shim_proc_stop(p);
    }
    /* the folders of shims that worker processes started, now gone with them */
    th_shim_sweep();
}

/* ---- contexts ---- */

static json_t *jpath(const char *p)
{
    return p ? json_string(p) : json_null();
}

static json_t *config_json(const struct th_tls_config *cfg)
{
    static const char *const resume[] = {"none", "ticket", "session_id"};
    static const char *const auth[] = {"none", "request", "require"};
    static const char *const ocsp[] = {"off", "request", "require"};
    json_t *o = json_object(), *a;
    json_object_set_new(o, "role", json_string(cfg->role == TH_ROLE_SERVER ? "server" : "client"));
    json_object_set_new(o, "versions", a = json_array());
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (cfg->versions & TH_VBIT(v))
            json_array_append_new(a, json_string(th_version_name(v)));
    json_object_set_new(o, "suites", a = json_array());
    for (size_t i = 0; i < cfg->n_suites; i++)
        json_array_append_new(a, json_integer(cfg->suites[i]));
    json_object_set_new(o, "groups", a = json_array());
    for (size_t i = 0; i < cfg->n_groups; i++)
        json_array_append_new(a, json_integer(cfg->groups[i]));
    json_object_set_new(o, "alpn", a = json_array());
    for (size_t i = 0; i < cfg->n_alpn; i++)
        json_array_append_new(a, json_string(cfg->alpn[i]));
    json_object_set_new(o, "ca_file", jpath(cfg->ca_file));
    json_object_set_new(o, "crl_file", jpath(cfg->crl_file));
    json_object_set_new(o, "hostname", jpath(cfg->hostname));
    json_object_set_new(o, "sni", jpath(cfg->sni));
    json_object_set_new(o, "verify", json_boolean(cfg->verify));
    json_object_set_new(o, "resume", json_string(resume[cfg->resume % 3]));
    json_object_set_new(o, "cert_file", jpath(cfg->cert_file));
    json_object_set_new(o, "key_file", jpath(cfg->key_file));
    json_object_set_new(o, "client_auth", json_string(auth[cfg->client_auth % 3]));
    json_object_set_new(o, "client_ca_file", jpath(cfg->client_ca_file));
    json_object_set_new(o, "prefer_server_order", json_boolean(cfg->prefer_server_order));
    json_object_set_new(o, "tickets", json_boolean(cfg->tickets));
    json_object_set_new(o, "session_cache", json_boolean(cfg->session_cache));
    json_object_set_new(o, "ocsp", json_string(ocsp[cfg->ocsp % 3]));
    json_object_set_new(o, "ocsp_file", jpath(cfg->ocsp_file));
    return o;
}

int th_shim_ctx_new(const struct th_shim_def *d, const struct th_tls_config *cfg,
                    struct th_ctx **out, struct th_error *err)
{
    *out = NULL;
    state_once(d);
    struct th_shim_state *st = d->state;
    pthread_mutex_lock(&st->lock);
    struct th_shim_proc *p = proc_of(d, cfg->role == TH_ROLE_SERVER, err);
    pthread_mutex_unlock(&st->lock);
    if (!p)
        return -1;
    json_t *req = json_pack("{s:s, s:o}", "op", "ctx", "config", config_json(cfg));
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    void *reply = NULL;
    int rc = th_shim_request(p, text, &reply, 30, err);
    free(text);
    if (rc != 0)
        return -1;
    struct th_ctx *c = th_xcalloc(1, sizeof(*c));
    c->def = d;
    c->proc = p;
    c->id = (unsigned)json_integer_value(json_object_get(reply, "ctx"));
    json_decref(reply);
    *out = c;
    return 0;
}

void th_shim_ctx_free(struct th_ctx *ctx)
{
    if (!ctx)
        return;
    char req[64];
    void *reply = NULL;
    struct th_error ignored;
    snprintf(req, sizeof(req), "{\"op\":\"ctx_free\",\"ctx\":%u}", ctx->id);
    if (ctx->proc->owner == getpid() && !ctx->proc->dead &&
        th_shim_request(ctx->proc, req, &reply, 10, &ignored) == 0)
        json_decref(reply);
    free(ctx);
}

uint64_t th_shim_cpu_ns(struct th_ctx *ctx)
{
    return th_shim_proc_cpu_ns(ctx->proc);
}

/* ---- connections ---- */

int th_shim_conn_new(struct th_ctx *ctx, const struct th_io *io, struct th_session *resume_from,
                     struct th_conn **out, struct th_error *err)
{
    *out = NULL;
    long sid = resume_from && resume_from->proc == ctx->proc ? resume_from->id : -1;
    struct th_shim_conn *sc = th_shim_conn_open(ctx->proc, ctx->id, sid, io, err);
    if (!sc)
        return -1;
    struct th_conn *c = th_xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->c = sc;
    *out = c;
    return 0;
}

enum th_step th_shim_handshake(struct th_conn *c, struct th_error *err)
{
    return th_shim_conn_handshake(c->c, err);
}

enum th_step th_shim_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                           struct th_error *err)
{
    return th_shim_conn_write(c->c, buf, len, done, err);
}

enum th_step th_shim_read(struct th_conn *c, void *buf, size_t len, size_t *done,
                          struct th_error *err)
{
    return th_shim_conn_read(c->c, buf, len, done, err);
}

enum th_step th_shim_shutdown(struct th_conn *c, struct th_error *err)
{
    return th_shim_conn_act(c->c, 'S', err);
}

enum th_step th_shim_key_update(struct th_conn *c, struct th_error *err)
{
    return th_shim_conn_act(c->c, 'K', err);
}

void th_shim_negotiated(struct th_conn *c, struct th_negotiated *out)
{
    th_shim_conn_negotiated(c->c, out);
}

void th_shim_conn_free_op(struct th_conn *c)
{
    if (!c)
        return;
    th_shim_conn_free(c->c);
    free(c);
}

struct th_session *th_shim_session_get(struct th_conn *c)
{
    long id = th_shim_conn_session(c->c);
    if (id < 0)
        return NULL;
    struct th_session *s = th_xcalloc(1, sizeof(*s));
    s->proc = c->ctx->proc;
    s->id = id;
    return s;
}

void th_shim_session_free(struct th_session *s)
{
    if (!s)
        return;
    char req[80];
    void *reply = NULL;
    struct th_error ignored;
    snprintf(req, sizeof(req), "{\"op\":\"session_free\",\"session\":%ld}", s->id);
    if (s->proc->owner == getpid() && !s->proc->dead &&
        th_shim_request(s->proc, req, &reply, 10, &ignored) == 0)
        json_decref(reply);
    free(s);
}
