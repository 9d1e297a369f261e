/* `tlsharness probe`'s parts: URL parsing, suite enumeration and the server order
 * test against fake servers, the key exchange kinds, what the probe refuses and a
 * server that is not there, the chain read with libcrypto, the readable report; and
 * the backends' peer_info op on real handshakes over the in-memory pair. */
#include "pairdrive.h"
#include "safe_text.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/probe/probe.h"
#include "harness/io/transport.h"

/* ---- URLs ---- */

static void url_ok(const char *url, const char *host, unsigned port, const char *path, int ip)
{
    struct th_probe_url u;
    struct th_error err = {0};
    int rc = th_probe_parse_url(url, &u, &err);
    if (!ok(rc == 0, "url %s parses", url)) {
        printf("#   %s\n", err.text);
        return;
    }
    is_str(u.host, host, "url %s: host", url);
    is_int(u.port, port, "url %s: port", url);
    is_str(u.path, path, "url %s: path", url);
    is_int(u.host_is_ip, ip, "url %s: IP literal or not", url);
}

static void url_bad(const char *url, const char *want)
{
    struct th_probe_url u;
    struct th_error err = {0};
    int rc = th_probe_parse_url(url, &u, &err);
    ok(rc == -1 && strstr(err.text, want) && err.input && !err.file,
       "url '%s' refused as bad input: %s", url ? url : "(null)", err.text);
}

static void test_urls(void)
{
    url_ok("https://localhost:4433", "localhost", 4433, "/", 0);
    url_ok("https://example.com", "example.com", 443, "/", 0);
    url_ok("HTTPS://example.com/", "example.com", 443, "/", 0);
    url_ok("https://127.0.0.1:8443/a/b?c=d", "127.0.0.1", 8443, "/a/b?c=d", 1);
    url_ok("https://[::1]:443", "::1", 443, "/", 1);
    url_ok("https://[::1]/x", "::1", 443, "/x", 1);
    url_ok("https://[2001:db8::1]:65535/", "2001:db8::1", 65535, "/", 1);
    url_ok("https://h:1?q", "h", 1, "/?q", 0);
    url_ok("https://h/p#frag", "h", 443, "/p", 0);
    url_ok("https://h#frag", "h", 443, "/", 0);
    url_bad(NULL, "no URL given");
    url_bad("", "no URL given");
    url_bad("http://h/", "only https:// URLs");
    url_bad("ftp://h/", "only https:// URLs");
    url_bad("h:443", "is not a URL");
    url_bad("https://", "no host");
    url_bad("https:///p", "no host");
    url_bad("https://:443", "no host");
    url_bad("https://h:", "'' is not a port");
    url_bad("https://h:0", "'0' is not a port");
    url_bad("https://h:65536", "'65536' is not a port");
    url_bad("https://h:123456", "'123456' is not a port");
    url_bad("https://h:-1", "'-1' is not a port");
    url_bad("https://h:44x/", "'44x' is not a port");
    url_bad("https://::1:443/", "needs brackets");
    url_bad("https://[::1:443/", "without ']'");
    url_bad("https://[]:443/", "empty or overlong");
    url_bad("https://[1.2.3.4]/", "not an IPv6 address");
    url_bad("https://[::1]x/", "expected ':PORT'");
    url_bad("https://[::1]:0/", "'0' is not a port");
    url_bad("https://u@h/", "user names");
    url_bad("https://h%41/", "not a host name");
    url_bad("https://h/a b", "space or a control character");
    url_bad("https://h/a\tb", "space or a control character");
    char long_host[300], long_path[1100];
    memset(long_host, 'a', sizeof(long_host));
    memcpy(long_host, "https://", 8);
    long_host[sizeof(long_host) - 1] = '\0';
    url_bad(long_host, "longer than 253");
    memset(long_path, 'p', sizeof(long_path));
    memcpy(long_path, "https://h/", 10);
    long_path[sizeof(long_path) - 1] = '\0';
    url_bad(long_path, "longer than");
}

/* ---- enumeration against fake servers ---- */

