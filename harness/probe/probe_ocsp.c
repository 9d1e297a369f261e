/* The stapled OCSP response as the server sends it (probe.h: th_probe_staple_json),
 * for the probe's "staple" section. The backend seam gives each client's verdict on a
 * staple (struct th_negotiated.ocsp) but not the staple's bytes, so the probe reads
 * them itself, as it reads the chain: one libssl connection of its own asking for a
 * staple, verification off, at the highest version the server accepts, bounded by
 * --timeout. What the staple says (status, this/next update, responder, for which
 * certificate) is read with libcrypto; whether it is to be trusted is each client's
 * verdict, not the probe's. */
#include "probe.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/io/transport.h"
#include "harness/vocab/iana.h"
#include "probe_int.h"

/* RFC 6960 gives no skew; the clients' checks allow 5 minutes (openssl_ocsp.c). */
#define SKEW_S 300L

/* ---- reading a response ---- */

/* The responder as the response names it: a name (RFC 2253) or a key hash. */
static json_t *responder_json(const OCSP_BASICRESP *bs)
{
    const ASN1_OCTET_STRING *key = NULL;
    const X509_NAME *name = NULL;
    if (OCSP_resp_get0_id(bs, &key, &name) != 1)
        return json_null();
    if (name)
        return th_probe_name_json(name);
    char hex[2 * 64 + 16] = "key SHA-1 ";
    size_t off = strlen(hex);
    for (int i = 0; key && i < ASN1_STRING_length(key) && off + 3 < sizeof(hex); i++)
        off +=
            (size_t)snprintf(hex + off, sizeof(hex) - off, "%02x", ASN1_STRING_get0_data(key)[i]);
    return json_string(hex);
}

/* The single response for the leaf: each CertID is rebuilt from leaf and issuer with
 * the hash that response used (SHA-1 mostly, SHA-256 allowed) and compared. -1: none
 * matches (the staple is for another certificate), or no issuer to compare with. */
static int single_for_leaf(OCSP_BASICRESP *bs, X509 *leaf, X509 *issuer)
{
    for (int i = 0; leaf && issuer && i < OCSP_resp_count(bs); i++) {
        const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, i));
        ASN1_OBJECT *md_oid = NULL;
        if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, (OCSP_CERTID *)cid) != 1)
            continue;
        const EVP_MD *md = EVP_get_digestbynid(OBJ_obj2nid(md_oid));
        OCSP_CERTID *mine = md ? OCSP_cert_to_id(md, leaf, issuer) : NULL;
        int same = mine && OCSP_id_cmp(mine, cid) == 0;
        OCSP_CERTID_free(mine);
        if (same)
            return i;
    }
    return -1;
}

static void single_json(OCSP_SINGLERESP *s, json_t *o)
{
    int reason = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
    int st = OCSP_single_get0_status(s, &reason, &rev, &thisu, &nextu);
    json_object_set_new(o, "cert_status", json_string(OCSP_cert_status_str(st)));
    json_object_set_new(o, "this_update", th_probe_time_json(thisu));
    json_object_set_new(o, "next_update", th_probe_time_json(nextu));
    if (st == V_OCSP_CERTSTATUS_REVOKED) {
        json_object_set_new(o, "revoked_at", th_probe_time_json(rev));
        json_object_set_new(o, "revocation_reason",
                            reason >= 0 ? json_string(OCSP_crl_reason_str(reason)) : json_null());
    }
    /* current: this/next update bracket now, with the skew the clients allow */
    int current = thisu && OCSP_check_validity(thisu, nextu, SKEW_S, -1) == 1;
    json_object_set_new(o, "current", json_boolean(current));
    ERR_clear_error(); /* OCSP_check_validity queues why a time is out */
}

/* The leaf and its issuer from DER back to back (the chain as sent). */
static void leaf_and_issuer(const unsigned char *der, size_t len, X509 **leaf, X509 **issuer)
{
    const unsigned char *p = der, *end = der + len;
    *leaf = der && len ? d2i_X509(NULL, &p, (long)len) : NULL;
    *issuer = *leaf && p < end ? d2i_X509(NULL, &p, (long)(end - p)) : NULL;
}

static void basic_json(OCSP_BASICRESP *bs, const unsigned char *chain, size_t chain_len, json_t *o)
{
    X509 *leaf, *issuer;
    leaf_and_issuer(chain, chain_len, &leaf, &issuer);
    json_object_set_new(o, "responder", responder_json(bs));
    const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
    json_object_set_new(o, "certs_included", json_integer(certs ? sk_X509_num(certs) : 0));
    json_object_set_new(o, "produced_at", th_probe_time_json(OCSP_resp_get0_produced_at(bs)));
    int i = single_for_leaf(bs, leaf, issuer);
    /* a staple about another certificate still says something: show its first entry */
    json_object_set_new(o, "for_leaf",
                        i >= 0           ? json_true()
                        : leaf && issuer ? json_false()
                                         : json_null());
    if (i >= 0 || OCSP_resp_count(bs) > 0)
        single_json(OCSP_resp_get0(bs, i >= 0 ? i : 0), o);
    X509_free(leaf);
    X509_free(issuer);
}

