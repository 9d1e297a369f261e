/* IANA names and ids of versions, suites and groups (harness/vocab/iana.c): every
 * table entry both ways, names that are not IANA's, and the version range a suite
 * list leaves. */
#include "tap.h"

#include "harness/vocab/iana.h"
#include "harness/vocab/util.h"

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

/* Every suite and group of the tables, name -> id -> name. */
static void test_round_trips(void)
{
    int all = 1, sane = 1;
    for (size_t i = 0; i < th_suite_count(); i++) {
        const struct th_suite_info *s = th_suite_at(i);
        all &= s && th_suite_by_name(s->name) == s && th_suite_by_id(s->id) == s;
        sane &= s && s->min_version >= TH_TLS10 && s->min_version <= TH_TLS13 && s->kx && s->auth &&
                s->cipher && s->mac && strncmp(s->name, "TLS_", 4) == 0 &&
                th_suite_versions(s) != 0 &&
                th_versions_lowest(th_suite_versions(s)) == s->min_version;
    }
    ok(all, "every suite: by name and by id finds the same entry");
    ok(sane, "every suite: a TLS_ name, a version from 1.0 to 1.3, all fields set");
    ok(th_suite_at(th_suite_count()) == NULL, "th_suite_at past the end is NULL");
    static const char *const groups[] = {"secp256r1", "secp384r1", "secp521r1", "x25519",
                                         "x448",      "ffdhe2048", "ffdhe3072", "ffdhe4096",
                                         "ffdhe6144", "ffdhe8192"};
    all = 1;
    for (size_t i = 0; i < TH_ARRAY_LEN(groups); i++) {
        const struct th_group_info *g = th_group_by_name(groups[i]);
        all &= g && th_group_by_id(g->id) == g && strcmp(g->name, groups[i]) == 0;
    }
    ok(all, "every named group: name -> id -> the same name");
    ok(th_group_by_id(0x0017) && th_group_by_id(0x0018) && th_group_by_id(0x0019) &&
           th_group_by_id(0x001D)->id == 0x001D,
       "the curves' registry numbers");
    uint16_t v = 0;
    for (uint16_t w = TH_TLS10; w <= TH_TLS13; w++)
        ok(th_version_parse(th_version_name(w), &v) == 0 && v == w, "version %s round-trips",
           th_version_name(w));
}

static void test_unknown(void)
{
    ok(th_suite_by_name("") == NULL, "empty suite name");
    ok(th_suite_by_name("TLS_AES_128_GCM_SHA256 ") == NULL, "a trailing space is not ignored");
    ok(th_suite_by_name("TLS_FAKE_WITH_NOTHING") == NULL, "a made-up suite name");
    ok(th_suite_by_id(0x0000) == NULL, "TLS_NULL_WITH_NULL_NULL is not in the table");
    ok(th_group_by_name("") == NULL, "empty group name");
    ok(th_group_by_name("X25519") == NULL, "group names are case-sensitive");
    ok(th_group_by_name("prime256v1") == NULL, "OpenSSL's curve name is not IANA's");
    ok(th_group_by_id(0xFFFF) == NULL && th_group_by_id(0) == NULL, "unknown group ids");
    uint16_t v = 0x1234;
    ok(th_version_parse("", &v) == -1 && v == 0x1234, "empty version refused, out untouched");
    ok(th_version_parse("1.", &v) == -1 && th_version_parse("1.20", &v) == -1,
       "near-miss versions refused");
    ok(th_version_parse("1.0", &v) == 0 && v == TH_TLS10, "1.0 parses");
    is_str(th_version_name(0x0305), "unknown", "past 1.3 is unknown");
    is_str(th_version_name(0), "unknown", "0 is unknown");
    is_int(th_versions_lowest(TH_VBIT(TH_TLS13)), TH_TLS13, "lowest of 1.3 alone");
    is_int(th_versions_highest(TH_VERSIONS_ALL), TH_TLS13, "highest of all");
}

int main(void)
{
    test_iana();
    test_versions_effective();
    test_round_trips();
    test_unknown();
    return done_testing();
}
