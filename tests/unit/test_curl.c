/* The libcurl client backends, both flavours, against `tlsharness serve`'s server
 * (th_serve, keep-alive, /bytes/N) over loopback TCP: identity and capabilities,
 * GETs, names, versions, pinned suites and groups, every certificate of the test PKI,
 * fetches from several threads, configurations curl cannot express, and a flavour
 * whose library is missing or wrong. Each capability a flavour declares, or does
 * not, is checked against what it does. Connection behaviour against a server whose
 * settings each case chooses is test_curl_conn.c. */
#include "curlcheck.h"

#include <signal.h>
#include <sys/wait.h>

#include "harness/http/serve.h"

static char ca_untrusted[512], crl_file[512];

static int has_id(const uint16_t *ids, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/* ---- th_serve in a thread ---- */

struct bg_serve {
    const char *cert;
    uint16_t port;
    pthread_t th;
    volatile sig_atomic_t stop;
    volatile int done;
    int rc;
    FILE *log;
    struct th_error err;
};

static void *bg_serve_main(void *arg)
{
    struct bg_serve *s = arg;
    s->rc = th_serve(SB, "127.0.0.1", s->port, s->cert, pkidir, 120, &s->stop, s->log, &s->err);
    s->done = 1;
    return NULL;
}

/* Up when a TCP connection to it succeeds; th_serve takes a port, so a free one is
 * found by binding port 0 first, and tried again should another process take it. */
static int bg_wait_up(struct bg_serve *s)
{
    uint64_t deadline = th_now_ns() + 3 * SEC, ns;
    while (th_now_ns() < deadline && !s->done) {
        int fd = th_tcp_connect("127.0.0.1", s->port, th_now_ns() + SEC / 5, &ns, NULL);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        usleep(10000);
    }
    return -1;
}

static int bg_serve_start(struct bg_serve *s, const char *cert)
{
    memset(s, 0, sizeof(*s));
    s->cert = cert;
    s->log = tmpfile();
    for (int attempt = 0; attempt < 5; attempt++) {
        uint16_t port = 0;
        int fd = th_tcp_listen("127.0.0.1", &port);
        if (fd < 0)
            continue;
        close(fd);
        s->port = port;
        s->stop = 0;
        s->done = 0;
        if (pthread_create(&s->th, NULL, bg_serve_main, s) != 0)
            return -1;
        if (bg_wait_up(s) == 0)
            return 0;
        s->stop = 1;
        pthread_join(s->th, NULL);
    }
    return -1;
}

static void bg_serve_stop(struct bg_serve *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    if (s->log)
        fclose(s->log);
}

/* ---- identity and capabilities ---- */

static void test_identity(const struct th_backend *b, const char *tls)
{
    struct th_caps caps;
    b->caps(&caps);
    ok(strncmp(b->version(), "libcurl/", 8) == 0 && strstr(b->version(), tls),
       "%s: version '%s' names libcurl and %s", b->name, b->version(), tls);
    is_int(caps.roles, TH_ROLE_CLIENT, "%s: client role only", b->name);
    ok((caps.features & TH_CAP_OWN_SOCKET) && !(caps.features & TH_CAP_DRIVER_IO),
       "%s: owns its socket, no driver I/O", b->name);
    ok(b->fetch && !b->ctx_new && !b->conn_new && !b->handshake && !b->conn_free && !b->session_get,
       "%s: only fetch among the connection ops", b->name);
    ok(caps.n_suites > 5 && has_id(caps.suites, caps.n_suites, 0x1301) &&
           has_id(caps.suites, caps.n_suites, 0xC02F),
       "%s: %zu suites, TLS 1.3 and ECDHE among them", b->name, caps.n_suites);
    ok(caps.n_groups >= 3 && has_id(caps.groups, caps.n_groups, 0x001D),
       "%s: %zu groups, x25519 among them", b->name, caps.n_groups);
    ok(!(caps.features & TH_CAP_ALPN), "%s: no free ALPN list (http/1.1 only)", b->name);
}

/* The GnuTLS flavour negotiates what curl's priority string enables: no PSK, no
 * anonymous, no NULL suite, and no CBC-SHA256/384 suites NORMAL leaves out. */
static void test_gnutls_suite_list(void)
{
    struct th_caps caps;
    th_backend_curl_gnutls.caps(&caps);
    ok(!has_id(caps.suites, caps.n_suites, 0x00A8) && !has_id(caps.suites, caps.n_suites, 0x003B),
       "curl-gnutls: no PSK or NULL suites in caps");
    ok(!(caps.features & (TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS)) &&
           (caps.features & TH_CAP_RESTRICT_VERSIONS),
       "curl-gnutls: restricts versions, not suites or groups");
    th_backend_curl_openssl.caps(&caps);
    ok((caps.features &
        (TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS | TH_CAP_RESTRICT_VERSIONS)) ==
           (TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS | TH_CAP_RESTRICT_VERSIONS),
       "curl-openssl: restricts versions, suites and groups");
}

/* ---- GET against th_serve ---- */

static void test_get(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    if (fetch_ok(b, &r, rc, "GET /")) {
        is_int(r.http_status, 200, "%s GET /: status", b->name);
        ok(r.body_len > 10 && memcmp(r.body, "tlsharness openssl", 18) == 0,
           "%s GET /: the server's page (%zu bytes)", b->name, r.body_len);
        is_int(r.neg.version, TH_TLS13, "%s GET /: TLS 1.3", b->name);
        const struct th_suite_info *si = th_suite_by_id(r.neg.suite);
        /* The page names the suite the server negotiated: both ends must agree. */
        ok(si && r.body && memmem(r.body, r.body_len, si->name, strlen(si->name)),
           "%s GET /: suite %s as the server saw it", b->name, si ? si->name : "(none)");
        ok(r.neg.group == 0x001D || r.neg.group == 0x0017, "%s GET /: group 0x%04x", b->name,
           r.neg.group);
        ok(!r.neg.resumed && r.neg.alpn[0] == '\0', "%s GET /: not resumed, no ALPN", b->name);
    }
    result_free(&r);
}

static void test_bytes(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    size_t n = 300000;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/bytes/300000", 5, &r);
    if (fetch_ok(b, &r, rc, "GET /bytes/300000")) {
        unsigned char *want = th_xmalloc(n);
        th_pattern_fill(0, 0, want, n);
        ok(r.body_len == n && memcmp(r.body, want, n) == 0, "%s: %zu pattern bytes intact", b->name,
           r.body_len);
        free(want);
    }
    result_free(&r);
    rc = b->fetch(&cfg, "127.0.0.1", port, "/no-such-page", 5, &r);
    if (fetch_ok(b, &r, rc, "GET /no-such-page"))
        is_int(r.http_status, 404, "%s: a 404 is an HTTP status, not a TLS failure", b->name);
    result_free(&r);
}

/* Names: an IP literal checked against IP SANs, a wrong name refused unless
 * verification is off, and no name at all checks the chain only. */
static void test_names(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    cfg.hostname = "127.0.0.1";
    cfg.sni = NULL;
    int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "hostname 127.0.0.1 (IP SAN)");
    result_free(&r);
    cfg.hostname = "::1"; /* in the URL, while it connects to 127.0.0.1 */
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "hostname ::1 (IPv6 SAN)");
    result_free(&r);
    cfg.hostname = "127.0.0.2"; /* connects to 127.0.0.1, checks .2 */
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_HOSTNAME_MISMATCH, "hostname 127.0.0.2");
    result_free(&r);
    cfg = client_cfg();
    cfg.hostname = cfg.sni = "wrong.example";
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_HOSTNAME_MISMATCH, "hostname wrong.example");
    result_free(&r);
    cfg.verify = 0;
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "hostname wrong.example, verify off");
    result_free(&r);
    cfg = client_cfg();
    cfg.hostname = NULL;
    cfg.sni = NULL;
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_ok(b, &r, rc, "no hostname: chain only");
    result_free(&r);
    cfg = client_cfg();
    cfg.hostname = "127.0.0.1";
    cfg.sni = NULL;
    rc = b->fetch(&cfg, "localhost", port, "/", 5, &r); /* a host given by name */
    fetch_ok(b, &r, rc, "host localhost, hostname 127.0.0.1");
    result_free(&r);
    cfg = client_cfg();
    cfg.ca_file = NULL; /* no trust anchors: not the system's either */
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_UNKNOWN_CA, "no CA file");
    result_free(&r);
    cfg.ca_file = ca_untrusted;
    rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
    fetch_fails(b, &r, rc, TH_UNKNOWN_CA, "another root");
    result_free(&r);
}

