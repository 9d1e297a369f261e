/* The terminal summary: the benchmark kinds as comparison tables (bulk pair x suite,
 * handshake rate pair x mode, load server x metric, memory backend x role), the
 * per-case metric blocks only with -v, quiet printing failures and totals only, and
 * long reasons cut to the width with the results file named once. */
#include <math.h>

#include "harness/report/summary.h"
#include "harness/report/term.h"
#include "tap.h"

#include "safe_text.h"

#define ELL "\xE2\x80\xA6"

static const struct th_backend be_a = {.name = "alpha"}, be_b = {.name = "beta"};

#define MAXC 32
static struct th_case cases[MAXC];
static struct th_case_result results[MAXC];
static size_t n_cases;

static struct th_case_result *add(enum th_kind kind, const char *scenario,
                                  const struct th_backend *cl, const struct th_backend *sv,
                                  const char *server_name, enum th_status st)
{
    struct th_case *c = &cases[n_cases];
    struct th_case_result *r = &results[n_cases++];
    memset(c, 0, sizeof(*c));
    memset(r, 0, sizeof(*r));
    c->kind = kind;
    c->scenario = (char *)scenario;
    c->client = cl;
    c->server = sv;
    c->server_name = (char *)(sv ? sv->name : server_name);
    c->id = th_xasprintf("%s/%s-vs-%s", scenario, cl->name, c->server_name);
    r->c = c;
    r->status = st;
    return r;
}

static void metric(struct th_case_result *r, const char *name, const char *unit, double v)
{
    r->metrics[r->n_metrics++] = (struct th_metric){name, unit, v, v, v, 1};
}

static void bulk(const char *scenario, const struct th_backend *cl, const struct th_backend *sv,
                 double mib, double eff)
{
    struct th_case_result *r = add(TH_KIND_BULK, scenario, cl, sv, NULL, TH_PASS);
    metric(r, "throughput_mib_s", "MiB/s", mib);
    metric(r, "send_ns_per_byte", "ns/B", 0.25);
    metric(r, "efficiency", "ratio", eff);
}

static char long_reason[600];

static void free_ids(void)
{
    for (size_t i = 0; i < n_cases; i++)
        free(cases[i].id);
    n_cases = 0;
}

static struct th_run build(void)
{
    free_ids();
    bulk("bulk/aead@TLS_AES_128_GCM_SHA256", &be_a, &be_a, 1157.4, 0.794);
    bulk("bulk/aead@TLS_AES_128_GCM_SHA256", &be_a, &be_b, 741.9, 0.634);
    bulk("bulk/aead@TLS_CHACHA20_POLY1305_SHA256", &be_a, &be_a, 546.1, 0.7565);
    bulk("bulk/aead@TLS_CHACHA20_POLY1305_SHA256", &be_b, &be_a, 5.4321, NAN);
    add(TH_KIND_BULK, "bulk/aead@TLS_CHACHA20_POLY1305_SHA256", &be_a, &be_b, NULL, TH_FAIL);
    add(TH_KIND_BULK, "bulk/aead", &be_b, &be_b, NULL, TH_SKIP);

    struct th_case_result *r = add(TH_KIND_HANDSHAKE_RATE, "handshake-rate/resumed@ticket-tls13",
                                   &be_a, &be_b, NULL, TH_PASS);
    metric(r, "handshakes_per_s", "1/s", 4321.6);
    r = add(TH_KIND_HANDSHAKE_RATE, "handshake-rate/resumed@session-id-tls12", &be_a, &be_b, NULL,
            TH_PASS);
    metric(r, "handshakes_per_s", "1/s", 5012.2);

