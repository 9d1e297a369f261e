/* The mbedTLS backend against itself and against the OpenSSL backend: real
 * handshakes over the in-memory pair with the generated test PKI. Negative cases
 * first-class: every refusal must map to an outcome and keep mbedTLS's own code and
 * text. Where mbedTLS 2.28 honestly differs from what the scenarios expect, the test
 * asserts what it does and says so. */
/* Both ends default to TLS 1.2: what mbedTLS has. */
#define PD_DEFAULT_VERSIONS TH_VBIT(TH_TLS12)
#include "pairdrive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include "backends/mbedtls_map.h"

#include "harness/vocab/util.h"

extern const struct th_backend th_backend_mbedtls;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_mbedtls;
static const struct th_backend *const OSSL = &th_backend_openssl;

static void run_init(struct run *r, const char *leaf)
{
    run_init2(r, leaf, B, B);
}

/* ---- capabilities ---- */

static int has(const uint16_t *ids, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static void test_caps(void)
{
    struct th_caps caps;
    B->caps(&caps);
    const uint16_t *s = caps.suites;
    size_t n = caps.n_suites;
    ok(has(s, n, 0xC02F) && has(s, n, 0x009C) && has(s, n, 0xC02B) && has(s, n, 0x009E),
       "caps: ECDHE, DHE and RSA key transport suites");
    ok(!has(s, n, 0x1301) && !has(s, n, 0x1302), "caps: no TLS 1.3 suite");
    ok(!has(s, n, 0x00A8) && !has(s, n, 0xC02D) && !has(s, n, 0x003B),
       "caps: no PSK, static ECDH or NULL-cipher suites");
    is_int(caps.roles, TH_ROLE_CLIENT | TH_ROLE_SERVER, "caps: both roles");
    is_int(caps.versions, V10 | V11 | V12, "caps: TLS 1.0-1.2, no 1.3");
    ok(has(caps.groups, caps.n_groups, 0x001D) && has(caps.groups, caps.n_groups, 0x0017) &&
           !has(caps.groups, caps.n_groups, 0x0100),
       "caps: %zu groups, x25519 and secp256r1, no ffdhe", caps.n_groups);
    ok((caps.features & TH_CAP_DRIVER_IO) && !(caps.features & TH_CAP_IP_SAN),
       "caps: driver I/O, no IP SAN check");
    /* test_close shows it: an EOF without close_notify reads as truncated */
    ok(caps.features & TH_CAP_TRUNCATION, "caps: truncation detected");
    is_int(caps.resume, TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID),
           "caps: ticket and session-id resumption");
    ok(strncmp(B->version(), "mbed TLS 2.28", 13) == 0, "version is '%s'", B->version());
}

/* ---- successful handshakes ---- */

/* versions, one suite and one group pinned on the client; what both ends report. */
static void expect_negotiated(const char *leaf, unsigned versions, uint16_t suite, uint16_t group,
                              uint16_t want_version, uint16_t want_group)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "%s %s 0x%04x", leaf, th_version_name(want_version), suite);
    run_init(&r, leaf);
    r.ccfg.versions = r.scfg.versions = versions;
    r.ccfg.suites[0] = suite;
    r.ccfg.n_suites = 1;
    if (group) {
        r.ccfg.groups[0] = group;
        r.ccfg.n_groups = 1;
    }
    if (handshake(&r) == 0 && check_ok(&r, what))
        check_negotiated(&r, suite, want_version, want_group, what);
    run_free(&r);
}

static void test_negotiation(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.ccfg.versions = r.scfg.versions = V12 | V13; /* 1.3 is clamped away */
    if (handshake(&r) == 0 && check_ok(&r, "defaults")) {
        is_int(r.cneg.version, TH_TLS12, "defaults: TLS 1.2");
        ok(r.cneg.suite != 0 && r.cneg.suite == r.sneg.suite, "defaults: suite 0x%04x",
           r.cneg.suite);
        ok(r.cneg.group != 0 && r.cneg.group == r.sneg.group, "defaults: group 0x%04x",
           r.cneg.group);
        ok(r.cneg.alpn[0] == '\0' && !r.cneg.resumed && !r.sneg.resumed,
           "defaults: no ALPN, not resumed");
    }
    run_free(&r);
    expect_negotiated("rsa2048", V12, 0xC02F, 0x001D, TH_TLS12, 0x001D);
    expect_negotiated("rsa2048", V12, 0xC030, 0x0018, TH_TLS12, 0x0018);
    expect_negotiated("rsa2048", V12, 0x009C, 0, TH_TLS12, 0); /* RSA key transport */
    expect_negotiated("rsa2048", V12, 0x009E, 0, TH_TLS12, 0); /* DHE: no named group */
    expect_negotiated("ecdsa-p256", V12, 0xC02B, 0x0017, TH_TLS12, 0x0017);
    /* TLS 1.2 ECDSA: the certificate's curve must be among the client's (RFC 4492). */
    expect_negotiated("ecdsa-p256", V12, 0xCCA9, 0x0017, TH_TLS12, 0x0017);
    expect_negotiated("rsa2048", V11, 0xC013, 0x0017, TH_TLS11, 0x0017);
    expect_negotiated("rsa2048", V10, 0x002F, 0, TH_TLS10, 0);
}

