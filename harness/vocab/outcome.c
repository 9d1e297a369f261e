#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const outcome_names[TH_OUTCOME_COUNT] = {
    [TH_OK] = "ok",
    [TH_EXPIRED] = "expired",
    [TH_NOT_YET_VALID] = "not_yet_valid",
    [TH_HOSTNAME_MISMATCH] = "hostname_mismatch",
    [TH_UNKNOWN_CA] = "unknown_ca",
    [TH_SELF_SIGNED] = "self_signed",
    [TH_INCOMPLETE_CHAIN] = "incomplete_chain",
    [TH_BAD_SIGNATURE] = "bad_signature",
    [TH_BAD_EKU] = "bad_eku",
    [TH_BAD_KEY_USAGE] = "bad_key_usage",
    [TH_WEAK_KEY] = "weak_key",
    [TH_WEAK_SIGNATURE] = "weak_signature",
    [TH_REVOKED] = "revoked",
    [TH_NAME_CONSTRAINTS] = "name_constraints",
    [TH_PATH_LENGTH] = "path_length",
    [TH_INVALID_CA] = "invalid_ca",
    [TH_UNKNOWN_CRITICAL_EXTENSION] = "unknown_critical_extension",
    [TH_BAD_CERTIFICATE] = "bad_certificate",
    [TH_ANCHOR_UNUSABLE] = "anchor_unusable",
    [TH_OCSP_MISSING] = "ocsp_missing",
    [TH_OCSP_INVALID] = "ocsp_invalid",
    [TH_CERTIFICATE_REQUIRED] = "certificate_required",
    [TH_NO_SHARED_CIPHER] = "no_shared_cipher",
    [TH_PROTOCOL_VERSION] = "protocol_version",
    [TH_HANDSHAKE_FAILURE] = "handshake_failure",
    [TH_BAD_RECORD_MAC] = "bad_record_mac",
    [TH_TRUNCATED] = "truncated",
    [TH_TIMEOUT] = "timeout",
    [TH_IO_ERROR] = "io_error",
    [TH_INTERNAL_ERROR] = "internal_error",
};

const char *th_outcome_name(enum th_outcome o)
{
    return (unsigned)o < TH_OUTCOME_COUNT ? outcome_names[o] : "internal_error";
}

int th_outcome_parse(const char *name, enum th_outcome *out)
{
    for (int i = 0; i < TH_OUTCOME_COUNT; i++) {
        if (strcmp(name, outcome_names[i]) == 0) {
            *out = (enum th_outcome)i;
            return 0;
        }
    }
    return -1;
}

int th_outcome_is_certificate(enum th_outcome o)
{
    return o >= TH_EXPIRED && o <= TH_OCSP_INVALID;
}

enum th_outcome th_outcome_from_alert(int alert)
{
    switch (alert) {
    case 20: /* bad_record_mac */ return TH_BAD_RECORD_MAC;
    case 42: /* bad_certificate: refused without a precise reason */ return TH_HANDSHAKE_FAILURE;
    case 44: /* certificate_revoked */ return TH_REVOKED;
    case 45: /* certificate_expired */ return TH_EXPIRED;
    case 48: /* unknown_ca */ return TH_UNKNOWN_CA;
    case 51: /* decrypt_error: a signature or Finished did not verify */ return TH_BAD_SIGNATURE;
    case 70: /* protocol_version */ return TH_PROTOCOL_VERSION;
    case 71: /* insufficient_security */ return TH_NO_SHARED_CIPHER;
    case 80: /* internal_error */ return TH_INTERNAL_ERROR;
    case 113: /* bad_certificate_status_response: a staple refused */ return TH_OCSP_INVALID;
    case 116: /* certificate_required (TLS 1.3) */ return TH_CERTIFICATE_REQUIRED;
    default: /* handshake_failure (40) and every other alert */ return TH_HANDSHAKE_FAILURE;
    }
}

static const char *const status_names[TH_STATUS_COUNT] = {
    [TH_PASS] = "pass",   [TH_FAIL] = "fail", [TH_XFAIL] = "xfail",
    [TH_XPASS] = "xpass", [TH_SKIP] = "skip", [TH_ERROR] = "error",
};

const char *th_status_name(enum th_status s)
{
    return (unsigned)s < TH_STATUS_COUNT ? status_names[s] : "error";
}

static const char *const staple_names[TH_STAPLE_COUNT] = {
    [TH_STAPLE_NOT_ASKED] = NULL,    [TH_STAPLE_NONE] = "none",
    [TH_STAPLE_GOOD] = "good",       [TH_STAPLE_REVOKED] = "revoked",
    [TH_STAPLE_UNKNOWN] = "unknown", [TH_STAPLE_INVALID] = "invalid",
};

const char *th_staple_name(enum th_staple s)
{
    return (unsigned)s < TH_STAPLE_COUNT ? staple_names[s] : NULL;
}

int th_staple_parse(const char *name, enum th_staple *out)
{
    for (int i = TH_STAPLE_NONE; i < TH_STAPLE_COUNT; i++)
        if (strcmp(name, staple_names[i]) == 0) {
            *out = (enum th_staple)i;
            return 0;
        }
    return -1;
}