struct fake {
    const uint16_t *have; /* the server's suites, in its order */
    size_t n_have;
    int enforce;        /* pick by its own order (else by the client's) */
    size_t unable_over; /* the client cannot offer lists longer than this; 0: any */
    uint16_t unable_id; /* nor this suite, even alone */
    int stop_after;     /* answer nothing from this offer on; 0: never */
    uint16_t rogue;     /* always pick this instead */
    int offers;
};

static int fake_has(const struct fake *f, uint16_t id)
{
    for (size_t i = 0; i < f->n_have; i++)
        if (f->have[i] == id)
            return 1;
    return 0;
}

static enum th_offer fake_offer(void *arg, const uint16_t *s, size_t n, uint16_t *chosen)
{
    struct fake *f = arg;
    if ((f->unable_over && n > f->unable_over) || (n == 1 && s[0] == f->unable_id))
        return TH_OFFER_UNABLE;
    if (++f->offers >= f->stop_after && f->stop_after)
        return TH_OFFER_STOP;
    if (f->rogue) {
        *chosen = f->rogue;
        return TH_OFFER_ACCEPTED;
    }
    for (size_t i = 0; f->enforce && i < f->n_have; i++)
        for (size_t j = 0; j < n; j++)
            if (f->have[i] == s[j]) {
                *chosen = s[j];
                return TH_OFFER_ACCEPTED;
            }
    for (size_t j = 0; !f->enforce && j < n; j++)
        if (fake_has(f, s[j])) {
            *chosen = s[j];
            return TH_OFFER_ACCEPTED;
        }
    return TH_OFFER_REFUSED;
}

static const uint16_t offered[] = {0xC02F, 0xC030, 0x009C, 0x002F, 0xCCA8, 0x0035};
static const uint16_t server_has[] = {0x002F, 0xC030, 0xC02F}; /* server order */

static int same(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
    return na == nb && memcmp(a, b, na * sizeof(*a)) == 0;
}

static void test_enumerate(void)
{
    struct th_probe_enum e;
    struct fake f = {.have = server_has, .n_have = 3, .enforce = 1};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(same(e.accepted, e.n_accepted, server_has, 3), "enforced: the server's suites in its order");
    is_int(f.offers, 4, "enforced: one offer per accepted suite and one refused");
    ok(!e.stopped && !e.rogue && !e.n_untested, "enforced: nothing odd");

    f = (struct fake){.have = server_has, .n_have = 3};
    const uint16_t client_order[] = {0xC02F, 0xC030, 0x002F};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(same(e.accepted, e.n_accepted, client_order, 3),
       "client order: found in the client's order");

    f = (struct fake){.have = server_has, .n_have = 3, .enforce = 1};
    const uint16_t other[] = {0x009C, 0xCCA8};
    th_probe_enumerate(fake_offer, &f, other, 2, &e);
    ok(e.n_accepted == 0 && f.offers == 1 && !e.stopped, "no shared suite: one refused offer");
    th_probe_enumerate(fake_offer, &f, offered, 0, &e);
    ok(e.n_accepted == 0, "nothing to offer: nothing accepted");

    f = (struct fake){
        .have = server_has, .n_have = 3, .enforce = 1, .unable_over = 1, .unable_id = 0x0035};
    const uint16_t singly[] = {0xC02F, 0xC030, 0x002F};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(same(e.accepted, e.n_accepted, singly, 3), "a list the client cannot offer: one at a time");
    ok(e.n_untested == 1 && e.untested[0] == 0x0035,
       "a suite it cannot offer even alone: untested");

    f = (struct fake){.have = server_has, .n_have = 3, .enforce = 1, .stop_after = 3};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(e.stopped && e.n_accepted == 2, "no answer on the third offer: stopped, two found");

    f = (struct fake){
        .have = server_has, .n_have = 3, .enforce = 1, .unable_over = 1, .stop_after = 2};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(e.stopped && e.n_accepted == 1, "no answer while offering singly: stopped");

    f = (struct fake){.have = server_has, .n_have = 3, .enforce = 1, .rogue = 0x1301};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(e.rogue == 0x1301 && e.n_accepted == 0, "a pick that was not offered ends it, named");
    f = (struct fake){
        .have = server_has, .n_have = 3, .enforce = 1, .unable_over = 1, .rogue = 0x1301};
    th_probe_enumerate(fake_offer, &f, offered, 6, &e);
    ok(e.rogue == 0x1301 && e.n_accepted == 0, "... also when offering singly");
}