static void test_versions(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    struct th_fetch_result r;
    static const struct {
        unsigned set;
        uint16_t want;
    } pins[] = {{V12, TH_TLS12}, {V13, TH_TLS13}, {V10 | V11 | V12, TH_TLS12}};
    for (size_t i = 0; i < TH_ARRAY_LEN(pins); i++) {
        char what[64];
        cfg.versions = pins[i].set;
        snprintf(what, sizeof(what), "versions up to %s", th_version_name(pins[i].want));
        int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
        if (fetch_ok(b, &r, rc, what))
            is_int(r.neg.version, pins[i].want, "%s %s: negotiated", b->name, what);
        result_free(&r);
    }
    cfg.versions = V11 | V13;
    fetch_refused(b, &cfg, port, "version range", "TLS 1.1 and 1.3 without 1.2");
}

/* The server refuses the leaf: each with the outcome the flavour's TLS library
 * reports through its own backend (see scenarios/cert). */
struct cert_case {
    const char *leaf;
    int crl;
    enum th_outcome want[2]; /* curl-openssl, curl-gnutls */
    unsigned versions;       /* 0: client_cfg's */
};

static const struct cert_case cert_cases[] = {
    {"expired", 0, {TH_EXPIRED, TH_EXPIRED}, 0},
    {"not-yet-valid", 0, {TH_NOT_YET_VALID, TH_NOT_YET_VALID}, 0},
    {"wrong-host", 0, {TH_HOSTNAME_MISMATCH, TH_HOSTNAME_MISMATCH}, 0},
    /* sent alone, its issuer no trust anchor: as no-intermediate (gnutls_map.c) */
    {"untrusted", 0, {TH_INCOMPLETE_CHAIN, TH_INCOMPLETE_CHAIN}, 0},
    {"self-signed", 0, {TH_SELF_SIGNED, TH_SELF_SIGNED}, 0},
    {"revoked", 1, {TH_REVOKED, TH_REVOKED}, 0},
    {"revoked", 0, {TH_OK, TH_OK}, 0},
    {"rsa2048", 1, {TH_OK, TH_OK}, 0},
    /* A finding: libcurl-gnutls 7.88 checks the chain without a key purpose, so a
     * clientAuth-only leaf passes (the GnuTLS backend, which asks for serverAuth,
     * refuses it). */
    {"bad-eku", 0, {TH_BAD_EKU, TH_OK}, 0},
    {"bad-signature", 0, {TH_BAD_SIGNATURE, TH_BAD_SIGNATURE}, 0},
    {"sha1", 0, {TH_WEAK_SIGNATURE, TH_WEAK_SIGNATURE}, 0},
    {"rsa1024", 0, {TH_WEAK_KEY, TH_OK}, 0},
    /* Allowing TLS 1.0 lowers curl-openssl's handshake security level, never its
     * chain check's (issue 12, bug 1): refused as above, on TLS 1.3. */
    {"rsa1024", 0, {TH_WEAK_KEY, TH_OK}, V10 | V11 | V12 | V13},
    {"sha1", 0, {TH_WEAK_SIGNATURE, TH_WEAK_SIGNATURE}, V10 | V11 | V12 | V13},
    {"rsa2048", 0, {TH_OK, TH_OK}, V10 | V11 | V12 | V13},
    {"no-intermediate", 0, {TH_INCOMPLETE_CHAIN, TH_INCOMPLETE_CHAIN}, 0},
    {"ecdsa-p256", 0, {TH_OK, TH_OK}, 0},
};

