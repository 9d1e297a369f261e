/* The NSS backend's client certificates and stapled OCSP responses, in real
 * handshakes over the in-memory pair against itself and the OpenSSL backend: an NSS
 * server requiring a client certificate and refusing bad ones with NSS's own codes,
 * an NSS client presenting its chain, an NSS server stapling each of the test PKI's
 * responses unchanged, an NSS client judging them with NSS's OCSP code. Also the
 * chain check's independence from earlier connections (libpkix's cache) and a
 * certificate an NSS server will not take. */
#include "pairdrive.h"

#include <stdio.h>
#include <string.h>

extern const struct th_backend th_backend_nss;
extern const struct th_backend th_backend_openssl;
static const struct th_backend *const B = &th_backend_nss;
static const struct th_backend *const OSSL = &th_backend_openssl;

static char client_chain[512], client_key[512], ocsp_file[512];

/* ---- client certificates ---- */

/* cb presents `leaf` (NULL: none) to sb, which requires or requests one. */
static void init_mtls(struct run *r, const struct th_backend *cb, const struct th_backend *sb,
                      const char *leaf, enum th_client_auth mode)
{
    char f[128];
    run_init2(r, "rsa2048", cb, sb);
    r->scfg.client_auth = mode;
    r->scfg.client_ca_file = r->ca;
    if (leaf) {
        snprintf(f, sizeof(f), "%s.chain.pem", leaf);
        pki_path(client_chain, sizeof(client_chain), f);
        snprintf(f, sizeof(f), "%s.key.pem", leaf);
        pki_path(client_key, sizeof(client_key), f);
        r->ccfg.cert_file = client_chain;
        r->ccfg.key_file = client_key;
    }
}

static void expect_mtls_ok(const struct th_backend *cb, const struct th_backend *sb,
                           const char *leaf, enum th_client_auth mode, const char *what)
{
    struct run r;
    init_mtls(&r, cb, sb, leaf, mode);
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        struct th_error e = {0};
        ok(transfer(&r, 0, "hello", &e) == 0, "%s: data flows", what);
        is_int(r.sneg.client_cert, leaf != NULL, "%s: server saw a verified certificate", what);
        if (cb == B)
            ok(r.cneg.cert_requested && r.cneg.client_cert == (leaf != NULL),
               "%s: client saw the request and answered it", what);
    }
    run_free(&r);
}

static void expect_mtls_refused(const struct th_backend *cb, const char *leaf, enum th_outcome want,
                                const char *what)
{
    struct run r;
    init_mtls(&r, cb, B, leaf, TH_CLIENT_AUTH_REQUIRE);
    if (handshake(&r) == 0) {
        check_failed(&r.serr, r.sst, want, what);
        ok(strstr(r.serr.text, "_ERROR_") != NULL, "%s: NSS's name in '%s'", what, r.serr.text);
        /* TLS 1.3: the client's handshake is done before the server judges it */
        struct th_error e = {0};
        ok(r.cst == TH_STEP_FAILED || transfer(&r, 1, "x", &e) != 0,
           "%s: the client learns of it too", what);
    }
    run_free(&r);
}

static void test_client_certs(void)
{
    expect_mtls_ok(B, B, "client", TH_CLIENT_AUTH_REQUIRE, "nss-nss: client certificate");
    expect_mtls_ok(B, OSSL, "client", TH_CLIENT_AUTH_REQUIRE,
                   "nss-openssl: NSS client sends its chain");
    expect_mtls_ok(OSSL, B, "client", TH_CLIENT_AUTH_REQUIRE, "openssl-nss: NSS server checks it");
    expect_mtls_ok(B, B, NULL, TH_CLIENT_AUTH_REQUEST, "nss-nss: request, none sent");
    expect_mtls_refused(OSSL, "client-expired", TH_EXPIRED, "expired client certificate");
    expect_mtls_refused(OSSL, "client-self-signed", TH_SELF_SIGNED,
                        "self-signed client certificate");
    expect_mtls_refused(OSSL, "client-server-eku", TH_BAD_EKU,
                        "serverAuth-only client certificate");
    expect_mtls_refused(B, "client-untrusted", TH_INCOMPLETE_CHAIN,
                        "client leaf under another root");
    struct run r;
    init_mtls(&r, OSSL, B, NULL, TH_CLIENT_AUTH_REQUIRE);
    r.ccfg.versions = r.scfg.versions = V13;
    if (handshake(&r) == 0)
        check_failed(&r.serr, r.sst, TH_CERTIFICATE_REQUIRED, "TLS 1.3, required, none sent");
    run_free(&r);
}

/* ---- OCSP ---- */

