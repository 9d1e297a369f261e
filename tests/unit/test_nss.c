/* The NSS backend against itself and against the OpenSSL backend (both directions):
 * real handshakes over the in-memory pair with the generated test PKI. Negative
 * cases first-class: every refusal must map to the right outcome and keep NSS's own
 * code and text (SEC_ERROR_* / SSL_ERROR_* names). */
#include "pairdrive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/util.h"

extern const struct th_backend th_backend_nss;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_nss;
static const struct th_backend *const OSSL = &th_backend_openssl;

/* The three pairs every case runs on: NSS both ends, NSS client, NSS server. */
static const struct th_backend *const pairs[3][2] = {{&th_backend_nss, &th_backend_nss},
                                                     {&th_backend_nss, &th_backend_openssl},
                                                     {&th_backend_openssl, &th_backend_nss}};

static const char *pair_name(int p)
{
    static const char *const names[] = {"nss-nss", "nss-openssl", "openssl-nss"};
    return names[p];
}

static int has(const uint16_t *ids, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* The native text names NSS's error (PR_ErrorToName): SEC_ERROR_* or SSL_ERROR_*. */
static void nss_named(const struct th_error *e, const char *what)
{
    ok(strstr(e->text, "_ERROR_") != NULL, "%s: NSS's error name in '%s'", what, e->text);
}

/* ---- identity ---- */

static void test_caps(void)
{
    struct th_caps caps;
    B->caps(&caps);
    ok(has(caps.suites, caps.n_suites, 0x1301) && has(caps.suites, caps.n_suites, 0x1303) &&
           has(caps.suites, caps.n_suites, 0xC02F) && has(caps.suites, caps.n_suites, 0x009C),
       "caps: TLS 1.3, ECDHE and RSA suites (%zu)", caps.n_suites);
    ok(!has(caps.suites, caps.n_suites, 0x0001) && !has(caps.suites, caps.n_suites, 0x003B),
       "caps: no NULL-cipher suites");
    ok(has(caps.groups, caps.n_groups, 0x001D) && has(caps.groups, caps.n_groups, 0x0100) &&
           !has(caps.groups, caps.n_groups, 0x001E),
       "caps: x25519 and ffdhe2048, no x448");
    is_int(caps.roles, TH_ROLE_CLIENT | TH_ROLE_SERVER, "caps: both roles");
    is_int(caps.versions, TH_VERSIONS_ALL, "caps: TLS 1.0-1.3");
    ok((caps.features & TH_CAP_SERVER_ORDER) && !(caps.features & TH_CAP_CLIENT_ORDER),
       "caps: server order only");
    ok(strncmp(B->version(), "NSS 3.", 6) == 0, "version is '%s'", B->version());
}

/* ---- negotiation ---- */

static void expect_negotiated(int p, unsigned versions, uint16_t suite, uint16_t group,
                              uint16_t want_version, uint16_t want_group)
{
    struct run r;
    const char *leaf = suite == 0xC02B || suite == 0xCCA9 ? "ecdsa-p256" : "rsa2048";
    run_init2(&r, leaf, pairs[p][0], pairs[p][1]);
    r.ccfg.versions = r.scfg.versions = versions;
    r.ccfg.suites[0] = r.scfg.suites[0] = suite;
    r.ccfg.n_suites = r.scfg.n_suites = 1;
    expect_pinned(&r, leaf, suite, group, want_version, want_group);
}

static void test_negotiation(int p)
{
    struct run r;
    char what[64];
    snprintf(what, sizeof(what), "%s defaults", pair_name(p));
    run_init2(&r, "rsa2048", pairs[p][0], pairs[p][1]);
    if (handshake(&r) == 0) {
        check_ok(&r, what);
        is_int(r.cneg.version, TH_TLS13, "%s: TLS 1.3", what);
        is_int(r.cneg.group, 0x001D, "%s: x25519", what);
        ok(r.cneg.alpn[0] == '\0' && !r.cneg.resumed, "%s: no ALPN, not resumed", what);
    }
    run_free(&r);
    expect_negotiated(p, V13, 0x1301, 0x0017, TH_TLS13, 0x0017);
    expect_negotiated(p, V13, 0x1302, 0x0018, TH_TLS13, 0x0018);
    expect_negotiated(p, V13, 0x1303, 0x0100, TH_TLS13, 0x0100);
    expect_negotiated(p, V12, 0xC02F, 0x001D, TH_TLS12, 0x001D);
    expect_negotiated(p, V12, 0xC030, 0x0019, TH_TLS12, 0x0019);
    expect_negotiated(p, V12, 0xCCA8, 0, TH_TLS12, 0x001D);
    expect_negotiated(p, V12, 0xC02B, 0x0017, TH_TLS12, 0x0017);
    /* DHE: an NSS client lists no finite-field group below TLS 1.3; an NSS server
     * then sends ffdhe2048, which an NSS client names, OpenSSL's parameters it does
     * not (and an OpenSSL client names none in TLS 1.2) */
    if (p < 2)
        expect_negotiated(p, V12, 0x009E, 0, TH_TLS12, p == 0 ? 0x0100 : 0);
    expect_negotiated(p, V12, 0x009C, 0, TH_TLS12, 0);           /* RSA key transport */
    expect_negotiated(p, V12, 0xC013, 0x0017, TH_TLS12, 0x0017); /* CBC */
}

/* Every suite NSS claims, NSS against itself, on the highest version it runs on. */
static void test_every_suite(void)
{
    struct th_caps caps;
    B->caps(&caps);
    size_t good = 0;
    for (size_t i = 0; i < caps.n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(caps.suites[i]);
        struct run r;
        const char *leaf = !strcmp(s->auth, "ECDSA") ? "ecdsa-p256" : "rsa2048";
        unsigned v = th_suite_versions(s) & TH_VERSIONS_ALL;
        run_init2(&r, leaf, B, B);
        r.ccfg.versions = r.scfg.versions = TH_VBIT(th_versions_highest(v));
        r.ccfg.suites[0] = r.scfg.suites[0] = caps.suites[i];
        r.ccfg.n_suites = r.scfg.n_suites = 1;
        if (handshake(&r) == 0 && r.cst == TH_STEP_DONE && r.cneg.suite == caps.suites[i])
            good++;
        else
            printf("#   %s: %s / %s\n", s->name, r.cerr.text, r.serr.text);
        run_free(&r);
    }
    is_int(good, caps.n_suites, "every suite claimed negotiates (%zu)", caps.n_suites);
}

static void test_versions(int p)
{
    const struct th_backend *cb = pairs[p][0], *sb = pairs[p][1];
    expect_old_version(cb, sb, V10, TH_VERSIONS_ALL, TH_TLS10, "TLS 1.0 when asked");
    expect_old_version(cb, sb, V11, V11, TH_TLS11, "TLS 1.1 both");
    expect_old_version(cb, sb, V12 | V13, V11, 0, "default client vs 1.1 server");
    expect_no_overlap(cb, sb, V13, 0, V12, 0, TH_PROTOCOL_VERSION, "client 1.3 vs server 1.2");
    expect_no_overlap(cb, sb, V12, 0, V13, 0, TH_PROTOCOL_VERSION, "client 1.2 vs server 1.3");
    expect_no_overlap(cb, sb, V13, 0x1301, V13, 0x1302, TH_NO_SHARED_CIPHER,
                      "TLS 1.3 no shared suite");
    expect_no_overlap(cb, sb, V12, 0xC02F, V12, 0xC030, TH_NO_SHARED_CIPHER,
                      "TLS 1.2 no shared suite");
}

static void test_server_order(void)
{
    struct run r;
    run_init2(&r, "rsa2048", OSSL, B);
    r.ccfg.versions = r.scfg.versions = V12;
    r.ccfg.suites[0] = r.scfg.suites[1] = 0xC02F;
    r.ccfg.suites[1] = r.scfg.suites[0] = 0xC030;
    r.ccfg.n_suites = r.scfg.n_suites = 2;
    r.scfg.prefer_server_order = 1;
    r.ccfg.suites[0] = 0xC02F;
    r.ccfg.suites[1] = 0xC030;
    if (handshake(&r) == 0) {
        check_ok(&r, "server order");
        is_int(r.cneg.suite, 0xC030, "server order: the NSS server's first");
    }
    run_free(&r);
}

/* ---- certificates ---- */

static void expect_cert(int p, const char *leaf, const char *host, int crl, enum th_outcome want)
{
    char what[128];
    snprintf(what, sizeof(what), "%s: %s as %s%s", pair_name(p), leaf, host,
             crl ? " with CRL" : "");
    expect_cert_what(pairs[p][0], pairs[p][1], leaf, host, crl, want, what);
}

/* The NSS client's verdicts (its server: NSS, then OpenSSL). */
static void test_certificates(int p)
{
    expect_cert(p, "rsa2048", "localhost", 1, TH_OK);
    expect_cert(p, "rsa2048", "127.0.0.1", 0, TH_OK);
    expect_cert(p, "rsa2048", "::1", 0, TH_OK);
    expect_cert(p, "rsa2048", "127.0.0.2", 0, TH_HOSTNAME_MISMATCH);
    expect_cert(p, "rsa2048", "example.com", 0, TH_HOSTNAME_MISMATCH);
    expect_cert(p, "wrong-host", "localhost", 0, TH_HOSTNAME_MISMATCH);
    expect_cert(p, "expired", "localhost", 0, TH_EXPIRED);
    expect_cert(p, "not-yet-valid", "localhost", 0, TH_NOT_YET_VALID);
    expect_cert(p, "self-signed", "localhost", 0, TH_SELF_SIGNED);
    expect_cert(p, "no-intermediate", "localhost", 0, TH_INCOMPLETE_CHAIN);
    expect_cert(p, "bad-eku", "localhost", 0, TH_BAD_EKU);
    expect_cert(p, "bad-signature", "localhost", 0, TH_BAD_SIGNATURE);
    expect_cert(p, "revoked", "localhost", 0, TH_OK);
    expect_cert(p, "revoked", "localhost", 1, TH_REVOKED);
}

/* ---- resumption ---- */

static void expect_resume(int p, unsigned versions, int tickets, int cache, enum th_resume ask,
                          int want, const char *what)
{
    struct run r;
    struct th_error e = {0};
    char name[96];
    snprintf(name, sizeof(name), "%s: %s", pair_name(p), what);
    run_init2(&r, "rsa2048", pairs[p][0], pairs[p][1]);
    r.ccfg.versions = r.scfg.versions = versions;
    r.ccfg.resume = ask;
    r.scfg.tickets = tickets;
    r.scfg.session_cache = cache;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, name);
    ok(transfer(&r, 1, "hello", &e) == 0, "%s: data arrives", name);
    struct th_session *sess = r.cb->session_get(r.c);
    ok(want ? sess != NULL : 1, "%s: a session to resume", name);
    disconnect(&r);
    for (int i = 0; i < 2 && connect_pair(&r, sess) == 0; i++) {
        check_ok(&r, name);
        is_int(r.cneg.resumed, want, "%s: client says resumed (%d)", name, i + 1);
        is_int(r.sneg.resumed, want, "%s: server says resumed (%d)", name, i + 1);
        disconnect(&r);
    }
    r.cb->session_free(sess);
out:
    run_free(&r);
}

