/* Tests of the generated test PKI: each leaf fails verification the way its name
 * says, checked with OpenSSL's own verifier; reuse and regeneration of the cache;
 * names and paths; errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "harness/pki/pki.h"
#include "harness/pki/pki_int.h"
#include "tap.h"

static char dir[256];

static char *pki_file(const char *name, const char *suffix)
{
    return th_xasprintf("%s/%s%s", dir, name, suffix);
}

static STACK_OF(X509) * load_certs(const char *name, const char *suffix)
{
    char *path = pki_file(name, suffix);
    FILE *f = fopen(path, "r");
    free(path);
    STACK_OF(X509) *sk = sk_X509_new_null();
    X509 *x;
    while (f && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
        sk_X509_push(sk, x);
    ERR_clear_error(); /* the read that ended the loop */
    if (f)
        fclose(f);
    return sk;
}

static X509 *load_cert(const char *name)
{
    STACK_OF(X509) *sk = load_certs(name, ".pem");
    X509 *x = sk_X509_num(sk) == 1 ? sk_X509_shift(sk) : NULL;
    sk_X509_pop_free(sk, X509_free);
    return x;
}

static EVP_PKEY *load_key(const char *name)
{
    char *path = pki_file(name, ".key.pem");
    FILE *f = fopen(path, "r");
    free(path);
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return k;
}

enum { V_CRL = 1, V_CRL_ALL = 2, V_PURPOSE = 4, V_IP = 8, V_CLIENT = 16, V_NO_PARTIAL = 32 };

static int verify_depth; /* the depth of the last verify()'s error */

/* Verify NAME.chain.pem against a store holding ANCHOR.pem (the rest of the chain
 * is untrusted), for host (a DNS name or an IP literal; NULL: no name check).
 * Returns the X509_V_ code. */
static int verify_full(const char *name, const char *anchor, const char *host, int opts)
{
    X509_STORE *store = X509_STORE_new();
    char *root = pki_file(anchor, ".pem"), *crl = pki_file("crl", ".pem");
    int loaded = X509_STORE_load_file(store, root) &&
                 (!(opts & (V_CRL | V_CRL_ALL)) || X509_STORE_load_file(store, crl));
    free(root);
    free(crl);
    STACK_OF(X509) *chain = load_certs(name, ".chain.pem");
    X509 *leaf = sk_X509_shift(chain);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int code = -1;
    verify_depth = -1;
    if (loaded && leaf && X509_STORE_CTX_init(ctx, store, leaf, chain)) {
        X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(ctx);
        unsigned char ip[16];
        if (host && (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1))
            X509_VERIFY_PARAM_set1_ip_asc(p, host);
        else if (host)
            X509_VERIFY_PARAM_set1_host(p, host, 0);
        if (opts & V_NO_PARTIAL)
            X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (opts & V_CRL)
            X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_CRL_CHECK);
        if (opts & V_CRL_ALL)
            X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        if (opts & V_PURPOSE)
            X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
        if (opts & V_CLIENT)
            X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
        code = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
        verify_depth = X509_STORE_CTX_get_error_depth(ctx);
    }
    X509_STORE_CTX_free(ctx);
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    X509_STORE_free(store);
    ERR_clear_error();
    return code;
}

