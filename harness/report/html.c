/* The HTML report (html.h): the results file is checked whole the way `compare`
 * reads it (compare.h) before anything is written, so bad input never leaves half a
 * page; then it is read once into a table of cases that the sections (html_*.c)
 * draw from. Every string of the documents read is made printable first
 * (make_safe), so no section can print a control byte from a peer or a file. The
 * page is built in memory and written atomically. */
#include "html.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "harness/vocab/text.h"
#include "harness/vocab/util.h"
#include "html_int.h"

/* len bytes of s made printable (a control byte or a NUL becomes \xNN: four bytes
 * at most for one), in memory the caller frees. */
static char *safe_dup(const char *s, size_t len)
{
    size_t cap = 4 * len + 1;
    return th_text_safe_n(th_xmalloc(cap), cap, s, len);
}

/* ---- printing ---- */

const char *th_html_num(double v, char *buf, size_t cap)
{
    if (!isfinite(v) || fabs(v) < 1e4 || fabs(v) >= 1e15)
        return th_svg_fmt(v, buf, cap);
    /* digits grouped by thin spaces: 23 587 */
    char digits[32];
    size_t len = (size_t)snprintf(digits, sizeof digits, "%.0f", fabs(v)), o = 0;
    if (v < 0 && o + 1 < cap)
        buf[o++] = '-';
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        if (i && (len - i) % 3 == 0) {
            memcpy(buf + o, "\xE2\x80\x89", 3); /* U+2009 */
            o += 3;
        }
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

void th_html_status(FILE *f, enum th_status s)
{
    const char *name = th_status_name(s);
    fprintf(f, "<span class=\"st %s\">%s</span>", name, name);
}

void th_html_esc(FILE *f, const char *s)
{
    char *safe = safe_dup(s ? s : "", s ? strlen(s) : 0);
    th_svg_escape(f, safe);
    free(safe);
}

const char *th_html_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* ---- reading ---- */

int th_html_metric(const struct th_hcase *c, const char *name, struct th_hmetric *m)
{
    json_t *v = json_object_get(json_object_get(c->j, "metrics"), name);
    json_t *med = json_object_get(v, "median"), *mn = json_object_get(v, "min"),
           *mx = json_object_get(v, "max");
    if (!json_is_number(med) || !isfinite(json_number_value(med)))
        return 0;
    m->median = json_number_value(med);
    m->min = json_is_number(mn) ? json_number_value(mn) : NAN;
    m->max = json_is_number(mx) ? json_number_value(mx) : NAN;
    m->n =
        json_is_integer(json_object_get(v, "n")) ? json_integer_value(json_object_get(v, "n")) : 0;
    m->unit = th_html_str(v, "unit");
    return 1;
}

double th_html_median(const struct th_hcase *c, const char *name)
{
    struct th_hmetric m;
    return th_html_metric(c, name, &m) ? m.median : NAN;
}

const char *th_html_variant(const char *scenario)
{
    const char *at = scenario ? strchr(scenario, '@') : NULL;
    return at ? at + 1 : scenario ? scenario : "";
}

const char *th_html_mode(const char *scenario)
{
    const char *v = th_html_variant(scenario);
    if (strstr(v, "ticket"))
        return "resumed by ticket";
    if (strstr(v, "session-id") || strstr(v, "session_id"))
        return "resumed by session id";
    return "full handshake";
}

const char *th_html_family(const char *scenario, char *buf, size_t cap)
{
    const char *s = scenario ? scenario : "";
    const char *at = strchr(s, '@');
    snprintf(buf, cap, "%.*s", (int)(at ? (size_t)(at - s) : strlen(s)), s);
    return buf;
}

const char *th_html_pair(const struct th_hcase *c, int show_client, int show_server, char *buf,
                         size_t cap)
{
    if (show_client && show_server)
        snprintf(buf, cap, "%s → %s", c->client, c->server);
    else
        snprintf(buf, cap, "%s", show_client ? c->client : c->server);
    return buf;
}

static int one_of(const struct th_page *p, const size_t *idx, size_t n, int server)
{
    for (size_t i = 1; i < n; i++) {
        const struct th_hcase *a = &p->cases[idx[0]], *b = &p->cases[idx[i]];
        if (strcmp(server ? a->server : a->client, server ? b->server : b->client) != 0)
            return 0;
    }
    return 1;
}

int th_html_one_client(const struct th_page *p, const size_t *idx, size_t n)
{
    return one_of(p, idx, n, 0);
}

int th_html_one_server(const struct th_page *p, const size_t *idx, size_t n)
{
    return one_of(p, idx, n, 1);
}

const char *th_html_color(const struct th_page *p, const char *name)
{
    for (size_t i = 0; i < p->n_clients; i++)
        if (strcmp(p->clients[i], name) == 0)
            return th_svg_color((int)i);
    for (size_t i = 0; i < p->n_servers; i++)
        if (strcmp(p->servers[i], name) == 0)
            return th_svg_color((int)(p->n_clients + i));
    return th_svg_color(9);
}

size_t *th_html_of_kind(const struct th_page *p, const char *kind, size_t *n)
{
    size_t *idx = th_xcalloc(p->n ? p->n : 1, sizeof *idx);
    *n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cases[i].kind, kind) == 0)
            idx[(*n)++] = i;
    return idx;
}

