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
#ifdef TH_HAVE_SHIM_GO
extern const struct th_backend th_backend_go;
#endif
#ifdef TH_HAVE_SHIM_JAVA
extern const struct th_backend th_backend_java;
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
#ifdef TH_HAVE_SHIM_GO
    &th_backend_go,
#endif
#ifdef TH_HAVE_SHIM_JAVA
    &th_backend_java,
#endif
#ifdef TH_HAVE_CURL
    &th_backend_curl_openssl,
    &th_backend_curl_gnutls,
#endif
    NULL,
};

const char *const th_cap_feature_names[] = {
    "alpn",
    "crl",
    "sni",
    "hostname",
    "ip_san",
    "restrict_versions",
    "restrict_suites",
    "restrict_groups",
    "server_order",
    "driver_io",
    "own_socket",
    "client_order",
    "truncation",
    "client_cert",
    "client_auth",
    "ocsp_request",
    "ocsp_require",
    "ocsp_staple",
    "early_data",
    "anti_replay",
    "out_of_process",
    "tls13_suites_fixed",
    NULL,
};
/* one name a bit, in the order of backend.h's TH_CAP_*, the last its last */
_Static_assert((1u << (sizeof(th_cap_feature_names) / sizeof(th_cap_feature_names[0]) - 2)) ==
                   TH_CAP_TLS13_SUITES_FIXED,
               "each TH_CAP_* bit needs a name in th_cap_feature_names");

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
