/* `tlsharness compare`: the verdict between two results files, on the hand-made
 * files of tests/data/results/ (good ones, and bad-*.json: one per kind of bad input,
 * each reported as FILE:LINE:COL) and on small documents built here. The results
 * reader's fuzz target is replayed over the same files at the end. */
#include "harness/report/compare.h"

#include <glob.h>
#include <jansson.h>
#include <math.h>

#include "tap.h"

#include "../fuzz/fuzz_results.c" /* LLVMFuzzerTestOneInput, replayed below */

#define DIR "tests/data/results/"
#define BULK "bulk/aes128gcm/openssl-vs-openssl"
#define LOAD "load/static/curl-openssl-vs-fixture:nginx"
#define EXPIRED "cert/expired/openssl-vs-openssl"

struct res {
    int rc;
    char *out, *err;
    size_t outlen, errlen;
};

static struct res run_opts(const char *base, const char *new_, const struct th_compare_opts *o)
{
    struct res r = {0};
    FILE *out = open_memstream(&r.out, &r.outlen), *err = open_memstream(&r.err, &r.errlen);
    char *bp = th_xasprintf(DIR "%s", base), *np = th_xasprintf(DIR "%s", new_);
    r.rc = th_compare_files(bp, np, o, out, err);
    fclose(out);
    fclose(err);
    free(bp);
    free(np);
    return r;
}

static struct res run(const char *base, const char *new_, double threshold, int json)
{
    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    o.threshold = threshold;
    o.json = json;
    return run_opts(base, new_, &o);
}

static void res_free(struct res *r)
{
    free(r->out);
    free(r->err);
}

static int has(const char *text, const char *want)
{
    if (strstr(text, want))
        return 1;
    printf("# wanted: %s\n# in:\n%s", want, text);
    return 0;
}

/* The last line of the readable report. */
static int ends(const char *text, const char *want)
{
    size_t n = strlen(text), w = strlen(want);
    return n >= w + 1 && strcmp(text + n - w, want) == 0 && text[n - w - 1] == '\n';
}

/* ---- the files of tests/data/results ---- */

static void test_identical(void)
{
    struct res r = run("base.json", "base.json", -1, 0);
    is_int(r.rc, 0, "identical files: no regression");
    ok(ends(r.out, "no regression\n"), "identical: the last line says so");
    ok(has(r.out, "compare: 5 metrics, 0 regressions, 0 improvements; 0 cases regressed; 6 of 6 "
                  "cases compared\n"),
       "identical: summary line");
    ok(!strstr(r.out, "warning"), "identical: no warnings");
    is_int(r.errlen, 0, "identical: nothing on errout");
    res_free(&r);
}

static void test_throughput(void)
{
    struct res r = run("base.json", "throughput-drop.json", -1, 0);
    is_int(r.rc, 1, "throughput -20%% with 2%% spread: regression");
    ok(has(r.out, BULK " throughput_mib_s: 1000 → 800 MiB/s, -20.0% (threshold 5.0%): "
                       "regression\n"),
       "throughput: the metric line");
    ok(has(r.out, "compare: 5 metrics, 1 regressions, 0 improvements; 0 cases regressed"),
       "throughput: summary");
    ok(ends(r.out, "regression\n") && !ends(r.out, "no regression\n"), "throughput: verdict");
    res_free(&r);

    r = run("noisy-base.json", "throughput-drop.json", -1, 0);
    is_int(r.rc, 0, "the same drop with a recorded 30%% spread: within noise");
    ok(has(r.out, "-20.0% (threshold 30.0%): within noise"), "noisy: threshold from the spread");
    res_free(&r);
}

static void test_latency(void)
{
    struct res r = run("base.json", "latency-up.json", -1, 0);
    is_int(r.rc, 1, "latency +50%%: regression");
    ok(has(r.out, LOAD " latency_ms_p99: 10 → 15 ms, +50.0% (threshold 5.0%): regression"),
       "latency up: the metric line");
    res_free(&r);

    r = run("base.json", "latency-down.json", -1, 0);
    is_int(r.rc, 0, "latency -30%%: no regression");
    ok(has(r.out, "latency_ms_p99: 10 → 7 ms, -30.0% (threshold 5.0%): improvement"),
       "latency down: improvement");
    ok(has(r.out, "0 regressions, 1 improvements"), "latency down: counted as an improvement");
    res_free(&r);
}