/* Against root.pem, for host "localhost" (or IP 127.0.0.1 with V_IP). */
static int verify(const char *name, int opts)
{
    return verify_full(name, "root", opts & V_IP ? "127.0.0.1" : "localhost", opts);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static char *read_text(const char *name)
{
    char *path = pki_file(name, "");
    char *text = th_read_file(path, NULL);
    free(path);
    return text;
}

static long long manifest_ll(const char *key)
{
    char *text = read_text("manifest.json");
    long long v = -1;
    char *p = text ? strstr(text, key) : NULL;
    if (p)
        sscanf(p + strlen(key), "%lld", &v);
    free(text);
    return v;
}

static void test_verification(void)
{
    is_int(verify("rsa2048", V_PURPOSE), X509_V_OK, "rsa2048 verifies for localhost");
    is_int(verify("rsa2048", V_IP), X509_V_OK, "rsa2048 verifies for 127.0.0.1");
    is_int(verify("ecdsa-p256", V_PURPOSE), X509_V_OK, "ecdsa-p256 verifies for localhost");
    is_int(verify("ecdsa-p256", V_IP), X509_V_OK, "ecdsa-p256 verifies for 127.0.0.1");
    is_int(verify("rsa2048", V_CRL_ALL), X509_V_OK, "rsa2048 passes a whole-chain CRL check");
    is_int(verify("expired", 0), X509_V_ERR_CERT_HAS_EXPIRED, "expired");
    is_int(verify("not-yet-valid", 0), X509_V_ERR_CERT_NOT_YET_VALID, "not-yet-valid");
    is_int(verify("wrong-host", 0), X509_V_ERR_HOSTNAME_MISMATCH, "wrong-host");
    is_int(verify("self-signed", 0), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed");
    is_int(verify("untrusted", 0), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
           "untrusted: issuer unknown");
    is_int(verify("untrusted-chain", 0), X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
           "untrusted-chain: complete, to a root that is not trusted");
    is_int(verify_full("untrusted-chain", "untrusted-root", "localhost", V_PURPOSE), X509_V_OK,
           "untrusted-chain verifies against its own root");
    is_int(verify("no-intermediate", 0), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
           "no-intermediate: chain incomplete");
    is_int(verify("bad-signature", 0), X509_V_ERR_CERT_SIGNATURE_FAILURE, "bad-signature");
    is_int(verify("revoked", 0), X509_V_OK, "revoked verifies without a CRL");
    is_int(verify("revoked", V_CRL), X509_V_ERR_CERT_REVOKED, "revoked with CRL check");
    is_int(verify("revoked", V_CRL_ALL), X509_V_ERR_CERT_REVOKED, "revoked, whole chain");
    is_int(verify("bad-eku", V_PURPOSE), X509_V_ERR_INVALID_PURPOSE, "bad-eku: wrong purpose");
}

/* The leaves added for issue 12: each is refused by OpenSSL's verifier for the one
 * rule it breaks, and a sibling or a looser check shows the rest of it is sound. */
static void test_new_rules(void)
{
    is_int(verify("nc-permitted", V_PURPOSE), X509_V_OK, "nc-permitted: inside every subtree");
    is_int(verify_full("nc-permitted", "root", "www.permitted.test", 0), X509_V_OK,
           "nc-permitted verifies as www.permitted.test (a DNS subtree)");
    is_int(verify_full("nc-excluded", "root", "excluded.test", 0), X509_V_ERR_PERMITTED_VIOLATION,
           "nc-excluded: excluded.test is outside the permitted subtrees (OpenSSL checks those "
           "first)");
    is_int(verify_full("nc-excluded-ip", "root", "127.0.0.2", 0), X509_V_ERR_EXCLUDED_VIOLATION,
           "nc-excluded-ip: 127.0.0.2 is in the excluded subtree");
    is_int(verify("path-too-long", 0), X509_V_ERR_PATH_LENGTH_EXCEEDED, "path-too-long");
    is_int(verify_depth, 2, "... at the pathlen:0 intermediate");
    is_int(verify("issuer-not-ca", 0), X509_V_ERR_INVALID_CA, "issuer-not-ca: CA:FALSE");
    is_int(verify("issuer-no-bc", 0), X509_V_ERR_INVALID_CA, "issuer-no-bc: no basicConstraints");
    is_int(verify("unknown-critical", 0), X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION,
           "unknown-critical");
    is_int(verify_depth, 0, "... in the leaf");
    is_int(verify("expired-intermediate", 0), X509_V_ERR_CERT_HAS_EXPIRED, "expired-intermediate");
    is_int(verify_depth, 1, "... the intermediate has expired, not the leaf");
    const char *good[] = {"ed25519", "ecdsa-p384", "ecdsa-p521", "rsa4096"};
    for (size_t i = 0; i < TH_ARRAY_LEN(good); i++) {
        is_int(verify(good[i], V_PURPOSE), X509_V_OK, "%s verifies for localhost", good[i]);
        is_int(verify(good[i], V_IP), X509_V_OK, "%s verifies for 127.0.0.1", good[i]);
    }
    is_int(verify_full("wildcard", "root", "a.wild.test", V_PURPOSE), X509_V_OK,
           "wildcard covers a.wild.test");
    is_int(verify_full("wildcard", "root", "a.b.wild.test", 0), X509_V_ERR_HOSTNAME_MISMATCH,
           "wildcard does not cover two labels (wildcard-depth)");
    is_int(verify_full("wildcard", "root", "wild.test", 0), X509_V_ERR_HOSTNAME_MISMATCH,
           "wildcard does not cover its parent");
    is_int(verify_full("wildcard-partial", "root", "ab.wild.test", 0), X509_V_OK,
           "wildcard-partial: OpenSSL accepts a*.wild.test for ab.wild.test by default");
    is_int(verify_full("wildcard-partial", "root", "ab.wild.test", V_NO_PARTIAL),
           X509_V_ERR_HOSTNAME_MISMATCH, "... and refuses it without partial wildcards");
    is_int(verify_full("wildcard-partial", "root", "b.wild.test", 0), X509_V_ERR_HOSTNAME_MISMATCH,
           "wildcard-partial does not cover b.wild.test");
}

/* A duplicate subjectAltName, signed properly: only its structure is wrong. */
static void test_malformed(void)
{
    X509 *x = load_cert("malformed"), *inter = load_cert("intermediate");
    int first = x ? X509_get_ext_by_NID(x, NID_subject_alt_name, -1) : -1;
    ok(first >= 0 && X509_get_ext_by_NID(x, NID_subject_alt_name, first) > first,
       "malformed has two subjectAltName extensions");
    is_int(x && inter ? X509_verify(x, X509_get0_pubkey(inter)) : -1, 1,
           "malformed is signed properly by the intermediate");
    int code = verify("malformed", 0);
    ok(code != X509_V_OK, "OpenSSL refuses malformed (error %d: %s)", code,
       X509_verify_cert_error_string(code));
    X509_free(x);
    X509_free(inter);
    x = load_cert("rsa2048");
    first = x ? X509_get_ext_by_NID(x, NID_subject_alt_name, -1) : -1;
    ok(first >= 0 && X509_get_ext_by_NID(x, NID_subject_alt_name, first) < 0,
       "rsa2048 has one subjectAltName");
    X509_free(x);
    ERR_clear_error();
}

static void test_client_leaves(void)
{
    is_int(verify_full("client", "root", NULL, V_CLIENT), X509_V_OK, "client: clientAuth");
    is_int(verify_full("client", "root", NULL, V_PURPOSE), X509_V_ERR_INVALID_PURPOSE,
           "client is no server certificate");
    is_int(verify_full("client-server-eku", "root", NULL, V_CLIENT), X509_V_ERR_INVALID_PURPOSE,
           "client-server-eku: serverAuth only");
    is_int(verify_full("client-expired", "root", NULL, V_CLIENT), X509_V_ERR_CERT_HAS_EXPIRED,
           "client-expired");
    is_int(verify_full("client-untrusted", "root", NULL, V_CLIENT),
           X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "client-untrusted");
    is_int(verify_full("client-untrusted", "untrusted-root", NULL, V_CLIENT), X509_V_OK,
           "client-untrusted verifies against its own root");
    is_int(verify_full("client-self-signed", "root", NULL, V_CLIENT),
           X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "client-self-signed");
}

static int has_ext(X509 *x, int nid, int critical)
{
    int i = x ? X509_get_ext_by_NID(x, nid, -1) : -1;
    return i >= 0 && (critical < 0 || X509_EXTENSION_get_critical(X509_get_ext(x, i)) == critical);
}

static void test_anchors(void)
{
    is_int(verify_full("anchored-nc", "anchor-nc", "localhost", V_PURPOSE), X509_V_OK,
           "anchored-nc verifies against anchor-nc (inside its constraints)");
    is_int(verify_full("anchored-dsa", "anchor-dsa", "localhost", V_PURPOSE), X509_V_OK,
           "anchored-dsa verifies against anchor-dsa");
    is_int(verify_full("anchored-critical", "anchor-critical", "localhost", 0),
           X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION,
           "OpenSSL checks the anchor's unknown critical extension too");
    is_int(verify_depth, 1, "... at the anchor");
    is_int(verify_full("anchored-nc", "root", "localhost", 0),
           X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "anchored-nc needs its own anchor");
    X509 *x = load_cert("anchor-nc");
    ok(has_ext(x, NID_name_constraints, 1), "anchor-nc has critical name constraints");
    X509_free(x);
    x = load_cert("anchor-dsa");
    ok(x && EVP_PKEY_is_a(X509_get0_pubkey(x), "DSA"), "anchor-dsa has a DSA key");
    is_int(x ? X509_get_signature_nid(x) : 0, NID_dsa_with_SHA256, "... and signs with DSA");
    X509_free(x);
    x = load_cert("anchor-critical");
    ASN1_OBJECT *oid = OBJ_txt2obj(TH_PKI_UNKNOWN_OID, 1);
    int i = x && oid ? X509_get_ext_by_OBJ(x, oid, -1) : -1;
    ok(i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i)),
       "anchor-critical has the unknown OID, critical");
    ASN1_OBJECT_free(oid);
    X509_free(x);
}