static void test_certs(void)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(cert_cases); i++) {
        const struct cert_case *k = &cert_cases[i];
        struct bg_serve s;
        if (!ok(bg_serve_start(&s, k->leaf) == 0, "th_serve with %s", k->leaf))
            continue;
        for (size_t f = 0; f < N_FLAVOURS; f++) {
            const struct th_backend *b = flavours[f];
            struct th_tls_config cfg = client_cfg();
            struct th_fetch_result r;
            char what[64];
            cfg.crl_file = k->crl ? crl_file : NULL;
            if (k->versions)
                cfg.versions = k->versions;
            snprintf(what, sizeof(what), "leaf %s%s%s", k->leaf, k->crl ? " with CRL" : "",
                     k->versions ? ", TLS 1.0-1.3 allowed" : "");
            int rc = b->fetch(&cfg, "127.0.0.1", s.port, "/", 5, &r);
            if (k->want[f] == TH_OK)
                fetch_ok(b, &r, rc, what);
            else
                fetch_fails(b, &r, rc, k->want[f], what);
            result_free(&r);
        }
        bg_serve_stop(&s);
    }
}

/* Fetches from several threads at once, both flavours side by side: each keeps
 * its own handle, and the body and details are each its own. */
struct conc_arg {
    const struct th_backend *b;
    uint16_t port;
    int good;
};

