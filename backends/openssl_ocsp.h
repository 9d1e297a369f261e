/* OCSP stapling on OpenSSL (issue 12 item 6): a server that staples a given DER
 * response unchanged, and a client that asks for a staple and judges the one that
 * comes. The per-connection record lives in SSL ex_data, so it outlives a failed
 * handshake until SSL_free: ->negotiated reads it then too. Defined in
 * openssl_ocsp.c. */
#ifndef TH_OPENSSL_OCSP_H
#define TH_OPENSSL_OCSP_H

#include <openssl/ssl.h>

#include "backend.h"

/* Server: staple the DER OCSP response in file, as it is, to every client that
 * sends status_request (TLS 1.2 CertificateStatus, TLS 1.3 in the leaf's
 * Certificate entry). The response is never parsed or checked here. file NULL:
 * nothing. 0, or -1 with err (internal_error: the file is the harness's
 * configuration). */
TH_MUST_CHECK int th_ossl_ocsp_server(SSL_CTX *ctx, const char *file, struct th_error *err);

/* Client: for TH_OCSP_REQUEST / _REQUIRE, send status_request and judge the staple
 * in the status callback: signed by the leaf's issuer or a responder it delegated
 * to (checked against ctx's verify store), a status for this leaf, this/next update
 * valid now (5 minutes' skew). A refused or revoked staple (and with require a
 * missing one) fails the handshake with alert bad_certificate_status_response,
 * unless verify is 0, which only records. A verified staple saying "unknown" is a
 * valid staple: recorded, not refused. TH_OCSP_OFF: nothing. 0, or -1 with err. */
TH_MUST_CHECK int th_ossl_ocsp_client(SSL_CTX *ctx, enum th_ocsp_mode mode, int verify,
                                      struct th_error *err);

/* The client's view of the staple (struct th_negotiated.ocsp); safe on a
 * connection whose handshake failed. TH_STAPLE_NOT_ASKED on a server. */
enum th_staple th_ossl_ocsp_seen(SSL *ssl);

/* When the staple check is what failed this client's handshake: 1 with err set to
 * its outcome (revoked, ocsp_missing, ocsp_invalid), code and OpenSSL's text;
 * otherwise 0 and err untouched. */
int th_ossl_ocsp_failure(SSL *ssl, struct th_error *err);

#endif
