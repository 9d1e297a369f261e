/* The outcome vocabulary and IANA name mapping. */
#include "harness/vocab/iana.h"
#include "harness/vocab/outcome.h"
#include "tap.h"

static void test_outcomes(void)
{
    static const char *const vocab[] = {
        "ok",
        "expired",
        "not_yet_valid",
        "hostname_mismatch",
        "unknown_ca",
        "self_signed",
        "incomplete_chain",
        "bad_signature",
        "bad_eku",
        "bad_key_usage",
        "weak_key",
        "weak_signature",
        "revoked",
        "no_shared_cipher",
        "protocol_version",
        "handshake_failure",
        "bad_record_mac",
        "truncated",
        "timeout",
        "io_error",
        "internal_error",
    };
    is_int(sizeof(vocab) / sizeof(vocab[0]), TH_OUTCOME_COUNT,
           "vocabulary has every DESIGN.md outcome");
    for (size_t i = 0; i < sizeof(vocab) / sizeof(vocab[0]); i++) {
        enum th_outcome o;
        ok(th_outcome_parse(vocab[i], &o) == 0 && strcmp(th_outcome_name(o), vocab[i]) == 0,
           "%s round-trips", vocab[i]);
    }
    enum th_outcome o = TH_OK;
    ok(th_outcome_parse("Expired", &o) == -1, "names are case-sensitive");
    ok(th_outcome_parse("", &o) == -1, "empty name refused");
    ok(th_outcome_parse("certificate_expired", &o) == -1, "alert names are not outcomes");
    is_str(th_outcome_name((enum th_outcome)999), "internal_error",
           "out of range names internal_error");
    ok(th_outcome_is_certificate(TH_REVOKED) && !th_outcome_is_certificate(TH_TIMEOUT),
       "certificate outcomes are told apart");
}

static void test_alerts(void)
{
    is_int(th_outcome_from_alert(20), TH_BAD_RECORD_MAC, "alert 20 bad_record_mac");
    is_int(th_outcome_from_alert(40), TH_HANDSHAKE_FAILURE, "alert 40 handshake_failure");
    is_int(th_outcome_from_alert(45), TH_EXPIRED, "alert 45 certificate_expired");
    is_int(th_outcome_from_alert(48), TH_UNKNOWN_CA, "alert 48 unknown_ca");
    is_int(th_outcome_from_alert(70), TH_PROTOCOL_VERSION, "alert 70 protocol_version");
    is_int(th_outcome_from_alert(42), TH_HANDSHAKE_FAILURE, "alert 42 bad_certificate is generic");
    is_int(th_outcome_from_alert(255), TH_HANDSHAKE_FAILURE, "unknown alert is handshake_failure");
}

static void test_iana(void)
{
    const struct th_suite_info *s = th_suite_by_name("TLS_AES_128_GCM_SHA256");
    ok(s && s->id == 0x1301 && s->min_version == TH_TLS13, "TLS_AES_128_GCM_SHA256 is 0x1301, 1.3");
    s = th_suite_by_id(0x009C);
    is_str(s ? s->name : NULL, "TLS_RSA_WITH_AES_128_GCM_SHA256", "0x009C by id");
    ok(s && strcmp(s->kx, "RSA") == 0, "RSA key transport suite has kx RSA");
    s = th_suite_by_name("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
    ok(s && s->id == 0xCCA9 && strcmp(s->auth, "ECDSA") == 0, "ECDSA chacha suite 0xCCA9");
    s = th_suite_by_name("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
    ok(s && th_suite_versions(s) == (TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS11) | TH_VBIT(TH_TLS12)),
       "a CBC-SHA suite runs on 1.0 to 1.2");
    ok(th_suite_versions(th_suite_by_id(0x1302)) == TH_VBIT(TH_TLS13),
       "a 1.3 suite runs on 1.3 only");
    ok(th_suite_by_name("ECDHE-RSA-AES128-GCM-SHA256") == NULL, "OpenSSL names are not IANA names");
    ok(th_suite_by_name("tls_aes_128_gcm_sha256") == NULL, "IANA names are case-sensitive");
    ok(th_suite_by_id(0xFFFF) == NULL, "unknown id");
    ok(th_suite_count() > 100, "table holds the registry's suites");
    ok(th_group_by_name("x25519") && th_group_by_name("x25519")->id == 0x001D, "x25519 is 29");
    ok(th_group_by_id(0x0100) && strcmp(th_group_by_id(0x0100)->name, "ffdhe2048") == 0,
       "ffdhe2048 is 256");
    ok(th_group_by_name("P-256") == NULL, "OpenSSL group names are not IANA names");
    uint16_t v = 0;
    ok(th_version_parse("1.2", &v) == 0 && v == TH_TLS12, "1.2 parses");
    ok(th_version_parse("1.4", &v) == -1, "1.4 refused");
    ok(th_version_parse("TLSv1.2", &v) == -1, "TLSv1.2 refused: versions are written 1.2");
    is_str(th_version_name(TH_TLS13), "1.3", "0x0304 is 1.3");
    is_str(th_version_name(0x0300), "unknown", "SSL 3.0 is unknown");
    is_int(th_versions_lowest(TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13)), TH_TLS12,
           "lowest of 1.2+1.3");
    is_int(th_versions_highest(TH_VBIT(TH_TLS10) | TH_VBIT(TH_TLS12)), TH_TLS12,
           "highest of 1.0+1.2");
    is_int(th_versions_lowest(0), 0, "lowest of nothing is 0");
    is_int(th_versions_highest(0), 0, "highest of nothing is 0");
}