/* Every suite the caps declare, pinned, with the certificate its auth needs. */
static void test_every_suite(void)
{
    struct th_caps caps;
    B->caps(&caps);
    int bad = 0;
    for (size_t i = 0; i < caps.n_suites; i++) {
        const struct th_suite_info *si = th_suite_by_id(caps.suites[i]);
        struct run r;
        run_init(&r, strcmp(si->auth, "ECDSA") == 0 ? "ecdsa-p256" : "rsa2048");
        r.ccfg.suites[0] = caps.suites[i];
        r.ccfg.n_suites = 1;
        r.ccfg.versions = r.scfg.versions = th_suite_versions(si) & (V10 | V11 | V12);
        if (handshake(&r) == 0 &&
            (r.cst != TH_STEP_DONE || r.sst != TH_STEP_DONE || r.cneg.suite != caps.suites[i])) {
            printf("#   %s: %s / %s\n", si->name, r.cerr.text, r.serr.text);
            bad++;
        }
        run_free(&r);
    }
    ok(bad == 0, "every one of the %zu declared suites negotiates", caps.n_suites);
}

static void test_every_group(void)
{
    struct th_caps caps;
    B->caps(&caps);
    for (size_t i = 0; i < caps.n_groups; i++)
        expect_negotiated("rsa2048", V12, 0xC02F, caps.groups[i], TH_TLS12, caps.groups[i]);
}

/* ---- versions ---- */

static void expect_versions(unsigned cv, unsigned sv, uint16_t want, const char *what)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.ccfg.versions = cv;
    r.scfg.versions = sv;
    if (handshake(&r) == 0 && want) {
        if (check_ok(&r, what))
            is_int(r.cneg.version, want, "%s: version", what);
    } else if (r.c) {
        check_failed(&r.cerr, r.cst, TH_PROTOCOL_VERSION, what);
        check_failed(&r.serr, r.sst, TH_PROTOCOL_VERSION, what);
    }
    run_free(&r);
}

static void test_versions(void)
{
    expect_versions(V10, V10 | V11 | V12, TH_TLS10, "TLS 1.0 when asked");
    expect_versions(V11, V11, TH_TLS11, "TLS 1.1 both");
    expect_versions(V12 | V13, V11, 0, "1.2 client vs 1.1 server");
    expect_versions(V11, V12, 0, "1.1 client vs 1.2 server");
    expect_versions(V12 | V13, V10, 0, "1.2 client vs 1.0 server");

    /* Only TLS 1.3 asked for: refused in ctx_new, before mbedTLS can crash on it. */
    struct th_tls_config cfg = {.role = TH_ROLE_CLIENT, .versions = V13};
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(B->ctx_new(&cfg, &ctx, &e) != 0 && ctx == NULL, "TLS 1.3 only: refused");
    ok(e.outcome == TH_INTERNAL_ERROR && strstr(e.text, "1.3"), "TLS 1.3 only: says why: %s",
       e.text);
    cfg.role = TH_ROLE_SERVER;
    ok(B->ctx_new(&cfg, &ctx, &e) != 0 && ctx == NULL, "TLS 1.3 only server: refused");
}

/* 2.28 servers always choose by their own list: prefer_server_order 0 cannot make
 * them follow the client (a finding). */
static void test_server_order(void)
{
    for (int prefer = 1; prefer >= 0; prefer--) {
        struct run r;
        run_init(&r, "rsa2048");
        r.ccfg.suites[0] = r.scfg.suites[1] = 0xC02F;
        r.ccfg.suites[1] = r.scfg.suites[0] = 0xC030;
        r.ccfg.n_suites = r.scfg.n_suites = 2;
        r.scfg.prefer_server_order = prefer;
        if (handshake(&r) == 0 && check_ok(&r, "server order"))
            is_int(r.cneg.suite, 0xC030, "server order %d: the server's first", prefer);
        run_free(&r);
    }
}

