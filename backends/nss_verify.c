/* The peer's certificate through NSS's own verifier (nss_verify.h).
 *
 * CERT_PKIXVerifyCert says SEC_ERROR_UNKNOWN_ISSUER for an unknown root, a missing
 * intermediate and a self-signed leaf alike, and SEC_ERROR_EXPIRED_CERTIFICATE for a
 * leaf not yet valid as for one expired: the leaf and the chain as sent tell them
 * apart (as the OpenSSL backend does with its error 20), NSS's code staying the
 * native one. */
#include "nss_verify.h"

#include <stdio.h>
#include <string.h>

#include <certdb.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>

#include "harness/vocab/util.h"
#include "nss_map.h"

static int list_len(CERTCertList *l)
{
    int n = 0;
    for (CERTCertListNode *p = CERT_LIST_HEAD(l); l && !CERT_LIST_END(p, l); p = CERT_LIST_NEXT(p))
        n++;
    return n;
}

/* The certificate of the list whose subject is `name`, NULL when none. */
static CERTCertificate *by_subject(CERTCertList *l, const SECItem *name)
{
    for (CERTCertListNode *p = CERT_LIST_HEAD(l); l && !CERT_LIST_END(p, l); p = CERT_LIST_NEXT(p))
        if (SECITEM_ItemsAreEqual(&p->cert->derSubject, name))
            return p->cert;
    return NULL;
}

/* Walks up from the leaf through what the peer sent to an anchor by names alone:
 * the depth of the first certificate whose issuer is neither sent nor an anchor, -1
 * when the names link up. libpkix keeps every intermediate it has seen for an hour
 * (CACHE_ITEM_PERIOD_SECONDS) and builds through them, so without this check a leaf
 * sent alone would verify whenever an earlier connection in the process had carried
 * its intermediate: verdicts would depend on the order of the cases. */
static int chain_gap(CERTCertList *sent, CERTCertList *anchors)
{
    CERTCertificate *c = CERT_LIST_EMPTY(sent) ? NULL : CERT_LIST_HEAD(sent)->cert;
    for (int depth = 0; c && depth < 16; depth++) {
        if (anchors && by_subject(anchors, &c->derIssuer))
            return -1;
        if (SECITEM_ItemsAreEqual(&c->derSubject, &c->derIssuer))
            return anchors && by_subject(anchors, &c->derSubject) ? -1 : depth;
        CERTCertificate *up = by_subject(sent, &c->derIssuer);
        if (!up)
            return depth;
        c = up;
    }
    return -1;
}

/* The outcome NSS's code stands for, told apart where NSS has one code for several. */
static enum th_outcome refine(PRErrorCode code, CERTCertificate *leaf, int depth, int sent)
{
    int self_issued = SECITEM_ItemsAreEqual(&leaf->derSubject, &leaf->derIssuer);
    if (code == SEC_ERROR_UNKNOWN_ISSUER || code == SEC_ERROR_UNTRUSTED_ISSUER) {
        if (sent == 1 && self_issued)
            return TH_SELF_SIGNED;
        if (sent == 1 && depth <= 0)
            return TH_INCOMPLETE_CHAIN;
        return TH_UNKNOWN_CA;
    }
    if ((code == SEC_ERROR_UNTRUSTED_CERT || code == SEC_ERROR_CA_CERT_INVALID) && self_issued &&
        sent == 1 && depth <= 0)
        return TH_SELF_SIGNED;
    if (code == SEC_ERROR_EXPIRED_CERTIFICATE && depth <= 0 &&
        CERT_CheckCertValidTimes(leaf, PR_Now(), PR_FALSE) == secCertTimeNotValidYet)
        return TH_NOT_YET_VALID;
    return th_nss_outcome(code, -1);
}

/* The PKIX log's most telling node: libpkix reports a chain it could not complete
 * through an issuer it refused (expired, not a CA...) as SEC_ERROR_UNKNOWN_ISSUER
 * overall, while the log keeps the issuer's own refusal. Every node goes in `why`. */
static void log_pick(const CERTVerifyLog *log, int *depth, PRErrorCode *code, char *why, size_t cap)
{
    size_t n = 0;
    *depth = -1;
    why[0] = '\0';
    for (const CERTVerifyLogNode *p = log->head; p; p = p->next) {
        PRErrorCode e = (PRErrorCode)p->error;
        const char *name = PR_ErrorToName(e);
        if (n < cap)
            n += (size_t)snprintf(why + n, cap - n, "%sdepth %u %s", n ? ", " : "", p->depth,
                                  name ? name : "?");
        if (*depth < 0 || (*code == SEC_ERROR_UNKNOWN_ISSUER && e != SEC_ERROR_UNKNOWN_ISSUER)) {
            *depth = (int)p->depth;
            *code = e;
        }
    }
}

