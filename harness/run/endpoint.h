/* Endpoint configuration: a case's client and server blocks resolved into the
 * struct th_tls_config a backend reads ("pki:NAME" becomes a file of the test PKI,
 * a path stays as given and must exist), and both ends' contexts made from them.
 * A side's cert and key become cert_file and key_file (the client's only when it
 * has one, presented when the server asks); the server's client_auth and client_ca
 * become client_auth and client_ca_file. */
#ifndef TH_ENDPOINT_H
#define TH_ENDPOINT_H

#include <limits.h>

#include "backends/backend.h"
#include "harness/scenario/case.h"
#include "harness/vocab/error.h"

/* One end's configuration with the storage its file names point into. */
struct th_endpoint_cfg {
    struct th_tls_config cfg;
    char ca[PATH_MAX], crl[PATH_MAX], chain[PATH_MAX], key[PATH_MAX], client_ca[PATH_MAX],
        ocsp[PATH_MAX];
};

/* The client's (the server's) configuration of case c. -1 with err naming the
 * object or file that cannot be had (a pki name unknown for its use, a file that
 * does not exist). */
int th_endpoint_client(const struct th_case *c, const char *pki_dir, struct th_endpoint_cfg *out,
                       struct th_error *err) TH_MUST_CHECK;
int th_endpoint_server(const struct th_case *c, const char *pki_dir, struct th_endpoint_cfg *out,
                       struct th_error *err) TH_MUST_CHECK;

/* Both ends' contexts for c (the server's only when the harness runs it; the
 * client's only when its backend has ctx_new). -1 with err's text the whole
 * sentence for a person ("cannot resolve the case's files: ...", "client
 * configuration refused by LIB: TEXT (code N)"), the library's outcome and code
 * kept, and nothing left allocated. */
int th_endpoint_ctxs(const struct th_case *c, const char *pki_dir, struct th_ctx **cctx,
                     struct th_ctx **sctx, struct th_error *err) TH_MUST_CHECK;
/* Free what th_endpoint_ctxs made; NULLs are skipped. */
void th_endpoint_ctxs_free(const struct th_case *c, struct th_ctx *cctx, struct th_ctx *sctx);

#endif
