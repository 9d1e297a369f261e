/* The GnuTLS backend's priority strings (gnutls_prio.c): what a configuration enables
 * and the lists it refuses rather than offer something else than asked. */
#include "backends/gnutls_prio.h"
#include "tap.h"

#define V12 TH_VBIT(TH_TLS12)
#define V13 TH_VBIT(TH_TLS13)

static struct th_tls_config config(unsigned versions)
{
    return (struct th_tls_config){.role = TH_ROLE_CLIENT, .versions = versions};
}

/* The suites the cache enables on TLS 1.2 and 1.3, in its order. */
static size_t enabled(gnutls_priority_t prio, uint16_t *out, size_t cap)
{
    size_t n = 0;
    unsigned idx;
    unsigned char id[2];
    for (unsigned i = 0; n < cap; i++) {
        int ret = gnutls_priority_get_cipher_suite_index(prio, i, &idx);
        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (ret >= 0 && gnutls_cipher_suite_info(idx, id, NULL, NULL, NULL, NULL))
            out[n++] = (uint16_t)(id[0] << 8 | id[1]);
    }
    return n;
}

static void test_accepted(void)
{
    struct th_error e = {0};
    gnutls_priority_t prio;
    unsigned v = 0;
    struct th_tls_config cfg = config(V12 | V13);
    ok(th_gnutls_priority(&cfg, &prio, &v, &e) == 0 && prio, "library defaults: accepted");
    is_int(v, V12 | V13, "library defaults: the versions asked");
    gnutls_priority_deinit(prio);

    uint16_t got[64];
    cfg.suites[0] = 0xC02F;
    cfg.suites[1] = 0xC030;
    cfg.n_suites = 2;
    if (ok(th_gnutls_priority(&cfg, &prio, &v, &e) == 0, "two ECDHE-RSA suites: %s", e.text)) {
        size_t n = enabled(prio, got, 64);
        ok(n >= 2 && got[0] == 0xC02F && got[1] == 0xC030, "in the order asked");
        is_int(v, V12, "TLS 1.3 cut: none of its suites listed");
        gnutls_priority_deinit(prio);
    }
    cfg = config(V12 | V13);
    cfg.groups[0] = 0x0017;
    cfg.n_groups = 1;
    ok(th_gnutls_priority(&cfg, &prio, &v, &e) == 0, "one group: accepted");
    gnutls_priority_deinit(prio);
}

static void expect_refused(const struct th_tls_config *cfg, const char *needle, const char *what)
{
    struct th_error e = {0};
    gnutls_priority_t prio = (gnutls_priority_t)&e; /* must come back NULL */
    unsigned v = 0;
    is_int(th_gnutls_priority(cfg, &prio, &v, &e), -1, "%s: refused", what);
    ok(prio == NULL, "%s: no priority cache left", what);
    is_int(e.outcome, TH_INTERNAL_ERROR, "%s: internal_error", what);
    ok(strstr(e.text, needle) != NULL, "%s: says why: '%s'", what, e.text);
}

static void test_refused(void)
{
    struct th_tls_config cfg = config(V12 | V13);
    cfg.suites[0] = 0xFFFF;
    cfg.n_suites = 1;
    expect_refused(&cfg, "is not one GnuTLS can run here", "an unknown suite");
    cfg.suites[0] = 0x00A8; /* PSK */
    expect_refused(&cfg, "is not one GnuTLS can run here", "a PSK suite");
    /* RSA+AES-128 with ECDHE+AES-256: GnuTLS would enable all four combinations */
    cfg.suites[0] = 0x009C;
    cfg.suites[1] = 0xC030;
    cfg.n_suites = 2;
    expect_refused(&cfg, "cannot pin this exact suite list", "a list with no priority string");
    cfg = config(V12 | V13);
    cfg.groups[0] = 0x9999;
    cfg.n_groups = 1;
    expect_refused(&cfg, "group 0x9999 is unknown to this backend", "an unknown group");
}

int main(void)
{
    if (!ok(gnutls_global_init() == 0, "GnuTLS initialises"))
        return done_testing();
    test_accepted();
    test_refused();
    gnutls_global_deinit();
    return done_testing();
}
