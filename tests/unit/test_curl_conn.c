/* The libcurl client backends, both flavours, against a small one-connection-at-a-time
 * server of this file over loopback TCP, whose TLS settings each case chooses
 * (versions, suites, ALPN, tickets, a session cache, a cut or silent peer): what each
 * flavour resumes, offers and reports when the connection goes wrong, and what
 * libcurl-gnutls itself does with the options it lacks. */
#include "curlcheck.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <signal.h>

#include "curl_tsrv.h"

/* ---- suites ---- */

/* Only TLS 1.3 suites asked for, TLS 1.2 still allowed: the 1.2 list must be empty,
 * not curl's default, so a TLS 1.2-only server finds no suite in common. */
static void test_tls13_suites_only(void)
{
    const struct th_backend *b = &th_backend_curl_openssl;
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = V12;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_HANDSHAKE_FAILURE, "TLS 1.3 suite only vs a TLS 1.2 server");
    result_free(&r);
    tsrv_stop(&s);
    is_str(th_outcome_name(s.err[0].outcome), "no_shared_cipher",
           "%s TLS 1.3 suite only: the server found no suite in common", b->name);
}

/* ---- ALPN, resumption, versions, truncation ---- */

static void test_alpn(const struct th_backend *b)
{
    struct tsrv s;
    static const char *const protos[] = {"http/1.1"};
    tsrv_init(&s, "rsa2048");
    s.cfg.alpn[0] = protos[0];
    s.cfg.n_alpn = 1;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "no ALPN asked"))
        is_str(r.neg.alpn, "", "%s: no ALPN offered, none selected", b->name);
    result_free(&r);
    cfg.alpn[0] = "http/1.1";
    cfg.n_alpn = 1;
    rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "ALPN http/1.1")) {
        is_str(r.neg.alpn, "http/1.1", "%s: ALPN http/1.1 selected", b->name);
        ok(r.body_len == 5 && memcmp(r.body, "tsrv\n", 5) == 0, "%s: body from our server",
           b->name);
    }
    result_free(&r);
    tsrv_stop(&s);
}

/* One resuming fetch against a server with tickets and/or a session cache: 1 when
 * the second connection resumed (the client and the server agreeing), 0 when not,
 * -1 when the fetch failed. */
static int resumed(const struct th_backend *b, unsigned versions, int tickets, int cache,
                   enum th_resume how, const char *what)
{
    struct tsrv s;
    int got = -1;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = versions;
    s.cfg.tickets = tickets;
    s.cfg.session_cache = cache;
    if (tsrv_start(&s) != 0)
        return -1;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.versions = versions;
    cfg.resume = how;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, what)) {
        got = r.neg.resumed;
        is_int(r.neg.version, th_versions_highest(versions), "%s %s: version", b->name, what);
        ok(r.body_len == 5 && r.http_status == 200, "%s %s: the second response", b->name, what);
    }
    tsrv_stop(&s);
    ok(s.conns == 2 && (got < 0 || s.neg[1].resumed == got),
       "%s %s: two connections, the server agrees (%d)", b->name, what, s.neg[1].resumed);
    result_free(&r);
    return got;
}

/* What each flavour resumes, and that its caps say so. curl-openssl never offers a
 * TLS 1.2 ticket (curl sets SSL_OP_NO_TICKET); curl-gnutls offers no ticket at all,
 * in either version. */
static void test_resume(const struct th_backend *b, int tls13_ticket, int tls13_stateful)
{
    struct th_caps caps;
    b->caps(&caps);
    int t13 = resumed(b, V13, 1, 0, TH_RESUME_TICKET, "ticket TLS 1.3");
    int t12 = resumed(b, V12, 1, 0, TH_RESUME_TICKET, "ticket TLS 1.2");
    int id12 = resumed(b, V12, 0, 1, TH_RESUME_SESSION_ID, "session id TLS 1.2");
    int id13 = resumed(b, V13, 0, 1, TH_RESUME_SESSION_ID, "stateful ticket TLS 1.3");
    int none = resumed(b, V12 | V13, 0, 0, TH_RESUME_TICKET, "server without tickets or cache");
    is_int(t13, tls13_ticket, "%s: TLS 1.3 ticket resumption", b->name);
    is_int(t12, 0, "%s: no TLS 1.2 ticket resumption", b->name);
    is_int(id12, 1, "%s: TLS 1.2 session-id resumption", b->name);
    is_int(id13, tls13_stateful, "%s: TLS 1.3 resumption from a server cache", b->name);
    is_int(none, 0, "%s: nothing to resume from, not resumed", b->name);
    is_int(!!(caps.resume & TH_RESUME_BIT(TH_RESUME_TICKET)), t13 == 1 || t12 == 1,
           "%s: caps claim tickets only if some version resumes by one", b->name);
    is_int(!!(caps.resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID)), id12 == 1,
           "%s: caps claim session ids as TLS 1.2 resumes by one", b->name);
}

