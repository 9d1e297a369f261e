/* The load summary: every line a passing run needs (target, settings, what was
 * negotiated, counts, bytes, resumptions, percentiles, phases, CPU, histogram,
 * verdict), a failed run's failures by outcome with the first in the library's
 * words, a run without any handshake, --insecure; the histogram's grouping, bars
 * and percentages; durations as printed, NaN and negatives never printed. */
#include <math.h>

#include "harness/report/loadsum.h"
#include "harness/run/metric.h"
#include "harness/vocab/iana.h"
#include "tap.h"

#include "safe_text.h"

static const char *fake_version(void)
{
    return "FakeTLS 1.0";
}

static const struct th_backend fake = {
    .name = "fake", .library = "FakeTLS", .version = fake_version};

static char *print_to_string(const struct th_case_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    th_loadsum_print(f, r);
    fclose(f);
    return buf;
}

static void set_metric(struct th_case_result *r, const char *name, const char *unit, double v)
{
    th_metric_set(r, name, unit, &v, 1);
}

static void make_case(struct th_case *c, struct th_case_result *r)
{
    memset(c, 0, sizeof(*c));
    memset(r, 0, sizeof(*r));
    c->id = "load/keepalive/fake-vs-127.0.0.1:4433";
    c->kind = TH_KIND_LOAD;
    c->client = &fake;
    c->server_name = "https://127.0.0.1:4433";
    c->timeout_s = 10;
    c->load = (struct th_load_spec){.requests = 200, .connections = 4, .path = "/bytes/1024"};
    c->c.verify = 1;
    c->c.ca = "/tmp/root.pem";
    c->c.hostname = "127.0.0.1";
    r->c = c;
}

static void test_pass(void)
{
    struct th_case c;
    struct th_case_result r;
    make_case(&c, &r);
    r.status = TH_PASS;
    snprintf(r.reason, sizeof r.reason, "observed ok"); /* what the judge says of a pass */
    r.obs.ran = 1;
    r.obs.have_neg = 1;
    r.obs.neg = (struct th_negotiated){.version = TH_TLS13, .suite = 0x1302, .group = 0x001D};
    r.load = (struct th_load_tally){
        .ran = 1, .requests = 200, .connections = 4, .body_bytes = 204800, .wall_s = 0.05};
    for (int i = 0; i < 200; i++)
        th_lathist_add(&r.load.latency, 100000 + (uint64_t)i * 1000);
    set_metric(&r, "requests_per_s", "1/s", 4000);
    set_metric(&r, "connections_per_s", "1/s", 80);
    set_metric(&r, "latency_ms_p50", "ms", 0.2);
    set_metric(&r, "latency_ms_p90", "ms", 0.28);
    set_metric(&r, "latency_ms_p99", "ms", 0.298);
    set_metric(&r, "latency_ms_p99_9", "ms", 0.299);
    set_metric(&r, "latency_ms_p99_99", "ms", 0.299);
    set_metric(&r, "latency_ms_max", "ms", 0.299);
    set_metric(&r, "connect_ms", "ms", 0.05);
    set_metric(&r, "tls_ms", "ms", 3.5);
    set_metric(&r, "first_byte_ms", "ms", 0.4);
    set_metric(&r, "client_us_per_request", "us", 18.25);
    set_metric(&r, "throughput_mib_s", "MiB/s", 3.91);
    char *s = print_to_string(&r);
    ok(strstr(s, "load         https://127.0.0.1:4433/bytes/1024  (client fake, FakeTLS 1.0)\n") !=
           NULL,
       "the target with its path, the client and its library");
    ok(strstr(s, "4 connections, 200 requests, keep-alive, closed loop, request timeout 10 s") !=
           NULL,
       "the settings");
    ok(!strstr(s, "\nbodies ") && !strstr(s, "negotiated otherwise"),
       "no hash line without expect_sha256, no differing handshakes line without any");
    ok(strstr(s, "TLS          TLS 1.3, TLS_AES_256_GCM_SHA384, group x25519\n") != NULL,
       "version, suite and group negotiated");
    ok(strstr(s, "certificate  verified against /tmp/root.pem, name 127.0.0.1, no SNI") != NULL,
       "how the certificate was verified");
    ok(strstr(s, "requests     200 verified in 0.050 s, 4000.0 requests/s\n") != NULL,
       "requests, time and rate");
    ok(strstr(s, "failed       none\n") != NULL, "no failure");
    ok(strstr(s, "bytes        204800 (200.0 KiB) of response bodies, 3.91 MiB/s") != NULL,
       "body bytes");
    ok(strstr(s, "handshakes   4 verified (80.0/s), 0 resumed: full handshakes asked") != NULL,
       "handshakes and resumptions");
    ok(strstr(s, "latency      p50 0.200  p90 0.280  p99 0.298  p99.9 0.299  p99.99 0.299  max "
                 "0.299 ms") != NULL,
       "the percentiles");
    ok(strstr(s, "phases       connect 0.0500  TLS 3.50  first byte 0.400 ms") != NULL,
       "the phases");
    ok(strstr(s, "client CPU   18.25 us per request") != NULL, "the client's CPU per request");
    ok(strstr(s, "100.00%\n") != NULL, "the histogram ends at 100%% cumulative");
    ok(strstr(s, "verdict      pass\n") != NULL, "the verdict, without the judge's 'observed ok'");
    ok(!strstr(s, "nan") && !strstr(s, "inf"), "no NaN or infinity printed");
    free(s);

    c.load.new_connection_per_request = 1;
    c.load.resume = TH_RESUME_TICKET;
    r.load.resumed = 196;
    s = print_to_string(&r);
    ok(strstr(s, "a new connection per request, resumed by ticket") != NULL,
       "settings: new connections resumed by ticket");
    ok(strstr(s, "196 resumed: each one after a slot's first checked to resume") != NULL,
       "resumptions counted, verified");
    free(s);

    c.load.rate = 250;
    c.load.has_sha256 = 1;
    r.load.bodies_hashed = 200;
    r.load.neg_differ = 3;
    s = print_to_string(&r);
    ok(strstr(s, ", open loop at 250 requests/s (latency from when each request was due)") != NULL,
       "settings: open loop and its rate");
    ok(strstr(s, "bodies       200 with the SHA-256 asked\n") != NULL, "bodies hashed, counted");
    ok(strstr(s, "3 verified handshake(s) negotiated otherwise\n") != NULL,
       "handshakes that differ from the one shown, counted");
    free(s);
}

