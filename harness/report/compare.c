/* `tlsharness compare`: the regression verdict between two results files. Both
 * files are read and checked whole before anything is judged, so bad input never
 * leaves half a report. The judgement is collected as JSON (the --json document)
 * and the readable report is rendered from that same data. */
#include "compare.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/jsonpos.h"

#define SCHEMA_PREFIX "tlsharness.results/"
#define SCHEMA_MAJOR 1
#define MAX_DEPTH 5 /* cases[i].metrics.NAME.FIELD */

/* ---- reading a results file ---- */

struct cmp_case {
    const char *id, *status, *reason;
    json_t *metrics; /* checked: every value reads with read_metric */
    size_t index;    /* in the file's cases array */
};

struct cmp_file {
    const char *name;
    const char *text;
    size_t len;
    json_t *root, *env, *backends; /* env, backends: NULL when absent */
    struct cmp_case *cases;
    size_t n;
    struct cmp_case **by_id; /* sorted by id, for matching and duplicates */
    FILE *err;
};

struct cmp_metric {
    const char *unit; /* NULL: none recorded */
    double median, min, max;
    json_int_t n;
    int has_median, has_spread;
};

static const char *const statuses[] = {"pass", "fail", "xfail", "xpass", "skip", "error"};

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

/* "FILE:LINE:COL: PATH: why" for the value at path p. Returns -1. */
TH_PRINTF(4, 5)
static int bad(const struct cmp_file *f, const struct th_jpath *p, size_t n, const char *fmt, ...)
{
    char where[512], why[512];
    int line = 0, col = 0;
    va_list ap;
    th_jsonpos_near(f->text, f->len, p, n, 0, &line, &col);
    path_str(p, n, where, sizeof where);
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fprintf(f->err, "%s:%d:%d: %s%s%s\n", f->name, line, col, where, *where ? ": " : "", why);
    return -1;
}

/* A number or null (*has 0) at obj[key]; absent is null unless required. */
static int opt_number(const struct cmp_file *f, struct th_jpath *p, size_t n, json_t *obj,
                      const char *key, int required, double *out, int *has)
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

/* One metric {median, min, max, n, unit}; p/n is the path to it. */
static int read_metric(const struct cmp_file *f, struct th_jpath *p, size_t n, json_t *v,
                       struct cmp_metric *m)
{
    int has_min, has_max;
    memset(m, 0, sizeof *m);
    if (!json_is_object(v))
        return bad(f, p, n, "expected an object {median, min, max, n, unit}, got %s", jtype(v));
    if (opt_number(f, p, n, v, "median", 1, &m->median, &m->has_median) < 0 ||
        opt_number(f, p, n, v, "min", 0, &m->min, &has_min) < 0 ||
        opt_number(f, p, n, v, "max", 0, &m->max, &has_max) < 0)
        return -1;
    json_t *cnt = json_object_get(v, "n"), *unit = json_object_get(v, "unit");
    p[n] = (struct th_jpath){"n", 0};
    if (cnt && (!json_is_integer(cnt) || json_integer_value(cnt) < 0))
        return json_is_integer(cnt)
                   ? bad(f, p, n + 1, "expected a count (an integer >= 0), got %lld",
                         (long long)json_integer_value(cnt))
                   : bad(f, p, n + 1, "expected a count, got %s", jtype(cnt));
    m->n = cnt ? json_integer_value(cnt) : 0;
    p[n] = (struct th_jpath){"unit", 0};
    if (unit && !json_is_string(unit) && !json_is_null(unit))
        return bad(f, p, n + 1, "expected a string, got %s", jtype(unit));
    m->unit = json_string_value(unit);
    m->has_spread = m->n >= 2 && has_min && has_max;
    return 0;
}

static int read_metrics(const struct cmp_file *f, struct th_jpath *p, json_t *obj)
{
    const char *key;
    json_t *v;
    struct cmp_metric m;
    if (!json_is_object(obj))
        return bad(f, p, 3, "expected an object (name: {median, min, max, n, unit}), got %s",
                   jtype(obj));
    json_object_foreach(obj, key, v)
    {
        p[3] = (struct th_jpath){key, 0};
        if (read_metric(f, p, 4, v, &m) < 0)
            return -1;
    }
    return 0;
}

