/* TLS 1.3 early data (0-RTT) on OpenSSL, for the OpenSSL backend: a client that sends
 * its first bytes with the ClientHello of a resumed connection, and a server that
 * takes them (or refuses them) inside its handshake and hands them to the reads that
 * follow. What each connection did is kept on its SSL (ex_data), so the backend's
 * connection object needs no field for it. Defined in openssl_early.c. */
#ifndef TH_OPENSSL_EARLY_H
#define TH_OPENSSL_EARLY_H

#include <openssl/ssl.h>

#include "backend.h"

/* Server: cfg->early_data and cfg->anti_replay on a server SSL_CTX. off: tickets allow
 * no early data (max_early_data 0). accept / reject: they allow it; reject refuses it
 * in every handshake (the allow-early-data callback). anti_replay keeps OpenSSL's
 * replay protection, which makes TLS 1.3 tickets single use through the server's
 * session cache (switched on here when the configuration had it off); without it,
 * SSL_OP_NO_ANTI_REPLAY. 0, or -1 with err. */
TH_MUST_CHECK int th_ossl_early_server(SSL_CTX *ctx, const struct th_tls_config *cfg,
                                       struct th_error *err);

/* The backend's write, which is also its ->early_write: SSL_write_ex once the handshake
 * has begun. Before it (a client resuming a session, before its first handshake step),
 * up to len bytes of buf go as early data, as many as the session allows (*done; 0
 * and nothing offered when it allows none). Returns as SSL_write_ex does: 1 when
 * done, else <= 0 for SSL_get_error. */
int th_ossl_write_ex(SSL *ssl, const void *buf, size_t len, size_t *done);

/* Both roles' handshake step, in place of SSL_do_handshake: a server whose tickets
 * allow early data first reads it (SSL_read_early_data) and keeps it for
 * th_ossl_early_take. Returns as SSL_do_handshake does. */
int th_ossl_early_handshake(SSL *ssl);

/* Server, in a read: early data kept by the handshake, up to len bytes into buf.
 * 1 with *done > 0 when there was some; 0 when none is left. */
int th_ossl_early_take(SSL *ssl, void *buf, size_t len, size_t *done);

/* The early data fields of out (early_offered, early_accepted, early_bytes), from a
 * connection whose handshake is done: the client's view or the server's. */
void th_ossl_early_state(SSL *ssl, struct th_negotiated *out);

#endif