static void test_server_order(void)
{
    struct fake f = {.have = server_has, .n_have = 3, .enforce = 1};
    is_str(th_probe_order_name(th_probe_server_order(fake_offer, &f, 0xC02F, 0x002F)), "enforced",
           "the same pick both ways: enforced");
    f.enforce = 0;
    is_str(th_probe_order_name(th_probe_server_order(fake_offer, &f, 0xC02F, 0x002F)), "client",
           "the first offered each time: client");
    is_str(th_probe_order_name(th_probe_server_order(fake_offer, &f, 0xC02F, 0xC02F)), "n/a",
           "one suite: n/a");
    is_str(th_probe_order_name(th_probe_server_order(fake_offer, &f, 0x009C, 0xCCA8)), "unknown",
           "a pair the server refuses: unknown");
    f = (struct fake){.have = server_has, .n_have = 3, .enforce = 1, .unable_over = 1};
    is_str(th_probe_order_name(th_probe_server_order(fake_offer, &f, 0xC02F, 0x002F)), "untested",
           "a pair the client cannot offer: untested");
    f = (struct fake){.have = server_has, .n_have = 3, .enforce = 1, .rogue = 0x1301};
    is_str(th_probe_order_name(th_probe_server_order(fake_offer, &f, 0xC02F, 0x002F)), "unknown",
           "a pick outside the pair: unknown");
}

static void test_kx_kind(void)
{
    is_str(th_probe_kx_kind(TH_TLS13, 0x1301, 0x001D), "TLS 1.3 ECDHE", "1.3 with x25519");
    is_str(th_probe_kx_kind(TH_TLS13, 0x1302, 0x0100), "TLS 1.3 DHE", "1.3 with ffdhe2048");
    is_str(th_probe_kx_kind(TH_TLS13, 0x1303, 0), "TLS 1.3 (EC)DHE", "1.3, group unknown");
    is_str(th_probe_kx_kind(TH_TLS12, 0xC02F, 0x0017), "ECDHE", "1.2 ECDHE_RSA");
    is_str(th_probe_kx_kind(TH_TLS12, 0x009E, 0), "DHE", "1.2 DHE_RSA");
    is_str(th_probe_kx_kind(TH_TLS12, 0x009C, 0), "RSA key transport", "1.2 RSA");
    is_str(th_probe_kx_kind(TH_TLS10, 0x002F, 0), "RSA key transport", "1.0 RSA");
    is_str(th_probe_kx_kind(TH_TLS12, 0xFFFF, 0), "unknown", "an unknown suite");
}

/* ---- the chain ---- */

/* The certificates of a PEM file as DER back to back. */
static unsigned char *pem_to_der(const char *file, size_t *len)
{
    FILE *f = fopen(file, "r");
    unsigned char *der = NULL;
    X509 *x;
    *len = 0;
    while (f && (x = PEM_read_X509(f, NULL, NULL, NULL))) {
        int n = i2d_X509(x, NULL);
        der = realloc(der, *len + (size_t)n);
        unsigned char *p = der + *len;
        *len += (size_t)i2d_X509(x, &p);
        X509_free(x);
    }
    if (f)
        fclose(f);
    return der;
}

static const char *jget(const json_t *a, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(a, i), key));
}