static void test_versions_effective(void)
{
    const unsigned v10 = TH_VBIT(TH_TLS10), v11 = TH_VBIT(TH_TLS11), v12 = TH_VBIT(TH_TLS12),
                   v13 = TH_VBIT(TH_TLS13);
    const uint16_t gcm12[] = {0x009C};         /* TLS_RSA_WITH_AES_128_GCM_SHA256: 1.2 */
    const uint16_t cbc[] = {0xC013};           /* ..._AES_128_CBC_SHA: 1.0 to 1.2 */
    const uint16_t aes13[] = {0x1301};         /* TLS 1.3 only */
    const uint16_t mixed[] = {0xC013, 0x1301}; /* 1.0 to 1.3 */
    const uint16_t unknown[] = {0xFFFF};
    const uint16_t unknown_gcm12[] = {0xFFFF, 0x009C};
    is_int(th_versions_effective(TH_VERSIONS_ALL, NULL, 0), TH_VERSIONS_ALL,
           "empty suite list leaves every version");
    is_int(th_versions_effective(0, NULL, 0), 0, "empty set stays empty");
    is_int(th_versions_effective(TH_VERSIONS_ALL, gcm12, 1), v10 | v11 | v12,
           "1.2 suites alone cut the top to 1.2, lower versions stay");
    is_int(th_versions_effective(TH_VERSIONS_ALL, cbc, 1), v10 | v11 | v12,
           "CBC suites alone cut the top to 1.2");
    is_int(th_versions_effective(v10 | v12 | v13, gcm12, 1), v10 | v12,
           "a hole below the cut stays a hole");
    is_int(th_versions_effective(TH_VERSIONS_ALL, aes13, 1), TH_VERSIONS_ALL,
           "a 1.3 suite keeps the top at 1.3");
    is_int(th_versions_effective(TH_VERSIONS_ALL, mixed, 2), TH_VERSIONS_ALL,
           "1.2 and 1.3 suites keep every version");
    is_int(th_versions_effective(v10 | v11 | v12, aes13, 1), v10 | v11 | v12,
           "no listed suite runs on any version: set left for the handshake");
    is_int(th_versions_effective(v10 | v11, gcm12, 1), v10 | v11,
           "1.2 suite with 1.0+1.1: no overlap, set left as is");
    is_int(th_versions_effective(TH_VERSIONS_ALL, unknown, 1), TH_VERSIONS_ALL,
           "unknown suite id alone runs nowhere: set left as is");
    is_int(th_versions_effective(TH_VERSIONS_ALL, unknown_gcm12, 2), v10 | v11 | v12,
           "unknown id is skipped, the known 1.2 suite still cuts");
    is_int(th_versions_effective(v13, gcm12, 1), v13, "1.3 alone with a 1.2 suite stays 1.3");
}

int main(void)
{
    test_outcomes();
    test_alerts();
    test_iana();
    test_versions_effective();
    return done_testing();
}
