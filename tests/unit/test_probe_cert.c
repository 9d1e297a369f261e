/* `tlsharness probe` and certificates: what a staple says (th_probe_staple_json) for
 * each OCSP response of the test PKI, and the whole probe against an in-process
 * server over loopback TCP (the OpenSSL backend's server role): a TLS 1.0-only server
 * still gets a chain and verdicts naming TLS 1.0, a server asking for a client
 * certificate is shown as asking and gets one with --cert, and a stapling server's
 * staple is shown with each client's view of it; the readable report of all that. */
#include "pairdrive.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/io/transport.h"
#include "harness/probe/probe.h"

#define SEC 1000000000ull

/* ---- files of the PKI ---- */

static char *pki(const char *file)
{
    static char ring[8][512];
    static unsigned next;
    char *b = ring[next++ % 8];
    snprintf(b, sizeof(ring[0]), "%s/%s", pkidir, file);
    return b;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    *len = 0;
    if (!f)
        return NULL;
    buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

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

static const char *s_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "(none)";
}

/* What `resp` (a PKI .der) says about `leaf`'s chain as a server would send it. */
static json_t *staple_of(const char *resp, const char *leaf)
{
    char name[128];
    size_t rlen = 0, clen = 0;
    unsigned char *r = resp ? slurp(pki(resp), &rlen) : NULL;
    snprintf(name, sizeof(name), "%s.chain.pem", leaf);
    unsigned char *c = pem_to_der(pki(name), &clen);
    json_t *o = th_probe_staple_json(r, rlen, c, clen);
    free(r);
    free(c);
    return o;
}