static void test_resumption(int p)
{
    expect_resume(p, V13, 1, 1, TH_RESUME_TICKET, 1, "TLS 1.3 ticket");
    expect_resume(p, V12, 1, 0, TH_RESUME_TICKET, 1, "TLS 1.2 ticket");
    expect_resume(p, V12, 0, 1, TH_RESUME_SESSION_ID, 1, "TLS 1.2 session id");
    expect_resume(p, V12, 0, 0, TH_RESUME_SESSION_ID, 0, "TLS 1.2 nothing to resume");
}

/* ---- ALPN ---- */

static void test_alpn(int p)
{
    static const char *const client[] = {"http/1.1", "h2"};
    static const char *const server[] = {"h2", "http/1.1"};
    expect_alpn(pairs[p][0], pairs[p][1], client, 2, server, 2, "h2");
    expect_alpn(pairs[p][0], pairs[p][1], client, 2, NULL, 0, "");
    expect_alpn(pairs[p][0], pairs[p][1], server, 2, client, 2, "http/1.1");
}

/* NSS's server cannot decline ALPN: with no protocol in common it aborts with
 * no_application_protocol (120), whatever the callback. */
static void test_alpn_mismatch(void)
{
    static const char *const client[] = {"h2"};
    static const char *const server[] = {"http/1.1"};
    struct run r;
    run_init2(&r, "rsa2048", OSSL, B);
    set_alpn(&r, client, 1, server, 1);
    expect_server_fails(&r, TH_HANDSHAKE_FAILURE, "ALPN mismatch: NSS server aborts");
}

