/* The kinds' table: every kind has its entry, an unknown kind is an error status
 * and not a crash, and th_run_case goes through the table. */
#include "pairdrive.h"

#include "case_helpers.h"
#include "harness/kinds/kinds.h"

static void test_table(void)
{
    struct th_error err = {0};
    int k, all = 1;
    for (k = 0; strcmp(th_kind_name((enum th_kind)k), "unknown") != 0; k++) {
        const struct th_kind_entry *e = th_kind_entry((enum th_kind)k, &err);
        if (!e || !e->run) {
            all = 0;
            printf("#   no entry for %s: %s\n", th_kind_name((enum th_kind)k), err.text);
        }
    }
    ok(all && k == TH_KIND_LOAD + 1, "every one of the %d kinds has an entry", k);
    const struct th_kind_entry *hs = th_kind_entry(TH_KIND_HANDSHAKE, &err);
    ok(hs && !hs->make_ctxs, "handshake finds its server before it makes its contexts");
    const struct th_kind_entry *bulk = th_kind_entry(TH_KIND_BULK, &err);
    ok(bulk && bulk->make_ctxs, "bulk runs on contexts made for it");

    memset(&err, 0, sizeof(err));
    ok(th_kind_entry((enum th_kind)k, &err) == NULL, "negative: the kind after the last has none");
    ok(strstr(err.text, "kinds table") != NULL && err.file != NULL,
       "...a fault of the harness, at its place: %s", err.text);
    memset(&err, 0, sizeof(err));
    ok(th_kind_entry((enum th_kind) - 1, &err) == NULL && err.text[0], "negative: -1 has none");
    ok(th_kind_entry((enum th_kind)1000, &err) == NULL, "negative: 1000 has none");
}

static void test_run_case(const struct th_backend *b)
{
    struct th_runner_opts o = {.pki_dir = pkidir, .quick = 1};
    struct th_case_result r;

    struct th_case c = tc_case((enum th_kind)77, "t/unknown-kind", b, b);
    th_run_case(&c, &o, &r);
    ok(r.status == TH_ERROR && strstr(r.reason, "kinds table") != NULL,
       "an unknown kind is status error: %s", r.reason);
    ok(r.c == &c, "the result names its case");

    c = tc_case(TH_KIND_BULK, "t/skipped", b, b);
    c.skip = (char *)"openssl cannot do this";
    th_run_case(&c, &o, &r);
    ok(r.status == TH_SKIP && strcmp(r.reason, c.skip) == 0, "a skip keeps its reason");

    c = tc_case(TH_KIND_HANDSHAKE, "t/kinds/handshake", b, b);
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS && r.obs.ran && r.obs.have_neg, "a handshake case passes: %s", r.reason);
    ok(r.duration_s > 0, "and is timed (%.3f s)", r.duration_s);

    c = tc_case(TH_KIND_MEMORY, "t/kinds/memory", b, b);
    c.memory.connections = 10;
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS && tc_metric(&r, "bytes_per_connection"),
       "a memory case passes with its figure: %s", r.reason);

    c = tc_case(TH_KIND_INTEGRITY, "t/kinds/integrity", b, b);
    c.expect.outcomes = TH_OUTCOME_BIT(TH_BAD_RECORD_MAC);
    th_run_case(&c, &o, &r);
    ok(r.status == TH_PASS, "an integrity case (a bit flipped) passes: %s", r.reason);

    /* negative: the contexts cannot be made, whatever the kind */
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/gone.pem", pd_tmpdir);
    enum th_kind kinds[] = {TH_KIND_HANDSHAKE, TH_KIND_BULK, TH_KIND_HANDSHAKE_RATE};
    for (size_t i = 0; i < TH_ARRAY_LEN(kinds); i++) {
        c = tc_case(kinds[i], "t/kinds/missing", b, b);
        c.c.ca = missing;
        th_run_case(&c, &o, &r);
        ok(r.status == TH_ERROR && strstr(r.reason, "cannot resolve the case's files") &&
               strstr(r.reason, missing),
           "%s with a missing file: error: %s", th_kind_name(kinds[i]), r.reason);
    }

    /* negative: a fixture case in a run without a fixture pool */
    c = tc_case(TH_KIND_HANDSHAKE, "t/kinds/fixture", b, NULL);
    c.fixture = (const struct th_fixture_def *)&c; /* never read: there is no pool */
    c.server_name = (char *)"fixture:nginx";
    th_run_case(&c, &o, &r);
    ok(r.status == TH_ERROR && strstr(r.reason, "no fixture pool"), "no pool: error: %s", r.reason);
}

/* A client library that will not load its trust anchor: ctx_new fails with
 * anchor_unusable (as mbedTLS does for a root with name constraints). */
static int refuse_anchor(const struct th_tls_config *cfg, struct th_ctx **out, struct th_error *err)
{
    (void)cfg;
    *out = NULL;
    th_error_set(err, TH_ANCHOR_UNUSABLE, -0x2562, "X509 - The CRT/CRL/CSR format is invalid");
    return -1;
}

/* Such a refusal is the library's verdict on a certificate: the case is judged on it,
 * never status error, whatever the kind; the native code and text stay. */
static void test_anchor_unusable(const struct th_backend *b)
{
    struct th_backend fake = *b;
    fake.name = "fake-anchor";
    fake.ctx_new = refuse_anchor;
    struct th_runner_opts o = {.pki_dir = pkidir, .quick = 1};
    struct th_case_result r;
    enum th_kind kinds[] = {TH_KIND_HANDSHAKE, TH_KIND_BULK};
    for (size_t i = 0; i < TH_ARRAY_LEN(kinds); i++) {
        struct th_case c = tc_case(kinds[i], "t/kinds/anchor", &fake, b);
        c.expect.outcomes = TH_OUTCOME_BIT(TH_ANCHOR_UNUSABLE);
        th_run_case(&c, &o, &r);
        ok(r.status == TH_PASS && r.obs.outcome == TH_ANCHOR_UNUSABLE,
           "%s: a refused anchor is the outcome anchor_unusable: %s", th_kind_name(kinds[i]),
           r.reason);
        ok(r.obs.client_err.code == -0x2562 && strstr(r.obs.client_err.text, "format is invalid"),
           "%s: with the library's code and text", th_kind_name(kinds[i]));
        c.expect.outcomes = TH_OUTCOME_BIT(TH_OK);
        th_run_case(&c, &o, &r);
        ok(r.status == TH_FAIL && strstr(r.reason, "anchor_unusable"),
           "%s: expected ok, it fails (not error): %s", th_kind_name(kinds[i]), r.reason);
    }
}

int main(void)
{
    test_table();
    const struct th_backend *b = th_backend_find("openssl");
    if (!b) {
        skip(1, "no OpenSSL backend in this build");
        return done_testing();
    }
    if (pd_begin("kinds") == 0) {
        test_run_case(b);
        test_anchor_unusable(b);
    }
    return pd_end();
}