/* ---- certificates the client must refuse ---- */

static void expect_cert_vs(const struct th_backend *sb, const char *leaf, const char *host, int crl,
                           enum th_outcome want)
{
    char what[96];
    snprintf(what, sizeof(what), "%s as %s%s (%s server)", leaf, host, crl ? " with CRL" : "",
             sb->name);
    expect_cert_what(B, sb, leaf, host, crl, want, what);
}

static void expect_cert(const char *leaf, const char *host, int crl, enum th_outcome want)
{
    expect_cert_vs(B, leaf, host, crl, want);
}

/* mbedTLS's server checks its own certificate's (extended) key usage against each
 * suite and will not serve one that does not fit: no certificate is sent, and the
 * handshake fails as no_shared_cipher (a finding). */
static void expect_unservable(const char *leaf)
{
    struct run r;
    char what[96];
    snprintf(what, sizeof(what), "mbedtls serving %s", leaf);
    run_init(&r, leaf);
    expect_both_fail(&r, TH_NO_SHARED_CIPHER, TH_HANDSHAKE_FAILURE, what);
}

static void test_certificates(void)
{
    expect_cert("rsa2048", "localhost", 1, TH_OK);
    expect_cert("ecdsa-p256", "localhost", 1, TH_OK);
    expect_cert("rsa2048", "example.com", 0, TH_HOSTNAME_MISMATCH);
    /* No IP SAN matching in 2.28: an IP literal is compared as a DNS name. */
    expect_cert("rsa2048", "127.0.0.1", 0, TH_HOSTNAME_MISMATCH);
    expect_cert("wrong-host", "localhost", 0, TH_HOSTNAME_MISMATCH);
    expect_cert("expired", "localhost", 0, TH_EXPIRED);
    expect_cert("not-yet-valid", "localhost", 0, TH_NOT_YET_VALID);
    expect_cert("self-signed", "localhost", 0, TH_SELF_SIGNED);
    /* A leaf sent alone whose issuer is no anchor: a missing intermediate, by the
     * rule every backend applies; an unknown root that was left out looks the same. */
    expect_cert("untrusted", "localhost", 0, TH_INCOMPLETE_CHAIN);
    expect_cert("no-intermediate", "localhost", 0, TH_INCOMPLETE_CHAIN);
    expect_unservable("bad-eku");
    expect_unservable("bad-key-usage");
    expect_cert_vs(OSSL, "bad-eku", "localhost", 0, TH_BAD_EKU);
    expect_cert_vs(OSSL, "bad-key-usage", "localhost", 0, TH_BAD_KEY_USAGE);
    expect_cert_vs(OSSL, "self-signed", "localhost", 0, TH_SELF_SIGNED);
    expect_cert_vs(OSSL, "no-intermediate", "localhost", 0, TH_INCOMPLETE_CHAIN);
    expect_cert_vs(OSSL, "revoked", "localhost", 1, TH_REVOKED);
    expect_cert("rsa1024", "localhost", 0, TH_WEAK_KEY);
    expect_cert("sha1", "localhost", 0, TH_WEAK_SIGNATURE);
    expect_cert("bad-signature", "localhost", 0, TH_BAD_SIGNATURE);
    expect_cert("revoked", "localhost", 0, TH_OK);
    expect_cert("revoked", "localhost", 1, TH_REVOKED);
}

/* No server backend here will serve a leaf with two subjectAltName extensions
 * (OpenSSL: "invalid certificate", GnuTLS: "Duplicate extension", mbedTLS: -0x2500),
 * so the client's side is shown in two halves: the parse error mbedTLS gives it,
 * through the same mbedtls_x509_crt_parse_der the handshake uses, and that code's
 * outcome (a parse error reaches map_failure as unknown-critical's does above). */
static void expect_malformed(void)
{
    char file[512];
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    pki_path(file, sizeof(file), "malformed.pem");
    int ret = mbedtls_x509_crt_parse_file(&crt, file);
    is_int(ret, MBEDTLS_ERR_X509_INVALID_EXTENSIONS, "malformed: mbedTLS says -0x%04x", -ret);
    is_str(th_outcome_name(th_mbedtls_ret_outcome(ret, -1)), "bad_certificate",
           "malformed: bad_certificate");
    mbedtls_x509_crt_free(&crt);
}

/* Issue 12's chains. mbedTLS flags an issuer it passes over (not a CA, path too
 * long) NOT_TRUSTED like an unknown one; the chain as sent tells them apart. A
 * certificate it cannot parse fails the handshake with the parse error before any
 * check; chains it cannot parse are served by OpenSSL, since an mbedTLS server cannot
 * load them either. */
