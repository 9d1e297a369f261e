/* What the page writer's files share (html.c and its sections, html_*.c): the
 * results read once into a table of cases, and small helpers to print them. Every
 * string that came from a results file goes out through th_html_esc. */
#ifndef TH_HTML_INT_H
#define TH_HTML_INT_H

#include <jansson.h>
#include <stdio.h>

#include "harness/vocab/outcome.h"
#include "svg.h"

/* One case of the results file, its names resolved: from its keys, or where a
 * hand-made file lacks them, from its id (SCENARIO/CLIENT-vs-SERVER). */
struct th_hcase {
    json_t *j;
    const char *id, *scenario, *kind, *client, *server, *transport, *reason;
    enum th_status status;
    char *own; /* storage for names taken from the id */
};

struct th_page {
    FILE *f;
    const char *name, *base_name; /* the files as the user named them */
    json_t *doc;                  /* the results */
    json_t *cmp;                  /* compare's judgement (compare.h), or NULL */
    struct th_hcase *cases;
    size_t n;
    const char **clients, **servers; /* each once, backends' order first */
    size_t n_clients, n_servers;
};

/* One metric of a case, {median, min, max, n, unit}. */
struct th_hmetric {
    double median, min, max;
    long long n;
    const char *unit;
};

#define TH_HTML_CHART_W 1240.0 /* a chart the page's width */
#define TH_HTML_SMALL_W 404.0  /* one of three small multiples a row */
#define TH_HTML_HALF_W 610.0   /* one of two */

/* ---- printing ---- */

/* s escaped for HTML (th_svg_escape), made printable first (vocab/text.h: a control
 * byte as \xNN). The results document is made printable as it is read (html.c), so
 * this guards text from elsewhere: the file names the user gave. */
void th_html_esc(FILE *f, const char *s);
/* A number for a table: thousands grouped above 10^4, else 4 significant digits;
 * "–" when it is not finite. Returns buf (32 bytes at least). */
const char *th_html_num(double v, char *buf, size_t cap);
/* <span class="st ST">ST</span> */
void th_html_status(FILE *f, enum th_status s);
/* A string member, or NULL when absent or not a string. */
const char *th_html_str(const json_t *o, const char *key);

/* ---- reading ---- */

/* 1 and *m when case c has metric name with a finite median; 0 otherwise. */
int th_html_metric(const struct th_hcase *c, const char *name, struct th_hmetric *m);
/* A case's median of name, NaN when it has none. */
double th_html_median(const struct th_hcase *c, const char *name);
/* The variant part of a scenario name (after '@'), or the whole name. */
const char *th_html_variant(const char *scenario);
/* What a handshake-rate scenario's name says of resumption (scenarios/handshake-rate/):
 * "full handshake", "resumed by ticket" or "resumed by session id". */
const char *th_html_mode(const char *scenario);
/* The scenario file's part of a scenario name (before '@'), in buf. */
const char *th_html_family(const char *scenario, char *buf, size_t cap);
/* How a chart names a case: "client → server", or one of them when all the cases
 * given share the other. */
const char *th_html_pair(const struct th_hcase *c, int show_client, int show_server, char *buf,
                         size_t cap);
/* Whether the cases idx[0..n) all have one client (one server). */
int th_html_one_client(const struct th_page *p, const size_t *idx, size_t n);
int th_html_one_server(const struct th_page *p, const size_t *idx, size_t n);
/* A backend's colour, the same in every chart: by its place among the clients (then
 * among the servers, for a server that is no client). */
const char *th_html_color(const struct th_page *p, const char *name);
/* The cases of kind in file order, in a new array (free it); *n their number. */
size_t *th_html_of_kind(const struct th_page *p, const char *kind, size_t *n);

/* ---- the sections, each printed only when the results have what it shows ---- */

void th_html_head(struct th_page *p);    /* <head>, CSS, title (html_head.c) */
void th_html_verdict(struct th_page *p); /* the verdict, counts, what failed */
void th_html_glance(struct th_page *p);  /* the best of each benchmark (html_glance.c) */
void th_html_env(struct th_page *p);     /* environment and library versions */
void th_html_matrix(struct th_page *p);  /* conformance: client x server (html_matrix.c) */
void th_html_bulk(struct th_page *p);    /* bulk (html_bench.c) */
void th_html_rate(struct th_page *p);    /* handshake rate */
void th_html_memory(struct th_page *p);  /* memory per connection */
void th_html_load(struct th_page *p);    /* load, per server (html_load.c) */
void th_html_compare(struct th_page *p); /* against the baseline (html_compare.c) */

#endif