/* The subject of a PKI certificate, RFC 2253, as the report prints names. */
static char *subject_of(const char *pem, char *out, size_t cap)
{
    FILE *f = fopen(pki(pem), "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    out[0] = '\0';
    if (x && b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        long n = BIO_get_mem_data(b, &data);
        snprintf(out, cap, "%.*s", (int)n, data);
    }
    BIO_free(b);
    X509_free(x);
    if (f)
        fclose(f);
    return out;
}

static void test_staple_json(void)
{
    char want[256];
    json_t *o = staple_of("ocsp-good.der", "rsa2048");
    ok(json_is_true(json_object_get(o, "stapled")), "ocsp-good: stapled");
    is_str(s_of(o, "response_status"), "successful", "ocsp-good: response status");
    is_str(s_of(o, "cert_status"), "good", "ocsp-good: good");
    ok(json_is_true(json_object_get(o, "for_leaf")), "ocsp-good: for the rsa2048 leaf");
    ok(json_is_true(json_object_get(o, "current")), "ocsp-good: current");
    is_str(s_of(o, "responder"), subject_of("intermediate.pem", want, sizeof(want)),
           "ocsp-good: signed by the issuer, named by name");
    const char *tu = s_of(o, "this_update"), *nu = s_of(o, "next_update");
    ok(strlen(tu) == 20 && tu[19] == 'Z' && strcmp(tu, nu) < 0, "ocsp-good: %s .. %s", tu, nu);
    ok(!json_object_get(o, "revoked_at") && !json_object_get(o, "error"),
       "ocsp-good: no revocation, no error");
    json_decref(o);

    o = staple_of("ocsp-other-cert.der", "rsa2048");
    is_str(s_of(o, "cert_status"), "good", "ocsp-other-cert: says good ...");
    ok(json_is_false(json_object_get(o, "for_leaf")), "... but not for the rsa2048 leaf");
    json_decref(o);
    o = staple_of("ocsp-good.der", "ecdsa-p256");
    ok(json_is_false(json_object_get(o, "for_leaf")), "ocsp-good with the ECDSA chain: not for it");
    json_decref(o);

    o = staple_of("ocsp-revoked.der", "revoked");
    is_str(s_of(o, "cert_status"), "revoked", "ocsp-revoked: revoked");
    ok(json_is_true(json_object_get(o, "for_leaf")), "ocsp-revoked: for the revoked leaf");
    ok(json_is_string(json_object_get(o, "revoked_at")), "ocsp-revoked: when: %s",
       s_of(o, "revoked_at"));
    json_decref(o);

    o = staple_of("ocsp-expired.der", "rsa2048");
    ok(json_is_false(json_object_get(o, "current")), "ocsp-expired: not current (%s .. %s)",
       s_of(o, "this_update"), s_of(o, "next_update"));
    json_decref(o);

    o = staple_of("ocsp-delegated.der", "rsa2048");
    is_str(s_of(o, "responder"), subject_of("ocsp-responder.pem", want, sizeof(want)),
           "ocsp-delegated: the delegated responder named");
    ok(json_integer_value(json_object_get(o, "certs_included")) >= 1,
       "ocsp-delegated: its certificate included");
    json_decref(o);

    o = staple_of(NULL, "rsa2048");
    ok(json_is_false(json_object_get(o, "stapled")) && json_object_size(o) == 1,
       "no staple: stapled false, nothing else");
    json_decref(o);
    o = th_probe_staple_json((const unsigned char *)"junk", 4, NULL, 0);
    ok(json_is_true(json_object_get(o, "stapled")) && json_object_get(o, "error"),
       "junk: stapled, with an error: %s", s_of(o, "error"));
    json_decref(o);
    size_t rlen;
    unsigned char *r = slurp(pki("ocsp-good.der"), &rlen), *c;
    size_t clen;
    c = pem_to_der(pki("rsa2048.pem"), &clen);
    o = th_probe_staple_json(r, rlen, c, clen);
    ok(json_is_null(json_object_get(o, "for_leaf")) && !strcmp(s_of(o, "cert_status"), "good"),
       "a leaf sent without its issuer: which certificate is unknown (null)");
    json_decref(o);
    free(r);
    free(c);
}

/* ---- a server of our own over loopback TCP ---- */

struct srv {
    const struct th_backend *b;
    struct th_tls_config cfg;
    struct th_ctx *ctx;
    int lfd;
    uint16_t port;
    pthread_t th;
    volatile int stop;
};

static void srv_one(struct srv *s, int fd)
{
    struct th_tcp t;
    struct th_conn *c = NULL;
    struct th_error e = {0};
    uint64_t deadline = th_now_ns() + 5 * SEC;
    th_tcp_init(&t, fd);
    if (s->b->conn_new(s->ctx, &t.io, NULL, &c, &e) == 0) {
        enum th_step st;
        while ((st = s->b->handshake(c, &e)) == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE)
            if (th_tcp_wait(fd, st == TH_STEP_WANT_WRITE, deadline) != 1)
                break;
        /* the GET, if one comes, then the answer; a probe handshake sends none */
        char buf[2048];
        size_t n = 0;
        while (st == TH_STEP_DONE && th_now_ns() < deadline) {
            enum th_step rs = s->b->read(c, buf, sizeof(buf), &n, &e);
            if (rs == TH_STEP_DONE && n) {
                static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                size_t done = 0;
                (void)s->b->write(c, ans, sizeof(ans) - 1, &done, &e);
                break;
            }
            if ((rs != TH_STEP_WANT_READ && rs != TH_STEP_DONE) ||
                th_tcp_wait(fd, 0, deadline) != 1)
                break;
        }
        s->b->conn_free(c);
    }
    th_tcp_close(&t);
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    uint64_t end = th_now_ns() + 120 * SEC;
    while (!s->stop && th_now_ns() < end) {
        int fd = th_tcp_accept(s->lfd, th_now_ns() + SEC / 10, NULL);
        if (fd >= 0)
            srv_one(s, fd);
    }
    return NULL;
}

static int srv_start(struct srv *s, const char *leaf, unsigned versions)
{
    static char chain[512], key[512];
    memset(s, 0, sizeof(*s));
    s->b = th_backend_find("openssl");
    snprintf(chain, sizeof(chain), "%s/%s.chain.pem", pkidir, leaf);
    snprintf(key, sizeof(key), "%s/%s.key.pem", pkidir, leaf);
    s->cfg = (struct th_tls_config){
        .role = TH_ROLE_SERVER, .versions = versions, .cert_file = chain, .key_file = key};
    s->lfd = -1;
    return 0;
}

static int srv_run(struct srv *s)
{
    struct th_error e = {0};
    if (!ok(s->b->ctx_new(&s->cfg, &s->ctx, &e) == 0, "test server context")) {
        printf("#   %s\n", e.text);
        return -1;
    }
    s->lfd = th_tcp_listen("127.0.0.1", &s->port);
    return ok(s->lfd >= 0 && pthread_create(&s->th, NULL, srv_main, s) == 0, "test server listens")
               ? 0
               : -1;
}

static void srv_stop(struct srv *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->lfd);
    s->b->ctx_free(s->ctx);
}

