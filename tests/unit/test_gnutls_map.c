/* The GnuTLS backend's mappings (gnutls_map.c), read without a connection: the suite
 * table, groups and version keywords against IANA ids, certificate status bits and
 * GNUTLS_E_* codes against the shared outcomes, and what a session that has not
 * shaken hands says of its peer. Unknown codes and ids must fall back, never invent. */
#include "backends/gnutls_map.h"
#include "tap.h"

#include "gnutls_certs.h"

#include "harness/vocab/util.h"

static int has(const uint16_t *ids, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static void test_suites(void)
{
    uint16_t ids[512];
    size_t n = th_gnutls_suites(ids, 512);
    ok(n > 50 && has(ids, n, 0x1301) && has(ids, n, 0xC02F), "%zu suites, 0x1301 and 0xC02F", n);
    is_int(th_gnutls_suites(ids, 2), 2, "the cap is kept");
    const struct th_gnutls_suite *s = th_gnutls_suite(0x1301);
    ok(s && s->kx == GNUTLS_KX_UNKNOWN && s->cipher == GNUTLS_CIPHER_AES_128_GCM,
       "0x1301: no kx, AES-128-GCM");
    s = th_gnutls_suite(0xC02F);
    ok(s && s->kx == GNUTLS_KX_ECDHE_RSA && s->mac == GNUTLS_MAC_AEAD, "0xC02F: ECDHE-RSA, AEAD");
    ok(th_gnutls_suite(0xFFFF) == NULL, "an unknown suite is not in the table");
    ok(th_gnutls_suite_usable(0xC02F) && th_gnutls_suite_usable(0x1303),
       "ECDHE-RSA and 1.3: usable");
    ok(!th_gnutls_suite_usable(0x00A8), "PSK: not usable");
    ok(!th_gnutls_suite_usable(0x003B), "NULL encryption: not usable");
    ok(!th_gnutls_suite_usable(0xFFFF), "unknown: not usable");
}

static void test_groups_versions(void)
{
    uint16_t ids[32];
    size_t n = th_gnutls_groups(ids, 32);
    ok(n >= 3 && has(ids, n, 0x001D) && has(ids, n, 0x0017), "%zu groups, x25519 and P-256", n);
    is_int(th_gnutls_groups(ids, 1), 1, "the cap is kept");
    is_int(th_gnutls_group_from_iana(0x001D), GNUTLS_GROUP_X25519, "x25519 from IANA");
    is_int(th_gnutls_group_to_iana(GNUTLS_GROUP_FFDHE2048), 0x0100, "ffdhe2048 to IANA");
    is_int(th_gnutls_group_from_iana(0x9999), GNUTLS_GROUP_INVALID, "an unknown id: invalid");
    is_int(th_gnutls_group_to_iana(GNUTLS_GROUP_INVALID), 0, "an invalid group: 0");
    is_str(th_gnutls_version_keyword(TH_TLS12), "VERS-TLS1.2", "TLS 1.2's keyword");
    is_str(th_gnutls_version_keyword(TH_TLS13), "VERS-TLS1.3", "TLS 1.3's keyword");
    ok(th_gnutls_version_keyword(0x0300) == NULL, "SSL 3.0: no keyword");
    ok(th_gnutls_version_keyword(0) == NULL, "0: no keyword");
}

static void test_status(void)
{
    static const struct {
        unsigned st;
        enum th_outcome want;
    } cases[] = {
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED | GNUTLS_CERT_EXPIRED, TH_REVOKED},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED, TH_EXPIRED},
        {GNUTLS_CERT_NOT_ACTIVATED, TH_NOT_YET_VALID},
        {GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_FOUND, TH_BAD_SIGNATURE},
        /* no leaf to weigh: a weak hash, not a short key */
        {GNUTLS_CERT_INSECURE_ALGORITHM, TH_WEAK_SIGNATURE},
        /* no chain to look at: not known to be self-signed or incomplete */
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, TH_UNKNOWN_CA},
        {GNUTLS_CERT_PURPOSE_MISMATCH, TH_BAD_EKU},
        {GNUTLS_CERT_UNEXPECTED_OWNER, TH_HOSTNAME_MISMATCH},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, TH_UNKNOWN_CRITICAL_EXTENSION},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_CA, TH_INVALID_CA},
        /* an issuer that is no CA is also one that cannot be found as a signer */
        {GNUTLS_CERT_SIGNER_NOT_CA | GNUTLS_CERT_SIGNER_NOT_FOUND, TH_INVALID_CA},
        /* the umbrella with no chain to tell which constraint: an issuer's key usage */
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, TH_INVALID_CA},
        {GNUTLS_CERT_EXPIRED | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, TH_EXPIRED},
        /* a staple (gnutls_ocsp.c): after every fault of the chain itself */
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_MISSING_OCSP_STATUS, TH_OCSP_MISSING},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_INVALID_OCSP_STATUS, TH_OCSP_INVALID},
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
             GNUTLS_CERT_INVALID_OCSP_STATUS,
         TH_OCSP_INVALID},
        {GNUTLS_CERT_REVOKED | GNUTLS_CERT_INVALID_OCSP_STATUS, TH_REVOKED},
        {GNUTLS_CERT_EXPIRED | GNUTLS_CERT_MISSING_OCSP_STATUS, TH_EXPIRED},
        {GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INVALID_OCSP_STATUS, TH_HOSTNAME_MISMATCH},
        /* stale revocation data alone may be a CRL's: no staple outcome */
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED, TH_HANDSHAKE_FAILURE},
        /* negative: no bit, or only the generic one */
        {0, TH_HANDSHAKE_FAILURE},
        {GNUTLS_CERT_INVALID, TH_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_gnutls_chain_outcome(cases[i].st, NULL, 0, NULL)),
               th_outcome_name(cases[i].want), "status 0x%x", cases[i].st);
}

