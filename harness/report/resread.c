/* Reading a results file as compare, merge and the HTML report take it: the whole
 * file is checked before a caller sees any of it, and the first thing wrong is said
 * as "FILE:LINE:COL: where: why" on one line. */
#include "resread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/jsonpos.h"
#include "harness/vocab/outcome.h"
#include "harness/vocab/text.h"
#include "harness/vocab/util.h"

#define SCHEMA_PREFIX "tlsharness.results/"
#define SCHEMA_MAJOR 1
#define MAX_DEPTH 5 /* cases[i].metrics.NAME.FIELD, cases[i].observed.client_cert.KEY */

static const char *jtype(const json_t *v)
{
    static const char *const names[] = {
        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
        [JSON_INTEGER] = "a number", [JSON_REAL] = "a number",  [JSON_TRUE] = "a boolean",
        [JSON_FALSE] = "a boolean",  [JSON_NULL] = "null"};
    return names[json_typeof(v)];
}

static void path_str(const struct th_jpath *p, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        int k = p[i].key ? snprintf(buf + len, cap - len, "%s%s", i ? "." : "", p[i].key)
                         : snprintf(buf + len, cap - len, "[%zu]", p[i].index);
        len += k > 0 ? (size_t)k : 0;
    }
}

/* f->why = "NAME:LINE:COL: PATH: why" for the value at path p, escaped whole: the
 * path holds the file's keys and the why its values. Returns -1. */
TH_PRINTF(4, 5)
static int bad(struct th_res *f, const struct th_jpath *p, size_t n, const char *fmt, ...)
{
    char where[512], why[512], line_[1200];
    int line = 1, col = 1;
    va_list ap;
    th_jsonpos_near(f->text, f->len, p, n, 0, &line, &col);
    path_str(p, n, where, sizeof where);
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(line_, sizeof line_, "%s:%d:%d: %s%s%s", f->name, line > 0 ? line : 1,
             col > 0 ? col : 1, where, *where ? ": " : "", why);
    th_text_safe(f->why, sizeof f->why, line_);
    return -1;
}

/* A number or null (*has 0) at obj[key]; absent is null unless required. */
static int opt_number(struct th_res *f, struct th_jpath *p, size_t n, json_t *obj, const char *key,
                      int required, double *out, int *has)
{
    json_t *v = json_object_get(obj, key);
    p[n] = (struct th_jpath){key, 0};
    *has = v && json_is_number(v);
    *out = *has ? json_number_value(v) : 0;
    if (!v && required)
        return bad(f, p, n, "missing \"%s\"", key);
    if (v && !json_is_number(v) && !json_is_null(v))
        return bad(f, p, n + 1, "expected a number, got %s", jtype(v));
    return 0;
}

void th_res_metric(const json_t *v, struct th_res_metric *m)
{
    json_t *min = json_object_get(v, "min"), *max = json_object_get(v, "max");
    json_t *med = json_object_get(v, "median"), *cnt = json_object_get(v, "n");
    memset(m, 0, sizeof *m);
    m->has_median = json_is_number(med);
    m->median = json_number_value(med);
    m->min = json_number_value(min);
    m->max = json_number_value(max);
    m->n = json_is_integer(cnt) ? json_integer_value(cnt) : 0;
    m->unit = json_string_value(json_object_get(v, "unit"));
    m->has_spread = m->n >= 2 && json_is_number(min) && json_is_number(max);
}

/* One metric {median, min, max, n, unit}; p/n is the path to it. A metric is over
 * at least one measurement. Where the median lies is not checked: a baseline edited
 * by hand (a median scaled to try the gate) is still one to compare with. */
