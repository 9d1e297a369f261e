/* Merging results files: the shards of one run (`run --shard I/N` on several
 * machines or CI jobs) become one results file that `compare` can gate on. Cases
 * are concatenated in the order of the files given; a case id that appears twice is
 * an error (the shards overlap); the summary is counted again; the environment and
 * backends of the first file are kept, and a shard run on a different CPU or with
 * different library versions is warned about. */
#include "merge.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/outcome.h"
#include "harness/vocab/util.h"

#define SCHEMA "tlsharness.results/1"

static json_t *load(const char *path, FILE *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        fprintf(err, "%s:%d:%d: %s\n", path, je.line, je.column, je.text);
        return NULL;
    }
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (!json_is_object(doc) || !schema || strcmp(schema, SCHEMA) != 0 ||
        !json_is_array(json_object_get(doc, "cases"))) {
        fprintf(err, "%s: not a %s results file (schema and a cases array expected)\n", path,
                SCHEMA);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* json_equal says two missing values differ: here they are the same. */
static int same(json_t *a, json_t *b)
{
    return (!a && !b) || (a && b && json_equal(a, b));
}

static void warn_differences(const char *first, json_t *a, const char *path, json_t *b, FILE *err)
{
    static const char *const keys[] = {"cpu_model", "cpu_flags", "kernel", "build_flags"};
    json_t *ea = json_object_get(a, "environment"), *eb = json_object_get(b, "environment");
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++)
        if (!same(json_object_get(ea, keys[i]), json_object_get(eb, keys[i])))
            fprintf(err, "warning: %s differs between %s and %s\n", keys[i], first, path);
    if (!same(json_object_get(a, "backends"), json_object_get(b, "backends")))
        fprintf(err, "warning: backends or their versions differ between %s and %s\n", first, path);
}

/* Append b's cases to out, refusing an id seen before. */
static int add_cases(json_t *out, json_t *seen, const char *path, json_t *b, FILE *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(b, "cases"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        if (!id) {
            fprintf(err, "%s: cases[%zu]: no id\n", path, i);
            return -1;
        }
        if (json_object_get(seen, id)) {
            fprintf(err, "%s: cases[%zu]: case %s is already in %s: shards overlap\n", path, i, id,
                    json_string_value(json_object_get(seen, id)));
            return -1;
        }
        json_object_set_new(seen, id, json_string(path));
        json_array_append(out, c);
    }
    return 0;
}

static json_t *summary_of(json_t *cases)
{
    size_t counts[TH_STATUS_COUNT] = {0}, i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const char *st = json_string_value(json_object_get(c, "status"));
        for (int s = 0; s < TH_STATUS_COUNT; s++)
            if (st && strcmp(st, th_status_name((enum th_status)s)) == 0)
                counts[s]++;
    }
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer((json_int_t)json_array_size(cases)));
    for (int s = 0; s < TH_STATUS_COUNT; s++)
        json_object_set_new(o, th_status_name((enum th_status)s),
                            json_integer((json_int_t)counts[s]));
    return o;
}

/* The earliest start and the latest end (ISO-8601 strings compare in time order). */
static void span(json_t *out, json_t *b)
{
    json_t *s = json_object_get(b, "started_at"), *f = json_object_get(b, "finished_at");
    const char *os = json_string_value(json_object_get(out, "started_at"));
    const char *of = json_string_value(json_object_get(out, "finished_at"));
    if (json_is_string(s) && (!os || strcmp(json_string_value(s), os) < 0))
        json_object_set(out, "started_at", s);
    if (json_is_string(f) && (!of || strcmp(json_string_value(f), of) > 0))
        json_object_set(out, "finished_at", f);
}

int th_merge_files(const char *out_path, const char *const *paths, size_t n, FILE *err)
{
    if (n == 0) {
        fprintf(err, "merge: no results files given\n");
        return 2;
    }
    json_t *docs[n];
    size_t loaded = 0;
    int rc = 2;
    for (; loaded < n; loaded++)
        if (!(docs[loaded] = load(paths[loaded], err)))
            goto out;
    json_t *merged = json_deep_copy(docs[0]), *cases = json_array(), *seen = json_object();
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i)
            warn_differences(paths[0], docs[0], paths[i], docs[i], err);
        rc = add_cases(cases, seen, paths[i], docs[i], err) == 0 ? 0 : 2;
        span(merged, docs[i]);
    }
    if (rc == 0) {
        json_object_del(merged, "interrupted");
        json_object_set(merged, "cases", cases);
        json_object_set_new(merged, "summary", summary_of(cases));
        json_object_set_new(merged, "merged_from", json_integer((json_int_t)n));
        char *text = json_dumps(merged, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text || th_write_file_atomic(out_path, text, strlen(text)) != 0) {
            fprintf(err, "%s: cannot write: %s\n", out_path, strerror(errno));
            rc = 3;
        }
        free(text);
    }
    json_decref(merged);
    json_decref(cases);
    json_decref(seen);
out:
    for (size_t i = 0; i < loaded; i++)
        json_decref(docs[i]);
    return rc;
}

int th_shard_parse(const char *s, unsigned *index, unsigned *count)
{
    unsigned i, n;
    char end;
    if (sscanf(s, "%u/%u%c", &i, &n, &end) != 2 || n < 1 || n > 10000 || i < 1 || i > n)
        return -1;
    *index = i;
    *count = n;
    return 0;
}
