/* GnuTLS's names and codes in the shared vocabulary (gnutls_map.h): IANA suite, group
 * and version ids against GnuTLS's algorithms, certificate status bits and GNUTLS_E_*
 * codes against outcomes, and what a session negotiated and what its peer presented
 * in IANA terms. The GnuTLS backend and curl-gnutls read libgnutls through these, so
 * the two cannot drift apart.
 *
 * The suite table is built once under pthread_once: TCP cases run the server role in
 * another thread. */
#include "gnutls_map.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"

/* ---- suites: IANA id -> GnuTLS algorithms, built once ---- */

/* More than GnuTLS 3.7 lists (about 190). */
#define MAX_GNUTLS_SUITES 256

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct th_gnutls_suite suite_table[MAX_GNUTLS_SUITES];
static size_t n_suite_table;

static void init_once(void)
{
    unsigned char id[2];
    struct th_gnutls_suite a;
    for (size_t i = 0; n_suite_table < MAX_GNUTLS_SUITES &&
                       gnutls_cipher_suite_info(i, id, &a.kx, &a.cipher, &a.mac, NULL);
         i++) {
        a.id = (uint16_t)(id[0] << 8 | id[1]);
        suite_table[n_suite_table++] = a;
    }
}

const struct th_gnutls_suite *th_gnutls_suite(uint16_t id)
{
    pthread_once(&once, init_once);
    for (size_t i = 0; i < n_suite_table; i++)
        if (suite_table[i].id == id)
            return &suite_table[i];
    return NULL;
}

size_t th_gnutls_suites(uint16_t *out, size_t cap)
{
    size_t n = 0;
    pthread_once(&once, init_once);
    for (size_t i = 0; i < n_suite_table && n < cap; i++)
        out[n++] = suite_table[i].id;
    return n;
}

/* A suite we can run: one with an IANA entry, authenticated by a certificate the
 * test PKI has (RSA, ECDSA) and keyed without PSK/SRP/anonymous exchange, for which
 * we have no credentials. NULL encryption is out: no one should negotiate it. */
int th_gnutls_suite_usable(uint16_t id)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s)
        return 0;
    int auth = !strcmp(s->auth, "RSA") || !strcmp(s->auth, "ECDSA") || !strcmp(s->auth, "any");
    int kx = !strcmp(s->kx, "TLS13") || !strcmp(s->kx, "ECDHE") || !strcmp(s->kx, "DHE") ||
             !strcmp(s->kx, "RSA");
    return auth && kx && strcmp(s->cipher, "None") != 0;
}

/* ---- groups and versions ---- */

static const struct {
    uint16_t iana;
    gnutls_group_t group;
} group_map[] = {
    {0x001D, GNUTLS_GROUP_X25519},    {0x001E, GNUTLS_GROUP_X448},
    {0x0017, GNUTLS_GROUP_SECP256R1}, {0x0018, GNUTLS_GROUP_SECP384R1},
    {0x0019, GNUTLS_GROUP_SECP521R1}, {0x0100, GNUTLS_GROUP_FFDHE2048},
    {0x0101, GNUTLS_GROUP_FFDHE3072}, {0x0102, GNUTLS_GROUP_FFDHE4096},
    {0x0103, GNUTLS_GROUP_FFDHE6144}, {0x0104, GNUTLS_GROUP_FFDHE8192},
};

gnutls_group_t th_gnutls_group_from_iana(uint16_t iana)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].iana == iana)
            return group_map[i].group;
    return GNUTLS_GROUP_INVALID;
}

uint16_t th_gnutls_group_to_iana(gnutls_group_t g)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map); i++)
        if (group_map[i].group == g)
            return group_map[i].iana;
    return 0;
}

static int group_supported(gnutls_group_t g)
{
    for (const gnutls_group_t *p = gnutls_group_list(); p && *p; p++)
        if (*p == g)
            return 1;
    return 0;
}

size_t th_gnutls_groups(uint16_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(group_map) && n < cap; i++)
        if (group_supported(group_map[i].group))
            out[n++] = group_map[i].iana;
    return n;
}

static const struct {
    uint16_t iana;
    gnutls_protocol_t proto;
    const char *keyword; /* in a priority string */
} version_map[] = {
    {TH_TLS13, GNUTLS_TLS1_3, "VERS-TLS1.3"},
    {TH_TLS12, GNUTLS_TLS1_2, "VERS-TLS1.2"},
    {TH_TLS11, GNUTLS_TLS1_1, "VERS-TLS1.1"},
    {TH_TLS10, GNUTLS_TLS1_0, "VERS-TLS1.0"},
};

static uint16_t version_to_iana(gnutls_protocol_t p)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(version_map); i++)
        if (version_map[i].proto == p)
            return version_map[i].iana;
    return 0;
}