static enum th_status parse_status(const char *s)
{
    for (int i = 0; i < TH_STATUS_COUNT; i++)
        if (s && strcmp(s, th_status_name((enum th_status)i)) == 0)
            return (enum th_status)i;
    return TH_ERROR;
}

/* A hand-made file's kind, from the scenario's folder. */
static const char *kind_of(const char *scenario)
{
    static const char *const kinds[][2] = {{"handshake-rate/", "handshake_rate"},
                                           {"bulk/", "bulk"},
                                           {"load/", "load"},
                                           {"memory/", "memory"},
                                           {"integrity/", "integrity"}};
    for (size_t i = 0; i < TH_ARRAY_LEN(kinds); i++)
        if (strncmp(scenario, kinds[i][0], strlen(kinds[i][0])) == 0)
            return kinds[i][1];
    return "handshake";
}

/* SCENARIO/CLIENT-vs-SERVER, for what the case's own keys do not say. A server may
 * be a URL with slashes of its own, so the split is at the last "-vs-". */
static void names_from_id(struct th_hcase *c)
{
    const char *id = c->id, *vs = NULL, *slash = NULL;
    for (const char *q = strstr(id, "-vs-"); q; q = strstr(q + 1, "-vs-"))
        vs = q;
    for (const char *q = id; vs && q < vs; q++)
        slash = *q == '/' ? q : slash;
    if (!vs || !slash) {
        c->scenario = c->scenario ? c->scenario : id;
        c->client = c->client ? c->client : "?";
        c->server = c->server ? c->server : "?";
        return;
    }
    c->own = th_xasprintf("%.*s%c%.*s%c%s", (int)(slash - id), id, 0, (int)(vs - slash - 1),
                          slash + 1, 0, vs + 4);
    const char *own_client = c->own + (slash - id) + 1;
    c->scenario = c->scenario ? c->scenario : c->own;
    c->client = c->client ? c->client : own_client;
    c->server = c->server ? c->server : own_client + strlen(own_client) + 1;
}

static void read_case(struct th_hcase *c, json_t *j)
{
    c->j = j;
    c->id = th_html_str(j, "id");
    c->status = parse_status(th_html_str(j, "status"));
    c->reason = th_html_str(j, "reason");
    c->scenario = th_html_str(j, "scenario");
    c->client = th_html_str(j, "client");
    c->server = th_html_str(j, "server");
    c->transport = th_html_str(j, "transport");
    if (!c->scenario || !c->client || !c->server)
        names_from_id(c);
    c->kind = th_html_str(j, "kind");
    if (!c->kind)
        c->kind = kind_of(c->scenario);
}