static int check_metric(struct th_res *f, struct th_jpath *p, size_t n, json_t *v)
{
    double d;
    int has;
    if (!json_is_object(v))
        return bad(f, p, n, "expected an object {median, min, max, n, unit}, got %s", jtype(v));
    if (opt_number(f, p, n, v, "median", 1, &d, &has) < 0 ||
        opt_number(f, p, n, v, "min", 0, &d, &has) < 0 ||
        opt_number(f, p, n, v, "max", 0, &d, &has) < 0)
        return -1;
    json_t *cnt = json_object_get(v, "n"), *unit = json_object_get(v, "unit");
    p[n] = (struct th_jpath){"n", 0};
    if (cnt && (!json_is_integer(cnt) || json_integer_value(cnt) < 1))
        return json_is_integer(cnt)
                   ? bad(f, p, n + 1, "expected a count (an integer >= 1), got %lld",
                         (long long)json_integer_value(cnt))
                   : bad(f, p, n + 1, "expected a count, got %s", jtype(cnt));
    p[n] = (struct th_jpath){"unit", 0};
    if (unit && !json_is_string(unit) && !json_is_null(unit))
        return bad(f, p, n + 1, "expected a string, got %s", jtype(unit));
    return 0;
}

static int check_metrics(struct th_res *f, struct th_jpath *p, json_t *obj)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return bad(f, p, 3, "expected an object (name: {median, min, max, n, unit}), got %s",
                   jtype(obj));
    json_object_foreach(obj, key, v)
    {
        p[3] = (struct th_jpath){key, 0};
        if (check_metric(f, p, 4, v) < 0)
            return -1;
    }
    return 0;
}

/* A string member; NULL allowed (absent or null) unless required. */
static int str_member(struct th_res *f, struct th_jpath *p, size_t n, json_t *obj, const char *key,
                      int required, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = json_string_value(v);
    p[n] = (struct th_jpath){key, 0};
    if (!v && required)
        return bad(f, p, n, "missing \"%s\"", key);
    if (v && !json_is_string(v) && (required || !json_is_null(v)))
        return bad(f, p, n + 1, "expected a string, got %s", jtype(v));
    return 0;
}

/* A member of this JSON type (or null) when present. */
static int typed_member(struct th_res *f, struct th_jpath *p, size_t n, json_t *obj,
                        const char *key, json_type type, const char *what)
{
    json_t *v = json_object_get(obj, key);
    p[n] = (struct th_jpath){key, 0};
    if (v && !json_is_null(v) && json_typeof(v) != type &&
        !(type == JSON_REAL && json_is_integer(v)))
        return bad(f, p, n + 1, "expected %s, got %s", what, jtype(v));
    return 0;
}

static int known_status(const char *s)
{
    for (int i = 0; i < TH_STATUS_COUNT; i++)
        if (strcmp(s, th_status_name((enum th_status)i)) == 0)
            return 1;
    return 0;
}

/* observed.client_cert, when there: {requested, sent, accepted}, each a boolean or
 * null (not known). p[0..1] is the case. */
static int check_client_cert(struct th_res *f, struct th_jpath *p, json_t *observed)
{
    static const char *const keys[] = {"requested", "sent", "accepted"};
    json_t *cc = json_is_object(observed) ? json_object_get(observed, "client_cert") : NULL;
    p[2] = (struct th_jpath){"observed", 0};
    p[3] = (struct th_jpath){"client_cert", 0};
    if (!cc || json_is_null(cc))
        return 0;
    if (!json_is_object(cc))
        return bad(f, p, 4, "expected an object {requested, sent, accepted}, got %s", jtype(cc));
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++) {
        json_t *v = json_object_get(cc, keys[i]);
        p[4] = (struct th_jpath){keys[i], 0};
        if (v && !json_is_boolean(v) && !json_is_null(v))
            return bad(f, p, 5, "expected a boolean or null, got %s", jtype(v));
    }
    return 0;
}

/* observed.hrr, when there: a boolean or null; observed.handshakes (kind
 * handshake_rate), when there: {attempted, full, resumed, hrr, early_offered,
 * early_accepted}, counts (hrr also null: no handshake showed TLS 1.3; the early ones
 * absent in files written before they were). p[0..1] is the case. */
