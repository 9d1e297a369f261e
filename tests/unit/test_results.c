/* Results writers: the JSON file parses back with every key the contract names, both
 * files are replaced whole or not at all, JUnit XML is well formed and escaped, and
 * the terminal summary shows pairs, problems and totals. Plus the environment
 * parsers on fixtures. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/env.h"
#include "harness/report/results.h"
#include "tap.h"

#include "safe_text.h"

static const char *fake_version(void)
{
    return "9.9.9-fake";
}

static void fake_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
}

static const struct th_backend fake = {
    .name = "fakebackend",
    .library = "FakeTLS",
    .version = fake_version,
    .caps = fake_caps,
};

#define NCASES 8
#define NASTY_REASON "a & b < c > d \"q\" 'x' \001bell\002 end"

static struct th_case cases[NCASES];
static struct th_case_result results[NCASES];

static void set_case(int i, const char *scenario, const char *file, const char *server,
                     enum th_status status, const char *reason)
{
    struct th_case *c = &cases[i];
    memset(c, 0, sizeof(*c));
    c->scenario = (char *)scenario;
    c->file = (char *)file;
    c->line = 1;
    c->client = &fake;
    c->server = strcmp(server, "fakebackend") == 0 ? &fake : NULL;
    c->server_name = (char *)server;
    c->id = th_xasprintf("%s/fakebackend-vs-%s", scenario, server);
    c->expect.outcomes = TH_OUTCOME_BIT(TH_OK);
    c->expect.resumed = c->expect.hrr = c->expect.early = c->expect.replay = -1;
    struct th_case_result *r = &results[i];
    memset(r, 0, sizeof(*r));
    r->c = c;
    r->status = status;
    th_strlcpy(r->reason, reason, sizeof(r->reason));
    r->duration_s = 0.25;
}

static void ran_with_error(struct th_observed *o, const char *side, struct th_error *e,
                           enum th_outcome out, long code, const char *text)
{
    o->ran = 1;
    o->outcome = out;
    o->native_side = side;
    th_error_set(e, out, code, "%s", text);
}

/* 0 pass (refused as expected), 1 fail with everything pinned and a metric that is
 * NaN, 2 and 3 skip (same reason, not run), 4 xfail, 5 xpass, 6 error, 7 pass with
 * a suite the IANA table does not know. Two scenario files, two pairs. */
static void build_cases(void)
{
    set_case(0, "cert/expired", "scenarios/cert/expired.json", "fakebackend", TH_PASS, "");
    cases[0].expect.outcomes = TH_OUTCOME_BIT(TH_EXPIRED);
    ran_with_error(&results[0].obs, "client", &results[0].obs.client_err, TH_EXPIRED, 10,
                   "certificate has expired");

    set_case(1, "basic/tls13", "scenarios/basic/tls13.json", "fakebackend", TH_FAIL, NASTY_REASON);
    struct th_expect *e = &cases[1].expect;
    e->version = TH_TLS13, e->suite = 0x1301, e->alpn_pinned = 1, e->alpn = NULL;
    e->resumed = 0;
    struct th_observed *o = &results[1].obs;
    ran_with_error(o, "server", &o->server_err, TH_HANDSHAKE_FAILURE, 40,
                   "alert <handshake failure> & \xff bad utf-8");
    o->server_seen = 1;
    o->have_neg = 1;
    o->neg =
        (struct th_negotiated){.version = TH_TLS13, .suite = 0x1301, .group = 0x001D, .alpn = "h2"};
    results[1].metrics[0] = (struct th_metric){"throughput_mib_s", "MiB/s", NAN, 1.0, 2.0, 3};
    results[1].metrics[1] = (struct th_metric){"send_ns_per_byte", "ns/B", 1.5, 1.0, 2.0, 3};
    results[1].n_metrics = 2;

    set_case(2, "cert/expired", "scenarios/cert/expired.json", "other", TH_SKIP,
             "server lacks ALPN");
    set_case(3, "basic/tls13", "scenarios/basic/tls13.json", "other", TH_SKIP, "server lacks ALPN");
    set_case(4, "cert/expired", "scenarios/cert/expired.json", "other", TH_XFAIL,
             "known: reports unknown_ca");
    set_case(5, "basic/tls13", "scenarios/basic/tls13.json", "other", TH_XPASS,
             "deviation did not happen");
    set_case(6, "cert/expired", "scenarios/cert/expired.json", "other", TH_ERROR,
             "could not start the server");
    set_case(7, "basic/tls13", "scenarios/basic/tls13.json", "fakebackend", TH_PASS, "");
    results[7].obs.ran = 1;
    results[7].obs.have_neg = 1;
    results[7].obs.neg = (struct th_negotiated){.version = TH_TLS12, .suite = 0xABCD, .resumed = 1};
}

