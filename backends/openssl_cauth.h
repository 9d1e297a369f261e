/* Client certificates (mTLS) on OpenSSL, shared by the OpenSSL backend and
 * curl-openssl (the same libssl.so.3): a server that requests or requires one and
 * verifies it, a client that presents one, and what each end saw of it. Defined in
 * openssl_cauth.c. */
#ifndef TH_OPENSSL_CAUTH_H
#define TH_OPENSSL_CAUTH_H

#include <openssl/ssl.h>

#include "backend.h"

/* Server: ask for a client certificate (cfg->client_auth, not NONE) and verify it
 * against cfg->client_ca_file, through cb (which records the first failure). The
 * roots' names go into the CertificateRequest. 0, or -1 with err: a CA file
 * OpenSSL will not load is anchor_unusable, as on the client. */
TH_MUST_CHECK int th_ossl_server_client_auth(SSL_CTX *ctx, const struct th_tls_config *cfg,
                                             SSL_verify_cb cb, struct th_error *err);

/* Client: present cfg->cert_file (chain, leaf first) and cfg->key_file when a server
 * asks (nothing when cert_file is NULL), and note each CertificateRequest so
 * th_ossl_cert_state can say a server asked. 0, or -1 with err (internal_error: the
 * files are the harness's configuration). */
TH_MUST_CHECK int th_ossl_client_own_cert(SSL_CTX *ctx, const struct th_tls_config *cfg,
                                          struct th_error *err);

/* Only the note of CertificateRequests, for an SSL_CTX whose certificate someone
 * else loads (curl-openssl's). 0, or -1 when the ex_data index could not be made. */
TH_MUST_CHECK int th_ossl_watch_cert_request(SSL_CTX *ctx);

/* The client certificate fields of out, from an SSL whose handshake is done.
 * Client: cert_requested (a CertificateRequest arrived) and client_cert (one was
 * asked for and this end had one to send). Server: client_cert (one arrived and
 * verified). */
void th_ossl_cert_state(SSL *ssl, struct th_negotiated *out);

#endif
