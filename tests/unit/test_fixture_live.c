/* Managed real servers for real (harness/fixture/). Every fixture whose package is
 * installed is started, spoken to over TCP by the OpenSSL backend's client, and
 * stopped; each capability it claims is checked against what it negotiates:
 * versions, suites, groups, the order it picks in, resumption; then how a start
 * fails. A fixture that is not installed is a skip naming the package. */
#include "fixturedrive.h"

/* ---- one installed fixture, for real ---- */

struct fx {
    const struct th_fixture_def *d;
    struct th_caps caps;
    char name[64];
};

static struct th_fixture *start_or_fail(struct fx *x, const struct th_tls_config *cfg,
                                        const char *what)
{
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    uint64_t t0 = th_now_ns();
    if (!ok(th_fixture_start(x->d, cfg, fxroot, 10, &f, &err) == 0, "%s: %s starts", x->name, what))
        printf("#   %s\n", err.text);
    else
        printf("#   up in %.0f ms on port %u\n", (th_now_ns() - t0) / 1e6,
               (unsigned)th_fixture_port(f));
    return f;
}

static void check_http(struct fx *x, struct th_fixture *f)
{
    struct th_tls_config cc = client_cfg(V12 | V13 | (x->caps.versions & (V10 | V11)));
    struct th_ctx *ctx = NULL;
    struct th_error e;
    struct client c;
    struct response r1, r2, r3;
    if (B->ctx_new(&cc, &ctx, &e) != 0) {
        ok(0, "client ctx: %s", e.text);
        return;
    }
    int opened = client_open(&c, ctx, th_fixture_port(f), NULL) == 0;
    if (ok(opened, "%s: TLS handshake with verification", x->name)) {
        ok(get(&c, "/", &r1) == 0 && r1.status == 200 && r1.length == TH_FIXTURE_INDEX_LEN &&
               r1.body_ok,
           "%s: GET / is the %d-byte pattern", x->name, TH_FIXTURE_INDEX_LEN);
        ok(get(&c, "/bytes/65536", &r2) == 0 && r2.status == 200 && r2.length == 65536 &&
               r2.body_ok,
           "%s: GET /bytes/65536 on the same connection, Content-Length and body", x->name);
        ok(get(&c, "/bytes/16777216", &r3) == 0 && r3.length == 16777216 && r3.body_ok,
           "%s: GET /bytes/16777216, third request kept alive", x->name);
    } else {
        printf("#   %s: %s\n", th_outcome_name(c.err.outcome), c.err.text);
    }
    client_close(&c);
    B->ctx_free(ctx);
}

/* Every version the fixture claims negotiates, and none other does. */
static void check_versions(struct fx *x, struct th_fixture *f, unsigned served)
{
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++) {
        struct th_tls_config cc = client_cfg(TH_VBIT(v));
        struct outcome o;
        connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
        int want = (served & TH_VBIT(v)) != 0;
        if (!ok(o.ok == want && (!want || o.neg.version == v), "%s: TLS %s %s", x->name,
                th_version_name(v), want ? "negotiates" : "is refused"))
            printf("#   ok %d, version 0x%04x, %s\n", o.ok, o.neg.version, o.err.text);
    }
}

static const char *alpn_of(struct fx *x, struct th_fixture *f, const char *first,
                           const char *second)
{
    static char got[64];
    struct th_tls_config cc = client_cfg(x->caps.versions & (V12 | V13));
    struct outcome o;
    cc.alpn[cc.n_alpn++] = first;
    if (second)
        cc.alpn[cc.n_alpn++] = second;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    snprintf(got, sizeof(got), "%s", o.ok ? o.neg.alpn : "(failed)");
    return got;
}

static void check_alpn(struct fx *x, struct th_fixture *f)
{
    is_str(alpn_of(x, f, "http/1.1", NULL), "http/1.1", "%s: ALPN http/1.1 answered", x->name);
    is_str(alpn_of(x, f, "h2", "http/1.1"), "http/1.1", "%s: h2 not answered by default", x->name);
}