static void test_issue12_chains(void)
{
    expect_cert("issuer-not-ca", "localhost", 0, TH_INVALID_CA);
    expect_cert("issuer-no-bc", "localhost", 0, TH_INVALID_CA);
    expect_cert("path-too-long", "localhost", 0, TH_PATH_LENGTH);
    expect_cert("expired-intermediate", "localhost", 0, TH_EXPIRED);
    expect_cert("ecdsa-p384", "localhost", 1, TH_OK);
    expect_cert("ecdsa-p521", "localhost", 1, TH_OK);
    expect_cert("rsa4096", "localhost", 1, TH_OK);
    /* -0x2562: an extension OID mbedTLS does not know, marked critical */
    expect_cert_vs(OSSL, "unknown-critical", "localhost", 0, TH_UNKNOWN_CRITICAL_EXTENSION);
    expect_malformed();
    /* A finding: 2.28 has no parser for name constraints, a critical extension
     * (RFC 5280 4.2.1.10), so it refuses the intermediate that carries them, -0x2562,
     * whether the leaf's names are permitted or not. */
    expect_cert_vs(OSSL, "nc-permitted", "localhost", 0, TH_UNKNOWN_CRITICAL_EXTENSION);
    expect_cert_vs(OSSL, "nc-excluded", "excluded.test", 0, TH_UNKNOWN_CRITICAL_EXTENSION);
    /* One label for a wildcard, and no partial-label wildcard (RFC 6125 6.4.3 lets
     * a client refuse it). */
    expect_cert("wildcard", "a.wild.test", 0, TH_OK);
    expect_cert("wildcard", "a.b.wild.test", 0, TH_HOSTNAME_MISMATCH);
    expect_cert("wildcard-partial", "ab.wild.test", 0, TH_HOSTNAME_MISMATCH);
}

/* A trust anchor mbedTLS will not load: the client's context is refused with outcome
 * anchor_unusable and mbedTLS's own code, never an internal error. */
static void expect_anchor_unusable(const char *anchor, long want_code)
{
    struct run r;
    char ca[512], file[96], what[96];
    snprintf(file, sizeof(file), "%s.pem", anchor);
    snprintf(what, sizeof(what), "anchor %s", anchor);
    run_init(&r, "rsa2048");
    pki_path(ca, sizeof(ca), file);
    r.ccfg.ca_file = ca;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(B->ctx_new(&r.ccfg, &ctx, &e) != 0 && ctx == NULL, "%s: refused", what);
    is_str(th_outcome_name(e.outcome), "anchor_unusable", "%s: outcome", what);
    if (want_code)
        is_int(e.code, want_code, "%s: mbedTLS's code", what);
    ok(e.code < 0 && strstr(e.text, "certificate 1 of 1 refused: X509 - ") && !e.file && !e.input,
       "%s: its code %ld and text '%s', no harness place", what, e.code, e.text);
    if (ctx)
        B->ctx_free(ctx);
}

static void test_anchors(void)
{
    expect_anchor_unusable("anchor-nc",
                           MBEDTLS_ERR_X509_INVALID_EXTENSIONS + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG);
    expect_anchor_unusable("anchor-critical",
                           MBEDTLS_ERR_X509_INVALID_EXTENSIONS + MBEDTLS_ERR_ASN1_UNEXPECTED_TAG);
    /* DSA: no such signature algorithm in mbedTLS (UNKNOWN_SIG_ALG + OID_NOT_FOUND) */
    expect_anchor_unusable("anchor-dsa", 0);
    /* negative: a root it loads is no finding */
    struct run r;
    char ca[512];
    run_init(&r, "rsa2048");
    pki_path(ca, sizeof(ca), "untrusted-root.pem");
    r.ccfg.ca_file = ca;
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    ok(B->ctx_new(&r.ccfg, &ctx, &e) == 0 && ctx, "untrusted-root loads: %s", e.text);
    if (ctx)
        B->ctx_free(ctx);
}

static void test_verify_off(void)
{
    struct run r;
    expect_verify_off(B, B);
    /* SNI with no name to check: the name mbedTLS would check anyway is not held
     * against the leaf. */
    run_init(&r, "rsa2048");
    r.ccfg.hostname = NULL;
    r.ccfg.sni = "example.com";
    if (handshake(&r) == 0)
        check_ok(&r, "SNI without a hostname check");
    run_free(&r);
}

/* ---- negotiation failures ---- */

