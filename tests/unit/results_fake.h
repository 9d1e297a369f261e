/* Shared by the results writer's tests (test_results_mtls.c, test_results_ocsp.c,
 * test_results_hrr.c, test_results_early.c): a backend that is only a name, cases and
 * results filled in the way a run leaves them, and the round trip each test makes:
 * write the JSON and load it back, hand the file to the results reader, write the
 * JUnit text. The helpers are static inline so that a file need not use them all. */
#ifndef TH_RESULTS_FAKE_H
#define TH_RESULTS_FAKE_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/report/resread.h"
#include "harness/report/results.h"
#include "harness/vocab/util.h"
#include "tap.h"

/* The writer only names a backend and asks its version: nothing else need work. */
static inline void rf_fake_caps(struct th_caps *out)
{
    memset(out, 0, sizeof(*out));
    out->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
}

static inline const char *rf_fake_version(void)
{
    return "1.0";
}

static const struct th_backend rf_fake = {
    .name = "fake", .library = "Fake", .version = rf_fake_version, .caps = rf_fake_caps};

/* One results file with a single case whose member (observed, expected) is v, for
 * the reader's tests. */
#define RF_ONE(member, v)                                                                          \
    "{\"schema\": \"tlsharness.results/1\", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", "    \
    "\"" member "\": " v "}]}"

/* Case c of scenario file FAMILY.json, "FAMILY@name/fake-vs-fake", and its result r:
 * expecting ok with nothing else pinned, passed, ran. Not ours: against fixture:x,
 * which the harness does not see (no server, no server_seen). The case's strings are
 * the caller's to free (rf_free_cases). */
static inline struct th_observed *rf_case(struct th_case *c, struct th_case_result *r,
                                          const char *family, const char *name, int ours)
{
    memset(c, 0, sizeof(*c));
    c->id = th_xasprintf("%s@%s/fake-vs-%s", family, name, ours ? "fake" : "fixture:x");
    c->scenario = th_xasprintf("%s@%s", family, name);
    c->file = th_xasprintf("%s.json", family);
    c->line = 1;
    c->client = &rf_fake;
    c->server = ours ? &rf_fake : NULL;
    c->server_name = ours ? "fake" : "fixture:x";
    c->expect.outcomes = TH_OUTCOME_BIT(TH_OK);
    c->expect.resumed = c->expect.hrr = c->expect.early = c->expect.replay = -1;
    memset(r, 0, sizeof(*r));
    r->c = c;
    r->status = TH_PASS;
    r->obs.ran = 1;
    r->obs.server_seen = ours;
    return &r->obs;
}

static inline void rf_free_cases(struct th_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(cases[i].id);
        free(cases[i].scenario);
        free(cases[i].file);
    }
}

/* The files one run of the writer makes in a test's folder, and what it wrote. */
struct rf_out {
    struct th_run run;
    struct th_error err;
    char *json, *xml;
    json_t *doc;
};

/* Write the n results to dir/r.json and load it back: its "cases" when all n are
 * there, else NULL (the member checks would only fail again). Two checks. */
static inline json_t *rf_write_json(struct rf_out *o, const char *dir,
                                    struct th_case_result *results, size_t n)
{
    memset(o, 0, sizeof(*o));
    o->run = (struct th_run){
        .started_at = 1, .finished_at = 2, .generator = "t", .results = results, .n = n};
    o->json = th_xasprintf("%s/r.json", dir);
    o->xml = th_xasprintf("%s/r.xml", dir);
    is_int(th_results_write_json(o->json, &o->run, &o->err), 0, "JSON written (%s)", o->err.text);
    json_error_t je;
    o->doc = json_load_file(o->json, 0, &je);
    json_t *cs = json_object_get(o->doc, "cases");
    return ok(json_array_size(cs) == n, "all cases written") ? cs : NULL;
}

/* Done with the loaded document; the file must be what compare, merge and report
 * read back. One check. */
static inline void rf_reread(struct rf_out *o)
{
    json_decref(o->doc);
    o->doc = NULL;
    struct th_res f;
    ok(th_res_read(&f, o->json) == 0, "the results reader accepts it (%s)", f.why);
    th_res_free(&f);
}

/* Write the same run as JUnit to dir/r.xml: its text (the caller frees it), NULL when
 * unreadable. One check. */
static inline char *rf_write_junit(struct rf_out *o)
{
    is_int(th_results_write_junit(o->xml, &o->run, &o->err), 0, "JUnit written (%s)", o->err.text);
    return th_read_file(o->xml, NULL);
}

/* Write the same run as JUnit: its text must hold text (what: the check's name). Two
 * checks. */
static inline void rf_junit_says(struct rf_out *o, const char *text, const char *what)
{
    char *x = rf_write_junit(o);
    ok(x && strstr(x, text), "%s", what);
    free(x);
}

/* Remove the files (the folder stays the test's to remove). */
static inline void rf_done(struct rf_out *o)
{
    unlink(o->json);
    unlink(o->xml);
    free(o->json);
    free(o->xml);
}

/* A results test from start to end: its folder made from the template dir, the cases
 * built, the writer's and the reader's tests, all removed again. */
static inline int rf_main(char *dir, void (*build)(void), void (*test_write)(void),
                          void (*test_read)(void), struct th_case *cases, size_t n)
{
    if (!mkdtemp(dir))
        return 1;
    build();
    test_write();
    test_read();
    rmdir(dir);
    rf_free_cases(cases, n);
    return done_testing();
}

#endif