/* The probe of our server with -b backends (the PKI's root trusted). */
static json_t *probe(const struct srv *s, const char *backends, const char *cert, const char *key)
{
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%u/", s->port);
    struct th_probe_opts o = {.url = url,
                              .ca = pki("root.pem"),
                              .backends = backends,
                              .timeout_s = 5,
                              .cert = cert,
                              .key = key};
    struct th_error err = {0};
    json_t *r = th_probe_run(&o, &err);
    if (!r)
        printf("#   probe refused: %s\n", err.text);
    return r;
}

static const json_t *verdict(const json_t *r, const char *backend)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "verification"), i,
                       v) if (!strcmp(s_of(v, "backend"), backend)) return v;
    return NULL;
}

static const char *path_s(const json_t *r, const char *a, const char *b)
{
    return s_of(json_object_get(r, a), b);
}

static int notes_have(const json_t *r, const char *sub)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(r, "notes"), i,
                       n) if (strstr(json_string_value(n), sub)) return 1;
    return 0;
}

static char *render(const json_t *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        th_probe_print(f, r);
        fclose(f);
    }
    return text ? text : strdup("");
}

static int has_line(const char *text, const char *want)
{
    int found = strstr(text, want) != NULL;
    if (!found)
        printf("#   no '%s' in:\n%s", want, text);
    return found;
}

/* A TLS 1.0-only server stapling ocsp-good: chain, verdicts and staple at TLS 1.0. */
static void test_tls10_only(const char *clients)
{
    struct srv s;
    srv_start(&s, "rsa2048", V10);
    s.cfg.ocsp_file = pki("ocsp-good.der");
    if (srv_run(&s) != 0)
        return;
    json_t *r = probe(&s, clients, NULL, NULL);
    if (ok(r != NULL, "TLS 1.0-only: a report")) {
        const json_t *vers = json_object_get(r, "versions");
        ok(json_is_true(json_object_get(vers, "1.0")) &&
               json_is_false(json_object_get(vers, "1.2")) &&
               json_is_false(json_object_get(vers, "1.3")),
           "TLS 1.0-only: only 1.0 accepted");
        is_str(path_s(r, "tls", "outcome"), "ok", "TLS 1.0-only: the timed connection completed");
        is_str(path_s(r, "tls", "version"), "1.0", "... at TLS 1.0");
        is_int(json_array_size(json_object_get(r, "chain")), 2, "... and the chain shows");
        is_str(s_of(r, "status_line"), "HTTP/1.1 200 OK", "... and the GET answered");
        const json_t *v = verdict(r, "openssl");
        is_str(s_of(v, "version"), "1.0", "openssl's verdict names TLS 1.0");
        is_str(s_of(v, "outcome"), "ok", "openssl's verdict at TLS 1.0: ok");
        is_str(s_of(v, "ocsp"), "good", "openssl saw the staple good");
        size_t i;
        json_t *x;
        int all = 1;
        json_array_foreach(json_object_get(r, "verification"), i, x) all &=
            json_is_string(json_object_get(x, "version")) ||
            json_is_string(json_object_get(x, "skipped"));
        ok(all, "every verdict names its version, or says why there is none");
        const json_t *st = json_object_get(r, "staple");
        is_str(s_of(st, "version"), "1.0", "the staple fetched at TLS 1.0");
        is_str(s_of(st, "cert_status"), "good", "the staple says good");
        ok(json_is_true(json_object_get(st, "for_leaf")), "for the leaf sent");
        ok(notes_have(r, "a TLS 1.2-1.3 client was refused"),
           "a note says the modern client was refused first");
        char *t = render(r);
        ok(has_line(t, "handshake ") && has_line(t, "TLS 1.0 TLS_") &&
               has_line(t, "  openssl      TLS 1.0  ok  staple good\n") &&
               has_line(t, "staple       good, for the leaf sent  (TLS 1.0)\n") &&
               has_line(t, "client cert  not requested by the server\n"),
           "readable: the TLS 1.0 connection, verdict, staple and client cert lines");
        free(t);
    }
    json_decref(r);
    srv_stop(&s);
}

