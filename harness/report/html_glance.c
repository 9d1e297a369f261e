/* At a glance: under the verdict, one line per benchmark the results have, naming the
 * case that did best (the fastest bulk transfer, the most full handshakes a second,
 * the least memory a connection on either side, the most requests a second), each
 * linked to its section for the whole picture. Only cases that went as expected
 * count. */
#include <math.h>
#include <string.h>

#include "harness/vocab/util.h"
#include "html_int.h"

struct pick {
    const char *kind, *metric;
    int lower;    /* lower is better */
    double scale; /* of the metric, for its unit */
    const char *unit, *what, *anchor;
    int full_only; /* handshake rate: full handshakes only (resumed ones are another race) */
};

static const struct pick picks[] = {
    {"bulk", "throughput_mib_s", 0, 1, "MiB/s", "fastest bulk data", "bulk", 0},
    {"handshake_rate", "handshakes_per_s", 0, 1, "handshakes/s", "most full handshakes",
     "handshakes", 1},
    {"handshake_rate", "handshakes_per_s", 0, 1, "handshakes/s", "most resumed handshakes",
     "handshakes", -1},
    {"memory", "client_bytes_per_connection", 1, 1 / 1024.0, "KiB a connection",
     "least client memory", "memory", 0},
    {"memory", "server_bytes_per_connection", 1, 1 / 1024.0, "KiB a connection",
     "least server memory", "memory", 0},
    {"load", "requests_per_s", 0, 1, "requests/s", "most requests per second", "load", 0},
};

static int counts(const struct pick *k, const struct th_hcase *c)
{
    int full = strcmp(th_html_mode(c->scenario), "full handshake") == 0;
    return strcmp(c->kind, k->kind) == 0 && (c->status == TH_PASS || c->status == TH_XFAIL) &&
           (!k->full_only || (k->full_only > 0) == full);
}

/* The best case for k, or NULL. */
static const struct th_hcase *best(const struct th_page *p, const struct pick *k)
{
    const struct th_hcase *b = NULL;
    double bv = NAN;
    for (size_t i = 0; i < p->n; i++) {
        double v = th_html_median(&p->cases[i], k->metric);
        if (counts(k, &p->cases[i]) && isfinite(v) && (!b || (k->lower ? v < bv : v > bv)))
            b = &p->cases[i], bv = v;
    }
    return b;
}

void th_html_glance(struct th_page *p)
{
    FILE *f = p->f;
    char buf[32], pair[160];
    int any = 0;
    for (size_t i = 0; i < TH_ARRAY_LEN(picks); i++) {
        const struct pick *k = &picks[i];
        const struct th_hcase *c = best(p, k);
        if (!c)
            continue;
        fputs(any++ ? "" : "<h3>At a glance</h3>\n<ul class=\"glance\">", f);
        fprintf(f, "<li><a href=\"#%s\">%s</a>: <b>", k->anchor, k->what);
        th_html_esc(f, th_html_pair(c, 1, 1, pair, sizeof pair));
        fprintf(f, "</b>, %s %s <span class=\"quiet\">(",
                th_html_num(th_html_median(c, k->metric) * k->scale, buf, sizeof buf), k->unit);
        th_html_esc(f, c->scenario);
        fputs(")</span></li>\n", f);
    }
    fputs(any ? "</ul>\n" : "", f);
}
