/* The NSS backend's translation of the IANA configuration into a model socket's
 * settings (nss_conf.h): one version range, the exact suite list in its order, the
 * group list, the ALPN list in the form NSS keeps it. */
#include "nss_conf.h"

#include <string.h>

#include <ssl.h>
#include <sslexp.h>
#include <sslproto.h>

#include "harness/vocab/util.h"
#include "nss_map.h"

static int fail(struct th_error *err, const char *what)
{
    th_nss_error(err, what);
    return -1;
}

/* NSS takes one contiguous range; the top is cut to the highest version the suite
 * list has a suite for (th_versions_effective), as for OpenSSL. */
int th_nss_conf_versions(PRFileDesc *model, const struct th_tls_config *cfg, struct th_error *err)
{
    unsigned set = th_versions_effective(cfg->versions, cfg->suites, cfg->n_suites);
    SSLVersionRange r = {.min = th_versions_lowest(set), .max = th_versions_highest(set)};
    if (SSL_VersionRangeSet(model, &r) != SECSuccess)
        return fail(err, "SSL_VersionRangeSet");
    return 0;
}

/* Exactly the listed suites, in the listed order: every other one disabled, then
 * the list moved to the front (SSL_CipherSuiteOrderSet: the ClientHello's order, and
 * a server's preference, as NSS servers always pick by their own order). */
int th_nss_conf_suites(PRFileDesc *model, const struct th_tls_config *cfg, struct th_error *err)
{
    if (!cfg->n_suites)
        return 0;
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (!th_nss_suite_known(cfg->suites[i])) {
            const struct th_suite_info *s = th_suite_by_id(cfg->suites[i]);
            th_error_set(err, TH_INTERNAL_ERROR, cfg->suites[i],
                         "suite 0x%04x (%s) is unknown to %s", cfg->suites[i], s ? s->name : "?",
                         th_nss_version());
            return -1;
        }
    const PRUint16 *all = SSL_GetImplementedCiphers();
    for (PRUint16 i = 0; i < SSL_NumImplementedCiphers; i++) {
        int on = 0;
        for (size_t j = 0; j < cfg->n_suites && !on; j++)
            on = cfg->suites[j] == all[i];
        if (SSL_CipherPrefSet(model, all[i], on) != SECSuccess)
            return fail(err, "SSL_CipherPrefSet");
    }
    if (SSL_CipherSuiteOrderSet(model, cfg->suites, (PRUint16)cfg->n_suites) != SECSuccess)
        return fail(err, "SSL_CipherSuiteOrderSet");
    return 0;
}

int th_nss_conf_groups(PRFileDesc *model, const struct th_tls_config *cfg, struct th_error *err)
{
    SSLNamedGroup groups[TH_MAX_GROUPS];
    if (!cfg->n_groups)
        return 0;
    for (size_t i = 0; i < cfg->n_groups; i++) {
        if (!th_nss_group_known(cfg->groups[i])) {
            const struct th_group_info *g = th_group_by_id(cfg->groups[i]);
            th_error_set(err, TH_INTERNAL_ERROR, cfg->groups[i],
                         "group 0x%04x (%s) is not a group %s negotiates", cfg->groups[i],
                         g ? g->name : "?", th_nss_version());
            return -1;
        }
        groups[i] = (SSLNamedGroup)cfg->groups[i];
    }
    if (SSL_NamedGroupConfig(model, groups, (unsigned)cfg->n_groups) != SECSuccess)
        return fail(err, "SSL_NamedGroupConfig");
    return 0;
}

/* SSL_SetNextProtoNego moves the first protocol of its list to the end (NPN's
 * fallback came first): the list is handed over with the last protocol in front, so
 * what NSS keeps, sends (client) and picks from first (server) is the configured
 * order. */
int th_nss_conf_alpn(const struct th_tls_config *cfg, unsigned char *out, size_t cap, unsigned *len,
                     struct th_error *err)
{
    for (size_t k = 0; k < cfg->n_alpn; k++) {
        size_t i = (k + cfg->n_alpn - 1) % cfg->n_alpn;
        size_t n = strlen(cfg->alpn[i]);
        if (n == 0 || n > 255 || *len + 1 + n > cap) {
            TH_FAULT(err, 0, "ALPN protocol '%s' does not fit", cfg->alpn[i]);
            return -1;
        }
        out[(*len)++] = (unsigned char)n;
        memcpy(out + *len, cfg->alpn[i], n);
        *len += (unsigned)n;
    }
    return 0;
}