static void test_chain(void)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/rsa2048.chain.pem", pkidir);
    unsigned char *der = pem_to_der(path, &len);
    json_t *a = th_probe_chain_json(der, len);
    is_int(json_array_size(a), 2, "rsa2048 chain: two certificates");
    is_str(jget(a, 0, "subject"), "CN=localhost,O=tlsharness", "leaf subject (RFC 2253)");
    is_str(jget(a, 0, "issuer"), jget(a, 1, "subject"), "leaf issued by the next one");
    json_t *sans = json_object_get(json_array_get(a, 0), "sans");
    ok(json_array_size(sans) == 3 &&
           !strcmp(json_string_value(json_array_get(sans, 0)), "DNS:localhost") &&
           !strcmp(json_string_value(json_array_get(sans, 1)), "IP:127.0.0.1") &&
           !strcmp(json_string_value(json_array_get(sans, 2)), "IP:::1"),
       "leaf SANs: DNS:localhost, IP:127.0.0.1, IP:::1");
    is_str(jget(a, 0, "key_type"), "RSA", "leaf key type");
    is_int(json_integer_value(json_object_get(json_array_get(a, 0), "key_bits")), 2048,
           "leaf key size");
    is_str(jget(a, 0, "signature"), "sha256WithRSAEncryption", "leaf signature algorithm");
    ok(json_is_true(json_object_get(json_array_get(a, 0), "valid_now")), "leaf valid now");
    const char *nb = jget(a, 0, "not_before"), *na = jget(a, 0, "not_after");
    ok(nb && na && strlen(nb) == 20 && nb[19] == 'Z' && strcmp(nb, na) < 0,
       "validity as ISO 8601 UTC, in order: %s .. %s", nb, na);
    json_decref(a);

    /* damaged: the second certificate cut short */
    a = th_probe_chain_json(der, len - 10);
    ok(json_array_size(a) == 2 && jget(a, 0, "subject") && jget(a, 1, "error") &&
           strstr(jget(a, 1, "error"), "certificate 1 does not parse"),
       "a cut chain: the first certificate, then the error: %s", jget(a, 1, "error"));
    json_decref(a);
    a = th_probe_chain_json((const unsigned char *)"junk", 4);
    ok(json_array_size(a) == 1 && jget(a, 0, "error"), "junk: one error entry");
    json_decref(a);
    a = th_probe_chain_json(NULL, 0);
    ok(json_is_array(a) && json_array_size(a) == 0, "nothing sent: an empty array");
    json_decref(a);
    free(der);

    snprintf(path, sizeof(path), "%s/ecdsa-p256.pem", pkidir);
    der = pem_to_der(path, &len);
    a = th_probe_chain_json(der, len);
    ok(!strcmp(jget(a, 0, "key_type"), "EC") && jget(a, 0, "key_curve") &&
           !strcmp(jget(a, 0, "key_curve"), "prime256v1"),
       "ECDSA leaf: EC key on prime256v1");
    json_decref(a);
    free(der);
    snprintf(path, sizeof(path), "%s/expired.pem", pkidir);
    der = pem_to_der(path, &len);
    a = th_probe_chain_json(der, len);
    ok(json_is_false(json_object_get(json_array_get(a, 0), "valid_now")),
       "expired leaf: not valid now");
    json_decref(a);
    free(der);
}

/* ---- the backends' peer_info ---- */

static void expect_peer(const struct th_backend *cb, const char *leaf, unsigned versions,
                        uint16_t suite, const char *want_sig, size_t want_certs)
{
    struct run r;
    char what[128];
    snprintf(what, sizeof(what), "%s peer_info, %s leaf, %s", cb->name, leaf,
             suite ? th_suite_by_id(suite)->name : "TLS 1.3");
    run_init2(&r, leaf, cb, th_backend_find("openssl"));
    r.ccfg.versions = r.scfg.versions = versions;
    r.ccfg.verify = 0; /* the self-signed leaf too */
    if (suite) {
        r.ccfg.suites[0] = suite;
        r.ccfg.n_suites = 1;
    }
    if (handshake(&r) == 0 && check_ok(&r, what)) {
        struct th_peer_info pi;
        ok(cb->peer_info(r.c, &pi) == 0, "%s: returns 0", what);
        is_int(pi.n_certs, want_certs, "%s: certificates as sent", what);
        is_str(pi.sig_scheme, want_sig, "%s: signature scheme", what);
        json_t *a = th_probe_chain_json(pi.chain, pi.chain_len);
        ok(json_array_size(a) == want_certs && !jget(a, want_certs - 1, "error"),
           "%s: the DER parses back", what);
        is_str(jget(a, 0, "subject"), "CN=localhost,O=tlsharness", "%s: leaf first", what);
        json_decref(a);
        free(pi.chain);
    }
    run_free(&r);
}

