/* The libcurl backends' error mapping: what a failed transfer left (the CURLcode,
 * curl's error buffer, the TLS library's verify result and our verify callback's
 * record) in the shared vocabulary, through the OpenSSL and GnuTLS backends' own
 * mappings. Also the state of one fetch, which curl.c fills and the mapping reads.
 * Defined in curl_map.c. */
#ifndef TH_CURL_MAP_H
#define TH_CURL_MAP_H

#include <gnutls/gnutls.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "curl_lib.h"

struct th_curl_body {
    unsigned char *data;
    size_t len, cap;
    uint64_t max; /* largest body kept: the case's client.max_body_bytes */
    int too_big;
};

#define TH_CURL_MAX_CHAIN 16

struct th_curl_fetch {
    struct th_curl_flavour *f;
    const struct th_tls_config *cfg;
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hosts; /* CURLOPT_RESOLVE / CURLOPT_CONNECT_TO entries */
    struct th_curl_body body;
    int have_neg;
    struct th_negotiated neg;
    /* OpenSSL flavour, set up from CURLOPT_SSL_CTX_FUNCTION */
    int seclevel0;       /* TLS 1.0/1.1 asked for: security level 0 */
    int no_tls12_suites; /* only TLS 1.3 suites asked for: an empty TLS <= 1.2 list */
    SSL_verify_cb prev_verify;
    int verify_err; /* first failure of the chain check; 0: none */
    int verify_depth;
    int verify_sent;   /* certificates the server sent, its leaf included; -1: unknown */
    X509 *verify_cert; /* the certificate it failed on (a reference) */
    /* GnuTLS flavour: the chain as the server sent it (DER copies, leaf first),
     * taken while curl checks it (curl.c, on_debug); n_chain 0: none seen */
    gnutls_datum_t chain[TH_CURL_MAX_CHAIN];
    unsigned n_chain;
    /* GnuTLS flavour: the last alert received, + 1 (0: none), read from the
     * session while curl writes its error (curl.c, on_debug): curl-gnutls words one
     * received after the handshake (a TLS 1.3 server refusing a client
     * certificate) only as "A TLS fatal alert has been received", without which */
    int alert;
};

/* Frees the GnuTLS flavour's copy of the chain. */
void th_curl_chain_free(struct th_curl_fetch *fx);

/* The failure of a transfer (rc not CURLE_OK) in err: the outcome, rc as the code, and
 * curl's text for it with the error buffer and, for a refused certificate, the TLS
 * library's verify code. which: 1 when it was the second (resuming) connection. A
 * refused OCSP staple (CURLE_SSL_INVALIDCERTSTATUS) also sets fx->neg.ocsp. */
void th_curl_set_error(struct th_curl_fetch *fx, CURLcode rc, int which, struct th_error *err);

#endif
