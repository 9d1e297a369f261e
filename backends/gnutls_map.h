/* The GnuTLS backend's mappings from GnuTLS's own codes and objects to the shared
 * vocabulary, exported for curl-gnutls: libcurl-gnutls runs the same
 * libgnutls.so.30 and reports its codes (gnutls_certificate_status_t bits,
 * GNUTLS_E_* texts) and hands out its sessions, so both backends read them through
 * one mapping that cannot drift apart. Defined in gnutls_map.c. */
#ifndef TH_GNUTLS_MAP_H
#define TH_GNUTLS_MAP_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "backend.h"

/* What a priority string needs to name to enable one suite. */
struct th_gnutls_suite {
    uint16_t id;
    gnutls_kx_algorithm_t kx; /* GNUTLS_KX_UNKNOWN for TLS 1.3 suites */
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
};

/* A suite GnuTLS knows, by IANA id; NULL when it does not. */
const struct th_gnutls_suite *th_gnutls_suite(uint16_t id);
/* The IANA ids of every suite GnuTLS knows, in its order; how many were written. */
size_t th_gnutls_suites(uint16_t *out, size_t cap);
/* A suite we can run: an IANA one, certificate-authenticated (RSA, ECDSA), not
 * PSK/SRP/anonymous, not NULL encryption. */
int th_gnutls_suite_usable(uint16_t id);

/* GnuTLS's group for an IANA id; GNUTLS_GROUP_INVALID when unknown. */
gnutls_group_t th_gnutls_group_from_iana(uint16_t iana);
/* The IANA id of a GnuTLS group; 0 when unknown. */
uint16_t th_gnutls_group_to_iana(gnutls_group_t g);
/* The IANA ids of the groups this libgnutls supports; how many were written. */
size_t th_gnutls_groups(uint16_t *out, size_t cap);
/* A version's priority-string keyword ("VERS-TLS1.2"); NULL when unknown. */
const char *th_gnutls_version_keyword(uint16_t iana);

/* A refused chain's gnutls_certificate_status_t bits, the most specific reason
 * first. certs/n: the chain as the server sent it (DER, leaf first; NULL/0 when
 * unknown) and anchors: the client's trust anchors (NULL when unknown) tell a short
 * key from a weak hash, a lone self-signed certificate or a lone leaf whose issuer
 * is no anchor (incomplete_chain) from an unknown CA, and which of the signer's
 * constraints the umbrella SIGNER_CONSTRAINTS_FAILURE stands for (name
 * constraints, path length, or an issuer's key usage: invalid_ca). */
enum th_outcome th_gnutls_chain_outcome(unsigned status, const gnutls_datum_t *certs, unsigned n,
                                        gnutls_x509_trust_list_t anchors);

/* A trust list of the roots in a PEM file (for a client that keeps none GnuTLS
 * can lend, as libcurl-gnutls): 0, or -1 when it cannot be read. Free with
 * gnutls_x509_trust_list_deinit(list, 1). */
TH_MUST_CHECK int th_gnutls_anchors_from_file(const char *ca_file, gnutls_x509_trust_list_t *out);

/* A GNUTLS_E_* code. */
enum th_outcome th_gnutls_error_outcome(int code);

/* What a session negotiated, in IANA terms; call it once the handshake is done. */
void th_gnutls_negotiated(gnutls_session_t s, struct th_negotiated *out);

/* What the peer of a session whose handshake is done presented (the ->peer_info
 * op): 0, or -1 when it sent no certificate. */
TH_MUST_CHECK int th_gnutls_peer_info(gnutls_session_t s, struct th_peer_info *out);

#endif