static void test_threshold_override(void)
{
    struct res r = run("base.json", "throughput-drop.json", 0.25, 0);
    is_int(r.rc, 0, "--threshold 25 over a 20%% drop: no regression");
    ok(has(r.out, "-20.0% (threshold 25.0%): within noise"), "override up: the line");
    res_free(&r);

    r = run("noisy-base.json", "throughput-drop.json", 0.10, 0);
    is_int(r.rc, 1, "--threshold 10 over a noisy 20%% drop: regression");
    ok(has(r.out, "-20.0% (threshold 10.0%): regression"), "override down: the line");
    res_free(&r);

    r = run("base.json", "base.json", 0, 0);
    is_int(r.rc, 0, "--threshold 0 on identical files: no regression");
    res_free(&r);

    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    o.floor = 0.5;
    r = run_opts("base.json", "latency-up.json", &o);
    is_int(r.rc, 0, "a floor of 50%% covers a 50%% change");
    ok(has(r.out, "+50.0% (threshold 50.0%): within noise"), "floor: the line");
    res_free(&r);
}

static void test_case_status(void)
{
    struct res r = run("base.json", "case-fail.json", -1, 0);
    is_int(r.rc, 1, "pass → fail: regression");
    ok(has(r.out, EXPIRED ": case regressed: pass → fail: expected expired, observed ok\n"),
       "pass → fail: the line carries NEW's reason");
    ok(has(r.out, "0 regressions, 0 improvements; 1 cases regressed; 6 of 6 cases compared\n"),
       "pass → fail: summary");
    res_free(&r);

    r = run("case-fail.json", "base.json", -1, 0);
    is_int(r.rc, 0, "fail → pass: no regression");
    ok(has(r.out, EXPIRED ": case improved: fail → pass"), "fail → pass: improvement");
    res_free(&r);

    r = run("base.json", "missing-case.json", -1, 0);
    is_int(r.rc, 1, "a case missing from NEW: the gate fails");
    ok(has(r.out, "incomplete: NEW lacks 1 of BASE's 6 cases (--allow-missing gates on the cases "
                  "both have): " EXPIRED "\n"),
       "missing: says which, and how many");
    ok(has(r.out, "; 5 of 6 cases compared\nincomplete\n") && ends(r.out, "incomplete\n"),
       "missing: the verdict line says incomplete");
    res_free(&r);

    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    o.allow_missing = 1;
    r = run_opts("base.json", "missing-case.json", &o);
    is_int(r.rc, 0, "--allow-missing: a case missing from NEW is no failure");
    ok(has(r.out,
           "note: NEW lacks 1 of BASE's 6 cases (not gated: --allow-missing): " EXPIRED "\n"),
       "--allow-missing: still reported, as a note");
    ok(ends(r.out, "no regression\n"), "--allow-missing: no regression");
    res_free(&r);

    r = run("missing-case.json", "base.json", -1, 0);
    is_int(r.rc, 0, "a case only in NEW: no regression");
    ok(has(r.out, "note: NEW has 1 cases BASE lacks (not gated): " EXPIRED "\n"),
       "only in NEW: a note");
    ok(has(r.out, "; 5 of 5 cases compared\n"), "only in NEW: every case of BASE compared");
    res_free(&r);
}

static void test_environment(void)
{
    struct res r = run("base.json", "other-machine.json", -1, 0);
    is_int(r.rc, 0, "another machine: warnings only");
    ok(has(r.out, "warning: cpu_model differs: AMD EPYC 7763 64-Core Processor → Intel(R) Xeon(R) "
                  "Platinum 8375C CPU @ 2.90GHz: metrics may not be comparable\n"),
       "cpu_model warning");
    ok(has(r.out, "warning: backend openssl version differs: OpenSSL 3.0.13 30 Jan 2024 → OpenSSL "
                  "3.2.1 30 Jan 2024: metrics may not be comparable\n"),
       "backend version warning");
    ok(!strstr(r.out, "gnutls"), "an unchanged backend: no warning");
    res_free(&r);
}

static void test_not_compared(void)
{
    struct res r = run("base.json", "unit-mismatch.json", -1, 0);
    is_int(r.rc, 0, "unit mismatch: not a regression");
    ok(has(r.out, "warning: " BULK " throughput_mib_s: unit differs: MiB/s → GiB/s: not "
                  "compared\n"),
       "unit mismatch: a warning");
    ok(has(r.out, "compare: 4 metrics"), "unit mismatch: the metric is not counted");
    ok(!strstr(r.out, "throughput_mib_s: 1000"), "unit mismatch: no metric line");
    res_free(&r);

    r = run("base.json", "unknown-metric.json", 0, 0);
    is_int(r.rc, 0, "an unknown metric 100x up, threshold 0: never a regression");
    ok(has(r.out, "frobs: 3 → 300 frob, +9900.0% (threshold 0.0%): unknown direction"),
       "unknown metric: reported with its change");
    res_free(&r);

    r = run("base.json", "minor-version.json", -1, 0);
    is_int(r.rc, 0, "schema 1.4 with unknown extra keys: read");
    is_int(r.errlen, 0, "schema 1.4: no complaint");
    res_free(&r);
}