/* A string member; NULL allowed (absent or null) unless required. */
static int str_member(const struct cmp_file *f, struct th_jpath *p, size_t n, json_t *obj,
                      const char *key, int required, const char **out)
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

static int known_status(const char *s)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(statuses); i++)
        if (strcmp(s, statuses[i]) == 0)
            return 1;
    return 0;
}

static int read_case(const struct cmp_file *f, size_t i, json_t *v, struct cmp_case *c)
{
    struct th_jpath p[MAX_DEPTH] = {{"cases", 0}, {NULL, i}};
    c->index = i;
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
    p[2] = (struct th_jpath){"metrics", 0};
    c->metrics = json_object_get(v, "metrics");
    if (c->metrics && !json_is_null(c->metrics) && read_metrics(f, p, c->metrics) < 0)
        return -1;
    return 0;
}

static int by_id_cmp(const void *a, const void *b)
{
    const struct cmp_case *x = *(const struct cmp_case *const *)a;
    const struct cmp_case *y = *(const struct cmp_case *const *)b;
    int d = strcmp(x->id, y->id);
    return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* Sort the cases by id; two cases with one id make the file ambiguous. */
static int index_ids(struct cmp_file *f)
{
    f->by_id = th_xcalloc(f->n, sizeof *f->by_id);
    for (size_t i = 0; i < f->n; i++)
        f->by_id[i] = &f->cases[i];
    qsort(f->by_id, f->n, sizeof *f->by_id, by_id_cmp);
    for (size_t i = 1; i < f->n; i++) {
        const struct cmp_case *a = f->by_id[i - 1], *b = f->by_id[i];
        struct th_jpath p[] = {{"cases", 0}, {NULL, b->index}, {"id", 0}};
        if (strcmp(a->id, b->id) == 0)
            return bad(f, p, 3, "duplicate case id \"%s\" (first at cases[%zu])", b->id, a->index);
    }
    return 0;
}

static int read_cases(struct cmp_file *f)
{
    struct th_jpath p[] = {{"cases", 0}};
    json_t *cases = json_object_get(f->root, "cases"), *v;
    size_t i;
    if (!cases)
        return bad(f, NULL, 0, "missing \"cases\"");
    if (!json_is_array(cases))
        return bad(f, p, 1, "expected an array of cases, got %s", jtype(cases));
    f->n = json_array_size(cases);
    f->cases = th_xcalloc(f->n, sizeof *f->cases);
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
static int check_schema(const struct cmp_file *f)
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
static int read_env(struct cmp_file *f)
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

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(" \t\r\n", s[i]))
            return 0;
    return 1;
}

static int load(struct cmp_file *f)
{
    json_error_t je;
    if (blank(f->text, f->len)) {
        fprintf(f->err, "%s:1:1: empty file: expected a results JSON object\n", f->name);
        return -1;
    }
    f->root = json_loadb(f->text, f->len, JSON_REJECT_DUPLICATES, &je);
    if (!f->root) {
        fprintf(f->err, "%s:%d:%d: %s\n", f->name, je.line > 0 ? je.line : 0,
                je.column > 0 ? je.column : 0, je.text);
        return -1;
    }
    if (!json_is_object(f->root))
        return bad(f, NULL, 0, "the top level must be a JSON object, got %s", jtype(f->root));
    if (check_schema(f) < 0 || read_env(f) < 0 || read_cases(f) < 0)
        return -1;
    return 0;
}

static void unload(struct cmp_file *f)
{
    json_decref(f->root);
    free(f->cases);
    free(f->by_id);
}

static const struct cmp_case *find_case(const struct cmp_file *f, const char *id)
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

/* ---- judging ---- */

struct judge {
    const struct th_compare_opts *o;
    const struct cmp_file *base, *new_;
    json_t *warnings, *metrics, *cases;
    size_t regressions, improvements, cases_regressed;
};

TH_PRINTF(2, 3) static void warn(struct judge *j, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    json_array_append_new(j->warnings, json_string(s ? s : "(out of memory)"));
    free(s);
}