static void test_peer_info(void)
{
    const char *names[] = {"openssl", "gnutls"};
    for (size_t i = 0; i < TH_ARRAY_LEN(names); i++) {
        const struct th_backend *b = th_backend_find(names[i]);
        if (!b) {
            ok(1, "# SKIP %s not compiled in", names[i]);
            continue;
        }
        if (!ok(b->peer_info != NULL, "%s has peer_info", b->name))
            continue;
        expect_peer(b, "rsa2048", V13, 0, "rsa_pss_rsae_sha256", 2);
        expect_peer(b, "ecdsa-p256", V13, 0, "ecdsa_secp256r1_sha256", 2);
        /* TLS 1.2: the OpenSSL server follows the client's signature_algorithms order,
         * and GnuTLS lists rsa_pkcs1_sha256 first (gnutls-cli agrees: RSA-SHA256) */
        expect_peer(b, "rsa2048", V12, 0xC02F,
                    strcmp(b->name, "gnutls") ? "rsa_pss_rsae_sha256" : "rsa_pkcs1_sha256", 2);
        expect_peer(b, "rsa2048", V12, 0x009C, "", 2); /* RSA key transport signs nothing */
        expect_peer(b, "self-signed", V13, 0, "rsa_pss_rsae_sha256", 1);
        /* before any handshake there is nothing to report */
        struct run r;
        run_init2(&r, "rsa2048", b, b);
        if (make_ctxs(&r) == 0) {
            th_mem_pair_init(&r.mp);
            struct th_error e = {0};
            struct th_peer_info pi;
            if (b->conn_new(r.cctx, &r.mp.client_io, NULL, &r.c, &e) == 0 &&
                b->conn_new(r.sctx, &r.mp.server_io, NULL, &r.s, &e) == 0)
                ok(b->peer_info(r.c, &pi) == -1 && pi.chain == NULL && pi.n_certs == 0,
                   "%s: no handshake, no peer: -1", b->name);
        }
        run_free(&r);
    }
}

/* ---- the probe as a whole: what it refuses, and a server that is not there ---- */

static void run_bad(const char *url, const char *backends, const char *want)
{
    struct th_probe_opts o = {.url = url, .backends = backends};
    struct th_error err = {0};
    json_t *r = th_probe_run(&o, &err);
    ok(!r && err.input && !err.file && strstr(err.text, want), "probe %s -b %s refused: %s", url,
       backends ? backends : "(all)", err.text);
    json_decref(r);
}

static int answered(const char *json)
{
    json_t *r = json_loads(json, 0, NULL);
    int a = th_probe_answered(r);
    json_decref(r);
    return a;
}

static void test_run(void)
{
    run_bad("localhost:443", NULL, "is not a URL");
    run_bad("https://localhost/", "nosuch", "-b: unknown backend 'nosuch'");
    run_bad("https://localhost/", "openssl,nosuch", "unknown backend 'nosuch'");
    if (th_backend_find("curl-openssl"))
        run_bad("https://localhost/", "curl-openssl", "needs a client backend with driver I/O");
    else
        ok(1, "# SKIP curl-openssl not compiled in");

    /* a port nobody listens on: a finding in the report, not a failure */
    uint16_t port = 0;
    int fd = th_tcp_listen("127.0.0.1", &port);
    if (fd >= 0)
        close(fd);
    char url[64], want[128];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", port);
    snprintf(want, sizeof(want), "TCP connect to 127.0.0.1 port %u: Connection refused", port);
    struct th_probe_opts o = {.url = url, .backends = "openssl", .timeout_s = 5};
    struct th_error err = {0};
    json_t *r = th_probe_run(&o, &err);
    if (ok(r != NULL, "a closed port still gives a report")) {
        is_str(json_string_value(json_object_get(r, "error")), want, "which says why");
        is_str(json_string_value(json_object_get(r, "schema")), "tlsharness.probe/1", "schema");
        ok(json_is_null(json_object_get(r, "connect_ms")), "no connect time");
        ok(!th_probe_answered(r), "not answered");
    }
    json_decref(r);

    ok(answered("{\"versions\":{\"1.2\":false,\"1.3\":true}}"), "a version accepted: answered");
    ok(!answered("{\"versions\":{\"1.2\":false,\"1.3\":null}}"), "none accepted: not answered");
    ok(!answered("{\"error\":\"x\",\"versions\":{\"1.3\":true}}"), "an error: not answered");
    ok(!answered("{}"), "an empty report: not answered");
}

