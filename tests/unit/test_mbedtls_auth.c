/* Client certificates (mTLS) on the mbedTLS backend: its server requesting or
 * requiring one and judging it against client_ca_file, its client presenting one,
 * with the PKI's client leaves; against itself and against the other driver-owned
 * backends (their half only where their caps say they have it). Refusals must use
 * the names a client's refusal of a server's leaf uses, keep mbedTLS's own code and
 * text, and reach the client as an alert. */
/* Both ends default to TLS 1.2: what mbedTLS has. */
#define PD_DEFAULT_VERSIONS TH_VBIT(TH_TLS12)
#include "pairdrive.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>

#include "backends/mbedtls_map.h"

extern const struct th_backend th_backend_mbedtls;
static const struct th_backend *const B = &th_backend_mbedtls;

/* Paths of the client's own chain and key, and the server's client roots. */
struct auth_files {
    char cert[512], key[512], ca[512];
};

/* A run of cb against sb serving rsa2048, the server asking `mode` with client_ca
 * `ca` (a PKI file), the client holding the PKI's `leaf` (NULL: none). */
static void auth_init(struct run *r, struct auth_files *f, const struct th_backend *cb,
                      const struct th_backend *sb, enum th_client_auth mode, const char *leaf,
                      const char *ca)
{
    char name[128];
    run_init2(r, "rsa2048", cb, sb);
    memset(f, 0, sizeof(*f));
    if (leaf) {
        snprintf(name, sizeof(name), "%s.chain.pem", leaf);
        pki_path(f->cert, sizeof(f->cert), name);
        snprintf(name, sizeof(name), "%s.key.pem", leaf);
        pki_path(f->key, sizeof(f->key), name);
        r->ccfg.cert_file = f->cert;
        r->ccfg.key_file = f->key;
    }
    pki_path(f->ca, sizeof(f->ca), ca);
    r->scfg.client_auth = mode;
    r->scfg.client_ca_file = mode != TH_CLIENT_AUTH_NONE ? f->ca : NULL;
}

static const char *mode_name(enum th_client_auth m)
{
    return m == TH_CLIENT_AUTH_REQUIRE   ? "require"
           : m == TH_CLIENT_AUTH_REQUEST ? "request"
                                         : "none";
}

/* A handshake that completes; what each end says of the client certificate. */
static void expect_auth_ok(const struct th_backend *cb, const struct th_backend *sb,
                           enum th_client_auth mode, const char *leaf, int want_requested,
                           int want_sent)
{
    struct run r;
    struct auth_files f;
    char what[128];
    snprintf(what, sizeof(what), "%s %s, client %s -> %s server", cb->name, mode_name(mode),
             leaf ? leaf : "without a certificate", sb->name);
    auth_init(&r, &f, cb, sb, mode, leaf, "root.pem");
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        is_int(r.cneg.cert_requested, want_requested, "%s: client saw a request: %d", what,
               want_requested);
        is_int(r.cneg.client_cert, want_sent, "%s: client sent a certificate: %d", what, want_sent);
        is_int(r.sneg.client_cert, want_sent, "%s: server accepted one: %d", what, want_sent);
    }
    run_free(&r);
}

/* The server refuses the client's certificate (or its absence) as `want`; the
 * client fails on the alert, as `cwant` when that is not TH_OK. */
static void expect_auth_refused(const struct th_backend *cb, const struct th_backend *sb,
                                enum th_client_auth mode, const char *leaf, const char *ca,
                                enum th_outcome want, enum th_outcome cwant)
{
    struct run r;
    struct auth_files f;
    char what[160];
    snprintf(what, sizeof(what), "%s %s with %s, client %s -> %s server", cb->name, mode_name(mode),
             ca, leaf ? leaf : "without a certificate", sb->name);
    auth_init(&r, &f, cb, sb, mode, leaf, ca);
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, want, what);
        ok(r.cst == TH_STEP_FAILED && r.cerr.text[0], "%s: client fails on the alert (%s: %s)",
           what, th_outcome_name(r.cerr.outcome), r.cerr.text);
        if (cwant != TH_OK)
            is_str(th_outcome_name(r.cerr.outcome), th_outcome_name(cwant), "%s: client's outcome",
                   what);
        ok(!r.sneg.client_cert, "%s: server accepted none", what);
        is_int(r.cneg.client_cert, leaf != NULL, "%s: client says whether it sent one", what);
    }
    run_free(&r);
}

/* client-untrusted sent with its root: the PKI has no such chain file. */
#define UNTRUSTED_FULL "client-untrusted-full"

static int append_file(FILE *out, const char *name)
{
    char path[512], buf[4096];
    size_t n;
    pki_path(path, sizeof(path), name);
    FILE *in = fopen(path, "rb");
    if (!in)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            break;
    int bad = ferror(in);
    fclose(in);
    return bad ? -1 : 0;
}

