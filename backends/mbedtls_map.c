/* mbedTLS's codes and names in the shared vocabulary (mbedtls_map.h): MBEDTLS_ERR_*
 * codes and certificate verification flags against outcomes, version names against
 * IANA ids, and the library's lazily built tables.
 *
 * mbedtls_ssl_list_ciphersuites() and mbedtls_ecp_grp_id_list() fill static tables on
 * their first call without a lock, so they are first called under pthread_once: TCP
 * cases run the server role in another thread. */
#include "mbedtls_map.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
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

/* mbedTLS says NOT_TRUSTED both for "no trusted root reached" and for a signature
 * that did not verify: x509_crt_verify_chain flags a certificate whose parent it
 * found but whose signature failed, and otherwise only the top of the chain. So a
 * leaf flagged while it has a parent in the chain is a bad signature. */
static enum th_outcome untrusted_outcome(const struct th_mbedtls_chain *c)
{
    if ((c->leaf_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) && c->len > 1)
        return TH_BAD_SIGNATURE;
    return c->len == 1 && c->leaf_self_issued ? TH_SELF_SIGNED : TH_UNKNOWN_CA;
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

enum th_outcome th_mbedtls_ret_outcome(int ret, int alert)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_NO_CIPHER_CHOSEN:
    case MBEDTLS_ERR_SSL_NO_USABLE_CIPHERSUITE: return TH_NO_SHARED_CIPHER;
    case MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION: return TH_PROTOCOL_VERSION;
    case MBEDTLS_ERR_SSL_INVALID_MAC: return TH_BAD_RECORD_MAC;
    case MBEDTLS_ERR_SSL_CONN_EOF: return TH_TRUNCATED;
    case MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED: return TH_UNKNOWN_CA;
    case MBEDTLS_ERR_NET_CONN_RESET: return TH_IO_ERROR;
    case MBEDTLS_ERR_SSL_ALLOC_FAILED:
    case MBEDTLS_ERR_SSL_INTERNAL_ERROR: return TH_INTERNAL_ERROR;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: return th_outcome_from_alert(alert);
    default: return TH_HANDSHAKE_FAILURE;
    }
}