/* ---- the record layer ---- */

static void test_close(int p)
{
    struct run r;
    run_init2(&r, "rsa2048", pairs[p][0], pairs[p][1]);
    if (handshake(&r) != 0)
        goto out;
    close_server_first(&r);
    disconnect(&r);
    if (connect_pair(&r, NULL) != 0)
        goto out;
    close_client_first(&r);
    disconnect(&r);
    if (connect_pair(&r, NULL) != 0)
        goto out;
    close_truncated(&r);
out:
    run_free(&r);
}

/* ---- KeyUpdate ---- */

static void test_key_update(int p)
{
    struct run r;
    struct th_error e = {0};
    char what[64];
    snprintf(what, sizeof(what), "%s KeyUpdate", pair_name(p));
    run_init2(&r, "rsa2048", pairs[p][0], pairs[p][1]);
    r.ccfg.versions = r.scfg.versions = V13;
    if (handshake(&r) != 0)
        goto out;
    check_ok(&r, what);
    ok(transfer(&r, 1, "tickets", &e) == 0, "%s: tickets drained", what);
    ok(r.cb->key_update(r.c, &e) == TH_STEP_DONE, "%s: client update scheduled", what);
    ok(transfer(&r, 0, "after client update", &e) == 0, "%s: c2s after it", what);
    ok(transfer(&r, 1, "server answers", &e) == 0, "%s: s2c after it", what);
    ok(r.sb->key_update(r.s, &e) == TH_STEP_DONE, "%s: server update scheduled", what);
    ok(transfer(&r, 1, "after server update", &e) == 0, "%s: s2c after it", what);
    ok(transfer(&r, 0, "client answers", &e) == 0, "%s: c2s after it (%s)", what, e.text);
    disconnect(&r);
    run_free(&r);
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.versions = r.scfg.versions = V12;
    if (handshake(&r) == 0) {
        memset(&e, 0, sizeof(e));
        is_int(B->key_update(r.c, &e), TH_STEP_FAILED, "KeyUpdate on TLS 1.2 fails");
        ok(e.text[0] != '\0', "KeyUpdate on TLS 1.2 says why: %s", e.text);
        ok(transfer(&r, 0, "still", &e) == 0, "the TLS 1.2 connection still works");
    }
out:
    run_free(&r);
}

