/* Results writers: the JSON results file (DESIGN.md "Results file"), JUnit XML in the
 * dialect Jenkins' junit-10.xsd describes (what GitHub, GitLab and Jenkins read).
 * Both files are written whole or not at all. The terminal summary is summary.c. */
#include "results.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "harness/vocab/iana.h"
#include "harness/vocab/text.h"

#define SCHEMA "tlsharness.results/1"

void th_run_counts(const struct th_run *run, size_t counts[TH_STATUS_COUNT])
{
    memset(counts, 0, TH_STATUS_COUNT * sizeof(counts[0]));
    for (size_t i = 0; i < run->n; i++) {
        unsigned s = (unsigned)run->results[i].status;
        counts[s < TH_STATUS_COUNT ? s : TH_ERROR]++;
    }
}

/* ---- text from libraries and peers: not always valid UTF-8 ---- */

/* A copy of s with every byte that is not part of valid UTF-8 replaced by '?'. */
static char *utf8_clean(const char *s)
{
    char *out = th_xstrdup(s);
    unsigned char *p = (unsigned char *)out;
    while (*p) {
        uint32_t cp;
        size_t n = th_utf8_decode(p, &cp);
        if (!n) {
            *p = '?';
            n = 1;
        }
        p += n;
    }
    return out;
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *clean = utf8_clean(s);
    j = json_string(clean);
    free(clean);
    return j ? j : json_null();
}

/* JSON has no NaN or infinity: a measurement that is not a number is null. */
static json_t *jnum(double d)
{
    return isfinite(d) ? json_real(d) : json_null();
}

static json_t *hex_id(uint16_t id)
{
    char buf[8];
    snprintf(buf, sizeof(buf), "0x%04X", id);
    return json_string(buf);
}

/* IANA names, or the id in hex when the table does not know it. */
static json_t *version_json(uint16_t v)
{
    return v >= TH_TLS10 && v <= TH_TLS13 ? json_string(th_version_name(v)) : hex_id(v);
}

static json_t *suite_json(uint16_t id)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    return s ? json_string(s->name) : hex_id(id);
}

static json_t *group_json(uint16_t id)
{
    const struct th_group_info *g = th_group_by_id(id);
    return g ? json_string(g->name) : hex_id(id);
}

static json_t *outcomes_json(th_outcome_set set)
{
    json_t *a = json_array();
    for (int o = 0; o < TH_OUTCOME_COUNT; o++)
        if (set & TH_OUTCOME_BIT(o))
            json_array_append_new(a, json_string(th_outcome_name((enum th_outcome)o)));
    return a;
}

/* Only what the scenario pinned: an absent key means "any". */
static json_t *expected_json(const struct th_expect *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "outcome", outcomes_json(e->outcomes));
    if (e->version)
        json_object_set_new(o, "version", version_json(e->version));
    if (e->suite)
        json_object_set_new(o, "cipher", suite_json(e->suite));
    if (e->group)
        json_object_set_new(o, "group", group_json(e->group));
    if (e->alpn_pinned)
        json_object_set_new(o, "alpn", jstr(e->alpn));
    if (e->resumed >= 0)
        json_object_set_new(o, "resumed", json_boolean(e->resumed));
    if (e->ocsp_pinned)
        json_object_set_new(o, "ocsp", json_string(th_staple_name(e->ocsp)));
    if (e->hrr >= 0)
        json_object_set_new(o, "hrr", json_boolean(e->hrr));
    return o;
}

static json_t *error_json(const struct th_error *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "outcome", json_string(th_outcome_name(e->outcome)));
    json_object_set_new(o, "code", json_integer(e->code));
    json_object_set_new(o, "text", jstr(e->text));
    return o;
}

/* The error of the side whose report decided the outcome, or NULL. */
static const struct th_error *deciding_error(const struct th_observed *obs)
{
    if (!obs->native_side)
        return NULL;
    const struct th_error *e =
        strcmp(obs->native_side, "server") == 0 ? &obs->server_err : &obs->client_err;
    return e->outcome != TH_OK ? e : NULL;
}

