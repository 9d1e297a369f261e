/* The probe's findings (harness/probe/probe_warn.c) from reports written by hand:
 * a strong server has none, each weakness gives its finding at its severity with
 * the suites or certificates concerned, certificates by their dates and signatures,
 * chains out of order or with extras, the order of the findings, severities parsed
 * and refused, and the text section. Then the whole probe against an in-process
 * OpenSSL server configured weak (legacy versions, RSA key transport, CBC, the
 * client's order): the findings its configuration makes, and no more. */
#include "pairdrive.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/http/serve.h"
#include "harness/io/transport.h"
#include "harness/probe/probe.h"
#include "harness/probe/probe_warn.h"
#include "harness/vocab/iana.h"

/* 2027-01-01T00:00:00Z: the reports' dates are read against it. */
#define NOW ((time_t)1798761600)

static const char *const GOOD_CHAIN =
    "[{\"subject\":\"CN=leaf\",\"issuer\":\"CN=int\",\"not_before\":\"2026-06-01T00:00:00Z\","
    "\"not_after\":\"2027-06-01T00:00:00Z\",\"signature\":\"sha256WithRSAEncryption\"},"
    "{\"subject\":\"CN=int\",\"issuer\":\"CN=root\",\"not_before\":\"2026-01-01T00:00:00Z\","
    "\"not_after\":\"2030-01-01T00:00:00Z\",\"signature\":\"sha256WithRSAEncryption\"}]";

/* A report of a strong server, with the members named in `patch` (a JSON object)
 * put over it. */
static json_t *report(const char *patch)
{
    char *text = NULL;
    int n = asprintf(&text,
                     "{\"schema\":\"tlsharness.probe/1\","
                     "\"versions\":{\"1.0\":false,\"1.1\":false,\"1.2\":true,\"1.3\":true},"
                     "\"tls\":{\"outcome\":\"ok\",\"signature\":\"rsa_pss_rsae_sha256\"},"
                     "\"suites\":{\"1.3\":[\"TLS_AES_128_GCM_SHA256\"],\"1.2\":["
                     "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
                     "\"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\"]},"
                     "\"legacy_suites\":{\"1.2\":[]},"
                     "\"server_order\":{\"1.3\":\"n/a\",\"1.2\":\"enforced\"},"
                     "\"chain\":%s}",
                     GOOD_CHAIN);
    json_error_t e;
    json_t *r = n > 0 ? json_loads(text, 0, &e) : NULL;
    free(text);
    if (patch) {
        json_t *p = json_loads(patch, 0, &e);
        if (!ok(p != NULL, "the patch parses: %s", patch))
            printf("#   %s\n", e.text);
        json_object_update(r, p);
        json_decref(p);
    }
    return r;
}

/* The finding with that id, or NULL. */
static const json_t *find(const json_t *findings, const char *id)
{
    size_t i;
    json_t *f;
    json_array_foreach(findings, i,
                       f) if (!strcmp(json_string_value(json_object_get(f, "id")), id)) return f;
    return NULL;
}

/* The items of f joined by "|". */
static char *items(const json_t *f)
{
    static char buf[2048];
    size_t i;
    json_t *it;
    buf[0] = 0;
    json_array_foreach(json_object_get(f, "items"), i, it) snprintf(
        buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "|" : "", json_string_value(it));
    return buf;
}

/* The patch gives finding id at severity sev, with these items ("" for none). */
static void gives(const char *patch, const char *id, const char *sev, const char *want_items)
{
    json_t *r = report(patch);
    json_t *fs = th_probe_findings(r, NOW);
    const json_t *f = find(fs, id);
    if (ok(f != NULL, "%s: found", id)) {
        is_str(json_string_value(json_object_get(f, "severity")), sev, "%s: severity", id);
        ok(strlen(json_string_value(json_object_get(f, "reason"))) > 20, "%s: a reason", id);
        ok(!strchr(json_string_value(json_object_get(f, "reason")), '\n'), "%s: on one line", id);
        is_str(items(f), want_items, "%s: items", id);
    }
    json_decref(fs);
    json_decref(r);
}