/* What each new CA is made of, read back from its file. */
static void test_cas(void)
{
    for (size_t i = 0; th_pki_cas[i]; i++) {
        X509 *x = load_cert(th_pki_cas[i]);
        ok(x != NULL, "%s.pem holds one certificate", th_pki_cas[i]);
        ok(th_pki_known(th_pki_cas[i], TH_PKI_CA) && !th_pki_known(th_pki_cas[i], TH_PKI_KEY),
           "%s is a trust anchor name, not a key", th_pki_cas[i]);
        X509_free(x);
    }
    X509 *x = load_cert("not-ca-intermediate");
    ok(has_ext(x, NID_basic_constraints, 1) && !(X509_get_extension_flags(x) & EXFLAG_CA) &&
           (X509_get_key_usage(x) & KU_KEY_CERT_SIGN),
       "not-ca-intermediate: CA:FALSE, keyCertSign kept");
    X509_free(x);
    x = load_cert("no-bc-intermediate");
    ok(x && !has_ext(x, NID_basic_constraints, -1) && (X509_get_key_usage(x) & KU_KEY_CERT_SIGN),
       "no-bc-intermediate: no basicConstraints, keyCertSign");
    X509_free(x);
    x = load_cert("pathlen0-intermediate");
    is_int(x ? X509_get_pathlen(x) : -2, 0, "pathlen0-intermediate has pathlen 0");
    X509_free(x);
    x = load_cert("sub-ca");
    ok(x && (X509_get_extension_flags(x) & EXFLAG_CA), "sub-ca is a CA");
    X509_free(x);
    x = load_cert("nc-intermediate");
    ok(has_ext(x, NID_name_constraints, 1), "nc-intermediate has critical name constraints");
    X509_free(x);
    x = load_cert("expired-intermediate-ca");
    ok(x && X509_cmp_current_time(X509_get0_notAfter(x)) < 0, "expired-intermediate-ca expired");
    X509_free(x);
    x = load_cert("unknown-critical");
    ASN1_OBJECT *oid = OBJ_txt2obj(TH_PKI_UNKNOWN_OID, 1);
    ok(x && oid && X509_get_ext_by_OBJ(x, oid, -1) >= 0 && has_ext(x, NID_subject_alt_name, 0),
       "unknown-critical carries the unknown OID and is otherwise a good leaf");
    ASN1_OBJECT_free(oid);
    X509_free(x);
    x = load_cert("rsa2048");
    oid = OBJ_txt2obj(TH_PKI_UNKNOWN_OID, 1);
    ok(x && oid && X509_get_ext_by_OBJ(x, oid, -1) < 0, "rsa2048 does not");
    ASN1_OBJECT_free(oid);
    X509_free(x);
}

