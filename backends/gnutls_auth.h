/* Client certificates (mTLS) for the GnuTLS backend (gnutls.c): a client's own
 * chain and key, handed to GnuTLS whenever a server asks, and a server's check of
 * the chain a client sent. Defined in gnutls_auth.c. */
#ifndef TH_GNUTLS_AUTH_H
#define TH_GNUTLS_AUTH_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "backend.h"

/* A client chain longer than this is refused when the context is made. */
#define TH_GNUTLS_MAX_OWN 8

/* What a client presents: its chain as sent (leaf first) and the leaf's key. */
struct th_gnutls_own {
    gnutls_pcert_st pcert[TH_GNUTLS_MAX_OWN];
    unsigned n;
    gnutls_privkey_t key; /* NULL: nothing loaded */
};

/* The client's cfg->cert_file (PEM chain) and cfg->key_file (PEM key, checked to
 * be the leaf's) into *o, and `give` as the credentials' retrieve function, which
 * hands GnuTLS *o whenever a server asks: 0 (also when cfg gives none), or -1 with
 * err (internal_error: the harness was given bad files). */
TH_MUST_CHECK int th_gnutls_own_load(gnutls_certificate_credentials_t cred, struct th_gnutls_own *o,
                                     const struct th_tls_config *cfg,
                                     gnutls_certificate_retrieve_function2 *give,
                                     struct th_error *err);
void th_gnutls_own_free(struct th_gnutls_own *o);

/* A server's check of the chain a client sent, run by GnuTLS inside the handshake
 * (a gnutls_session_set_verify_function body): 0 to go on, or a GNUTLS_E_* code that
 * fails the handshake. *status receives the gnutls_certificate_status_t bits (0 when
 * none). No certificate is fine unless `require`: GNUTLS_E_CERTIFICATE_REQUIRED. */
int th_gnutls_check_client(gnutls_session_t s, int require, unsigned *status);

/* A server's client CA (cfg->client_ca_file) as the credentials' trust anchors,
 * when cfg->client_auth asks for a client certificate: 0, or -1 with err
 * (anchor_unusable when GnuTLS refuses the file, as for a client's anchors). Their
 * names also go out in the CertificateRequest. */
TH_MUST_CHECK int th_gnutls_client_ca(gnutls_certificate_credentials_t cred,
                                      const struct th_tls_config *cfg, struct th_error *err);

/* The alert a server sends when it stops on `ret` with outcome o, where it refused
 * a client's certificate (or got none); -1 otherwise. GnuTLS alone would say
 * bad_certificate for any refusal: this names why, as OpenSSL's server does; TLS 1.2
 * has no certificate_required alert, only handshake_failure. */
int th_gnutls_refusal_alert(gnutls_session_t s, int ret, enum th_outcome o);

/* A server's GNUTLS_E_* code: a client that sent no certificate where one is
 * required is certificate_required, whether our check says so or GnuTLS's own (TLS
 * 1.2: GNUTLS_E_NO_CERTIFICATE_FOUND); else th_gnutls_error_outcome. */
enum th_outcome th_gnutls_server_outcome(int ret);

/* The client-certificate fields of *out: the client's view (asked for, sent), also
 * after a failed handshake; the server's (one arrived and passed: `verified` says
 * the handshake, and with it our check, passed with client auth on). */
void th_gnutls_client_cert_seen(gnutls_session_t s, enum th_role role, int verified,
                                struct th_negotiated *out);

#endif
