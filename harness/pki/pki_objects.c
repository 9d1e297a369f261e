/* The catalogue of the test PKI: which CAs and leaves exist and what each breaks.
 * Every leaf breaks exactly one rule (or none), so a client's verdict on it names
 * that rule; scenarios/README.md says what each is for. */
#include "pki_int.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/x509v3.h>

#define SELF (-1) /* issuer of a self-signed certificate */

/* ---- CAs ---- */

struct ca_spec {
    const char *cn;
    int issuer; /* an earlier CA, or SELF for a root */
    int from_days, to_days;
    const char *bc; /* basicConstraints, or NULL for none at all */
    const char *nc; /* nameConstraints, or NULL */
    int unknown_critical;
};

#define BC_ROOT "critical,CA:TRUE"
#define BC_INTER "critical,CA:TRUE,pathlen:0"
/* RFC 5280 4.2.1.10: a DNS constraint covers the name and every name below it, so
 * "permitted.test" admits www.permitted.test. 127.0.0.2 lies inside the permitted
 * 127.0.0.0/8, so only its exclusion refuses it. */
#define NC_INTER                                                                                   \
    "critical,permitted;DNS:localhost,permitted;DNS:permitted.test,"                               \
    "permitted;IP:127.0.0.0/255.0.0.0,excluded;DNS:excluded.test,"                                 \
    "excluded;IP:127.0.0.2/255.255.255.255"
#define NC_ANCHOR "critical,permitted;DNS:localhost,permitted;IP:127.0.0.0/255.0.0.0"

static const struct ca_spec ca_specs[N_CAS] = {
    [CA_ROOT] = {"tlsharness test root", SELF, -1, 365, BC_ROOT, NULL, 0},
    [CA_INTER] = {"tlsharness test intermediate", CA_ROOT, -1, 365, BC_INTER, NULL, 0},
    [CA_UNTR] = {"tlsharness untrusted root", SELF, -1, 365, BC_ROOT, NULL, 0},
    [CA_NC] = {"tlsharness name-constrained intermediate", CA_ROOT, -1, 365, BC_INTER, NC_INTER, 0},
    [CA_PATHLEN0] = {"tlsharness pathlen0 intermediate", CA_ROOT, -1, 365, BC_INTER, NULL, 0},
    /* a CA below a pathlen:0 CA: whatever it signs exceeds the path length */
    [CA_SUB] = {"tlsharness sub-CA", CA_PATHLEN0, -1, 365, BC_ROOT, NULL, 0},
    /* keyCertSign is kept so that basicConstraints alone says "not a CA" */
    [CA_NOT_CA] = {"tlsharness not-a-CA intermediate", CA_ROOT, -1, 365, "critical,CA:FALSE", NULL,
                   0},
    /* RFC 5280 4.2.1.9: without basicConstraints the key MUST NOT verify certificate
     * signatures, whatever keyUsage says */
    [CA_NO_BC] = {"tlsharness intermediate without basicConstraints", CA_ROOT, -1, 365, NULL, NULL,
                  0},
    [CA_EXPIRED] = {"tlsharness expired intermediate", CA_ROOT, -400, -30, BC_INTER, NULL, 0},
    [CA_ANCHOR_NC] = {"tlsharness name-constrained root", SELF, -1, 365, BC_ROOT, NC_ANCHOR, 0},
    [CA_ANCHOR_CRIT] = {"tlsharness root with an unknown critical extension", SELF, -1, 365,
                        BC_ROOT, NULL, 1},
    [CA_ANCHOR_DSA] = {"tlsharness DSA root", SELF, -1, 365, BC_ROOT, NULL, 0},
};

const char *const th_pki_cas[N_CAS + 1] = {
    [CA_ROOT] = "root",
    [CA_INTER] = "intermediate",
    [CA_UNTR] = "untrusted-root",
    [CA_NC] = "nc-intermediate",
    [CA_PATHLEN0] = "pathlen0-intermediate",
    [CA_SUB] = "sub-ca",
    [CA_NOT_CA] = "not-ca-intermediate",
    [CA_NO_BC] = "no-bc-intermediate",
    [CA_EXPIRED] = "expired-intermediate-ca",
    [CA_ANCHOR_NC] = "anchor-nc",
    [CA_ANCHOR_CRIT] = "anchor-critical",
    [CA_ANCHOR_DSA] = "anchor-dsa",
    [N_CAS] = NULL,
};

