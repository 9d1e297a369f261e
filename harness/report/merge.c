/* Merging results files: the shards of one run (`run --shard I/N` on several
 * machines or CI jobs) become one results file that `compare` can gate on. Cases
 * are concatenated in the order of the files given; a case id that appears twice is
 * an error (the shards overlap); the summary is counted again; the environment and
 * backends of the first file are kept, and a shard run on a different CPU or with
 * different library versions is warned about. */
#include "merge.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/jsonpos.h"
#include "harness/vocab/outcome.h"
#include "harness/vocab/util.h"

#define SCHEMA "tlsharness.results/1"

/* One input file, kept as text too: a message names the place of what is wrong. */
struct shard {
    const char *path;
    char *text;
    size_t len;
    json_t *doc;
};

/* "PATH:LINE:COL: " of the value at p (the top-level value when n is 0), then why. */
TH_PRINTF(5, 6)
static int bad_input(const struct shard *s, const struct th_jpath *p, size_t n,
                     struct th_error *err, const char *fmt, ...)
{
    char why[400];
    int line = 1, col = 1;
    va_list ap;
    th_jsonpos_near(s->text, s->len, p, n, 0, &line, &col);
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    TH_INPUT(err, "%s:%d:%d: %s", s->path, line, col, why);
    return -1;
}

static int load(struct shard *s, struct th_error *err)
{
    json_error_t je;
    if (!(s->text = th_read_file(s->path, &s->len))) {
        TH_INPUT(err, "%s: cannot read: %s", s->path, strerror(errno));
        return -1;
    }
    if (!(s->doc = json_loadb(s->text, s->len, JSON_REJECT_DUPLICATES, &je))) {
        TH_INPUT(err, "%s:%d:%d: %s", s->path, je.line, je.column, je.text);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(s->doc, "schema"));
    if (!json_is_object(s->doc) || !schema || strcmp(schema, SCHEMA) != 0 ||
        !json_is_array(json_object_get(s->doc, "cases")))
        return bad_input(s, NULL, 0, err,
                         "not a %s results file (schema and a cases array expected)", SCHEMA);
    return 0;
}

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

/* Append b's cases to out, refusing an id seen before. */
static int add_cases(json_t *out, json_t *seen, const struct shard *s, struct th_error *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(s->doc, "cases"), i, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        struct th_jpath p[] = {{"cases", 0}, {NULL, i}};
        if (!id)
            return bad_input(s, p, 2, err, "cases[%zu]: no id", i);
        if (json_object_get(seen, id))
            return bad_input(s, p, 2, err, "cases[%zu]: case %s is already in %s: shards overlap",
                             i, id, json_string_value(json_object_get(seen, id)));
        json_object_set_new(seen, id, json_string(s->path));
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

/* Every file is read and checked before anything is written: a bad shard leaves no
 * output behind. */
static int merge_loaded(const char *out_path, struct shard *sh, size_t n, FILE *warn,
                        struct th_error *err)
{
    json_t *merged = json_deep_copy(sh[0].doc), *cases = json_array(), *seen = json_object();
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i)
            warn_differences(sh[0].path, sh[0].doc, sh[i].path, sh[i].doc, warn);
        rc = add_cases(cases, seen, &sh[i], err);
        span(merged, sh[i].doc);
    }
    if (rc == 0) {
        json_object_del(merged, "interrupted");
        json_object_set(merged, "cases", cases);
        json_object_set_new(merged, "summary", summary_of(cases));
        json_object_set_new(merged, "merged_from", json_integer((json_int_t)n));
        char *text = json_dumps(merged, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!text || th_write_file_atomic(out_path, text, strlen(text)) != 0) {
            int e = text ? errno : ENOMEM;
            TH_FAULT(err, e, "%s: cannot write: %s", out_path, strerror(e));
            rc = -1;
        }
        free(text);
    }
    json_decref(merged);
    json_decref(cases);
    json_decref(seen);
    return rc;
}

int th_merge_files(const char *out_path, const char *const *paths, size_t n, FILE *warn,
                   struct th_error *err)
{
    if (n == 0) {
        TH_INPUT(err, "merge: no results files given");
        return -1;
    }
    struct shard *sh = th_xcalloc(n, sizeof(*sh));
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sh[i].path = paths[i];
        rc = load(&sh[i], err);
    }
    if (rc == 0)
        rc = merge_loaded(out_path, sh, n, warn, err);
    for (size_t i = 0; i < n; i++) {
        json_decref(sh[i].doc);
        free(sh[i].text);
    }
    free(sh);
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