static struct th_run make_run(size_t n)
{
    struct th_run run = {
        .started_at = 1704164645.0, /* 2024-01-02T03:04:05Z */
        .finished_at = 1704164647.5,
        .generator = "tlsharness test",
        .build_flags = "-O2 -g",
        .results = results,
        .n = n,
    };
    return run;
}

static char tmpdir[] = "/tmp/th_results_XXXXXX";

static char *tmp_path(const char *rel)
{
    return th_xasprintf("%s/%s", tmpdir, rel);
}

static int leftover_temps(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += strstr(e->d_name, ".tmp") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* ---- JSON ---- */

static const char *const case_keys[] = {
    "id",     "scenario", "file",     "kind",     "client",  "server",     "transport",
    "status", "reason",   "expected", "observed", "metrics", "duration_s",
};

static void test_json_top(json_t *doc)
{
    static const char *const order[] = {"schema",      "generator",  "started_at",
                                        "finished_at", "duration_s", "environment",
                                        "backends",    "cases",      "summary"};
    size_t i = 0;
    int in_order = 1;
    for (void *it = json_object_iter(doc); it; it = json_object_iter_next(doc, it), i++)
        in_order &= i < TH_ARRAY_LEN(order) && strcmp(json_object_iter_key(it), order[i]) == 0;
    ok(in_order && i == TH_ARRAY_LEN(order), "top-level keys in contract order, no extras");
    is_str(json_string_value(json_object_get(doc, "schema")), "tlsharness.results/1", "schema");
    is_str(json_string_value(json_object_get(doc, "generator")), "tlsharness test", "generator");
    is_str(json_string_value(json_object_get(doc, "started_at")), "2024-01-02T03:04:05Z",
           "started_at is ISO-8601 UTC");
    ok(fabs(json_number_value(json_object_get(doc, "duration_s")) - 2.5) < 1e-9, "duration_s");
    ok(!json_object_get(doc, "interrupted"), "interrupted absent when the run completed");
    json_t *b = json_object_get(doc, "backends");
    is_int(json_array_size(b), th_backend_count(), "backends lists the registry");
}

static void test_json_env(json_t *doc)
{
    json_t *env = json_object_get(doc, "environment");
    static const char *const keys[] = {"os",    "kernel",    "machine",     "cpu_model",
                                       "cores", "cpu_flags", "build_flags", "compiler"};
    int all = json_is_object(env);
    for (size_t i = 0; all && i < TH_ARRAY_LEN(keys); i++)
        all = json_object_get(env, keys[i]) != NULL;
    ok(all, "environment has every key");
    ok(json_is_string(json_object_get(env, "kernel")), "kernel from uname");
    ok(json_integer_value(json_object_get(env, "cores")) >= 1, "cores >= 1");
    ok(json_is_array(json_object_get(env, "cpu_flags")), "cpu_flags is an array");
    is_str(json_string_value(json_object_get(env, "build_flags")), "-O2 -g", "build_flags");
    ok(json_is_string(json_object_get(env, "compiler")), "compiler named");
}

static void test_json_summary(json_t *doc)
{
    json_t *s = json_object_get(doc, "summary");
    static const char *const keys[] = {"total", "pass", "fail", "xfail", "xpass", "skip", "error"};
    static const int want[] = {8, 2, 1, 1, 1, 2, 1};
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++)
        is_int(json_integer_value(json_object_get(s, keys[i])), want[i], "summary.%s", keys[i]);
}