static int chain_len(const char *name)
{
    STACK_OF(X509) *sk = load_certs(name, ".chain.pem");
    int n = sk_X509_num(sk);
    sk_X509_pop_free(sk, X509_free);
    return n;
}

static void test_chain_files(void)
{
    const char *alone[] = {"no-intermediate", "self-signed", "untrusted"};
    for (size_t i = 0; i < TH_ARRAY_LEN(alone); i++) {
        STACK_OF(X509) *sk = load_certs(alone[i], ".chain.pem");
        is_int(sk_X509_num(sk), 1, "%s.chain.pem holds the leaf alone", alone[i]);
        sk_X509_pop_free(sk, X509_free);
    }
    STACK_OF(X509) *sk = load_certs("rsa2048", ".chain.pem");
    X509 *inter = load_cert("intermediate");
    is_int(sk_X509_num(sk), 2, "rsa2048.chain.pem holds leaf and intermediate");
    ok(sk_X509_num(sk) == 2 && inter && X509_cmp(sk_X509_value(sk, 1), inter) == 0,
       "the second certificate is the intermediate");
    X509_free(inter);
    sk_X509_pop_free(sk, X509_free);
    is_int(chain_len("path-too-long"), 3, "path-too-long: leaf, sub-ca, pathlen0-intermediate");
    is_int(chain_len("nc-excluded"), 2, "nc-excluded: leaf and nc-intermediate");
    is_int(chain_len("expired-intermediate"), 2, "expired-intermediate sends its intermediate");
    is_int(chain_len("untrusted-chain"), 2, "untrusted-chain: leaf and untrusted-root");
    const char *alone2[] = {"anchored-nc", "anchored-critical", "anchored-dsa", "client-untrusted",
                            "client-self-signed"};
    for (size_t i = 0; i < TH_ARRAY_LEN(alone2); i++)
        is_int(chain_len(alone2[i]), 1, "%s: under a root, sent alone", alone2[i]);
}