/* [h2, http/1.1] where the template can say it: h2 first, as the server prefers. */
static void check_h2(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    char buf[256];
    s.alpn[0] = "h2";
    s.alpn[1] = "http/1.1";
    s.n_alpn = 2;
    if (th_fixture_unsupported(x->d, &s, buf, sizeof(buf)))
        return;
    struct th_fixture *f = start_or_fail(x, &s, "ALPN h2, http/1.1");
    if (!f)
        return;
    is_str(alpn_of(x, f, "http/1.1", "h2"), "h2", "%s: h2 preferred over the client's order",
           x->name);
    is_str(alpn_of(x, f, "http/1.1", NULL), "http/1.1", "%s: http/1.1 still answered", x->name);
    th_fixture_stop(f);
}

/* Two connections, the second offering the first's session. */
static int resumes(struct th_fixture *f, unsigned versions, enum th_resume how)
{
    struct th_tls_config cc = client_cfg(versions);
    struct th_session *s = NULL;
    struct outcome o1, o2;
    cc.resume = how;
    connect_once(&cc, th_fixture_port(f), NULL, &s, &o1);
    if (!o1.ok || !s) {
        if (s)
            B->session_free(s);
        return 0;
    }
    connect_once(&cc, th_fixture_port(f), s, NULL, &o2);
    B->session_free(s);
    return o2.ok && o2.neg.resumed;
}

static const char *const resume_name[] = {"none", "ticket", "session id"};

static void check_resume(struct fx *x, struct th_fixture *f, enum th_resume how, int want,
                         const char *setting)
{
    int got = resumes(f, V12, how);
    ok(got == want, "%s: TLS 1.2 resumption by %s %s with %s", x->name, resume_name[how],
       want ? "works" : "does not happen", setting);
}

/* Server [first, second] in the given order: which one a client offering them the
 * other way round gets. */
static void check_order(struct fx *x, int server_order)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    s.versions = V12;
    s.suites[0] = 0xC02F;
    s.suites[1] = 0xC030;
    s.n_suites = 2;
    s.prefer_server_order = server_order;
    s.tickets = server_order;        /* the ticket-only instance ... */
    s.session_cache = !server_order; /* ... and the cache-only one */
    struct th_fixture *f = start_or_fail(x, &s, server_order ? "server order" : "client order");
    if (!f)
        return;
    struct th_tls_config cc = client_cfg(V12);
    struct outcome o;
    cc.suites[0] = 0xC030;
    cc.suites[1] = 0xC02F;
    cc.n_suites = 2;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    uint16_t want = server_order ? 0xC02F : 0xC030;
    if (!ok(o.ok && o.neg.suite == want, "%s: picks 0x%04x by the %s order", x->name, want,
            server_order ? "server's" : "client's"))
        printf("#   got 0x%04x (%s)\n", o.neg.suite, o.err.text);
    if (server_order)
        check_resume(x, f, TH_RESUME_TICKET, !!(x->caps.resume & TH_RESUME_BIT(TH_RESUME_TICKET)),
                     "tickets on, cache off");
    else
        check_resume(x, f, TH_RESUME_SESSION_ID,
                     !!(x->caps.resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID)),
                     "cache on, tickets off");
    th_fixture_stop(f);
}