/* The server refuses, the client sees the alert (40). */
static void expect_no_shared_suite(uint16_t csuite, uint16_t ssuite, const char *what)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.ccfg.suites[0] = csuite;
    r.scfg.suites[0] = ssuite;
    r.ccfg.n_suites = r.scfg.n_suites = 1;
    expect_both_fail(&r, TH_NO_SHARED_CIPHER, TH_HANDSHAKE_FAILURE, what);
}

/* An ECDHE suite both have but no curve: 2.28's server finds out only while
 * writing its ServerKeyExchange, after ServerHello and Certificate went out, and
 * stops without an alert (a finding): the client waits until the transport ends. */
static void test_no_shared_curve(void)
{
    struct run r;
    char buf[16];
    size_t done;
    run_init(&r, "rsa2048");
    r.ccfg.suites[0] = 0xC02F;
    r.ccfg.n_suites = 1;
    r.ccfg.groups[0] = 0x001D;
    r.scfg.groups[0] = 0x0018;
    r.ccfg.n_groups = r.scfg.n_groups = 1;
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, TH_NO_SHARED_CIPHER, "no shared curve");
        is_int(r.cst, TH_STEP_WANT_READ, "no shared curve: no alert, the client waits");
        th_mem_pair_close_server(&r.mp);
        check_failed(&r.cerr, B->handshake(r.c, &r.cerr), TH_TRUNCATED,
                     "no shared curve: then the transport ends");
        ok(B->read(r.c, buf, sizeof(buf), &done, &r.cerr) == TH_STEP_FAILED,
           "no shared curve: reading after it fails too");
    }
    run_free(&r);
}

static void test_no_overlap(void)
{
    expect_no_shared_suite(0xC02F, 0xC030, "TLS 1.2 no shared suite");
    expect_no_shared_suite(0x009C, 0xC02F, "RSA key transport vs ECDHE");
    test_no_shared_curve();
}

/* ---- resumption ---- */

/* Two connections on the same contexts; resumed as reported by the second. */
static void expect_resume(struct run *r, int tickets, int cache, enum th_resume ask, int want,
                          const char *what)
{
    struct th_error e = {0};
    r->ccfg.resume = ask;
    r->scfg.tickets = tickets;
    r->scfg.session_cache = cache;
    if (handshake(r) != 0)
        goto out;
    check_ok(r, what);
    ok(!r->cneg.resumed && !r->sneg.resumed, "%s: first is a full handshake", what);
    ok(transfer(r, 1, "hello", &e) == 0, "%s: data arrives", what);
    struct th_session *sess = r->cb->session_get(r->c);
    ok(want ? sess != NULL : 1, "%s: a session to resume", what);
    disconnect(r); /* without close_notify: must not cost the session */
    if (connect_pair(r, sess) == 0 && check_ok(r, what)) {
        is_int(r->cneg.resumed, want, "%s: client says resumed", what);
        is_int(r->sneg.resumed, want, "%s: server says resumed", what);
        ok(r->cneg.suite && r->cneg.suite == r->sneg.suite, "%s: suite 0x%04x on both", what,
           r->cneg.suite);
        /* (OpenSSL reports the first connection's group on a resumed one) */
        if (want && r->cb == B)
            is_int(r->cneg.group, 0, "%s: no key exchange, no group (client)", what);
        if (want && r->sb == B)
            is_int(r->sneg.group, 0, "%s: no key exchange, no group (server)", what);
        ok(transfer(r, 0, "again", &e) == 0, "%s: data after resumption", what);
    }
    r->cb->session_free(sess);
out:
    run_free(r);
}

static void test_resumption(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    expect_resume(&r, 1, 0, TH_RESUME_TICKET, 1, "ticket");
    run_init(&r, "rsa2048");
    expect_resume(&r, 0, 1, TH_RESUME_SESSION_ID, 1, "session id");
    run_init(&r, "rsa2048");
    expect_resume(&r, 1, 1, TH_RESUME_SESSION_ID, 1, "session id, server with both");
    run_init(&r, "rsa2048");
    expect_resume(&r, 0, 0, TH_RESUME_TICKET, 0, "nothing to resume");
    run_init(&r, "rsa2048");
    expect_resume(&r, 1, 0, TH_RESUME_SESSION_ID, 0, "session id vs a ticket-only server");
}

/* ---- ALPN ---- */

static void expect_alpn_agreed(const char *const *cl, size_t nc, const char *const *sl, size_t ns,
                               const char *want)
{
    struct run r;
    run_init(&r, "rsa2048");
    set_alpn(&r, cl, nc, sl, ns);
    if (handshake(&r) == 0 && check_ok(&r, "ALPN")) {
        is_str(r.cneg.alpn, want, "ALPN: client sees '%s'", want);
        is_str(r.sneg.alpn, want, "ALPN: server chose '%s'", want);
    }
    run_free(&r);
}