    r = add(TH_KIND_LOAD, "load/bulk", &be_a, NULL, "fixture:nginx", TH_PASS);
    metric(r, "requests_per_s", "1/s", 10234.5);
    metric(r, "latency_ms_p50", "ms", 1.234);
    metric(r, "latency_ms_p99", "ms", 12.345);
    r = add(TH_KIND_LOAD, "load/bulk", &be_a, &be_b, NULL, TH_FAIL);
    metric(r, "requests_per_s", "1/s", 99.5);
    r->errors[TH_TIMEOUT] = 3;
    r->errors[TH_IO_ERROR] = 2;

    r = add(TH_KIND_MEMORY, "memory/idle@tls13", &be_a, &be_b, NULL, TH_PASS);
    metric(r, "client_bytes_per_connection", "B", 40000);
    metric(r, "server_bytes_per_connection", "B", 60000);
    r = add(TH_KIND_MEMORY, "memory/idle@tls13", &be_b, &be_a, NULL, TH_PASS);
    metric(r, "client_bytes_per_connection", "B", 30000);
    metric(r, "server_bytes_per_connection", "B", 50000);
    r = add(TH_KIND_MEMORY, "memory/idle@tls13", &be_a, &be_a, NULL, TH_PASS);
    metric(r, "client_bytes_per_connection", "B", 42000);
    metric(r, "server_bytes_per_connection", "B", NAN);

    memset(long_reason, 'x', sizeof(long_reason) - 1);
    memcpy(long_reason, "gnutls accepts", 14);
    memcpy(long_reason + sizeof(long_reason) - 5, " END", 4);
    r = add(TH_KIND_HANDSHAKE, "cert/sha1", &be_a, &be_b, NULL, TH_XFAIL);
    th_strlcpy(r->reason, long_reason, sizeof(r->reason));
    r = add(TH_KIND_HANDSHAKE, "cert/expired", &be_b, &be_a, NULL, TH_FAIL);
    th_strlcpy(r->reason, "accepted an expired certificate", sizeof(r->reason));
    return (struct th_run){.results = results, .n = n_cases};
}

static char *summary(const struct th_run *run, struct th_summary_opts o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    th_summary_print(f, run, &o);
    fclose(f);
    return text;
}

static void test_tables(void)
{
    struct th_run run = build();
    char *s = summary(&run, (struct th_summary_opts){.width = 0});
    if (getenv("SHOW"))
        fputs(s, stderr);
    ok(strstr(s, "\nbulk/aead: throughput, MiB/s (record-layer efficiency), median\n"),
       "bulk: one table per scenario, the unit in its title");
    ok(strstr(s, "                    TLS_AES_128_    TLS_CHACHA20_\n"
                 "  client-vs-server    GCM_SHA256  POLY1305_SHA256\n"
                 "  alpha-vs-alpha     1157 (0.79)       546 (0.76)\n"
                 "  alpha-vs-beta       742 (0.63)             fail\n"
                 "  beta-vs-alpha                .             5.43\n"),
       "bulk: pairs down, suites across (wrapped), a failure's status, no efficiency when none");
    const char *tables_end = strstr(s, "\npair ");
    const char *skipped = strstr(s, "beta-vs-beta");
    ok(tables_end && skipped > tables_end, "bulk: a skipped case is left out of the tables");
    ok(strstr(s, "handshake-rate/resumed: handshakes/s, median\n"
                 "  client-vs-server  ticket-tls13  session-id-tls12\n"
                 "  alpha-vs-beta             4322              5012\n"),
       "handshake rate: pairs x modes");
    ok(strstr(s,
              "load/bulk: median over repetitions\n"
              "  server (alpha client)  req/s  conn/s  p50 ms  p99 ms  max ms  errors  status\n"
              "  fixture:nginx          10234       .    1.23    12.3       .       0       .\n"
              "  beta                    99.5       .       .       .       .       5    fail\n"),
       "load: servers x metrics, errors summed, a failure's status");
    ok(strstr(s, "memory/idle: bytes per idle connection, median over pairs\n"
                 "  backend  tls13 client B  tls13 server B\n"
                 "  alpha             41000           50000\n"
                 "  beta              30000           60000\n"),
       "memory: backends x roles, the median over the pairs, NaN left out");
    ok(!strstr(s, "Measurements"), "no per-case metric blocks without -v");
    ok(!strstr(s, "send_ns_per_byte"), "nor their metrics");
    free(s);

    s = summary(&run, (struct th_summary_opts){.verbose = 1});
    ok(strstr(s, "Measurements (median, [min, max] over n repetitions):\n") &&
           strstr(s, "send_ns_per_byte"),
       "-v: the per-case metric blocks");
    ok(strstr(s, "bulk/aead: throughput"), "-v: the tables too");
    free(s);

    s = summary(&run, (struct th_summary_opts){.width = 40});
    ok(strstr(s, "  client-vs-server    GCM_SHA256\n") &&
           strstr(s, "  client-vs-server  POLY1305_SHA256\n"),
       "narrower than the table: a block a column, the labels repeated");
    free(s);

    size_t load = 0, hs = 0;
    for (size_t i = 0; i < n_cases; i++) {
        load = cases[i].kind == TH_KIND_LOAD ? i : load;
        hs = cases[i].kind == TH_KIND_HANDSHAKE ? i : hs;
    }
    struct th_run plain = {.results = results + load, .n = 1};
    s = summary(&plain, (struct th_summary_opts){0});
    ok(strstr(s, "load/bulk") && !strstr(s, "bulk/aead") && !strstr(s, "memory/idle"),
       "only the kinds the run has");
    free(s);
    struct th_run none = {.results = results + hs, .n = 1};
    s = summary(&none, (struct th_summary_opts){0});
    ok(!strstr(s, "median"), "a run without benchmark cases prints no table");
    free(s);
}