static void test_json(void)
{
    struct res r = run("base.json", "throughput-drop.json", -1, 1);
    json_t *doc = json_loadb(r.out, r.outlen, 0, NULL);
    is_int(r.rc, 1, "--json: the same exit status");
    ok(json_is_object(doc), "--json: one JSON document");
    json_t *m0 = json_array_get(json_object_get(doc, "metrics"), 0);
    is_str(json_string_value(json_object_get(doc, "base")), DIR "base.json", "json: base");
    is_str(json_string_value(json_object_get(m0, "id")), BULK, "json: metric id");
    is_str(json_string_value(json_object_get(m0, "metric")), "throughput_mib_s", "json: name");
    is_str(json_string_value(json_object_get(m0, "unit")), "MiB/s", "json: unit");
    ok(fabs(json_number_value(json_object_get(m0, "change")) + 0.2) < 1e-9, "json: change");
    ok(fabs(json_number_value(json_object_get(m0, "threshold")) - 0.05) < 1e-9, "json: threshold");
    is_str(json_string_value(json_object_get(m0, "verdict")), "regression", "json: verdict");
    is_int(json_integer_value(json_object_get(doc, "regressions")), 1, "json: regressions");
    json_t *pol = json_object_get(doc, "threshold_policy");
    is_str(json_string_value(json_object_get(pol, "mode")), "spread", "json: spread policy");
    ok(json_is_array(json_object_get(doc, "warnings")), "json: warnings[]");
    ok(!strstr(r.out, "no regression"), "json: no readable lines mixed in");
    json_decref(doc);
    res_free(&r);

    r = run("base.json", "case-fail.json", 0.1, 1);
    doc = json_loadb(r.out, r.outlen, 0, NULL);
    json_t *c0 = json_array_get(json_object_get(doc, "cases"), 0);
    pol = json_object_get(doc, "threshold_policy");
    is_str(json_string_value(json_object_get(pol, "mode")), "fixed", "json: fixed policy");
    is_str(json_string_value(json_object_get(c0, "id")), EXPIRED, "json: case id");
    is_str(json_string_value(json_object_get(c0, "base_status")), "pass", "json: base_status");
    is_str(json_string_value(json_object_get(c0, "new_status")), "fail", "json: new_status");
    is_str(json_string_value(json_object_get(c0, "verdict")), "regressed", "json: case verdict");
    json_decref(doc);
    res_free(&r);

    r = run("base.json", "other-machine.json", -1, 1);
    doc = json_loadb(r.out, r.outlen, 0, NULL);
    is_int(json_array_size(json_object_get(doc, "warnings")), 2, "json: the two warnings");
    json_decref(doc);
    res_free(&r);
}

static void test_backend_sets(void)
{
    const char *b = "{\"schema\": \"tlsharness.results/1\", \"backends\": [{\"name\": \"openssl\", "
                    "\"version\": \"3.0\"}, {\"name\": \"mbedtls\"}], \"cases\": [{\"id\": \"c\", "
                    "\"status\": \"pass\"}]}";
    const char *n = "{\"schema\": \"tlsharness.results/1\", \"environment\": {\"cpu_flags\": "
                    "[\"aes\"]}, \"backends\": [{\"name\": \"openssl\", \"version\": \"3.0\"}, "
                    "{\"name\": \"wolfssl\", \"version\": \"5.6\"}], \"cases\": [{\"id\": \"c\", "
                    "\"status\": \"pass\"}]}";
    struct res r = {0};
    FILE *out = open_memstream(&r.out, &r.outlen), *err = open_memstream(&r.err, &r.errlen);
    r.rc = th_compare_texts("B", b, strlen(b), "N", n, strlen(n), NULL, out, err);
    fclose(out);
    fclose(err);
    is_int(r.rc, 0, "backend sets differ: exit 0");
    ok(has(r.out, "warning: backend mbedtls: missing from NEW\n"), "a backend missing from NEW");
    ok(has(r.out, "warning: backend wolfssl: only in NEW\n"), "a backend only in NEW");
    ok(has(r.out, "warning: cpu_flags differs: (unknown) → [\"aes\"]: metrics may not be "
                  "comparable\n"),
       "an environment recorded on one side only");
    ok(!strstr(r.out, "openssl"), "the same openssl: no warning");
    res_free(&r);
}

/* ---- small documents: statuses, directions, values that cannot be compared ---- */

static struct res run_texts(const char *b, const char *n, double threshold)
{
    struct res r = {0};
    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    FILE *out = open_memstream(&r.out, &r.outlen), *err = open_memstream(&r.err, &r.errlen);
    o.threshold = threshold;
    r.rc = th_compare_texts("B", b, strlen(b), "N", n, strlen(n), &o, out, err);
    fclose(out);
    fclose(err);
    return r;
}

static char *status_doc(const char *status)
{
    return th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"c\", "
                        "\"status\": \"%s\", \"reason\": \"why-%s\"}]}",
                        status, status);
}