static int check_hrr(struct th_res *f, struct th_jpath *p, json_t *observed)
{
    static const char *const keys[] = {"attempted", "full",          "resumed",
                                       "hrr",       "early_offered", "early_accepted"};
    json_t *v = json_is_object(observed) ? json_object_get(observed, "hrr") : NULL;
    p[2] = (struct th_jpath){"observed", 0};
    p[3] = (struct th_jpath){"hrr", 0};
    if (v && !json_is_boolean(v) && !json_is_null(v))
        return bad(f, p, 4, "expected a boolean or null, got %s", jtype(v));
    json_t *hs = json_is_object(observed) ? json_object_get(observed, "handshakes") : NULL;
    p[3] = (struct th_jpath){"handshakes", 0};
    if (!hs || json_is_null(hs))
        return 0;
    if (!json_is_object(hs))
        return bad(f, p, 4, "expected an object {attempted, full, resumed, hrr}, got %s",
                   jtype(hs));
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++) {
        v = json_object_get(hs, keys[i]);
        p[4] = (struct th_jpath){keys[i], 0};
        if (!v && i < 3)
            return bad(f, p, 4, "missing \"%s\"", keys[i]);
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0) && !(i == 3 && json_is_null(v)))
            return bad(f, p, 5, "expected a count (an integer >= 0)%s, got %s",
                       i == 3 ? " or null" : "", jtype(v));
    }
    return 0;
}

/* observed.ocsp and expected.ocsp, when there: a staple status name or null. */
static int check_staple(struct th_res *f, struct th_jpath *p, json_t *c, const char *block)
{
    json_t *b = json_object_get(c, block);
    json_t *v = json_is_object(b) ? json_object_get(b, "ocsp") : NULL;
    enum th_staple st;
    p[2] = (struct th_jpath){block, 0};
    p[3] = (struct th_jpath){"ocsp", 0};
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || th_staple_parse(json_string_value(v), &st) != 0)
        return bad(f, p, 4, "expected one of none, good, revoked, unknown, invalid or null");
    return 0;
}

/* observed.early_data, when there: {offered, accepted, replay_accepted} each a boolean
 * or null, bytes a count or null, first_byte_ms a number or null. */
static int check_early(struct th_res *f, struct th_jpath *p, json_t *observed)
{
    static const char *const bools[] = {"offered", "accepted", "replay_accepted"};
    json_t *ed = json_is_object(observed) ? json_object_get(observed, "early_data") : NULL;
    p[2] = (struct th_jpath){"observed", 0};
    p[3] = (struct th_jpath){"early_data", 0};
    if (!ed || json_is_null(ed))
        return 0;
    if (!json_is_object(ed))
        return bad(f, p, 4,
                   "expected an object {offered, accepted, bytes, replay_accepted}, got %s",
                   jtype(ed));
    for (size_t i = 0; i < TH_ARRAY_LEN(bools); i++) {
        json_t *v = json_object_get(ed, bools[i]);
        p[4] = (struct th_jpath){bools[i], 0};
        if (v && !json_is_boolean(v) && !json_is_null(v))
            return bad(f, p, 5, "expected a boolean or null, got %s", jtype(v));
    }
    json_t *b = json_object_get(ed, "bytes");
    p[4] = (struct th_jpath){"bytes", 0};
    if (b && !json_is_null(b) && (!json_is_integer(b) || json_integer_value(b) < 0))
        return bad(f, p, 5, "expected a whole number of bytes, 0 or more, or null; got %s",
                   jtype(b));
    return typed_member(f, p, 4, ed, "first_byte_ms", JSON_REAL, "a number");
}

/* A load histogram's buckets: [FROM, TO, COUNT], FROM and COUNT whole numbers >= 0,
 * TO above FROM or null (the last, open bucket). p[0..3] is the case's
 * load.latency_histogram. */
static int check_buckets(struct th_res *f, struct th_jpath *p, json_t *h)
{
    json_t *a = json_object_get(h, "buckets"), *b;
    size_t i;
    p[4] = (struct th_jpath){"buckets", 0};
    if (!json_is_array(a))
        return bad(f, p, a ? 5 : 4, "expected an array of [FROM, TO, COUNT], got %s",
                   a ? jtype(a) : "nothing");
    json_array_foreach(a, i, b)
    {
        json_t *lo = json_array_get(b, 0), *hi = json_array_get(b, 1), *n = json_array_get(b, 2);
        p[5] = (struct th_jpath){NULL, i};
        if (!json_is_array(b) || json_array_size(b) != 3 || !json_is_integer(lo) ||
            json_integer_value(lo) < 0 || !json_is_integer(n) || json_integer_value(n) < 0 ||
            !(json_is_null(hi) ||
              (json_is_integer(hi) && json_integer_value(hi) > json_integer_value(lo))))
            return bad(f, p, 6, "expected [FROM, TO, COUNT]: whole numbers, TO above FROM or null");
    }
    return 0;
}

