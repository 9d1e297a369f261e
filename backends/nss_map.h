/* The NSS backend's process-wide set-up and its mappings from NSS's own codes and
 * names to the shared vocabulary, shared by its files (nss.c, nss_verify.c,
 * nss_aead.c). Defined in nss_map.c. */
#ifndef TH_NSS_MAP_H
#define TH_NSS_MAP_H

#include <stdint.h>

#include <prerror.h>

#include "backend.h"

/* NSS without a database (NSS_NoDB_Init), the domestic policy and the server
 * session cache, once per process under pthread_once. 0, or -1 with err. */
TH_MUST_CHECK int th_nss_init(struct th_error *err);
/* "NSS 3.87.1" */
const char *th_nss_version(void);

/* The suites NSS implements that the harness can run (an IANA entry, a certificate
 * the test PKI has), in NSS's own order. */
size_t th_nss_suites(uint16_t *out, size_t cap);
/* NSS implements this suite (SSL_ImplementedCiphers). */
int th_nss_suite_known(uint16_t id);
/* The groups NSS 3.87 negotiates (its SSLNamedGroup values are the IANA ids). */
size_t th_nss_groups(uint16_t *out, size_t cap);
int th_nss_group_known(uint16_t id);

/* The outcome of an NSS/NSPR error code (PR_GetError): SEC_ERROR_* of a refused
 * certificate, SSL_ERROR_* of a handshake, an alert NSS received (alert: its
 * description, -1 when none arrived). */
enum th_outcome th_nss_outcome(PRErrorCode code, int alert);
/* err: outcome from th_nss_outcome, code `code`, text "NAME: text" (PR_ErrorToName,
 * PR_ErrorToString); what, when not NULL, goes in front. */
void th_nss_error_code(struct th_error *err, enum th_outcome o, PRErrorCode code, const char *what);
/* A set-up failure: PR_GetError() as TH_INTERNAL_ERROR, "what: NAME: text". */
void th_nss_error(struct th_error *err, const char *what);

/* The IANA name of an SSLSignatureScheme value; "" when unknown. */
const char *th_nss_sig_scheme_name(unsigned scheme);

#endif