/* A server stuck at TLS 1.1: refused unless asked for, then spoken. */
static void test_old_server(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = V11;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_PROTOCOL_VERSION, "server at TLS 1.1, client 1.2-1.3");
    result_free(&r);
    cfg.versions = V10 | V11;
    rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "server at TLS 1.1, client 1.0-1.1"))
        is_int(r.neg.version, TH_TLS11, "%s: TLS 1.1 when asked for", b->name);
    result_free(&r);
    tsrv_stop(&s);
}

static void test_truncated(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.mode = TS_TRUNCATE;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_TRUNCATED, "body cut short");
    tsrv_stop(&s);
    result_free(&r);
}

/* ---- the body bound (cfg.max_body, scenario key client.max_body_bytes) ---- */

static void fetch_bounded(const struct th_backend *b, struct tsrv *s, uint64_t max, int want_ok,
                          const char *what)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.max_body = max;
    int rc = b->fetch(&cfg, "127.0.0.1", s->port, "/", 5, &r);
    if (want_ok) {
        ok(rc == 0 && r.err.outcome == TH_OK, "%s %s: fetched ('%s')", b->name, what, r.err.text);
    } else {
        char want[64];
        snprintf(want, sizeof(want), "over the bound of %llu bytes", (unsigned long long)max);
        fetch_fails(b, &r, rc, TH_INTERNAL_ERROR, what);
        ok(strstr(r.err.text, want) != NULL, "%s %s: the reason names the bound", b->name, what);
    }
    result_free(&r);
}

/* A Content-Length over the bound fails before the body; a chunked body as it
 * comes; a body of exactly the bound passes. */
static void test_body_bound(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    if (tsrv_start(&s) != 0)
        return;
    fetch_bounded(b, &s, 4, 0, "Content-Length 5, bound 4");
    fetch_bounded(b, &s, 5, 1, "Content-Length 5, bound 5");
    fetch_bounded(b, &s, 0, 1, "no bound given: the default");
    tsrv_stop(&s);
    tsrv_init(&s, "rsa2048");
    s.mode = TS_CHUNKED;
    if (tsrv_start(&s) != 0)
        return;
    fetch_bounded(b, &s, 10, 0, "chunked 16 bytes, bound 10");
    fetch_bounded(b, &s, 16, 1, "chunked 16 bytes, bound 16");
    tsrv_stop(&s);
}

/* ---- transport failures ---- */

static void test_refused(const struct th_backend *b)
{
    uint16_t port = 0;
    int fd = th_tcp_listen("127.0.0.1", &port);
    if (!ok(fd >= 0, "a port to close"))
        return;
    close(fd); /* nothing listens there now */
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_IO_ERROR, "connection refused");
    result_free(&r);
}

static void test_timeout(const struct th_backend *b)
{
    struct tsrv s;
    tsrv_init(&s, "rsa2048");
    s.mode = TS_SILENT;
    if (tsrv_start(&s) != 0)
        return;
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    uint64_t t0 = th_now_ns();
    int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 0.5, &r);
    double took = (double)(th_now_ns() - t0) / 1e9;
    fetch_fails(b, &r, rc, TH_TIMEOUT, "a server that never answers");
    ok(took >= 0.45 && took < 2.0, "%s: gave up after %.2f s of 0.5", b->name, took);
    tsrv_stop(&s);
    result_free(&r);
}

/* ---- what libcurl-gnutls itself does with the options it lacks ---- */

struct raw_curl {
    void *dl;
    CURL *(*init)(void);
    CURLcode (*setopt)(CURL *, CURLoption, ...);
    CURLcode (*perform)(CURL *);
    CURLcode (*getinfo)(CURL *, CURLINFO, ...);
    void (*cleanup)(CURL *);
};