static void test_json_cases(json_t *doc)
{
    json_t *cs = json_object_get(doc, "cases");
    is_int(json_array_size(cs), NCASES, "one entry per case");
    int all = 1;
    for (size_t i = 0; i < json_array_size(cs); i++)
        for (size_t k = 0; k < TH_ARRAY_LEN(case_keys); k++)
            all &= json_object_get(json_array_get(cs, i), case_keys[k]) != NULL;
    ok(all, "every case has every required key");
    json_t *c0 = json_array_get(cs, 0);
    is_str(json_string_value(json_object_get(c0, "id")), "cert/expired/fakebackend-vs-fakebackend",
           "case id");
    is_str(json_string_value(json_object_get(c0, "client")), "fakebackend", "client name");
    is_str(json_string_value(json_object_get(c0, "status")), "pass", "status name");
    is_str(json_string_value(json_object_get(c0, "reason")), "", "empty reason is \"\"");
    json_t *ex0 = json_object_get(c0, "expected");
    is_int(json_object_size(ex0), 1, "expected of an unpinned case: outcome only");
    is_str(json_string_value(json_array_get(json_object_get(ex0, "outcome"), 0)), "expired",
           "expected.outcome is a list of names");
    json_t *nat0 = json_object_get(json_object_get(c0, "observed"), "native");
    is_str(json_string_value(json_object_get(nat0, "side")), "client", "native side");
    is_int(json_integer_value(json_object_get(nat0, "code")), 10, "native code");
    is_str(json_string_value(json_object_get(nat0, "text")), "certificate has expired",
           "native text");
    ok(json_is_object(json_object_get(c0, "metrics")) &&
           json_object_size(json_object_get(c0, "metrics")) == 0,
       "metrics is {} when none");
}

static void test_json_pinned(json_t *doc)
{
    json_t *c1 = json_array_get(json_object_get(doc, "cases"), 1);
    json_t *ex = json_object_get(c1, "expected");
    is_str(json_string_value(json_object_get(ex, "version")), "1.3", "pinned version");
    is_str(json_string_value(json_object_get(ex, "cipher")), "TLS_AES_128_GCM_SHA256",
           "pinned cipher by IANA name");
    ok(json_is_null(json_object_get(ex, "alpn")), "alpn pinned to none is null");
    ok(json_is_false(json_object_get(ex, "resumed")), "pinned resumed");
    ok(!json_object_get(ex, "group"), "unpinned group absent");
    is_str(json_string_value(json_object_get(c1, "reason")), NASTY_REASON,
           "reason with control characters round-trips");
}

static void test_json_observed(json_t *doc)
{
    json_t *cs = json_object_get(doc, "cases");
    json_t *ob = json_object_get(json_array_get(cs, 1), "observed");
    is_str(json_string_value(json_object_get(ob, "outcome")), "handshake_failure",
           "observed outcome");
    is_str(json_string_value(json_object_get(ob, "version")), "1.3", "observed version");
    is_str(json_string_value(json_object_get(ob, "cipher")), "TLS_AES_128_GCM_SHA256",
           "observed cipher");
    is_str(json_string_value(json_object_get(ob, "group")), "x25519", "observed group");
    is_str(json_string_value(json_object_get(ob, "alpn")), "h2", "observed alpn");
    ok(json_is_false(json_object_get(ob, "resumed")), "observed resumed");
    json_t *nat = json_object_get(ob, "native");
    is_str(json_string_value(json_object_get(nat, "side")), "server", "native from the server");
    ok(strstr(json_string_value(json_object_get(nat, "text")), "? bad utf-8") != NULL,
       "invalid UTF-8 in native text is replaced, not dropped");
    ok(json_is_object(json_object_get(ob, "server_error")), "server_error present");
    ok(!json_object_get(ob, "client_error"), "client_error absent when the client saw none");
    ok(json_is_null(json_object_get(json_array_get(cs, 2), "observed")),
       "observed is null when nothing ran");
    json_t *ob7 = json_object_get(json_array_get(cs, 7), "observed");
    is_str(json_string_value(json_object_get(ob7, "cipher")), "0xABCD", "unknown suite in hex");
    ok(json_is_null(json_object_get(ob7, "group")), "no group: null");
    ok(json_is_null(json_object_get(ob7, "alpn")), "no alpn: null");
    ok(json_is_null(json_object_get(ob7, "native")), "native null when ok");
}

