/* OCSP stapling on the real fixtures (harness/fixture/): every installed fixture
 * that claims TH_CAP_OCSP_STAPLE is started with the test PKI's ocsp-good response
 * and `openssl s_client -status` must see it stapled (successful, good) at each of
 * TLS 1.2 and 1.3 the fixture has, and nothing stapled when none is configured; the
 * revoked leaf with ocsp-revoked must show revoked. A fixture that does not claim it
 * must refuse a configuration with a response (a skip reason), not start and
 * silently staple nothing. The pool keeps a server with a response apart from the
 * same server without. What each server does with a revoked or stale response or
 * one for another certificate is its own behaviour (a finding the scenarios
 * declare), not the fixture code's: pinned here per server (served_as[]), so a change
 * in a server shows; a fixture not in the table only gets a note. */
#include "fixturedrive.h"

#include <sys/wait.h>

/* The staple each server sends (at TLS 1.2) for a response it might not pass on as
 * it is, as seen with nginx 1.22.1, lighttpd 1.4.69 on OpenSSL 3.0, GnuTLS 3.7 and
 * NSS 3.87 (Debian 12). */
static const struct {
    const char *fixture, *resp, *staple;
} served_as[] = {
    {"nginx", "ocsp-revoked", "revoked"},
    {"nginx", "ocsp-expired", "good"},
    {"nginx", "ocsp-other-cert", "good"},
    {"lighttpd-openssl", "ocsp-revoked", "revoked"},
    {"lighttpd-openssl", "ocsp-expired", "none"}, /* lighttpd drops a stale one */
    {"lighttpd-openssl", "ocsp-other-cert", "good"},
    /* mod_gnutls sends only a current response that says good for this leaf */
    {"lighttpd-gnutls", "ocsp-revoked", "none"},
    {"lighttpd-gnutls", "ocsp-expired", "none"},
    {"lighttpd-gnutls", "ocsp-other-cert", "none"},
    {"lighttpd-nss", "ocsp-revoked", "revoked"},
    {"lighttpd-nss", "ocsp-expired", "good"},
    {"lighttpd-nss", "ocsp-other-cert", "good"},
};

static const char *seen_for(const char *fixture, const char *resp)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(served_as); i++)
        if (!strcmp(served_as[i].fixture, fixture) && !strcmp(served_as[i].resp, resp))
            return served_as[i].staple;
    return NULL;
}

static char ocsp_good[256], ocsp_revoked[256];

/* What `openssl s_client -status` printed about the staple, at one version
 * ("-tls1_2"/"-tls1_3"): "good", "revoked", "none" (no response sent), or
 * "other" with the line into note. */
static const char *staple_seen(uint16_t port, const char *ver, char *note, size_t cap)
{
    char cmd[512], line[512];
    snprintf(cmd, sizeof cmd,
             "openssl s_client -connect 127.0.0.1:%u -servername localhost %s -status "
             "-CAfile '%s' </dev/null 2>&1",
             (unsigned)port, ver, root_pem);
    FILE *p = popen(cmd, "r");
    int successful = 0;
    const char *seen = "other";
    snprintf(note, cap, "(no OCSP lines)");
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        if (strstr(line, "OCSP response: no response sent"))
            seen = "none";
        if (strstr(line, "OCSP Response Status: successful"))
            successful = 1;
        if (strstr(line, "Cert Status:")) {
            snprintf(note, cap, "%s", line);
            seen = strstr(line, "good") ? "good" : strstr(line, "revoked") ? "revoked" : "other";
        }
        if (strstr(line, "OCSP Response Status:") && !successful)
            snprintf(note, cap, "%s", line);
    }
    if (p)
        pclose(p);
    if (strcmp(seen, "none") != 0 && !successful)
        seen = "other";
    return seen;
}

static struct th_fixture *start(const struct th_fixture_def *d, struct th_tls_config *s,
                                const char *what)
{
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    if (!ok(th_fixture_start(d, s, fxroot, 10, &f, &err) == 0, "%s: starts %s", d->name, what))
        printf("#   %s\n", err.text);
    return f;
}

