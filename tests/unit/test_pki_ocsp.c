/* Tests of the test PKI's OCSP responses and the must-staple leaf, each checked with
 * OpenSSL's own OCSP verifier the way a stapling client checks one: each response
 * verifies or fails for exactly the reason its name gives. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness/pki/pki.h"
#include "tap.h"

static char dir[256];

static X509 *load_cert(const char *name)
{
    char *path = th_xasprintf("%s/%s.pem", dir, name);
    FILE *f = fopen(path, "r");
    free(path);
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return x;
}

static OCSP_RESPONSE *load_response(const char *name)
{
    char path[512];
    struct th_error err = {0};
    if (th_pki_path(dir, name, TH_PKI_OCSP, path, sizeof path, &err) != 0)
        return NULL;
    BIO *b = BIO_new_file(path, "rb");
    OCSP_RESPONSE *r = b ? d2i_OCSP_RESPONSE_bio(b, NULL) : NULL;
    BIO_free(b);
    return r;
}

struct verdict {
    int parsed, signature_ok, found, status, times_ok;
};

/* What a client trusting root learns from response `name` about `leaf`. */
static struct verdict check(const char *name, const char *leaf)
{
    struct verdict v = {0, 0, 0, -1, 0};
    OCSP_RESPONSE *r = load_response(name);
    OCSP_BASICRESP *bs = r ? OCSP_response_get1_basic(r) : NULL;
    X509 *root = load_cert("root"), *inter = load_cert("intermediate"), *cert = load_cert(leaf);
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!bs || !root || !inter || !cert || !store || !untrusted)
        goto out;
    v.parsed = OCSP_response_status(r) == OCSP_RESPONSE_STATUS_SUCCESSFUL;
    X509_STORE_add_cert(store, root);
    sk_X509_push(untrusted, inter);
    v.signature_ok = OCSP_basic_verify(bs, untrusted, store, 0) == 1;
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, inter);
    int reason;
    ASN1_GENERALIZEDTIME *rev, *this_upd, *next_upd;
    v.found = OCSP_resp_find_status(bs, id, &v.status, &reason, &rev, &this_upd, &next_upd);
    if (v.found)
        v.times_ok = OCSP_check_validity(this_upd, next_upd, 300, -1);
    OCSP_CERTID_free(id);
out:
    ERR_clear_error();
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    X509_free(root);
    X509_free(inter);
    X509_free(cert);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    return v;
}

static void test_responses(void)
{
    struct verdict v = check("ocsp-good", "rsa2048");
    ok(v.parsed && v.signature_ok && v.found && v.times_ok, "ocsp-good verifies");
    is_int(v.status, V_OCSP_CERTSTATUS_GOOD, "ocsp-good says good");

    v = check("ocsp-delegated", "rsa2048");
    ok(v.signature_ok && v.found && v.times_ok, "ocsp-delegated verifies (a delegated responder)");
    is_int(v.status, V_OCSP_CERTSTATUS_GOOD, "ocsp-delegated says good");

    v = check("ocsp-revoked", "revoked");
    ok(v.signature_ok && v.found && v.times_ok, "ocsp-revoked verifies");
    is_int(v.status, V_OCSP_CERTSTATUS_REVOKED, "ocsp-revoked says revoked");

    v = check("ocsp-expired", "rsa2048");
    ok(v.signature_ok && v.found, "ocsp-expired is signed and about rsa2048");
    ok(!v.times_ok, "ocsp-expired is stale: its nextUpdate has passed");

    v = check("ocsp-wrong-responder", "rsa2048");
    ok(v.parsed && !v.signature_ok, "ocsp-wrong-responder does not verify (no OCSPSigning)");

    v = check("ocsp-other-cert", "rsa2048");
    ok(v.signature_ok && !v.found, "ocsp-other-cert holds no status for rsa2048");
    v = check("ocsp-other-cert", "ecdsa-p256");
    ok(v.found && v.status == V_OCSP_CERTSTATUS_GOOD, "ocsp-other-cert is ecdsa-p256's answer");

    v = check("ocsp-must-staple", "must-staple");
    ok(v.signature_ok && v.found && v.times_ok && v.status == V_OCSP_CERTSTATUS_GOOD,
       "ocsp-must-staple verifies, good");
}

static void test_must_staple(void)
{
    X509 *ms = load_cert("must-staple"), *plain = load_cert("rsa2048");
    ok(ms && X509_get_ext_by_NID(ms, NID_tlsfeature, -1) >= 0, "must-staple has a TLS feature");
    ok(plain && X509_get_ext_by_NID(plain, NID_tlsfeature, -1) < 0, "rsa2048 has none");
    X509_free(ms);
    X509_free(plain);
}

static void test_names(void)
{
    char path[512];
    struct th_error err = {0};
    for (size_t i = 0; th_pki_ocsp[i]; i++)
        ok(th_pki_known(th_pki_ocsp[i], TH_PKI_OCSP), "%s is an OCSP response", th_pki_ocsp[i]);
    ok(!th_pki_known("ocsp-good", TH_PKI_CHAIN), "an OCSP response is not a chain");
    ok(!th_pki_known("rsa2048", TH_PKI_OCSP), "a leaf is not an OCSP response");
    is_int(th_pki_path(dir, "rsa2048", TH_PKI_OCSP, path, sizeof path, &err), -1,
           "th_pki_path refuses a leaf as an OCSP response");
    ok(strstr(err.text, "an OCSP response") != NULL, "and says what was wanted: %s", err.text);
    th_error_clear(&err);
    is_int(th_pki_path(dir, "ocsp-nope", TH_PKI_OCSP, path, sizeof path, &err), -1,
           "an unknown name is refused");
    ok(th_pki_path(dir, "ocsp-good", TH_PKI_OCSP, path, sizeof path, &err) == 0 &&
           access(path, R_OK) == 0 && strstr(path, "/ocsp-good.der"),
       "ocsp-good resolves to a readable .der: %s", path);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

int main(void)
{
    char base[] = "/tmp/th_pki_ocsp_XXXXXX";
    if (!mkdtemp(base)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/pki", base);
    struct th_error err = {0};
    if (!ok(th_pki_generate(dir, &err) == 0, "generate"))
        diag(err.text);
    test_responses();
    test_must_staple();
    test_names();
    nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