static int write_joined(const char *to, const char *a, const char *b)
{
    char path[512];
    pki_path(path, sizeof(path), to);
    FILE *out = fopen(path, "wb");
    if (!out)
        return -1;
    int bad = append_file(out, a) != 0 || (b && append_file(out, b) != 0);
    return fclose(out) != 0 || bad ? -1 : 0;
}

static int make_untrusted_full(void)
{
    return write_joined(UNTRUSTED_FULL ".chain.pem", "client-untrusted.chain.pem",
                        "untrusted-root.pem") != 0 ||
                   write_joined(UNTRUSTED_FULL ".key.pem", "client-untrusted.key.pem", NULL) != 0
               ? -1
               : 0;
}

/* ---- mbedTLS at both ends ---- */

static void test_caps(void)
{
    struct th_caps caps;
    B->caps(&caps);
    ok(caps.features & TH_CAP_CLIENT_CERT, "caps: client presents a certificate");
    ok(caps.features & TH_CAP_CLIENT_AUTH, "caps: server requests and verifies one");
    ok(caps.defaults_changed[1] && strstr(caps.defaults_changed[1], "client_auth request") &&
           caps.defaults_changed[2] == NULL,
       "caps list what request changes: %s", caps.defaults_changed[1]);
}

static void test_require(void)
{
    expect_auth_ok(B, B, TH_CLIENT_AUTH_REQUIRE, "client", 1, 1);
    /* TLS 1.2 has no certificate_required alert: the server says why in its own
     * error (-0x7480), the client hears handshake_failure. */
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, NULL, "root.pem", TH_CERTIFICATE_REQUIRED,
                        TH_HANDSHAKE_FAILURE);
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, "client-expired", "root.pem", TH_EXPIRED,
                        TH_EXPIRED);
    /* The PKI's chain file holds that leaf alone: by the rule every backend applies
     * to a lone leaf whose issuer is no anchor, a missing intermediate. Sent with
     * its (untrusted) root it is unknown_ca. */
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, "client-untrusted", "root.pem",
                        TH_INCOMPLETE_CHAIN, TH_UNKNOWN_CA);
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, UNTRUSTED_FULL, "root.pem", TH_UNKNOWN_CA,
                        TH_UNKNOWN_CA);
    /* unsupported_certificate (43) has no name of its own on the client */
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, "client-server-eku", "root.pem", TH_BAD_EKU,
                        TH_OK);
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, "client-self-signed", "root.pem",
                        TH_SELF_SIGNED, TH_UNKNOWN_CA);
    /* a good client leaf under roots it does not chain to */
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUIRE, "client", "untrusted-root.pem", TH_UNKNOWN_CA,
                        TH_UNKNOWN_CA);
}

static void test_request(void)
{
    expect_auth_ok(B, B, TH_CLIENT_AUTH_REQUEST, NULL, 1, 0);
    expect_auth_ok(B, B, TH_CLIENT_AUTH_REQUEST, "client", 1, 1);
    /* one that arrives must still verify (as OpenSSL's VERIFY_PEER) */
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUEST, "client-expired", "root.pem", TH_EXPIRED,
                        TH_EXPIRED);
    expect_auth_refused(B, B, TH_CLIENT_AUTH_REQUEST, "client-self-signed", "root.pem",
                        TH_SELF_SIGNED, TH_UNKNOWN_CA);
    /* a server that does not ask: nothing requested, nothing sent */
    expect_auth_ok(B, B, TH_CLIENT_AUTH_NONE, "client", 0, 0);
}

/* The older versions carry client certificates the same way. */
static void test_old_versions(void)
{
    unsigned vs[] = {V10, V11};
    for (size_t i = 0; i < 2; i++) {
        struct run r;
        struct auth_files f;
        auth_init(&r, &f, B, B, TH_CLIENT_AUTH_REQUIRE, "client", "root.pem");
        r.ccfg.versions = r.scfg.versions = vs[i];
        if (handshake(&r) == 0 && check_ok(&r, "require at TLS 1.0/1.1"))
            ok(r.cneg.client_cert && r.sneg.client_cert, "TLS 1.%zu: sent and accepted", i);
        run_free(&r);
    }
}

/* A resumed session keeps the verdict on the certificate of its full handshake. */
static void test_resumed(void)
{
    struct run r;
    struct auth_files f;
    struct th_error e = {0};
    auth_init(&r, &f, B, B, TH_CLIENT_AUTH_REQUIRE, "client", "root.pem");
    if (handshake(&r) == 0 && check_ok(&r, "require, first connection")) {
        ok(transfer(&r, 1, "hello", &e) == 0, "require: data arrives");
        struct th_session *s = B->session_get(r.c);
        disconnect(&r);
        if (ok(s != NULL, "require: a session to resume") && connect_pair(&r, s) == 0 &&
            check_ok(&r, "require, resumed")) {
            ok(r.cneg.resumed && r.sneg.resumed, "require: resumed");
            ok(r.sneg.client_cert, "require, resumed: server still holds a verified certificate");
        }
        B->session_free(s);
    }
    run_free(&r);
}

