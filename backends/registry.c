/* The backends compiled into this build. The Makefile defines TH_HAVE_<LIB> for each
 * library it found; this is the only place that knows which exist. */
#include "backend.h"

#include <string.h>

#ifdef TH_HAVE_OPENSSL
extern const struct th_backend th_backend_openssl;
#endif
#ifdef TH_HAVE_GNUTLS
extern const struct th_backend th_backend_gnutls;
#endif
#ifdef TH_HAVE_MBEDTLS
extern const struct th_backend th_backend_mbedtls;
#endif
#ifdef TH_HAVE_WOLFSSL
extern const struct th_backend th_backend_wolfssl;
#endif
#ifdef TH_HAVE_NSS
extern const struct th_backend th_backend_nss;
#endif
#ifdef TH_HAVE_CURL
extern const struct th_backend th_backend_curl_openssl;
extern const struct th_backend th_backend_curl_gnutls;
#endif

const struct th_backend *const th_backends[] = {
#ifdef TH_HAVE_OPENSSL
    &th_backend_openssl,
#endif
#ifdef TH_HAVE_GNUTLS
    &th_backend_gnutls,
#endif
#ifdef TH_HAVE_MBEDTLS
    &th_backend_mbedtls,
#endif
#ifdef TH_HAVE_WOLFSSL
    &th_backend_wolfssl,
#endif
#ifdef TH_HAVE_NSS
    &th_backend_nss,
#endif
#ifdef TH_HAVE_CURL
    &th_backend_curl_openssl,
    &th_backend_curl_gnutls,
#endif
    NULL,
};

size_t th_backend_count(void)
{
    return sizeof(th_backends) / sizeof(th_backends[0]) - 1;
}

const struct th_backend *th_backend_find(const char *name)
{
    for (size_t i = 0; th_backends[i]; i++)
        if (strcmp(th_backends[i]->name, name) == 0)
            return th_backends[i];
    return NULL;
}