static json_t *native_json(const struct th_observed *obs)
{
    const struct th_error *e = deciding_error(obs);
    if (!e)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "side", json_string(obs->native_side));
    json_object_set_new(o, "code", json_integer(e->code));
    json_object_set_new(o, "text", jstr(e->text));
    return o;
}

/* What was negotiated; each value null when no handshake completed or, for cipher,
 * group and alpn, when there was none (RSA key transport has no group). */
static void negotiated_json(json_t *o, const struct th_observed *obs)
{
    const struct th_negotiated *n = &obs->neg;
    int have = obs->have_neg;
    json_object_set_new(o, "version", have && n->version ? version_json(n->version) : json_null());
    json_object_set_new(o, "cipher", have && n->suite ? suite_json(n->suite) : json_null());
    json_object_set_new(o, "group", have && n->group ? group_json(n->group) : json_null());
    json_object_set_new(o, "alpn", have && n->alpn[0] ? jstr(n->alpn) : json_null());
    json_object_set_new(o, "resumed", have ? json_boolean(n->resumed) : json_null());
}

/* The case asked for a client certificate or gave one: observed says what became of it. */
static int uses_client_cert(const struct th_case *c)
{
    return c && (c->s.client_auth != TH_CLIENT_AUTH_NONE || c->c.cert);
}

/* The case stapled a response or had its client ask for one: observed.ocsp says what
 * the client saw (also when the handshake failed: a refused staple is why). */
static int uses_ocsp(const struct th_case *c)
{
    return c && (c->c.ocsp_mode != TH_OCSP_OFF || c->s.ocsp);
}

static json_t *staple_json(const struct th_observed *obs)
{
    const char *s = th_staple_name(obs->neg.ocsp);
    return s ? json_string(s) : json_null();
}

static json_t *opt_bool(int known, int v)
{
    return known ? json_boolean(v) : json_null();
}

/* Whether the server accepted the client's certificate: -1 not known, else 0 or 1.
 * Our own server says so; a fixture or an external target only shows it by letting
 * the connection through (the case ended ok with a certificate sent), and says
 * nothing when it did not (its refusal may have been of something else). */
static int cert_accepted(const struct th_observed *obs)
{
    if (obs->server_seen)
        return obs->have_server_neg && obs->server_client_cert;
    if (obs->have_neg && obs->neg.client_cert && obs->outcome == TH_OK)
        return 1;
    return -1;
}

/* requested and sent are the client's view, known once its handshake completed;
 * accepted: cert_accepted. */
static json_t *client_cert_json(const struct th_observed *obs)
{
    json_t *o = json_object();
    int acc = cert_accepted(obs);
    json_object_set_new(o, "requested", opt_bool(obs->have_neg, obs->neg.cert_requested));
    json_object_set_new(o, "sent", opt_bool(obs->have_neg, obs->neg.client_cert));
    json_object_set_new(o, "accepted", opt_bool(acc >= 0, acc > 0));
    return o;
}

/* Kind handshake_rate: its handshakes counted (struct th_rate_seen); hrr null when
 * no handshake's records showed TLS 1.3. */
static json_t *rate_seen_json(const struct th_rate_seen *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "attempted", json_integer((json_int_t)s->attempted));
    json_object_set_new(o, "full", json_integer((json_int_t)s->full));
    json_object_set_new(o, "resumed", json_integer((json_int_t)s->resumed));
    json_object_set_new(o, "hrr", s->hrr_known ? json_integer((json_int_t)s->hrr) : json_null());
    json_object_set_new(o, "early_offered", json_integer((json_int_t)s->early_offered));
    json_object_set_new(o, "early_accepted", json_integer((json_int_t)s->early_accepted));
    return o;
}

/* The case sends early data or has a server that may take it: observed.early_data. */
static int uses_early(const struct th_case *c)
{
    return c && (c->c.early != TH_EARLY_OFF || c->s.early_server != TH_EARLY_SERVER_OFF);
}

/* The client's view of the connection judged (offered, accepted, bytes: null when no
 * handshake completed), the replay's outcome (null when none was tried), and the
 * time to the first response byte (null when none came). */
