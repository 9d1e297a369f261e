/* mbedTLS's codes and names in the shared vocabulary (mbedtls_map.h): MBEDTLS_ERR_*
 * codes and certificate verification flags against outcomes, version names against
 * IANA ids, trust anchors it will not load, and the library's lazily built tables.
 *
 * mbedtls_ssl_list_ciphersuites() and mbedtls_ecp_grp_id_list() fill static tables on
 * their first call without a lock, so they are first called under pthread_once: TCP
 * cases run the server role in another thread. */
#include "mbedtls_map.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "harness/vocab/util.h"

/* ---- process-wide tables, built once ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char version_str[32];

static void init_once(void)
{
    /* The first calls build the library's own static lists. */
    (void)mbedtls_ssl_list_ciphersuites();
    (void)mbedtls_ecp_grp_id_list();
    mbedtls_version_get_string_full(version_str);
}

void th_mbedtls_init(void)
{
    pthread_once(&once, init_once);
}

const char *th_mbedtls_version(void)
{
    th_mbedtls_init();
    return version_str;
}

uint16_t th_mbedtls_version_id(const char *name)
{
    static const struct {
        const char *name;
        uint16_t v;
    } names[] = {{"TLSv1.0", TH_TLS10}, {"TLSv1.1", TH_TLS11}, {"TLSv1.2", TH_TLS12}};
    for (size_t i = 0; name && i < TH_ARRAY_LEN(names); i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].v;
    return 0;
}

/* ---- errors ---- */

void th_mbedtls_error(struct th_error *err, int ret, const char *what)
{
    char buf[160];
    mbedtls_strerror(ret, buf, sizeof(buf));
    th_error_set(err, TH_INTERNAL_ERROR, ret, "%s: %s", what, buf);
}

/* mbedtls_x509_crt_verify_info writes one line per flag: join them. */
void th_mbedtls_flags_text(uint32_t flags, char *out, size_t cap)
{
    int n = mbedtls_x509_crt_verify_info(out, cap, "", flags);
    for (int i = 0; n > 0 && i < n && out[i]; i++)
        if (out[i] == '\n')
            out[i] = i + 1 < n ? ';' : '\0';
    if (n <= 0 && cap)
        snprintf(out, cap, "unknown flags");
}

static int same_name(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* x509_crt_check_parent and x509_crt_find_parent_in pass over a certificate with the
 * issuer's name that is not a CA, or whose pathLenConstraint the chain exceeds, and
 * then flag the child NOT_TRUSTED as if no issuer were there: the same tests, on the
 * same parsed fields, say which. */
static enum th_outcome refused_in(const mbedtls_x509_crt *top, int len,
                                  const mbedtls_x509_crt *list)
{
    for (const mbedtls_x509_crt *p = list; p && p->raw.len; p = p->next) {
        if (p == top || !same_name(&top->issuer_raw, &p->subject_raw))
            continue;
        if (!p->ca_istrue)
            return TH_INVALID_CA;
        /* max_pathlen is the RFC's value + 1 (0: none); below p sit len - 1
         * certificates that are not the leaf, which mbedTLS tests as < 1 + len - 1. */
        if (p->max_pathlen > 0 && p->max_pathlen < len)
            return TH_PATH_LENGTH;
    }
    return TH_OK;
}

enum th_outcome th_mbedtls_issuer_refused(const mbedtls_x509_crt *top, int len,
                                          const mbedtls_x509_crt *sent,
                                          const mbedtls_x509_crt *anchors)
{
    if (!top || len < 1)
        return TH_OK;
    enum th_outcome o = refused_in(top, len, sent);
    return o != TH_OK ? o : refused_in(top, len, anchors);
}

/* mbedTLS says NOT_TRUSTED for "no trusted root reached", for a signature that did
 * not verify, and for an issuer it passed over: x509_crt_verify_chain flags a
 * certificate whose parent it found but whose signature failed, and otherwise only
 * the top of the chain. So a leaf flagged while it has a parent in the chain is a bad
 * signature; an issuer passed over says why (issuer_why); a lone leaf, not
 * self-issued, that came alone is missing its intermediates (the rule the OpenSSL
 * backend applies to its error 20). */
static enum th_outcome untrusted_outcome(const struct th_mbedtls_chain *c)
{
    if ((c->leaf_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) && c->len > 1)
        return TH_BAD_SIGNATURE;
    if (c->issuer_why != TH_OK)
        return c->issuer_why;
    if (c->len == 1 && c->leaf_self_issued)
        return TH_SELF_SIGNED;
    if (c->len == 1 && c->sent == 1)
        return TH_INCOMPLETE_CHAIN;
    return TH_UNKNOWN_CA;
}

enum th_outcome th_mbedtls_flags_outcome(uint32_t f, const struct th_mbedtls_chain *c)
{
    if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        return untrusted_outcome(c);
    if (f & MBEDTLS_X509_BADCERT_REVOKED)
        return TH_REVOKED;
    if (f & MBEDTLS_X509_BADCERT_EXPIRED)
        return TH_EXPIRED;
    if (f & MBEDTLS_X509_BADCERT_FUTURE)
        return TH_NOT_YET_VALID;
    if (f & MBEDTLS_X509_BADCERT_BAD_KEY)
        return TH_WEAK_KEY;
    if (f & MBEDTLS_X509_BADCERT_BAD_MD)
        return TH_WEAK_SIGNATURE;
    if (f & MBEDTLS_X509_BADCERT_EXT_KEY_USAGE)
        return TH_BAD_EKU;
    if (f & MBEDTLS_X509_BADCERT_KEY_USAGE)
        return TH_BAD_KEY_USAGE;
    if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        return TH_HOSTNAME_MISMATCH;
    return TH_HANDSHAKE_FAILURE; /* BADCRL_*, BAD_PK, MISSING, OTHER */
}

int th_mbedtls_flags_alert(uint32_t f)
{
    if (f & MBEDTLS_X509_BADCERT_OTHER)
        return MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED;
    if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        return MBEDTLS_SSL_ALERT_MSG_BAD_CERT;
    if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
             MBEDTLS_X509_BADCERT_NS_CERT_TYPE | MBEDTLS_X509_BADCERT_BAD_PK |
             MBEDTLS_X509_BADCERT_BAD_KEY))
        return MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT;
    if (f & MBEDTLS_X509_BADCERT_EXPIRED)
        return MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED;
    if (f & MBEDTLS_X509_BADCERT_REVOKED)
        return MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED;
    if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        return MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA;
    return MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN;
}

