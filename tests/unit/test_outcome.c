/* The outcome vocabulary and the case statuses (IANA names: test_iana.c). */
#include "harness/vocab/outcome.h"
#include "harness/vocab/util.h"
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
        "name_constraints",
        "path_length",
        "invalid_ca",
        "unknown_critical_extension",
        "bad_certificate",
        "anchor_unusable",
        "ocsp_missing",
        "ocsp_invalid",
        "certificate_required",
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
    is_int(th_outcome_from_alert(113), TH_OCSP_INVALID,
           "alert 113 bad_certificate_status_response");
    is_int(th_outcome_from_alert(40), TH_HANDSHAKE_FAILURE, "alert 40 handshake_failure");
    is_int(th_outcome_from_alert(45), TH_EXPIRED, "alert 45 certificate_expired");
    is_int(th_outcome_from_alert(48), TH_UNKNOWN_CA, "alert 48 unknown_ca");
    is_int(th_outcome_from_alert(70), TH_PROTOCOL_VERSION, "alert 70 protocol_version");
    is_int(th_outcome_from_alert(42), TH_HANDSHAKE_FAILURE, "alert 42 bad_certificate is generic");
    is_int(th_outcome_from_alert(116), TH_CERTIFICATE_REQUIRED, "alert 116 certificate_required");
    ok(th_outcome_is_certificate(TH_ANCHOR_UNUSABLE) &&
           th_outcome_is_certificate(TH_OCSP_INVALID) &&
           !th_outcome_is_certificate(TH_CERTIFICATE_REQUIRED),
       "the new certificate outcomes are certificate outcomes; a missing client certificate is "
       "not");
    is_int(th_outcome_from_alert(255), TH_HANDSHAKE_FAILURE, "unknown alert is handshake_failure");
}

static void test_statuses(void)
{
    static const char *const names[] = {"pass", "fail", "xfail", "xpass", "skip", "error"};
    is_int(TH_ARRAY_LEN(names), TH_STATUS_COUNT, "every DESIGN.md status has a name");
    for (int i = 0; i < TH_STATUS_COUNT; i++)
        is_str(th_status_name((enum th_status)i), names[i], "status %d has its name", i);
    is_str(th_status_name((enum th_status) - 1), "error", "out of range names error");
    is_str(th_status_name(TH_STATUS_COUNT), "error", "the count itself names error");
}

static void test_more_alerts(void)
{
    is_int(th_outcome_from_alert(44), TH_REVOKED, "alert 44 certificate_revoked");
    is_int(th_outcome_from_alert(51), TH_BAD_SIGNATURE, "alert 51 decrypt_error");
    is_int(th_outcome_from_alert(71), TH_NO_SHARED_CIPHER, "alert 71 insufficient_security");
    is_int(th_outcome_from_alert(80), TH_INTERNAL_ERROR, "alert 80 internal_error");
    is_int(th_outcome_from_alert(-1), TH_HANDSHAKE_FAILURE, "a negative alert is generic");
    int all = 1;
    for (int o = 0; o < TH_OUTCOME_COUNT; o++)
        all &= th_outcome_is_certificate((enum th_outcome)o) ==
               (o >= TH_EXPIRED && o <= TH_OCSP_INVALID);
    ok(all, "exactly expired..revoked are certificate outcomes");
    ok(!th_outcome_is_certificate(TH_OK), "ok is not a certificate outcome");
}

int main(void)
{
    test_outcomes();
    test_alerts();
    test_statuses();
    test_more_alerts();
    return done_testing();
}