/* The patch gives no finding id. */
static void not_given(const char *patch, const char *id, const char *why)
{
    json_t *r = report(patch);
    json_t *fs = th_probe_findings(r, NOW);
    ok(find(fs, id) == NULL, "no %s: %s", id, why);
    json_decref(fs);
    json_decref(r);
}

static void test_strong(void)
{
    json_t *r = report(NULL);
    json_t *fs = th_probe_findings(r, NOW);
    is_int((long long)json_array_size(fs), 0, "a strong server: no finding");
    json_object_set_new(r, "findings", fs);
    is_int(th_probe_worst(r), -1, "no finding: worst is -1");
    json_decref(r);

    r = report("{\"versions\":{\"1.0\":true,\"1.1\":true,\"1.2\":false,\"1.3\":false},"
               "\"error\":\"TCP connect failed\"}");
    fs = th_probe_findings(r, NOW);
    is_int((long long)json_array_size(fs), 0, "a server not answered: no finding");
    json_decref(fs);
    json_decref(r);
}

static void test_versions(void)
{
    gives("{\"versions\":{\"1.0\":true,\"1.1\":false,\"1.2\":true,\"1.3\":true}}", "tls10",
          "medium", "");
    gives("{\"versions\":{\"1.0\":false,\"1.1\":true,\"1.2\":true,\"1.3\":true}}", "tls11",
          "medium", "");
    gives("{\"versions\":{\"1.0\":false,\"1.1\":false,\"1.2\":true,\"1.3\":false}}", "no_tls13",
          "low", "");
    not_given("{\"versions\":{\"1.0\":false,\"1.1\":false,\"1.2\":true,\"1.3\":null}}", "no_tls13",
              "TLS 1.3 untested is not refused");
    not_given("{\"versions\":{\"1.0\":null,\"1.1\":false,\"1.2\":true,\"1.3\":true}}", "tls10",
              "TLS 1.0 untested is not accepted");
}

static void test_suites(void)
{
    gives("{\"legacy_suites\":{\"1.2\":[\"TLS_RSA_WITH_NULL_SHA\"]}}", "null_cipher", "critical",
          "1.2 TLS_RSA_WITH_NULL_SHA");
    gives("{\"legacy_suites\":{\"1.0\":[\"TLS_DH_anon_WITH_AES_128_CBC_SHA\"]}}", "anonymous",
          "critical", "1.0 TLS_DH_anon_WITH_AES_128_CBC_SHA");
    gives("{\"legacy_suites\":{\"1.0\":[\"TLS_RSA_EXPORT_WITH_RC4_40_MD5\"]}}", "export",
          "critical", "1.0 TLS_RSA_EXPORT_WITH_RC4_40_MD5");
    gives("{\"legacy_suites\":{\"1.2\":[\"TLS_RSA_WITH_DES_CBC_SHA\"]}}", "des", "critical",
          "1.2 TLS_RSA_WITH_DES_CBC_SHA");
    gives("{\"legacy_suites\":{\"1.2\":[\"TLS_ECDHE_RSA_WITH_RC4_128_SHA\",\"TLS_RSA_WITH_RC4_128_"
          "SHA\"]}}",
          "rc4", "high", "1.2 TLS_ECDHE_RSA_WITH_RC4_128_SHA|1.2 TLS_RSA_WITH_RC4_128_SHA");
    gives("{\"legacy_suites\":{\"1.1\":[\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"]}}", "3des", "high",
          "1.1 TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    not_given("{\"legacy_suites\":{\"1.1\":[\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"]}}", "des",
              "3DES is not single DES");
    gives("{\"legacy_suites\":{\"1.1\":[\"TLS_RSA_WITH_IDEA_CBC_SHA\"]}}", "idea", "high",
          "1.1 TLS_RSA_WITH_IDEA_CBC_SHA");
    gives("{\"suites\":{\"1.2\":[\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
          "\"TLS_RSA_WITH_AES_128_GCM_SHA256\"]}}",
          "rsa_kx", "medium", "1.2 TLS_RSA_WITH_AES_128_GCM_SHA256");
    not_given("{\"suites\":{\"1.2\":[\"TLS_RSA_PSK_WITH_AES_128_GCM_SHA256\"]}}", "rsa_kx",
              "RSA_PSK is not TLS_RSA_WITH_");
    gives("{\"suites\":{\"1.2\":[\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\"]}}", "cbc", "low",
          "1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
    not_given(NULL, "cbc", "GCM and ChaCha20 only");
}

