/* The GnuTLS backend's configuration in one priority string (gnutls_prio.h): the
 * versions, suites and groups of a struct th_tls_config, named as GnuTLS's priority
 * strings name them, and refused when GnuTLS would enable something else. */
#include "gnutls_prio.h"

#include <stdio.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "gnutls_map.h"

static void prio_add(char *buf, size_t cap, const char *item)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, ":%s", item);
}

/* Add "+NAME" once, keeping the order of first mention. */
static void prio_add_once(char *buf, size_t cap, const char *name)
{
    char item[64];
    snprintf(item, sizeof(item), "+%s", name);
    size_t len = strlen(item);
    for (const char *p = strstr(buf, item); p; p = strstr(p + 1, item))
        if (p[-1] == ':' && (p[len] == ':' || p[len] == '\0'))
            return;
    prio_add(buf, cap, item);
}

TH_MUST_CHECK static int add_suites(char *buf, size_t cap, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    prio_add(buf, cap, "-KX-ALL:-CIPHER-ALL:-MAC-ALL");
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < cfg->n_suites; i++) {
            const struct th_gnutls_suite *a = th_gnutls_suite(cfg->suites[i]);
            if (!a || !th_gnutls_suite_usable(cfg->suites[i])) {
                th_error_set(err, TH_INTERNAL_ERROR, cfg->suites[i],
                             "suite 0x%04x is not one GnuTLS can run here (unknown, or "
                             "PSK/anonymous/NULL)",
                             cfg->suites[i]);
                return -1;
            }
            if (pass == 0 && a->kx != GNUTLS_KX_UNKNOWN)
                prio_add_once(buf, cap, gnutls_kx_get_name(a->kx));
            else if (pass == 1)
                prio_add_once(buf, cap, gnutls_cipher_get_name(a->cipher));
            else if (pass == 2)
                prio_add_once(buf, cap, gnutls_mac_get_name(a->mac));
        }
    }
    return 0;
}

TH_MUST_CHECK static int add_groups(char *buf, size_t cap, const struct th_tls_config *cfg,
                                    struct th_error *err)
{
    if (!cfg->n_groups)
        return 0;
    prio_add(buf, cap, "-GROUP-ALL");
    for (size_t i = 0; i < cfg->n_groups; i++) {
        gnutls_group_t g = th_gnutls_group_from_iana(cfg->groups[i]);
        if (g == GNUTLS_GROUP_INVALID) {
            th_error_set(err, TH_INTERNAL_ERROR, cfg->groups[i],
                         "group 0x%04x is unknown to this backend", cfg->groups[i]);
            return -1;
        }
        char item[64];
        snprintf(item, sizeof(item), "+GROUP-%s", gnutls_group_get_name(g));
        prio_add(buf, cap, item);
    }
    return 0;
}

/* The suites the priority cache enables, in its order, on the versions it offers. */
static size_t prio_suites(gnutls_priority_t prio, unsigned versions, uint16_t *out, size_t cap)
{
    size_t n = 0;
    unsigned idx;
    unsigned char id[2];
    for (unsigned i = 0; n < cap; i++) {
        int ret = gnutls_priority_get_cipher_suite_index(prio, i, &idx);
        if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (ret < 0 || !gnutls_cipher_suite_info(idx, id, NULL, NULL, NULL, NULL))
            continue;
        const struct th_suite_info *s = th_suite_by_id((uint16_t)(id[0] << 8 | id[1]));
        if (s && (th_suite_versions(s) & versions))
            out[n++] = s->id;
    }
    return n;
}

/* GnuTLS orders suites by key exchange, then cipher, then MAC, and enables every
 * combination of the algorithms named: some lists (RSA+AES-128 with ECDHE+AES-256,
 * or ECDHE before RSA then RSA before ECDHE) have no priority string. Refuse those
 * rather than offer something else than asked. */
TH_MUST_CHECK static int check_suites(gnutls_priority_t prio, const struct th_tls_config *cfg,
                                      unsigned versions, struct th_error *err)
{
    uint16_t got[TH_MAX_SUITES], want[TH_MAX_SUITES];
    size_t n_got = prio_suites(prio, versions, got, TH_MAX_SUITES), n_want = 0;
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
        if (s && (th_suite_versions(s) & versions))
            want[n_want++] = s->id;
    }
    if (n_got == n_want && memcmp(got, want, n_got * sizeof(got[0])) == 0)
        return 0;
    th_error_set(err, TH_INTERNAL_ERROR, GNUTLS_E_INVALID_REQUEST,
                 "GnuTLS cannot pin this exact suite list: its priority strings enable every "
                 "kx x cipher x MAC combination, ordered by kx (%zu suites enabled, %zu asked)",
                 n_got, n_want);
    return -1;
}

int th_gnutls_priority(const struct th_tls_config *cfg, gnutls_priority_t *prio,
                       unsigned *versions_out, struct th_error *err)
{
    char buf[2048] = "NORMAL";
    *prio = NULL;
    /* A priority string enables kx x cipher x mac, and a TLS 1.3 suite needs only its
     * cipher and mac: a list of TLS 1.2 suites alone would also enable the TLS 1.3
     * suite of the same cipher, so the top version is cut as in the OpenSSL backend. */
    unsigned versions = th_versions_effective(cfg->versions, cfg->suites, cfg->n_suites);
    *versions_out = versions;
    /* NORMAL still allows TLS 1.1 and 1.0: always name the exact range. */
    prio_add(buf, sizeof(buf), "-VERS-ALL");
    for (uint16_t v = TH_TLS13; v >= TH_TLS10; v--)
        if (versions & TH_VBIT(v)) {
            char item[32];
            snprintf(item, sizeof(item), "+%s", th_gnutls_version_keyword(v));
            prio_add(buf, sizeof(buf), item);
        }
    if (cfg->n_suites)
        TH_GUARD(add_suites(buf, sizeof(buf), cfg, err));
    TH_GUARD(add_groups(buf, sizeof(buf), cfg, err));
    if (cfg->role == TH_ROLE_SERVER && cfg->prefer_server_order)
        prio_add(buf, sizeof(buf), "%SERVER_PRECEDENCE");
    const char *where = NULL;
    int ret = gnutls_priority_init2(prio, buf, &where, 0);
    if (ret < 0) {
        *prio = NULL;
        th_error_set(err, TH_INTERNAL_ERROR, ret, "priority string '%s' refused at '%s': %s", buf,
                     where ? where : "?", gnutls_strerror(ret));
        return -1;
    }
    if (cfg->n_suites && check_suites(*prio, cfg, versions, err) != 0) {
        gnutls_priority_deinit(*prio);
        *prio = NULL;
        return -1;
    }
    return 0;
}