static json_t *early_json(const struct th_observed *obs)
{
    json_t *o = json_object();
    int have = obs->have_neg;
    json_object_set_new(o, "offered", opt_bool(have, obs->neg.early_offered));
    json_object_set_new(o, "accepted", opt_bool(have, obs->neg.early_accepted));
    json_object_set_new(o, "bytes",
                        have ? json_integer((json_int_t)obs->neg.early_bytes) : json_null());
    json_object_set_new(o, "replay_accepted", opt_bool(obs->replay_tried, obs->replay_accepted));
    json_object_set_new(o, "first_byte_ms",
                        obs->first_byte_ns ? jnum((double)obs->first_byte_ns / 1e6) : json_null());
    return o;
}

static json_t *observed_json(const struct th_case_result *r)
{
    const struct th_observed *obs = &r->obs;
    if (!obs->ran)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "outcome", json_string(th_outcome_name(obs->outcome)));
    negotiated_json(o, obs);
    json_object_set_new(o, "hrr", opt_bool(obs->hrr_known, obs->hrr != 0));
    if (obs->rate.ran)
        json_object_set_new(o, "handshakes", rate_seen_json(&obs->rate));
    if (uses_client_cert(r->c))
        json_object_set_new(o, "client_cert", client_cert_json(obs));
    if (uses_ocsp(r->c))
        json_object_set_new(o, "ocsp", staple_json(obs));
    if (uses_early(r->c))
        json_object_set_new(o, "early_data", early_json(obs));
    json_object_set_new(o, "native", native_json(obs));
    if (obs->client_err.outcome != TH_OK)
        json_object_set_new(o, "client_error", error_json(&obs->client_err));
    if (obs->server_seen && obs->server_err.outcome != TH_OK)
        json_object_set_new(o, "server_error", error_json(&obs->server_err));
    return o;
}

static json_t *metrics_json(const struct th_case_result *r)
{
    json_t *o = json_object();
    for (size_t i = 0; i < r->n_metrics && i < TH_MAX_METRICS; i++) {
        const struct th_metric *m = &r->metrics[i];
        if (!m->name)
            continue;
        json_t *v = json_object();
        json_object_set_new(v, "median", jnum(m->median));
        json_object_set_new(v, "min", jnum(m->min));
        json_object_set_new(v, "max", jnum(m->max));
        json_object_set_new(v, "n", json_integer((json_int_t)m->n));
        json_object_set_new(v, "unit", jstr(m->unit));
        json_object_set_new(o, m->name, v);
    }
    return o;
}

/* Kind load's totals over its repetitions, and the latency of every verified request. */
static json_t *load_json(const struct th_load_tally *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "requests", json_integer((json_int_t)t->requests));
    json_object_set_new(o, "connections", json_integer((json_int_t)t->connections));
    json_object_set_new(o, "resumed", json_integer((json_int_t)t->resumed));
    json_object_set_new(o, "body_bytes", json_integer((json_int_t)t->body_bytes));
    json_object_set_new(o, "early_offered", json_integer((json_int_t)t->early_offered));
    json_object_set_new(o, "early_accepted", json_integer((json_int_t)t->early_accepted));
    json_object_set_new(o, "wall_s", jnum(t->wall_s));
    json_object_set_new(o, "mode", json_string(t->rate > 0 ? "open" : "closed"));
    json_object_set_new(o, "rate", t->rate > 0 ? jnum(t->rate) : json_null());
    json_object_set_new(o, "body_check", jstr(t->body_check));
    json_object_set_new(o, "bodies_hashed", json_integer((json_int_t)t->bodies_hashed));
    json_object_set_new(o, "handshakes_differing", json_integer((json_int_t)t->neg_differ));
    json_object_set_new(o, "protocol", json_string(t->http2 ? "h2" : "http/1.1"));
    json_object_set_new(o, "streams", json_integer(t->http2 && t->streams ? t->streams : 1));
    json_object_set_new(o, "latency_histogram", th_lathist_json(&t->latency));
    return o;
}

