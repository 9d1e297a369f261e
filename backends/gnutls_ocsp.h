/* OCSP stapling for the GnuTLS backend (gnutls.c), and with it the client's whole check
 * of the server's certificate: a server stapling a response file, a client asking for
 * a staple, refusing a connection without one (require), and saying what the staple it
 * got was. GnuTLS checks a staple inside its chain check
 * (gnutls_certificate_verify_peers): a revoked status sets GNUTLS_CERT_REVOKED, a bad
 * one GNUTLS_CERT_INVALID_OCSP_STATUS, and a must-staple leaf (RFC 7633) without one
 * GNUTLS_CERT_MISSING_OCSP_STATUS; gnutls_map.c names those bits. Defined in
 * gnutls_ocsp.c. */
#ifndef TH_GNUTLS_OCSP_H
#define TH_GNUTLS_OCSP_H

#include <gnutls/gnutls.h>

#include "backend.h"

/* A server's credentials staple the DER response in `file` for their one chain: 0, or
 * -1 with err. GnuTLS itself refuses a response for another certificate
 * (GNUTLS_E_OCSP_MISMATCH_WITH_CERTS) and one already expired (GNUTLS_E_EXPIRED):
 * ocsp_invalid with its code and text; a file it cannot read is internal_error. Call
 * after the chain is set. */
TH_MUST_CHECK int th_gnutls_ocsp_staple(gnutls_certificate_credentials_t cred, const char *file,
                                        struct th_error *err);

/* A client session asks for a staple (status_request) unless mode is off: 0, or -1
 * with err. */
TH_MUST_CHECK int th_gnutls_ocsp_ask(gnutls_session_t s, enum th_ocsp_mode mode,
                                     struct th_error *err);

/* The client's check of the server, run by GnuTLS inside the handshake once the
 * certificate (and in TLS 1.2 its CertificateStatus) arrived - a
 * gnutls_session_set_verify_function body: 0 to go on, or a GNUTLS_E_* code that fails
 * the handshake. With `verify`, the chain against the credentials' anchors, for the
 * serverAuth purpose and `host` (a DNS name or an IP literal matched against IP SANs
 * only; NULL: none), the staple with it. With mode require, no staple is
 * GNUTLS_CERT_MISSING_OCSP_STATUS (and, without verify, a staple that does not verify
 * GNUTLS_CERT_INVALID_OCSP_STATUS). *status receives the gnutls_certificate_status_t
 * bits (0 when none): GnuTLS's, plus INVALID_OCSP_STATUS where its stale-data bit
 * (REVOCATION_DATA_SUPERSEDED) is about the staple, and the two above. */
int th_gnutls_check_server(gnutls_session_t s, const char *host, int verify, enum th_ocsp_mode mode,
                           unsigned *status);

/* What a client saw of the staple (struct th_negotiated.ocsp), also after a failed
 * handshake: status is what th_gnutls_check_server gave. Never TH_STAPLE_NOT_ASKED:
 * GnuTLS 3.7 asks for a staple on every client session (gnutls_init enables
 * status_request; no flag turns it off before 3.8), so with ocsp off too a client
 * reports what came, and GnuTLS's chain check judges a staple that comes. */
enum th_staple th_gnutls_ocsp_seen(gnutls_session_t s, unsigned status);

/* The alert a client sends when it stops with outcome o on a staple (status as
 * above): bad_certificate_status_response for ocsp_invalid and ocsp_missing,
 * certificate_revoked for a leaf its staple says is revoked; -1 otherwise. */
int th_gnutls_ocsp_alert(gnutls_session_t s, unsigned status, enum th_outcome o);

#endif