/* Versions, one suite, one group, and no resumption of either kind. */
static void check_restricted(struct fx *x)
{
    unsigned f_ = x->caps.features;
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    if (f_ & TH_CAP_RESTRICT_VERSIONS)
        s.versions = V12;
    if (f_ & TH_CAP_RESTRICT_SUITES)
        s.suites[s.n_suites++] = 0xC02F;
    if (f_ & TH_CAP_RESTRICT_GROUPS)
        s.groups[s.n_groups++] = 0x0018;
    s.tickets = s.session_cache = 0;
    struct th_fixture *f = start_or_fail(x, &s, "restricted");
    if (!f)
        return;
    uint16_t port = th_fixture_port(f);
    struct th_tls_config cc = client_cfg(x->caps.versions);
    struct outcome o;
    cc.suites[0] = 0xC030;
    cc.suites[1] = 0xC02F;
    cc.n_suites = 2;
    cc.groups[0] = 0x001D;
    cc.groups[1] = 0x0018;
    cc.n_groups = 2;
    /* a TLS 1.3 suite too, so the client's top version has one */
    if (x->caps.versions & V13)
        cc.suites[cc.n_suites++] = 0x1301;
    connect_once(&cc, port, NULL, NULL, &o);
    ok(o.ok, "%s restricted: handshake (%s)", x->name, o.err.text);
    if (f_ & TH_CAP_RESTRICT_VERSIONS)
        is_int(o.neg.version, TH_TLS12, "%s: TLS 1.2 only, though the client offers more", x->name);
    if (f_ & TH_CAP_RESTRICT_SUITES)
        is_int(o.neg.suite, 0xC02F, "%s: the one suite listed, though the client prefers another",
               x->name);
    if (f_ & TH_CAP_RESTRICT_GROUPS)
        is_int(o.neg.group, 0x0018, "%s: secp384r1 only, though the client prefers x25519",
               x->name);
    if ((f_ & TH_CAP_RESTRICT_VERSIONS) && (x->caps.versions & V13)) {
        cc = client_cfg(V13);
        connect_once(&cc, port, NULL, NULL, &o);
        ok(!o.ok, "%s: a TLS 1.3-only client is refused", x->name);
    }
    if (f_ & TH_CAP_RESTRICT_SUITES) {
        cc = client_cfg(V12);
        cc.suites[0] = 0xC030;
        cc.n_suites = 1;
        connect_once(&cc, port, NULL, NULL, &o);
        ok(!o.ok, "%s: a client without the listed suite is refused", x->name);
    }
    if (f_ & TH_CAP_RESTRICT_GROUPS) {
        /* the listed suite is ECDHE: without secp384r1 there is nothing to agree on */
        cc = client_cfg(V12);
        cc.suites[0] = 0xC02F;
        cc.n_suites = 1;
        cc.groups[0] = 0x001D;
        cc.n_groups = 1;
        connect_once(&cc, port, NULL, NULL, &o);
        if (!ok(!o.ok, "%s: a client without the listed group is refused", x->name))
            printf("#   it agreed on group 0x%04x\n", o.neg.group);
    }
    check_resume(x, f, TH_RESUME_TICKET, 0, "tickets and cache off");
    check_resume(x, f, TH_RESUME_SESSION_ID, 0, "tickets and cache off");
    th_fixture_stop(f);
}

/* Only TLS 1.2 suites listed, TLS 1.2 and 1.3 allowed: the server runs as TLS 1.2
 * (OpenSSL's servers refuse every handshake when the top version has no suite). */
static void check_top_cut(struct fx *x)
{
    unsigned f_ = x->caps.features;
    if (!(f_ & TH_CAP_RESTRICT_SUITES) || (x->caps.versions & (V12 | V13)) != (V12 | V13))
        return;
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    s.versions = V12 | V13;
    s.suites[s.n_suites++] = 0xC02F;
    struct th_fixture *f = start_or_fail(x, &s, "TLS 1.2 suite with TLS 1.3 allowed");
    if (!f)
        return;
    struct th_tls_config cc = client_cfg(V12 | V13);
    struct outcome o;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    if (!ok(o.ok && o.neg.version == TH_TLS12 && o.neg.suite == 0xC02F,
            "%s: a TLS 1.2 suite list with TLS 1.3 allowed negotiates TLS 1.2 and that suite",
            x->name))
        printf("#   version 0x%04x suite 0x%04x (%s)\n", o.neg.version, o.neg.suite, o.err.text);
    th_fixture_stop(f);
}

/* Each TLS 1.3 suite claimed, listed alone, is the one negotiated even when the
 * client prefers every other: what a one-suite TLS 1.3 case asks of a fixture. */