static int make_ca(struct th_pki_gen *g, enum th_pki_ca id)
{
    const struct ca_spec *s = &ca_specs[id];
    const char *name = th_pki_cas[id];
    const struct th_pki_ext exts[] = {
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_basic_constraints, s->bc},
        {NID_name_constraints, s->nc},
        {0, NULL},
    };
    /* The optional ones come last, so an absent one ends the list. */
    struct th_pki_ext list[TH_ARRAY_LEN(exts)];
    size_t n = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(exts) - 1; i++)
        if (exts[i].value)
            list[n++] = exts[i];
    list[n] = (struct th_pki_ext){0, NULL};
    X509 *x = th_pki_new_cert(g, name, s->cn, g->ca_key[id], s->from_days, s->to_days);
    if (!x)
        return -1;
    X509 *iss = s->issuer == SELF ? x : g->ca[s->issuer];
    EVP_PKEY *ikey = s->issuer == SELF ? g->ca_key[id] : g->ca_key[s->issuer];
    g->ca[id] = x;
    TH_GUARD(th_pki_add_exts(g, x, iss, list, name));
    if (s->unknown_critical)
        TH_GUARD(th_pki_add_unknown_critical(g, x, name));
    TH_GUARD(th_pki_sign(g, x, iss, ikey, EVP_sha256(), name));
    return th_pki_write_certs(g, name, ".pem", &x, 1);
}

/* ---- leaves ---- */

enum key_kind { K_OWN, K_SHARED, K_RSA1024, K_RSA4096, K_P256, K_P384, K_P521, K_ED25519 };
enum leaf_flag {
    F_ALONE = 1,         /* NAME.chain.pem holds the leaf alone */
    F_SHA1 = 2,          /* signed with SHA-1 */
    F_BAD_KU = 4,        /* keyUsage keyCertSign only */
    F_BAD_SIG = 8,       /* signature bytes corrupted after signing */
    F_REVOKED = 16,      /* serial listed in the intermediate's CRL */
    F_UNKNOWN_CRIT = 32, /* a critical extension of an unregistered OID */
    F_DUP_SAN = 64,      /* subjectAltName twice (RFC 5280 4.2: at most once) */
    F_WITH_ROOT = 128,   /* NAME.chain.pem ends with the (untrusted) root: complete */
    F_MUST_STAPLE = 256, /* TLS feature status_request (RFC 7633 "must staple") */
    F_KEEP = 512,        /* kept for the OCSP responses (pki_ocsp.c) */
};

#define LH "localhost"
#define GOOD "DNS:localhost,IP:127.0.0.1,IP:::1"
/* No ::1 under IPv4-only IP constraints: an IPv6 name would fall outside them. */
#define V4 "DNS:localhost,IP:127.0.0.1"
#define SRV "serverAuth"
#define CLI "clientAuth"
#define CLIENT "tlsharness client"
#define OCSP_SIGN "OCSPSigning"

/* The one list of leaves: name, key, issuer, validity in days from now, subject CN,
 * subjectAltName (NULL: none), extendedKeyUsage, flags. A leaf whose issuer is a root
 * is served alone, as a server would. */