/* The staple at every version of 1.2 and 1.3 the fixture has. */
static void expect_staple(const struct th_fixture_def *d, struct th_fixture *f, const char *want,
                          const char *what)
{
    struct th_caps c;
    d->caps(&c);
    static const struct {
        uint16_t v;
        const char *flag;
    } vers[] = {{TH_TLS12, "-tls1_2"}, {TH_TLS13, "-tls1_3"}};
    for (size_t i = 0; i < TH_ARRAY_LEN(vers); i++) {
        char note[512];
        if (!(c.versions & TH_VBIT(vers[i].v)))
            continue;
        const char *got = staple_seen(th_fixture_port(f), vers[i].flag, note, sizeof note);
        if (!ok(strcmp(got, want) == 0, "%s: %s at %s: staple %s", d->name, what,
                th_version_name(vers[i].v), want))
            printf("#   saw %s: %s\n", got, note);
    }
}

/* What the server makes of a response it might not pass on as it is (leaf: the
 * leaf the response is about, else rsa2048), against served_as[]. */
static void check_behaviour(const struct th_fixture_def *d, const char *leaf, const char *resp)
{
    char file[256], chain[256], key[256], note[512];
    snprintf(file, sizeof file, "%s/%s.der", pkidir, resp);
    snprintf(chain, sizeof chain, "%s/%s.chain.pem", pkidir, leaf);
    snprintf(key, sizeof key, "%s/%s.key.pem", pkidir, leaf);
    struct th_tls_config s = server_cfg(d, chain, key);
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    const char *want = seen_for(d->name, resp);
    s.ocsp_file = file;
    if (!ok(th_fixture_start(d, &s, fxroot, 10, &f, &err) == 0, "%s: starts with pki:%s", d->name,
            resp)) {
        printf("#   %s\n", err.text);
        return;
    }
    const char *got = staple_seen(th_fixture_port(f), "-tls1_2", note, sizeof note);
    if (!want)
        printf("# note: %s with pki:%s staples: %s (%s)\n", d->name, resp, got, note);
    else if (!ok(strcmp(got, want) == 0, "%s: with pki:%s it staples %s (its own way)", d->name,
                 resp, want))
        printf("#   saw %s: %s\n", got, note);
    th_fixture_stop(f);
}

static void check_stapling(const struct th_fixture_def *d)
{
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    struct th_fixture *f;
    s.ocsp_file = ocsp_good;
    if ((f = start(d, &s, "with pki:ocsp-good"))) {
        expect_staple(d, f, "good", "ocsp-good");
        th_fixture_stop(f);
    }
    s.ocsp_file = NULL;
    if ((f = start(d, &s, "without a response"))) {
        expect_staple(d, f, "none", "no response configured");
        th_fixture_stop(f);
    }
    /* the must-staple leaf: lighttpd starts without a response, only warning
     * ("marked OCSP Must-Staple, but ssl.stapling-file not provided") */
    char ms_chain[256], ms_key[256], ms_ocsp[256];
    snprintf(ms_chain, sizeof ms_chain, "%s/must-staple.chain.pem", pkidir);
    snprintf(ms_key, sizeof ms_key, "%s/must-staple.key.pem", pkidir);
    snprintf(ms_ocsp, sizeof ms_ocsp, "%s/ocsp-must-staple.der", pkidir);
    s = server_cfg(d, ms_chain, ms_key);
    if ((f = start(d, &s, "pki:must-staple without a response"))) {
        expect_staple(d, f, "none", "must-staple, no response");
        th_fixture_stop(f);
    }
    s.ocsp_file = ms_ocsp;
    if ((f = start(d, &s, "pki:must-staple with pki:ocsp-must-staple"))) {
        expect_staple(d, f, "good", "must-staple, ocsp-must-staple");
        th_fixture_stop(f);
    }
    check_behaviour(d, "revoked", "ocsp-revoked");
    check_behaviour(d, "rsa2048", "ocsp-expired");
    check_behaviour(d, "rsa2048", "ocsp-other-cert");
}