static void status_change(const char *from, const char *to, int rc, const char *line)
{
    char *b = status_doc(from), *n = status_doc(to);
    struct res r = run_texts(b, n, -1);
    is_int(r.rc, rc, "%s → %s: exit %d", from, to, rc);
    ok(has(r.out, line), "%s → %s: %s", from, to, line);
    res_free(&r);
    free(b);
    free(n);
}

static void test_statuses(void)
{
    status_change("pass", "error", 1, "c: case regressed: pass → error: why-error");
    status_change("xfail", "xpass", 1, "c: case regressed: xfail → xpass: why-xpass");
    status_change("xfail", "fail", 1, "c: case regressed: xfail → fail");
    status_change("error", "pass", 0, "c: case improved: error → pass");
    status_change("pass", "xfail", 0, "c: case changed: pass → xfail");
    status_change("fail", "error", 0, "c: case changed: fail → error");
    status_change("pass", "skip", 0, "c: case not compared: pass → skip");
    status_change("skip", "fail", 0, "c: case not compared: skip → fail");
    status_change("fail", "fail", 0, "0 cases regressed");
}

static char *metric_doc(const char *name, const char *value)
{
    return th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"c\", "
                        "\"status\": \"pass\", \"metrics\": {\"%s\": %s}}]}",
                        name, value);
}

/* name from 100 to 150: the verdict its direction gives. */
static void direction(const char *name, const char *verdict)
{
    char *b = metric_doc(name, "{\"median\": 100, \"n\": 1, \"unit\": \"u\"}");
    char *n = metric_doc(name, "{\"median\": 150, \"n\": 1, \"unit\": \"u\"}");
    char *line = th_xasprintf("c %s: 100 → 150 u, +50.0%% (threshold 5.0%%): %s\n", name, verdict);
    struct res r = run_texts(b, n, -1);
    ok(has(r.out, line), "%s up 50%%: %s", name, verdict);
    is_int(r.rc, strcmp(verdict, "regression") == 0, "%s: exit status", name);
    res_free(&r);
    free(line);
    free(b);
    free(n);
}

static void test_directions(void)
{
    static const char *const higher[] = {"throughput_mib_s", "handshakes_per_s", "efficiency",
                                         "requests_per_s", "connections_per_s"};
    static const char *const lower[] = {"send_ns_per_byte",
                                        "recv_ns_per_byte",
                                        "aead_ns_per_byte",
                                        "client_us_per_handshake",
                                        "server_us_per_handshake",
                                        "bytes_per_connection",
                                        "client_bytes_per_connection",
                                        "server_bytes_per_connection",
                                        "latency_ms_p50",
                                        "latency_ms_p90",
                                        "latency_ms_p99",
                                        "latency_ms_max",
                                        "connect_ms",
                                        "tls_ms",
                                        "first_byte_ms",
                                        "ttfb_ms",
                                        "client_us_per_request",
                                        "x_ns_per_byte"};
    static const char *const unknown[] = {
        "frobs",   "latency_ms_", "_ns_per_byte", "_bytes_per_connection", "throughput_mib_s_2",
        "requests"};
    for (size_t i = 0; i < TH_ARRAY_LEN(higher); i++)
        direction(higher[i], "improvement");
    for (size_t i = 0; i < TH_ARRAY_LEN(lower); i++)
        direction(lower[i], "regression");
    for (size_t i = 0; i < TH_ARRAY_LEN(unknown); i++)
        direction(unknown[i], "unknown direction");
}

static void uncomparable(const char *bv, const char *nv, const char *warning, const char *what)
{
    char *b = metric_doc("tls_ms", bv), *n = metric_doc("tls_ms", nv);
    struct res r = run_texts(b, n, -1);
    is_int(r.rc, 0, "%s: exit 0", what);
    ok(has(r.out, warning), "%s: warning", what);
    ok(has(r.out, "compare: 0 metrics"), "%s: not counted", what);
    res_free(&r);
    free(b);
    free(n);
}