static void test_alpn(void)
{
    static const char *const client[] = {"http/1.1", "h2"};
    static const char *const server[] = {"h2", "http/1.1"};
    static const char *const other[] = {"spdy/3"};
    expect_alpn_agreed(client, 2, server, 2, "h2");
    expect_alpn_agreed(client, 2, NULL, 0, "");
    expect_alpn_agreed(NULL, 0, server, 2, "");
    /* No overlap: mbedTLS 2.28's server refuses with no_application_protocol (120)
     * instead of going on without ALPN (a finding). */
    struct run r;
    run_init(&r, "rsa2048");
    set_alpn(&r, client, 2, other, 1);
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, TH_HANDSHAKE_FAILURE, "ALPN mismatch (server)");
        check_failed(&r.cerr, r.cst, TH_HANDSHAKE_FAILURE, "ALPN mismatch (client)");
        ok(strstr(r.cerr.text, "alert 120") != NULL, "ALPN mismatch: alert 120 received");
    }
    run_free(&r);
}

/* ---- the record layer ---- */

static void test_bad_record_mac(uint16_t suite, const char *what)
{
    struct run r;
    struct th_error e = {0};
    size_t done = 0;
    char buf[64];
    run_init(&r, "rsa2048");
    r.ccfg.suites[0] = suite;
    r.ccfg.n_suites = 1;
    if (handshake(&r) != 0 || !check_ok(&r, what))
        goto out;
    ok(transfer(&r, 1, "ping", &e) == 0, "%s: data arrives", what);
    flip_and_read(&r, what); /* the bit is inside the record's tag or MAC */
    /* the failure sticks */
    struct th_error again = {0};
    ok(B->read(r.s, buf, sizeof(buf), &done, &again) == TH_STEP_FAILED &&
           again.outcome == TH_BAD_RECORD_MAC,
       "%s: a later step repeats the failure", what);
out:
    run_free(&r);
}

static void test_close(void)
{
    struct run r;
    struct th_error e = {0};
    run_init(&r, "rsa2048");
    if (handshake(&r) != 0)
        goto out;
    close_server_first(&r);
    disconnect(&r);
    if (connect_pair(&r, NULL) != 0)
        goto out;
    close_truncated(&r);
    disconnect(&r);
    /* EOF in the middle of the handshake */
    if (connect_pair(&r, NULL) != 0)
        goto out;
    disconnect(&r);
    th_mem_pair_init(&r.mp);
    struct th_conn *c = NULL;
    if (B->conn_new(r.cctx, &r.mp.client_io, NULL, &c, &e) == 0) {
        ok(B->handshake(c, &e) == TH_STEP_WANT_READ, "mid-handshake EOF: hello sent");
        th_mem_pair_close_server(&r.mp);
        check_failed(&e, B->handshake(c, &e), TH_TRUNCATED, "mid-handshake EOF");
        B->conn_free(c);
    }
    th_mem_pair_free(&r.mp);
    memset(&r.mp, 0, sizeof(r.mp));
out:
    run_free(&r);
}

/* Large writes: mbedTLS takes at most one record a call, and *done says how much. */
static void test_large_write(void)
{
    struct run r;
    struct th_error e = {0};
    run_init(&r, "rsa2048");
    if (handshake(&r) != 0 || !check_ok(&r, "large write"))
        goto out;
    size_t len = 100000, sent = 0, got = 0;
    unsigned char *out = th_xmalloc(len), *in = th_xmalloc(len);
    th_pattern_fill(42, 0, out, len);
    for (int i = 0; i < 1000 && got < len; i++) {
        size_t done = 0;
        if (sent < len && B->write(r.c, out + sent, len - sent, &done, &e) == TH_STEP_DONE)
            sent += done;
        if (B->read(r.s, in + got, len - got, &done, &e) == TH_STEP_DONE)
            got += done;
    }
    ok(sent == len && got == len && memcmp(in, out, len) == 0, "large write: %zu bytes intact",
       got);
    free(out);
    free(in);
out:
    run_free(&r);
}

/* The transport failing outright: mbedTLS keeps its own code besides io_error. */
static void has_native_code(const struct th_error *e, const char *what)
{
    ok(e->code != 0, "%s: native code %ld", what, e->code);
}