static void test_json_metrics(json_t *doc)
{
    json_t *m = json_object_get(json_array_get(json_object_get(doc, "cases"), 1), "metrics");
    json_t *t = json_object_get(m, "throughput_mib_s");
    ok(json_is_null(json_object_get(t, "median")), "NaN median is null");
    ok(json_real_value(json_object_get(t, "max")) == 2.0, "finite max kept");
    is_int(json_integer_value(json_object_get(t, "n")), 3, "n");
    is_str(json_string_value(json_object_get(t, "unit")), "MiB/s", "unit");
    ok(json_object_get(m, "send_ns_per_byte") != NULL, "second metric present");
}

static void test_json(void)
{
    struct th_run run = make_run(NCASES);
    struct th_error err = {0};
    char *dir = tmp_path("new/sub");
    char *path = tmp_path("new/sub/results.json");
    is_int(th_results_write_json(path, &run, &err), 0, "write JSON into a missing folder (%s)",
           err.text);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    ok(doc != NULL, "results file parses back (%s)", doc ? "" : jerr.text);
    if (doc) {
        test_json_top(doc);
        test_json_env(doc);
        test_json_summary(doc);
        test_json_cases(doc);
        test_json_pinned(doc);
        test_json_observed(doc);
        test_json_metrics(doc);
        json_decref(doc);
    }
    is_int(leftover_temps(dir), 0, "no temporary files left beside it");
    free(dir);
    free(path);
}

static void test_json_interrupted_and_empty(void)
{
    struct th_run run = make_run(0);
    run.interrupted = 1;
    struct th_error err = {0};
    char *path = tmp_path("empty.json");
    is_int(th_results_write_json(path, &run, &err), 0, "empty run writes");
    json_t *doc = json_load_file(path, 0, NULL);
    ok(json_is_true(json_object_get(doc, "interrupted")), "interrupted: true when set");
    is_int(json_array_size(json_object_get(doc, "cases")), 0, "no cases: []");
    is_int(json_integer_value(json_object_get(json_object_get(doc, "summary"), "total")), 0,
           "summary.total 0");
    json_decref(doc);
    free(path);
}

/* ---- atomic replacement ---- */

static void write_raw(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int file_is(const char *path, const char *text)
{
    char *got = th_read_file(path, NULL);
    int same = got && strcmp(got, text) == 0;
    free(got);
    return same;
}

static void test_replace_whole(void)
{
    struct th_error err = {0};
    char *path = tmp_path("replace.json");
    write_raw(path, "{\"old\": true, \"padding\": \"" NASTY_REASON "\"}\n");
    struct th_run run = make_run(1);
    is_int(th_results_write_json(path, &run, &err), 0, "overwrite an existing file");
    json_t *doc = json_load_file(path, 0, NULL);
    ok(doc && !json_object_get(doc, "old") && json_array_size(json_object_get(doc, "cases")) == 1,
       "the existing file was replaced whole");
    json_decref(doc);
    is_int(leftover_temps(tmpdir), 0, "no temporary files left");
    free(path);
}

static void test_unwritable(void)
{
    struct th_error err = {0};
    char *plain = tmp_path("plain");
    char *path = tmp_path("plain/results.json");
    write_raw(plain, "keep me\n");
    struct th_run run = make_run(NCASES);
    is_int(th_results_write_json(path, &run, &err), -1, "a path under a regular file fails");
    ok(strstr(err.text, path) != NULL, "err names the path (%s)", err.text);
    ok(strstr(err.text, strerror(ENOTDIR)) != NULL, "err gives the system's reason");
    ok(err.code == ENOTDIR && err.file && !err.input && th_error_exit_status(&err) == 3,
       "a fault: errno as its code, the place recorded, exit 3");
    ok(file_is(plain, "keep me\n"), "the file in the way is untouched");
    th_error_clear(&err);
    is_int(th_results_write_junit(path, &run, &err), -1, "JUnit: same failure");
    ok(strstr(err.text, path) != NULL, "JUnit err names the path");

    char *dirpath = tmp_path("isdir");
    char *inside = tmp_path("isdir/old");
    ok(mkdir(dirpath, 0755) == 0, "make a folder where the file should go");
    write_raw(inside, "old\n");
    is_int(th_results_write_json(dirpath, &run, &err), -1, "a folder at the target path fails");
    ok(file_is(inside, "old\n") && leftover_temps(tmpdir) == 0,
       "nothing replaced, no temporary left");
    free(plain), free(path), free(dirpath), free(inside);
}

/* A write that fails midway (the file size limit) must leave the old file as it was. */
static void test_failed_write_keeps_old(void)
{
    struct th_error err = {0};
    char *path = tmp_path("keep.json");
    write_raw(path, "{\"old\": 1}\n");
    struct rlimit saved, small = {256, 256};
    getrlimit(RLIMIT_FSIZE, &saved);
    small.rlim_max = saved.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &small);
    struct th_run run = make_run(NCASES);
    int rc = th_results_write_json(path, &run, &err);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, SIG_DFL);
    is_int(rc, -1, "a write cut short fails");
    ok(strstr(err.text, path) != NULL, "err names the path (%s)", err.text);
    ok(file_is(path, "{\"old\": 1}\n"), "the old file is intact");
    is_int(leftover_temps(tmpdir), 0, "the temporary was removed");
    free(path);
}