/* A load case's "load" block, when there: counts, numbers, mode, the histogram. */
static int check_load(struct th_res *f, const struct th_jpath *at, json_t *c)
{
    static const char *const counts[] = {"requests",   "connections",   "resumed",
                                         "body_bytes", "bodies_hashed", "handshakes_differing",
                                         "streams",    "early_offered", "early_accepted"};
    struct th_jpath p[8] = {at[0], at[1], {"load", 0}};
    json_t *l = json_object_get(c, "load"), *h;
    const char *mode, *check, *proto;
    if (!l || json_is_null(l))
        return 0;
    if (!json_is_object(l))
        return bad(f, p, 3, "expected an object, got %s", jtype(l));
    for (size_t i = 0; i < TH_ARRAY_LEN(counts); i++) {
        json_t *v = json_object_get(l, counts[i]);
        p[3] = (struct th_jpath){counts[i], 0};
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
            return bad(f, p, 4, "expected a count (an integer >= 0), got %s", jtype(v));
    }
    if (typed_member(f, p, 3, l, "wall_s", JSON_REAL, "a number") < 0 ||
        typed_member(f, p, 3, l, "rate", JSON_REAL, "a number") < 0 ||
        str_member(f, p, 3, l, "mode", 0, &mode) < 0 ||
        str_member(f, p, 3, l, "body_check", 0, &check) < 0 ||
        str_member(f, p, 3, l, "protocol", 0, &proto) < 0)
        return -1;
    p[3] = (struct th_jpath){"protocol", 0};
    if (proto && strcmp(proto, "http/1.1") != 0 && strcmp(proto, "h2") != 0)
        return bad(f, p, 4, "expected \"http/1.1\" or \"h2\"");
    p[3] = (struct th_jpath){"mode", 0};
    if (mode && strcmp(mode, "open") != 0 && strcmp(mode, "closed") != 0)
        return bad(f, p, 4, "expected \"open\" or \"closed\"");
    h = json_object_get(l, "latency_histogram");
    p[3] = (struct th_jpath){"latency_histogram", 0};
    if (!h || json_is_null(h))
        return 0;
    if (!json_is_object(h))
        return bad(f, p, 4, "expected an object {unit, buckets_per_octave, buckets}, got %s",
                   jtype(h));
    return check_buckets(f, p, h);
}

/* The members a case may carry beside id, status and reason: what the run wrote,
 * of the type it writes. */
static int check_case_members(struct th_res *f, struct th_jpath *p, json_t *v)
{
    static const char *const strings[] = {"scenario", "file",   "kind",
                                          "client",   "server", "transport"};
    const char *s;
    for (size_t i = 0; i < TH_ARRAY_LEN(strings); i++)
        if (str_member(f, p, 2, v, strings[i], 0, &s) < 0)
            return -1;
    if (typed_member(f, p, 2, v, "expected", JSON_OBJECT, "an object") < 0 ||
        typed_member(f, p, 2, v, "observed", JSON_OBJECT, "an object") < 0 ||
        typed_member(f, p, 2, v, "duration_s", JSON_REAL, "a number") < 0)
        return -1;
    if (check_staple(f, p, v, "observed") < 0 || check_staple(f, p, v, "expected") < 0)
        return -1;
    if (check_hrr(f, p, json_object_get(v, "observed")) < 0 ||
        check_early(f, p, json_object_get(v, "observed")) < 0)
        return -1;
    if (check_load(f, p, v) < 0)
        return -1;
    return check_client_cert(f, p, json_object_get(v, "observed"));
}