/* A parse error of a certificate the peer sent (ssl_parse_certificate_chain returns
 * mbedtls_x509_crt_parse_der's code as it is). x509_get_crt_ext says
 * INVALID_EXTENSIONS + ASN1_UNEXPECTED_TAG for a critical extension whose OID it does
 * not know (name constraints among them: 2.28 has no parser for it), and
 * FEATURE_UNAVAILABLE for one it knows but cannot apply (a critical policy other than
 * anyPolicy). -1: not an X.509 code. */
static int x509_outcome(int ret)
{
    if (ret >= 0 || -ret < -MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE ||
        -ret > -MBEDTLS_ERR_X509_FATAL_ERROR + 0x7f)
        return -1;
    if (ret == MBEDTLS_ERR_X509_INVALID_EXTENSIONS + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG ||
        ret == MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE)
        return TH_UNKNOWN_CRITICAL_EXTENSION;
    int high = -(-ret & 0xff80); /* the X.509 part, without the ASN.1 or OID one */
    switch (high) {
    case MBEDTLS_ERR_X509_UNKNOWN_OID:
    case MBEDTLS_ERR_X509_INVALID_FORMAT:
    case MBEDTLS_ERR_X509_INVALID_VERSION:
    case MBEDTLS_ERR_X509_INVALID_SERIAL:
    case MBEDTLS_ERR_X509_INVALID_ALG:
    case MBEDTLS_ERR_X509_INVALID_NAME:
    case MBEDTLS_ERR_X509_INVALID_DATE:
    case MBEDTLS_ERR_X509_INVALID_SIGNATURE:
    case MBEDTLS_ERR_X509_INVALID_EXTENSIONS: /* a duplicate extension among them */
    case MBEDTLS_ERR_X509_UNKNOWN_VERSION:
    case MBEDTLS_ERR_X509_SIG_MISMATCH:
    case MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT: return TH_BAD_CERTIFICATE;
    case MBEDTLS_ERR_X509_BAD_INPUT_DATA:
    case MBEDTLS_ERR_X509_ALLOC_FAILED:
    case MBEDTLS_ERR_X509_FILE_IO_ERROR:
    case MBEDTLS_ERR_X509_BUFFER_TOO_SMALL:
    case MBEDTLS_ERR_X509_FATAL_ERROR: return TH_INTERNAL_ERROR;
    /* UNKNOWN_SIG_ALG (an algorithm it lacks: not malformed), CERT_VERIFY_FAILED (the
     * flags say why), FEATURE_UNAVAILABLE with a lower part */
    default: return TH_HANDSHAKE_FAILURE;
    }
}