static void test_order(void)
{
    gives("{\"suites\":{\"1.2\":[\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\","
          "\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\"]},\"server_order\":{\"1.2\":\"client\"}}",
          "no_server_order", "medium", "TLS 1.2");
    gives("{\"server_order\":{\"1.2\":\"client\",\"1.3\":\"client\"}}", "client_order", "info",
          "TLS 1.2|TLS 1.3");
    not_given("{\"server_order\":{\"1.2\":\"client\"}}", "no_server_order",
              "the client's order with strong suites only");
    not_given("{\"suites\":{\"1.2\":[\"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\"]},"
              "\"server_order\":{\"1.2\":\"enforced\"}}",
              "no_server_order", "the server's own order");
    gives("{\"legacy_suites\":{\"1.0\":[\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"]},"
          "\"server_order\":{\"1.0\":\"client\",\"1.2\":\"enforced\"}}",
          "no_server_order", "medium", "TLS 1.0");
}

static void test_dh(void)
{
    gives("{\"dh\":{\"bits\":1024,\"version\":\"1.2\",\"suite\":\"TLS_DHE_RSA_WITH_AES_128_CBC_"
          "SHA\"}}",
          "dh_small", "medium", "1.2 TLS_DHE_RSA_WITH_AES_128_CBC_SHA");
    gives("{\"dh\":{\"bits\":768,\"version\":\"1.0\",\"suite\":\"TLS_DHE_RSA_WITH_AES_128_CBC_"
          "SHA\"}}",
          "dh_small", "high", "1.0 TLS_DHE_RSA_WITH_AES_128_CBC_SHA");
    not_given("{\"dh\":{\"bits\":2048}}", "dh_small", "2048 bits");
    not_given("{\"dh\":{\"bits\":\"1024\"}}", "dh_small", "bits not a number");
}

static char *chain1(const char *nb, const char *na, const char *sig)
{
    static char buf[512];
    snprintf(buf, sizeof(buf),
             "{\"chain\":[{\"subject\":\"CN=leaf\",\"issuer\":\"CN=root\",\"not_before\":\"%s\","
             "\"not_after\":\"%s\",\"signature\":\"%s\"}]}",
             nb, na, sig);
    return buf;
}