/* A server requiring a client certificate: shown asking; --cert presents one. */
static void test_client_auth(void)
{
    struct srv s;
    srv_start(&s, "rsa2048", V12 | V13);
    s.cfg.client_auth = TH_CLIENT_AUTH_REQUIRE;
    s.cfg.client_ca_file = pki("root.pem");
    if (srv_run(&s) != 0)
        return;
    json_t *r = probe(&s, "openssl", NULL, NULL);
    if (ok(r != NULL, "client auth, no --cert: a report")) {
        const json_t *cc = json_object_get(r, "client_certificate");
        ok(json_is_true(json_object_get(cc, "requested")), "the request is shown");
        ok(json_is_false(json_object_get(cc, "sent")), "none sent");
        ok(json_is_null(json_object_get(r, "first_byte_ms")),
           "TLS 1.3: the server refuses after the handshake, no answer to the GET");
        is_str(path_s(r, "first_byte_error", "outcome"), "certificate_required",
               "... certificate_required");
        ok(notes_have(r, "asked for a client certificate"),
           "a note says refused versions may be for want of one");
        char *t = render(r);
        ok(has_line(t, "client cert  requested by the server; none sent (--cert FILE --key FILE"),
           "readable: requested, none sent");
        free(t);
    }
    json_decref(r);
    r = probe(&s, "openssl", pki("client.chain.pem"), pki("client.key.pem"));
    if (ok(r != NULL, "client auth, --cert client: a report")) {
        const json_t *cc = json_object_get(r, "client_certificate");
        ok(json_is_true(json_object_get(cc, "requested")) &&
               json_is_true(json_object_get(cc, "sent")),
           "requested and sent");
        is_str(s_of(cc, "cert"), pki("client.chain.pem"), "the file named");
        is_str(s_of(r, "status_line"), "HTTP/1.1 200 OK", "the GET answered with it");
        ok(json_is_true(json_object_get(json_object_get(r, "versions"), "1.2")),
           "TLS 1.2 accepted with the certificate");
        is_str(s_of(verdict(r, "openssl"), "outcome"), "ok", "the verdict: ok");
        char *t = render(r);
        ok(has_line(t, "client cert  requested by the server; sent "), "readable: sent FILE");
        free(t);
    }
    json_decref(r);
    srv_stop(&s);

    struct th_probe_opts o = {.url = "https://localhost/", .cert = pki("client.pem")};
    struct th_error err = {0};
    r = th_probe_run(&o, &err);
    ok(!r && err.input && strstr(err.text, "--cert and --key go together"),
       "--cert without --key: refused as input: %s", err.text);
    json_decref(r);
}

