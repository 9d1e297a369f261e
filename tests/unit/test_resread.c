/* The results reader compare, merge and the HTML report share: what it accepts, what
 * it refuses (one line, FILE:LINE:COL, escaped), and what it hands the callers. */
#include "harness/report/resread.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/vocab/util.h"
#include "resread_check.h"
#include "tap.h"

#define HEAD "{\"schema\": \"tlsharness.results/1\""
#define CASE(rest) HEAD ", \"cases\": [{\"id\": \"c\", \"status\": \"pass\"" rest "}]}"
#define METRIC(m) CASE(", \"metrics\": {\"t\": " m "}")

static void test_refused(void)
{
    refused(METRIC("{\"median\": 1, \"n\": 0}"), "0}",
            "cases[0].metrics.t.n: expected a count (an integer >= 1), got 0", "n = 0");
    refused(METRIC("{\"median\": 1, \"n\": -1}"), "-1}",
            "cases[0].metrics.t.n: expected a count (an integer >= 1), got -1", "n = -1");
    refused(METRIC("{\"median\": 1, \"n\": \"5\"}"), "\"5\"",
            "cases[0].metrics.t.n: expected a count, got a string", "n a string");
    refused(METRIC("{\"median\": \"fast\"}"), "\"fast\"",
            "cases[0].metrics.t.median: expected a number, got a string", "a string median");
    refused(METRIC("{\"median\": 1, \"min\": []}"), "[]",
            "cases[0].metrics.t.min: expected a number, got an array", "min an array");
    refused(METRIC("[1, 2]"), "[1, 2]",
            "cases[0].metrics.t: expected an object {median, min, max, n, unit}, got an array",
            "a metric as an array");
    refused(CASE(", \"metrics\": [1]"), "[1]",
            "cases[0].metrics: expected an object (name: {median, min, max, n, unit}), got an "
            "array",
            "metrics as an array");
    refused(HEAD ", \"cases\": [{\"id\": \"c\", \"status\": \"exploded\"}]}", "\"exploded\"",
            "cases[0].status: unknown status \"exploded\" (expected pass, fail, xfail, xpass, "
            "skip or error)",
            "an unknown status");
    refused(HEAD ", \"cases\": [{\"id\": \"c\"}]}", "{\"id\"", "cases[0]: missing \"status\"",
            "no status");
    refused(HEAD ", \"cases\": [{\"id\": null, \"status\": \"pass\"}]}", "null",
            "cases[0].id: expected a string, got null", "a null id");
    refused(CASE(", \"kind\": 3"), "3}", "cases[0].kind: expected a string, got a number",
            "kind a number");
    refused(CASE(", \"duration_s\": \"1s\""), "\"1s\"",
            "cases[0].duration_s: expected a number, got a string", "duration a string");
    refused(CASE(", \"observed\": []"), "[]}",
            "cases[0].observed: expected an object, got an array", "observed an array");
    refused(HEAD ", \"interrupted\": \"yes\", \"cases\": []}", "\"yes\"",
            "interrupted: expected true or false, got a string", "interrupted a string");
    refused(HEAD ", \"interrupted\": 1, \"cases\": []}", "1,",
            "interrupted: expected true or false, got a number", "interrupted a number");
    refused(HEAD ", \"merged_from\": 0, \"cases\": []}", "0,",
            "merged_from: expected a count of files (an integer >= 1)", "merged_from 0");
    refused(HEAD ", \"summary\": [], \"cases\": []}", "[]",
            "summary: expected an object, got an array", "summary an array");
    refused(HEAD ", \"started_at\": 5, \"cases\": []}", "5,",
            "started_at: expected a string, got a number", "started_at a number");

    struct th_res f;
    const char *dup = CASE(", \"status\": \"fail\"");
    ok(th_res_load(&f, "R", dup, strlen(dup)) == -1 && !strncmp(f.why, "R:1:", 4) &&
           strstr(f.why, "duplicate object key near '\"status\"'"),
       "a duplicate key: jansson's words at its place (%s)", f.why);
    th_res_free(&f);
}

static void test_accepted(void)
{
    accepted(METRIC("{\"median\": 2, \"min\": 1, \"max\": 3, \"n\": 3, \"unit\": \"ms\"}"),
             "a whole metric");
    accepted(METRIC("{\"median\": null, \"min\": null, \"max\": null, \"n\": 1, \"unit\": null}"),
             "nulls where nothing was measured");
    accepted(METRIC("{\"median\": 5}"), "a median alone");
    accepted(METRIC("{\"median\": 9, \"min\": 1, \"max\": 5, \"n\": 3}"),
             "a median outside min..max (a baseline edited by hand)");
    accepted(CASE(", \"metrics\": null, \"client\": null, \"reason\": null"), "null members");
    accepted(HEAD ", \"interrupted\": false, \"merged_from\": 3, \"summary\": {}, \"cases\": []}",
             "the run's members");
    accepted(HEAD ", \"cases\": [], \"extra\": {\"x\": [1]}}", "unknown top-level keys");

    struct th_res f;
    const char *t = HEAD ", \"interrupted\": true, \"cases\": [{\"id\": \"z\", \"status\": "
                         "\"fail\", \"reason\": \"r\"}, {\"id\": \"a\", \"status\": \"pass\", "
                         "\"metrics\": {\"m\": {\"median\": 4, \"min\": 3, \"max\": 6, \"n\": 2, "
                         "\"unit\": \"u\"}}}]}";
    ok(th_res_load(&f, "R", t, strlen(t)) == 0, "a file to look into");
    ok(f.interrupted, "interrupted: read");
    is_int(f.n, 2, "two cases");
    const struct th_res_case *a = th_res_find(&f, "a"), *z = th_res_find(&f, "z");
    ok(a && a->index == 1 && z && z->index == 0, "found by id");
    ok(!th_res_find(&f, "b"), "an id not there: NULL");
    is_str(z ? z->reason : NULL, "r", "the reason");
    struct th_res_metric m;
    th_res_metric(json_object_get(a->metrics, "m"), &m);
    ok(m.has_median && m.median == 4 && m.n == 2 && m.has_spread && !strcmp(m.unit, "u"),
       "the metric as judged");
    th_res_free(&f);
}

static void test_read(void)
{
    struct th_res f;
    ok(th_res_read(&f, "/nonexistent/r.json") == -1 &&
           !strcmp(f.why, "/nonexistent/r.json: cannot read: No such file or directory"),
       "a missing file: said plainly (%s)", f.why);
    th_res_free(&f);
    ok(th_res_read(&f, "tests") == -1 && !strncmp(f.why, "tests: cannot read: ", 20),
       "a folder: refused (%s)", f.why);
    th_res_free(&f);
    ok(th_res_read(&f, "tests/data/results/base.json") == 0 && f.n == 6, "a good file reads");
    th_res_free(&f);
}

int main(void)
{
    test_refused();
    test_accepted();
    test_read();
    return done_testing();
}
