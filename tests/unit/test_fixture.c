/* Managed real servers (harness/fixture/): what each fixture is and what its
 * template can express, without starting one; a template folder that is missing or
 * names what tlsharness does not fill; the pool of running fixtures. Each installed
 * fixture for real: test_fixture_live.c. */
#include <sys/wait.h>

#include "fixturedrive.h"

/* ---- the fixtures' descriptions ---- */

static void test_registry(void)
{
    size_t n = 0;
    int complete = 1;
    for (; th_fixtures[n]; n++) {
        const struct th_fixture_def *d = th_fixtures[n];
        struct th_caps c;
        d->caps(&c);
        complete &= d->name && d->package && d->library && c.roles == TH_ROLE_SERVER &&
                    c.n_suites > 0 && c.n_groups > 0 && c.versions && (c.features & TH_CAP_ALPN) &&
                    th_fixture_find(d->name) == d;
    }
    is_int(n, 7, "seven fixtures");
    ok(complete, "each has a name, package, library and server caps, and is found by name");
    ok(th_fixture_find("nosuch") == NULL && th_fixture_find(NULL) == NULL &&
           th_fixture_find("fixture:nginx") == NULL,
       "unknown names are not found");
    int ascending = 1;
    size_t k = 0;
    for (; th_fixture_sizes[k]; k++)
        ascending &= k == 0 || th_fixture_sizes[k] > th_fixture_sizes[k - 1];
    ok(k >= 4 && ascending && th_fixture_sizes[k - 1] == 16777216,
       "sizes: %zu, ascending, 0-terminated, up to 16 MiB", k);
}

static void test_bogus_def(void)
{
    static const struct th_fixture_def bogus = {"bogus", "no-such-package", "none", NULL};
    char buf[256];
    struct th_error err = {0};
    struct th_tls_config cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    struct th_fixture *f = (struct th_fixture *)1;
    const char *m = th_fixture_missing(&bogus, buf, sizeof(buf));
    ok(m && strstr(m, "bogus"), "missing: a definition not ours says so (%s)", m ? m : "NULL");
    is_str(th_fixture_version(&bogus), "", "version of a definition not ours is empty");
    m = th_fixture_unsupported(&bogus, &cfg, buf, sizeof(buf));
    ok(m && strstr(m, "bogus"), "unsupported: refused");
    ok(th_fixture_start(&bogus, &cfg, fxroot, 5, &f, &err) == -1 && f == NULL &&
           strstr(err.text, "bogus"),
       "start: refused with the reason (%s)", err.text);
    ok(!err.file && !err.input, "start: the refusal is a verdict, not a harness fault");
    th_fixture_stop(NULL);
    th_fixture_pool_free(NULL);
    ok(1, "stop(NULL) and pool_free(NULL) are no-ops");
}

/* ---- what each template can express (no server started) ---- */

static void expect_unsupported(const char *name, struct th_tls_config *cfg, const char *word,
                               const char *what)
{
    char buf[512];
    const char *r = th_fixture_unsupported(th_fixture_find(name), cfg, buf, sizeof(buf));
    ok(r && strstr(r, word), "%s: %s refused (%s)", name, what, r ? r : "accepted");
}

