/* PEM files into NSS objects (nss_pem.h). NSS reads DER only and, without a
 * database, knows no file of trust anchors: the PEM armour is taken off here and
 * each object handed to NSS's own decoder, so what NSS refuses is NSS's verdict. */
#include "nss_pem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certdb.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>

#include "harness/vocab/util.h"
#include "nss_map.h"

/* ---- PEM ---- */

static int b64_value(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Base64 between p and end, whitespace skipped, up to the first '='. */
static int b64_decode(const char *p, const char *end, SECItem *out)
{
    unsigned char *buf = th_xmalloc((size_t)(end - p) / 4 * 3 + 3);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; p < end && *p != '='; p++) {
        int v = b64_value((unsigned char)*p);
        if (v < 0) {
            if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
                continue;
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    out->type = siBuffer;
    out->data = buf;
    out->len = (unsigned)n;
    return 0;
}

int th_nss_pem_read(const char *path, const char *label, struct th_nss_ders *out,
                    struct th_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t len;
    char *text = th_read_file(path, &len);
    if (!text) {
        TH_FAULT(err, 0, "%s: cannot be read", path);
        return -1;
    }
    char begin[64], end[64];
    snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
    snprintf(end, sizeof(end), "-----END %s-----", label);
    for (const char *p = strstr(text, begin); p; p = strstr(p, begin)) {
        const char *body = p + strlen(begin), *stop = strstr(body, end);
        if (!stop)
            break;
        SECItem item;
        if (b64_decode(body, stop, &item) == 0) {
            out->items = th_xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
            out->items[out->n++] = item;
        }
        p = stop + strlen(end);
    }
    free(text);
    return 0;
}

void th_nss_ders_free(struct th_nss_ders *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->items[i].data);
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

/* ---- certificates ---- */

static CERTCertificate *temp_cert(SECItem *der)
{
    return CERT_NewTempCertificate(CERT_GetDefaultCertDB(), der, NULL, PR_FALSE, PR_TRUE);
}

CERTCertList *th_nss_anchors(const char *path, struct th_error *err)
{
    struct th_nss_ders d;
    if (th_nss_pem_read(path, "CERTIFICATE", &d, err) != 0)
        return NULL;
    if (d.n == 0) {
        TH_FAULT(err, 0, "%s: no certificate in it", path);
        return NULL;
    }
    CERTCertList *list = CERT_NewCertList();
    for (size_t i = 0; list && i < d.n; i++) {
        CERTCertificate *c = temp_cert(&d.items[i]);
        if (!c) {
            char what[300];
            snprintf(what, sizeof(what), "%s: certificate %zu of %zu refused", path, i + 1, d.n);
            th_nss_error_code(err, TH_ANCHOR_UNUSABLE, PR_GetError(), what);
            CERT_DestroyCertList(list);
            list = NULL;
            break;
        }
        if (CERT_AddCertToListTail(list, c) != SECSuccess) {
            CERT_DestroyCertificate(c);
            th_nss_error(err, "CERT_AddCertToListTail");
            CERT_DestroyCertList(list);
            list = NULL;
        }
    }
    if (!list && err && !err->text[0])
        th_nss_error(err, "CERT_NewCertList");
    th_nss_ders_free(&d);
    return list;
}

static CERTCertificateList *chain_list(const struct th_nss_ders *d)
{
    PLArenaPool *arena = PORT_NewArena(2048);
    if (!arena)
        return NULL;
    CERTCertificateList *l = PORT_ArenaZNew(arena, CERTCertificateList);
    SECItem *certs = l ? PORT_ArenaZNewArray(arena, SECItem, d->n) : NULL;
    if (!certs) {
        PORT_FreeArena(arena, PR_FALSE);
        return NULL;
    }
    l->arena = arena;
    l->certs = certs;
    l->len = (int)d->n;
    for (size_t i = 0; i < d->n; i++)
        if (SECITEM_CopyItem(arena, &certs[i], &d->items[i]) != SECSuccess) {
            PORT_FreeArena(arena, PR_FALSE);
            return NULL;
        }
    return l;
}

int th_nss_own_chain(const char *path, CERTCertificate **leaf, CERTCertificateList **chain,
                     struct th_error *err)
{
    struct th_nss_ders d;
    *leaf = NULL;
    *chain = NULL;
    TH_GUARD(th_nss_pem_read(path, "CERTIFICATE", &d, err));
    int rc = -1;
    if (d.n == 0)
        TH_FAULT(err, 0, "%s: no certificate in it", path);
    else if (!(*leaf = temp_cert(&d.items[0])))
        th_nss_error(err, path);
    else if (!(*chain = chain_list(&d)))
        th_nss_error(err, "the certificate chain");
    else
        rc = 0;
    if (rc != 0 && *leaf) {
        CERT_DestroyCertificate(*leaf);
        *leaf = NULL;
    }
    th_nss_ders_free(&d);
    return rc;
}

CERTCertList *th_nss_chain_rest(const char *path, struct th_error *err)
{
    struct th_nss_ders d;
    if (th_nss_pem_read(path, "CERTIFICATE", &d, err) != 0)
        return NULL;
    CERTCertList *list = CERT_NewCertList();
    for (size_t i = 1; list && i < d.n; i++) {
        CERTCertificate *c = temp_cert(&d.items[i]);
        if (!c || CERT_AddCertToListTail(list, c) != SECSuccess) {
            th_nss_error(err, path);
            if (c)
                CERT_DestroyCertificate(c);
            CERT_DestroyCertList(list);
            list = NULL;
        }
    }
    if (!list && err && !err->text[0])
        th_nss_error(err, "CERT_NewCertList");
    th_nss_ders_free(&d);
    return list;
}

/* ---- keys ---- */

SECKEYPrivateKey *th_nss_key_load(const char *path, struct th_error *err)
{
    struct th_nss_ders d;
    if (th_nss_pem_read(path, "PRIVATE KEY", &d, err) != 0)
        return NULL;
    if (d.n == 0) {
        TH_FAULT(err, 0, "%s: no PKCS#8 private key in it", path);
        return NULL;
    }
    SECKEYPrivateKey *key = NULL;
    PK11SlotInfo *slot = PK11_GetInternalSlot();
    /* not permanent (no database), private, every usage its type allows */
    if (!slot ||
        PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &d.items[0], NULL, NULL, PR_FALSE, PR_TRUE,
                                                 KU_ALL, &key, NULL) != SECSuccess)
        th_nss_error(err, path);
    if (slot)
        PK11_FreeSlot(slot);
    memset(d.items[0].data, 0, d.items[0].len);
    th_nss_ders_free(&d);
    return key;
}

/* ---- CRLs: NSS's cache is process-wide and keeps the caller's DER ---- */

struct crl_entry {
    struct crl_entry *next;
    SECItem der; /* CERT_CacheCRL keeps pointing at it */
    int refs;
};
static pthread_mutex_t crl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct crl_entry *crls;

/* The entry for this DER, cached in NSS once; NULL when NSS refuses it. Takes d. */
static struct crl_entry *crl_hold(SECItem *d)
{
    struct crl_entry *e;
    for (e = crls; e; e = e->next)
        if (SECITEM_ItemsAreEqual(&e->der, d))
            break;
    if (e) {
        free(d->data);
        e->refs++;
        return e;
    }
    e = th_xcalloc(1, sizeof(*e));
    e->der = *d;
    if (CERT_CacheCRL(CERT_GetDefaultCertDB(), &e->der) != SECSuccess) {
        free(e->der.data);
        free(e);
        return NULL;
    }
    e->refs = 1;
    e->next = crls;
    crls = e;
    return e;
}

static void crl_release(struct crl_entry *e)
{
    if (--e->refs > 0)
        return;
    for (struct crl_entry **p = &crls; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    (void)CERT_UncacheCRL(CERT_GetDefaultCertDB(), &e->der);
    free(e->der.data);
    free(e);
}

int th_nss_crls_load(const char *path, struct th_nss_crls *out, struct th_error *err)
{
    struct th_nss_ders d;
    memset(out, 0, sizeof(*out));
    TH_GUARD(th_nss_pem_read(path, "X509 CRL", &d, err));
    if (d.n == 0) {
        TH_FAULT(err, 0, "%s: no CRL in it", path);
        return -1;
    }
    out->held = th_xcalloc(d.n, sizeof(*out->held));
    int rc = 0;
    pthread_mutex_lock(&crl_lock);
    for (size_t i = 0; i < d.n; i++) {
        if (rc != 0) {
            free(d.items[i].data);
            continue;
        }
        struct crl_entry *e = crl_hold(&d.items[i]);
        if (!e) {
            char what[300];
            snprintf(what, sizeof(what), "%s: CRL %zu of %zu refused", path, i + 1, d.n);
            th_nss_error_code(err, TH_ANCHOR_UNUSABLE, PR_GetError(), what);
            rc = -1;
            continue;
        }
        out->held[out->n++] = e;
    }
    pthread_mutex_unlock(&crl_lock);
    free(d.items); /* each DER now belongs to its entry, or was freed */
    if (rc != 0)
        th_nss_crls_release(out);
    return rc;
}

void th_nss_crls_release(struct th_nss_crls *c)
{
    pthread_mutex_lock(&crl_lock);
    for (size_t i = 0; i < c->n; i++)
        crl_release(c->held[i]);
    pthread_mutex_unlock(&crl_lock);
    free(c->held);
    c->held = NULL;
    c->n = 0;
}
