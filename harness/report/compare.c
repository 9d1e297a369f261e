/* `tlsharness compare`: the regression verdict between two results files. Both
 * files are read and checked whole before anything is judged, so bad input never
 * leaves half a report. The judgement is collected as JSON (the --json document)
 * and the readable report is rendered from that same data. */
#include "compare.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/vocab/text.h"
#include "resread.h"

/* ---- judging ---- */

struct judge {
    const struct th_compare_opts *o;
    const struct th_res *base, *new_;
    json_t *warnings, *metrics, *cases;
    json_t *notes, *incomplete; /* the gate: what NEW lacks (see judge_coverage) */
    size_t regressions, improvements, cases_regressed;
    size_t common, missing, extra; /* cases in both, only in BASE, only in NEW */
};

TH_PRINTF(2, 0) static void vappend(json_t *list, const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    json_array_append_new(list, json_string(s ? s : "(out of memory)"));
    free(s);
}

TH_PRINTF(2, 3) static void warn(struct judge *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(j->warnings, fmt, ap);
    va_end(ap);
}

TH_PRINTF(2, 3) static void append(json_t *list, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vappend(list, fmt, ap);
    va_end(ap);
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
                                              "first_byte_ms", "ttfb_ms"};
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
static double noise(const struct th_res_metric *m)
{
    if (!m->has_spread || m->median == 0)
        return 0;
    double d = fabs(m->max - m->min) / fabs(m->median);
    return isfinite(d) ? d : 0;
}

static double threshold(const struct judge *j, const struct th_res_metric *b,
                        const struct th_res_metric *n)
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

static int comparable(struct judge *j, const char *id, const char *name,
                      const struct th_res_metric *b, const struct th_res_metric *n)
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
                         const struct th_res_metric *b, const struct th_res_metric *n)
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

/* Both files were checked whole by the reader, so every metric reads. */
static void judge_metrics(struct judge *j, const struct th_res_case *b, const struct th_res_case *n)
{
    struct th_res_metric bm, nm;
    const char *key;
    json_t *bv, *nv;
    json_object_foreach(b->metrics, key, bv)
    {
        nv = json_object_get(n->metrics, key);
        if (!nv) {
            warn(j, "%s %s: missing from NEW", b->id, key);
            continue;
        }
        th_res_metric(bv, &bm);
        th_res_metric(nv, &nm);
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

static void judge_status(struct judge *j, const struct th_res_case *b, const struct th_res_case *n)
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
        const struct th_res_case *b = &j->base->cases[i], *n = th_res_find(j->new_, b->id);
        if (!n) {
            j->missing++;
            add_case(j, b->id, b->status, NULL, "missing from NEW", NULL);
            continue;
        }
        j->common++;
        judge_status(j, b, n);
        if (strcmp(b->status, "skip") != 0 && strcmp(n->status, "skip") != 0)
            judge_metrics(j, b, n);
    }
    for (size_t i = 0; i < j->new_->n; i++) {
        const struct th_res_case *n = &j->new_->cases[i];
        if (!th_res_find(j->base, n->id)) {
            j->extra++;
            add_case(j, n->id, NULL, n->status, "only in NEW", n->reason);
        }
    }
}

/* "a, b, c, d, e, ...": the first few ids of the cases with this verdict. */
static char *some_ids(const struct judge *j, const char *verdict_)
{
    enum { SHOWN = 5 };
    char *s = th_xstrdup(""), *t;
    size_t k = 0, i;
    json_t *c;
    json_array_foreach(j->cases, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "verdict")), verdict_) != 0)
            continue;
        t = k == SHOWN ? th_xasprintf("%s, ...", s)
                       : th_xasprintf("%s%s%s", s, k ? ", " : "",
                                      json_string_value(json_object_get(c, "id")));
        free(s);
        s = t;
        if (k++ == SHOWN)
            break;
    }
    return s;
}

/* The gate judges NEW only where it has data: a NEW that stopped early (or is a
 * checkpoint of a run still going), that shares no case with BASE, or that lacks
 * cases BASE has (an empty run, another shard, a narrower filter) fails however
 * good the cases it has look. --allow-missing makes the last a note, for a NEW
 * that is a deliberate subset; the others stay failures, since then the gate would
 * pass on data it never saw. Cases only in NEW are a note: nothing to judge them
 * against. */