/* A fixture without the cap: the configuration is refused with a reason, and the
 * same one without a response is fine (the reason is the response's). */
static void check_refused(const struct th_fixture_def *d)
{
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    char why[512];
    ok(th_fixture_unsupported(d, &s, why, sizeof why) == NULL, "%s: fine without a response",
       d->name);
    s.ocsp_file = ocsp_good;
    const char *r = th_fixture_unsupported(d, &s, why, sizeof why);
    if (ok(r && strstr(r, "OCSP"), "%s: a response to staple is refused with a reason", d->name))
        printf("#   %s\n", r);
    struct th_fixture *f = NULL;
    struct th_error err = {0};
    ok(th_fixture_start(d, &s, fxroot, 10, &f, &err) != 0 && !f && strstr(err.text, "OCSP"),
       "%s: ... and start refuses it the same way", d->name);
}

/* Pool identity: the same server with and without a response are two instances. */
static void check_pool(const struct th_fixture_def *d)
{
    struct th_fixture_pool *p = th_fixture_pool_new(fxroot, 2);
    struct th_tls_config a = server_cfg(d, rsa_chain, rsa_key), b = a;
    char copy[256];
    struct th_fixture *fa = NULL, *fb = NULL, *fb2 = NULL;
    struct th_error err = {0};
    b.ocsp_file = ocsp_good;
    if (!ok(th_fixture_pool_get(p, d, &a, 10, &fa, &err) == 0, "pool: %s without a response",
            d->name))
        printf("#   %s\n", err.text);
    ok(th_fixture_pool_get(p, d, &b, 10, &fb, &err) == 0 && fb && fb != fa &&
           th_fixture_pool_running(p) == 2,
       "pool: with a response it is another instance");
    snprintf(copy, sizeof copy, "%s", ocsp_good); /* equal by value, not by pointer */
    b.ocsp_file = copy;
    ok(th_fixture_pool_get(p, d, &b, 10, &fb2, &err) == 0 && fb2 == fb &&
           th_fixture_pool_running(p) == 2,
       "pool: the same response shares it");
    char note[512];
    if (fb)
        is_str(staple_seen(th_fixture_port(fb), "-tls1_2", note, sizeof note), "good",
               "pool: the instance with the response staples it");
    th_fixture_pool_free(p);
}

int main(void)
{
    if (fxd_begin() == 0) {
        snprintf(ocsp_good, sizeof ocsp_good, "%s/ocsp-good.der", pkidir);
        snprintf(ocsp_revoked, sizeof ocsp_revoked, "%s/ocsp-revoked.der", pkidir);
        ok(access(ocsp_good, R_OK) == 0 && access(ocsp_revoked, R_OK) == 0,
           "the PKI has its OCSP responses");
        const char *only = getenv("TH_FIXTURE_ONLY");
        const struct th_fixture_def *pool_def = NULL;
        for (size_t i = 0; th_fixtures[i]; i++) {
            const struct th_fixture_def *d = th_fixtures[i];
            struct th_caps c;
            char why[512];
            if (only && strcmp(only, d->name) != 0)
                continue;
            d->caps(&c);
            if (!(c.features & TH_CAP_OCSP_STAPLE)) {
                check_refused(d);
                continue;
            }
            const char *missing = th_fixture_missing(d, why, sizeof why);
            if (missing) {
                printf("ok %d # skip %s: %s\n", ++tap_n, d->name, missing);
                continue;
            }
            check_stapling(d);
            if (!pool_def)
                pool_def = d;
        }
        if (pool_def)
            check_pool(pool_def);
        else
            printf("ok %d # skip pool: no stapling fixture installed\n", ++tap_n);
        is_int(folders_left(), 0, "every fixture stopped and cleaned up");
    }
    return fxd_end();
}
