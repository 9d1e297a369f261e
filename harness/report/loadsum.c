/* The summary `tlsharness load` prints (loadsum.h): one labelled line per subject,
 * labels in a column of their own so the numbers line up, then the histogram.
 * Text from outside (the target's name and path, a library's version and error
 * text, the peer's ALPN, the reason) goes out through th_text_fputs (vocab/text.h):
 * no control byte reaches the terminal. */
#include "loadsum.h"

#include <math.h>
#include <string.h>

#include "harness/vocab/iana.h"
#include "harness/vocab/text.h"

#define LABEL "%-13s"
#define HIST_ROWS 12
#define HIST_WIDTH 40

void th_loadsum_ms(char *buf, size_t cap, double ms)
{
    if (!(ms >= 0) || !isfinite(ms))
        snprintf(buf, cap, "-");
    else if (ms == 0)
        snprintf(buf, cap, "0");
    else if (ms < 0.1)
        snprintf(buf, cap, "%.4f", ms);
    else if (ms < 1)
        snprintf(buf, cap, "%.3f", ms);
    else if (ms < 10)
        snprintf(buf, cap, "%.2f", ms);
    else if (ms < 100)
        snprintf(buf, cap, "%.1f", ms);
    else
        snprintf(buf, cap, "%.0f", ms);
}

/* A metric's median by its fixed name; -1 when the case has none. */
static double metric(const struct th_case_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_metrics && i < TH_MAX_METRICS; i++)
        if (r->metrics[i].name && strcmp(r->metrics[i].name, name) == 0)
            return r->metrics[i].median;
    return -1;
}

static const char *ms(const struct th_case_result *r, const char *name, char *buf, size_t cap)
{
    th_loadsum_ms(buf, cap, metric(r, name));
    return buf;
}

/* "204800 (200.0 KiB)" */
static void bytes_str(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, cap, "%llu", (unsigned long long)n);
    else
        snprintf(buf, cap, "%llu (%.1f %s)", (unsigned long long)n, v, units[u]);
}

static void print_head(FILE *out, const struct th_case_result *r)
{
    const struct th_case *c = r->c;
    const struct th_load_spec *ls = &c->load;
    const struct th_backend *b = c->client;
    fprintf(out, LABEL, "load");
    th_text_fputs(out, c->server_name ? c->server_name : "?");
    th_text_fputs(out, ls->path);
    fputs("  (client ", out);
    th_text_fputs(out, b ? b->name : "?");
    fputs(", ", out);
    th_text_fputs(out, b && b->version ? b->version() : "version unknown");
    fputs(")\n", out);
    fprintf(out, LABEL "%u connection%s, ", "settings", ls->connections,
            ls->connections == 1 ? "" : "s");
    if (ls->requests)
        fprintf(out, "%llu requests", (unsigned long long)ls->requests);
    else
        fprintf(out, "%g s", ls->seconds);
    static const char *const how[] = {"", " by ticket", " by session ID"};
    if (!ls->new_connection_per_request)
        fputs(", keep-alive", out);
    else if (ls->resume == TH_RESUME_NONE)
        fputs(", a new connection per request, full handshakes", out);
    else
        fprintf(out, ", a new connection per request, resumed%s%s", how[ls->resume % 3],
                c->c.early == TH_EARLY_SEND ? ", the request as early data (0-RTT)" : "");
    if (ls->rate > 0)
        fprintf(out, ", open loop at %g requests/s (latency from when each request was due)",
                ls->rate);
    else
        fputs(", closed loop", out);
    fprintf(out, ", request timeout %g s\n", c->timeout_s);
}

