/* Included by the libcurl backend tests (test_curl.c, test_curl_conn.c): both
 * flavours, the server role under every server there (the OpenSSL backend), the
 * client configuration most cases start from, and the checks of a fetch's result:
 * a refusal must map to the right outcome and keep curl's own code and text. */
#ifndef TH_CURLCHECK_H
#define TH_CURLCHECK_H

#include "pairdrive.h"

#include <unistd.h>

#include "harness/vocab/util.h"

extern const struct th_backend th_backend_curl_openssl;
extern const struct th_backend th_backend_curl_gnutls;
extern const struct th_backend th_backend_openssl;

static const struct th_backend *const flavours[] = {&th_backend_curl_openssl,
                                                    &th_backend_curl_gnutls};
#define N_FLAVOURS TH_ARRAY_LEN(flavours)
/* The server role under every server here. */
static const struct th_backend *const SB = &th_backend_openssl;

#define SEC 1000000000ull
static char ca_root[512];

static inline struct th_tls_config client_cfg(void)
{
    return (struct th_tls_config){.role = TH_ROLE_CLIENT,
                                  .versions = V12 | V13,
                                  .ca_file = ca_root,
                                  .hostname = "localhost",
                                  .sni = "localhost",
                                  .verify = 1};
}

static inline void result_free(struct th_fetch_result *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static inline int fetch_ok(const struct th_backend *b, const struct th_fetch_result *r, int rc,
                           const char *what)
{
    int pass = ok(rc == 0 && r->err.outcome == TH_OK, "%s %s: fetch succeeds", b->name, what);
    if (!pass)
        printf("#   %s (%ld): %s\n", th_outcome_name(r->err.outcome), r->err.code, r->err.text);
    return pass;
}

/* A refusal: the outcome, and curl's own code and text beside it. */
static inline void fetch_fails(const struct th_backend *b, const struct th_fetch_result *r, int rc,
                               enum th_outcome want, const char *what)
{
    ok(rc != 0, "%s %s: fetch fails", b->name, what);
    is_str(th_outcome_name(r->err.outcome), th_outcome_name(want), "%s %s: outcome", b->name, what);
    ok(r->err.text[0] != '\0', "%s %s: native code %ld, text '%s'", b->name, what, r->err.code,
       r->err.text);
    ok(r->body == NULL, "%s %s: no body handed out", b->name, what);
}

/* A configuration the flavour cannot honour: refused before any connection. */
static inline void fetch_refused(const struct th_backend *b, const struct th_tls_config *cfg,
                                 uint16_t port, const char *needle, const char *what)
{
    struct th_fetch_result r;
    int rc = b->fetch(cfg, "127.0.0.1", port, "/", 5, &r);
    ok(rc != 0 && r.err.outcome == TH_INTERNAL_ERROR, "%s %s: refused as internal_error (%s)",
       b->name, what, th_outcome_name(r.err.outcome));
    ok(strstr(r.err.text, needle) != NULL, "%s %s: says why: '%s'", b->name, what, r.err.text);
    result_free(&r);
}

/* The PKI's root trusted; 0 when both flavours load. A flavour missing here is a
 * machine without its package (libcurl4, libcurl3-gnutls): one clear failure rather
 * than every case after it. */
static inline int cc_flavours_ready(void)
{
    pki_path(ca_root, sizeof(ca_root), "root.pem");
    for (size_t i = 0; i < N_FLAVOURS; i++)
        if (!ok(flavours[i]->init() == 0 && strncmp(flavours[i]->version(), "unavailable", 11),
                "%s: init, available: %s", flavours[i]->name, flavours[i]->version()))
            return -1;
    return 0;
}

/* Cleans up both flavours; main's return value. */
static inline int cc_end(void)
{
    for (size_t i = 0; i < N_FLAVOURS; i++)
        flavours[i]->cleanup();
    return pd_end();
}

#endif