static int read_case(struct th_res *f, size_t i, json_t *v, struct th_res_case *c)
{
    struct th_jpath p[MAX_DEPTH] = {{"cases", 0}, {NULL, i}};
    c->index = i;
    c->obj = v;
    if (!json_is_object(v))
        return bad(f, p, 2, "expected a case object, got %s", jtype(v));
    if (str_member(f, p, 2, v, "id", 1, &c->id) < 0 ||
        str_member(f, p, 2, v, "status", 1, &c->status) < 0 ||
        str_member(f, p, 2, v, "reason", 0, &c->reason) < 0)
        return -1;
    p[2] = (struct th_jpath){"id", 0};
    if (!*c->id)
        return bad(f, p, 3, "the case id is empty");
    p[2] = (struct th_jpath){"status", 0};
    if (!known_status(c->status))
        return bad(f, p, 3,
                   "unknown status \"%s\" (expected pass, fail, xfail, xpass, skip or error)",
                   c->status);
    if (check_case_members(f, p, v) < 0)
        return -1;
    p[2] = (struct th_jpath){"metrics", 0};
    c->metrics = json_object_get(v, "metrics");
    if (json_is_null(c->metrics))
        c->metrics = NULL;
    return c->metrics ? check_metrics(f, p, c->metrics) : 0;
}

static int by_id_cmp(const void *a, const void *b)
{
    const struct th_res_case *x = *(const struct th_res_case *const *)a;
    const struct th_res_case *y = *(const struct th_res_case *const *)b;
    int d = strcmp(x->id, y->id);
    return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* Sort the cases by id; two cases with one id make the file ambiguous. */
static int index_ids(struct th_res *f)
{
    f->by_id = th_xcalloc(f->n ? f->n : 1, sizeof *f->by_id);
    for (size_t i = 0; i < f->n; i++)
        f->by_id[i] = &f->cases[i];
    qsort(f->by_id, f->n, sizeof *f->by_id, by_id_cmp);
    for (size_t i = 1; i < f->n; i++) {
        const struct th_res_case *a = f->by_id[i - 1], *b = f->by_id[i];
        struct th_jpath p[] = {{"cases", 0}, {NULL, b->index}, {"id", 0}};
        if (strcmp(a->id, b->id) == 0)
            return bad(f, p, 3, "duplicate case id \"%s\" (first at cases[%zu])", b->id, a->index);
    }
    return 0;
}

static int read_cases(struct th_res *f)
{
    struct th_jpath p[] = {{"cases", 0}};
    json_t *cases = json_object_get(f->root, "cases"), *v;
    size_t i;
    if (!cases)
        return bad(f, NULL, 0, "missing \"cases\"");
    if (!json_is_array(cases))
        return bad(f, p, 1, "expected an array of cases, got %s", jtype(cases));
    f->n = json_array_size(cases);
    f->cases = th_xcalloc(f->n ? f->n : 1, sizeof *f->cases);
    json_array_foreach(cases, i, v)
    {
        if (read_case(f, i, v, &f->cases[i]) < 0)
            return -1;
    }
    return index_ids(f);
}

static int digits(const char *s)
{
    return strspn(s, "0123456789") == strlen(s);
}

/* "tlsharness.results/MAJOR[.MINOR]": a newer minor version only adds keys. */
static int check_schema(struct th_res *f)
{
    struct th_jpath p[] = {{"schema", 0}};
    json_t *v = json_object_get(f->root, "schema");
    const char *s = json_string_value(v);
    char *end;
    if (!v)
        return bad(f, NULL, 0, "missing \"schema\": not a tlsharness results file");
    if (!s)
        return bad(f, p, 1, "expected a string, got %s", jtype(v));
    if (strncmp(s, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)) != 0)
        return bad(f, p, 1, "\"%s\" is not a tlsharness results schema (expected %s%d)", s,
                   SCHEMA_PREFIX, SCHEMA_MAJOR);
    const char *ver = s + strlen(SCHEMA_PREFIX);
    errno = 0;
    long major = *ver >= '0' && *ver <= '9' ? strtol(ver, &end, 10) : -1;
    if (major < 0 || errno || (*end && (*end != '.' || !end[1] || !digits(end + 1))))
        return bad(f, p, 1, "\"%s\" is not a tlsharness results schema (expected %s%d)", s,
                   SCHEMA_PREFIX, SCHEMA_MAJOR);
    if (major != SCHEMA_MAJOR)
        return bad(f, p, 1, "%s is not supported: this tlsharness reads %s%d", s, SCHEMA_PREFIX,
                   SCHEMA_MAJOR);
    return 0;
}

/* "environment" is an object, "backends" an array of {name, version}; either may be
 * absent (a hand-made file). */