/* What the first verified handshake negotiated, and how the certificate was taken. */
static void print_tls(FILE *out, const struct th_case_result *r)
{
    const struct th_negotiated *n = &r->obs.neg;
    const struct th_endpoint_spec *sp = &r->c->c;
    if (!r->obs.have_neg) {
        fprintf(out, LABEL "no handshake completed\n", "TLS");
    } else {
        const struct th_suite_info *s = th_suite_by_id(n->suite);
        const struct th_group_info *g = th_group_by_id(n->group);
        fprintf(out, LABEL "TLS %s, %s, group %s", "TLS", th_version_name(n->version),
                s ? s->name : "(unknown suite)", g ? g->name : "(none)");
        if (n->alpn[0]) {
            fputs(", ALPN ", out);
            th_text_fputs(out, n->alpn);
        }
        fputc('\n', out);
        if (r->load.neg_differ)
            fprintf(out, LABEL "%llu verified handshake(s) negotiated otherwise\n", "",
                    (unsigned long long)r->load.neg_differ);
    }
    if (sp->verify) {
        fprintf(out, LABEL "verified against ", "certificate");
        th_text_fputs(out, sp->ca ? sp->ca : "(no CA)");
        fputs(", name ", out);
        th_text_fputs(out, sp->hostname ? sp->hostname : "(not checked)");
        fprintf(out, "%s\n", sp->sni ? "" : ", no SNI");
    } else
        fprintf(out, LABEL "not verified (--insecure)\n", "certificate");
}

static void print_failed(FILE *out, const struct th_case_result *r)
{
    uint64_t failed = 0;
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        failed += r->errors[i];
    if (!failed) {
        fprintf(out, LABEL "none\n", "failed");
        return;
    }
    fprintf(out, LABEL "%llu:", "failed", (unsigned long long)failed);
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        if (r->errors[i])
            fprintf(out, " %llu %s", (unsigned long long)r->errors[i],
                    th_outcome_name((enum th_outcome)i));
    fputc('\n', out);
    const struct th_error *e = &r->obs.client_err;
    if (e->outcome != TH_OK && e->text[0]) {
        fprintf(out, LABEL "%s: ", "first error", th_outcome_name(e->outcome));
        th_text_fputs(out, e->text);
        fprintf(out, " (code %ld)\n", e->code);
    }
}

static void print_counts(FILE *out, const struct th_case_result *r)
{
    const struct th_load_tally *t = &r->load;
    char buf[64];
    double rate = metric(r, "requests_per_s"), mibs = metric(r, "throughput_mib_s");
    fprintf(out, LABEL "%llu verified in %.3f s", "requests", (unsigned long long)t->requests,
            t->wall_s);
    if (rate >= 0)
        fprintf(out, ", %.1f requests/s", rate);
    fputc('\n', out);
    print_failed(out, r);
    bytes_str(t->body_bytes, buf, sizeof(buf));
    fprintf(out, LABEL "%s of response bodies", "bytes", buf);
    if (mibs >= 0)
        fprintf(out, ", %.2f MiB/s", mibs);
    fputc('\n', out);
    if (r->c->load.has_sha256)
        fprintf(out, LABEL "%llu with the SHA-256 asked\n", "bodies",
                (unsigned long long)t->bodies_hashed);
    double cps = metric(r, "connections_per_s");
    fprintf(out, LABEL "%llu verified", "handshakes", (unsigned long long)t->connections);
    if (cps >= 0)
        fprintf(out, " (%.1f/s)", cps);
    if (r->c->load.resume == TH_RESUME_NONE)
        fprintf(out, ", %llu resumed: full handshakes asked, and each checked\n",
                (unsigned long long)t->resumed);
    else
        fprintf(out, ", %llu resumed: each one after a slot's first checked to resume\n",
                (unsigned long long)t->resumed);
    if (r->c->c.early == TH_EARLY_SEND)
        fprintf(out, LABEL "%llu requests sent early, %llu taken by the server (%llu bytes)\n",
                "0-RTT", (unsigned long long)t->early_offered,
                (unsigned long long)t->early_accepted, (unsigned long long)t->early_bytes);
}