/* ---- JUnit ---- */

/* Tags balance, one root, every '&' starts a known entity, no raw control bytes:
 * enough to catch what a writer typically gets wrong. */
static int xml_well_formed(const char *s)
{
    const char *stack[16];
    int depth = 0, roots = 0;
    if (strncmp(s, "<?xml ", 6) != 0 || !(s = strstr(s, "?>")))
        return 0;
    for (s += 2; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
            return 0;
        if (ch == '&' && strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) &&
            strncmp(s, "&quot;", 6) && strncmp(s, "&apos;", 6) && strncmp(s, "&#", 2))
            return 0;
        if (ch != '<')
            continue;
        const char *end = strchr(s, '>');
        if (!end)
            return 0;
        if (s[1] == '/') {
            size_t n = strcspn(s + 2, ">");
            if (!depth || strncmp(stack[depth - 1], s + 2, n) != 0)
                return 0;
            depth--;
        } else if (end[-1] != '/') {
            if (depth == 16)
                return 0;
            roots += depth == 0;
            stack[depth++] = s + 1;
        } else
            roots += depth == 0;
        s = end;
    }
    return depth == 0 && roots == 1;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Sum of attr="N" over every element that starts with tag. */
static size_t sum_attr(const char *xml, const char *tag, const char *attr)
{
    size_t sum = 0;
    char *key = th_xasprintf(" %s=\"", attr);
    for (const char *p = xml; (p = strstr(p, tag)) != NULL; p++) {
        const char *a = strstr(p, key), *end = strchr(p, '>');
        if (a && a < end)
            sum += strtoul(a + strlen(key), NULL, 10);
    }
    free(key);
    return sum;
}