static void test_keys(void)
{
    for (size_t i = 0; th_pki_leaves[i]; i++) {
        X509 *x = load_cert(th_pki_leaves[i]);
        EVP_PKEY *k = load_key(th_pki_leaves[i]);
        ok(x && k && X509_check_private_key(x, k) == 1, "%s: key matches certificate",
           th_pki_leaves[i]);
        X509_free(x);
        EVP_PKEY_free(k);
    }
    ERR_clear_error();
    struct stat st;
    char *path = pki_file("rsa2048", ".key.pem");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "key file mode is 0600");
    free(path);
    char *text = read_text("rsa2048.key.pem");
    ok(text && strncmp(text, "-----BEGIN PRIVATE KEY-----", 27) == 0, "key is PKCS#8 PEM");
    free(text);
}

static int key_bits(const char *name)
{
    X509 *x = load_cert(name);
    int bits = x ? EVP_PKEY_get_bits(X509_get0_pubkey(x)) : -1;
    X509_free(x);
    return bits;
}

static void test_properties(void)
{
    is_int(key_bits("rsa1024"), 1024, "rsa1024 has a 1024-bit key");
    is_int(key_bits("rsa2048"), 2048, "rsa2048 has a 2048-bit key");
    is_int(key_bits("rsa4096"), 4096, "rsa4096 has a 4096-bit key");
    is_int(key_bits("ecdsa-p384"), 384, "ecdsa-p384 has a P-384 key");
    is_int(key_bits("ecdsa-p521"), 521, "ecdsa-p521 has a P-521 key");
    X509 *ed = load_cert("ed25519");
    ok(ed && EVP_PKEY_is_a(X509_get0_pubkey(ed), "ED25519") &&
           X509_get_key_usage(ed) == KU_DIGITAL_SIGNATURE,
       "ed25519 has an Ed25519 key, keyUsage digitalSignature only");
    X509_free(ed);
    X509 *x = load_cert("ecdsa-p256");
    ok(x && EVP_PKEY_is_a(X509_get0_pubkey(x), "EC"), "ecdsa-p256 has an EC key");
    X509_free(x);
    x = load_cert("sha1");
    is_int(x ? X509_get_signature_nid(x) : 0, NID_sha1WithRSAEncryption, "sha1 signature");
    X509_free(x);
    x = load_cert("rsa2048");
    is_int(x ? X509_get_signature_nid(x) : 0, NID_sha256WithRSAEncryption, "sha256 signature");
    ok(x && (X509_get_extended_key_usage(x) & XKU_SSL_SERVER), "rsa2048 has serverAuth");
    ok(x && X509_get_key_usage(x) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT),
       "rsa2048 keyUsage");
    X509_free(x);
    x = load_cert("bad-eku");
    ok(x && !(X509_get_extended_key_usage(x) & XKU_SSL_SERVER), "bad-eku lacks serverAuth");
    X509_free(x);
    x = load_cert("bad-key-usage");
    ok(x && X509_get_key_usage(x) == KU_KEY_CERT_SIGN, "bad-key-usage: keyCertSign only");
    X509_free(x);
    x = load_cert("root");
    ok(x && (X509_get_extension_flags(x) & EXFLAG_CA) && X509_get0_subject_key_id(x),
       "root is a CA with an SKI");
    X509_free(x);
    x = load_cert("intermediate");
    is_int(x ? X509_get_pathlen(x) : -2, 0, "intermediate has pathlen 0");
    X509_free(x);
    char *m = read_text("manifest.json");
    ok(m && strstr(m, "\"generator\":\"tlsharness\"") && strstr(m, "\"bad-signature\"") &&
           strstr(m, "\"anchored-dsa\"") && strstr(m, "\"sub-ca\"") &&
           manifest_ll("\"format\":") == TH_PKI_FORMAT,
       "manifest names generator, format and objects");
    free(m);
    long long until = manifest_ll("\"good_until\":");
    ok(until > time(NULL) + 29 * 86400 && until <= time(NULL) + 30 * 86400,
       "good_until is the leaves' notAfter");
}