static void log_free(CERTVerifyLog *log)
{
    for (CERTVerifyLogNode *n = log->head; n; n = n->next)
        if (n->cert)
            CERT_DestroyCertificate(n->cert);
    PORT_FreeArena(log->arena, PR_FALSE);
}

/* CERT_PKIXVerifyCert with the anchors and, for the leaf only (as OpenSSL's
 * X509_V_FLAG_CRL_CHECK), the CRLs NSS has cached; never a network fetch. */
static SECStatus verify_chain(const struct th_nss_check *chk, CERTCertificate *leaf,
                              CERTVerifyLog *log)
{
    PRUint64 leaf_m[cert_revocation_method_count], chain_m[cert_revocation_method_count];
    leaf_m[cert_revocation_method_crl] = chk->crl ? CERT_REV_M_TEST_USING_THIS_METHOD |
                                                        CERT_REV_M_FORBID_NETWORK_FETCHING |
                                                        CERT_REV_M_IGNORE_MISSING_FRESH_INFO
                                                  : CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD;
    leaf_m[cert_revocation_method_ocsp] = CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD;
    chain_m[cert_revocation_method_crl] = CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD;
    chain_m[cert_revocation_method_ocsp] = CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD;
    CERTRevocationFlags rev = {
        .leafTests = {.number_of_defined_methods = cert_revocation_method_count,
                      .cert_rev_flags_per_method = leaf_m,
                      .cert_rev_method_independent_flags = CERT_REV_MI_TEST_EACH_METHOD_SEPARATELY |
                                                           CERT_REV_MI_NO_OVERALL_INFO_REQUIREMENT},
        .chainTests = {.number_of_defined_methods = cert_revocation_method_count,
                       .cert_rev_flags_per_method = chain_m,
                       .cert_rev_method_independent_flags =
                           CERT_REV_MI_TEST_EACH_METHOD_SEPARATELY |
                           CERT_REV_MI_NO_OVERALL_INFO_REQUIREMENT},
    };
    CERTValInParam in[3];
    int i = 0;
    in[i].type = cert_pi_revocationFlags;
    in[i++].value.pointer.revocation = &rev;
    if (chk->anchors) {
        in[i].type = cert_pi_trustAnchors;
        in[i++].value.pointer.chain = chk->anchors;
    }
    in[i].type = cert_pi_end;
    CERTValOutParam out[2];
    out[0].type = cert_po_errorLog;
    out[0].value.pointer.log = log;
    out[1].type = cert_po_end;
    return CERT_PKIXVerifyCert(leaf, chk->usage, in, out, NULL);
}

SECStatus th_nss_check_peer(const struct th_nss_check *chk, PRFileDesc *fd,
                            struct th_nss_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->checked = 1;
    CERTCertificate *leaf = SSL_PeerCertificate(fd);
    if (!leaf) {
        v->code = SSL_ERROR_NO_CERTIFICATE;
        v->outcome = TH_CERTIFICATE_REQUIRED;
        snprintf(v->text, sizeof(v->text), "SSL_ERROR_NO_CERTIFICATE: no certificate arrived");
        PR_SetError(v->code, 0);
        return SECFailure;
    }
    CERTCertList *chain = SSL_PeerCertificateChain(fd);
    int sent = chain ? list_len(chain) : 0, depth = chain ? chain_gap(chain, chk->anchors) : -1;
    if (chain)
        CERT_DestroyCertList(chain);
    CERTVerifyLog log = {.arena = PORT_NewArena(512)};
    char why[200] = "";
    SECStatus rv = SECFailure;
    if (depth >= 0)
        PR_SetError(SEC_ERROR_UNKNOWN_ISSUER, 0); /* what NSS says in a fresh process */
    else if (log.arena)
        rv = verify_chain(chk, leaf, &log);
    if (rv != SECSuccess && depth >= 0) {
        v->code = PR_GetError();
        v->outcome = refine(v->code, leaf, depth, sent);
    } else if (rv != SECSuccess) {
        v->code = PR_GetError();
        if (log.arena)
            log_pick(&log, &depth, &v->code, why, sizeof(why));
        v->outcome = refine(v->code, leaf, depth, sent);
    } else if (chk->hostname && CERT_VerifyCertName(leaf, chk->hostname) != SECSuccess) {
        v->code = PR_GetError();
        v->outcome = TH_HOSTNAME_MISMATCH;
    }
    if (log.arena)
        log_free(&log);
    CERT_DestroyCertificate(leaf);
    if (v->code == 0)
        return SECSuccess;
    const char *name = PR_ErrorToName(v->code);
    snprintf(v->text, sizeof(v->text), "%s: %s (depth %d, %d sent%s%s)", name ? name : "?",
             PR_ErrorToString(v->code, PR_LANGUAGE_I_DEFAULT), depth, sent,
             why[0] ? "; PKIX log: " : "", why);
    PR_SetError(v->code, 0);
    return SECFailure;
}