static void test_junit(void)
{
    struct th_run run = make_run(NCASES);
    struct th_error err = {0};
    char *path = tmp_path("junit/out.xml");
    is_int(th_results_write_junit(path, &run, &err), 0, "write JUnit (%s)", err.text);
    char *xml = th_read_file(path, NULL);
    ok(xml != NULL, "JUnit file exists");
    if (!xml)
        return;
    ok(xml_well_formed(xml), "JUnit XML is well formed");
    is_int(count(xml, "<testcase "), NCASES, "one <testcase> per case");
    is_int(count(xml, "<testsuite "), 2, "one <testsuite> per scenario file");
    ok(strstr(xml, "<testsuites name=\"tlsharness\" tests=\"8\" failures=\"2\" errors=\"1\"") !=
           NULL,
       "testsuites totals (xpass counts as failure)");
    is_int(sum_attr(xml, "<testsuite ", "tests"), NCASES, "suite tests add up");
    is_int(sum_attr(xml, "<testsuite ", "failures"), count(xml, "<failure "), "failures attr");
    is_int(sum_attr(xml, "<testsuite ", "errors"), count(xml, "<error "), "errors attr");
    is_int(sum_attr(xml, "<testsuite ", "skipped"), count(xml, "<skipped "), "skipped attr");
    is_int(count(xml, "<skipped message=\"server lacks ALPN\"/>"), 2, "skip carries its reason");
    ok(strstr(xml, "type=\"xpass\"") && strstr(xml, "type=\"fail\""), "failure types");
    ok(strstr(xml, "<system-out>xfail: known: reports unknown_ca</system-out>") != NULL,
       "xfail visible in system-out");
    ok(strstr(xml, "classname=\"cert.expired\" name=\"fakebackend-vs-other\"") != NULL,
       "classname uses dots, name is the pair");
    ok(strstr(xml, "message=\"a &amp; b &lt; c &gt; d &quot;q&quot; &apos;x&apos; \\x01bell\\x02 "
                   "end\"") != NULL,
       "reason escaped, control characters shown as \\xNN");
    ok(strstr(xml, "expected: outcome ok, version 1.3") != NULL, "failure body: expected");
    ok(strstr(xml, "native (server): code 40: alert &lt;handshake failure&gt; &amp; \\xff bad") !=
           NULL,
       "failure body: native error, escaped, a byte that is not UTF-8 as \\xNN");
    free(xml);
    free(path);
}

static void test_junit_empty(void)
{
    struct th_run run = make_run(0);
    struct th_error err = {0};
    char *path = tmp_path("junit/empty.xml");
    is_int(th_results_write_junit(path, &run, &err), 0, "empty run: JUnit writes");
    char *xml = th_read_file(path, NULL);
    ok(xml && xml_well_formed(xml) && strstr(xml, "tests=\"0\""), "empty JUnit is well formed");
    ok(!xml_well_formed("<?xml version=\"1.0\"?><a><b></a></b>"), "checker rejects misnesting");
    ok(!xml_well_formed("<?xml version=\"1.0\"?><a>x & y</a>"), "checker rejects a bare &");
    free(xml);
    free(path);
}

/* ---- terminal summary ---- */

static char *summary_text(const struct th_run *run, int color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    th_results_print_summary(f, run, color);
    fclose(f);
    return buf;
}

static const char *last_line(const char *text)
{
    const char *end = text + strlen(text);
    if (end > text && end[-1] == '\n')
        end--;
    while (end > text && end[-1] != '\n')
        end--;
    return end;
}

static void test_summary(void)
{
    struct th_run run = make_run(NCASES);
    char *s = summary_text(&run, 0);
    ok(strstr(s, "\nfakebackend-vs-fakebackend     2     1     .     .     .     .     3\n") !=
           NULL,
       "pair row, zeros as dots");
    ok(strstr(s, "\nfakebackend-vs-other           .     .     1     1     2     1     5\n") !=
           NULL,
       "second pair row");
    ok(strstr(s, "\nTOTAL                          2     1     1     1     2     1     8\n") !=
           NULL,
       "TOTAL row");
    ok(strstr(s, "Failures:\n") &&
           strstr(s, "  fail  basic/tls13/fakebackend-vs-fakebackend: a & b"),
       "failures list the case with its reason");
    ok(strstr(s, "  xpass basic/tls13/fakebackend-vs-other: deviation did not happen\n") != NULL,
       "xpass listed with failures");
    ok(strstr(s, "  error cert/expired/fakebackend-vs-other: could not start the server\n") != NULL,
       "error listed with failures");
    ok(strstr(s, "\nKnown deviations (xfail):\n  cert/expired/fakebackend-vs-other: known: "
                 "reports unknown_ca\n") != NULL,
       "xfail listed");
    ok(strstr(s, "      2  server lacks ALPN\n") != NULL, "skips counted by reason");
    is_int(count(s, "server lacks ALPN"), 1, "a skip reason appears once");
    is_str(last_line(s), "totals: pass 2, fail 1, xfail 1, xpass 1, skip 2, error 1\n",
           "totals line last");
    ok(strstr(s, "\nclient \\ server  fakebackend  other\n"
                 "fakebackend            2/3 !  1/3 !\n") != NULL,
       "client x server matrix: good/ran, ! marks problems, skips not counted");
    ok(strstr(s, "Measurements (median, [min, max] over n repetitions):\n"
                 "  basic/tls13/fakebackend-vs-fakebackend\n") != NULL,
       "benchmark cases list their measurements");
    ok(strstr(s, "      send_ns_per_byte                      1.5 ns/B   [1, 2] n=3\n") != NULL,
       "each metric with its median, spread and count");
    is_int(count(s, "Measurements"), 1, "only cases with metrics are listed");
    ok(!strchr(s, '\033'), "no escape codes with color=0");
    free(s);
    s = summary_text(&run, 1);
    ok(strstr(s, "\033[32m") && strstr(s, "\033[31m") && strstr(s, "\033[0m"),
       "ANSI colours with color=1");
    free(s);
}