static char *slurp(const char *name)
{
    char *t = read_text(name);
    return t ? t : th_xstrdup("");
}

static void write_manifest_until(long long until)
{
    char *text = read_text("manifest.json");
    char *p = text ? strstr(text, "\"good_until\":") : NULL;
    char *q = p ? strchr(p, ',') : NULL;
    if (!q) {
        free(text);
        return;
    }
    *p = '\0';
    char *out = th_xasprintf("%s\"good_until\":%lld%s", text, until, q);
    char *path = pki_file("manifest.json", "");
    if (th_write_file_atomic(path, out, strlen(out)) < 0)
        diag("cannot rewrite the manifest");
    free(path);
    free(out);
    free(text);
}

static void test_ensure(void)
{
    struct th_error err = {0};
    long long created = manifest_ll("\"created\":");
    char *root = slurp("root.pem");
    is_int(th_pki_ensure(dir, &err), 0, "ensure on a good folder");
    char *again = slurp("root.pem");
    ok(manifest_ll("\"created\":") == created && strcmp(root, again) == 0,
       "ensure reuses the folder");
    free(again);

    write_manifest_until(time(NULL) - 10);
    is_int(th_pki_ensure(dir, &err), 0, "ensure after good_until passed");
    again = slurp("root.pem");
    ok(strcmp(root, again) != 0, "ensure regenerated a stale PKI");
    ok(manifest_ll("\"good_until\":") > time(NULL), "the new manifest is good");
    free(root);
    root = again;

    /* a cache of an older format holds objects of another meaning */
    char *text = read_text("manifest.json");
    char *f = text ? strstr(text, "\"format\":") : NULL;
    if (f) {
        f[9] = '1';
        char *path = pki_file("manifest.json", "");
        if (th_write_file_atomic(path, text, strlen(text)) < 0)
            diag("cannot rewrite the manifest");
        free(path);
    }
    free(text);
    is_int(th_pki_ensure(dir, &err), 0, "ensure on a folder of format 1");
    again = slurp("root.pem");
    ok(f && strcmp(root, again) != 0 && manifest_ll("\"format\":") == TH_PKI_FORMAT,
       "ensure regenerated an older format");
    free(root);
    root = again;

    char *gone = pki_file("ecdsa-p256", ".key.pem");
    unlink(gone);
    is_int(th_pki_ensure(dir, &err), 0, "ensure with a file missing");
    ok(access(gone, R_OK) == 0, "the missing file is back");
    again = slurp("root.pem");
    ok(strcmp(root, again) != 0, "ensure regenerated an incomplete PKI");
    free(again);
    free(root);
    free(gone);
    char *tmp = th_xasprintf("%s.tmp.%ld", dir, (long)getpid());
    ok(access(tmp, F_OK) != 0, "no temporary folder left behind");
    free(tmp);
}

