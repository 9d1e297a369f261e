/* Merging shard results, and the --shard argument. */
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness/report/merge.h"
#include "harness/vocab/util.h"
#include "tap.h"

static char dir[] = "/tmp/th-merge-XXXXXX";

static char *shard(const char *name, const char *cases, const char *start, const char *cpu)
{
    char *path = th_xasprintf("%s/%s", dir, name);
    char *text = th_xasprintf("{\"schema\": \"tlsharness.results/1\", \"generator\": \"t\",\n"
                              " \"started_at\": \"%s\", \"finished_at\": \"%s\",\n"
                              " \"environment\": {\"cpu_model\": \"%s\"}, \"backends\": [],\n"
                              " \"cases\": [%s], \"summary\": {}}\n",
                              start, start, cpu, cases);
    if (th_write_file_atomic(path, text, strlen(text)) != 0)
        printf("Bail out! cannot write %s\n", path);
    free(text);
    return path;
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
           strstr(err.text, "bad.json:1:1: not a tlsharness.results/1 results file"),
       "a file that is not a results file: bad input at 1:1 (%s)", err.text);
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
           strstr(err.text, "none.json: cannot read: "),
       "a missing file: exit 2 (%s)", err.text);
    ok(th_merge_files(out, NULL, 0, warn, &err) == -1 && err.input, "no files: bad input");
    char *noid = shard("noid.json", "{\"status\": \"pass\"}", "2026-01-01T10:00:00Z", "cpu A");
    const char *anoid[] = {noid};
    ok(th_merge_files(out, anoid, 1, warn, &err) == -1 && err.input &&
           strstr(err.text, "cases[0]: no id"),
       "a case without an id: bad input (%s)", err.text);
    ok(access(out, F_OK) == 0, "the earlier good output is still there");
    char *under = th_xasprintf("%s/a.json/out.json", dir);
    ok(th_merge_files(under, ab, 2, warn, &err) == -1 && !err.input && err.file &&
           th_error_exit_status(&err) == 3,
       "an output that cannot be written: a fault at its place, exit 3");

    unsigned i = 0, k = 0;
    ok(th_shard_parse("2/3", &i, &k) == 0 && i == 2 && k == 3, "2/3 parses");
    ok(th_shard_parse("1/1", &i, &k) == 0, "1/1 parses");
    ok(th_shard_parse("0/3", &i, &k) == -1, "shards count from 1");
    ok(th_shard_parse("4/3", &i, &k) == -1, "no shard past the count");
    ok(th_shard_parse("2/3x", &i, &k) == -1, "trailing text refused");
    ok(th_shard_parse("2", &i, &k) == -1, "a count is needed");
    fclose(warn);
    char *cmd = th_xasprintf("rm -rf %s", dir);
    ok(system(cmd) == 0, "cleanup");
    free(cmd), free(a), free(b), free(c), free(out), free(bad), free(missing), free(under);
    free(broken), free(noid);
    return done_testing();
}