/* ---- the readable report ---- */

static char *render(const char *json)
{
    json_error_t je;
    json_t *r = json_loads(json, 0, &je);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (r && f)
        th_probe_print(f, r);
    if (f)
        fclose(f);
    json_decref(r);
    return text;
}

static void test_print(void)
{
    char *t = render(
        "{\"schema\":\"tlsharness.probe/1\",\"url\":\"https://h:1/\",\"name_checked\":\"h\","
        "\"sni\":\"h\",\"ca\":\"/ca.pem\",\"connect_ms\":0.5,"
        "\"tls\":{\"backend\":\"openssl\",\"outcome\":\"ok\",\"handshake_ms\":2.25,"
        "\"version\":\"1.2\",\"suite\":\"TLS_RSA_WITH_AES_128_GCM_SHA256\",\"group\":null,"
        "\"key_exchange\":\"RSA key transport\",\"signature\":null},"
        "\"chain\":[{\"subject\":\"CN=h\",\"issuer\":\"CN=ca\",\"not_before\":\"a\","
        "\"not_after\":\"b\",\"valid_now\":false,\"sans\":[\"DNS:h\",\"IP:::1\"],"
        "\"key_type\":\"EC\",\"key_bits\":256,\"key_curve\":\"prime256v1\","
        "\"signature\":\"ecdsa-with-SHA256\"},{\"error\":\"certificate 1 does not parse: x\"}],"
        "\"verification\":[{\"backend\":\"openssl\",\"outcome\":\"ok\",\"code\":0,\"text\":\"\"},"
        "{\"backend\":\"mbedtls\",\"outcome\":\"expired\",\"code\":1,\"text\":\"too old\","
        "\"note\":\"no IP check\"}],"
        "\"first_byte_ms\":1.5,\"status_line\":\"HTTP/1.1 200 OK\","
        "\"versions\":{\"1.0\":false,\"1.1\":null,\"1.2\":true,\"1.3\":false},"
        "\"version_refusals\":{\"1.0\":{\"outcome\":\"protocol_version\"},"
        "\"1.3\":{\"outcome\":\"handshake_failure\"}},"
        "\"suites\":{\"1.2\":[\"TLS_RSA_WITH_AES_128_GCM_SHA256\",\"TLS_RSA_WITH_AES_256_GCM_"
        "SHA384\"]},"
        "\"server_order\":{\"1.2\":\"client\"},\"not_tested\":{\"1.2\":[\"A\",\"B\",\"C\"]},"
        "\"groups\":{},\"notes\":[\"something odd\"]}");
    ok(t != NULL, "a report renders");
    if (!t)
        return;
    const char *want[] = {
        "probe        https://h:1/  (name h, SNI h)\n",
        "connect          0.50 ms\n",
        "handshake        2.25 ms  TLS 1.2 TLS_RSA_WITH_AES_128_GCM_SHA256, group none",
        "key exchange RSA key transport, server signature none\n",
        "chain        2 certificates as sent\n",
        "  [0] subject   CN=h\n",
        "      valid     a .. b  (not valid now)\n",
        "      names     DNS:h, IP:::1\n",
        "      key       EC 256 bits prime256v1, signed ecdsa-with-SHA256\n",
        "  [1] certificate 1 does not parse: x\n",
        "verification against /ca.pem, name h\n",
        "  openssl      ok\n",
        "  mbedtls      expired  too old (code 1)  [no IP check]\n",
        "first byte       1.50 ms  HTTP/1.1 200 OK\n",
        "versions     1.0 no (protocol_version)  1.1 untested  1.2 yes  1.3 no "
        "(handshake_failure)\n",
        "suites TLS 1.2  2 accepted, server order: client's\n",
        "  TLS_RSA_WITH_AES_256_GCM_SHA384\n",
        "  not tested: 3 suites no client here can offer\n",
        "note: something odd\n",
    };
    for (size_t i = 0; i < TH_ARRAY_LEN(want); i++)
        if (!ok(strstr(t, want[i]) != NULL, "report has: %.*s", (int)strcspn(want[i], "\n"),
                want[i]))
            printf("#   in:\n%s", t);
    ok(!strstr(t, "groups"), "no TLS 1.3: no groups line");
    ok(!strstr(t, " \n"), "no line ends in a space");
    free(t);

    t = render("{\"url\":\"https://h:1/\",\"name_checked\":\"h\",\"sni\":null,\"connect_ms\":null,"
               "\"tls\":{\"outcome\":\"io_error\"},\"error\":\"TCP connect: refused\"}");
    ok(t && strstr(t, "error        TCP connect: refused\n") && !strstr(t, "connect  ") &&
           !strstr(t, "versions"),
       "unreachable: the error alone");
    free(t);
    t = render(
        "{\"url\":\"https://h:1/\",\"name_checked\":\"h\",\"connect_ms\":1,"
        "\"tls\":{\"backend\":\"openssl\",\"outcome\":\"protocol_version\",\"text\":\"old\"},"
        "\"chain\":[],\"verification\":[],\"first_byte_ms\":null,\"versions\":{},"
        "\"suites\":{\"1.3\":[\"X\"]},\"server_order\":{\"1.3\":\"n/a\"},\"notes\":[]}");
    ok(t && strstr(t, "handshake           -     failed: protocol_version (openssl: old)\n") &&
           strstr(t, "first byte          -     no answer: no TLS connection\n") &&
           strstr(t, "server order: n/a (fewer than two suites)"),
       "a failed handshake: said so, no first byte");
    if (t && !strstr(t, "failed: protocol_version"))
        printf("#   in:\n%s", t);
    free(t);
}