static void add_name(const char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0)
            return;
    (*list)[(*n)++] = name;
}

/* Clients and servers in the order the backends are listed, then the others
 * (fixtures, URLs) as they first appear. */
static void order_names(struct th_page *p)
{
    size_t i;
    json_t *b;
    p->clients = th_xcalloc(p->n + 1, sizeof *p->clients);
    p->servers = th_xcalloc(p->n + 1, sizeof *p->servers);
    json_array_foreach(json_object_get(p->doc, "backends"), i, b)
    {
        const char *name = th_html_str(b, "name");
        for (size_t k = 0; name && k < p->n; k++) {
            if (strcmp(p->cases[k].client, name) == 0)
                add_name(&p->clients, &p->n_clients, name);
            if (strcmp(p->cases[k].server, name) == 0)
                add_name(&p->servers, &p->n_servers, name);
        }
    }
    for (size_t k = 0; k < p->n; k++) {
        add_name(&p->clients, &p->n_clients, p->cases[k].client);
        add_name(&p->servers, &p->n_servers, p->cases[k].server);
    }
}

static void read_page(struct th_page *p)
{
    json_t *cases = json_object_get(p->doc, "cases"), *j;
    size_t i;
    p->n = json_array_size(cases);
    p->cases = th_xcalloc(p->n ? p->n : 1, sizeof *p->cases);
    json_array_foreach(cases, i, j) read_case(&p->cases[i], j);
    order_names(p);
}

static void free_page(struct th_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->cases[i].own);
    free(p->cases);
    free(p->clients);
    free(p->servers);
    json_decref(p->doc);
    json_decref(p->cmp);
}

/* ---- the page ---- */

static int has_kind(const struct th_page *p, const char *kind)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cases[i].kind, kind) == 0)
            return 1;
    return 0;
}

static void nav(struct th_page *p)
{
    static const struct {
        const char *kind, *anchor, *name;
    } parts[] = {{"bulk", "bulk", "Bulk data"},
                 {"handshake_rate", "handshakes", "Handshake rate"},
                 {"memory", "memory", "Memory"},
                 {"load", "load", "Load"}};
    fputs("<nav><a href=\"#verdict\">Verdict</a>", p->f);
    if (p->cmp)
        fputs("<a href=\"#compare\">Against the baseline</a>", p->f);
    if (p->n)
        fputs("<a href=\"#conformance\">Conformance</a>", p->f);
    for (size_t i = 0; i < TH_ARRAY_LEN(parts); i++)
        if (has_kind(p, parts[i].kind))
            fprintf(p->f, "<a href=\"#%s\">%s</a>", parts[i].anchor, parts[i].name);
    fputs("<a href=\"#environment\">Environment</a></nav>\n", p->f);
}

static void write_page(struct th_page *p)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n", p->f);
    th_html_head(p);
    fputs("<body>\n", p->f);
    nav(p);
    fputs("<main>\n", p->f);
    th_html_verdict(p);
    if (p->cmp)
        th_html_compare(p);
    th_html_matrix(p);
    th_html_bulk(p);
    th_html_rate(p);
    th_html_memory(p);
    th_html_load(p);
    th_html_env(p);
    fputs("</main>\n<footer>Written by <code>tlsharness report</code> from ", p->f);
    th_html_esc(p->f, p->name);
    fputs(". Every chart is drawn from the numbers in that file; bars are medians over the "
          "measured repetitions, whiskers their minimum and maximum.</footer>\n</body>\n</html>\n",
          p->f);
}

/* Every string of v, keys included, as th_text_safe makes it, in place: the page
 * shows names, reasons and library versions from a results file, and whatever a peer
 * or a hand put there reaches a reader's page only as \xNN. */