static void test_fail(void)
{
    struct th_case c;
    struct th_case_result r;
    make_case(&c, &r);
    c.c.verify = 0;
    c.load.requests = 0;
    c.load.seconds = 2.5;
    r.status = TH_FAIL;
    snprintf(r.reason, sizeof r.reason, "101 failed request(s) beside 0 verified: 101 io_error");
    r.obs.ran = 1;
    r.obs.outcome = TH_IO_ERROR;
    th_error_set(&r.obs.client_err, TH_IO_ERROR, 111, "connect to 127.0.0.1:1: refused");
    r.errors[TH_IO_ERROR] = 100;
    r.errors[TH_TIMEOUT] = 1;
    r.load.ran = 1;
    char *s = print_to_string(&r);
    ok(strstr(s, "2.5 s, keep-alive") != NULL, "settings by time");
    ok(strstr(s, "TLS          no handshake completed\n") != NULL, "no handshake");
    ok(strstr(s, "certificate  not verified (--insecure)\n") != NULL, "--insecure said");
    ok(strstr(s, "requests     0 verified in 0.000 s\n") != NULL, "no rate without requests");
    ok(strstr(s, "failed       101: 1 timeout 100 io_error\n") != NULL ||
           strstr(s, "failed       101: 100 io_error 1 timeout\n") != NULL,
       "failures by outcome");
    ok(strstr(s, "first error  io_error: connect to 127.0.0.1:1: refused (code 111)\n") != NULL,
       "the first failure in the library's words");
    ok(strstr(s, "latency      p50 -  p90 -") != NULL, "missing percentiles print as -");
    ok(strstr(s, "client CPU   -\n") != NULL, "no CPU figure");
    ok(strstr(s, "  (no verified request)\n") != NULL, "an empty histogram says so");
    ok(strstr(s, "verdict      fail: 101 failed request(s)") != NULL,
       "the verdict with its reason");
    ok(!strstr(s, "nan") && !strstr(s, "-1"), "nothing made up for what is missing");
    free(s);
}

/* The target's name and path, the peer's ALPN, a library's version and error text
 * and the reason can all carry control bytes: each printed as \\xNN. */