/* ---- the raw AEAD cost ---- */

static void test_aead_cost(void)
{
    struct th_error e = {0};
    double ns = 0;
    static const uint16_t aead[] = {0x1301, 0x1302, 0x1303, 0xC02F, 0xCCA8};
    for (size_t i = 0; i < TH_ARRAY_LEN(aead); i++) {
        memset(&e, 0, sizeof(e));
        ok(B->aead_cost(aead[i], 16384, 0.005, &ns, &e) == 0 && isfinite(ns) && ns > 0 && ns < 1000,
           "aead_cost 0x%04x: %.3f ns/byte %s", aead[i], ns, e.text);
    }
    ok(B->aead_cost(0x1301, 1, 0.002, &ns, &e) == 0 && ns > 0, "aead_cost: 1-byte records");
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0xC013, 16384, 0.01, &ns, &e), -1, "aead_cost: CBC suite refused");
    ok(strstr(e.text, "not an AEAD") != NULL, "aead_cost: CBC says why: %s", e.text);
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0x1304, 16384, 0.01, &ns, &e), -1, "aead_cost: CCM refused");
    ok(e.text[0] != '\0', "aead_cost: CCM says why: %s", e.text);
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0x1301, 0, 0.01, &ns, &e), -1, "aead_cost: empty records refused");
}

/* ---- configuration and transport errors ---- */

static void no_more(const struct th_error *e, const char *what)
{
    ok(e->code != 0, "%s: native code %ld", what, e->code);
}

static void test_bad_config(void)
{
    struct run r;
    run_init2(&r, "rsa2048", B, B);
    r.scfg.cert_file = "/nonexistent.pem";
    expect_bad_config(B, &r.scfg, "missing certificate");
    run_init2(&r, "rsa2048", B, B);
    r.scfg.key_file = r.ca; /* no private key in it */
    expect_bad_config(B, &r.scfg, "key file without a key");
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.suites[0] = 0xFFFF;
    r.ccfg.n_suites = 1;
    expect_bad_config(B, &r.ccfg, "unknown suite");
    run_init2(&r, "rsa2048", B, B);
    r.ccfg.groups[0] = 0x001E; /* x448: not in NSS 3.87 */
    r.ccfg.n_groups = 1;
    expect_bad_config(B, &r.ccfg, "x448");
}

int main(void)
{
    if (pd_begin("nss") != 0)
        return pd_end();
    test_concurrent_init(B, 1);
    ok(B->init() == 0, "init");
    test_caps();
    test_every_suite();
    test_server_order();
    test_alpn_mismatch();
    test_aead_cost();
    test_bad_config();
    expect_io_error(B, broken_recv, "send and recv fail", no_more);
    expect_io_error(B, idle_recv, "send fails, recv would block", no_more);
    expect_no_shared_group(B, B);
    for (int p = 0; p < 3; p++) {
        test_negotiation(p);
        test_versions(p);
        test_resumption(p);
        test_alpn(p);
        test_close(p);
        test_key_update(p);
        expect_bad_record_mac(pairs[p][0], pairs[p][1], V13, "TLS 1.3 flipped bit");
        expect_bad_record_mac(pairs[p][0], pairs[p][1], V12, "TLS 1.2 flipped bit");
    }
    pd_on_refusal = nss_named;
    for (int p = 0; p < 2; p++)
        test_certificates(p);
    expect_verify_off(B, B);
    expect_verify_off(B, OSSL);
    return pd_end();
}