static void test_io_error(void)
{
    expect_io_error(B, broken_recv, "send and recv fail", has_native_code);
    expect_io_error(B, idle_recv, "send fails, recv would block", has_native_code);
}

/* ---- configuration errors ---- */

static void test_bad_config(void)
{
    struct run r;
    run_init(&r, "rsa2048");
    r.scfg.cert_file = "/nonexistent.pem";
    expect_bad_config(B, &r.scfg, "missing certificate");
    run_init(&r, "rsa2048");
    r.scfg.key_file = r.ca; /* not a key */
    expect_bad_config(B, &r.scfg, "key that is not a key");
    run_init(&r, "rsa2048");
    pki_path(r.key, sizeof(r.key), "ecdsa-p256.key.pem"); /* another leaf's key */
    expect_bad_config(B, &r.scfg, "key of another certificate");
    run_init(&r, "rsa2048");
    r.ccfg.suites[0] = 0x1301; /* TLS 1.3: not in 2.28 */
    r.ccfg.n_suites = 1;
    expect_bad_config(B, &r.ccfg, "TLS 1.3 suite");
    run_init(&r, "rsa2048");
    r.ccfg.groups[0] = 0x0100; /* ffdhe2048: not negotiated by 2.28 */
    r.ccfg.n_groups = 1;
    expect_bad_config(B, &r.ccfg, "finite-field group");
    run_init(&r, "rsa2048");
    r.ccfg.crl_file = r.ca; /* holds no CRL */
    expect_bad_config(B, &r.ccfg, "CRL file without a CRL");
    run_init(&r, "rsa2048");
    r.ccfg.ca_file = "/nonexistent.pem";
    expect_bad_config(B, &r.ccfg, "missing CA file");
}

/* ---- against OpenSSL, both ways ---- */

static void cross_handshake(const struct th_backend *cb, const struct th_backend *sb)
{
    char what[64];
    struct run r;
    struct th_error e = {0};
    snprintf(what, sizeof(what), "%s client vs %s server", cb->name, sb->name);
    run_init2(&r, "rsa2048", cb, sb);
    r.ccfg.versions = V12 | V13;
    r.ccfg.suites[0] = 0xC02F;
    r.ccfg.n_suites = 1;
    r.ccfg.groups[0] = 0x001D;
    r.ccfg.n_groups = 1;
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        ok(r.cneg.version == TH_TLS12 && r.sneg.version == TH_TLS12, "%s: TLS 1.2", what);
        ok(r.cneg.suite == 0xC02F && r.sneg.suite == 0xC02F, "%s: suite", what);
        ok(r.cneg.group == 0x001D && r.sneg.group == 0x001D, "%s: x25519", what);
        ok(transfer(&r, 0, "GET /", &e) == 0 && transfer(&r, 1, "200", &e) == 0,
           "%s: data both ways", what);
    }
    run_free(&r);

    run_init2(&r, "ecdsa-p256", cb, sb);
    if (handshake(&r) == 0 && check_ok(&r, what))
        ok(th_suite_by_id(r.cneg.suite) && strcmp(th_suite_by_id(r.cneg.suite)->auth, "ECDSA") == 0,
           "%s: ECDSA certificate, suite 0x%04x", what, r.cneg.suite);
    run_free(&r);

    snprintf(what, sizeof(what), "%s vs %s ticket", cb->name, sb->name);
    run_init2(&r, "rsa2048", cb, sb);
    expect_resume(&r, 1, 0, TH_RESUME_TICKET, 1, what);
    snprintf(what, sizeof(what), "%s vs %s session id", cb->name, sb->name);
    run_init2(&r, "rsa2048", cb, sb);
    expect_resume(&r, 0, 1, TH_RESUME_SESSION_ID, 1, what);

    snprintf(what, sizeof(what), "%s vs %s expired", cb->name, sb->name);
    run_init2(&r, "expired", cb, sb);
    if (handshake(&r) == 0) {
        check_failed(&r.cerr, r.cst, TH_EXPIRED, what);
        check_failed(&r.serr, r.sst, TH_EXPIRED, what); /* certificate_expired alert */
    }
    run_free(&r);
}