static void test_values(void)
{
    uncomparable("{\"median\": null, \"unit\": \"ms\"}", "{\"median\": 9, \"unit\": \"ms\"}",
                 "warning: c tls_ms: no median in BASE: not compared\n", "null median");
    uncomparable("{\"median\": 0, \"unit\": \"ms\"}", "{\"median\": 9, \"unit\": \"ms\"}",
                 "warning: c tls_ms: BASE median is 0: no relative change: not compared\n",
                 "zero median");
    uncomparable("{\"median\": 1e-300}", "{\"median\": 1e300}",
                 "warning: c tls_ms: 1e-300 → 1e+300: the change is out of range: not compared\n",
                 "a change too large for a double");
    uncomparable("{\"median\": 1, \"unit\": \"ms\"}", "{\"median\": 9}",
                 "warning: c tls_ms: unit differs: ms → (none): not compared\n", "unit absent");

    /* one measurement has no spread, however far apart min and max are */
    char *b = metric_doc("tls_ms", "{\"median\": 10, \"min\": 1, \"max\": 100, \"n\": 1}");
    char *n = metric_doc("tls_ms", "{\"median\": 11, \"min\": 1, \"max\": 100, \"n\": 1}");
    struct res r = run_texts(b, n, -1);
    is_int(r.rc, 1, "n = 1: the floor is the threshold");
    ok(has(r.out, "+10.0% (threshold 5.0%): regression"), "n = 1: the line");
    res_free(&r);
    free(b);
    free(n);

    b = metric_doc("tls_ms", "{\"median\": 10}");
    n = th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"c\", "
                     "\"status\": \"pass\", \"metrics\": {\"connect_ms\": {\"median\": 1}}}]}");
    r = run_texts(b, n, -1);
    is_int(r.rc, 0, "metrics on one side only: exit 0");
    ok(has(r.out, "warning: c tls_ms: missing from NEW\n"), "metric missing from NEW");
    ok(has(r.out, "warning: c connect_ms: only in NEW: not compared\n"), "metric only in NEW");
    res_free(&r);
    free(n);

    n = status_doc("fail");
    r = run_texts(b, n, -1);
    is_int(r.rc, 1, "a failed case without metrics: the case regressed");
    ok(has(r.out, "warning: c tls_ms: missing from NEW\n"), "its metrics: missing from NEW");
    res_free(&r);
    free(b);
    free(n);
}

/* ---- bad input: exit 2, nothing on out, and the file and the place on errout ---- */

static void bad_input(const char *base, const char *new_, const char *want)
{
    struct res r = run(base, new_, -1, 0);
    is_int(r.rc, 2, "%s: exit 2", new_);
    is_int(r.outlen, 0, "%s: no report", new_);
    is_str(r.err, want, "%s: the message", new_);
    res_free(&r);
}

static void test_bad(void)
{
    bad_input("base.json", "no-such.json",
              DIR "no-such.json: cannot read: No such file or directory\n");
    bad_input("base.json", "bad-empty.json",
              DIR "bad-empty.json:1:1: empty file: expected a results JSON object\n");
    bad_input("base.json", "bad-syntax.json",
              DIR "bad-syntax.json:4:34: string or '}' expected near '}'\n");
    bad_input("base.json", "bad-top-array.json",
              DIR "bad-top-array.json:1:1: the top level must be a JSON object, got an array\n");
    bad_input("base.json", "bad-no-schema.json",
              DIR "bad-no-schema.json:1:1: missing \"schema\": not a tlsharness results file\n");
    bad_input("base.json", "bad-schema.json",
              DIR "bad-schema.json:2:13: schema: \"tlsharness.scenario/1\" is not a tlsharness "
                  "results schema (expected tlsharness.results/1)\n");
    bad_input("base.json", "bad-schema-v2.json",
              DIR "bad-schema-v2.json:2:13: schema: tlsharness.results/2 is not supported: this "
                  "tlsharness reads tlsharness.results/1\n");
    bad_input("base.json", "bad-cases-object.json",
              DIR "bad-cases-object.json:3:12: cases: expected an array of cases, got an object\n");
    bad_input("base.json", "bad-case-no-id.json",
              DIR "bad-case-no-id.json:5:5: cases[1]: missing \"id\"\n");
    bad_input("base.json", "bad-median-string.json",
              DIR "bad-median-string.json:8:40: cases[0].metrics.throughput_mib_s.median: "
                  "expected a number, got a string\n");
    bad_input("base.json", "bad-n-negative.json",
              DIR "bad-n-negative.json:8:76: cases[0].metrics.throughput_mib_s.n: expected a "
                  "count (an integer >= 1), got -3\n");
    bad_input("base.json", "bad-duplicate-id.json",
              DIR "bad-duplicate-id.json:6:12: cases[2].id: duplicate case id "
                  "\"cert/expired/openssl-vs-openssl\" (first at cases[0])\n");
    bad_input("base.json", "bad-status.json",
              DIR "bad-status.json:4:57: cases[0].status: unknown status \"passed\" (expected "
                  "pass, fail, xfail, xpass, skip or error)\n");
    bad_input("base.json", "bad-metrics-array.json",
              DIR "bad-metrics-array.json:4:78: cases[0].metrics: expected an object (name: "
                  "{median, min, max, n, unit}), got an array\n");
    bad_input("base.json", "bad-backends.json",
              DIR "bad-backends.json:5:5: backends[1]: missing \"name\"\n");
    bad_input("base.json", "bad-duplicate-key.json",
              DIR "bad-duplicate-key.json:4:9: duplicate object key near '\"cases\"'\n");
    /* BASE is read as strictly, and both files report */
    bad_input("bad-schema-v2.json", "bad-empty.json",
              DIR "bad-schema-v2.json:2:13: schema: tlsharness.results/2 is not supported: this "
                  "tlsharness reads tlsharness.results/1\n" DIR
                  "bad-empty.json:1:1: empty file: expected a results JSON object\n");
}

