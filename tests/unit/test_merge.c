/* Merging shard results. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/report/merge.h"
#include "harness/vocab/util.h"
#include "tap.h"

static char dir[] = "/tmp/th-merge-XXXXXX";

/* A results file: top is more top-level members (", \"k\": v"). */
static char *shard_at(const char *name, const char *top, const char *cases, const char *start,
                      const char *cpu)
{
    char *path = th_xasprintf("%s/%s", dir, name);
    char *text = th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"generator\": \"t\",\n"
                              " \"started_at\": \"%s\", \"finished_at\": \"%s\",\n"
                              " \"environment\": {\"cpu_model\": \"%s\"}, \"backends\": [],\n"
                              " \"cases\": [%s], \"summary\": {\"total\": 9, \"pass\": 7}%s}\n",
                              start, start, cpu, cases, top);
    if (th_write_file_atomic(path, text, strlen(text)) != 0)
        printf("Bail out! cannot write %s\n", path);
    free(text);
    return path;
}

static char *shard(const char *name, const char *cases, const char *start, const char *cpu)
{
    return shard_at(name, "", cases, start, cpu);
}

static char *shard_top(const char *name, const char *top, const char *cases, const char *cpu)
{
    return shard_at(name, top, cases, "2026-01-01T10:00:00Z", cpu);
}

/* An output path that cannot take a file is refused before anything is read. */
static void test_output(const char *const *ab)
{
    struct th_error err;
    char *fifo = th_xasprintf("%s/fifo", dir);
    struct stat st;
    ok(mkfifo(fifo, 0600) == 0, "a FIFO to write to");
    ok(th_merge_files(fifo, ab, 2, stdout, &err) == -1 && th_error_exit_status(&err) == 2 &&
           strstr(err.text, "fifo") && strstr(err.text, "not a regular file"),
       "merge to a FIFO: refused, exit 2 (%s)", err.text);
    ok(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "and the FIFO is still one");
    free(fifo);
}

/* Any input interrupted: the merge is, so compare sees it; none: the key is gone. */
static void test_interrupted(const char *a, const char *b)
{
    struct th_error err;
    char *stopped = shard_top("stopped.json", ", \"interrupted\": true",
                              "{\"id\": \"y/1\", \"status\": \"pass\"}", "cpu A");
    char *done = shard_top("done.json", ", \"interrupted\": false",
                           "{\"id\": \"y/2\", \"status\": \"pass\"}", "cpu A");
    char *out = th_xasprintf("%s/int.json", dir);
    const char *in1[] = {a, stopped, b}, *in2[] = {a, done};
    is_int(th_merge_files(out, in1, 3, stdout, &err), 0, "merge with an interrupted shard");
    json_t *m = json_load_file(out, 0, NULL);
    ok(json_is_true(json_object_get(m, "interrupted")), "the merge is interrupted");
    is_int(json_integer_value(json_object_get(m, "merged_from")), 3, "merged_from 3");
    json_decref(m);
    is_int(th_merge_files(out, in2, 2, stdout, &err), 0, "merge with none interrupted");
    m = json_load_file(out, 0, NULL);
    ok(!json_object_get(m, "interrupted"), "the merge is not interrupted");
    json_decref(m);
    /* a merge of merges counts every shard file */
    const char *in3[] = {out, stopped};
    char *out2 = th_xasprintf("%s/int2.json", dir);
    is_int(th_merge_files(out2, in3, 2, stdout, &err), 0, "a merge of a merge");
    m = json_load_file(out2, 0, NULL);
    is_int(json_integer_value(json_object_get(m, "merged_from")), 3, "merged_from adds up");
    ok(json_is_true(json_object_get(m, "interrupted")), "interrupted carries through");
    json_decref(m);
    free(stopped), free(done), free(out), free(out2);
}