static void test_paths(void)
{
    char out[512];
    struct th_error err = {0};
    is_int(th_pki_path(dir, "rsa2048", TH_PKI_CHAIN, out, sizeof out, &err), 0, "path of a chain");
    char *want = pki_file("rsa2048", ".chain.pem");
    is_str(out, want, "chain path");
    free(want);
    is_int(th_pki_path(dir, "ecdsa-p256", TH_PKI_KEY, out, sizeof out, &err), 0, "path of a key");
    ok(strstr(out, "/ecdsa-p256.key.pem") != NULL, "key path");
    is_int(th_pki_path(dir, "crl", TH_PKI_CRL, out, sizeof out, &err), 0, "crl");
    ok(strstr(out, "/crl.pem") != NULL, "crl path");
    is_int(th_pki_path(dir, "self-signed", TH_PKI_CA, out, sizeof out, &err), 0,
           "a leaf may be a trust anchor");
    ok(th_pki_known("untrusted-root", TH_PKI_CA) && !th_pki_known("root", TH_PKI_KEY) &&
           !th_pki_known("crl", TH_PKI_CA) && !th_pki_known("pki:root", TH_PKI_CA),
       "th_pki_known");

    is_int(th_pki_path(dir, "foo", TH_PKI_CA, out, sizeof out, &err), -1, "unknown name fails");
    ok(strstr(err.text, "unknown PKI object 'foo'") && strstr(err.text, "root, intermediate"),
       "unknown name message: %s", err.text);
    ok(err.input && th_error_exit_status(&err) == 2, "an unknown name is the user's input: exit 2");
    ok(strstr(err.text, "`tlsharness pki` lists them all") &&
           strlen(err.text) < sizeof err.text - 1,
       "the list of names is cut short, not truncated: %s", err.text);
    is_int(th_pki_path(dir, "anchor-dsa", TH_PKI_CA, out, sizeof out, &err), 0,
           "anchor-dsa is a trust anchor");
    is_int(th_pki_path(dir, "anchor-dsa", TH_PKI_CHAIN, out, sizeof out, &err), -1,
           "anchor-dsa is not a chain to serve");
    is_int(th_pki_path(dir, "wildcard-depth", TH_PKI_CHAIN, out, sizeof out, &err), -1,
           "wildcard-depth is a scenario variant, not an object");
    is_int(th_pki_path(dir, "crl", TH_PKI_CHAIN, out, sizeof out, &err), -1, "wrong use fails");
    is_str(err.text, "'crl' is not a certificate chain", "wrong use message");
    is_int(th_pki_path(dir, "root", TH_PKI_KEY, out, sizeof out, &err), -1, "a CA has no key file");
    is_int(th_pki_path(dir, "rsa2048", TH_PKI_CHAIN, out, 8, &err), -1, "a too small buffer fails");
    ok(!err.input && err.file && strstr(err.text, "too long"), "and is a fault at its place");
    for (size_t i = 0; th_pki_leaves[i]; i++) {
        int all = th_pki_path(dir, th_pki_leaves[i], TH_PKI_CHAIN, out, sizeof out, &err) == 0 &&
                  access(out, R_OK) == 0;
        ok(all, "%s.chain.pem exists", th_pki_leaves[i]);
    }
}

/* Two processes replace the same folder at once: both succeed and the folder ends
 * complete, whichever of them won. */
static void test_race(void)
{
    struct th_error err = {0};
    for (int round = 0; round < 2; round++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(th_pki_generate(dir, &err) == 0 ? 0 : 1);
        int mine = th_pki_generate(dir, &err), status = -1;
        waitpid(pid, &status, 0);
        ok(mine == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "concurrent generate, round %d: %s", round, mine == 0 ? "both ok" : err.text);
        is_int(verify("rsa2048", 0), X509_V_OK, "the folder is complete afterwards");
    }
    char *old = th_xasprintf("%s.old.%ld", dir, (long)getpid());
    ok(access(old, F_OK) != 0, "the old folder was removed");
    free(old);
}

static void test_errors(void)
{
    struct th_error err = {0};
    char path[300];
    snprintf(path, sizeof path, "%s.file", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    char *under = th_xasprintf("%s/pki", path);
    is_int(th_pki_generate(under, &err), -1, "generate under a regular file");
    ok(strstr(err.text, path) != NULL, "the message names the path: %s", err.text);
    ok(err.code == ENOTDIR && err.file && strstr(err.file, "pki.c") && !err.input,
       "a system fault: errno ENOTDIR, raised in pki.c");
    free(under);
    th_error_clear(&err);
    is_int(th_pki_generate(path, &err), -1, "generate over a regular file");
    ok(strstr(err.text, path) != NULL, "the message names the path: %s", err.text);
    char *tmp = th_xasprintf("%s.tmp.%ld", path, (long)getpid());
    ok(access(tmp, F_OK) != 0, "the failed run removed its temporary folder");
    free(tmp);
    unlink(path);
}

int main(void)
{
    char base[] = "/tmp/th_pki_XXXXXX";
    if (!mkdtemp(base)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    snprintf(dir, sizeof dir, "%s/sub/pki/", base); /* parents made; trailing slash */
    struct th_error err = {0};
    uint64_t t0 = th_now_ns();
    int rc = th_pki_generate(dir, &err);
    double secs = (double)(th_now_ns() - t0) / 1e9;
    if (!ok(rc == 0, "generate into a fresh folder (%.2f s)", secs))
        diag(err.text);
    dir[strlen(dir) - 1] = '\0';
    test_verification();
    test_new_rules();
    test_malformed();
    test_client_leaves();
    test_anchors();
    test_cas();
    test_chain_files();
    test_keys();
    test_properties();
    test_paths();
    test_ensure();
    test_race();
    test_errors();
    nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
