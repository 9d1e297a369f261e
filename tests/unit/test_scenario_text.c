/* th_plan_read_text: one scenario held in memory, as `tlsharness load` builds it.
 * The cases carry the name given as their file; a relative path starts from the
 * current folder; errors name the text by that name, with line and column; the
 * backend list is checked as for files; nothing is read past len. */
#include "scenario_helpers.h"

static const char load_json[] =
    "{\"name\": \"load/keepalive\", \"kind\": \"load\", \"clients\": [\"full\"],\n"
    " \"servers\": [\"https://127.0.0.1:4433\"], \"client\": {\"ca\": \"ca.pem\"},\n"
    " \"load\": {\"requests\": 10, \"connections\": 2, \"path\": \"/bytes/10\"}}";

static int read_mem(struct th_plan *p, const char *text, size_t len, const char *backends,
                    struct diags *ds)
{
    struct th_read_opts o = {backends, NULL, reg};
    memset(p, 0, sizeof *p);
    memset(ds, 0, sizeof *ds);
    return th_plan_read_text(p, "(command line)", text, len, &o, collect, ds);
}

static void test_good(void)
{
    struct th_plan p;
    struct diags ds;
    char cwd[PATH_MAX], want[PATH_MAX + 16];
    if (!getcwd(cwd, sizeof cwd) || chdir(tmp) != 0) {
        ok(0, "into the temporary folder");
        return;
    }
    tmp_file("ca.pem", "not read here\n");
    int rc = read_mem(&p, load_json, strlen(load_json), NULL, &ds);
    is_int(rc, 0, "a good scenario text reads");
    if (ds.n)
        printf("#   %s:%d:%d: %s\n", ds.d[0].file, ds.d[0].line, ds.d[0].col, ds.d[0].msg);
    if (ok(p.n == 1, "one case")) {
        const struct th_case *k = &p.cases[0];
        is_str(k->id, "load/keepalive/full-vs-127.0.0.1:4433", "its id");
        is_str(k->file, "(command line)", "its file is the name given");
        is_str(k->target_host, "127.0.0.1", "the target's host");
        is_int(k->target_port, 4433, "the target's port");
        ok(k->load.requests == 10 && k->load.connections == 2, "the load block");
        is_int(k->load.max_seconds, 0, "max_seconds: the kind's default");
        char real[PATH_MAX];
        snprintf(want, sizeof want, "%s/ca.pem", realpath(".", real) ? real : tmp);
        is_str(k->c.ca, want, "a relative path starts from the current folder");
    }
    th_plan_free(&p);

    rc = read_mem(&p, load_json, strlen(load_json), NULL, &ds);
    is_int(rc, 0, "read twice: a name is not a duplicate of the previous call's");
    th_plan_free(&p);
    if (chdir(cwd) != 0)
        ok(0, "back to the first folder");
}

static void test_bad(void)
{
    struct th_plan p;
    struct diags ds;
    static const char bad[] = "{\"name\": \"load/x\", \"kind\": \"load\",\n"
                              " \"load\": {\"connections\": 0}}";
    int rc = read_mem(&p, bad, strlen(bad), NULL, &ds);
    ok(rc > 0, "an out-of-range value is an error");
    is_int(p.n, 0, "and no case");
    if (ds.n) {
        is_str(ds.d[0].file, "(command line)", "the error names the text by its name");
        is_int(ds.d[0].line, 2, "on line 2");
        ok(contains(ds.d[0].msg, "load.connections"), "at its path: %s", ds.d[0].msg);
    }
    th_plan_free(&p);

    rc = read_mem(&p, load_json, strlen(load_json), "nosuch", &ds);
    ok(rc > 0 && ds.n >= 1 && contains(ds.d[0].msg, "unknown backend 'nosuch'"),
       "-b names are checked as for files");
    th_plan_free(&p);

    /* the same text cut short: len is honoured, nothing read past it */
    rc = read_mem(&p, load_json, 20, NULL, &ds);
    ok(rc > 0 && p.n == 0, "a text cut at len is incomplete JSON");
    th_plan_free(&p);

    rc = read_mem(&p, "  \n", 3, NULL, &ds);
    ok(rc == 1 && ds.n == 1 && contains(ds.d[0].msg, "empty"), "a blank text is an error");
    th_plan_free(&p);
}

int main(void)
{
    if (tmp_setup("test_scenario_text") < 0)
        return 1;
    test_good();
    test_bad();
    tmp_cleanup();
    return done_testing();
}