/* A document against a good one: exit 2 and the message about it. */
static void bad_text(const char *text, size_t len, const char *want, const char *what)
{
    static const char good[] = "{\"schema\": \"tlsharness.results/1\", \"cases\": []}";
    struct res r = {0};
    FILE *out = open_memstream(&r.out, &r.outlen), *err = open_memstream(&r.err, &r.errlen);
    r.rc = th_compare_texts("B", good, strlen(good), "N", text, len, NULL, out, err);
    fclose(out);
    fclose(err);
    is_int(r.rc, 2, "%s: exit 2", what);
    is_str(r.err, want, "%s: the message", what);
    res_free(&r);
}

#define BAD_TEXT(t, want, what) bad_text(t, sizeof(t) - 1, want, what)
#define DOC(rest) "{\"schema\": \"tlsharness.results/1\"" rest "}"

static void test_bad_texts(void)
{
    BAD_TEXT("\0\0", "N:1:1: '[' or '{' expected near end of file\n", "NUL bytes are not blank");
    BAD_TEXT(" \n\t ", "N:1:1: empty file: expected a results JSON object\n", "only whitespace");
    BAD_TEXT("{\"schema\": \"tlsharness.results/1.x\", \"cases\": []}",
             "N:1:12: schema: \"tlsharness.results/1.x\" is not a tlsharness results schema "
             "(expected tlsharness.results/1)\n",
             "schema 1.x");
    BAD_TEXT("{\"schema\": \"tlsharness.results/\", \"cases\": []}",
             "N:1:12: schema: \"tlsharness.results/\" is not a tlsharness results schema "
             "(expected tlsharness.results/1)\n",
             "schema without a version");
    BAD_TEXT("{\"schema\": 1, \"cases\": []}", "N:1:12: schema: expected a string, got a number\n",
             "schema a number");
    BAD_TEXT(DOC(""), "N:1:1: missing \"cases\"\n", "no cases");
    BAD_TEXT(DOC(", \"cases\": [7]"), "N:1:46: cases[0]: expected a case object, got a number\n",
             "a case that is a number");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"\", \"status\": \"pass\"}]"),
             "N:1:53: cases[0].id: the case id is empty\n", "empty id");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": 3, \"status\": \"pass\"}]"),
             "N:1:53: cases[0].id: expected a string, got a number\n", "id a number");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\"}]"), "N:1:46: cases[0]: missing \"status\"\n",
             "no status");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"reason\": []}]"),
             "N:1:86: cases[0].reason: expected a string, got an array\n", "reason an array");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"metrics\": {\"m\": 1}}]"),
             "N:1:93: cases[0].metrics.m: expected an object {median, min, max, n, unit}, got a "
             "number\n",
             "metric a number");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"metrics\": {\"m\": {}}}]"),
             "N:1:93: cases[0].metrics.m: missing \"median\"\n", "metric without a median");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"metrics\": {\"m\": "
                 "{\"median\": 1, \"n\": 1.5}}}]"),
             "N:1:112: cases[0].metrics.m.n: expected a count, got a number\n", "n not an integer");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"metrics\": {\"m\": "
                 "{\"median\": 1, \"unit\": 5}}}]"),
             "N:1:115: cases[0].metrics.m.unit: expected a string, got a number\n",
             "unit a number");
    BAD_TEXT(DOC(", \"environment\": [], \"cases\": []"),
             "N:1:51: environment: expected an object, got an array\n", "environment an array");
    BAD_TEXT(DOC(", \"backends\": {}, \"cases\": []"),
             "N:1:48: backends: expected an array of {name, version}, got an object\n",
             "backends an object");
}

/* ---- the gate: NEW must hold what BASE has ---- */

/* A results document with these cases ("id:status" each, or "" for none). */
static char *cases_doc(const char *top, const char *const *ids, size_t n)
{
    char *cases = th_xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *t = th_xasprintf("%s%s{\"id\": \"%s\", \"status\": \"pass\"}", cases, i ? ", " : "",
                               ids[i]);
        free(cases);
        cases = t;
    }
    char *d = th_xasprintf("{\"schema\": \"tlsharness.results/1\"%s, \"cases\": [%s]}", top, cases);
    free(cases);
    return d;
}

static struct res gate(const char *b, const char *n, int allow_missing, int json)
{
    struct res r = {0};
    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    FILE *out = open_memstream(&r.out, &r.outlen), *err = open_memstream(&r.err, &r.errlen);
    o.allow_missing = allow_missing;
    o.json = json;
    r.rc = th_compare_texts("B", b, strlen(b), "N", n, strlen(n), &o, out, err);
    fclose(out);
    fclose(err);
    return r;
}