#define PKI_LEAVES(X)                                                                              \
    X("rsa2048", K_OWN, CA_INTER, -1, 30, LH, GOOD, SRV, F_KEEP)                                   \
    X("ecdsa-p256", K_P256, CA_INTER, -1, 30, LH, GOOD, SRV, F_KEEP)                               \
    X("expired", K_SHARED, CA_INTER, -60, -30, LH, GOOD, SRV, 0)                                   \
    X("not-yet-valid", K_SHARED, CA_INTER, 30, 60, LH, GOOD, SRV, 0)                               \
    X("wrong-host", K_SHARED, CA_INTER, -1, 30, "wrong.example", "DNS:wrong.example", SRV, 0)      \
    X("self-signed", K_SHARED, SELF, -1, 30, LH, GOOD, SRV, 0)                                     \
    X("untrusted", K_SHARED, CA_UNTR, -1, 30, LH, GOOD, SRV, 0)                                    \
    X("untrusted-chain", K_SHARED, CA_UNTR, -1, 30, LH, GOOD, SRV, F_WITH_ROOT)                    \
    X("no-intermediate", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_ALONE)                       \
    X("rsa1024", K_RSA1024, CA_INTER, -1, 30, LH, GOOD, SRV, 0)                                    \
    X("sha1", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_SHA1)                                   \
    X("bad-eku", K_SHARED, CA_INTER, -1, 30, LH, GOOD, CLI, 0)                                     \
    X("bad-key-usage", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_BAD_KU)                        \
    X("bad-signature", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_BAD_SIG)                       \
    X("revoked", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_REVOKED | F_KEEP)                    \
    X("nc-permitted", K_SHARED, CA_NC, -1, 30, LH, V4 ",DNS:www.permitted.test", SRV, 0)           \
    X("nc-excluded", K_SHARED, CA_NC, -1, 30, "excluded.test", "DNS:excluded.test", SRV, 0)        \
    X("nc-excluded-ip", K_SHARED, CA_NC, -1, 30, LH, "DNS:localhost,IP:127.0.0.2", SRV, 0)         \
    X("path-too-long", K_SHARED, CA_SUB, -1, 30, LH, GOOD, SRV, 0)                                 \
    X("issuer-not-ca", K_SHARED, CA_NOT_CA, -1, 30, LH, GOOD, SRV, 0)                              \
    X("issuer-no-bc", K_SHARED, CA_NO_BC, -1, 30, LH, GOOD, SRV, 0)                                \
    X("unknown-critical", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_UNKNOWN_CRIT)               \
    X("malformed", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_DUP_SAN)                           \
    X("ed25519", K_ED25519, CA_INTER, -1, 30, LH, GOOD, SRV, 0)                                    \
    X("ecdsa-p384", K_P384, CA_INTER, -1, 30, LH, GOOD, SRV, 0)                                    \
    X("ecdsa-p521", K_P521, CA_INTER, -1, 30, LH, GOOD, SRV, 0)                                    \
    X("rsa4096", K_RSA4096, CA_INTER, -1, 30, LH, GOOD, SRV, 0)                                    \
    X("expired-intermediate", K_SHARED, CA_EXPIRED, -1, 30, LH, GOOD, SRV, 0)                      \
    X("wildcard", K_SHARED, CA_INTER, -1, 30, "*.wild.test", "DNS:*.wild.test", SRV, 0)            \
    X("wildcard-partial", K_SHARED, CA_INTER, -1, 30, "a*.wild.test", "DNS:a*.wild.test", SRV, 0)  \
    X("client", K_SHARED, CA_INTER, -1, 30, CLIENT, NULL, CLI, 0)                                  \
    X("client-expired", K_SHARED, CA_INTER, -60, -30, CLIENT, NULL, CLI, 0)                        \
    X("client-untrusted", K_SHARED, CA_UNTR, -1, 30, CLIENT, NULL, CLI, 0)                         \
    X("client-server-eku", K_SHARED, CA_INTER, -1, 30, CLIENT, NULL, SRV, 0)                       \
    X("client-self-signed", K_SHARED, SELF, -1, 30, CLIENT, NULL, CLI, 0)                          \
    X("anchored-nc", K_SHARED, CA_ANCHOR_NC, -1, 30, LH, V4, SRV, 0)                               \
    X("anchored-critical", K_SHARED, CA_ANCHOR_CRIT, -1, 30, LH, GOOD, SRV, 0)                     \
    X("anchored-dsa", K_SHARED, CA_ANCHOR_DSA, -1, 30, LH, GOOD, SRV, 0)                           \
    X("must-staple", K_SHARED, CA_INTER, -1, 30, LH, GOOD, SRV, F_MUST_STAPLE | F_KEEP)            \
    X("ocsp-responder", K_SHARED, CA_INTER, -1, 30, "tlsharness OCSP responder", NULL, OCSP_SIGN,  \
      F_KEEP)                                                                                      \
    X("ocsp-not-responder", K_SHARED, CA_INTER, -1, 30, "tlsharness not an OCSP responder", NULL,  \
      CLI, F_KEEP)

struct leaf_spec {
    const char *name;
    enum key_kind key;
    int issuer;
    int from_days, to_days;
    const char *cn, *san, *eku;
    unsigned flags;
};

#define LEAF_NAME(n, k, i, f, t, cn, san, eku, fl) n,
#define LEAF_SPEC(n, k, i, f, t, cn, san, eku, fl) {n, k, i, f, t, cn, san, eku, fl},
const char *const th_pki_leaves[] = {PKI_LEAVES(LEAF_NAME) NULL};
static const struct leaf_spec leaf_specs[] = {PKI_LEAVES(LEAF_SPEC)};

/* The leaf's key; *made says the caller owns it (the RSA keys are g's). */
static EVP_PKEY *leaf_key(const struct th_pki_gen *g, const struct leaf_spec *s, int *made)
{
    *made = 1;
    switch (s->key) {
    case K_P256: return EVP_EC_gen("P-256");
    case K_P384: return EVP_EC_gen("P-384");
    case K_P521: return EVP_EC_gen("P-521");
    case K_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    default: break;
    }
    *made = 0;
    switch (s->key) {
    case K_OWN: return g->own_key;
    case K_RSA1024: return g->small_key;
    case K_RSA4096: return g->big_key;
    default: return g->shared_key;
    }
}

