#include "iana.h"

#include <string.h>

static const struct th_suite_info suites[] = {
#include "iana_suites.inc"
};

static const struct th_group_info groups[] = {
    {0x0017, "secp256r1"},
    {0x0018, "secp384r1"},
    {0x0019, "secp521r1"},
    {0x001D, "x25519"},
    {0x001E, "x448"},
    {0x0100, "ffdhe2048"},
    {0x0101, "ffdhe3072"},
    {0x0102, "ffdhe4096"},
    {0x0103, "ffdhe6144"},
    {0x0104, "ffdhe8192"},
    {0x001A, "brainpoolP256r1"},
    {0x001B, "brainpoolP384r1"},
    {0x001C, "brainpoolP512r1"},
};

const struct th_suite_info *th_suite_by_id(uint16_t id)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (suites[i].id == id)
            return &suites[i];
    return NULL;
}

const struct th_suite_info *th_suite_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    return NULL;
}

size_t th_suite_count(void)
{
    return sizeof(suites) / sizeof(suites[0]);
}

const struct th_suite_info *th_suite_at(size_t i)
{
    return i < th_suite_count() ? &suites[i] : NULL;
}

unsigned th_suite_versions(const struct th_suite_info *s)
{
    if (s->min_version == TH_TLS13)
        return TH_VBIT(TH_TLS13);
    unsigned set = 0;
    for (uint16_t v = s->min_version; v <= TH_TLS12; v++)
        set |= TH_VBIT(v);
    return set;
}

const struct th_group_info *th_group_by_id(uint16_t id)
{
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (groups[i].id == id)
            return &groups[i];
    return NULL;
}

const struct th_group_info *th_group_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (strcmp(groups[i].name, name) == 0)
            return &groups[i];
    return NULL;
}

static const char *const version_names[] = {"1.0", "1.1", "1.2", "1.3"};

int th_version_parse(const char *s, uint16_t *out)
{
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(s, version_names[i]) == 0) {
            *out = (uint16_t)(TH_TLS10 + i);
            return 0;
        }
    }
    return -1;
}

const char *th_version_name(uint16_t v)
{
    return v >= TH_TLS10 && v <= TH_TLS13 ? version_names[v - TH_TLS10] : "unknown";
}

uint16_t th_versions_lowest(unsigned set)
{
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (set & TH_VBIT(v))
            return v;
    return 0;
}

uint16_t th_versions_highest(unsigned set)
{
    for (uint16_t v = TH_TLS13; v >= TH_TLS10; v--)
        if (set & TH_VBIT(v))
            return v;
    return 0;
}

/* OpenSSL's client refuses to start ("No ciphers enabled for max supported SSL/TLS
 * version") when its top version has no suite in the list, and a GnuTLS priority
 * string naming TLS 1.2 suites also enables the TLS 1.3 suite of the same cipher;
 * offering only 1.2 suites means offering at most 1.2 anyway. Only the top is cut:
 * lower versions without a suite stay offered, so a mismatch still reads as
 * no_shared_cipher. No overlap at all is left for the handshake to report. */
unsigned th_versions_effective(unsigned versions, const uint16_t *list, size_t n_list)
{
    unsigned runnable = 0;
    for (size_t i = 0; i < n_list; i++) {
        const struct th_suite_info *s = th_suite_by_id(list[i]);
        runnable |= s ? th_suite_versions(s) : 0;
    }
    uint16_t top = th_versions_highest(versions & runnable);
    if (!n_list || !top)
        return versions;
    return versions & (TH_VBIT(top) | (TH_VBIT(top) - 1));
}