/* A hostile server's words (its certificate's names, its status line) and a library's
 * text, with control bytes in the report's JSON: printed as \\xNN, each on its line. */
static void test_print_hostile(void)
{
    char *t = render(
        "{\"url\":\"https://h:1/\",\"name_checked\":\"h\\u001b[2J\",\"sni\":\"h\",\"connect_ms\":1,"
        "\"tls\":{\"backend\":\"openssl\",\"outcome\":\"ok\",\"version\":\"1.3\"},"
        "\"chain\":[{\"subject\":\"CN=\\u001b]0;pwned\\u0007\",\"issuer\":\"CN=ca\\nforged\","
        "\"sans\":[\"DNS:a\\u009b31m\"],\"key_type\":\"EC\",\"key_bits\":256}],"
        "\"verification\":[{\"backend\":\"openssl\",\"outcome\":\"unknown_ca\",\"code\":1,"
        "\"text\":\"bad\\u0007\\r\"}],"
        "\"first_byte_ms\":1.5,\"status_line\":\"HTTP/9.9 999 \\u001b]0;x\\u0007\\u001b[2J\","
        "\"versions\":{},\"suites\":{},\"notes\":[\"odd\\u001b[31m\"]}");
    ok(t && text_safe(t), "no control byte of the report's reaches the terminal");
    const char *want[] = {
        "(name h\\x1b[2J, SNI h)\n",
        "  [0] subject   CN=\\x1b]0;pwned\\x07\n",
        "      issuer    CN=ca\\nforged\n",
        "      names     DNS:a\\xc2\\x9b31m\n",
        "  openssl      unknown_ca  bad\\x07\\r (code 1)\n",
        "ms  HTTP/9.9 999 \\x1b]0;x\\x07\\x1b[2J\n",
        "note: odd\\x1b[31m\n",
    };
    for (size_t i = 0; t && i < TH_ARRAY_LEN(want); i++)
        if (!ok(strstr(t, want[i]) != NULL, "escaped: %.*s", (int)strcspn(want[i], "\n"), want[i]))
            printf("#   in:\n%s", t);
    free(t);
    t = render("{\"url\":\"https://h:1/\",\"error\":\"refused\\u001b[2J\"}");
    ok(t && text_safe(t) && strstr(t, "error        refused\\x1b[2J\n"), "the error line too");
    free(t);
    ok(!text_safe("a\033[2J") && !text_safe("a\302\233") && text_safe("a\n"),
       "the check itself: ESC and C1 caught, a newline passes");
}

int main(void)
{
    test_urls();
    test_enumerate();
    test_server_order();
    test_kx_kind();
    test_run();
    if (pd_begin("probe") == 0) {
        test_chain();
        test_peer_info();
    }
    test_print();
    test_print_hostile();
    return pd_end();
}