json_t *th_probe_staple_json(const unsigned char *resp, size_t len, const unsigned char *chain,
                             size_t chain_len)
{
    json_t *o = json_object();
    json_object_set_new(o, "stapled", json_boolean(resp && len));
    if (!resp || !len)
        return o;
    const unsigned char *p = resp;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = NULL;
    if (!r) {
        json_object_set_new(o, "error", json_string("the staple is not an OCSP response (DER)"));
    } else {
        int st = OCSP_response_status(r);
        json_object_set_new(o, "response_status", json_string(OCSP_response_status_str(st)));
        bs = st == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(r) : NULL;
        if (st == OCSP_RESPONSE_STATUS_SUCCESSFUL && !bs)
            json_object_set_new(o, "error", json_string("no basic OCSP response inside"));
    }
    if (bs)
        basic_json(bs, chain, chain_len, o);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    ERR_clear_error();
    return o;
}

/* ---- the connection that fetches it ---- */

/* The chain as sent, DER back to back (malloc'd), as peer_info gives it. */
static unsigned char *chain_der(SSL *ssl, size_t *len)
{
    STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
    unsigned char *der = NULL;
    *len = 0;
    for (int i = 0; sk && i < sk_X509_num(sk); i++) {
        int n = i2d_X509(sk_X509_value(sk, i), NULL);
        if (n <= 0)
            break;
        der = th_xrealloc(der, *len + (size_t)n);
        unsigned char *q = der + *len;
        *len += (size_t)i2d_X509(sk_X509_value(sk, i), &q);
    }
    return der;
}

/* Drive SSL_connect on the non-blocking fd until done, refused or the deadline. */
static int connect_within(SSL *ssl, int fd, uint64_t deadline, char *why, size_t cap)
{
    for (;;) {
        int rc = SSL_connect(ssl);
        if (rc == 1)
            return 0;
        int e = SSL_get_error(ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            unsigned long le = ERR_peek_last_error();
            snprintf(why, cap, "handshake refused");
            if (le)
                ERR_error_string_n(le, why, cap);
            return -1;
        }
        int w = th_tcp_wait(fd, e == SSL_ERROR_WANT_WRITE, deadline);
        if (w <= 0) {
            snprintf(why, cap, w == 0 ? "no answer in time" : "poll failed");
            return -1;
        }
    }
}

static uint16_t highest(unsigned vbits)
{
    for (size_t i = TH_PROBE_N_VERSIONS; i-- > 0;)
        if (vbits & TH_VBIT(th_probe_versions[i]))
            return th_probe_versions[i];
    return 0;
}

/* One connection at version v asking for a staple; 0 with the staple in o, or -1
 * with why (the staple section then says the probe could not look). */
static int fetch_staple(struct th_probe *p, uint16_t v, json_t **o, char *why, size_t cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    struct th_error terr = {0};
    uint64_t deadline = th_now_ns() + p->timeout_ns, cns;
    int fd = -1, rc = -1;
    snprintf(why, cap, "libssl could not be set up");
    if (!ctx)
        goto out;
    /* verification off and level 0: this reads what the server sends, even to a
     * TLS 1.0 client; trusting it is each client backend's verdict */
    SSL_CTX_set_security_level(ctx, 0);
    if (SSL_CTX_set_min_proto_version(ctx, v) != 1 || SSL_CTX_set_max_proto_version(ctx, v) != 1 ||
        SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") != 1)
        goto out;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (p->cert && (SSL_CTX_use_certificate_chain_file(ctx, p->cert) != 1 ||
                    SSL_CTX_use_PrivateKey_file(ctx, p->key, SSL_FILETYPE_PEM) != 1))
        goto out;
    if (!(ssl = SSL_new(ctx)) || (p->sni && SSL_set_tlsext_host_name(ssl, p->sni) != 1) ||
        SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp) != 1)
        goto out;
    fd = th_tcp_connect(p->url.host, p->url.port, deadline, &cns, &terr);
    if (fd < 0) {
        snprintf(why, cap, "TCP connect failed: %.200s", terr.text);
        goto out;
    }
    if (SSL_set_fd(ssl, fd) != 1 || connect_within(ssl, fd, deadline, why, cap) != 0)
        goto out;
    const unsigned char *resp = NULL;
    long len = SSL_get_tlsext_status_ocsp_resp(ssl, &resp);
    size_t clen;
    unsigned char *chain = chain_der(ssl, &clen);
    *o = th_probe_staple_json(resp, len > 0 ? (size_t)len : 0, chain, clen);
    free(chain);
    (void)SSL_shutdown(ssl); /* a close_notify, one try: the socket closes next */
    rc = 0;
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    ERR_clear_error();
    return rc;
}

void th_probe_staple(struct th_probe *p, json_t *r)
{
    uint16_t v = highest(p->accepted);
    json_t *o = NULL;
    char why[256];
    if (!v)
        return;
    if (th_now_ns() >= p->budget_end) {
        th_probe_note(p, "staple not fetched: the probe's time budget ran out");
        return;
    }
    if (fetch_staple(p, v, &o, why, sizeof(why)) != 0) {
        o = json_object();
        json_object_set_new(o, "stapled", json_null());
        json_object_set_new(o, "error", json_string(why));
    }
    json_object_set_new(o, "version", json_string(th_version_name(v)));
    json_object_set_new(r, "staple", o);
}