static void make_safe(json_t *v)
{
    size_t i;
    json_t *x;
    const char *key;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (strlen(s) != len || !th_text_is_safe(s)) {
            char *safe = safe_dup(s, len);
            json_string_set(v, safe);
            free(safe);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) make_safe(x);
    } else if (json_is_object(v)) {
        int bad_key = 0;
        json_object_foreach(v, key, x)
        {
            make_safe(x);
            bad_key |= !th_text_is_safe(key);
        }
        if (!bad_key)
            return;
        /* rebuilt, since a key cannot be renamed while the object is walked */
        json_t *fresh = json_object();
        json_object_foreach(v, key, x)
        {
            char *k = safe_dup(key, strlen(key));
            json_object_set(fresh, k, x);
            free(k);
        }
        json_object_clear(v);
        json_object_update(v, fresh);
        json_decref(fresh);
    }
}

/* What the checkers said on their stream, as the user's input error. */
static int bad_input(char *msg, size_t len, struct th_error *err)
{
    while (len && msg[len - 1] == '\n')
        msg[--len] = '\0';
    TH_INPUT(err, "%s", len ? msg : "not a results file");
    return -1;
}

int th_report_html_texts(FILE *out, const char *name, const char *text, size_t len,
                         const char *base_name, const char *base_text, size_t base_len,
                         struct th_error *err)
{
    struct th_page p = {.f = out, .name = name, .base_name = base_name};
    char *msg = NULL;
    size_t msg_len = 0;
    FILE *ms = open_memstream(&msg, &msg_len);
    json_t *cmp = NULL;
    int rc;
    if (!ms) {
        TH_FAULT(err, errno, "cannot open a memory stream");
        return -1;
    }
    if (base_text)
        rc =
            th_compare_judge_texts(base_name, base_text, base_len, name, text, len, NULL, &cmp, ms);
    else
        rc = th_compare_check_text(name, text, len, ms);
    fclose(ms);
    if (rc == TH_COMPARE_BAD_INPUT) {
        rc = bad_input(msg, msg_len, err);
        free(msg);
        return rc;
    }
    free(msg);
    /* the checker accepted it: this parse cannot fail */
    p.doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    p.cmp = cmp;
    if (!p.doc) {
        json_decref(cmp);
        TH_FAULT(err, 0, "%s: the results file could not be read again", name);
        return -1;
    }
    make_safe(p.doc);
    make_safe(p.cmp);
    read_page(&p);
    write_page(&p);
    free_page(&p);
    return 0;
}

static int make_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char *dir = th_xasprintf("%.*s", (int)(slash - path), path);
    int rc = th_mkdirs(dir);
    free(dir);
    return rc;
}

/* Whether path a names the file b does (the same name, or the same inode). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!b)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int th_report_html(const char *out_path, const char *results, const char *base,
                   struct th_error *err)
{
    size_t len = 0, base_len = 0, page_len = 0;
    char *text = NULL, *base_text = NULL, *page = NULL;
    int rc = -1;
    if (same_file(out_path, results) || same_file(out_path, base)) {
        TH_INPUT(err, "the report %s would overwrite the results file it shows", out_path);
        return -1;
    }
    if (!(text = th_read_file(results, &len))) {
        TH_INPUT(err, "%s: cannot read: %s", results, strerror(errno));
        return -1;
    }
    if (base && !(base_text = th_read_file(base, &base_len))) {
        TH_INPUT(err, "%s: cannot read: %s", base, strerror(errno));
        free(text);
        return -1;
    }
    FILE *f = open_memstream(&page, &page_len);
    if (!f)
        TH_FAULT(err, errno, "cannot open a memory stream");
    else if (th_report_html_texts(f, results, text, len, base, base_text, base_len, err) != 0)
        fclose(f);
    else if (fclose(f) != 0)
        TH_FAULT(err, errno, "%s: cannot build the page", out_path);
    else if (make_parent(out_path) != 0 || th_write_file_atomic(out_path, page, page_len) != 0)
        TH_INPUT(err, "cannot write the report to %s: %s", out_path, strerror(errno));
    else
        rc = 0;
    free(page);
    free(text);
    free(base_text);
    return rc;
}