/* ---- chains made here, to read the status bits against ---- */

/* A trust list holding a copy of one certificate. */
static gnutls_x509_trust_list_t anchors_of(const struct tc *root)
{
    gnutls_x509_trust_list_t tl;
    gnutls_x509_crt_t copy;
    if (gnutls_x509_trust_list_init(&tl, 0) < 0)
        return NULL;
    if (gnutls_x509_crt_init(&copy) < 0 ||
        gnutls_x509_crt_import(copy, &root->der, GNUTLS_X509_FMT_DER) < 0 ||
        gnutls_x509_trust_list_add_cas(tl, &copy, 1, 0) != 1) {
        gnutls_x509_trust_list_deinit(tl, 1);
        return NULL;
    }
    return tl;
}

static void check(unsigned st, const struct tc *const *chain, unsigned n,
                  gnutls_x509_trust_list_t tl, enum th_outcome want, const char *what)
{
    gnutls_datum_t ders[4];
    for (unsigned i = 0; i < n; i++)
        ders[i] = chain[i]->der;
    is_str(th_outcome_name(th_gnutls_chain_outcome(st, ders, n, tl)), th_outcome_name(want), "%s",
           what);
}

/* What the chain as sent and the anchors add to the bits: which of the signer's
 * constraints the umbrella stands for, a lone leaf without its intermediate, a lone
 * self-signed certificate. */