/* The same verdict with and without --allow-missing, and the line saying why. */
static void gate_fails_always(const char *b, const char *n, const char *line, const char *what)
{
    for (int allow = 0; allow <= 1; allow++) {
        struct res r = gate(b, n, allow, 0);
        is_int(r.rc, 1, "%s%s: exit 1", what, allow ? " (--allow-missing)" : "");
        ok(has(r.out, line), "%s%s: says why", what, allow ? " (--allow-missing)" : "");
        ok(ends(r.out, "incomplete\n"), "%s: the verdict line", what);
        is_int(r.errlen, 0, "%s: not bad input", what);
        res_free(&r);
    }
}

static void test_gate(void)
{
    static const char *const all[] = {"a", "b", "c", "d"}, *const odd[] = {"a", "c"},
                             *const even[] = {"b", "d"};
    char *full = cases_doc("", all, 4), *empty = cases_doc("", NULL, 0);
    char *stopped = cases_doc(", \"interrupted\": true", all, 4);
    char *s1 = cases_doc("", odd, 2), *s2 = cases_doc("", even, 2);

    gate_fails_always(full, empty, "incomplete: NEW has no cases: nothing was compared\n",
                      "an empty NEW");
    gate_fails_always(empty, empty, "incomplete: NEW has no cases", "both empty");
    gate_fails_always(empty, full, "incomplete: BASE has no cases: nothing was compared\n",
                      "an empty BASE");
    gate_fails_always(full, stopped, "incomplete: NEW was interrupted: the run stopped before",
                      "an interrupted NEW with every case");
    gate_fails_always(stopped, stopped, "incomplete: NEW was interrupted",
                      "an interrupted file against itself");
    gate_fails_always(s1, s2,
                      "incomplete: NEW has none of BASE's 2 cases (another shard, filter or "
                      "scenario set?): nothing was compared\n",
                      "a disjoint shard");

    struct res r = gate(full, s1, 0, 0);
    is_int(r.rc, 1, "one shard of two against the whole run: exit 1");
    ok(has(r.out, "incomplete: NEW lacks 2 of BASE's 4 cases (--allow-missing gates on the cases "
                  "both have): b, d\n"),
       "shard: which cases, and how many");
    ok(has(r.out, "; 2 of 4 cases compared\n"), "shard: the summary counts what was compared");
    res_free(&r);
    r = gate(full, s1, 1, 0);
    is_int(r.rc, 0, "--allow-missing: the shard gates on the cases it has");
    ok(has(r.out, "note: NEW lacks 2 of BASE's 4 cases (not gated: --allow-missing): b, d\n"),
       "--allow-missing: the missing cases are still reported");
    res_free(&r);
    r = gate(s1, full, 0, 0);
    is_int(r.rc, 0, "NEW with more cases than BASE: exit 0");
    ok(has(r.out, "note: NEW has 2 cases BASE lacks (not gated): b, d\n"), "extra cases: a note");
    res_free(&r);
    r = gate(stopped, full, 0, 0);
    is_int(r.rc, 0, "an interrupted BASE: no failure of NEW's");
    ok(has(r.out, "warning: BASE was interrupted: the cases it lacks are not gated\n"),
       "an interrupted BASE: a warning");
    res_free(&r);

    /* many missing: a few ids, the count, and the order of BASE */
    static const char *const many[] = {"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"};
    char *big = cases_doc("", many, 8), *one = cases_doc("", many + 7, 1);
    r = gate(big, one, 0, 0);
    ok(has(r.out, "NEW lacks 7 of BASE's 8 cases (--allow-missing gates on the cases both have): "
                  "m1, m2, m3, m4, m5, ...\n"),
       "many missing: five ids and the count");
    ok(!strstr(r.out, "m6"), "many missing: not every id");
    res_free(&r);

    /* a regression and missing cases: both said */
    char *b2 = th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"a\", "
                            "\"status\": \"pass\"}, {\"id\": \"b\", \"status\": \"pass\"}]}");
    char *n2 = th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"a\", "
                            "\"status\": \"fail\"}]}");
    r = gate(b2, n2, 0, 0);
    is_int(r.rc, 1, "a regression and a missing case: exit 1");
    ok(ends(r.out, "regression, incomplete\n"), "both: the verdict line says both");
    res_free(&r);

    r = gate(full, s1, 0, 1);
    json_t *doc = json_loadb(r.out, r.outlen, 0, NULL);
    is_int(json_integer_value(json_object_get(doc, "exit_status")), 1, "json: exit_status");
    is_int(json_integer_value(json_object_get(doc, "cases_compared")), 2, "json: cases_compared");
    is_int(json_integer_value(json_object_get(doc, "cases_missing")), 2, "json: cases_missing");
    is_int(json_integer_value(json_object_get(doc, "regressions")), 0,
           "json: missing cases are not regressions");
    is_int(json_array_size(json_object_get(doc, "incomplete")), 1, "json: incomplete[] says why");
    ok(json_is_false(json_object_get(doc, "allow_missing")), "json: allow_missing");
    json_decref(doc);
    res_free(&r);
    r = gate(s1, stopped, 1, 1);
    doc = json_loadb(r.out, r.outlen, 0, NULL);
    ok(json_is_true(json_object_get(doc, "new_interrupted")), "json: new_interrupted");
    is_int(json_integer_value(json_object_get(doc, "cases_only_in_new")), 2,
           "json: cases_only_in_new");
    is_int(json_array_size(json_object_get(doc, "notes")), 1, "json: notes[]");
    json_decref(doc);
    res_free(&r);

    /* the HTML report draws the same verdict */
    char *html = NULL;
    size_t hlen = 0;
    struct th_error e;
    FILE *hf = open_memstream(&html, &hlen);
    int hrc = th_report_html_texts(hf, "N", s1, strlen(s1), "B", full, strlen(full), &e);
    fclose(hf);
    ok(hrc == 0 && strstr(html, ">INCOMPLETE<") && strstr(html, "NEW lacks 2 of BASE") &&
           strstr(html, "exits 1."),
       "the HTML report: incomplete, why, and exit 1");
    free(html);

    free(full), free(empty), free(stopped), free(s1), free(s2), free(big), free(one), free(b2);
    free(n2);
}