static void test_certs(void)
{
    const char *sha256 = "sha256WithRSAEncryption";
    gives(chain1("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", sha256), "cert_expired",
          "critical", "[0] CN=leaf");
    gives(chain1("2027-01-01T00:00:01Z", "2028-01-01T00:00:00Z", sha256), "cert_not_yet_valid",
          "critical", "[0] CN=leaf");
    gives(chain1("2026-01-01T00:00:00Z", "2027-01-30T23:59:59Z", sha256), "cert_expiring", "medium",
          "[0] CN=leaf");
    not_given(chain1("2026-01-01T00:00:00Z", "2027-01-31T00:00:01Z", sha256), "cert_expiring",
              "30 days and a second away");
    not_given(chain1("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", sha256), "cert_expiring",
              "expired is not expiring");
    not_given(chain1("2026-01-01T00:00:00Z", "not a date", sha256), "cert_expired",
              "a date that does not parse");
    gives(chain1("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "sha1WithRSAEncryption"),
          "cert_sha1", "high", "[0] CN=leaf");
    gives(chain1("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "ecdsa-with-SHA1"), "cert_sha1",
          "high", "[0] CN=leaf");
    gives(chain1("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "md5WithRSAEncryption"),
          "cert_md5", "critical", "[0] CN=leaf");
    not_given("{\"chain\":[{\"subject\":\"CN=self\",\"issuer\":\"CN=self\",\"not_before\":"
              "\"2026-01-01T00:00:00Z\",\"not_after\":\"2028-01-01T00:00:00Z\",\"signature\":"
              "\"sha1WithRSAEncryption\"}]}",
              "cert_sha1", "a self-signed certificate's own signature");
    gives("{\"tls\":{\"outcome\":\"ok\",\"signature\":\"rsa_pkcs1_sha1\"}}", "sha1_handshake",
          "medium", "rsa_pkcs1_sha1");
}

#define C(s, i) "{\"subject\":\"CN=" s "\",\"issuer\":\"CN=" i "\"}"

static void test_chain_order(void)
{
    not_given("{\"chain\":[" C("leaf", "int") "," C("int", "root") "]}", "chain_order", "in order");
    gives("{\"chain\":[" C("leaf", "int2") "," C("int1", "root") "," C("int2", "int1") "]}",
          "chain_order", "low", "");
    not_given("{\"chain\":[" C("leaf", "int2") "," C("int1", "root") "," C("int2", "int1") "]}",
              "chain_extra", "out of order but every certificate on the path");
    gives("{\"chain\":[" C("leaf", "int") "," C("int", "root") "," C("other", "root") "]}",
          "chain_extra", "low", "[2] CN=other");
    gives("{\"chain\":[" C("leaf", "int") "," C("int", "root") "," C("root", "root") "]}",
          "root_sent", "info", "[2] CN=root");
    not_given("{\"chain\":[" C("leaf", "int") "," C("int", "root") "," C("root", "root") "]}",
              "chain_order", "a root sent last is in order");
    not_given("{\"chain\":[" C("a", "b") "," C("b", "a") "]}", "chain_extra",
              "a loop ends the walk without an extra");
    not_given("{\"chain\":[]}", "chain_order", "no chain");
}

static void test_sorted_and_worst(void)
{
    json_t *r = report("{\"versions\":{\"1.0\":true,\"1.1\":false,\"1.2\":true,\"1.3\":false},"
                       "\"legacy_suites\":{\"1.0\":[\"TLS_RSA_WITH_NULL_SHA\","
                       "\"TLS_RSA_WITH_3DES_EDE_CBC_SHA\"]}}");
    json_t *fs = th_probe_findings(r, NOW);
    char order[512] = "";
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f)
        snprintf(order + strlen(order), sizeof(order) - strlen(order), "%s%s", i ? "," : "",
                 json_string_value(json_object_get(f, "id")));
    is_str(order, "null_cipher,3des,tls10,rsa_kx,no_tls13,cbc", "findings, highest severity first");
    json_object_set_new(r, "findings", fs);
    is_int(th_probe_worst(r), TH_SEV_CRITICAL, "worst: critical");

    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    th_probe_print_findings(m, r);
    fclose(m);
    ok(!strncmp(text, "findings     1 critical, 1 high, 2 medium, 2 low\n", 48),
       "text: the counts");
    ok(strstr(text, "\n  critical null_cipher        NULL suites accepted") != NULL,
       "text: a finding's line");
    ok(strstr(text, "\n                              1.0 TLS_RSA_WITH_NULL_SHA\n") != NULL,
       "text: its items beneath");
    if (!ok(strlen(text) > 0, "text printed"))
        printf("#   %s\n", text);
    free(text);
    json_decref(r);
}

static void test_severity_names(void)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    for (int i = 0; i <= TH_SEV_CRITICAL; i++) {
        enum th_severity s;
        is_str(th_severity_name((enum th_severity)i), names[i], "severity %d: its name", i);
        ok(th_severity_parse(names[i], &s) == 0 && (int)s == i, "%s parses back", names[i]);
    }
    enum th_severity s = TH_SEV_LOW;
    static const char *const bad[] = {"", "High", "warn", "critical ", "5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ok(th_severity_parse(bad[i], &s) == -1 && s == TH_SEV_LOW, "'%s' is not a severity",
           bad[i]);
    ok(th_severity_parse(NULL, &s) == -1, "NULL is not a severity");
}

/* ---- the whole probe against an in-process server ---- */

struct srv {
    const struct th_backend *b;
    struct th_ctx *ctx;
    int lfd;
    volatile sig_atomic_t stop;
    FILE *log; /* a line per connection: not wanted here */
    struct th_error err;
    int rc;
};

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    s->rc = th_serve_ctx(s->b, s->ctx, s->lfd, 60, &s->stop, s->log, &s->err);
    return NULL;
}

