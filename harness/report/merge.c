/* Merging results files: the shards of one run (`run --shard I/N` on several
 * machines or CI jobs) become one results file that `compare` can gate on. Every
 * input is read by compare's reader (resread.h), so a file merge accepts is one
 * compare accepts. Cases are concatenated in the order of the files given; a case id
 * that appears twice is an error (the shards overlap); the summary is counted again
 * from the cases; any input interrupted makes the merge interrupted (a shard that
 * stopped early lacks cases, and the gate must see that); the environment and
 * backends of the first file are kept, and a shard run on a different CPU or with
 * different library versions is warned about. */
#include "merge.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/jsonpos.h"
#include "harness/vocab/outcome.h"
#include "harness/vocab/text.h"
#include "harness/vocab/util.h"
#include "resread.h"

/* json_equal says two missing values differ: here they are the same. */
static int same(json_t *a, json_t *b)
{
    return (!a && !b) || (a && b && json_equal(a, b));
}

static void warn_differences(const char *first, json_t *a, const char *path, json_t *b, FILE *warn)
{
    static const char *const keys[] = {"cpu_model", "cpu_flags", "kernel", "build_flags"};
    json_t *ea = json_object_get(a, "environment"), *eb = json_object_get(b, "environment");
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++)
        if (!same(json_object_get(ea, keys[i]), json_object_get(eb, keys[i])))
            fprintf(warn, "warning: %s differs between %s and %s\n", keys[i], first, path);
    if (!same(json_object_get(a, "backends"), json_object_get(b, "backends")))
        fprintf(warn, "warning: backends or their versions differ between %s and %s\n", first,
                path);
}

/* "PATH:LINE:COL: why" for cases[i] of s. Returns -1. */
static int overlap(const struct th_res *s, size_t i, const char *id, const char *other,
                   struct th_error *err)
{
    struct th_jpath p[] = {{"cases", 0}, {NULL, i}};
    char sid[256];
    int line = 1, col = 1;
    th_jsonpos_near(s->text, s->len, p, 2, 0, &line, &col);
    th_text_safe(sid, sizeof sid, id);
    TH_INPUT(err, "%s:%d:%d: cases[%zu]: case %s is already in %s: shards overlap", s->name, line,
             col, i, sid, other);
    return -1;
}

/* Append s's cases to out, refusing an id seen before (seen: id -> file). */
static int add_cases(json_t *out, json_t *seen, const struct th_res *s, struct th_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct th_res_case *c = &s->cases[i];
        json_t *first = json_object_get(seen, c->id);
        if (first)
            return overlap(s, i, c->id, json_string_value(first), err);
        json_object_set_new(seen, c->id, json_string(s->name));
        json_array_append(out, c->obj);
    }
    return 0;
}

/* Counted from the cases, whatever the inputs' summaries said: every status was
 * checked by the reader, so the counts add up to the total. */
static json_t *summary_of(json_t *cases)
{
    size_t counts[TH_STATUS_COUNT] = {0}, i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const char *st = json_string_value(json_object_get(c, "status"));
        for (int s = 0; s < TH_STATUS_COUNT; s++)
            if (strcmp(st, th_status_name((enum th_status)s)) == 0)
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

/* How many shard files went into s: a merge of merges counts them all. */
static json_int_t files_in(const struct th_res *s)
{
    json_t *v = json_object_get(s->root, "merged_from");
    return json_is_integer(v) ? json_integer_value(v) : 1;
}

/* The merged document, or NULL with err (the shards overlap). */
static json_t *merged_doc(const struct th_res *sh, size_t n, FILE *warn, struct th_error *err)
{
    json_t *merged = json_deep_copy(sh[0].root), *cases = json_array(), *seen = json_object();
    json_int_t files = 0;
    int interrupted = 0, rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i)
            warn_differences(sh[0].name, sh[0].root, sh[i].name, sh[i].root, warn);
        rc = add_cases(cases, seen, &sh[i], err);
        span(merged, sh[i].root);
        interrupted |= sh[i].interrupted;
        files += files_in(&sh[i]);
    }
    if (rc == 0) {
        json_object_del(merged, "interrupted");
        if (interrupted)
            json_object_set_new(merged, "interrupted", json_true());
        json_object_set(merged, "cases", cases);
        json_object_set_new(merged, "summary", summary_of(cases));
        json_object_set_new(merged, "merged_from", json_integer(files));
    }
    json_decref(cases);
    json_decref(seen);
    if (rc != 0)
        json_decref(merged);
    return rc == 0 ? merged : NULL;
}

/* Where the merge goes is the user's choice: a path that cannot take it is bad
 * usage (exit 2), like a bad input. */
static int write_merged(const char *out_path, json_t *merged, struct th_error *err)
{
    char *text = json_dumps(merged, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    char p[256];
    if (!text) {
        TH_FAULT(err, ENOMEM, "%s: cannot write: out of memory", out_path);
        return -1;
    }
    int rc = th_write_file_atomic(out_path, text, strlen(text));
    int e = errno;
    free(text);
    if (rc != 0)
        TH_INPUT(err, "%s: cannot write: %s", th_text_safe(p, sizeof p, out_path), strerror(e));
    return rc;
}

/* Every file is read and checked before anything is written: a bad shard leaves no
 * output behind. */
int th_merge_files(const char *out_path, const char *const *paths, size_t n, FILE *warn,
                   struct th_error *err)
{
    if (n == 0) {
        TH_INPUT(err, "merge: no results files given");
        return -1;
    }
    if (th_output_check(out_path, err) != 0)
        return -1;
    struct th_res *sh = th_xcalloc(n, sizeof(*sh));
    json_t *merged = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = th_res_read(&sh[i], paths[i])) != 0)
            TH_INPUT(err, "%s", sh[i].why);
    if (rc == 0 && !(merged = merged_doc(sh, n, warn, err)))
        rc = -1;
    if (rc == 0)
        rc = write_merged(out_path, merged, err);
    json_decref(merged);
    for (size_t i = 0; i < n; i++)
        th_res_free(&sh[i]);
    free(sh);
    return rc;
}