static json_t *case_json(const struct th_case_result *r)
{
    const struct th_case *c = r->c;
    json_t *o = json_object();
    json_object_set_new(o, "id", jstr(c->id));
    json_object_set_new(o, "scenario", jstr(c->scenario));
    json_object_set_new(o, "file", jstr(c->file));
    json_object_set_new(o, "kind", jstr(th_kind_name(c->kind)));
    json_object_set_new(o, "client", jstr(c->client ? c->client->name : NULL));
    json_object_set_new(o, "server", jstr(c->server_name));
    json_object_set_new(o, "transport", jstr(th_transport_name(c->transport)));
    json_object_set_new(o, "status", json_string(th_status_name(r->status)));
    json_object_set_new(o, "reason", jstr(r->reason));
    json_object_set_new(o, "expected", expected_json(&c->expect));
    json_object_set_new(o, "observed", observed_json(r));
    json_object_set_new(o, "metrics", metrics_json(r));
    json_t *errs = json_object();
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        if (r->errors[i])
            json_object_set_new(errs, th_outcome_name((enum th_outcome)i),
                                json_integer((json_int_t)r->errors[i]));
    if (json_object_size(errs))
        json_object_set_new(o, "errors", errs);
    else
        json_decref(errs);
    if (r->load.ran)
        json_object_set_new(o, "load", load_json(&r->load));
    json_object_set_new(o, "duration_s", jnum(r->duration_s));
    return o;
}

static json_t *roles_json(const struct th_backend *b)
{
    json_t *a = json_array();
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    if (b->caps)
        b->caps(&caps);
    if (caps.roles & TH_ROLE_CLIENT)
        json_array_append_new(a, json_string("client"));
    if (caps.roles & TH_ROLE_SERVER)
        json_array_append_new(a, json_string("server"));
    return a;
}

/* The library defaults the backend changes (struct th_caps): [] when none. */
static json_t *defaults_changed_json(const struct th_backend *b)
{
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    if (b->caps)
        b->caps(&caps);
    json_t *a = json_array();
    for (size_t i = 0; i < TH_MAX_DEFAULTS_CHANGED && caps.defaults_changed[i]; i++)
        json_array_append_new(a, jstr(caps.defaults_changed[i]));
    return a;
}

/* A shim: its stack runs in a process of its own (its CPU read from there). */
static int out_of_process(const struct th_backend *b)
{
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    if (b->caps)
        b->caps(&caps);
    return (caps.features & TH_CAP_OUT_OF_PROCESS) != 0;
}