enum th_outcome th_mbedtls_ret_outcome(int ret, int alert)
{
    int x = x509_outcome(ret);
    if (x >= 0)
        return (enum th_outcome)x;
    switch (ret) {
    case MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN:
    case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE: return TH_NO_SHARED_CIPHER;
    case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION: return TH_PROTOCOL_VERSION;
    case MBEDTLS_ERR_SSL_INVALID_MAC: return TH_BAD_RECORD_MAC;
    case MBEDTLS_ERR_SSL_CONN_EOF: return TH_TRUNCATED;
    case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED: return TH_UNKNOWN_CA;
    /* a server that required a client certificate got none */
    case MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE: return TH_CERTIFICATE_REQUIRED;
    case MBEDTLS_ERR_NET_CONN_RESET: return TH_IO_ERROR;
    case MBEDTLS_ERR_SSL_ALLOC_FAILED:
    case MBEDTLS_ERR_SSL_INTERNAL_ERROR: return TH_INTERNAL_ERROR;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: return th_outcome_from_alert(alert);
    default: return TH_HANDSHAKE_FAILURE;
    }
}

/* ---- trust anchors and CRLs it will not load ---- */

/* The first PEM object of the file that mbedTLS refuses: *code its own code, *index
 * its place (from 1), *count the objects. mbedtls_x509_crt_parse_file says only "n
 * failed" (a positive count) when others parsed, so each object is parsed again
 * alone. 0, or -1 when the file cannot be read. */
static int first_refused(const char *path, int crl, int *code, int *index, int *count)
{
    unsigned char *buf;
    size_t n;
    *code = *index = *count = 0;
    if (mbedtls_pk_load_file(path, &buf, &n) != 0)
        return -1;
    const char *head = crl ? "-----BEGIN X509 CRL-----" : "-----BEGIN CERTIFICATE-----";
    const char *foot = crl ? "-----END X509 CRL-----" : "-----END CERTIFICATE-----";
    const unsigned char *p = buf;
    for (;;) {
        mbedtls_pem_context pem;
        size_t used = 0;
        mbedtls_pem_init(&pem);
        /* buf is NUL-terminated (mbedtls_pk_load_file): what pem_read_buffer needs */
        int ret = mbedtls_pem_read_buffer(&pem, head, foot, p, NULL, 0, &used);
        if (ret == MBEDTLS_ERR_PEM_NO_HEADER_FOOTER_PRESENT) {
            mbedtls_pem_free(&pem);
            break;
        }
        ++*count;
        if (ret == 0) {
            const unsigned char *der = pem.buf;
            size_t len = pem.buflen;
            if (crl) {
                mbedtls_x509_crl one;
                mbedtls_x509_crl_init(&one);
                ret = mbedtls_x509_crl_parse_der(&one, der, len);
                mbedtls_x509_crl_free(&one);
            } else {
                mbedtls_x509_crt one;
                mbedtls_x509_crt_init(&one);
                ret = mbedtls_x509_crt_parse_der(&one, der, len);
                mbedtls_x509_crt_free(&one);
            }
        }
        mbedtls_pem_free(&pem);
        if (ret != 0 && *code == 0) {
            *code = ret;
            *index = *count;
        }
        if (used == 0)
            break;
        p += used;
    }
    free(buf); /* certificates and CRLs: nothing secret to wipe */
    return 0;
}

void th_mbedtls_anchor_error(struct th_error *err, int ret, const char *path, int crl)
{
    if (ret > 0) /* some objects did not parse: the code is found below */
        ret = MBEDTLS_ERR_X509_INVALID_FORMAT;
    int code, index, count;
    if (ret == MBEDTLS_ERR_PK_FILE_IO_ERROR || ret == MBEDTLS_ERR_X509_FILE_IO_ERROR ||
        ret == MBEDTLS_ERR_X509_ALLOC_FAILED ||
        first_refused(path, crl, &code, &index, &count) != 0 || count == 0) {
        /* unreadable, or no object of the kind: the harness's input, not a verdict */
        th_mbedtls_error(err, ret, path);
        return;
    }
    if (code == 0) { /* each parses alone: keep what the whole file said */
        code = ret;
        index = 1;
    }
    char buf[160];
    mbedtls_strerror(code, buf, sizeof(buf));
    th_error_set(err, TH_ANCHOR_UNUSABLE, code, "%s: %s %d of %d refused: %s", path,
                 crl ? "CRL" : "certificate", index, count, buf);
}