static void test_hostile(void)
{
    struct th_case c;
    struct th_case_result r;
    make_case(&c, &r);
    c.server_name = "https://evil\033]0;t\007:1";
    snprintf(c.load.path, sizeof c.load.path, "/p\033[2J");
    c.c.hostname = "h\nforged";
    r.status = TH_FAIL;
    snprintf(r.reason, sizeof r.reason, "bad status line 'HTTP/9.9 \033]0;pwned\007'");
    r.obs.ran = 1;
    r.obs.have_neg = 1;
    r.obs.neg.version = TH_TLS13;
    snprintf(r.obs.neg.alpn, sizeof r.obs.neg.alpn, "h2\033[31m");
    th_error_set(&r.obs.client_err, TH_IO_ERROR, 1,
                 "peer said \302\233"
                 "2J");
    r.errors[TH_IO_ERROR] = 1;
    char *s = print_to_string(&r);
    ok(text_safe(s), "no control byte reaches the terminal");
    ok(strstr(s, "load         https://evil\\x1b]0;t\\x07:1/p\\x1b[2J  (client fake") != NULL,
       "target and path escaped");
    ok(strstr(s, ", ALPN h2\\x1b[31m\n") != NULL, "the peer's ALPN escaped");
    ok(strstr(s, "name h\\nforged, no SNI\n") != NULL, "the name on its line");
    ok(strstr(s, "first error  io_error: peer said \\xc2\\x9b2J (code 1)\n") != NULL,
       "the library's text escaped");
    ok(strstr(s, "verdict      fail: bad status line 'HTTP/9.9 \\x1b]0;pwned\\x07'\n") != NULL,
       "the reason escaped");
    ok(!text_safe(r.reason), "the check itself catches the raw reason");
    free(s);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_histogram(void)
{
    struct th_lathist h;
    char *buf = NULL;
    size_t len = 0;
    memset(&h, 0, sizeof h);
    /* 100 requests at 1 ms, 10 at 100 ms, one beyond every bucket */
    for (int i = 0; i < 100; i++)
        th_lathist_add(&h, 1000000);
    for (int i = 0; i < 10; i++)
        th_lathist_add(&h, 100000000);
    th_lathist_add(&h, UINT64_MAX);
    FILE *f = open_memstream(&buf, &len);
    th_loadsum_histogram(f, &h, 12, 40);
    fclose(f);
    ok(count_lines(buf) <= 12 && count_lines(buf) >= 3, "at most 12 rows (%d)", count_lines(buf));
    ok(strstr(buf, "|########################################|        100  90.09%  90.09%") != NULL,
       "the fullest row has the full bar");
    ok(strstr(buf, "|####                                    |         10   9.01%  99.10%") != NULL,
       "a row's bar is in proportion");
    ok(strstr(buf, "- up        |#") != NULL && strstr(buf, "  1   0.90% 100.00%\n") != NULL,
       "the open last bucket shows as 'up', with a bar of at least one mark");
    free(buf);

    memset(&h, 0, sizeof h);
    th_lathist_add(&h, 500);
    th_lathist_add(&h, 1050);
    buf = NULL;
    f = open_memstream(&buf, &len);
    th_loadsum_histogram(f, &h, 0, 10);
    fclose(f);
    is_int(count_lines(buf), 1, "rows 0 reads as one row");
    ok(strstr(buf, "        0 - 0.0011") != NULL, "bucket 0 starts at 0: %s", buf);
    ok(strstr(buf, "|##########|          2 100.00% 100.00%") != NULL, "both in the one row");
    free(buf);
}

static void test_ms(void)
{
    char b[24];
    th_loadsum_ms(b, sizeof b, 0.0912);
    is_str(b, "0.0912", "under 0.1 ms: four decimals");
    th_loadsum_ms(b, sizeof b, 0.5);
    is_str(b, "0.500", "under 1 ms: three");
    th_loadsum_ms(b, sizeof b, 1.25);
    is_str(b, "1.25", "under 10: two");
    th_loadsum_ms(b, sizeof b, 12.34);
    is_str(b, "12.3", "under 100: one");
    th_loadsum_ms(b, sizeof b, 312.4);
    is_str(b, "312", "above: none");
    th_loadsum_ms(b, sizeof b, 0);
    is_str(b, "0", "zero");
    th_loadsum_ms(b, sizeof b, -1);
    is_str(b, "-", "negative: -");
    th_loadsum_ms(b, sizeof b, NAN);
    is_str(b, "-", "NaN: -");
    th_loadsum_ms(b, sizeof b, INFINITY);
    is_str(b, "-", "infinity: -");
}

int main(void)
{
    test_hostile();
    test_pass();
    test_fail();
    test_histogram();
    test_ms();
    return done_testing();
}