static void test_bad_config(void)
{
    struct run r;
    struct auth_files f;
    auth_init(&r, &f, B, B, TH_CLIENT_AUTH_REQUIRE, NULL, "root.pem");
    r.scfg.client_ca_file = NULL;
    expect_bad_config(B, &r.scfg, "require without client_ca_file");
    auth_init(&r, &f, B, B, TH_CLIENT_AUTH_NONE, "client", "root.pem");
    r.ccfg.key_file = NULL;
    expect_bad_config(B, &r.ccfg, "client certificate without a key");
    pki_path(f.key, sizeof(f.key), "ecdsa-p256.key.pem");
    r.ccfg.key_file = f.key;
    expect_bad_config(B, &r.ccfg, "client certificate with another leaf's key");
    /* a client root mbedTLS will not load is a verdict on the library */
    struct th_ctx *ctx = NULL;
    struct th_error e = {0};
    auth_init(&r, &f, B, B, TH_CLIENT_AUTH_REQUIRE, NULL, "anchor-nc.pem");
    if (B->ctx_new(&r.scfg, &ctx, &e) == 0)
        B->ctx_free(ctx);
    is_str(th_outcome_name(e.outcome), "anchor_unusable", "client_ca mbedTLS refuses: %s", e.text);
}

/* The alert a "request" server sends itself matches mbedTLS's own choice. */
static void test_flags_alert(void)
{
    is_int(th_mbedtls_flags_alert(MBEDTLS_X509_BADCERT_EXPIRED), MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED,
           "alert: expired");
    is_int(th_mbedtls_flags_alert(MBEDTLS_X509_BADCERT_NOT_TRUSTED),
           MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA, "alert: not trusted");
    is_int(
        th_mbedtls_flags_alert(MBEDTLS_X509_BADCERT_EXT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXPIRED),
        MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT, "alert: usage before expiry");
    is_int(th_mbedtls_flags_alert(MBEDTLS_X509_BADCERT_REVOKED), MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED,
           "alert: revoked");
    is_int(th_mbedtls_flags_alert(MBEDTLS_X509_BADCRL_EXPIRED), MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN,
           "alert: anything else");
    is_str(th_outcome_name(th_mbedtls_ret_outcome(MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE, -1)),
           "certificate_required", "no client certificate: certificate_required");
}

/* ---- against the other backends ---- */

static int has_cap(const struct th_backend *b, unsigned cap)
{
    struct th_caps caps;
    b->caps(&caps);
    return (caps.features & cap) && (caps.features & TH_CAP_DRIVER_IO) && (caps.versions & V12);
}

static void test_cross(const char *name)
{
    const struct th_backend *o = th_backend_find(name);
    char why[96];
    if (!o) {
        snprintf(why, sizeof(why), "%s backend not compiled in", name);
        skip(1, why);
        return;
    }
    /* their client without a certificate against ours requiring one */
    expect_auth_refused(o, B, TH_CLIENT_AUTH_REQUIRE, NULL, "root.pem", TH_CERTIFICATE_REQUIRED,
                        TH_HANDSHAKE_FAILURE);
    if (has_cap(o, TH_CAP_CLIENT_CERT)) {
        expect_auth_ok(o, B, TH_CLIENT_AUTH_REQUIRE, "client", 1, 1);
        expect_auth_refused(o, B, TH_CLIENT_AUTH_REQUIRE, "client-expired", "root.pem", TH_EXPIRED,
                            TH_EXPIRED);
    } else {
        snprintf(why, sizeof(why), "%s client presents no certificate yet", name);
        skip(11, why);
    }
    if (has_cap(o, TH_CAP_CLIENT_AUTH)) {
        expect_auth_ok(B, o, TH_CLIENT_AUTH_REQUIRE, "client", 1, 1);
        expect_auth_ok(B, o, TH_CLIENT_AUTH_REQUEST, NULL, 1, 0);
        /* their verdict; ours is only that an alert came */
        expect_auth_refused(B, o, TH_CLIENT_AUTH_REQUIRE, "client-expired", "root.pem", TH_EXPIRED,
                            TH_OK);
        expect_auth_refused(B, o, TH_CLIENT_AUTH_REQUIRE, UNTRUSTED_FULL, "root.pem", TH_UNKNOWN_CA,
                            TH_OK);
    } else {
        snprintf(why, sizeof(why), "%s server does not request client certificates yet", name);
        skip(1, why);
    }
}

int main(void)
{
    if (pd_begin("mbedtls-auth") != 0 || !ok(make_untrusted_full() == 0, "chain files written"))
        return pd_end();
    test_caps();
    test_flags_alert();
    test_require();
    test_request();
    test_old_versions();
    test_resumed();
    test_bad_config();
    test_cross("openssl");
    test_cross("gnutls");
    return pd_end();
}