static void check_tls13_alone(struct fx *x)
{
    uint16_t all[8];
    size_t n = 0;
    for (size_t i = 0; i < x->caps.n_suites && n < TH_ARRAY_LEN(all); i++)
        if (th_suite_by_id(x->caps.suites[i])->min_version == TH_TLS13)
            all[n++] = x->caps.suites[i];
    if (!(x->caps.features & TH_CAP_RESTRICT_SUITES) || !(x->caps.versions & V13) || n < 2)
        return;
    for (size_t k = 0; k < n; k++) {
        struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
        char buf[512], what[96];
        s.versions = V13;
        s.suites[s.n_suites++] = all[k];
        const char *r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
        if (r) {
            char msg[640];
            snprintf(msg, sizeof(msg), "%s: TLS 1.3 suite 0x%04x alone: %s", x->name, all[k], r);
            skip(1, msg);
            continue;
        }
        snprintf(what, sizeof(what), "TLS 1.3 suite 0x%04x alone", all[k]);
        struct th_fixture *f = start_or_fail(x, &s, what);
        if (!f)
            continue;
        struct th_tls_config cc = client_cfg(V13);
        for (size_t i = 0; i < n; i++)
            if (i != k)
                cc.suites[cc.n_suites++] = all[i];
        cc.suites[cc.n_suites++] = all[k];
        struct outcome o;
        connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
        if (!ok(o.ok && o.neg.suite == all[k], "%s: %s is the one negotiated", x->name, what))
            printf("#   suite 0x%04x (%s)\n", o.neg.suite, o.err.text);
        th_fixture_stop(f);
    }
}

static int auth_fits(uint16_t id, int ecdsa)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    if (!s)
        return 0;
    if (!strcmp(s->auth, "any"))
        return 1;
    return ecdsa ? !strcmp(s->auth, "ECDSA") : !strcmp(s->auth, "RSA");
}

/* Does a client pinned to suite (0: any) and group (0: any) get them from f? */
static int pins(struct fx *x, struct th_fixture *f, uint16_t suite, uint16_t group, int quiet)
{
    unsigned v = suite ? th_suite_versions(th_suite_by_id(suite)) : V12 | V13;
    struct th_tls_config cc = client_cfg(v & x->caps.versions);
    struct outcome o;
    if (suite)
        cc.suites[cc.n_suites++] = suite;
    if (group)
        cc.groups[cc.n_groups++] = group;
    connect_once(&cc, th_fixture_port(f), NULL, NULL, &o);
    int got = o.ok && (!suite || o.neg.suite == suite) && (!group || o.neg.group == group);
    if (!got && !quiet)
        printf("#   %s does not negotiate %s %s: %s\n", x->name,
               suite ? th_suite_by_id(suite)->name : "", group ? th_group_by_id(group)->name : "",
               o.err.text);
    return got;
}

/* A suite or group the bulk instance did not negotiate, served alone. */
static int pins_alone(struct fx *x, int ecdsa, uint16_t suite, uint16_t group)
{
    struct th_tls_config s =
        server_cfg(x->d, ecdsa ? ec_chain : rsa_chain, ecdsa ? ec_key : rsa_key);
    char buf[512];
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    if (suite) {
        s.versions &= th_suite_versions(th_suite_by_id(suite));
        s.suites[s.n_suites++] = suite;
    }
    if (group)
        s.groups[s.n_groups++] = group;
    const char *r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
    if (r || th_fixture_start(x->d, &s, fxroot, 10, &f, &err) != 0) {
        printf("#   %s: cannot serve it alone: %s\n", x->name, r ? r : err.text);
        return 0;
    }
    int got = pins(x, f, suite, group, 0);
    th_fixture_stop(f);
    return got;
}

/* Every suite claimed (served with a fitting leaf) negotiates when the client pins
 * it, and every group claimed: all at once where the template can list them all,
 * else from the library's default, and what that lacks served alone. */