static void test_summary_empty(void)
{
    struct th_run run = make_run(0);
    run.interrupted = 1;
    char *s = summary_text(&run, 0);
    ok(strstr(s, "\nTOTAL     .     .     .     .     .     .     0\n") != NULL,
       "empty: TOTAL row");
    ok(!strstr(s, "Failures:") && !strstr(s, "Skipped"), "empty: no sections");
    ok(strstr(s, "Interrupted") != NULL, "interrupted run says so");
    is_str(last_line(s), "totals: pass 0, fail 0, xfail 0, xpass 0, skip 0, error 0\n",
           "empty: totals line");
    free(s);
}

static void test_counts(void)
{
    size_t c[TH_STATUS_COUNT];
    struct th_run run = make_run(NCASES);
    th_run_counts(&run, c);
    is_int(c[TH_PASS] + c[TH_FAIL] + c[TH_XFAIL] + c[TH_XPASS] + c[TH_SKIP] + c[TH_ERROR], NCASES,
           "th_run_counts covers every case");
    enum th_status saved = results[0].status;
    results[0].status = (enum th_status)42;
    th_run_counts(&run, c);
    is_int(c[TH_ERROR], 2, "an out-of-range status counts as error");
    results[0].status = saved;
}

/* ---- environment parsers ---- */

