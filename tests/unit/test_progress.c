/* The run's progress: the time-left estimate (by class, priors scaled to this
 * machine, the running case), durations, the line's text and width, the per-case
 * lines with their count, and the drawing thread on a pipe: a count, no escape
 * sequence, and the line rubbed out at the end. */
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "harness/report/progress.h"
#include "harness/report/term.h"
#include "tap.h"

#include "safe_text.h"

#define ELL "\xE2\x80\xA6"

static struct th_case mk(enum th_kind kind, const char *id)
{
    struct th_case c;
    memset(&c, 0, sizeof(c));
    c.id = (char *)id;
    c.scenario = (char *)id;
    c.kind = kind;
    c.server_name = (char *)"x";
    return c;
}

static void test_eta(void)
{
    struct th_eta e;
    memset(&e, 0, sizeof(e));
    e.quick = 1;
    struct th_case hs = mk(TH_KIND_HANDSHAKE, "h"), load = mk(TH_KIND_LOAD, "l"),
                   skipped = mk(TH_KIND_HANDSHAKE, "s");
    skipped.skip = (char *)"no ALPN";
    ok(th_eta_class(&hs) != th_eta_class(&load), "kinds time apart");
    is_int(th_eta_class(&skipped), 0, "a skip is its own class");
    struct th_case fx = hs;
    fx.fixture = (const struct th_fixture_def *)&fx; /* any non-NULL definition */
    ok(th_eta_class(&fx) != th_eta_class(&hs), "a fixture's handshake times apart");
    th_eta_class(&(struct th_case){.kind = (enum th_kind)99}); /* out of range: no crash */
    is_int(th_eta_class(&(struct th_case){.kind = (enum th_kind)99}), 0, "unknown kind: class 0");

    for (int i = 0; i < 10; i++)
        th_eta_plan(&e, &hs);
    for (int i = 0; i < 2; i++)
        th_eta_plan(&e, &load);
    th_eta_plan(&e, &skipped);
    ok(th_eta_left(&e, -1, 0) < 0, "nothing finished: not known");
    th_eta_done(&e, &skipped, 0);
    ok(th_eta_left(&e, -1, 0) < 0, "a skip alone tells nothing");

    for (int i = 0; i < 4; i++)
        th_eta_done(&e, &hs, 0.02);
    /* handshakes took twice their prior (0.010 s): the unseen load cases are scaled
     * alike, 2 x 0.40 s each */
    double left = th_eta_left(&e, -1, 0);
    ok(fabs(left - (6 * 0.02 + 2 * 0.80)) < 1e-9,
       "seen class at its mean, unseen at its prior x pace (%g)", left);
    th_eta_done(&e, &load, 3.0);
    left = th_eta_left(&e, -1, 0);
    ok(fabs(left - (6 * 0.02 + 3.0)) < 1e-9, "a class seen once: its own mean (%g)", left);
    left = th_eta_left(&e, th_eta_class(&load), 1.0);
    ok(fabs(left - (6 * 0.02 + 2.0)) < 1e-9, "the running case's time so far comes off (%g)", left);
    left = th_eta_left(&e, th_eta_class(&load), 60.0);
    ok(fabs(left - 6 * 0.02) < 1e-9, "but never more than its estimate (%g)", left);
    for (int i = 0; i < 6; i++)
        th_eta_done(&e, &hs, 0.02);
    th_eta_done(&e, &load, 3.0);
    th_eta_done(&e, &load, 3.0); /* one more than planned: no underflow */
    is_int(e.left[th_eta_class(&load)], 0, "left never below zero");
    ok(th_eta_left(&e, -1, 0) == 0, "all done: nothing left");

    struct th_eta full;
    memset(&full, 0, sizeof(full));
    th_eta_plan(&full, &load);
    th_eta_done(&full, &hs, 0.01);
    ok(th_eta_left(&full, -1, 0) > 10, "full size: a load case is expected to take longer");
}

static void test_duration(void)
{
    char b[32];
    th_progress_duration(b, sizeof(b), 0);
    is_str(b, "0s", "zero");
    th_progress_duration(b, sizeof(b), 42.4);
    is_str(b, "42s", "seconds");
    th_progress_duration(b, sizeof(b), 187);
    is_str(b, "3:07", "minutes");
    th_progress_duration(b, sizeof(b), 3723);
    is_str(b, "1:02:03", "hours");
    th_progress_duration(b, sizeof(b), -1);
    is_str(b, "--", "unknown");
}

