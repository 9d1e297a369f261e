/* The one error type (harness/vocab/error.c): what each way of raising records, how
 * an error reads for a person, and the exit status it gives. */
#include "tap.h"

#include <errno.h>

#include "harness/vocab/error.h"

static int raise_fault(struct th_error *err)
{
    TH_FAULT(err, ENOENT, "cannot open %s", "x.json");
    return -1;
}

static int guarded(struct th_error *err)
{
    TH_GUARD(raise_fault(err));
    return 0;
}

static int ensured(int cond, struct th_error *err)
{
    TH_ENSURE(cond == 1, err);
    return 0;
}

static void test_set(void)
{
    struct th_error e;
    char buf[600];
    th_error_set(&e, TH_UNKNOWN_CA, 20, "unable to get local issuer certificate");
    ok(e.outcome == TH_UNKNOWN_CA && e.code == 20 && !e.file && !e.line && !e.input,
       "th_error_set: outcome and code, no place");
    is_str(th_error_str(&e, buf, sizeof(buf)), "unable to get local issuer certificate (code 20)",
           "with a code: text (code N)");
    th_error_set(&e, TH_TIMEOUT, 0, "no answer in %d s", 3);
    is_str(th_error_str(&e, buf, sizeof(buf)), "no answer in 3 s",
           "without a code: the text alone");
    th_error_set(&e, TH_TRUNCATED, 0, "%s", "");
    is_str(th_error_str(&e, buf, sizeof(buf)), "truncated", "no text: the outcome's name");
    is_int(th_error_exit_status(&e), 3, "a library's verdict exits 3");
}

static void test_fault(void)
{
    struct th_error e;
    char buf[600], want[600];
    int line = __LINE__ + 1;
    TH_FAULT(&e, EACCES, "cannot write %s", "out.json");
    ok(e.outcome == TH_INTERNAL_ERROR && e.code == EACCES && e.file &&
           strcmp(e.file, __FILE__) == 0 && e.line == line,
       "TH_FAULT records internal_error, errno and file:line");
    snprintf(want, sizeof(want), "cannot write out.json (code %d) [at %s:%d]", EACCES, __FILE__,
             line);
    is_str(th_error_str(&e, buf, sizeof(buf)), want, "reads: text (code N) [at FILE:LINE]");
    is_int(th_error_exit_status(&e), 3, "a fault exits 3");
    TH_FAULT(&e, 0, "invariant");
    ok(strstr(th_error_str(&e, buf, sizeof(buf)), "(code") == NULL && strstr(buf, "[at ") != NULL,
       "a fault without errno: place, no code");
    TH_RAISE(&e, TH_TIMEOUT, 0, "no connection in %g s", 1.5);
    ok(e.outcome == TH_TIMEOUT && e.file && e.line > 0 && !e.input,
       "TH_RAISE: the outcome given, at this place");
    ok(guarded(&e) == -1 && e.code == ENOENT && strcmp(e.text, "cannot open x.json") == 0,
       "TH_GUARD passes the callee's error on untouched");
    ok(ensured(1, &e) == 0, "TH_ENSURE holds: 0");
    ok(ensured(0, &e) == -1 && strstr(e.text, "cond == 1 does not hold") && e.file,
       "TH_ENSURE fails: the condition and the place");
}

static void test_input(void)
{
    struct th_error e;
    char buf[600];
    TH_FAULT(&e, EIO, "before");
    TH_INPUT(&e, "%s:%d:%d: unknown key \"%s\"", "s.json", 3, 7, "kindd");
    ok(e.input && e.outcome == TH_INTERNAL_ERROR && e.code == 0 && !e.file,
       "TH_INPUT: input set, no code, no place");
    is_str(th_error_str(&e, buf, sizeof(buf)), "s.json:3:7: unknown key \"kindd\"",
           "reads as the FILE:LINE:COL text alone");
    is_int(th_error_exit_status(&e), 2, "bad input exits 2");
    TH_FAULT(&e, 0, "after");
    ok(!e.input && th_error_exit_status(&e) == 3, "raising again clears input");
}

static void test_prefix(void)
{
    struct th_error e;
    char buf[600];
    TH_FAULT(&e, ENOSPC, "write failed");
    th_error_prefix(&e, "results %s", "r.json");
    ok(strcmp(e.text, "results r.json: write failed") == 0 && e.code == ENOSPC && e.file,
       "prefix keeps code and place");
    char long_text[700];
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    th_error_set(&e, TH_IO_ERROR, 0, "%s", long_text);
    is_int(strlen(e.text), sizeof(e.text) - 1, "a long text is cut to fit");
    th_error_prefix(&e, "%s", "head");
    ok(strlen(e.text) == sizeof(e.text) - 1 && strncmp(e.text, "head: xxx", 9) == 0,
       "a prefix on a full text: the prefix kept, the tail cut");
    th_error_prefix(&e, "%s", long_text);
    ok(strlen(e.text) == sizeof(e.text) - 1 && e.text[0] == 'x', "a prefix longer than text: cut");
    th_error_set(&e, TH_IO_ERROR, 7, "abcdef");
    is_str(th_error_str(&e, buf, 4), "abc", "th_error_str cuts to cap");
    is_str(th_error_str(&e, buf, 7), "abcdef", "no room for the code: the text alone");
}

static void test_null(void)
{
    th_error_set(NULL, TH_OK, 0, "nobody listens");
    th_error_at(NULL, TH_OK, 0, __FILE__, __LINE__, "nobody");
    TH_FAULT((struct th_error *)NULL, 0, "nobody");
    TH_INPUT((struct th_error *)NULL, "nobody");
    th_error_prefix(NULL, "nobody");
    th_error_clear(NULL);
    ok(1, "every raising function takes a NULL err");
    struct th_error e;
    TH_FAULT(&e, 5, "x");
    th_error_clear(&e);
    ok(e.outcome == TH_OK && !e.code && !e.text[0] && !e.file && !e.input, "clear empties it");
}

int main(void)
{
    test_set();
    test_fault();
    test_input();
    test_prefix();
    test_null();
    return done_testing();
}