/* Each kind of bad case content: exit 2 at FILE:LINE:COL, and the output untouched. */
static void test_bad_cases(const char *a, const char *out)
{
    /* the cases, where in them the fault is, and what is said about it */
    static const struct {
        const char *cases, *at, *want;
    } bad[] = {
        {"{\"id\": \"z\", \"status\": \"exploded\"}", "\"exploded\"",
         "cases[0].status: unknown status \"exploded\""},
        {"{\"id\": \"z\"}", "{", "cases[0]: missing \"status\""},
        {"{\"id\": \"z\", \"status\": \"pass\", \"metrics\": {\"t\": {\"median\": \"1\"}}}",
         "\"1\"", "cases[0].metrics.t.median: expected a number, got a string"},
        {"{\"id\": \"z\", \"status\": \"pass\", \"metrics\": {\"t\": {\"median\": 1, \"n\": -1}}}",
         "-1", "cases[0].metrics.t.n: expected a count (an integer >= 1), got -1"},
        {"{\"id\": \"z\", \"status\": \"pass\", \"metrics\": []}", "[]",
         "cases[0].metrics: expected an object"},
        {"{\"id\": \"z\", \"status\": \"pass\", \"metrics\": {\"t\": [1]}}", "[1]",
         "cases[0].metrics.t: expected an object {median, min, max, n, unit}"},
        {"{\"id\": \"z\", \"status\": \"pass\"}, {\"id\": \"z\", \"status\": \"fail\"}",
         "\"z\", \"status\": \"fail", "cases[1].id: duplicate case id \"z\" (first at cases[0])"},
        {"{\"id\": \"z\", \"status\": \"pass\", \"duration_s\": \"2\"}", "\"2\"",
         "cases[0].duration_s: expected a number, got a string"},
        {"7", "7", "cases[0]: expected a case object, got a number"},
    };
    struct th_error err;
    size_t before = 0, after = 0;
    char *was = th_read_file(out, &before);
    for (size_t i = 0; i < TH_ARRAY_LEN(bad); i++) {
        char *f = shard("badcase.json", bad[i].cases, "2026-01-01T10:00:00Z", "cpu A");
        const char *in[] = {a, f};
        /* line 4 of the file is ` "cases": [CASES], ...` */
        char *want =
            th_xasprintf("%s:4:%d: %s", f,
                         12 + (int)(strstr(bad[i].cases, bad[i].at) - bad[i].cases), bad[i].want);
        int rc = th_merge_files(out, in, 2, stdout, &err);
        ok(rc == -1 && th_error_exit_status(&err) == 2 && !strncmp(err.text, want, strlen(want)),
           "bad case %zu: exit 2, %s (%s)", i, want, err.text);
        free(f);
        free(want);
    }
    char *now = th_read_file(out, &after);
    ok(was && now && before == after && !memcmp(was, now, before), "the output is untouched");
    free(was), free(now);
}

/* The summary is counted from the cases, whatever the inputs say. */
static void test_recount(const char *a)
{
    struct th_error err;
    char *lying = shard_top("lying.json", "",
                            "{\"id\": \"w/1\", \"status\": \"error\"}, {\"id\": \"w/2\", "
                            "\"status\": \"xpass\"}",
                            "cpu A");
    char *out = th_xasprintf("%s/recount.json", dir);
    const char *in[] = {lying, a};
    is_int(th_merge_files(out, in, 2, stdout, &err), 0, "a shard whose summary is wrong");
    json_t *m = json_load_file(out, 0, NULL), *s = json_object_get(m, "summary");
    long long sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach(s, key, v) if (strcmp(key, "total") != 0) sum += json_integer_value(v);
    ok(json_integer_value(json_object_get(s, "total")) == 4 && sum == 4 &&
           json_integer_value(json_object_get(s, "error")) == 1 &&
           json_integer_value(json_object_get(s, "xpass")) == 1 &&
           json_integer_value(json_object_get(s, "pass")) == 1,
       "the summary is recounted: total 4, the statuses add up to it");
    json_decref(m);
    free(lying), free(out);
}