static void *conc_main(void *arg)
{
    struct conc_arg *a = arg;
    for (int i = 0; i < 5; i++) {
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        unsigned char want[20000];
        th_pattern_fill(0, 0, want, sizeof(want));
        if (a->b->fetch(&cfg, "127.0.0.1", a->port, "/bytes/20000", 5, &r) == 0 &&
            r.body_len == sizeof(want) && memcmp(r.body, want, sizeof(want)) == 0 &&
            r.neg.version == TH_TLS13)
            a->good++;
        result_free(&r);
    }
    return NULL;
}

static void test_concurrent(uint16_t port)
{
    struct conc_arg a[4];
    pthread_t t[4];
    int started = 0, good = 0;
    for (int i = 0; i < 4; i++) {
        a[i] = (struct conc_arg){.b = flavours[i % N_FLAVOURS], .port = port};
        started += pthread_create(&t[i], NULL, conc_main, &a[i]) == 0;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(t[i], NULL);
        good += a[i].good;
    }
    is_int(good, 20, "20 fetches from 4 threads, both flavours at once, all intact");
}

/* ---- suites and groups ---- */

/* Pinning a suite: curl-openssl offers exactly it; curl-gnutls refuses the list,
 * since its library would offer its defaults instead (see test_gnutls_ignores). */
static void test_suites(uint16_t port)
{
    const struct th_backend *b = &th_backend_curl_openssl;
    static const struct {
        unsigned versions;
        uint16_t suite, group;
    } pins[] = {{V12 | V13, 0xC030, 0x0018},  /* AES-256-GCM over P-384, capping at 1.2 */
                {V12 | V13, 0x1303, 0x0100},  /* ChaCha20 over ffdhe2048 */
                {V12, 0x009C, 0},             /* RSA key transport: no group */
                {V12 | V13, 0xC02B, 0x001D}}; /* ECDSA suite: refused by an RSA server */
    for (size_t i = 0; i < TH_ARRAY_LEN(pins); i++) {
        struct th_tls_config cfg = client_cfg();
        struct th_fetch_result r;
        char what[64];
        cfg.versions = pins[i].versions;
        cfg.suites[0] = pins[i].suite;
        cfg.n_suites = 1;
        if (pins[i].group) {
            cfg.groups[0] = pins[i].group;
            cfg.n_groups = 1;
        }
        snprintf(what, sizeof(what), "suite 0x%04x group 0x%04x", pins[i].suite, pins[i].group);
        int rc = b->fetch(&cfg, "127.0.0.1", port, "/", 5, &r);
        if (pins[i].suite == 0xC02B) {
            fetch_fails(b, &r, rc, TH_HANDSHAKE_FAILURE, what);
        } else if (fetch_ok(b, &r, rc, what)) {
            is_int(r.neg.suite, pins[i].suite, "%s %s: suite", b->name, what);
            is_int(r.neg.group, pins[i].group, "%s %s: group", b->name, what);
        }
        result_free(&r);
    }
    struct th_tls_config cfg = client_cfg();
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    fetch_refused(&th_backend_curl_gnutls, &cfg, port, "cannot restrict cipher suites", "a suite");
    cfg.n_suites = 0;
    cfg.groups[0] = 0x001D;
    cfg.n_groups = 1;
    fetch_refused(&th_backend_curl_gnutls, &cfg, port, "cannot restrict groups", "a group");
}

