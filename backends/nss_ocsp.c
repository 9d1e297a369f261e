/* An NSS client's check of a stapled OCSP response (nss_ocsp.h).
 *
 * CERT_CacheOCSPResponseFromSideChannel decodes the staple, finds its signer
 * (the issuer, or a responder the issuer delegated to), checks the signer with
 * CERT_VerifyCert against the database's trust - which a database-less NSS has none
 * of - and the response's times and status. Two pieces of process-wide state
 * are handled around it, under one lock: the context's anchors are trusted as CAs
 * only for the call (CERT_ChangeCertTrust, then no trust again), and NSS's OCSP cache
 * is emptied first, since it answers from an earlier good response for the same
 * certificate before it looks at the staple. */
#include "nss_ocsp.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <certdb.h>
#include <ocsp.h>
#include <secerr.h>
#include <ssl.h>

#include "nss_map.h"

static pthread_mutex_t ocsp_lock = PTHREAD_MUTEX_INITIALIZER;

static void trust_anchors(CERTCertList *anchors, int on)
{
    CERTCertTrust t = {on ? CERTDB_TRUSTED_CA | CERTDB_VALID_CA : 0, 0, 0};
    for (CERTCertListNode *p = CERT_LIST_HEAD(anchors); anchors && !CERT_LIST_END(p, anchors);
         p = CERT_LIST_NEXT(p))
        (void)CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), p->cert, &t);
}

/* NSS's verdict on one staple: 0 (good) or its error code. */
static PRErrorCode judge(CERTCertificate *leaf, CERTCertList *anchors, SECItem *staple)
{
    pthread_mutex_lock(&ocsp_lock);
    (void)CERT_ClearOCSPCache();
    trust_anchors(anchors, 1);
    SECStatus rv = CERT_CacheOCSPResponseFromSideChannel(CERT_GetDefaultCertDB(), leaf, PR_Now(),
                                                         staple, NULL);
    PRErrorCode code = rv == SECSuccess ? 0 : PR_GetError();
    trust_anchors(anchors, 0);
    (void)CERT_ClearOCSPCache();
    pthread_mutex_unlock(&ocsp_lock);
    return rv == SECSuccess ? 0 : code ? code : SEC_ERROR_OCSP_MALFORMED_RESPONSE;
}

static SECStatus refuse(struct th_nss_verdict *v, enum th_outcome o, PRErrorCode code,
                        const char *what)
{
    const char *name = code ? PR_ErrorToName(code) : NULL;
    v->checked = 1;
    v->code = code;
    v->outcome = o;
    if (name)
        snprintf(v->text, sizeof(v->text), "%s: %s: %s", what, name,
                 PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT));
    else
        snprintf(v->text, sizeof(v->text), "%s", what);
    PR_SetError(code ? code : SEC_ERROR_OCSP_UNKNOWN_RESPONSE_STATUS, 0);
    return SECFailure;
}

SECStatus th_nss_ocsp_check(PRFileDesc *fd, CERTCertificate *leaf, CERTCertList *anchors,
                            enum th_ocsp_mode mode, enum th_staple *seen, struct th_nss_verdict *v)
{
    *seen = TH_STAPLE_NOT_ASKED;
    if (mode == TH_OCSP_OFF)
        return SECSuccess;
    const SECItemArray *staples = SSL_PeerStapledOCSPResponses(fd);
    if (!staples || staples->len == 0 || staples->items[0].len == 0) {
        *seen = TH_STAPLE_NONE;
        if (mode != TH_OCSP_REQUIRE)
            return SECSuccess;
        /* NSS requires no staple itself: the refusal is the backend's, code 0 */
        return refuse(v, TH_OCSP_MISSING, 0,
                      "no OCSP staple came (client.ocsp require; NSS itself requires none)");
    }
    PRErrorCode code = judge(leaf, anchors, &staples->items[0]);
    if (code == 0) {
        *seen = TH_STAPLE_GOOD;
        return SECSuccess;
    }
    if (code == SEC_ERROR_REVOKED_CERTIFICATE) {
        *seen = TH_STAPLE_REVOKED;
        return refuse(v, TH_REVOKED, code, "the stapled OCSP response says revoked");
    }
    /* SEC_ERROR_OCSP_UNKNOWN_CERT: NSS's code both for status unknown and for a
     * response about another certificate (no single response matches): invalid. */
    *seen = TH_STAPLE_INVALID;
    return refuse(v, TH_OCSP_INVALID, code, "NSS refused the stapled OCSP response");
}
