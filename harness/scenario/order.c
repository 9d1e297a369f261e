/* Run order (order.h). */
#include "order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"

void th_fixture_key(const struct th_case *c, char *out, size_t cap)
{
    const struct th_endpoint_spec *s = &c->s;
    size_t n =
        (size_t)snprintf(out, cap, "%s|%s|%s|v%x|p%d|t%d|c%d|m%d:%s|o%s|e%d%d|s", c->server_name,
                         s->cert ? s->cert : "pki:rsa2048", s->key ? s->key : "", s->versions,
                         s->prefer_server_order, s->tickets, s->session_cache, (int)s->client_auth,
                         s->client_ca ? s->client_ca : "", s->ocsp ? s->ocsp : "",
                         (int)s->early_server, s->anti_replay);
    for (size_t i = 0; i < s->n_suites && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, ",%04x", s->suites[i]);
    for (size_t i = 0; i < s->n_groups && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%sg%04x", i ? "," : "|", s->groups[i]);
    for (size_t i = 0; i < s->n_alpn && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "|a%s", s->alpn[i]);
}

struct keyed {
    size_t index;
    char key[1024];
};

/* By key, then by plan index: a stable grouping. */
static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

size_t *th_run_order(const struct th_plan *plan)
{
    size_t *order = th_xmalloc((plan->n ? plan->n : 1) * sizeof(*order));
    struct keyed *fx = th_xmalloc((plan->n ? plan->n : 1) * sizeof(*fx));
    size_t n = 0, m = 0;
    for (size_t i = 0; i < plan->n; i++) {
        const struct th_case *c = &plan->cases[i];
        if (!c->fixture || c->skip) {
            order[n++] = i;
            continue;
        }
        fx[m].index = i;
        th_fixture_key(c, fx[m].key, sizeof(fx[m].key));
        m++;
    }
    qsort(fx, m, sizeof(*fx), cmp_keyed);
    for (size_t i = 0; i < m; i++)
        order[n++] = fx[i].index;
    free(fx);
    return order;
}