/* Configurations curl cannot express, refused before connecting. */
static void test_refusals(const struct th_backend *b, uint16_t port)
{
    struct th_tls_config cfg = client_cfg();
    cfg.alpn[0] = "h2";
    cfg.n_alpn = 1;
    fetch_refused(b, &cfg, port, "http/1.1", "ALPN h2");
    cfg = client_cfg();
    cfg.sni = "other.example";
    fetch_refused(b, &cfg, port, "server_name", "SNI other than the host name");
    cfg.sni = NULL;
    fetch_refused(b, &cfg, port, "server_name", "no SNI for a DNS host name");
    cfg = client_cfg();
    cfg.role = TH_ROLE_SERVER;
    fetch_refused(b, &cfg, port, "client role", "server role");
}

/* ---- a flavour whose library is missing or wrong ---- */

/* In a child (the library is loaded once per process): point the GnuTLS flavour at
 * `lib` and report what it says. */
static void expect_unavailable(const char *lib, const char *needle, const char *what)
{
    int pfd[2];
    char buf[600] = "";
    if (pipe(pfd) != 0)
        return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        setenv("TH_CURL_GNUTLS_LIB", lib, 1);
        const struct th_backend *b = &th_backend_curl_gnutls;
        struct th_caps caps;
        struct th_fetch_result r;
        struct th_tls_config cfg = client_cfg();
        int init = b->init();
        b->caps(&caps);
        int rc = b->fetch(&cfg, "127.0.0.1", 1, "/", 1, &r);
        dprintf(pfd[1], "%d %u %zu %d %s|%s|%s", init, caps.roles, caps.n_suites, rc,
                th_outcome_name(r.err.outcome), b->version(), r.err.text);
        _exit(0);
    }
    close(pfd[1]);
    ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    waitpid(pid, NULL, 0);
    ok(strncmp(buf, "0 0 0 -1 internal_error|unavailable: ", 37) == 0,
       "%s: init 0, no role, no suites, fetch fails: '%s'", what, buf);
    ok(strstr(buf, needle) != NULL, "%s: version and error say why ('%s')", what, needle);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (pd_begin("curl") != 0)
        return pd_end();
    /* before any thread: the children only load a library */
    expect_unavailable("libcurl-no-such-flavour.so.4", "libcurl-no-such-flavour.so.4",
                       "missing library");
    expect_unavailable("libcurl.so.4", "built on OpenSSL", "library of the other flavour");
    pki_path(ca_untrusted, sizeof(ca_untrusted), "untrusted-root.pem");
    pki_path(crl_file, sizeof(crl_file), "crl.pem");
    if (cc_flavours_ready() != 0)
        return pd_end();
    test_identity(&th_backend_curl_openssl, "OpenSSL/3");
    test_identity(&th_backend_curl_gnutls, "GnuTLS/3");
    test_gnutls_suite_list();
    struct bg_serve s;
    if (ok(bg_serve_start(&s, "rsa2048") == 0, "th_serve up")) {
        for (size_t i = 0; i < N_FLAVOURS; i++) {
            test_get(flavours[i], s.port);
            test_bytes(flavours[i], s.port);
            test_names(flavours[i], s.port);
            test_versions(flavours[i], s.port);
            test_refusals(flavours[i], s.port);
        }
        test_suites(s.port);
        test_concurrent(s.port);
        bg_serve_stop(&s);
    }
    test_certs();
    return cc_end();
}