static void print_times(FILE *out, const struct th_case_result *r)
{
    char a[24], b[24], c[24], d[24], e[24], f[24];
    fprintf(out, LABEL "p50 %s  p90 %s  p99 %s  p99.9 %s  p99.99 %s  max %s ms\n", "latency",
            ms(r, "latency_ms_p50", a, sizeof a), ms(r, "latency_ms_p90", b, sizeof b),
            ms(r, "latency_ms_p99", c, sizeof c), ms(r, "latency_ms_p99_9", d, sizeof d),
            ms(r, "latency_ms_p99_99", e, sizeof e), ms(r, "latency_ms_max", f, sizeof f));
    fprintf(out,
            LABEL "connect %s  TLS %s  first byte %s ms; connect to first byte %s ms (medians "
                  "over connections)\n",
            "phases", ms(r, "connect_ms", a, sizeof a), ms(r, "tls_ms", b, sizeof b),
            ms(r, "first_byte_ms", c, sizeof c), ms(r, "ttfb_ms", d, sizeof d));
    double cpu = metric(r, "client_us_per_request");
    if (cpu >= 0)
        fprintf(out, LABEL "%.2f us per request (the load thread's)\n", "client CPU", cpu);
    else
        fprintf(out, LABEL "-\n", "client CPU");
}

void th_loadsum_print(FILE *out, const struct th_case_result *r)
{
    print_head(out, r);
    print_tls(out, r);
    print_counts(out, r);
    print_times(out, r);
    fputs("latency histogram (ms, each request once)\n", out);
    th_loadsum_histogram(out, &r->load.latency, HIST_ROWS, HIST_WIDTH);
    /* a pass's reason only says "observed ok" */
    int why = r->status != TH_PASS && r->reason[0];
    fprintf(out, LABEL "%s%s", "verdict", th_status_name(r->status), why ? ": " : "");
    th_text_fputs(out, why ? r->reason : "");
    fputc('\n', out);
}

/* ---- the histogram ---- */

static uint64_t group_count(const struct th_lathist *h, size_t a, size_t b)
{
    uint64_t n = 0;
    for (size_t i = a; i <= b; i++)
        n += h->count[i];
    return n;
}

static void hist_row(FILE *out, const struct th_lathist *h, size_t a, size_t b, uint64_t top,
                     unsigned width, uint64_t *cum)
{
    char from[24], to[24];
    uint64_t n = group_count(h, a, b), up = th_lathist_upper_ns(b);
    unsigned bar = top ? (unsigned)((double)n * width / (double)top + 0.5) : 0;
    if (n && !bar)
        bar = 1; /* a row with requests always shows */
    *cum += n;
    th_loadsum_ms(from, sizeof from, (double)th_lathist_lower_ns(a) / 1e6);
    if (up == UINT64_MAX)
        snprintf(to, sizeof to, "up");
    else
        th_loadsum_ms(to, sizeof to, (double)up / 1e6);
    fprintf(out, "  %9s - %-9s |", from, to);
    for (unsigned i = 0; i < width; i++)
        fputc(i < bar ? '#' : ' ', out);
    fprintf(out, "| %10llu %6.2f%% %6.2f%%\n", (unsigned long long)n,
            100.0 * (double)n / (double)h->n, 100.0 * (double)*cum / (double)h->n);
}

void th_loadsum_histogram(FILE *out, const struct th_lathist *h, unsigned rows, unsigned width)
{
    size_t lo, hi;
    if (!h->n || !th_lathist_span(h, &lo, &hi)) {
        fputs("  (no verified request)\n", out);
        return;
    }
    if (!rows)
        rows = 1;
    size_t per = (hi - lo + rows) / rows; /* buckets per row: ceil(span / rows) */
    uint64_t top = 0, cum = 0;
    for (size_t a = lo; a <= hi; a += per) {
        uint64_t n = group_count(h, a, a + per - 1 < hi ? a + per - 1 : hi);
        top = n > top ? n : top;
    }
    for (size_t a = lo; a <= hi; a += per)
        hist_row(out, h, a, a + per - 1 < hi ? a + per - 1 : hi, top, width, &cum);
}