static int read_env(struct th_res *f)
{
    struct th_jpath p[MAX_DEPTH] = {{"environment", 0}};
    json_t *v;
    size_t i;
    const char *s;
    f->env = json_object_get(f->root, "environment");
    if (f->env && !json_is_object(f->env))
        return bad(f, p, 1, "expected an object, got %s", jtype(f->env));
    f->backends = json_object_get(f->root, "backends");
    p[0].key = "backends";
    if (f->backends && !json_is_array(f->backends))
        return bad(f, p, 1, "expected an array of {name, version}, got %s", jtype(f->backends));
    json_array_foreach(f->backends, i, v)
    {
        p[1] = (struct th_jpath){NULL, i};
        if (!json_is_object(v))
            return bad(f, p, 2, "expected an object {name, version}, got %s", jtype(v));
        if (str_member(f, p, 2, v, "name", 1, &s) < 0 ||
            str_member(f, p, 2, v, "version", 0, &s) < 0)
            return -1;
    }
    return 0;
}

/* The run as a whole: "interrupted" (a run stopped early, or a checkpoint of one
 * still going), the times merge spans, and what merge writes. */
static int read_run(struct th_res *f)
{
    struct th_jpath p[MAX_DEPTH];
    json_t *v = json_object_get(f->root, "interrupted"), *mf;
    const char *s;
    p[0] = (struct th_jpath){"interrupted", 0};
    if (v && !json_is_boolean(v))
        return bad(f, p, 1, "expected true or false, got %s", jtype(v));
    f->interrupted = json_is_true(v);
    if (str_member(f, p, 0, f->root, "started_at", 0, &s) < 0 ||
        str_member(f, p, 0, f->root, "finished_at", 0, &s) < 0 ||
        typed_member(f, p, 0, f->root, "summary", JSON_OBJECT, "an object") < 0)
        return -1;
    mf = json_object_get(f->root, "merged_from");
    p[0] = (struct th_jpath){"merged_from", 0};
    if (mf && (!json_is_integer(mf) || json_integer_value(mf) < 1))
        return bad(f, p, 1, "expected a count of files (an integer >= 1)");
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(" \t\r\n", s[i]))
            return 0;
    return 1;
}

/* f->name, text and len set, the rest zero. */
static int load(struct th_res *f)
{
    json_error_t je;
    char raw[sizeof f->why];
    if (blank(f->text, f->len)) {
        snprintf(raw, sizeof raw, "%s:1:1: empty file: expected a results JSON object", f->name);
        th_text_safe(f->why, sizeof f->why, raw);
        return -1;
    }
    f->root = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &je);
    if (!f->root) {
        /* jansson's "near '...'" quotes the input: escaped like the rest */
        snprintf(raw, sizeof raw, "%s:%d:%d: %s", f->name, je.line > 0 ? je.line : 1,
                 je.column > 0 ? je.column : 1, je.text);
        th_text_safe(f->why, sizeof f->why, raw);
        return -1;
    }
    if (!json_is_object(f->root))
        return bad(f, NULL, 0, "the top level must be a JSON object, got %s", jtype(f->root));
    if (check_schema(f) < 0 || read_env(f) < 0 || read_run(f) < 0 || read_cases(f) < 0)
        return -1;
    return 0;
}

int th_res_load(struct th_res *f, const char *name, const char *text, size_t len)
{
    *f = (struct th_res){.name = name, .text = text, .len = len};
    return load(f);
}

int th_res_read(struct th_res *f, const char *path)
{
    size_t len = 0;
    struct th_error e;
    *f = (struct th_res){.name = path};
    /* a regular file of a bounded size: a FIFO or a device is refused, not read */
    if (!(f->owned = th_read_input(path, &len, &e))) {
        snprintf(f->why, sizeof f->why, "%s", e.text);
        return -1;
    }
    f->text = f->owned;
    f->len = len;
    return load(f);
}

void th_res_free(struct th_res *f)
{
    json_decref(f->root);
    free(f->cases);
    free(f->by_id);
    free(f->owned);
    f->root = NULL;
    f->cases = NULL;
    f->by_id = NULL;
    f->owned = NULL;
}

const struct th_res_case *th_res_find(const struct th_res *f, const char *id)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strcmp(f->by_id[mid]->id, id);
        if (d == 0)
            return f->by_id[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