int main(void)
{
    if (!mkdtemp(dir))
        return printf("Bail out! mkdtemp\n"), 1;
    char *a =
        shard("a.json",
              "{\"id\": \"x/1\", \"status\": \"pass\"}, {\"id\": \"x/2\", \"status\": \"fail\"}",
              "2026-01-01T10:00:00Z", "cpu A");
    char *b =
        shard("b.json", "{\"id\": \"x/3\", \"status\": \"skip\"}", "2026-01-01T09:00:00Z", "cpu A");
    char *c =
        shard("c.json", "{\"id\": \"x/2\", \"status\": \"pass\"}", "2026-01-01T11:00:00Z", "cpu B");
    char *out = th_xasprintf("%s/out.json", dir);
    const char *ab[] = {a, b};
    FILE *warn = tmpfile();
    struct th_error err;
    is_int(th_merge_files(out, ab, 2, warn, &err), 0, "two shards merge");
    json_t *m = json_load_file(out, 0, NULL);
    is_int(json_array_size(json_object_get(m, "cases")), 3, "every case of both");
    json_t *s = json_object_get(m, "summary");
    ok(json_integer_value(json_object_get(s, "total")) == 3 &&
           json_integer_value(json_object_get(s, "pass")) == 1 &&
           json_integer_value(json_object_get(s, "fail")) == 1 &&
           json_integer_value(json_object_get(s, "skip")) == 1,
       "the summary is counted again");
    is_str(json_string_value(json_object_get(m, "started_at")), "2026-01-01T09:00:00Z",
           "the earliest start");
    is_str(json_string_value(json_object_get(m, "finished_at")), "2026-01-01T10:00:00Z",
           "the latest end");
    json_decref(m);

    const char *ac[] = {a, c};
    rewind(warn);
    ok(th_merge_files(out, ac, 2, warn, &err) == -1 && th_error_exit_status(&err) == 2,
       "overlapping shards: bad input, exit 2");
    char buf[1024] = "";
    rewind(warn);
    size_t n = fread(buf, 1, sizeof(buf) - 1, warn);
    buf[n] = '\0';
    ok(strstr(err.text, "x/2 is already in") != NULL, "names the case that is twice");
    char *where = th_xasprintf("%s:4:12: cases[0]: case x/2", c);
    ok(strncmp(err.text, where, strlen(where)) == 0, "at FILE:LINE:COL of the case: %s", err.text);
    free(where);
    ok(strstr(buf, "cpu_model differs") != NULL, "warns that the shards ran on different CPUs");
    ok(strstr(buf, "kernel differs") == NULL, "a value both lack is no difference");

    char *bad = th_xasprintf("%s/bad.json", dir);
    if (th_write_file_atomic(bad, "{\"schema\": \"x\"}", 15) != 0)
        printf("Bail out! cannot write\n");
    const char *abad[] = {a, bad};
    ok(th_merge_files(out, abad, 2, warn, &err) == -1 && err.input &&
           strstr(err.text, "bad.json:1:12: schema: \"x\" is not a tlsharness results schema"),
       "a file that is not a results file: bad input at its schema (%s)", err.text);
    char *broken = th_xasprintf("%s/broken.json", dir);
    if (th_write_file_atomic(broken, "{\n  \"schema\": ,\n}", 18) != 0)
        printf("Bail out! cannot write\n");
    const char *abroken[] = {broken};
    ok(th_merge_files(out, abroken, 1, warn, &err) == -1 && err.input &&
           strstr(err.text, "broken.json:2:13: "),
       "not JSON: bad input at jansson's FILE:LINE:COL (%s)", err.text);
    char *missing = th_xasprintf("%s/none.json", dir);
    const char *amiss[] = {missing};
    ok(th_merge_files(out, amiss, 1, warn, &err) == -1 && th_error_exit_status(&err) == 2 &&
           strstr(err.text, "none.json: cannot read: No such file or directory") &&
           !strstr(err.text, ":-1"),
       "a missing file: exit 2, said plainly (%s)", err.text);
    ok(th_merge_files(out, NULL, 0, warn, &err) == -1 && err.input, "no files: bad input");
    char *noid = shard("noid.json", "{\"status\": \"pass\"}", "2026-01-01T10:00:00Z", "cpu A");
    const char *anoid[] = {noid};
    ok(th_merge_files(out, anoid, 1, warn, &err) == -1 && err.input &&
           strstr(err.text, "noid.json:4:12: cases[0]: missing \"id\""),
       "a case without an id: bad input (%s)", err.text);
    ok(access(out, F_OK) == 0, "the earlier good output is still there");
    char *under = th_xasprintf("%s/a.json/out.json", dir);
    ok(th_merge_files(under, ab, 2, warn, &err) == -1 && err.input &&
           th_error_exit_status(&err) == 2 && strstr(err.text, "a.json/out.json"),
       "an output that cannot be written: bad usage, exit 2 (%s)", err.text);
    test_output(ab);
    test_interrupted(a, b);
    test_bad_cases(a, out);
    test_recount(a);

    fclose(warn);
    char *cmd = th_xasprintf("rm -rf %s", dir);
    ok(system(cmd) == 0, "cleanup");
    free(cmd), free(a), free(b), free(c), free(out), free(bad), free(missing), free(under);
    free(broken), free(noid);
    return done_testing();
}
