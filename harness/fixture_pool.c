/* Running fixtures kept across cases (fixture.h: th_fixture_pool_*): consecutive
 * cases with the same server configuration share one instance, at most max_running
 * stay up, the least recently used is stopped first. Built on fixture.h alone. */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

struct pool_entry {
    const struct th_fixture_def *def;
    struct th_tls_config cfg; /* its strings are the entry's own copies */
    struct th_fixture *f;
    uint64_t used;
};

struct th_fixture_pool {
    char *tmp_root;
    size_t max;
    struct pool_entry *v;
    size_t n;
    uint64_t clock;
};

struct th_fixture_pool *th_fixture_pool_new(const char *tmp_root, size_t max_running)
{
    struct th_fixture_pool *p = th_xcalloc(1, sizeof(*p));
    p->tmp_root = tmp_root ? th_xstrdup(tmp_root) : NULL;
    p->max = max_running ? max_running : 1;
    p->v = th_xcalloc(p->max, sizeof(*p->v));
    return p;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Equal in every field that reaches the template. */
static int same_config(const struct th_tls_config *a, const struct th_tls_config *b)
{
    if (a->versions != b->versions || a->n_suites != b->n_suites || a->n_groups != b->n_groups ||
        a->n_alpn != b->n_alpn || !a->prefer_server_order != !b->prefer_server_order ||
        !a->tickets != !b->tickets || !a->session_cache != !b->session_cache ||
        !same_str(a->cert_file, b->cert_file) || !same_str(a->key_file, b->key_file))
        return 0;
    for (size_t i = 0; i < a->n_alpn; i++)
        if (!same_str(a->alpn[i], b->alpn[i]))
            return 0;
    return memcmp(a->suites, b->suites, a->n_suites * sizeof(a->suites[0])) == 0 &&
           memcmp(a->groups, b->groups, a->n_groups * sizeof(a->groups[0])) == 0;
}

static void entry_clear(struct pool_entry *e)
{
    th_fixture_stop(e->f);
    free((char *)e->cfg.cert_file);
    free((char *)e->cfg.key_file);
    for (size_t i = 0; i < e->cfg.n_alpn; i++)
        free((char *)e->cfg.alpn[i]);
    memset(e, 0, sizeof(*e));
}

static void entry_set(struct pool_entry *e, const struct th_fixture_def *d,
                      const struct th_tls_config *cfg, struct th_fixture *f)
{
    e->def = d;
    e->cfg = *cfg;
    /* only what same_config compares is kept */
    e->cfg.ca_file = e->cfg.crl_file = e->cfg.hostname = e->cfg.sni = NULL;
    e->cfg.cert_file = cfg->cert_file ? th_xstrdup(cfg->cert_file) : NULL;
    e->cfg.key_file = cfg->key_file ? th_xstrdup(cfg->key_file) : NULL;
    for (size_t i = 0; i < cfg->n_alpn; i++)
        e->cfg.alpn[i] = th_xstrdup(cfg->alpn[i]);
    e->f = f;
}

/* The entry to put a new instance in: a free one, else the least recently used,
 * stopped. */
static struct pool_entry *pool_slot(struct th_fixture_pool *p)
{
    if (p->n < p->max)
        return &p->v[p->n++];
    struct pool_entry *lru = &p->v[0];
    for (size_t i = 1; i < p->n; i++)
        if (p->v[i].used < lru->used)
            lru = &p->v[i];
    entry_clear(lru);
    return lru;
}

int th_fixture_pool_get(struct th_fixture_pool *p, const struct th_fixture_def *d,
                        const struct th_tls_config *cfg, double timeout_s, struct th_fixture **out,
                        char *err, size_t errcap)
{
    *out = NULL;
    for (size_t i = 0; i < p->n; i++) {
        struct pool_entry *e = &p->v[i];
        if (e->def != d || !same_config(&e->cfg, cfg))
            continue;
        if (th_fixture_alive(e->f)) {
            e->used = ++p->clock;
            *out = e->f;
            return 0;
        }
        /* it died: start it again in its place */
        entry_clear(e);
        p->v[i] = p->v[--p->n];
        memset(&p->v[p->n], 0, sizeof(p->v[p->n]));
        break;
    }
    struct th_fixture *f;
    if (th_fixture_start(d, cfg, p->tmp_root, timeout_s, &f, err, errcap) != 0)
        return -1;
    struct pool_entry *e = pool_slot(p);
    entry_set(e, d, cfg, f);
    e->used = ++p->clock;
    *out = f;
    return 0;
}

size_t th_fixture_pool_running(const struct th_fixture_pool *p)
{
    return p ? p->n : 0;
}

void th_fixture_pool_free(struct th_fixture_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        entry_clear(&p->v[i]);
    free(p->v);
    free(p->tmp_root);
    free(p);
}
