/* Endpoint configuration: from a case's blocks to struct th_tls_config, and the
 * contexts both ends run on. */
#include "endpoint.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "harness/pki/pki.h"

/* ref is "pki:NAME" or a path; out gets the file. A file that is not there is
 * named here rather than left to a library's less direct words. */
static int resolve_file(const char *ref, const char *pki_dir, enum th_pki_use use, char *out,
                        struct th_error *err)
{
    if (strncmp(ref, "pki:", 4) == 0)
        TH_GUARD(th_pki_path(pki_dir, ref + 4, use, out, PATH_MAX, err));
    else
        th_strlcpy(out, ref, PATH_MAX);
    if (access(out, R_OK) != 0) {
        TH_FAULT(err, errno, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

static void copy_lists(struct th_tls_config *cfg, const struct th_endpoint_spec *s)
{
    cfg->versions = s->versions;
    memcpy(cfg->suites, s->suites, s->n_suites * sizeof(s->suites[0]));
    cfg->n_suites = s->n_suites;
    memcpy(cfg->groups, s->groups, s->n_groups * sizeof(s->groups[0]));
    cfg->n_groups = s->n_groups;
    for (size_t i = 0; i < s->n_alpn; i++)
        cfg->alpn[i] = s->alpn[i];
    cfg->n_alpn = s->n_alpn;
}

/* A side's certificate chain and key (case.h: cert, key): a pki leaf's key is
 * beside it; a file's key is its own file, which the reader always gives (a case
 * made otherwise is the harness's fault). */
static int resolve_identity(const struct th_endpoint_spec *s, const char *cert, const char *pki_dir,
                            struct th_endpoint_cfg *out, struct th_error *err)
{
    const char *key = s->key ? s->key : cert;
    if (!s->key && strncmp(cert, "pki:", 4) != 0) {
        TH_FAULT(err, 0, "%s: a certificate file needs its key file", cert);
        return -1;
    }
    TH_GUARD(resolve_file(cert, pki_dir, TH_PKI_CHAIN, out->chain, err));
    TH_GUARD(resolve_file(key, pki_dir, TH_PKI_KEY, out->key, err));
    out->cfg.cert_file = out->chain;
    out->cfg.key_file = out->key;
    return 0;
}

int th_endpoint_client(const struct th_case *c, const char *pki_dir, struct th_endpoint_cfg *out,
                       struct th_error *err)
{
    memset(out, 0, sizeof(*out));
    struct th_tls_config *cfg = &out->cfg;
    cfg->role = TH_ROLE_CLIENT;
    copy_lists(cfg, &c->c);
    if (c->c.ca) {
        TH_GUARD(resolve_file(c->c.ca, pki_dir, TH_PKI_CA, out->ca, err));
        cfg->ca_file = out->ca;
    }
    if (c->c.crl) {
        TH_GUARD(resolve_file(c->c.crl, pki_dir, TH_PKI_CRL, out->crl, err));
        cfg->crl_file = out->crl;
    }
    /* the client's own certificate, presented when the server asks */
    if (c->c.cert)
        TH_GUARD(resolve_identity(&c->c, c->c.cert, pki_dir, out, err));
    cfg->hostname = c->c.hostname;
    cfg->sni = c->c.sni;
    cfg->verify = c->c.verify;
    cfg->resume = c->c.resume;
    cfg->ocsp = c->c.ocsp_mode;
    cfg->early_send = c->c.early != TH_EARLY_OFF;
    return 0;
}

int th_endpoint_server(const struct th_case *c, const char *pki_dir, struct th_endpoint_cfg *out,
                       struct th_error *err)
{
    memset(out, 0, sizeof(*out));
    struct th_tls_config *cfg = &out->cfg;
    cfg->role = TH_ROLE_SERVER;
    copy_lists(cfg, &c->s);
    TH_GUARD(resolve_identity(&c->s, c->s.cert ? c->s.cert : "pki:rsa2048", pki_dir, out, err));
    cfg->prefer_server_order = c->s.prefer_server_order;
    cfg->tickets = c->s.tickets;
    cfg->session_cache = c->s.session_cache;
    cfg->client_auth = c->s.client_auth;
    cfg->early_data = c->s.early_server;
    cfg->anti_replay = c->s.anti_replay;
    if (c->s.client_ca) {
        TH_GUARD(resolve_file(c->s.client_ca, pki_dir, TH_PKI_CA, out->client_ca, err));
        cfg->client_ca_file = out->client_ca;
    }
    if (c->s.ocsp) {
        TH_GUARD(resolve_file(c->s.ocsp, pki_dir, TH_PKI_OCSP, out->ocsp, err));
        cfg->ocsp_file = out->ocsp;
    }
    return 0;
}

/* The library's refusal, as a person reads it. */
static int refused(struct th_error *err, const char *role, const struct th_backend *b,
                   const struct th_error *e)
{
    th_error_set(err, e->outcome, e->code, "%s configuration refused by %s: %s (code %ld)", role,
                 b->name, e->text, e->code);
    return -1;
}

int th_endpoint_ctxs(const struct th_case *c, const char *pki_dir, struct th_ctx **cctx,
                     struct th_ctx **sctx, struct th_error *err)
{
    struct th_endpoint_cfg rc, rs;
    struct th_error e = {0};
    *cctx = *sctx = NULL;
    if (th_endpoint_client(c, pki_dir, &rc, err) != 0 ||
        (c->server && th_endpoint_server(c, pki_dir, &rs, err) != 0)) {
        th_error_prefix(err, "cannot resolve the case's files");
        return -1;
    }
    /* handshake_rate and load say how their handshakes resume in their own blocks;
     * the client's context must be ready for it (by session ID: no ticket offered) */
    if (c->kind == TH_KIND_HANDSHAKE_RATE)
        rc.cfg.resume = c->rate.resume;
    else if (c->kind == TH_KIND_LOAD)
        rc.cfg.resume = c->load.resume;
    /* HTTP/2 load needs ALPN h2: offered when the case names no protocols, and our
     * server takes it (HTTP/1.1 still for clients that do not ask) */
    if (c->kind == TH_KIND_LOAD && c->load.http == TH_HTTP_2) {
        static const char *const h2_alpn[] = {"h2", "http/1.1"};
        if (!rc.cfg.n_alpn) {
            rc.cfg.alpn[0] = h2_alpn[0];
            rc.cfg.n_alpn = 1;
        }
        if (c->server && !rs.cfg.n_alpn) {
            rs.cfg.alpn[0] = h2_alpn[0];
            rs.cfg.alpn[1] = h2_alpn[1];
            rs.cfg.n_alpn = 2;
        }
    }
    if (c->client->ctx_new && c->client->ctx_new(&rc.cfg, cctx, &e) != 0) {
        *cctx = NULL;
        return refused(err, "client", c->client, &e);
    }
    if (c->server && c->server->ctx_new(&rs.cfg, sctx, &e) != 0) {
        th_endpoint_ctxs_free(c, *cctx, NULL);
        *cctx = *sctx = NULL;
        return refused(err, "server", c->server, &e);
    }
    return 0;
}

void th_endpoint_ctxs_free(const struct th_case *c, struct th_ctx *cctx, struct th_ctx *sctx)
{
    if (cctx && c->client->ctx_free)
        c->client->ctx_free(cctx);
    if (sctx)
        c->server->ctx_free(sctx);
}
