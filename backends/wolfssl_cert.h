/* The wolfSSL backend's objects, shared by its files, and its certificate side
 * (wolfssl_cert.c): the endpoint's own chain and key, trust anchors and CRLs, the
 * name check, client certificates, the chain check as the verify callback saw it,
 * and what the peer presented. */
#ifndef TH_WOLFSSL_CERT_H
#define TH_WOLFSSL_CERT_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "backend.h"

struct th_ctx {
    WOLFSSL_CTX *ctx;
    enum th_role role;
    int verify; /* client: check the server; server: check client certificates */
    int own_cert;
    enum th_client_auth client_auth;
    char *hostname;
    char *sni;
    char *alpn[TH_MAX_ALPN]; /* in preference order */
    size_t n_alpn;
};

struct th_conn {
    WOLFSSL *ssl;
    struct th_ctx *ctx;
    struct th_io io;
    int io_failed; /* the transport said TH_IO_FAIL */
    int eof;       /* the transport said end of stream */
    int hs_done;
    int failed; /* a step failed: the connection is dead, err keeps why */
    struct th_error err;
    /* the first failure of the chain check, as the verify callback saw it */
    int verify_err; /* wolfSSL's code; 0: none */
    int verify_depth;
    int verify_sent; /* certificates the peer sent */
    int verify_self_issued;
    int verify_issuer_not_ca; /* its issuer was among those sent, not a CA */
    int cert_requested;       /* client: a CertificateRequest arrived */
    uint16_t hello_group;     /* server: its ServerHello's key_share group */
};

struct th_session {
    WOLFSSL_SESSION *sess;
};

/* The endpoint's chain (leaf first) and key: a server's always, a client's when
 * given. 0, or -1 with err (internal_error: the files are the harness's). */
TH_MUST_CHECK int th_wolfssl_own_cert(WOLFSSL_CTX *ctx, const struct th_tls_config *cfg,
                                      struct th_error *err);

/* Client: trust anchors, CRLs and the verify mode. A CA or CRL file wolfSSL will
 * not load is anchor_unusable; one it cannot open is internal_error. */
TH_MUST_CHECK int th_wolfssl_client_trust(struct th_ctx *t, const struct th_tls_config *cfg,
                                          struct th_error *err);

/* Server: request or require a client certificate, verified against
 * cfg->client_ca_file. */
TH_MUST_CHECK int th_wolfssl_server_client_auth(struct th_ctx *t, const struct th_tls_config *cfg,
                                                struct th_error *err);

/* Client connection: the DNS name or IP address to check. */
TH_MUST_CHECK int th_wolfssl_client_host(struct th_conn *c, struct th_error *err);

/* This end's own check of the peer's chain, when it is what stopped the handshake
 * (code: wolfSSL's error for the step): 1 with err filled, 0 otherwise. */
int th_wolfssl_verify_failure(struct th_conn *c, int code, struct th_error *err);

/* The client certificate fields of out (safe on a failed handshake). */
void th_wolfssl_cert_state(struct th_conn *c, struct th_negotiated *out);

/* The ->peer_info op. */
TH_MUST_CHECK int th_wolfssl_peer_info(struct th_conn *c, struct th_peer_info *out);

#endif