const char *th_gnutls_version_keyword(uint16_t iana)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(version_map); i++)
        if (version_map[i].iana == iana)
            return version_map[i].keyword;
    return NULL;
}

/* ---- errors ---- */

/* A certificate naming itself as issuer. */
static int self_issued(gnutls_x509_crt_t crt)
{
    gnutls_datum_t subject, issuer;
    int self = 0;
    if (gnutls_x509_crt_get_raw_dn(crt, &subject) < 0)
        return 0;
    if (gnutls_x509_crt_get_raw_issuer_dn(crt, &issuer) >= 0) {
        self = subject.size == issuer.size && memcmp(subject.data, issuer.data, subject.size) == 0;
        gnutls_free(issuer.data);
    }
    gnutls_free(subject.data);
    return self;
}

/* INSECURE_ALGORITHM covers both a weak signature hash and a short key: the leaf's
 * key strength tells which. */
static enum th_outcome insecure_outcome(gnutls_x509_crt_t leaf)
{
    unsigned bits = 0;
    int pk = leaf ? gnutls_x509_crt_get_pk_algorithm(leaf, &bits) : GNUTLS_PK_UNKNOWN;
    if (pk > 0 && gnutls_pk_bits_to_sec_param(pk, bits) < GNUTLS_SEC_PARAM_MEDIUM)
        return TH_WEAK_KEY;
    return TH_WEAK_SIGNATURE;
}

/* The chain as sent, parsed: at most MAX_CHAIN certificates, NULL where one does
 * not parse. */
#define MAX_CHAIN 16
struct parsed {
    gnutls_x509_crt_t crt[MAX_CHAIN];
    unsigned n;
    gnutls_x509_crt_t anchor; /* the trust anchor that issued the last one, or NULL */
};

static void parse_chain(struct parsed *p, const gnutls_datum_t *certs, unsigned n,
                        gnutls_x509_trust_list_t anchors)
{
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; certs && i < n && i < MAX_CHAIN; i++, p->n++) {
        if (gnutls_x509_crt_init(&p->crt[i]) < 0) {
            p->crt[i] = NULL;
            continue;
        }
        if (gnutls_x509_crt_import(p->crt[i], &certs[i], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(p->crt[i]);
            p->crt[i] = NULL;
        }
    }
    /* GNUTLS_TL_GET_COPY: the copy is ours to free, whatever the list does */
    if (anchors && p->n && p->crt[p->n - 1] &&
        gnutls_x509_trust_list_get_issuer(anchors, p->crt[p->n - 1], &p->anchor,
                                          GNUTLS_TL_GET_COPY) < 0)
        p->anchor = NULL;
}

static void parsed_free(struct parsed *p)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->crt[i])
            gnutls_x509_crt_deinit(p->crt[i]);
    if (p->anchor)
        gnutls_x509_crt_deinit(p->anchor);
}

static int has_name_constraints(gnutls_x509_crt_t ca)
{
    gnutls_x509_name_constraints_t nc;
    unsigned critical = 0;
    if (!ca || gnutls_x509_name_constraints_init(&nc) < 0)
        return 0;
    int has = gnutls_x509_crt_get_name_constraints(ca, nc, 0, &critical) >= 0;
    gnutls_x509_name_constraints_deinit(nc);
    return has;
}

/* A CA whose pathLenConstraint is smaller than the number of CAs below it. */
static int path_too_long(gnutls_x509_crt_t ca, unsigned cas_below)
{
    unsigned critical = 0, is_ca = 0;
    int pathlen = -1;
    if (!ca || gnutls_x509_crt_get_basic_constraints(ca, &critical, &is_ca, &pathlen) < 0)
        return 0;
    return is_ca && pathlen >= 0 && cas_below > (unsigned)pathlen;
}

/* SIGNER_CONSTRAINTS_FAILURE is GnuTLS's one reason for three checks: an issuer's
 * name constraints, its pathLenConstraint, and its key usage (no keyCertSign). The
 * code keeps the umbrella; the outcome names the check the chain can have failed:
 * an issuer (sent, or the anchor) with name constraints, else one whose path length
 * the chain exceeds, else the key usage of an issuer that may not sign
 * certificates, which is invalid_ca. */
static enum th_outcome constraints_outcome(const struct parsed *p)
{
    for (unsigned i = 1; i < p->n; i++)
        if (has_name_constraints(p->crt[i]))
            return TH_NAME_CONSTRAINTS;
    if (has_name_constraints(p->anchor))
        return TH_NAME_CONSTRAINTS;
    for (unsigned i = 1; i < p->n; i++)
        if (path_too_long(p->crt[i], i - 1))
            return TH_PATH_LENGTH;
    if (p->n && path_too_long(p->anchor, p->n - 1))
        return TH_PATH_LENGTH;
    return TH_INVALID_CA;
}

