/* The terminal helpers: the colour decision (--color, NO_COLOR, TERM, a terminal or
 * not, on a real pseudo-terminal), the width, and text cut to a width with "…". */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness/report/term.h"
#include "tap.h"

#define ELL "\xE2\x80\xA6"

static void test_parse(void)
{
    enum th_color_when w = TH_COLOR_NEVER;
    ok(th_color_parse("auto", &w) == 0 && w == TH_COLOR_AUTO, "auto");
    ok(th_color_parse("always", &w) == 0 && w == TH_COLOR_ALWAYS, "always");
    ok(th_color_parse("never", &w) == 0 && w == TH_COLOR_NEVER, "never");
    w = TH_COLOR_ALWAYS;
    ok(th_color_parse("bogus", &w) == -1 && w == TH_COLOR_ALWAYS, "bogus refused, untouched");
    ok(th_color_parse("", &w) == -1, "empty refused");
    ok(th_color_parse("Always", &w) == -1, "case matters");
    ok(th_color_parse(NULL, &w) == -1, "NULL refused");
}

/* A pseudo-terminal's far end: a terminal to isatty and TIOCGWINSZ. -1 if none. */
static int open_pty(int *master)
{
    *master = posix_openpt(O_RDWR | O_NOCTTY);
    if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0)
        return -1;
    return open(ptsname(*master), O_RDWR | O_NOCTTY);
}

static void test_wanted(void)
{
    int devnull = open("/dev/null", O_WRONLY);
    setenv("TERM", "xterm", 1);
    unsetenv("NO_COLOR");
    ok(th_color_wanted(TH_COLOR_ALWAYS, devnull), "always: colour even off a terminal");
    ok(!th_color_wanted(TH_COLOR_NEVER, devnull), "never: none");
    ok(!th_color_wanted(TH_COLOR_AUTO, devnull), "auto off a terminal: none");
    setenv("NO_COLOR", "1", 1);
    ok(th_color_wanted(TH_COLOR_ALWAYS, devnull), "always wins over NO_COLOR");

    int master, tty = open_pty(&master);
    if (tty < 0) {
        skip(6, "no pseudo-terminal here");
    } else {
        unsetenv("NO_COLOR");
        ok(th_color_wanted(TH_COLOR_AUTO, tty), "auto on a terminal: colour");
        setenv("NO_COLOR", "1", 1);
        ok(!th_color_wanted(TH_COLOR_AUTO, tty), "NO_COLOR=1: none");
        setenv("NO_COLOR", "", 1);
        ok(th_color_wanted(TH_COLOR_AUTO, tty), "NO_COLOR empty: as if unset");
        setenv("TERM", "dumb", 1);
        ok(!th_color_wanted(TH_COLOR_AUTO, tty), "TERM=dumb: none");
        unsetenv("TERM");
        ok(!th_color_wanted(TH_COLOR_AUTO, tty), "no TERM: none");
        struct winsize ws = {.ws_row = 24, .ws_col = 57};
        ioctl(tty, TIOCSWINSZ, &ws);
        is_int(th_term_columns(tty), 57, "the terminal's width");
        close(tty);
        close(master);
    }
    is_int(th_term_columns(devnull), 0, "not a terminal: width 0");
    is_int(th_term_columns(-1), 0, "a bad descriptor: width 0");
    setenv("TERM", "xterm", 1);
    ok(th_term_capable(), "xterm can rewrite a line");
    setenv("TERM", "dumb", 1);
    ok(!th_term_capable(), "dumb cannot");
    setenv("TERM", "", 1);
    ok(!th_term_capable(), "empty TERM cannot");
    close(devnull);
}

static void test_cut(void)
{
    char buf[64];
    is_int(th_text_columns("abc"), 3, "ASCII: a column a byte");
    is_int(th_text_columns("a" ELL "µ"), 3, "UTF-8: a column a code point");
    ok(th_cut(buf, sizeof(buf), "hello", 5) == 0, "fits exactly: not cut");
    is_str(buf, "hello", "whole");
    ok(th_cut(buf, sizeof(buf), "hello world", 8) == 1, "too long: cut");
    is_str(buf, "hello w" ELL, "eight columns, the last one the ellipsis");
    is_int(th_text_columns(buf), 8, "exactly the width");
    th_cut(buf, sizeof(buf), "hello", 1);
    is_str(buf, ELL, "width 1: only the ellipsis");
    ok(th_cut(buf, sizeof(buf), "hello world", 0) == 0, "width 0: no limit");
    is_str(buf, "hello world", "whole with width 0");
    th_cut(buf, sizeof(buf), "caf\xC3\xA9s and more", 5);
    is_str(buf, "caf\xC3\xA9" ELL, "a two-byte character kept whole");
    th_cut(buf, sizeof(buf), "a\033[31mred\nb\tc\x7f", 0);
    is_str(buf, "a [31mred b c ", "control characters never reach the terminal");
    char small[6];
    ok(th_cut(small, sizeof(small), "abcdefgh", 0) == 1, "a short buffer cuts too");
    is_str(small, "ab" ELL, "short buffer: what fits and the ellipsis");
    char tiny[3];
    th_cut(tiny, sizeof(tiny), "abcdefgh", 0);
    is_str(tiny, "ab", "no room for the ellipsis: plain cut");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ok(th_put_cut(f, "0123456789", 4) == 1, "th_put_cut says it cut");
    ok(th_put_cut(f, "|ok", 4) == 0, "and when it did not");
    fclose(f);
    is_str(text, "012" ELL "|ok", "th_put_cut writes the cut text");
    free(text);
}

int main(void)
{
    test_parse();
    test_wanted();
    test_cut();
    return done_testing();
}