static void test_chain(void)
{
    struct tc root, nc_ca, pl0_ca, sub_ca, plain_ca, nc_leaf, deep_leaf, leaf;
    const struct tc_opts ca = {.ca = 1, .pathlen = -1}, end = {.pathlen = -1};
    int made =
        tc_make(&root, "root", NULL, ca) == 0 &&
        tc_make(&nc_ca, "nc", &root,
                (struct tc_opts){.ca = 1, .pathlen = -1, .permitted = "permitted.test"}) == 0 &&
        tc_make(&pl0_ca, "pathlen0", &root, (struct tc_opts){.ca = 1, .pathlen = 0}) == 0 &&
        tc_make(&sub_ca, "sub", &pl0_ca, ca) == 0 && tc_make(&plain_ca, "plain", &root, ca) == 0 &&
        tc_make(&nc_leaf, "localhost", &nc_ca, end) == 0 &&
        tc_make(&deep_leaf, "localhost", &sub_ca, end) == 0 &&
        tc_make(&leaf, "localhost", &plain_ca, end) == 0;
    gnutls_x509_trust_list_t tl = made ? anchors_of(&root) : NULL;
    if (!ok(made && tl, "test chains made"))
        return;
    const unsigned C = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE;
    const unsigned NF = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
    check(C, (const struct tc *[]){&nc_leaf, &nc_ca}, 2, tl, TH_NAME_CONSTRAINTS,
          "umbrella, an issuer with name constraints: name_constraints");
    check(C, (const struct tc *[]){&deep_leaf, &sub_ca, &pl0_ca}, 3, tl, TH_PATH_LENGTH,
          "umbrella, a pathlen:0 CA with a CA below it: path_length");
    check(C, (const struct tc *[]){&leaf, &plain_ca}, 2, tl, TH_INVALID_CA,
          "umbrella, no constraint in the chain: the issuer's key usage, invalid_ca");
    check(C, (const struct tc *[]){&sub_ca, &pl0_ca}, 2, tl, TH_INVALID_CA,
          "negative: pathlen:0 with no CA below it is no path_length");
    check(NF, (const struct tc *[]){&leaf}, 1, tl, TH_INCOMPLETE_CHAIN,
          "a lone leaf whose issuer is no anchor: incomplete_chain");
    check(NF, (const struct tc *[]){&leaf}, 1, NULL, TH_INCOMPLETE_CHAIN,
          "a lone leaf, no anchors at all: incomplete_chain");
    check(NF, (const struct tc *[]){&plain_ca}, 1, tl, TH_UNKNOWN_CA,
          "negative: a lone certificate whose issuer is an anchor: unknown_ca");
    check(NF, (const struct tc *[]){&leaf, &plain_ca}, 2, tl, TH_UNKNOWN_CA,
          "negative: the intermediate sent, its root not trusted: unknown_ca");
    check(NF, (const struct tc *[]){&root}, 1, NULL, TH_SELF_SIGNED,
          "a lone self-signed certificate: self_signed");
    struct tc junk = {.der = {(unsigned char *)"\x30\x03\x02\x01\x01", 5}};
    check(NF, (const struct tc *[]){&junk}, 1, tl, TH_UNKNOWN_CA,
          "negative: a leaf that does not parse: unknown_ca");
    gnutls_x509_trust_list_deinit(tl, 1);
    gnutls_x509_trust_list_t f;
    is_int(th_gnutls_anchors_from_file("/nonexistent/ca.pem", &f), -1, "anchors: a missing file");
    ok(f == NULL, "anchors: none handed out");
    is_int(th_gnutls_anchors_from_file(NULL, &f), -1, "anchors: no file");
    struct tc *all[] = {&root, &nc_ca, &pl0_ca, &sub_ca, &plain_ca, &nc_leaf, &deep_leaf, &leaf};
    for (size_t i = 0; i < TH_ARRAY_LEN(all); i++)
        tc_free(all[i]);
}

static void test_errors(void)
{
    static const struct {
        int code;
        enum th_outcome want;
    } cases[] = {
        {GNUTLS_E_NO_CIPHER_SUITES, TH_NO_SHARED_CIPHER},
        {GNUTLS_E_NO_COMMON_KEY_SHARE, TH_NO_SHARED_CIPHER},
        {GNUTLS_E_UNSUPPORTED_VERSION_PACKET, TH_PROTOCOL_VERSION},
        {GNUTLS_E_DECRYPTION_FAILED, TH_BAD_RECORD_MAC},
        {GNUTLS_E_PREMATURE_TERMINATION, TH_TRUNCATED},
        {GNUTLS_E_PULL_ERROR, TH_IO_ERROR},
        {GNUTLS_E_KEY_USAGE_VIOLATION, TH_BAD_KEY_USAGE},
        {GNUTLS_E_X509_DUPLICATE_EXTENSION, TH_BAD_CERTIFICATE},
        {GNUTLS_E_ASN1_DER_ERROR, TH_BAD_CERTIFICATE},
        {GNUTLS_E_X509_UNSUPPORTED_CRITICAL_EXTENSION, TH_UNKNOWN_CRITICAL_EXTENSION},
        {GNUTLS_E_TIMEDOUT, TH_TIMEOUT},
        {GNUTLS_E_MEMORY_ERROR, TH_INTERNAL_ERROR},
        /* negative: codes with no outcome of their own */
        {GNUTLS_E_AGAIN, TH_HANDSHAKE_FAILURE},
        {0, TH_HANDSHAKE_FAILURE},
        {-99999, TH_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_gnutls_error_outcome(cases[i].code)),
               th_outcome_name(cases[i].want), "GnuTLS code %d", cases[i].code);
}

/* A session that has not shaken hands has no peer. (th_gnutls_negotiated wants a done
 * handshake: the backend asks it only then.) */
static void test_fresh_session(void)
{
    gnutls_session_t s;
    if (!ok(gnutls_init(&s, GNUTLS_CLIENT) == 0, "a session to read"))
        return;
    struct th_peer_info pi;
    is_int(th_gnutls_peer_info(s, &pi), -1, "peer_info: -1 with no peer certificate");
    ok(pi.chain == NULL && pi.n_certs == 0 && pi.sig_scheme[0] == '\0', "peer_info: empty");
    gnutls_deinit(s);
}

int main(void)
{
    test_suites();
    test_groups_versions();
    test_status();
    test_chain();
    test_errors();
    test_fresh_session();
    return done_testing();
}