/* A stapled revoked response, and a server that staples nothing. */
static void test_staples(void)
{
    struct srv s;
    srv_start(&s, "revoked", V12 | V13);
    s.cfg.ocsp_file = pki("ocsp-revoked.der");
    if (srv_run(&s) == 0) {
        json_t *r = probe(&s, "openssl", NULL, NULL);
        const json_t *st = json_object_get(r, "staple");
        is_str(s_of(st, "cert_status"), "revoked", "revoked staple: shown revoked");
        ok(json_is_string(json_object_get(st, "revoked_at")), "with the time");
        is_str(s_of(st, "version"), "1.3", "fetched at the highest version, 1.3");
        is_str(s_of(verdict(r, "openssl"), "outcome"), "revoked", "openssl's verdict: revoked");
        is_str(s_of(verdict(r, "openssl"), "ocsp"), "revoked", "openssl saw it revoked");
        char *t = render(r);
        ok(has_line(t, "staple       revoked, for the leaf sent  (TLS 1.3)\n") &&
               has_line(t, "      revoked   "),
           "readable: revoked, and when");
        free(t);
        json_decref(r);
        srv_stop(&s);
    }
    srv_start(&s, "rsa2048", V12 | V13);
    if (srv_run(&s) == 0) {
        json_t *r = probe(&s, "openssl", NULL, NULL);
        ok(json_is_false(json_object_get(json_object_get(r, "staple"), "stapled")),
           "no staple: stapled false");
        is_str(s_of(verdict(r, "openssl"), "ocsp"), "none", "openssl asked, none came");
        is_str(s_of(verdict(r, "openssl"), "outcome"), "ok", "a missing staple is no error");
        char *t = render(r);
        ok(has_line(t, "staple       none  (asked with TLS 1.3)\n"), "readable: none");
        free(t);
        json_decref(r);
        srv_stop(&s);
    }
}

/* The readable report of a verdict that could not be had, and an older report. */
static void test_print(void)
{
    json_t *r =
        json_loads("{\"url\":\"https://h/\",\"name_checked\":\"h\",\"connect_ms\":1,"
                   "\"tls\":{\"outcome\":\"ok\",\"backend\":\"openssl\",\"version\":\"1.0\"},"
                   "\"chain\":[],\"verification\":["
                   "{\"backend\":\"mbedtls\",\"version\":null,\"outcome\":null,"
                   "\"skipped\":\"cannot offer TLS 1.0, which the server accepts\"},"
                   "{\"backend\":\"gnutls\",\"version\":\"1.0\",\"outcome\":\"revoked\",\"code\":3,"
                   "\"text\":\"no\",\"ocsp\":\"revoked\"},"
                   "{\"backend\":\"old\",\"outcome\":\"ok\",\"code\":0,\"text\":\"\"}],"
                   "\"staple\":{\"stapled\":true,\"cert_status\":\"good\",\"for_leaf\":false,"
                   "\"this_update\":\"a\",\"next_update\":\"b\",\"current\":false,"
                   "\"responder\":\"key SHA-1 00ff\",\"certs_included\":1,\"version\":\"1.0\"},"
                   "\"versions\":{},\"suites\":{},\"notes\":[]}",
                   0, NULL);
    char *t = render(r);
    ok(has_line(t, "  mbedtls      TLS -    not tested: cannot offer TLS 1.0, which the server "
                   "accepts\n"),
       "a client sharing no version: not tested, why");
    ok(has_line(t, "  gnutls       TLS 1.0  revoked  staple revoked  no (code 3)\n"),
       "a verdict with its version and staple");
    ok(has_line(t, "  old          ok\n"), "a verdict without a version (an older report)");
    ok(has_line(t, "staple       good, for ANOTHER certificate  (TLS 1.0)\n") &&
           has_line(t, "      updated   a .. b  (not current)\n") &&
           has_line(t, "      responder key SHA-1 00ff, 1 certificate included\n"),
       "a staple for another certificate, not current");
    ok(!strstr(t, "client cert"), "no client_certificate: no line");
    free(t);
    json_decref(r);
}

int main(void)
{
    if (pd_begin("probe_cert") == 0) {
        test_staple_json();
        if (th_backend_find("openssl")) {
            test_tls10_only(th_backend_find("gnutls") ? "openssl,gnutls" : "openssl");
            test_client_auth();
            test_staples();
        } else {
            ok(1, "# SKIP openssl not compiled in");
        }
    }
    test_print();
    return pd_end();
}