static json_t *backends_json(void)
{
    json_t *a = json_array();
    for (size_t i = 0; th_backends[i]; i++) {
        const struct th_backend *b = th_backends[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(b->name));
        json_object_set_new(o, "library", jstr(b->library));
        json_object_set_new(o, "version", b->version ? jstr(b->version()) : json_null());
        json_object_set_new(o, "roles", roles_json(b));
        json_object_set_new(o, "defaults_changed", defaults_changed_json(b));
        json_object_set_new(o, "out_of_process", json_boolean(out_of_process(b)));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *summary_json(const struct th_run *run)
{
    size_t counts[TH_STATUS_COUNT];
    th_run_counts(run, counts);
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer((json_int_t)run->n));
    for (int s = 0; s < TH_STATUS_COUNT; s++)
        json_object_set_new(o, th_status_name((enum th_status)s),
                            json_integer((json_int_t)counts[s]));
    return o;
}

static json_t *time_json(double t)
{
    char buf[32];
    th_iso8601(t, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *run_json(const struct th_run *run)
{
    json_t *o = json_object();
    json_object_set_new(o, "schema", json_string(SCHEMA));
    json_object_set_new(o, "generator", jstr(run->generator));
    json_object_set_new(o, "started_at", time_json(run->started_at));
    json_object_set_new(o, "finished_at", time_json(run->finished_at));
    json_object_set_new(o, "duration_s", jnum(run->finished_at - run->started_at));
    json_object_set_new(o, "environment", th_env_json(run->build_flags));
    json_object_set_new(o, "backends", backends_json());
    if (run->interrupted)
        json_object_set_new(o, "interrupted", json_true());
    json_t *cases = json_array();
    for (size_t i = 0; i < run->n; i++)
        json_array_append_new(cases, case_json(&run->results[i]));
    json_object_set_new(o, "cases", cases);
    json_object_set_new(o, "summary", summary_json(run));
    return o;
}

/* ---- writing files ---- */

/* "PATH: what: strerror" as a fault at the caller's place. */
#define SET_ERR(err, path, what, e)                                                                \
    TH_FAULT((err), (e), "%s: %s%s%s", (path), (what) ? (what) : "", (what) ? ": " : "",           \
             strerror(e))

static int ensure_parent(const char *path, struct th_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char *dir = th_xasprintf("%.*s", (int)(slash - path), path);
    int rc = th_mkdirs(dir);
    int e = errno;
    free(dir);
    if (rc != 0)
        SET_ERR(err, path, "cannot create its folder", e);
    return rc;
}

static int write_whole(const char *path, const char *text, struct th_error *err)
{
    if (ensure_parent(path, err) != 0)
        return -1;
    if (th_write_file_atomic(path, text, strlen(text)) != 0) {
        SET_ERR(err, path, NULL, errno);
        return -1;
    }
    return 0;
}

int th_results_write_json(const char *path, const struct th_run *run, struct th_error *err)
{
    json_t *doc = run_json(run);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!text) {
        SET_ERR(err, path, "cannot serialise the results", ENOMEM);
        return -1;
    }
    size_t len = strlen(text);
    char *withnl = th_xmalloc(len + 2);
    memcpy(withnl, text, len);
    memcpy(withnl + len, "\n", 2);
    free(text);
    int rc = write_whole(path, withnl, err);
    free(withnl);
    return rc;
}

/* ---- JUnit XML ---- */

/* XML 1.0 allows tab, newline, carriage return and U+0020 and above, except the
 * surrogates (never decoded) and U+FFFE/U+FFFF. */
static int xml_char_ok(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    return cp != 0xFFFE && cp != 0xFFFF;
}

/* Escaped text. A reason, an id or a library's words can carry a peer's or a file's
 * bytes, and a control byte is not even legal in XML 1.0: the text is made printable
 * first (vocab/text.h: a control byte or broken UTF-8 as \xNN, a newline as \n), so
 * it is one line, legal in an attribute as in an element. */
static void xml_put(FILE *f, const char *s)
{
    size_t cap = 4 * strlen(s ? s : "") + 1;
    char *safe = th_text_safe(th_xmalloc(cap), cap, s);
    const unsigned char *p = (const unsigned char *)safe;
    while (*p) {
        uint32_t cp;
        size_t n = th_utf8_decode(p, &cp);
        if (!n) { /* cannot happen after th_text_safe; never loop on it */
            p++;
            continue;
        }
        if (cp == '&')
            fputs("&amp;", f);
        else if (cp == '<')
            fputs("&lt;", f);
        else if (cp == '>')
            fputs("&gt;", f);
        else if (cp == '"')
            fputs("&quot;", f);
        else if (cp == '\'')
            fputs("&apos;", f);
        else if (xml_char_ok(cp))
            fwrite(p, 1, n, f);
        p += n;
    }
    free(safe);
}

/* Lines of text, each escaped on its own (xml_put), the line breaks kept. */
static void xml_put_lines(FILE *f, char *text)
{
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        if ((nl = strchr(line, '\n')))
            *nl = '\0';
        xml_put(f, line);
        if (nl)
            fputc('\n', f);
    }
}

/* Seconds as junit-10.xsd's SUREFIRE_TIME accepts: digits, a point, digits. */
static void put_time(FILE *f, double s)
{
    fprintf(f, "%.3f", isfinite(s) && s > 0 ? s : 0.0);
}

static const char *client_name(const struct th_case *c)
{
    return c->client && c->client->name ? c->client->name : "?";
}

/* The failure's body is lines: outside text in it (th_text_fputs) stays on its line. */
static void describe_error(FILE *f, const char *label, const struct th_error *e)
{
    fprintf(f, "%s: %s (code %ld) ", label, th_outcome_name(e->outcome), e->code);
    th_text_fputs(f, e->text);
    fputc('\n', f);
}

static void describe_expected(FILE *f, const struct th_expect *e)
{
    fputs("expected: outcome ", f);
    const char *sep = "";
    for (int o = 0; o < TH_OUTCOME_COUNT; o++) {
        if (e->outcomes & TH_OUTCOME_BIT(o)) {
            fprintf(f, "%s%s", sep, th_outcome_name((enum th_outcome)o));
            sep = "|";
        }
    }
    if (e->version)
        fprintf(f, ", version %s", th_version_name(e->version));
    if (e->suite)
        fprintf(f, ", cipher %s", th_suite_by_id(e->suite) ? th_suite_by_id(e->suite)->name : "?");
    if (e->group)
        fprintf(f, ", group %s", th_group_by_id(e->group) ? th_group_by_id(e->group)->name : "?");
    if (e->alpn_pinned) {
        fputs(", alpn ", f);
        th_text_fputs(f, e->alpn ? e->alpn : "(none)");
    }
    if (e->resumed >= 0)
        fprintf(f, ", resumed %s", e->resumed ? "yes" : "no");
    fputc('\n', f);
}

static const char *yes_no_unknown(int known, int v)
{
    return !known ? "unknown" : v ? "yes" : "no";
}

static void describe_observed(FILE *f, const struct th_case_result *r)
{
    const struct th_observed *obs = &r->obs;
    if (!obs->ran) {
        fputs("observed: nothing (no connection was attempted)\n", f);
        return;
    }
    fprintf(f, "observed: outcome %s", th_outcome_name(obs->outcome));
    if (obs->have_neg) {
        const struct th_negotiated *n = &obs->neg;
        const struct th_suite_info *s = th_suite_by_id(n->suite);
        const struct th_group_info *g = th_group_by_id(n->group);
        fprintf(f, ", version %s, cipher %s, group %s, alpn ", th_version_name(n->version),
                s ? s->name : "(none)", g ? g->name : "(none)");
        th_text_fputs(f, n->alpn[0] ? n->alpn : "(none)");
        fprintf(f, ", resumed %s", n->resumed ? "yes" : "no");
    }
    if (obs->hrr_known)
        fprintf(f, ", HelloRetryRequest %s", obs->hrr ? "yes" : "no");
    fputc('\n', f);
    if (uses_client_cert(r->c))
        fprintf(f, "client certificate: requested %s, sent %s, accepted %s\n",
                yes_no_unknown(obs->have_neg, obs->neg.cert_requested),
                yes_no_unknown(obs->have_neg, obs->neg.client_cert),
                yes_no_unknown(cert_accepted(obs) >= 0, cert_accepted(obs) > 0));
    if (uses_early(r->c))
        fprintf(f, "early data: offered %s, accepted %s, %llu bytes; replay accepted %s\n",
                yes_no_unknown(obs->have_neg, obs->neg.early_offered),
                yes_no_unknown(obs->have_neg, obs->neg.early_accepted),
                (unsigned long long)obs->neg.early_bytes,
                yes_no_unknown(obs->replay_tried, obs->replay_accepted));
    if (uses_ocsp(r->c)) {
        const char *s = th_staple_name(obs->neg.ocsp);
        fprintf(f, "OCSP staple: %s\n", s ? s : "not asked for");
    }
    const struct th_error *native = deciding_error(obs);
    if (native) {
        fprintf(f, "native (%s): code %ld: ", obs->native_side, native->code);
        th_text_fputs(f, native->text);
        fputc('\n', f);
    }
    if (obs->client_err.outcome != TH_OK)
        describe_error(f, "client error", &obs->client_err);
    if (obs->server_seen && obs->server_err.outcome != TH_OK)
        describe_error(f, "server error", &obs->server_err);
}

/* The body of a <failure>/<error>: what a reader of the CI page needs to triage. */
static char *describe_case(const struct th_case_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return th_xstrdup(r->reason);
    fputs("case: ", f);
    th_text_fputs(f, r->c->id);
    fputs(" (", f);
    th_text_fputs(f, r->c->file ? r->c->file : "?");
    fprintf(f, ":%d)\n", r->c->line);
    describe_expected(f, &r->c->expect);
    describe_observed(f, r);
    fclose(f);
    return buf;
}

static void junit_problem(FILE *f, const struct th_case_result *r, const char *elem,
                          const char *type)
{
    char *details = describe_case(r);
    fprintf(f, "      <%s message=\"", elem);
    xml_put(f, r->reason);
    fprintf(f, "\" type=\"%s\">", type);
    xml_put_lines(f, details);
    fprintf(f, "</%s>\n", elem);
    free(details);
}

static void junit_case(FILE *f, const struct th_case_result *r)
{
    const struct th_case *c = r->c;
    /* a class name is dotted where the scenario's name has folders */
    char *classname = th_xstrdup(c->scenario ? c->scenario : "");
    for (char *p = classname; *p; p++)
        *p = *p == '/' ? '.' : *p;
    fputs("    <testcase classname=\"", f);
    xml_put(f, classname);
    free(classname);
    fputs("\" name=\"", f);
    xml_put(f, client_name(c));
    fputs("-vs-", f);
    xml_put(f, c->server_name);
    fputs("\" time=\"", f);
    put_time(f, r->duration_s);
    fputs("\"", f);
    if (r->status == TH_PASS) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n", f);
    if (r->status == TH_FAIL || r->status == TH_XPASS)
        junit_problem(f, r, "failure", th_status_name(r->status));
    else if (r->status == TH_SKIP) {
        fputs("      <skipped message=\"", f);
        xml_put(f, r->reason);
        fputs("\"/>\n", f);
    } else if (r->status == TH_XFAIL) {
        fputs("      <system-out>xfail: ", f);
        xml_put(f, r->reason);
        fputs("</system-out>\n", f);
    } else
        junit_problem(f, r, "error", "error");
    fputs("    </testcase>\n", f);
}

static int same_file(const struct th_case *a, const struct th_case *b)
{
    return strcmp(a->file ? a->file : "", b->file ? b->file : "") == 0;
}

/* One <testsuite> per scenario file: the cases of results[first] and every later
 * case from the same file. */
static void junit_suite(FILE *f, const struct th_run *run, size_t first)
{
    const struct th_case *head = run->results[first].c;
    size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double time = 0;
    for (size_t i = first; i < run->n; i++) {
        const struct th_case_result *r = &run->results[i];
        if (!same_file(r->c, head))
            continue;
        tests++;
        failures += r->status == TH_FAIL || r->status == TH_XPASS;
        skipped += r->status == TH_SKIP;
        errors += r->status == TH_ERROR || (unsigned)r->status >= TH_STATUS_COUNT;
        time += isfinite(r->duration_s) && r->duration_s > 0 ? r->duration_s : 0;
    }
    fputs("  <testsuite name=\"", f);
    xml_put(f, head->file);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"", tests,
            failures, errors, skipped);
    put_time(f, time);
    fputs("\">\n", f);
    for (size_t i = first; i < run->n; i++)
        if (same_file(run->results[i].c, head))
            junit_case(f, &run->results[i]);
    fputs("  </testsuite>\n", f);
}

static int file_seen_before(const struct th_run *run, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_file(run->results[j].c, run->results[i].c))
            return 1;
    return 0;
}

/* <testsuites> carries no "skipped": junit-10.xsd does not allow it there; each
 * <testsuite> has its own count. */
static void junit_doc(FILE *f, const struct th_run *run)
{
    size_t counts[TH_STATUS_COUNT];
    th_run_counts(run, counts);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"tlsharness\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"",
            run->n, counts[TH_FAIL] + counts[TH_XPASS], counts[TH_ERROR]);
    put_time(f, run->finished_at - run->started_at);
    fputs("\">\n", f);
    for (size_t i = 0; i < run->n; i++)
        if (!file_seen_before(run, i))
            junit_suite(f, run, i);
    fputs("</testsuites>\n", f);
}

int th_results_write_junit(const char *path, const struct th_run *run, struct th_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        SET_ERR(err, path, "cannot build the XML", errno);
        return -1;
    }
    junit_doc(f, run);
    if (fclose(f) != 0) {
        free(text);
        SET_ERR(err, path, "cannot build the XML", ENOMEM);
        return -1;
    }
    int rc = write_whole(path, text, err);
    free(text);
    return rc;
}
