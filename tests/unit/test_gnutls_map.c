/* The GnuTLS backend's mappings (gnutls_map.c), read without a connection: the suite
 * table, groups and version keywords against IANA ids, certificate status bits and
 * GNUTLS_E_* codes against the shared outcomes, and what a session that has not
 * shaken hands says of its peer. Unknown codes and ids must fall back, never invent. */
#include "backends/gnutls_map.h"
#include "tap.h"

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
        /* no leaf to look at: not known to be self-signed */
        {GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND, TH_UNKNOWN_CA},
        {GNUTLS_CERT_PURPOSE_MISMATCH, TH_BAD_EKU},
        {GNUTLS_CERT_UNEXPECTED_OWNER, TH_HOSTNAME_MISMATCH},
        /* negative: no bit, or only the generic one */
        {0, TH_HANDSHAKE_FAILURE},
        {GNUTLS_CERT_INVALID, TH_HANDSHAKE_FAILURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(th_outcome_name(th_gnutls_status_outcome(cases[i].st, NULL, 1)),
               th_outcome_name(cases[i].want), "status 0x%x", cases[i].st);
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
    test_errors();
    test_fresh_session();
    return done_testing();
}