static void test_expressible(void)
{
    char buf[512];
    int all = 1;
    for (size_t i = 0; th_fixtures[i]; i++) {
        struct th_tls_config cfg = server_cfg(th_fixtures[i], rsa_chain, rsa_key);
        const char *r = th_fixture_unsupported(th_fixtures[i], &cfg, buf, sizeof(buf));
        if (r)
            printf("# %s: %s\n", th_fixtures[i]->name, r);
        all &= r == NULL;
    }
    ok(all, "every fixture takes its default configuration");

    struct th_tls_config cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    cfg.versions = V10 | V12;
    expect_unsupported("nginx", &cfg, "hole", "versions with a hole");
    cfg = server_cfg(th_fixture_find("lighttpd-mbedtls"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    expect_unsupported("lighttpd-mbedtls", &cfg, "TLS 1.2 only", "TLS 1.3");
    cfg.versions = V12;
    cfg.prefer_server_order = 0;
    expect_unsupported("lighttpd-mbedtls", &cfg, "own suite order", "the client's order");
    cfg = server_cfg(th_fixture_find("lighttpd-nss"), rsa_chain, rsa_key);
    cfg.groups[0] = 0x001D;
    cfg.n_groups = 1;
    expect_unsupported("lighttpd-nss", &cfg, "restrict its groups", "a group list");
}

/* The libraries whose suite lists have rules of their own: Go's, GnuTLS's. */
static void test_expressible_suites(void)
{
    char buf[512];
    struct th_tls_config cfg = server_cfg(th_fixture_find("caddy"), rsa_chain, rsa_key);
    cfg.versions = V13;
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    expect_unsupported("caddy", &cfg, "TLS 1.3 suites", "one TLS 1.3 suite of three");
    cfg.versions = V12;
    cfg.suites[1] = 0xC02F;
    cfg.suites[0] = 0xC030;
    cfg.n_suites = 2;
    expect_unsupported("caddy", &cfg, "suite order", "two suites in the server's order");
    cfg.suites[0] = 0x003C; /* a SHA-2 CBC suite: Caddy refuses it */
    cfg.n_suites = 1;
    expect_unsupported("caddy", &cfg, "0x003c", "a suite Go does not offer");
    cfg = server_cfg(th_fixture_find("lighttpd-gnutls"), rsa_chain, rsa_key);
    cfg.versions = V12;
    cfg.suites[0] = 0xC02F; /* ECDHE-RSA AES-128-GCM */
    cfg.suites[1] = 0x003D; /* RSA AES-256-CBC-SHA256: the product adds more */
    cfg.n_suites = 2;
    expect_unsupported("lighttpd-gnutls", &cfg, "also enables", "a list that is no product");
    cfg.suites[0] = 0xC030; /* AES-256 then AES-128: same kx, cipher order kept */
    cfg.suites[1] = 0xC02F;
    ok(th_fixture_unsupported(th_fixture_find("lighttpd-gnutls"), &cfg, buf, sizeof(buf)) == NULL,
       "lighttpd-gnutls: a product list in its order is taken");
    cfg.suites[0] = 0xC02F;
    cfg.suites[1] = 0x009C; /* ECDHE-RSA then RSA, both AES-128-GCM */
    cfg.suites[2] = 0xC030; /* ... then AES-256: kx-major order would put it second */
    cfg.suites[3] = 0x009D;
    cfg.n_suites = 4;
    expect_unsupported("lighttpd-gnutls", &cfg, "orders suites", "an order GnuTLS cannot keep");
}

static void test_expressible_nginx(void)
{
    char buf[512];
    struct th_tls_config cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    cfg.suites[0] = 0x1301;
    cfg.n_suites = 1;
    expect_unsupported("nginx", &cfg, "no suite for it", "TLS 1.2 allowed with no TLS 1.2 suite");
    cfg.n_suites = 0;
    cfg.alpn[0] = "h2";
    cfg.n_alpn = 1;
    expect_unsupported("nginx", &cfg, "ALPN", "ALPN h2 alone");
    cfg.alpn[1] = "http/1.1";
    cfg.n_alpn = 2;
    ok(th_fixture_unsupported(th_fixture_find("nginx"), &cfg, buf, sizeof(buf)) == NULL,
       "nginx: ALPN [h2, http/1.1] is taken");
    expect_unsupported("lighttpd-openssl", &cfg, "ALPN", "ALPN h2");
    cfg.n_alpn = 0;
    cfg.cert_file = NULL;
    expect_unsupported("nginx", &cfg, "certificate", "no certificate");
}

static void expect_taken(const char *name, struct th_tls_config *cfg, const char *what)
{
    char buf[512];
    const char *r = th_fixture_unsupported(th_fixture_find(name), cfg, buf, sizeof(buf));
    ok(r == NULL, "%s: %s taken%s%s", name, what, r ? ": " : "", r ? r : "");
}

/* mod_wolfssl's Groups: one NIST curve, TLS 1.2 only. */
static void test_expressible_wolfssl(void)
{
    struct th_tls_config cfg = server_cfg(th_fixture_find("lighttpd-wolfssl"), rsa_chain, rsa_key);
    cfg.versions = V12;
    cfg.groups[0] = 0x001D;
    cfg.n_groups = 1;
    expect_unsupported("lighttpd-wolfssl", &cfg, "one NIST curve", "x25519");
    cfg.groups[0] = 0x0017;
    cfg.groups[1] = 0x0018;
    cfg.n_groups = 2;
    expect_unsupported("lighttpd-wolfssl", &cfg, "one NIST curve", "two curves");
    cfg.groups[0] = 0x0018;
    cfg.n_groups = 1;
    expect_taken("lighttpd-wolfssl", &cfg, "secp384r1 alone on TLS 1.2");
    cfg.versions = V12 | V13;
    expect_unsupported("lighttpd-wolfssl", &cfg, "TLS 1.3 groups", "secp384r1 with TLS 1.3 on");
}

/* A leaf a library will not load, by its pki: name and by its file. */
static void test_expressible_leaves(void)
{
    struct th_tls_config cfg = server_cfg(th_fixture_find("lighttpd-nss"), rsa_chain, rsa_key);
    cfg.cert_file = "pki:bad-key-usage";
    expect_unsupported("lighttpd-nss", &cfg, "cannot serve pki:bad-key-usage", "pki:bad-key-usage");
    cfg.cert_file = "/some/pki/bad-key-usage.chain.pem";
    expect_unsupported("lighttpd-nss", &cfg, "SEC_ERROR_INVALID_ARGS", "bad-key-usage.chain.pem");
    cfg.cert_file = "/some/bad-key-usage/rsa2048.chain.pem";
    expect_taken("lighttpd-nss", &cfg, "a good leaf in a folder named like a bad one");
    cfg.cert_file = "pki:bad-key-usage-2";
    expect_taken("lighttpd-nss", &cfg, "a leaf whose name only begins like a refused one");
    cfg = server_cfg(th_fixture_find("nginx"), rsa_chain, rsa_key);
    cfg.cert_file = "pki:bad-key-usage";
    expect_taken("nginx", &cfg, "pki:bad-key-usage (OpenSSL loads it)");
}

/* A list without a suite for the top version runs capped at the top version that
 * has one, as the backends read it. */
static void test_expressible_top(void)
{
    struct th_tls_config cfg = server_cfg(th_fixture_find("caddy"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    cfg.suites[0] = 0xC02F;
    cfg.n_suites = 1;
    expect_taken("caddy", &cfg, "a TLS 1.2 suite with TLS 1.2 and 1.3 allowed");
    cfg = server_cfg(th_fixture_find("lighttpd-gnutls"), rsa_chain, rsa_key);
    cfg.versions = V12 | V13;
    cfg.suites[0] = 0xC02F;
    cfg.n_suites = 1;
    expect_taken("lighttpd-gnutls", &cfg, "ECDHE-RSA AES-128-GCM with TLS 1.3 allowed");
}

/* ---- the pool ---- */

static void test_pool(void)
{
    const struct th_fixture_def *d = th_fixture_find("lighttpd-openssl");
    char why[256];
    struct th_error err = {0};
    if (th_fixture_missing(d, why, sizeof(why))) {
        printf("ok %d # skip pool: %s\n", ++tap_n, why);
        return;
    }
    struct th_fixture_pool *p = th_fixture_pool_new(fxroot, 2);
    struct th_tls_config a = server_cfg(d, rsa_chain, rsa_key), b = a, c = a;
    b.tickets = 0;
    c.versions = V12;
    struct th_fixture *fa, *fa2, *fb, *fc, *fa3;
    ok(th_fixture_pool_get(p, d, &a, 10, &fa, &err) == 0, "pool: first get starts");
    ok(th_fixture_pool_get(p, d, &a, 10, &fa2, &err) == 0 && fa2 == fa &&
           th_fixture_pool_running(p) == 1,
       "pool: the same configuration shares the instance");
    ok(th_fixture_pool_get(p, d, &b, 10, &fb, &err) == 0 && fb != fa &&
           th_fixture_pool_running(p) == 2,
       "pool: another configuration gets its own");
    pid_t pa = th_fixture_pid(fa);
    ok(th_fixture_pool_get(p, d, &a, 10, &fa2, &err) == 0 && fa2 == fa,
       "pool: a is used again (b is now the least recent)");
    pid_t pb = th_fixture_pid(fb);
    ok(th_fixture_pool_get(p, d, &c, 10, &fc, &err) == 0 && th_fixture_pool_running(p) == 2,
       "pool: a third with max_running 2 ...");
    usleep(50000);
    ok(pid_gone(pb) && !pid_gone(pa), "pool: ... stops the least recently used (b), keeps a");
    kill(pa, SIGKILL);
    for (int i = 0; i < 200 && th_fixture_alive(fa); i++)
        usleep(10000);
    ok(th_fixture_pool_get(p, d, &a, 10, &fa3, &err) == 0 && th_fixture_alive(fa3) &&
           th_fixture_pid(fa3) != pa,
       "pool: an instance that died is started again");
    struct th_tls_config bad = a;
    bad.key_file = "/nonexistent/key.pem";
    ok(th_fixture_pool_get(p, d, &bad, 10, &fb, &err) == -1 && fb == NULL,
       "pool: a start failure is passed on (%s)", err.text);
    pid_t pc = th_fixture_pid(fc), pa3 = th_fixture_pid(fa3);
    th_fixture_pool_free(p);
    ok(pid_gone(pc) && pid_gone(pa3) && folders_left() == 0, "pool: free stops everything");
}

/* Held instances are never stopped to make room; a worker's copy of the pool
 * (borrow_only) never starts or stops one; the generation counts starts. */
static void test_pool_hold(void)
{
    const struct th_fixture_def *d = th_fixture_find("lighttpd-openssl");
    char why[256];
    struct th_error err = {0};
    if (th_fixture_missing(d, why, sizeof(why))) {
        printf("ok %d # skip pool hold: %s\n", ++tap_n, why);
        return;
    }
    struct th_fixture_pool *p = th_fixture_pool_new(fxroot, 1);
    struct th_tls_config a = server_cfg(d, rsa_chain, rsa_key), b = a, c = a;
    b.tickets = 0;
    c.versions = V12;
    struct th_fixture *fa, *fb, *fc, *f;
    is_int((int)th_fixture_pool_generation(p), 0, "hold: a new pool has started nothing");
    ok(th_fixture_pool_get(p, d, &a, 10, &fa, &err) == 0, "hold: a starts");
    th_fixture_pool_hold(p, fa, +1);
    ok(th_fixture_pool_get(p, d, &b, 10, &fb, &err) == 0 && th_fixture_pool_running(p) == 2 &&
           th_fixture_alive(fa),
       "hold: with max_running 1, a held instance is kept and the pool runs over the limit");
    is_int((int)th_fixture_pool_generation(p), 2, "hold: the generation counts the starts");
    th_fixture_pool_hold(p, fa, -1);
    pid_t pa = th_fixture_pid(fa);
    ok(th_fixture_pool_get(p, d, &c, 10, &fc, &err) == 0 && th_fixture_pool_running(p) == 2,
       "hold: once released, a is fair game again ...");
    usleep(50000);
    ok(pid_gone(pa), "hold: ... and is the one stopped (least recently used)");
    th_fixture_pool_borrow_only(p);
    ok(th_fixture_pool_get(p, d, &c, 10, &f, &err) == 0 && f == fc,
       "borrow_only: a running instance is lent");
    ok(th_fixture_pool_get(p, d, &a, 10, &f, &err) == -1 && f == NULL &&
           strstr(err.text, "no running instance") != NULL,
       "borrow_only: a configuration not running is an error, not a start (%s)", err.text);
    is_int((int)th_fixture_pool_generation(p), 3, "borrow_only: nothing was started");
    kill(th_fixture_pid(fc), SIGKILL);
    for (int i = 0; i < 200 && th_fixture_alive(fc); i++)
        usleep(10000);
    ok(th_fixture_pool_get(p, d, &c, 10, &f, &err) == -1 && th_fixture_pool_generation(p) == 3,
       "borrow_only: a dead instance is not restarted");
    th_fixture_pool_free(p);
    ok(folders_left() == 0, "hold: free stops everything");
}

/* ---- templates ---- */

static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *s = th_read_file(from, &len);
    if (s && th_write_file_atomic(to, s, len) != 0)
        printf("# cannot write %s\n", to);
    free(s);
}

static void test_templates(void)
{
    const struct th_fixture_def *d = th_fixture_find("nginx");
    char why[256], dir[256], path[512];
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    snprintf(dir, sizeof(dir), "%s/templates", tmpdir);
    if (th_mkdirs(dir) != 0)
        return;
    setenv("TLSHARNESS_FIXTURES", dir, 1);
    ok(th_fixture_start(d, &s, fxroot, 5, &f, &err) == -1 && strstr(err.text, "cannot read"),
       "templates: a folder without them fails the start (%s)", err.text);
    ok(err.code == ENOENT && err.file && !err.input,
       "templates: ... a fault with errno, at its place in the harness");
    if (!th_fixture_missing(d, why, sizeof(why))) {
        snprintf(path, sizeof(path), "%s/nginx.conf.in", dir);
        FILE *fp = fopen(path, "w");
        if (fp) {
            fputs("daemon off;\nerror_log @NOSUCH@;\n", fp);
            fclose(fp);
        }
        snprintf(path, sizeof(path), "%s/ffdhe2048.pem", dir);
        copy_file("harness/fixture/templates/ffdhe2048.pem", path);
        ok(th_fixture_start(d, &s, fxroot, 5, &f, &err) == -1 && strstr(err.text, "@NOSUCH@"),
           "templates: a name tlsharness does not fill fails the start (%s)", err.text);
    }
    unsetenv("TLSHARNESS_FIXTURES");
    is_int(folders_left(), 0, "templates: nothing left behind");
}

/* ---- sweeping what a killed run left behind ---- */

/* When pid started, as /proc/PID/stat's field 22 says; 0 when gone. */
static unsigned long long start_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long long v = 0;
    for (int field = 2; p && *p && field < 22; p++)
        field += *p == ' ';
    return p && sscanf(p, "%llu", &v) == 1 ? v : 0;
}

/* Gone, or a zombie nobody reaped yet: either way it runs no more. */
static int stopped(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p && (p[2] == 'Z' || p[2] == 'X');
}

/* A fixture folder as th_fixture_start makes one: named for pid, its "owner" file
 * saying "PID START" (no file when start is 0), something inside. */
static void fake_folder(const char *dir, pid_t pid, unsigned long long start)
{
    char path[PATH_MAX + 32];
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/root", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/root/index.html", dir);
    FILE *f = fopen(path, "we");
    if (f)
        fclose(f);
    if (start) {
        snprintf(path, sizeof(path), "%s/owner", dir);
        if ((f = fopen(path, "we"))) {
            fprintf(f, "%d %llu\n", (int)pid, start);
            fclose(f);
        }
    }
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* A process that exited: its pid is free. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* A "server" started from dir as a fixture is (its own session, its command line
 * naming the folder) by a process that is gone: the pid written to dir/server.pid. */
static pid_t orphan_server(const char *dir)
{
    int fds[2];
    pid_t server = 0;
    if (pipe(fds) != 0)
        return 0;
    pid_t mid = fork();
    if (mid == 0) {
        pid_t s = fork();
        if (s == 0) {
            setsid();
            char conf[PATH_MAX + 32];
            snprintf(conf, sizeof(conf), "%s/server.conf", dir);
            execl("/bin/sh", "sh", "-c", "sleep 30; :", conf, (char *)NULL);
            _exit(127);
        }
        ssize_t w = write(fds[1], &s, sizeof(s));
        _exit(w == sizeof(s) ? 0 : 1);
    }
    close(fds[1]);
    if (read(fds[0], &server, sizeof(server)) != sizeof(server))
        server = 0;
    close(fds[0]);
    waitpid(mid, NULL, 0);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/server.pid", dir);
    FILE *f = fopen(path, "we");
    if (f) {
        fprintf(f, "%d\n", (int)server);
        fclose(f);
    }
    /* until it has become sh, its command line is ours */
    for (int i = 0; i < 200 && start_of(server); i++) {
        char cmd[64], buf[256] = "";
        snprintf(cmd, sizeof(cmd), "/proc/%d/cmdline", (int)server);
        FILE *c = fopen(cmd, "re");
        size_t n = c ? fread(buf, 1, sizeof(buf) - 1, c) : 0;
        if (c)
            fclose(c);
        if (n && strcmp(buf, "sh") == 0)
            break;
        usleep(10000);
    }
    return server;
}

static void test_sweep(void)
{
    char root[] = "/tmp/th-sweep-XXXXXX", dir[16][PATH_MAX];
    if (!mkdtemp(root)) {
        ok(0, "sweep: mkdtemp");
        return;
    }
    pid_t me = getpid(), dead = dead_pid(), dead2 = dead_pid();
    unsigned long long my_start = start_of(me);
    ok(my_start > 0 && start_of(dead) == 0,
       "sweep: /proc tells a live pid's start from a dead one");
    const char *what[] = {
        "dead: swept",
        "ours, alive: kept",
        "alive, no owner file yet: kept",
        "our pid, another start time (a pid reused): swept",
        "dead, a server still running from it: swept",
        "dead, its pid file naming a process not running from it: swept",
        "not a fixture folder: kept",
        "a name without a pid: kept",
        "a link named like a dead run's folder: kept",
    };
    snprintf(dir[0], PATH_MAX, "%s/tlsharness-fixture-%d-nginx-aaaaaa", root, (int)dead);
    fake_folder(dir[0], dead, 12345);
    snprintf(dir[1], PATH_MAX, "%s/tlsharness-fixture-%d-caddy-bbbbbb", root, (int)me);
    fake_folder(dir[1], me, my_start);
    snprintf(dir[2], PATH_MAX, "%s/tlsharness-fixture-%d-caddy-cccccc", root, (int)me);
    fake_folder(dir[2], me, 0);
    snprintf(dir[3], PATH_MAX, "%s/tlsharness-fixture-%d-nginx-dddddd", root, (int)me);
    fake_folder(dir[3], me, my_start + 1);
    snprintf(dir[4], PATH_MAX, "%s/tlsharness-fixture-%d-lighttpd-nss-eeeeee", root, (int)dead2);
    fake_folder(dir[4], dead2, 777);
    pid_t server = orphan_server(dir[4]);
    snprintf(dir[5], PATH_MAX, "%s/tlsharness-fixture-%d-nginx-ffffff", root, (int)dead);
    fake_folder(dir[5], dead, 0);
    char pidfile[PATH_MAX + 32];
    snprintf(pidfile, sizeof(pidfile), "%s/server.pid", dir[5]);
    FILE *f = fopen(pidfile, "we");
    if (f) {
        fprintf(f, "%d\n", (int)me); /* the sweep must not take this for the server */
        fclose(f);
    }
    snprintf(dir[6], PATH_MAX, "%s/th-fixture-nginx-gggggg", root);
    fake_folder(dir[6], dead, 1);
    snprintf(dir[7], PATH_MAX, "%s/tlsharness-fixture-x-nginx-hhhhhh", root);
    fake_folder(dir[7], dead, 1);
    char target[PATH_MAX + 16];
    snprintf(target, sizeof(target), "%s/elsewhere", root);
    fake_folder(target, dead, 1);
    snprintf(dir[8], PATH_MAX, "%s/tlsharness-fixture-%d-nginx-iiiiii", root, (int)dead);
    ok(symlink(target, dir[8]) == 0, "sweep: a link made");
    ok(server > 0 && !stopped(server), "sweep: the leftover server runs (pid %d)", (int)server);

    th_fixture_sweep(root);

    static const int kept[] = {0, 1, 1, 0, 0, 0, 1, 1, 1};
    for (size_t i = 0; i < TH_ARRAY_LEN(kept); i++)
        ok(exists(dir[i]) == kept[i], "sweep: %s", what[i]);
    ok(server > 0 && stopped(server), "sweep: the leftover server was stopped first");
    ok(exists(target), "sweep: the link's target is untouched");
    ok(kill(me, 0) == 0, "sweep: a pid file naming another process signals nothing");

    setenv("TMPDIR", root, 1);
    fake_folder(dir[0], dead, 12345);
    th_fixture_sweep(NULL);
    ok(!exists(dir[0]) && exists(dir[1]), "sweep: NULL sweeps $TMPDIR");
    unsetenv("TMPDIR");
    th_fixture_sweep(root); /* again: nothing more to do */
    ok(exists(dir[1]) && exists(dir[2]), "sweep: a second sweep leaves the live ones");
    snprintf(target, sizeof(target), "%s/nosuch", root);
    th_fixture_sweep(target);
    ok(1, "sweep: a root that does not exist is no error");
    if (server > 0 && !stopped(server))
        kill(-server, SIGKILL);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    if (fxd_begin() == 0) {
        test_registry();
        test_bogus_def();
        test_expressible();
        test_expressible_suites();
        test_expressible_nginx();
        test_expressible_wolfssl();
        test_expressible_leaves();
        test_expressible_top();
        test_pool();
        test_pool_hold();
        test_templates();
    }
    test_sweep();
    return fxd_end();
}