static void test_reasons(void)
{
    struct th_run run = build();
    char *s = summary(&run, (struct th_summary_opts){.width = 100, .results_path = "out/r.json"});
    const char *x = strstr(s, "  cert/sha1/alpha-vs-beta: gnutls accepts");
    ok(x != NULL, "the xfail listed");
    const char *eol = x ? strchr(x, '\n') : NULL;
    ok(x && eol && th_text_columns(x) - th_text_columns(eol) == 100 &&
           strncmp(eol - 3, ELL, 3) == 0,
       "its reason cut to the width with '…'");
    ok(!strstr(s, " END"), "the end of the reason is not in the terminal");
    ok(strstr(s, "\n  (reasons cut to the line; whole in out/r.json)\n") != NULL,
       "where the whole reasons are, said once");
    free(s);
    s = summary(&run, (struct th_summary_opts){.width = 0, .results_path = "out/r.json"});
    ok(strstr(s, " END\n") && !strstr(s, "reasons cut"), "no width: whole, and no note");
    free(s);
    s = summary(&run, (struct th_summary_opts){.width = 1000, .results_path = "out/r.json"});
    ok(!strstr(s, "reasons cut"), "nothing cut: no note");
    free(s);
}

static void test_quiet_and_colour(void)
{
    struct th_run run = build();
    char *s = summary(&run, (struct th_summary_opts){.quiet = 1});
    is_str(s,
           "\nFailures:\n"
           "  fail  bulk/aead@TLS_CHACHA20_POLY1305_SHA256/alpha-vs-beta: (no reason given)\n"
           "  fail  load/bulk/alpha-vs-beta: (no reason given)\n"
           "  fail  cert/expired/beta-vs-alpha: accepted an expired certificate\n"
           "totals: pass 10, fail 3, xfail 1, xpass 0, skip 1, error 0\n",
           "quiet: the failures and the totals, nothing else");
    free(s);
    struct th_run good = {.results = results, .n = 3};
    s = summary(&good, (struct th_summary_opts){.quiet = 1});
    is_str(s, "totals: pass 3, fail 0, xfail 0, xpass 0, skip 0, error 0\n",
           "quiet and all passed: one line");
    free(s);
    s = summary(&run, (struct th_summary_opts){.color = 0, .width = 80});
    ok(!strchr(s, '\033'), "colour off: no escape byte anywhere");
    free(s);
    s = summary(&run, (struct th_summary_opts){.color = 1, .width = 80});
    ok(strstr(s, "\033[31mfail\033[0m") != NULL, "colour on: the failures coloured");
    free(s);
}

