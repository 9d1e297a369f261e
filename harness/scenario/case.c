/* The case type (case.h): its names, and the deep copies and frees of its values. */
#include "case.h"

#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "scenario_int.h"

/* In enum th_kind's order; the ones after it are known but not run by this build. */
const char *const th_kind_names[] = {"handshake", "bulk", "handshake_rate", "memory", "integrity",
                                     "load",      NULL};
#define N_KINDS_RUN (TH_KIND_LOAD + 1)

const char *th_kind_name(enum th_kind k)
{
    return (unsigned)k < N_KINDS_RUN ? th_kind_names[k] : "unknown";
}

const char *th_transport_name(enum th_transport t)
{
    return t == TH_TRANSPORT_TCP ? "tcp" : "memory";
}

char *th_dup_or_null(const char *s)
{
    return s ? th_xstrdup(s) : NULL;
}

void th_spec_copy(struct th_endpoint_spec *d, const struct th_endpoint_spec *s)
{
    *d = *s;
    for (size_t i = 0; i < s->n_alpn; i++)
        d->alpn[i] = th_xstrdup(s->alpn[i]);
    d->ca = th_dup_or_null(s->ca);
    d->crl = th_dup_or_null(s->crl);
    d->hostname = th_dup_or_null(s->hostname);
    d->sni = th_dup_or_null(s->sni);
    d->cert = th_dup_or_null(s->cert);
    d->key = th_dup_or_null(s->key);
    d->client_ca = th_dup_or_null(s->client_ca);
    d->ocsp = th_dup_or_null(s->ocsp);
}

void th_spec_free(struct th_endpoint_spec *sp)
{
    for (size_t i = 0; i < sp->n_alpn; i++)
        free(sp->alpn[i]);
    free(sp->ca);
    free(sp->crl);
    free(sp->hostname);
    free(sp->sni);
    free(sp->cert);
    free(sp->key);
    free(sp->client_ca);
    free(sp->ocsp);
    memset(sp, 0, sizeof *sp);
}

void th_expect_copy(struct th_expect *d, const struct th_expect *s)
{
    *d = *s;
    d->alpn = th_dup_or_null(s->alpn);
}

void th_dev_copy(struct th_deviation *d, const struct th_deviation *s)
{
    d->client = th_dup_or_null(s->client);
    d->server = th_dup_or_null(s->server);
    d->outcomes = s->outcomes;
    d->why = th_dup_or_null(s->why);
    d->intermittent = s->intermittent;
}

void th_dev_free(struct th_deviation *d)
{
    free(d->client);
    free(d->server);
    free(d->why);
    memset(d, 0, sizeof *d);
}

void th_case_copy(struct th_case *d, const struct th_case *s)
{
    *d = *s;
    d->id = th_dup_or_null(s->id);
    d->scenario = th_dup_or_null(s->scenario);
    d->file = th_dup_or_null(s->file);
    d->description = th_dup_or_null(s->description);
    d->server_name = th_dup_or_null(s->server_name);
    d->target_host = th_dup_or_null(s->target_host);
    th_spec_copy(&d->c, &s->c);
    th_spec_copy(&d->s, &s->s);
    th_expect_copy(&d->expect, &s->expect);
    th_dev_copy(&d->deviation, &s->deviation);
    d->skip = th_dup_or_null(s->skip);
}

void th_case_free(struct th_case *k)
{
    free(k->id);
    free(k->scenario);
    free(k->file);
    free(k->description);
    free(k->server_name);
    free(k->target_host);
    th_spec_free(&k->c);
    th_spec_free(&k->s);
    free(k->expect.alpn);
    th_dev_free(&k->deviation);
    free(k->skip);
    memset(k, 0, sizeof *k);
}