/* JSON has no NaN or infinity. */
static json_t *jnum(double d)
{
    return isfinite(d) ? json_real(d) : json_null();
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* +1: higher is better; -1: lower is better; 0: unknown. DESIGN.md fixes the names
 * and never changes their meaning, so the direction can be a table. */
static int direction(const char *name)
{
    static const char *const higher[] = {"throughput_mib_s", "handshakes_per_s", "efficiency",
                                         "requests_per_s", "connections_per_s"};
    static const char *const lower_exact[] = {"bytes_per_connection", "connect_ms", "tls_ms",
                                              "first_byte_ms"};
    static const char *const lower_suffix[] = {"_ns_per_byte", "_us_per_handshake",
                                               "_us_per_request", "_bytes_per_connection"};
    size_t len = strlen(name);
    for (size_t i = 0; i < TH_ARRAY_LEN(higher); i++)
        if (strcmp(name, higher[i]) == 0)
            return 1;
    for (size_t i = 0; i < TH_ARRAY_LEN(lower_exact); i++)
        if (strcmp(name, lower_exact[i]) == 0)
            return -1;
    for (size_t i = 0; i < TH_ARRAY_LEN(lower_suffix); i++) {
        size_t sl = strlen(lower_suffix[i]);
        if (len > sl && strcmp(name + len - sl, lower_suffix[i]) == 0)
            return -1;
    }
    return strncmp(name, "latency_ms_", 11) == 0 && name[11] ? -1 : 0;
}

/* The run-to-run spread one file records for a metric, as a fraction of its median. */
static double noise(const struct cmp_metric *m)
{
    if (!m->has_spread || m->median == 0)
        return 0;
    double d = fabs(m->max - m->min) / fabs(m->median);
    return isfinite(d) ? d : 0;
}

static double threshold(const struct judge *j, const struct cmp_metric *b,
                        const struct cmp_metric *n)
{
    if (j->o->threshold >= 0)
        return j->o->threshold;
    double spread = fmax(noise(b), noise(n));
    return fmax(j->o->floor, spread);
}

static const char *verdict(struct judge *j, int dir, double change, double thr)
{
    if (!dir)
        return "unknown direction";
    if (change * dir < -thr) {
        j->regressions++;
        return "regression";
    }
    if (change * dir > thr) {
        j->improvements++;
        return "improvement";
    }
    return "within noise";
}

static int comparable(struct judge *j, const char *id, const char *name, const struct cmp_metric *b,
                      const struct cmp_metric *n)
{
    const char *bu = b->unit ? b->unit : "", *nu = n->unit ? n->unit : "";
    if (strcmp(bu, nu) != 0)
        warn(j, "%s %s: unit differs: %s → %s: not compared", id, name, *bu ? bu : "(none)",
             *nu ? nu : "(none)");
    else if (!b->has_median || !n->has_median)
        warn(j, "%s %s: no median in %s: not compared", id, name, b->has_median ? "NEW" : "BASE");
    else if (b->median <= 0)
        warn(j, "%s %s: BASE median is %g: no relative change: not compared", id, name, b->median);
    else
        return 1;
    return 0;
}

static void judge_metric(struct judge *j, const char *id, const char *name,
                         const struct cmp_metric *b, const struct cmp_metric *n)
{
    if (!comparable(j, id, name, b, n))
        return;
    double change = (n->median - b->median) / b->median, thr = threshold(j, b, n);
    if (!isfinite(change)) {
        warn(j, "%s %s: %g → %g: the change is out of range: not compared", id, name, b->median,
             n->median);
        return;
    }
    json_t *m = json_object();
    json_object_set_new(m, "id", json_string(id));
    json_object_set_new(m, "metric", json_string(name));
    json_object_set_new(m, "unit", jstr(b->unit));
    json_object_set_new(m, "base", jnum(b->median));
    json_object_set_new(m, "new", jnum(n->median));
    json_object_set_new(m, "change", jnum(change));
    json_object_set_new(m, "threshold", jnum(thr));
    json_object_set_new(m, "verdict", json_string(verdict(j, direction(name), change, thr)));
    json_array_append_new(j->metrics, m);
}

/* Both files were checked by read_metric, so reading again cannot fail. */
static void judge_metrics(struct judge *j, const struct cmp_case *b, const struct cmp_case *n)
{
    struct th_jpath p[MAX_DEPTH];
    struct cmp_metric bm, nm;
    const char *key;
    json_t *bv, *nv;
    json_object_foreach(b->metrics, key, bv)
    {
        nv = json_object_get(n->metrics, key);
        if (!nv) {
            warn(j, "%s %s: missing from NEW", b->id, key);
            continue;
        }
        if (read_metric(j->base, p, 0, bv, &bm) == 0 && read_metric(j->new_, p, 0, nv, &nm) == 0)
            judge_metric(j, b->id, key, &bm, &nm);
    }
    json_object_foreach(n->metrics, key, nv)
    {
        if (!json_object_get(b->metrics, key))
            warn(j, "%s %s: only in NEW: not compared", n->id, key);
    }
}

static int good_status(const char *s)
{
    return strcmp(s, "pass") == 0 || strcmp(s, "xfail") == 0;
}

static void add_case(struct judge *j, const char *id, const char *bs, const char *ns,
                     const char *verdict_, const char *reason)
{
    json_t *c = json_object();
    json_object_set_new(c, "id", json_string(id));
    json_object_set_new(c, "base_status", jstr(bs));
    json_object_set_new(c, "new_status", jstr(ns));
    json_object_set_new(c, "verdict", json_string(verdict_));
    if (reason)
        json_object_set_new(c, "reason", json_string(reason));
    json_array_append_new(j->cases, c);
}

static void judge_status(struct judge *j, const struct cmp_case *b, const struct cmp_case *n)
{
    const char *bs = b->status, *ns = n->status, *v;
    if (strcmp(bs, ns) == 0)
        return;
    if (strcmp(bs, "skip") == 0 || strcmp(ns, "skip") == 0)
        v = "not compared";
    else if (good_status(bs) && !good_status(ns)) {
        v = "regressed";
        j->cases_regressed++;
    } else if (!good_status(bs) && good_status(ns))
        v = "improved";
    else
        v = "changed";
    add_case(j, b->id, bs, ns, v, n->reason);
}

static void judge_cases(struct judge *j)
{
    for (size_t i = 0; i < j->base->n; i++) {
        const struct cmp_case *b = &j->base->cases[i], *n = find_case(j->new_, b->id);
        if (!n) {
            warn(j, "%s: missing from NEW", b->id);
            add_case(j, b->id, b->status, NULL, "missing from NEW", NULL);
            continue;
        }
        judge_status(j, b, n);
        if (strcmp(b->status, "skip") != 0 && strcmp(n->status, "skip") != 0)
            judge_metrics(j, b, n);
    }
    for (size_t i = 0; i < j->new_->n; i++) {
        const struct cmp_case *n = &j->new_->cases[i];
        if (!find_case(j->base, n->id))
            add_case(j, n->id, NULL, n->status, "only in NEW", n->reason);
    }
}

/* ---- the machines the runs had ---- */

/* A value as a warning shows it: strings bare, anything else as compact JSON. */
static char *show(const json_t *v)
{
    if (!v || json_is_null(v))
        return th_xstrdup("(unknown)");
    if (json_is_string(v))
        return th_xstrdup(json_string_value(v));
    char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    char *s = th_xstrdup(d ? d : "?");
    free(d);
    return s;
}

static void warn_differs(struct judge *j, const char *what, const json_t *b, const json_t *n)
{
    char *bs = show(b), *ns = show(n);
    warn(j, "%s differs: %s → %s: metrics may not be comparable", what, bs, ns);
    free(bs);
    free(ns);
}

/* Absent and null are the same: nothing recorded. */
static int same(const json_t *a, const json_t *b)
{
    return json_equal(a ? a : json_null(), b ? b : json_null());
}

/* The entry called name in a (checked) backends array, or NULL. */
static json_t *backend(const json_t *backends, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(backends, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
            return v;
    }
    return NULL;
}

static void judge_backends(struct judge *j)
{
    size_t i;
    json_t *v, *other;
    json_array_foreach(j->base->backends, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        json_t *bv = json_object_get(v, "version"), *nv;
        if (!(other = backend(j->new_->backends, name))) {
            warn(j, "backend %s: missing from NEW", name);
        } else if (!same(bv, nv = json_object_get(other, "version"))) {
            char *what = th_xasprintf("backend %s version", name);
            warn_differs(j, what, bv, nv);
            free(what);
        }
    }
    json_array_foreach(j->new_->backends, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (!backend(j->base->backends, name))
            warn(j, "backend %s: only in NEW", name);
    }
}

static void judge_env(struct judge *j)
{
    static const char *const keys[] = {"cpu_model", "cpu_flags",   "kernel",
                                       "os",        "build_flags", "compiler"};
    for (size_t i = 0; i < TH_ARRAY_LEN(keys); i++) {
        json_t *b = json_object_get(j->base->env, keys[i]);
        json_t *n = json_object_get(j->new_->env, keys[i]);
        if (!same(b, n))
            warn_differs(j, keys[i], b, n);
    }
    judge_backends(j);
}

/* ---- the report ---- */

static json_t *policy_json(const struct th_compare_opts *o)
{
    if (o->threshold >= 0)
        return json_pack("{s:s, s:o}", "mode", "fixed", "threshold", jnum(o->threshold));
    return json_pack("{s:s, s:o}", "mode", "spread", "floor", jnum(o->floor));
}

static json_t *report_json(const struct judge *j)
{
    json_t *r = json_object();
    json_object_set_new(r, "base", json_string(j->base->name));
    json_object_set_new(r, "new", json_string(j->new_->name));
    json_object_set_new(r, "threshold_policy", policy_json(j->o));
    json_object_set(r, "warnings", j->warnings);
    json_object_set(r, "metrics", j->metrics);
    json_object_set(r, "cases", j->cases);
    json_object_set_new(r, "metric_regressions", json_integer((json_int_t)j->regressions));
    json_object_set_new(r, "improvements", json_integer((json_int_t)j->improvements));
    json_object_set_new(r, "cases_regressed", json_integer((json_int_t)j->cases_regressed));
    json_object_set_new(r, "regressions",
                        json_integer((json_int_t)(j->regressions + j->cases_regressed)));
    return r;
}

static const char *sval(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double pct(const json_t *o, const char *key)
{
    return 100 * json_number_value(json_object_get(o, key));
}

static void print_metric(FILE *out, const json_t *m)
{
    const char *unit = sval(m, "unit");
    fprintf(out, "%s %s: %g → %g%s%s, %+.1f%% (threshold %.1f%%): %s\n", sval(m, "id"),
            sval(m, "metric"), json_number_value(json_object_get(m, "base")),
            json_number_value(json_object_get(m, "new")), *unit ? " " : "", unit, pct(m, "change"),
            pct(m, "threshold"), sval(m, "verdict"));
}

static void print_case(FILE *out, const json_t *c)
{
    const char *v = sval(c, "verdict"), *reason = sval(c, "reason");
    if (strcmp(v, "missing from NEW") == 0)
        return; /* already a warning */
    if (strcmp(v, "only in NEW") == 0) {
        fprintf(out, "note: %s: only in NEW (%s)\n", sval(c, "id"), sval(c, "new_status"));
        return;
    }
    fprintf(out, "%s: case %s: %s → %s%s%s\n", sval(c, "id"), v, sval(c, "base_status"),
            sval(c, "new_status"), *reason ? ": " : "", reason);
}

static void print_readable(FILE *out, const struct judge *j)
{
    size_t i;
    json_t *v;
    json_array_foreach(j->warnings, i, v) fprintf(out, "warning: %s\n", json_string_value(v));
    json_array_foreach(j->metrics, i, v) print_metric(out, v);
    json_array_foreach(j->cases, i, v) print_case(out, v);
    fprintf(out, "compare: %zu metrics, %zu regressions, %zu improvements; %zu cases regressed\n",
            json_array_size(j->metrics), j->regressions, j->improvements, j->cases_regressed);
    fputs(j->regressions + j->cases_regressed ? "regression\n" : "no regression\n", out);
}

static void print_json(FILE *out, const struct judge *j)
{
    json_t *r = report_json(j);
    char *text = json_dumps(r, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    if (text)
        fprintf(out, "%s\n", text);
    free(text);
    json_decref(r);
}

/* The judgement printed on out, or kept in *report (the HTML report draws it). */
static int judge_and_report(const struct cmp_file *base, const struct cmp_file *new_,
                            const struct th_compare_opts *o, FILE *out, json_t **report)
{
    struct judge j = {o, base, new_, json_array(), json_array(), json_array(), 0, 0, 0};
    judge_env(&j);
    judge_cases(&j);
    if (report)
        *report = report_json(&j);
    else if (o->json)
        print_json(out, &j);
    else
        print_readable(out, &j);
    json_decref(j.warnings);
    json_decref(j.metrics);
    json_decref(j.cases);
    return j.regressions + j.cases_regressed ? TH_COMPARE_REGRESSION : TH_COMPARE_SAME;
}

static int compare_texts(const char *base_name, const char *base_text, size_t base_len,
                         const char *new_name, const char *new_text, size_t new_len,
                         const struct th_compare_opts *o, FILE *out, json_t **report, FILE *errout)
{
    static const struct th_compare_opts defaults = TH_COMPARE_OPTS_INIT;
    struct th_compare_opts opts = o ? *o : defaults;
    struct cmp_file b = {.name = base_name, .text = base_text, .len = base_len, .err = errout};
    struct cmp_file n = {.name = new_name, .text = new_text, .len = new_len, .err = errout};
    if (!(opts.floor >= 0 && isfinite(opts.floor)))
        opts.floor = defaults.floor;
    if (!(opts.threshold >= 0 && isfinite(opts.threshold)))
        opts.threshold = -1; /* from the spread; NaN too */
    /* both files, so that both report */
    int bad_b = load(&b) < 0, bad_n = load(&n) < 0;
    int rc = bad_b || bad_n ? TH_COMPARE_BAD_INPUT : judge_and_report(&b, &n, &opts, out, report);
    unload(&b);
    unload(&n);
    return rc;
}

int th_compare_texts(const char *base_name, const char *base_text, size_t base_len,
                     const char *new_name, const char *new_text, size_t new_len,
                     const struct th_compare_opts *o, FILE *out, FILE *errout)
{
    return compare_texts(base_name, base_text, base_len, new_name, new_text, new_len, o, out, NULL,
                         errout);
}

int th_compare_judge_texts(const char *base_name, const char *base_text, size_t base_len,
                           const char *new_name, const char *new_text, size_t new_len,
                           const struct th_compare_opts *o, json_t **report, FILE *errout)
{
    *report = NULL;
    return compare_texts(base_name, base_text, base_len, new_name, new_text, new_len, o, NULL,
                         report, errout);
}

int th_compare_check_text(const char *name, const char *text, size_t len, FILE *errout)
{
    struct cmp_file f = {.name = name, .text = text, .len = len, .err = errout};
    int rc = load(&f) < 0 ? TH_COMPARE_BAD_INPUT : TH_COMPARE_SAME;
    unload(&f);
    return rc;
}

int th_compare_files(const char *base, const char *new_, const struct th_compare_opts *o, FILE *out,
                     FILE *errout)
{
    size_t blen = 0, nlen = 0;
    char *bt = th_read_file(base, &blen);
    int be = errno;
    char *nt = th_read_file(new_, &nlen);
    int ne = errno, rc = TH_COMPARE_BAD_INPUT;
    if (!bt)
        fprintf(errout, "%s: cannot read: %s\n", base, strerror(be));
    if (!nt)
        fprintf(errout, "%s: cannot read: %s\n", new_, strerror(ne));
    if (bt && nt)
        rc = th_compare_texts(base, bt, blen, new_, nt, nlen, o, out, errout);
    free(bt);
    free(nt);
    return rc;
}