static void test_format(void)
{
    char b[512];
    struct th_progress_state s = {.done = 123,
                                  .total = 7374,
                                  .pass = 100,
                                  .fail = 3,
                                  .skip = 20,
                                  .elapsed_s = 42,
                                  .eta_s = 187,
                                  .running = "cert/expired/openssl-vs-gnutls"};
    th_progress_format(b, sizeof(b), &s, 200, 1);
    is_str(b,
           "[ 123/7374   1%] pass 100  fail 3  skip 20 | 42s, ETA 3:07 | "
           "cert/expired/openssl-vs-gnutls",
           "live line: count, percent, tallies, elapsed, ETA, the case");
    th_progress_format(b, sizeof(b), &s, 70, 1);
    is_int(th_text_columns(b), 69, "cut one column short of the width");
    ok(strstr(b, ELL) && strncmp(b, "[ 123/7374", 10) == 0, "cut at the case's end, with '…'");
    th_progress_format(b, sizeof(b), &s, 0, 1);
    is_int(th_text_columns(b), 79, "no width known: 80 columns");
    s.eta_s = -1;
    s.running = NULL;
    th_progress_format(b, sizeof(b), &s, 0, 0);
    is_str(b, "progress: 123/7374 cases (1%), pass 100, fail 3, skip 20; 42s elapsed, ETA --",
           "periodic line, no case running, ETA not known");
    s.total = 0;
    s.done = 0;
    th_progress_format(b, sizeof(b), &s, 0, 0);
    ok(strstr(b, "0/0 cases (100%)") != NULL, "an empty run: no division by zero");
}

static struct th_case_result result(const struct th_case *c, enum th_status st, const char *why)
{
    struct th_case_result r;
    memset(&r, 0, sizeof(r));
    r.c = c;
    r.status = st;
    r.duration_s = 0.012;
    th_strlcpy(r.reason, why, sizeof(r.reason));
    return r;
}

/* The per-case lines of two cases, one passing and one failing, under opts. */
static char *case_lines(struct th_progress_opts o)
{
    char *text = NULL;
    size_t len = 0;
    o.out = open_memstream(&text, &len);
    struct th_case a = mk(TH_KIND_HANDSHAKE, "cert/expired/openssl-vs-gnutls"),
                   b = mk(TH_KIND_HANDSHAKE, "cert/expired/gnutls-vs-gnutls");
    struct th_progress *p = th_progress_new(&o, 12);
    th_progress_plan(p, &a);
    th_progress_plan(p, &b);
    th_progress_start(p);
    struct th_case_result ra = result(&a, TH_PASS, ""),
                          rb = result(&b, TH_FAIL, "accepted an expired certificate, which is bad");
    th_progress_begin(p, &a);
    th_progress_end(p, &ra);
    th_progress_begin(p, &b);
    th_progress_end(p, &rb);
    th_progress_stop(p);
    fclose(o.out);
    return text;
}

static void test_case_lines(void)
{
    char *s = case_lines((struct th_progress_opts){.mode = TH_PROGRESS_OFF, .verbose = 1});
    is_str(s,
           "[ 1/12] pass  cert/expired/openssl-vs-gnutls (0.012 s)\n"
           "[ 2/12] fail  cert/expired/gnutls-vs-gnutls (0.012 s): accepted an expired "
           "certificate, which is bad\n",
           "-v: a line per case with its count");
    free(s);
    s = case_lines((struct th_progress_opts){.mode = TH_PROGRESS_OFF});
    ok(strncmp(s, "[ 2/12] fail ", 13) == 0 && !strstr(s, "pass"),
       "without -v: only the case that did not pass");
    free(s);
    s = case_lines((struct th_progress_opts){.mode = TH_PROGRESS_OFF, .quiet = 1, .verbose = 1});
    is_str(s, "", "quiet: no per-case line at all");
    free(s);
    s = case_lines((struct th_progress_opts){.mode = TH_PROGRESS_OFF, .width = 60});
    ok(strstr(s, ELL "\n") && th_text_columns(s) == 61, "the reason cut to the width (%zu)",
       th_text_columns(s));
    free(s);
    s = case_lines((struct th_progress_opts){.mode = TH_PROGRESS_OFF, .color = 1});
    ok(strstr(s, "\033[31mfail\033[0m") != NULL, "colour on: the status word coloured");
    free(s);
}

/* ---- text from peers and files: never a control byte on the terminal ---- */

#define HOSTILE                                                                                    \
    "HTTP/9.9 999 \033]0;pwned\007\033[2J\302\233"                                                 \
    "31m\nforged\377"