static void test_env(void)
{
    char *s = th_env_os_pretty("NAME=x\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    is_str(s, "Debian GNU/Linux 12 (bookworm)", "os-release: double-quoted");
    free(s);
    s = th_env_os_pretty("PRETTY_NAME='Alpine Linux v3.19'");
    is_str(s, "Alpine Linux v3.19", "os-release: single-quoted, no newline");
    free(s);
    s = th_env_os_pretty("PRETTY_NAME=\"say \\\"hi\\\"\"\n");
    is_str(s, "say \"hi\"", "os-release: escapes");
    free(s);
    s = th_env_os_pretty("PRETTY_NAME=Bare\n");
    is_str(s, "Bare", "os-release: bare");
    free(s);
    ok(th_env_os_pretty("NAME=x\nXPRETTY_NAME=y\n") == NULL, "os-release: absent -> NULL");
    ok(th_env_os_pretty(NULL) == NULL, "os-release: no file -> NULL");

    const char *x86 = "processor\t: 0\nmodel\t\t: 1\nmodel name\t: AMD EPYC 7B13  \n"
                      "flags\t\t: fpu avx2 sse4_1 aes avx512f_x pclmulqdq\n";
    s = th_env_cpuinfo_field(x86, "model name");
    is_str(s, "AMD EPYC 7B13", "cpuinfo: model name, trailing blanks cut");
    free(s);
    s = th_env_cpuinfo_field(x86, "model");
    is_str(s, "1", "cpuinfo: key must be whole");
    free(s);
    ok(th_env_cpuinfo_field(x86, "Hardware") == NULL, "cpuinfo: absent key -> NULL");
    json_t *f = th_env_cpu_flags(x86);
    char *dump = json_dumps(f, JSON_COMPACT);
    is_str(dump, "[\"aes\",\"pclmulqdq\",\"avx2\",\"sse4_1\"]",
           "crypto flags in fixed order, whole words only");
    free(dump);
    json_decref(f);
    f = th_env_cpu_flags("Features\t: fp asimd aes pmull sha1 sha2\n");
    dump = json_dumps(f, JSON_COMPACT);
    is_str(dump, "[\"aes\",\"pmull\",\"sha1\",\"sha2\",\"asimd\"]", "Arm Features");
    free(dump);
    json_decref(f);
    f = th_env_cpu_flags(NULL);
    is_int(json_array_size(f), 0, "no cpuinfo: empty flags");
    json_decref(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

#define HOSTILE                                                                                    \
    "HTTP/9.9 999 \033]0;pwned\007\033[2J\302\233"                                                 \
    "31m\nforged\377"

/* A reason, a case id, a server name, the peer's ALPN and a library's text with
 * control bytes: each escaped, each on its line of the failure's body. */
static void test_junit_hostile(void)
{
    for (int i = 0; i < 3; i++)
        free(cases[i].id); /* set_case makes new ones */
    set_case(0, "evil/\033[31mred", "scenarios/\007.json", "srv\033]0;t\007", TH_FAIL, HOSTILE);
    struct th_observed *o = &results[0].obs;
    ran_with_error(o, "client", &o->client_err, TH_IO_ERROR, 7, "bad status line '" HOSTILE "'");
    o->have_neg = 1;
    o->neg = (struct th_negotiated){
        .version = TH_TLS13, .suite = 0x1301, .group = 0x001D, .alpn = "h\0332"};
    set_case(1, "evil/skip", "scenarios/\007.json", "x", TH_SKIP, HOSTILE);
    set_case(2, "evil/xfail", "scenarios/\007.json", "x", TH_XFAIL, HOSTILE);
    struct th_run run = make_run(3);
    struct th_error err = {0};
    char *path = tmp_path("junit/hostile.xml");
    is_int(th_results_write_junit(path, &run, &err), 0, "write JUnit of hostile text (%s)",
           err.text);
    char *xml = th_read_file(path, NULL);
    ok(xml && xml_well_formed(xml), "well formed");
    ok(xml && text_safe(xml), "no control byte in the XML: none is legal XML 1.0");
    ok(!text_safe(HOSTILE), "the check itself catches the hostile text");
    const char *shown = "HTTP/9.9 999 \\x1b]0;pwned\\x07\\x1b[2J\\xc2\\x9b31m\\nforged\\xff";
    char *msg = th_xasprintf("<failure message=\"%s\" type=\"fail\">", shown);
    ok(xml && strstr(xml, msg), "the reason in the message attribute, as \\xNN");
    free(msg);
    ok(xml &&
           strstr(xml, "classname=\"evil.\\x1b[31mred\" name=\"fakebackend-vs-srv\\x1b]0;t\\x07\""),
       "class name and pair escaped");
    ok(xml && strstr(xml, "<testsuite name=\"scenarios/\\x07.json\""), "the file's name escaped");
    char *line =
        th_xasprintf("\nclient error: io_error (code 7) bad status line &apos;%s&apos;\n", shown);
    ok(xml && strstr(xml, line), "the library's text on one line of the body");
    free(line);
    ok(xml && strstr(xml, ", alpn h\\x1b2, "), "the peer's ALPN escaped");
    ok(xml && strstr(xml, "case: evil/\\x1b[31mred/fakebackend-vs-srv\\x1b]0;t\\x07 "
                          "(scenarios/\\x07.json:1)\n"),
       "the case line of the body");
    char *skip = th_xasprintf("<skipped message=\"%s\"/>", shown);
    char *xfail = th_xasprintf("<system-out>xfail: %s</system-out>", shown);
    ok(xml && strstr(xml, skip) && strstr(xml, xfail), "skip and xfail reasons escaped");
    free(skip);
    free(xfail);
    free(xml);
    free(path);
    for (int i = 0; i < NCASES; i++)
        free(cases[i].id);
    build_cases();
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    build_cases();
    test_json();
    test_json_interrupted_and_empty();
    test_replace_whole();
    test_unwritable();
    test_failed_write_keeps_old();
    test_junit();
    test_junit_empty();
    test_summary();
    test_summary_empty();
    test_counts();
    test_env();
    test_junit_hostile();
    for (int i = 0; i < NCASES; i++)
        free(cases[i].id);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return done_testing();
}