static void test_cross(void)
{
    cross_handshake(B, OSSL);
    cross_handshake(OSSL, B);

    /* mbedTLS's 1.2 against a server that has only 1.3 */
    struct run r;
    run_init2(&r, "rsa2048", B, OSSL);
    r.scfg.versions = V13;
    if (handshake(&r) == 0) {
        check_failed(&r.cerr, r.cst, TH_PROTOCOL_VERSION, "mbedtls 1.2 vs openssl 1.3-only");
        check_failed(&r.serr, r.sst, TH_PROTOCOL_VERSION, "openssl 1.3-only vs mbedtls 1.2");
    }
    run_free(&r);
    /* A 1.3-only ClientHello still says 1.2 in legacy_version and offers only 1.3
     * suites: 2.28's server, which ignores supported_versions, finds no shared suite
     * and answers handshake_failure, not protocol_version (a finding). */
    run_init2(&r, "rsa2048", OSSL, B);
    r.ccfg.versions = V13;
    r.scfg.versions = V12 | V13;
    if (handshake(&r) == 0) {
        check_failed(&r.cerr, r.cst, TH_HANDSHAKE_FAILURE, "openssl 1.3-only vs mbedtls");
        check_failed(&r.serr, r.sst, TH_NO_SHARED_CIPHER, "mbedtls vs openssl 1.3-only");
    }
    run_free(&r);

    /* the cert failure as OpenSSL's server sees mbedTLS's alert */
    run_init2(&r, "bad-signature", B, OSSL);
    if (handshake(&r) == 0)
        check_failed(&r.cerr, r.cst, TH_BAD_SIGNATURE, "mbedtls vs openssl bad signature");
    run_free(&r);
}

/* ---- the data path's optional ops ---- */

static void test_data_path_ops(void)
{
    ok(B->key_update == NULL, "ops: no key_update (no TLS 1.3 in 2.28)");
    ok(B->aead_cost != NULL, "ops: aead_cost");
    if (!B->aead_cost)
        return;
    struct th_caps caps;
    B->caps(&caps);
    int aeads = 0, bad = 0;
    for (size_t i = 0; i < caps.n_suites; i++) {
        const struct th_suite_info *si = th_suite_by_id(caps.suites[i]);
        if (strcmp(si->mac, "AEAD") != 0)
            continue;
        struct th_error e = {0};
        double ns = -1;
        int rc = B->aead_cost(caps.suites[i], 16384, 0.01, &ns, &e);
        aeads++;
        if (rc != 0 || !(ns > 0 && ns < 1000)) { /* !(...): NaN fails too */
            printf("#   %s: rc %d, %g ns/byte: %s\n", si->name, rc, ns, e.text);
            bad++;
        }
    }
    ok(aeads >= 5 && bad == 0, "aead_cost: a finite positive figure for each of %d AEAD suites",
       aeads);
    double gcm = 0, ccm8 = 0;
    struct th_error e = {0};
    int rc = B->aead_cost(0xC02F, 16384, 0.05, &gcm, &e);
    ok(rc == 0 && gcm > 0, "aead_cost AES-128-GCM 16 KiB: %.3f ns/byte", gcm);
    /* 1-byte records: the per-record overhead dominates, far above the bulk figure */
    rc = B->aead_cost(0xC0AE, 1, 0.01, &ccm8, &e);
    ok(rc == 0 && ccm8 > gcm, "aead_cost AES-128-CCM8, 1-byte records: %.1f ns/byte", ccm8);

    double ns = 123;
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0xC027, 16384, 0.01, &ns, &e), -1, "aead_cost CBC suite: -1");
    ok(strstr(e.text, "not an AEAD") && e.outcome == TH_INTERNAL_ERROR,
       "aead_cost CBC suite: says why: %s", e.text);
    ok(ns == 0, "aead_cost CBC suite: no figure");
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0x1301, 16384, 0.01, &ns, &e), -1, "aead_cost TLS 1.3 suite: -1");
    ok(e.text[0] != '\0', "aead_cost TLS 1.3 suite: says why: %s", e.text);
    memset(&e, 0, sizeof(e));
    is_int(B->aead_cost(0xC02F, 0, 0.01, &ns, &e), -1, "aead_cost zero-byte records: -1");
}

int main(void)
{
    if (pd_begin("mbedtls") != 0)
        return pd_end();
    test_concurrent_init(B, 1);
    test_caps();
    test_negotiation();
    test_every_suite();
    test_every_group();
    test_versions();
    test_server_order();
    test_certificates();
    test_issue12_chains();
    test_anchors();
    test_verify_off();
    test_no_overlap();
    test_resumption();
    test_alpn();
    test_bad_record_mac(0xC02F, "AES-GCM flipped bit");
    test_bad_record_mac(0xCCA8, "ChaCha20-Poly1305 flipped bit");
    test_bad_record_mac(0xC027, "AES-CBC-SHA256 flipped bit");
    test_close();
    test_large_write();
    test_io_error();
    test_bad_config();
    test_cross();
    test_data_path_ops();
    return pd_end();
}