static void test_hostile_text(void)
{
    char b[512];
    ok(!text_safe(HOSTILE), "the check itself catches the hostile text");
    struct th_progress_state st = {.done = 1, .total = 2, .running = "evil\033[2J/a-vs-\007b\n"};
    th_progress_format(b, sizeof(b), &st, 200, 1);
    ok(text_safe(b) && strstr(b, "| evil\\x1b[2J/a-vs-\\x07b\\n"),
       "live line: the running case's id with its control bytes as \\xNN (%s)", b);
    th_progress_format(b, sizeof(b), &st, 0, 0);
    ok(text_safe(b) && strstr(b, "running evil\\x1b[2J"), "periodic line too");
    th_progress_format(b, sizeof(b), &st, 30, 1);
    ok(text_safe(b) && th_text_columns(b) == 29, "cut to the width after escaping");

    char *text = NULL;
    size_t len = 0;
    struct th_progress_opts o = {.mode = TH_PROGRESS_OFF, .verbose = 1};
    o.out = open_memstream(&text, &len);
    struct th_case c = mk(TH_KIND_HANDSHAKE, "cert/\033]0;t\007/a-vs-b");
    struct th_progress *p = th_progress_new(&o, 1);
    th_progress_plan(p, &c);
    th_progress_start(p);
    struct th_case_result r = result(&c, TH_FAIL, HOSTILE);
    th_progress_begin(p, &c);
    th_progress_end(p, &r);
    th_progress_stop(p);
    fclose(o.out);
    is_str(text,
           "[1/1] fail  cert/\\x1b]0;t\\x07/a-vs-b (0.012 s): HTTP/9.9 999 "
           "\\x1b]0;pwned\\x07\\x1b[2J\\xc2\\x9b31m\\nforged\\xff\n",
           "a case's line: its id and reason on one line, control bytes as \\xNN");
    free(text);
}

/* Everything the drawing thread wrote to the pipe in the next ms milliseconds. */
static char *drain(int fd, int ms)
{
    static char buf[65536];
    size_t len = 0;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int left = ms; left > 0 && len < sizeof(buf) - 1;) {
        if (poll(&pf, 1, left) > 0) {
            ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
            if (n <= 0)
                break;
            len += (size_t)n;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        left = ms - (int)((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
    }
    buf[len] = '\0';
    return buf;
}

static void test_thread(void)
{
    int fds[2];
    if (pipe(fds) != 0) {
        skip(7, "no pipe");
        return;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    struct th_case a = mk(TH_KIND_HANDSHAKE, "handshake/slow/a-vs-b");
    struct th_progress_opts o = {.mode = TH_PROGRESS_LIVE, .fd = fds[1], .out = stdout, .quick = 1};
    struct th_progress *p = th_progress_new(&o, 3);
    for (int i = 0; i < 3; i++)
        th_progress_plan(p, &a);
    th_progress_start(p);
    struct th_case_result r = result(&a, TH_PASS, "");
    th_progress_begin(p, &a);
    th_progress_end(p, &r);
    th_progress_begin(p, &a);
    char *s = drain(fds[0], 300);
    ok(s[0] == '\r', "live: the line starts at the line's start");
    ok(strstr(s, "[1/3  33%] pass 1  fail 0  skip 0") != NULL, "live: the count and tallies");
    ok(strstr(s, "handshake/slow/a-vs-b") != NULL, "live: the case running");
    ok(!strchr(s, '\033') && !strchr(s, '\n'), "live: no escape sequence, no newline");
    th_progress_stop(p);
    s = drain(fds[0], 100);
    size_t n = strlen(s), blank = n > 2 ? n - 2 : 0;
    while (blank > 0 && s[blank] == ' ')
        blank--;
    /* a last redraw may come first: what counts is how the output ends */
    ok(n > 2 && s[n - 1] == '\r' && s[blank] == '\r' && blank + 2 < n,
       "stopped: the line rubbed out with blanks");

    o.mode = TH_PROGRESS_PERIODIC;
    o.period_s = 0.15;
    p = th_progress_new(&o, 3);
    th_progress_start(p);
    th_progress_begin(p, &a);
    s = drain(fds[0], 400);
    ok(strstr(s, "progress: 0/3 cases (0%)") && strstr(s, "running handshake/slow"),
       "periodic: a plain line after the period");
    ok(!strchr(s, '\r') && !strchr(s, '\033'), "periodic: no carriage return, no escape");
    th_progress_stop(p);
    th_progress_stop(NULL);
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    test_hostile_text();
    test_eta();
    test_duration();
    test_format();
    test_case_lines();
    test_thread();
    return done_testing();
}