static void judge_coverage(struct judge *j)
{
    const struct th_res *b = j->base, *n = j->new_;
    if (n->interrupted)
        append(j->incomplete, "NEW was interrupted: the run stopped before its end (or is still "
                              "going), so cases may be missing and the last one cut short");
    if (b->interrupted)
        warn(j, "BASE was interrupted: the cases it lacks are not gated");
    if (!j->common) {
        if (!n->n)
            append(j->incomplete, "NEW has no cases: nothing was compared");
        else if (!b->n)
            append(j->incomplete, "BASE has no cases: nothing was compared");
        else
            append(j->incomplete,
                   "NEW has none of BASE's %zu cases (another shard, filter or scenario set?): "
                   "nothing was compared",
                   b->n);
    } else if (j->missing) {
        char *ids = some_ids(j, "missing from NEW");
        append(j->o->allow_missing ? j->notes : j->incomplete,
               "NEW lacks %zu of BASE's %zu cases%s: %s", j->missing, b->n,
               j->o->allow_missing ? " (not gated: --allow-missing)"
                                   : " (--allow-missing gates on the cases both have)",
               ids);
        free(ids);
    }
    if (j->extra) {
        char *ids = some_ids(j, "only in NEW");
        append(j->notes, "NEW has %zu cases BASE lacks (not gated): %s", j->extra, ids);
        free(ids);
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

static int failed(const struct judge *j)
{
    return j->regressions + j->cases_regressed || json_array_size(j->incomplete);
}

static json_t *report_json(const struct judge *j)
{
    json_t *r = json_object();
    json_object_set_new(r, "base", json_string(j->base->name));
    json_object_set_new(r, "new", json_string(j->new_->name));
    json_object_set_new(r, "threshold_policy", policy_json(j->o));
    json_object_set_new(r, "allow_missing", json_boolean(j->o->allow_missing));
    json_object_set(r, "warnings", j->warnings);
    json_object_set(r, "notes", j->notes);
    json_object_set(r, "incomplete", j->incomplete);
    json_object_set(r, "metrics", j->metrics);
    json_object_set(r, "cases", j->cases);
    json_object_set_new(r, "new_interrupted", json_boolean(j->new_->interrupted));
    json_object_set_new(r, "cases_compared", json_integer((json_int_t)j->common));
    json_object_set_new(r, "cases_missing", json_integer((json_int_t)j->missing));
    json_object_set_new(r, "cases_only_in_new", json_integer((json_int_t)j->extra));
    json_object_set_new(r, "metric_regressions", json_integer((json_int_t)j->regressions));
    json_object_set_new(r, "improvements", json_integer((json_int_t)j->improvements));
    json_object_set_new(r, "cases_regressed", json_integer((json_int_t)j->cases_regressed));
    json_object_set_new(r, "regressions",
                        json_integer((json_int_t)(j->regressions + j->cases_regressed)));
    json_object_set_new(r, "exit_status",
                        json_integer(failed(j) ? TH_COMPARE_REGRESSION : TH_COMPARE_SAME));
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

/* One line of the readable report. Ids, reasons, metric names and environment
 * values come from the two files: the line is printed escaped (vocab/text.h), so a
 * file cannot move the cursor, set a title or split a line. */
TH_PRINTF(2, 3) static void put(FILE *out, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    th_text_fputs(out, s ? s : "(out of memory)");
    fputc('\n', out);
    free(s);
}

static void print_metric(FILE *out, const json_t *m)
{
    const char *unit = sval(m, "unit");
    put(out, "%s %s: %g → %g%s%s, %+.1f%% (threshold %.1f%%): %s", sval(m, "id"), sval(m, "metric"),
        json_number_value(json_object_get(m, "base")), json_number_value(json_object_get(m, "new")),
        *unit ? " " : "", unit, pct(m, "change"), pct(m, "threshold"), sval(m, "verdict"));
}

static void print_case(FILE *out, const json_t *c)
{
    const char *v = sval(c, "verdict"), *reason = sval(c, "reason");
    if (strcmp(v, "missing from NEW") == 0 || strcmp(v, "only in NEW") == 0)
        return; /* counted, with a few ids, in a note or an incomplete line */
    put(out, "%s: case %s: %s → %s%s%s", sval(c, "id"), v, sval(c, "base_status"),
        sval(c, "new_status"), *reason ? ": " : "", reason);
}

static void print_readable(FILE *out, const struct judge *j)
{
    size_t i, regs = j->regressions + j->cases_regressed;
    json_t *v;
    json_array_foreach(j->warnings, i, v) put(out, "warning: %s", json_string_value(v));
    json_array_foreach(j->metrics, i, v) print_metric(out, v);
    json_array_foreach(j->cases, i, v) print_case(out, v);
    json_array_foreach(j->notes, i, v) put(out, "note: %s", json_string_value(v));
    json_array_foreach(j->incomplete, i, v) put(out, "incomplete: %s", json_string_value(v));
    put(out,
        "compare: %zu metrics, %zu regressions, %zu improvements; %zu cases regressed; %zu of %zu "
        "cases compared",
        json_array_size(j->metrics), j->regressions, j->improvements, j->cases_regressed, j->common,
        j->base->n);
    put(out, "%s",
        regs && json_array_size(j->incomplete) ? "regression, incomplete"
        : regs                                 ? "regression"
        : json_array_size(j->incomplete)       ? "incomplete"
                                               : "no regression");
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
static int judge_and_report(const struct th_res *base, const struct th_res *new_,
                            const struct th_compare_opts *o, FILE *out, json_t **report)
{
    struct judge j = {.o = o,
                      .base = base,
                      .new_ = new_,
                      .warnings = json_array(),
                      .metrics = json_array(),
                      .cases = json_array(),
                      .notes = json_array(),
                      .incomplete = json_array()};
    judge_env(&j);
    judge_cases(&j);
    judge_coverage(&j);
    if (report)
        *report = report_json(&j);
    else if (o->json)
        print_json(out, &j);
    else
        print_readable(out, &j);
    int rc = failed(&j) ? TH_COMPARE_REGRESSION : TH_COMPARE_SAME;
    json_decref(j.warnings);
    json_decref(j.metrics);
    json_decref(j.cases);
    json_decref(j.notes);
    json_decref(j.incomplete);
    return rc;
}

/* Bad input on errout (each file's first fault, one line), or the judgement. */
static int judge_loaded(const struct th_res *b, int bad_b, const struct th_res *n, int bad_n,
                        const struct th_compare_opts *o, FILE *out, json_t **report, FILE *errout)
{
    static const struct th_compare_opts defaults = TH_COMPARE_OPTS_INIT;
    struct th_compare_opts opts = o ? *o : defaults;
    if (!(opts.floor >= 0 && isfinite(opts.floor)))
        opts.floor = defaults.floor;
    if (!(opts.threshold >= 0 && isfinite(opts.threshold)))
        opts.threshold = -1; /* from the spread; NaN too */
    if (bad_b)
        fprintf(errout, "%s\n", b->why);
    if (bad_n)
        fprintf(errout, "%s\n", n->why);
    return bad_b || bad_n ? TH_COMPARE_BAD_INPUT : judge_and_report(b, n, &opts, out, report);
}

/* Both files are read, so that both report. */
static int compare_texts(const char *base_name, const char *base_text, size_t base_len,
                         const char *new_name, const char *new_text, size_t new_len,
                         const struct th_compare_opts *o, FILE *out, json_t **report, FILE *errout)
{
    struct th_res b, n;
    int bad_b = th_res_load(&b, base_name, base_text, base_len) < 0;
    int bad_n = th_res_load(&n, new_name, new_text, new_len) < 0;
    int rc = judge_loaded(&b, bad_b, &n, bad_n, o, out, report, errout);
    th_res_free(&b);
    th_res_free(&n);
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
    struct th_res f;
    int rc = TH_COMPARE_SAME;
    if (th_res_load(&f, name, text, len) < 0) {
        fprintf(errout, "%s\n", f.why);
        rc = TH_COMPARE_BAD_INPUT;
    }
    th_res_free(&f);
    return rc;
}

int th_compare_files(const char *base, const char *new_, const struct th_compare_opts *o, FILE *out,
                     FILE *errout)
{
    struct th_res b, n;
    int bad_b = th_res_read(&b, base) < 0, bad_n = th_res_read(&n, new_) < 0;
    int rc = judge_loaded(&b, bad_b, &n, bad_n, o, out, NULL, errout);
    th_res_free(&b);
    th_res_free(&n);
    return rc;
}