static void test_live(void)
{
    const struct th_backend *b = th_backend_find("openssl");
    struct th_tls_config cfg = {.role = TH_ROLE_SERVER, .versions = TH_VERSIONS_ALL};
    static const char *const suites[] = {
        "TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"};
    char chain[512], key[512];
    pki_path(chain, sizeof(chain), "rsa2048.chain.pem");
    pki_path(key, sizeof(key), "rsa2048.key.pem");
    cfg.cert_file = chain;
    cfg.key_file = key;
    for (size_t i = 0; i < 4; i++)
        cfg.suites[cfg.n_suites++] = th_suite_by_name(suites[i])->id;
    struct srv s = {.b = b, .log = fopen("/dev/null", "w")};
    uint16_t port = 0;
    pthread_t t;
    if (!ok(b && b->ctx_new(&cfg, &s.ctx, &s.err) == 0, "an openssl server with TLS 1.0-1.3") ||
        !ok((s.lfd = th_tcp_listen("127.0.0.1", &port)) >= 0, "listening") ||
        !ok(pthread_create(&t, NULL, srv_main, &s) == 0, "serving")) {
        printf("#   %s\n", s.err.text);
        return;
    }
    char url[64], ca[512];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", port);
    pki_path(ca, sizeof(ca), "root.pem");
    struct th_probe_opts o = {.url = url, .ca = ca, .backends = "openssl", .timeout_s = 5};
    struct th_error err = {0};
    json_t *r = th_probe_run(&o, &err);
    s.stop = 1;
    pthread_join(t, NULL);
    close(s.lfd);
    fclose(s.log);
    b->ctx_free(s.ctx);
    if (!ok(r != NULL, "the probe ran")) {
        printf("#   %s\n", err.text);
        return;
    }
    const json_t *fs = json_object_get(r, "findings");
    char got[512] = "";
    size_t i;
    json_t *f;
    json_array_foreach(fs, i,
                       f) if (strcmp(json_string_value(json_object_get(f, "id")), "cert_expiring"))
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s:%s", *got ? "," : "",
                 json_string_value(json_object_get(f, "id")),
                 json_string_value(json_object_get(f, "severity")));
    is_str(got, "tls10:medium,tls11:medium,rsa_kx:medium,no_server_order:medium,cbc:low",
           "findings of the weak in-process server (the short-lived leaf aside)");
    is_str(items(find(fs, "rsa_kx")),
           "1.0 TLS_RSA_WITH_AES_128_CBC_SHA|1.1 TLS_RSA_WITH_AES_128_CBC_SHA|"
           "1.2 TLS_RSA_WITH_AES_128_CBC_SHA",
           "rsa_kx: the one RSA suite at each version");
    ok(json_array_size(json_object_get(json_object_get(r, "groups"), "1.2")) > 0,
       "TLS 1.2 groups enumerated");
    json_decref(r);
}

int main(void)
{
    if (pd_begin("probe-warn") != 0)
        return pd_end();
    test_live();
    test_strong();
    test_versions();
    test_suites();
    test_order();
    test_dh();
    test_certs();
    test_chain_order();
    test_sorted_and_worst();
    test_severity_names();
    return pd_end();
}