static void check_claims(struct fx *x, int ecdsa)
{
    struct th_tls_config s =
        server_cfg(x->d, ecdsa ? ec_chain : rsa_chain, ecdsa ? ec_key : rsa_key);
    if (x->caps.features & TH_CAP_RESTRICT_SUITES) {
        for (size_t i = 0; i < x->caps.n_suites; i++)
            if (auth_fits(x->caps.suites[i], ecdsa))
                s.suites[s.n_suites++] = x->caps.suites[i];
        /* the order is the client's pin's business: whichever order can be said */
        char buf[512];
        const char *r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
        if (r && (x->caps.features & TH_CAP_CLIENT_ORDER)) {
            s.prefer_server_order = 0;
            r = th_fixture_unsupported(x->d, &s, buf, sizeof(buf));
        }
        if (r) {
            printf("# %s: all claimed suites at once: %s\n", x->name, r);
            s.n_suites = 0;
            s.prefer_server_order = 1;
        }
    }
    struct th_fixture *f =
        start_or_fail(x, &s, ecdsa ? "ECDSA leaf, every suite" : "RSA leaf, every suite");
    if (!f)
        return;
    uint16_t retry[TH_MAX_SUITES];
    size_t tried = 0, good = 0, n_retry = 0;
    for (size_t i = 0; i < x->caps.n_suites; i++) {
        uint16_t id = x->caps.suites[i];
        if (!auth_fits(id, ecdsa))
            continue;
        tried++;
        if (pins(x, f, id, 0, 1))
            good++;
        else
            retry[n_retry++] = id;
    }
    size_t gt = 0, gg = 0, n_gretry = 0;
    uint16_t gretry[TH_MAX_GROUPS];
    for (size_t i = 0; !ecdsa && i < x->caps.n_groups; i++, gt++) {
        if (pins(x, f, 0, x->caps.groups[i], 1))
            gg++;
        else
            gretry[n_gretry++] = x->caps.groups[i];
    }
    th_fixture_stop(f);
    if (n_retry || n_gretry)
        printf("# %s: %zu suites and %zu groups served alone\n", x->name, n_retry, n_gretry);
    for (size_t i = 0; i < n_retry; i++)
        good += (x->caps.features & TH_CAP_RESTRICT_SUITES) && pins_alone(x, ecdsa, retry[i], 0);
    for (size_t i = 0; i < n_gretry; i++)
        gg += (x->caps.features & TH_CAP_RESTRICT_GROUPS) && pins_alone(x, 0, 0, gretry[i]);
    ok(tried > 0 && good == tried, "%s: %zu of %zu claimed %s suites negotiate", x->name, good,
       tried, ecdsa ? "ECDSA" : "RSA");
    if (!ecdsa)
        ok(gg == gt, "%s: %zu of %zu claimed groups negotiate", x->name, gg, gt);
}

/* ---- failures ---- */

static void check_bad_cert(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, "/nonexistent/leaf.pem", rsa_key);
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    int rc = th_fixture_start(x->d, &s, fxroot, 10, &f, &err);
    ok(rc == -1 && f == NULL, "%s: a missing certificate file fails the start", x->name);
    ok(strstr(err.text, "/nonexistent/leaf.pem") != NULL, "%s: ... with the server's own words: %s",
       x->name, err.text);
    is_int(folders_left(), 0, "%s: ... and its folder removed", x->name);
}

static uint16_t busy_port, free_port_after;

static uint16_t hook_busy_first(unsigned attempt)
{
    return attempt == 0 ? busy_port : free_port_after;
}

static uint16_t hook_always_busy(unsigned attempt)
{
    (void)attempt;
    return busy_port;
}

static void check_collision(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    int lfd = th_tcp_listen("127.0.0.1", &busy_port);
    int lfd2 = th_tcp_listen("127.0.0.1", &free_port_after);
    close(lfd2); /* free again: the retry's port */
    if (!ok(lfd >= 0, "%s: a port held for the collision", x->name))
        return;
    th_fixture_test_port = hook_busy_first;
    int rc = th_fixture_start(x->d, &s, fxroot, 10, &f, &err);
    ok(rc == 0 && f && th_fixture_port(f) == free_port_after,
       "%s: its port taken, the start retries on another (%s)", x->name, rc ? err.text : "ok");
    th_fixture_stop(f);
    th_fixture_test_port = hook_always_busy;
    rc = th_fixture_start(x->d, &s, fxroot, 10, &f, &err);
    ok(rc == -1 && strstr(err.text, "was taken") && strcasestr(err.text, "address already in use"),
       "%s: every attempt taken: fails with the server's words (%s)", x->name, err.text);
    th_fixture_test_port = NULL;
    close(lfd);
    is_int(folders_left(), 0, "%s: ... nothing left behind", x->name);
}