/* ---- text from the files reaches the terminal escaped ---- */

static int no_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
            return 0;
    return 1;
}

static void test_escaped(void)
{
    const char *b = "{\"schema\": \"tlsharness.results/1\", \"environment\": {\"cpu_model\": "
                    "\"x\\u001b[2J\"}, \"cases\": [{\"id\": \"c\", \"status\": \"pass\"}, {\"id\": "
                    "\"gone\\u001b]0;t\\u0007\\nx\", \"status\": \"pass\"}, {\"id\": \"m\", "
                    "\"status\": \"pass\", \"metrics\": {\"z\\u001b[5m\": {\"median\": 1}}}]}";
    const char *n =
        "{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"c\", \"status\": "
        "\"fail\", \"reason\": \"bad status line 'HTTP/9.9 999 \\u001b]0;pwned\\u0007"
        "\\u001b[2J'\"}, {\"id\": \"m\", \"status\": \"pass\", \"metrics\": "
        "{\"z\\u001b[5m\": {\"median\": 2}}}]}";
    struct res r = gate(b, n, 0, 0);
    is_int(r.rc, 1, "escapes: the verdict stands");
    ok(no_control(r.out, r.outlen), "escapes: no control byte on out");
    ok(has(r.out, "c: case regressed: pass → fail: bad status line 'HTTP/9.9 999 "
                  "\\x1b]0;pwned\\x07\\x1b[2J'\n"),
       "a reason with ESC and BEL: printed escaped");
    ok(has(r.out, "): gone\\x1b]0;t\\x07\\nx\n"), "an id with ESC and a newline: one escaped line");
    ok(has(r.out, "m z\\x1b[5m: 1 → 2"), "a metric name with ESC: escaped");
    ok(has(r.out, "warning: cpu_model differs: x\\x1b[2J → (unknown)"), "an environment value");
    res_free(&r);
    r = gate(b, n, 0, 1);
    ok(no_control(r.out, r.outlen), "escapes: --json has no control byte either");
    res_free(&r);

    /* bad input quoting the file: one line, escaped */
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\", \"status\": \"\\u001b[31mpassed\\n\"}]"),
             "N:1:68: cases[0].status: unknown status \"\\x1b[31mpassed\\n\" (expected pass, fail, "
             "xfail, xpass, skip or error)\n",
             "a status with ESC and a newline");
    BAD_TEXT("{\"a\": 1\x1b}", "N:1:8: '}' expected near '\\x1b'\n", "jansson's near text");
    BAD_TEXT(DOC(", \"cases\": [{\"id\": \"c\\nd\", \"status\": \"pass\"}, {\"id\": \"c\\nd\", "
                 "\"status\": \"pass\"}]"),
             "N:1:87: cases[1].id: duplicate case id \"c\\nd\" (first at cases[0])\n",
             "a duplicate id with a newline");
}

static void test_fuzz_replay(void)
{
    glob_t g;
    ok(glob(DIR "*.json", 0, NULL, &g) == 0 && g.gl_pathc >= 20, "the results corpus is there");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        size_t len = 0;
        char *text = th_read_file(g.gl_pathv[i], &len);
        ok(text && LLVMFuzzerTestOneInput((const uint8_t *)text, len) == 0, "fuzz replay: %s",
           g.gl_pathv[i]);
        free(text);
    }
    globfree(&g);
}

int main(void)
{
    test_identical();
    test_throughput();
    test_latency();
    test_threshold_override();
    test_case_status();
    test_environment();
    test_not_compared();
    test_json();
    test_backend_sets();
    test_statuses();
    test_directions();
    test_values();
    test_bad();
    test_bad_texts();
    test_gate();
    test_escaped();
    test_fuzz_replay();
    return done_testing();
}