static int raw_open(struct raw_curl *c, const char *lib)
{
    c->dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!c->dl)
        return -1;
    *(void **)&c->init = dlsym(c->dl, "curl_easy_init");
    *(void **)&c->setopt = dlsym(c->dl, "curl_easy_setopt");
    *(void **)&c->perform = dlsym(c->dl, "curl_easy_perform");
    *(void **)&c->getinfo = dlsym(c->dl, "curl_easy_getinfo");
    *(void **)&c->cleanup = dlsym(c->dl, "curl_easy_cleanup");
    return c->init && c->setopt && c->perform && c->getinfo && c->cleanup ? 0 : -1;
}

static size_t raw_sink(char *p, size_t size, size_t n, void *arg)
{
    return size * n;
}

/* What a TLS 1.2 fetch with only AES-128-GCM in CURLOPT_SSL_CIPHER_LIST negotiates,
 * as the server saw it; the setopt's return in *set_rc. */
static uint16_t raw_suite(struct raw_curl *c, const char *list, CURLcode *set_rc)
{
    struct tsrv s;
    uint16_t got = 0;
    tsrv_init(&s, "rsa2048");
    s.cfg.versions = V12;
    if (tsrv_start(&s) != 0)
        return 0;
    CURL *h = c->init();
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", s.port);
    c->setopt(h, CURLOPT_URL, url);
    c->setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    c->setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    c->setopt(h, CURLOPT_NOPROXY, "*");
    c->setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    c->setopt(h, CURLOPT_WRITEFUNCTION, raw_sink);
    c->setopt(h, CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
    *set_rc = c->setopt(h, CURLOPT_SSL_CIPHER_LIST, list);
    if (c->perform(h) == CURLE_OK)
        got = s.neg[0].suite;
    c->cleanup(h);
    tsrv_stop(&s);
    return got;
}

/* The capability finding behind curl-gnutls's caps: its library takes a cipher list
 * and offers its defaults anyway, and refuses a TLS 1.3 list outright. Both are
 * checked against the library, so a libcurl that honours them fails this test and
 * its caps can be widened. */
static void test_gnutls_ignores(void)
{
    struct raw_curl c;
    CURLcode rc = CURLE_OK;
    if (!ok(raw_open(&c, "libcurl-gnutls.so.4") == 0, "libcurl-gnutls.so.4 opens"))
        return;
    uint16_t got = raw_suite(&c,
                             "NONE:+VERS-TLS1.2:+AES-128-GCM:+ECDHE-RSA:+AEAD:+SIGN-ALL:"
                             "+GROUP-ALL:+COMP-NULL:+CTYPE-X509",
                             &rc);
    is_int(rc, CURLE_OK, "libcurl-gnutls takes CURLOPT_SSL_CIPHER_LIST");
    ok(got != 0 && got != 0xC02F, "libcurl-gnutls ignores it: AES-128-GCM asked, got 0x%04x", got);
    CURL *h = c.init();
    rc = c.setopt(h, CURLOPT_TLS13_CIPHERS, "TLS_AES_128_GCM_SHA256");
    is_int(rc, CURLE_NOT_BUILT_IN, "libcurl-gnutls refuses CURLOPT_TLS13_CIPHERS");
    c.cleanup(h);
    /* The same cipher list in OpenSSL's syntax is honoured by curl-openssl. */
    struct raw_curl o;
    if (ok(raw_open(&o, "libcurl.so.4") == 0, "libcurl.so.4 opens")) {
        got = raw_suite(&o, "ECDHE-RSA-AES128-GCM-SHA256", &rc);
        is_int(got, 0xC02F, "libcurl (OpenSSL) honours its cipher list");
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("curl-conn") != 0 || cc_flavours_ready() != 0)
        return pd_end();
    test_gnutls_ignores();
    test_tls13_suites_only();
    for (size_t i = 0; i < N_FLAVOURS; i++) {
        test_alpn(flavours[i]);
        test_resume(flavours[i], i == 0, i == 0);
        test_old_server(flavours[i]);
        test_truncated(flavours[i]);
        test_body_bound(flavours[i]);
        test_refused(flavours[i]);
        test_timeout(flavours[i]);
    }
    return cc_end();
}