static void check_dead(struct fx *x)
{
    struct th_tls_config s = server_cfg(x->d, rsa_chain, rsa_key);
    struct th_fixture *f = start_or_fail(x, &s, "to be killed");
    if (!f)
        return;
    pid_t pid = th_fixture_pid(f);
    kill(pid, SIGKILL);
    for (int i = 0; i < 200 && th_fixture_alive(f); i++)
        usleep(10000);
    ok(!th_fixture_alive(f), "%s: a killed server is not alive", x->name);
    char tail[256];
    th_fixture_log_tail(f, tail, sizeof(tail));
    th_fixture_stop(f);
    ok(pid_gone(pid) && folders_left() == 0, "%s: stopping a dead server reaps it and cleans up",
       x->name);
}

static void test_one(const struct th_fixture_def *d)
{
    struct fx x = {.d = d};
    char why[512];
    snprintf(x.name, sizeof(x.name), "%s", d->name);
    d->caps(&x.caps);
    const char *missing = th_fixture_missing(d, why, sizeof(why));
    if (missing) {
        printf("ok %d # skip %s: %s\n", ++tap_n, d->name, missing);
        return;
    }
    const char *v = th_fixture_version(d);
    ok(v[0] && strchr(v, '/'), "%s: version '%s'", d->name, v);
    uint64_t t0 = th_now_ns();
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    struct th_fixture *f = start_or_fail(&x, &s, "default");
    if (f) {
        char pidfile[512];
        pid_t pid = th_fixture_pid(f);
        snprintf(pidfile, sizeof(pidfile), "%s/server.pid", th_fixture_dir(f));
        ok(th_fixture_alive(f) && access(pidfile, R_OK) == 0, "%s: alive, pid file in its folder",
           d->name);
        check_http(&x, f);
        check_versions(&x, f, x.caps.versions);
        check_alpn(&x, f);
        /* a session-id client sends no ticket extension: only a cache resumes it */
        for (enum th_resume how = TH_RESUME_TICKET; how <= TH_RESUME_SESSION_ID; how++)
            ok(resumes(f, V12, how) == !!(x.caps.resume & TH_RESUME_BIT(how)),
               "%s: resumption by %s %s, as claimed", d->name, resume_name[how],
               (x.caps.resume & TH_RESUME_BIT(how)) ? "works" : "does not happen");
        char dir[1024];
        snprintf(dir, sizeof(dir), "%s", th_fixture_dir(f));
        th_fixture_stop(f);
        ok(pid_gone(pid) && access(dir, F_OK) != 0, "%s: stopped: pid %d gone, folder removed",
           d->name, (int)pid);
    }
    check_h2(&x);
    if (x.caps.features & TH_CAP_SERVER_ORDER)
        check_order(&x, 1);
    if (x.caps.features & TH_CAP_CLIENT_ORDER)
        check_order(&x, 0);
    check_restricted(&x);
    check_top_cut(&x);
    check_tls13_alone(&x);
    check_claims(&x, 0);
    check_claims(&x, 1);
    check_bad_cert(&x);
    check_collision(&x);
    check_dead(&x);
    printf("# %s: %.1f s in all\n", d->name, (th_now_ns() - t0) / 1e9);
}

int main(void)
{
    if (fxd_begin() == 0) {
        const char *only = getenv("TH_FIXTURE_ONLY"); /* one fixture, when debugging */
        for (size_t i = 0; th_fixtures[i]; i++)
            if (!only || strcmp(only, th_fixtures[i]->name) == 0)
                test_one(th_fixtures[i]);
    }
    return fxd_end();
}