/* SIGNER_NOT_FOUND: a lone certificate naming itself as issuer is self-signed; a
 * lone leaf whose issuer is no trust anchor came without the intermediate that
 * links it (what the chain as sent can say: a leaf straight under an untrusted
 * root, sent alone, reads the same); anything else is an unknown CA. */
static enum th_outcome not_found_outcome(const struct parsed *p)
{
    gnutls_x509_crt_t leaf = p->n ? p->crt[0] : NULL;
    if (!leaf || p->n != 1)
        return TH_UNKNOWN_CA;
    if (self_issued(leaf))
        return TH_SELF_SIGNED;
    return p->anchor ? TH_UNKNOWN_CA : TH_INCOMPLETE_CHAIN;
}

/* Several bits may be set; the most specific reason wins. */
enum th_outcome th_gnutls_chain_outcome(unsigned st, const gnutls_datum_t *certs, unsigned n,
                                        gnutls_x509_trust_list_t anchors)
{
    struct parsed p;
    enum th_outcome o = TH_HANDSHAKE_FAILURE;
    parse_chain(&p, certs, n, anchors);
    if (st & GNUTLS_CERT_REVOKED)
        o = TH_REVOKED;
    else if (st & GNUTLS_CERT_EXPIRED)
        o = TH_EXPIRED;
    else if (st & GNUTLS_CERT_NOT_ACTIVATED)
        o = TH_NOT_YET_VALID;
    else if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
        o = TH_BAD_SIGNATURE;
    else if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
        o = insecure_outcome(p.n ? p.crt[0] : NULL);
    else if (st & GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS)
        o = TH_UNKNOWN_CRITICAL_EXTENSION;
    else if (st & GNUTLS_CERT_SIGNER_NOT_CA)
        o = TH_INVALID_CA;
    else if (st & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
        o = constraints_outcome(&p);
    else if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
        o = not_found_outcome(&p);
    else if (st & GNUTLS_CERT_PURPOSE_MISMATCH)
        o = TH_BAD_EKU;
    else if (st & GNUTLS_CERT_UNEXPECTED_OWNER)
        o = TH_HOSTNAME_MISMATCH;
    /* the staple last: a chain refused for itself says so first (gnutls_ocsp.c sets
     * MISSING for require too, as GnuTLS does for a must-staple leaf) */
    else if (st & GNUTLS_CERT_MISSING_OCSP_STATUS)
        o = TH_OCSP_MISSING;
    else if (st & GNUTLS_CERT_INVALID_OCSP_STATUS)
        o = TH_OCSP_INVALID;
    parsed_free(&p);
    return o;
}

int th_gnutls_anchors_from_file(const char *ca_file, gnutls_x509_trust_list_t *out)
{
    *out = NULL;
    if (!ca_file || gnutls_x509_trust_list_init(out, 0) < 0)
        return -1;
    if (gnutls_x509_trust_list_add_trust_file(*out, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0) < 0) {
        gnutls_x509_trust_list_deinit(*out, 1);
        *out = NULL;
        return -1;
    }
    return 0;
}

enum th_outcome th_gnutls_error_outcome(int ret)
{
    switch (ret) {
    case GNUTLS_E_NO_CIPHER_SUITES:
    case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
    case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
    case GNUTLS_E_NO_COMMON_KEY_SHARE:
    case GNUTLS_E_ECC_NO_SUPPORTED_CURVES:
    case GNUTLS_E_ECC_UNSUPPORTED_CURVE:
    case GNUTLS_E_INSUFFICIENT_SECURITY: return TH_NO_SHARED_CIPHER;
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET: return TH_PROTOCOL_VERSION;
    case GNUTLS_E_DECRYPTION_FAILED: return TH_BAD_RECORD_MAC;
    case GNUTLS_E_PREMATURE_TERMINATION: return TH_TRUNCATED;
    case GNUTLS_E_PUSH_ERROR:
    case GNUTLS_E_PULL_ERROR: return TH_IO_ERROR;
    case GNUTLS_E_KEY_USAGE_VIOLATION: return TH_BAD_KEY_USAGE;
    /* a server that requires a client certificate and got none (gnutls_auth.c) */
    case GNUTLS_E_CERTIFICATE_REQUIRED: return TH_CERTIFICATE_REQUIRED;
    /* a certificate GnuTLS cannot parse, before any status bit */
    case GNUTLS_E_X509_DUPLICATE_EXTENSION:
    case GNUTLS_E_ASN1_DER_ERROR:
    case GNUTLS_E_ASN1_DER_OVERFLOW:
    case GNUTLS_E_ASN1_TAG_ERROR:
    case GNUTLS_E_ASN1_GENERIC_ERROR:
    case GNUTLS_E_ASN1_VALUE_NOT_VALID:
    case GNUTLS_E_CERTIFICATE_ERROR:
    case GNUTLS_E_X509_UNSUPPORTED_EXTENSION: return TH_BAD_CERTIFICATE;
    case GNUTLS_E_X509_UNSUPPORTED_CRITICAL_EXTENSION: return TH_UNKNOWN_CRITICAL_EXTENSION;
    case GNUTLS_E_TIMEDOUT: return TH_TIMEOUT;
    case GNUTLS_E_INTERNAL_ERROR:
    case GNUTLS_E_MEMORY_ERROR: return TH_INTERNAL_ERROR;
    default: return TH_HANDSHAKE_FAILURE;
    }
}

/* ---- what a session negotiated, and what its peer presented ---- */

void th_gnutls_negotiated(gnutls_session_t s, struct th_negotiated *out)
{
    memset(out, 0, sizeof(*out));
    out->version = version_to_iana(gnutls_protocol_get_version(s));
    const struct th_suite_info *si = th_suite_by_name(gnutls_ciphersuite_get(s));
    out->suite = si ? si->id : 0;
    /* RSA key transport has no group, whatever the session remembers. */
    if (gnutls_kx_get(s) != GNUTLS_KX_RSA)
        out->group = th_gnutls_group_to_iana(gnutls_group_get(s));
    gnutls_datum_t alpn = {NULL, 0};
    if (gnutls_alpn_get_selected_protocol(s, &alpn) == 0 && alpn.data) {
        size_t n = alpn.size < sizeof(out->alpn) - 1 ? alpn.size : sizeof(out->alpn) - 1;
        memcpy(out->alpn, alpn.data, n);
    }
    out->resumed = gnutls_session_is_resumed(s) != 0;
}

/* GnuTLS's signature algorithms by their IANA SignatureScheme names; TLS 1.2's
 * ECDSA with a hash shares its code point with TLS 1.3's curve-bound scheme. */
static const char *sig_scheme_name(int sign)
{
    static const struct {
        int sign;
        const char *name;
    } map[] = {
        {GNUTLS_SIGN_RSA_SHA1, "rsa_pkcs1_sha1"},
        {GNUTLS_SIGN_RSA_SHA256, "rsa_pkcs1_sha256"},
        {GNUTLS_SIGN_RSA_SHA384, "rsa_pkcs1_sha384"},
        {GNUTLS_SIGN_RSA_SHA512, "rsa_pkcs1_sha512"},
        {GNUTLS_SIGN_ECDSA_SHA1, "ecdsa_sha1"},
        {GNUTLS_SIGN_ECDSA_SHA256, "ecdsa_secp256r1_sha256"},
        {GNUTLS_SIGN_ECDSA_SHA384, "ecdsa_secp384r1_sha384"},
        {GNUTLS_SIGN_ECDSA_SHA512, "ecdsa_secp521r1_sha512"},
        {GNUTLS_SIGN_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256"},
        {GNUTLS_SIGN_ECDSA_SECP384R1_SHA384, "ecdsa_secp384r1_sha384"},
        {GNUTLS_SIGN_ECDSA_SECP521R1_SHA512, "ecdsa_secp521r1_sha512"},
        {GNUTLS_SIGN_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256"},
        {GNUTLS_SIGN_RSA_PSS_RSAE_SHA384, "rsa_pss_rsae_sha384"},
        {GNUTLS_SIGN_RSA_PSS_RSAE_SHA512, "rsa_pss_rsae_sha512"},
        {GNUTLS_SIGN_RSA_PSS_SHA256, "rsa_pss_pss_sha256"},
        {GNUTLS_SIGN_RSA_PSS_SHA384, "rsa_pss_pss_sha384"},
        {GNUTLS_SIGN_RSA_PSS_SHA512, "rsa_pss_pss_sha512"},
        {GNUTLS_SIGN_EDDSA_ED25519, "ed25519"},
        {GNUTLS_SIGN_EDDSA_ED448, "ed448"},
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(map); i++)
        if (map[i].sign == sign)
            return map[i].name;
    return "";
}

int th_gnutls_peer_info(gnutls_session_t s, struct th_peer_info *out)
{
    memset(out, 0, sizeof(*out));
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    if (!certs || n == 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        out->chain = th_xrealloc(out->chain, out->chain_len + certs[i].size);
        memcpy(out->chain + out->chain_len, certs[i].data, certs[i].size);
        out->chain_len += certs[i].size;
        out->n_certs++;
    }
    /* TLS 1.2 RSA key transport signs nothing */
    if (gnutls_kx_get(s) != GNUTLS_KX_RSA)
        th_strlcpy(out->sig_scheme, sig_scheme_name(gnutls_sign_algorithm_get(s)),
                   sizeof(out->sig_scheme));
    return 0;
}