static void init_ocsp(struct run *r, const struct th_backend *cb, const struct th_backend *sb,
                      const char *leaf, const char *resp, enum th_ocsp_mode mode)
{
    char f[128];
    run_init2(r, leaf, cb, sb);
    r->ccfg.ocsp = mode;
    if (resp) {
        snprintf(f, sizeof(f), "%s.der", resp);
        pki_path(ocsp_file, sizeof(ocsp_file), f);
        r->scfg.ocsp_file = ocsp_file;
    }
}

static void expect_staple(const struct th_backend *sb, const char *leaf, const char *resp,
                          enum th_ocsp_mode mode, enum th_outcome want, enum th_staple seen)
{
    struct run r;
    char what[160];
    snprintf(what, sizeof(what), "%s server, %s stapling %s, %s", sb->name, leaf,
             resp ? resp : "nothing", mode == TH_OCSP_REQUIRE ? "require" : "request");
    init_ocsp(&r, B, sb, leaf, resp, mode);
    if (handshake(&r) == 0) {
        if (want == TH_OK)
            check_ok(&r, what);
        else
            ok(r.cst == TH_STEP_FAILED && r.cerr.outcome == want, "%s: %s (%s)", what,
               th_outcome_name(want), r.cerr.text);
        is_int(r.cneg.ocsp, seen, "%s: staple seen", what);
    }
    run_free(&r);
}

static void test_ocsp(void)
{
    for (int i = 0; i < 2; i++) {
        const struct th_backend *sb = i ? OSSL : B;
        expect_staple(sb, "rsa2048", "ocsp-good", TH_OCSP_REQUEST, TH_OK, TH_STAPLE_GOOD);
        expect_staple(sb, "rsa2048", "ocsp-delegated", TH_OCSP_REQUIRE, TH_OK, TH_STAPLE_GOOD);
        expect_staple(sb, "revoked", "ocsp-revoked", TH_OCSP_REQUEST, TH_REVOKED,
                      TH_STAPLE_REVOKED);
        expect_staple(sb, "rsa2048", "ocsp-expired", TH_OCSP_REQUEST, TH_OCSP_INVALID,
                      TH_STAPLE_INVALID);
        expect_staple(sb, "rsa2048", "ocsp-wrong-responder", TH_OCSP_REQUEST, TH_OCSP_INVALID,
                      TH_STAPLE_INVALID);
        expect_staple(sb, "rsa2048", "ocsp-other-cert", TH_OCSP_REQUEST, TH_OCSP_INVALID,
                      TH_STAPLE_INVALID);
        expect_staple(sb, "rsa2048", NULL, TH_OCSP_REQUEST, TH_OK, TH_STAPLE_NONE);
        expect_staple(sb, "rsa2048", NULL, TH_OCSP_REQUIRE, TH_OCSP_MISSING, TH_STAPLE_NONE);
    }
    /* a good staple after a stale one, and the other way round: NSS's OCSP cache
     * is emptied around each check */
    expect_staple(B, "rsa2048", "ocsp-good", TH_OCSP_REQUEST, TH_OK, TH_STAPLE_GOOD);
    expect_staple(B, "rsa2048", "ocsp-expired", TH_OCSP_REQUEST, TH_OCSP_INVALID,
                  TH_STAPLE_INVALID);
    expect_staple(B, "rsa2048", "ocsp-good", TH_OCSP_REQUEST, TH_OK, TH_STAPLE_GOOD);
}

/* ---- what earlier connections leave behind ---- */

/* libpkix keeps intermediates it has seen: a leaf sent alone must still be refused
 * after a connection that carried its intermediate. */
static void test_chain_memory(void)
{
    for (int i = 0; i < 2; i++) {
        expect_cert_what(B, OSSL, "rsa2048", "localhost", 0, TH_OK, "a full chain first");
        expect_cert_what(B, OSSL, "no-intermediate", "localhost", 0, TH_INCOMPLETE_CHAIN,
                         "then a leaf sent alone");
    }
}

/* An NSS server cannot serve a certificate-signing-only leaf: every handshake fails
 * with no suite, and the refusal says why. */
static void test_unservable(void)
{
    struct run r;
    run_init2(&r, "bad-key-usage", OSSL, B);
    if (handshake(&r) == 0) {
        ok(r.sst == TH_STEP_FAILED && strstr(r.serr.text, "SSL_ConfigServerCert") != NULL,
           "bad-key-usage leaf: the server says NSS refused it (%s)", r.serr.text);
        ok(r.cst == TH_STEP_FAILED, "bad-key-usage leaf: the client fails (%s)", r.cerr.text);
    }
    run_free(&r);
}

int main(void)
{
    if (pd_begin("nss-auth") != 0)
        return pd_end();
    test_client_certs();
    test_ocsp();
    test_chain_memory();
    test_unservable();
    return pd_end();
}