/* ---- text from peers and files: never a control byte on the terminal ---- */

/* A status line a hostile server sends: an OSC title, BEL, a screen clear, the C1 CSI
 * (U+009B, as UTF-8), a newline that would forge a line of its own, and a byte that is
 * not UTF-8. */
#define HOSTILE                                                                                    \
    "HTTP/9.9 999 \033]0;pwned\007\033[2J\302\233"                                                 \
    "31m\nforged line\377"
#define HOSTILE_SHOWN "HTTP/9.9 999 \\x1b]0;pwned\\x07\\x1b[2J\\xc2\\x9b31m\\nforged line\\xff"

static void test_hostile_text(void)
{
    free_ids();
    ok(!text_safe(HOSTILE) && text_safe("plain\n\xE2\x80\xA6"),
       "the check itself: it catches the hostile text and passes plain text");
    struct th_case_result *r =
        add(TH_KIND_HANDSHAKE, "evil\033[31m", &be_a, NULL, "srv\033]0;x\007", TH_FAIL);
    th_strlcpy(r->reason, HOSTILE, sizeof(r->reason));
    r = add(TH_KIND_HANDSHAKE, "evil\033[31m", &be_b, NULL, "srv\033]0;x\007", TH_XFAIL);
    th_strlcpy(r->reason, HOSTILE, sizeof(r->reason));
    r = add(TH_KIND_HANDSHAKE, "skipped", &be_a, &be_b, NULL, TH_SKIP);
    th_strlcpy(r->reason, HOSTILE, sizeof(r->reason));
    r = add(TH_KIND_BULK, "bulk/\033[2Jtitle", &be_a, NULL, "srv\033]0;x\007", TH_PASS);
    metric(r, "throughput_mib_s", "MiB/s", 100);
    struct th_run run = {.results = results, .n = n_cases};
    static const struct th_summary_opts opts[] = {
        {.width = 0, .verbose = 1}, {.width = 80}, {.quiet = 1}};
    for (size_t i = 0; i < TH_ARRAY_LEN(opts); i++) {
        char *s = summary(&run, opts[i]);
        if (getenv("SHOW"))
            fputs(s, stderr);
        ok(text_safe(s), "summary %zu: no control byte reaches the terminal", i);
        ok(strstr(s, i == 1 ? "\\x1b]0;pwned\\x07" : HOSTILE_SHOWN) != NULL,
           "summary %zu: the reason shown, its control bytes as \\xNN", i);
        ok(strstr(s, "evil\\x1b[31m/alpha-vs-srv\\x1b]0;x\\x07") != NULL,
           "summary %zu: the case id too", i);
        free(s);
    }
    char *s = summary(&run, opts[0]);
    ok(strstr(s, "\nbulk/\\x1b[2Jtitle: throughput") && strstr(s, "alpha-vs-srv\\x1b]0;x\\x07  "),
       "the benchmark table's title and rows");
    ok(strstr(s, "\\x1b]0;x\\x07\n") != NULL, "the matrix's column header");
    free(s);
    s = summary(&run, (struct th_summary_opts){.color = 1, .width = 80});
    ok(!strstr(s, "\033]") && !strstr(s, "\033[2J") && !strstr(s, "\007"),
       "colour on: only the summary's own colours are escape sequences");
    free(s);
    free_ids();
}

int main(void)
{
    test_tables();
    test_reasons();
    test_quiet_and_colour();
    test_hostile_text();
    free_ids();
    return done_testing();
}