static int leaf_exts(struct th_pki_gen *g, const struct leaf_spec *s, X509 *x, X509 *issuer,
                     EVP_PKEY *key)
{
    /* keyEncipherment only where the key can do RSA key transport */
    const char *ku = EVP_PKEY_is_a(key, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature";
    const struct th_pki_ext exts[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, s->flags & F_BAD_KU ? "critical,keyCertSign" : ku},
        {NID_ext_key_usage, s->eku},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_subject_alt_name, s->san},
        {NID_subject_alt_name, s->flags & F_DUP_SAN ? s->san : NULL},
        {0, NULL},
    };
    TH_GUARD(th_pki_add_exts(g, x, issuer, exts, s->name)); /* stops at a NULL san */
    if (s->flags & F_UNKNOWN_CRIT)
        TH_GUARD(th_pki_add_unknown_critical(g, x, s->name));
    if (s->flags & F_MUST_STAPLE) {
        const struct th_pki_ext feature[] = {{NID_tlsfeature, "status_request"}, {0, NULL}};
        TH_GUARD(th_pki_add_exts(g, x, issuer, feature, s->name));
    }
    return 0;
}

static int make_leaf(struct th_pki_gen *g, const struct leaf_spec *s, EVP_PKEY *key, X509 **out)
{
    X509 *x = *out = th_pki_new_cert(g, s->name, s->cn, key, s->from_days, s->to_days);
    if (!x)
        return -1;
    X509 *issuer = s->issuer == SELF ? x : g->ca[s->issuer];
    EVP_PKEY *ikey = s->issuer == SELF ? key : g->ca_key[s->issuer];
    TH_GUARD(leaf_exts(g, s, x, issuer, key));
    TH_GUARD(
        th_pki_sign(g, x, issuer, ikey, s->flags & F_SHA1 ? EVP_sha1() : EVP_sha256(), s->name));
    if (s->flags & F_BAD_SIG)
        TH_GUARD(th_pki_corrupt_signature(g, out, s->name));
    if (s->flags & F_REVOKED &&
        !(g->revoked_serial = ASN1_INTEGER_dup(X509_get0_serialNumber(*out))))
        return th_pki_fail_ossl(g, "copying the serial of", s->name);
    return 0;
}

/* The chain a server sends: the leaf, then each CA above it short of the root. */
static size_t served_chain(const struct th_pki_gen *g, const struct leaf_spec *s, X509 *leaf,
                           X509 **chain, size_t cap)
{
    size_t n = 0;
    chain[n++] = leaf;
    if (s->flags & F_ALONE)
        return n;
    for (int id = s->issuer; id != SELF && ca_specs[id].issuer != SELF && n < cap;
         id = ca_specs[id].issuer)
        chain[n++] = g->ca[id];
    if (s->flags & F_WITH_ROOT && s->issuer != SELF && n < cap) {
        int id = s->issuer;
        while (ca_specs[id].issuer != SELF)
            id = ca_specs[id].issuer;
        chain[n++] = g->ca[id];
    }
    return n;
}

static int write_leaf(struct th_pki_gen *g, const struct leaf_spec *s)
{
    int made;
    EVP_PKEY *key = leaf_key(g, s, &made);
    X509 *x = NULL, *chain[4];
    int rc = -1;
    if (!key)
        th_pki_fail_ossl(g, "generating the key of", s->name);
    else if (make_leaf(g, s, key, &x) == 0 && th_pki_write_certs(g, s->name, ".pem", &x, 1) == 0 &&
             th_pki_write_certs(g, s->name, ".chain.pem", chain,
                                served_chain(g, s, x, chain, TH_ARRAY_LEN(chain))) == 0)
        rc = th_pki_write_key(g, s->name, key);
    if (rc == 0 && s->flags & F_KEEP && g->nkept < TH_ARRAY_LEN(g->kept)) {
        g->kept_name[g->nkept] = s->name;
        g->kept[g->nkept++] = x;
        x = NULL;
    }
    X509_free(x);
    if (made)
        EVP_PKEY_free(key);
    return rc;
}

X509 *th_pki_kept(const struct th_pki_gen *g, const char *name)
{
    for (size_t i = 0; i < g->nkept; i++)
        if (strcmp(g->kept_name[i], name) == 0)
            return g->kept[i];
    return NULL;
}

int th_pki_ca_of(const struct th_pki_gen *g, const char *name, X509 **cert, EVP_PKEY **key)
{
    for (int id = 0; id < N_CAS; id++)
        if (strcmp(th_pki_cas[id], name) == 0) {
            *cert = g->ca[id];
            *key = g->ca_key[id];
            return 0;
        }
    return -1;
}

int th_pki_make_objects(struct th_pki_gen *g)
{
    TH_GUARD(th_pki_gen_keys(g));
    for (int id = 0; id < N_CAS; id++)
        TH_GUARD(make_ca(g, (enum th_pki_ca)id));
    for (size_t i = 0; i < TH_ARRAY_LEN(leaf_specs); i++)
        TH_GUARD(write_leaf(g, &leaf_specs[i]));
    TH_GUARD(th_pki_write_crls(g));
    return th_pki_write_ocsp(g);
}
