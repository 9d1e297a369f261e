/* The terminal (term.h): the colour decision, the width, and text cut to it. */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harness/vocab/util.h"

int th_color_parse(const char *text, enum th_color_when *when)
{
    static const char *const names[] = {"auto", "always", "never"};
    for (int i = 0; text && i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *when = (enum th_color_when)i;
            return 0;
        }
    return -1;
}

int th_term_capable(void)
{
    const char *term = getenv("TERM");
    return term && *term && strcmp(term, "dumb") != 0;
}

int th_color_wanted(enum th_color_when when, int fd)
{
    if (when != TH_COLOR_AUTO)
        return when == TH_COLOR_ALWAYS;
    /* no-color.org: set to anything but the empty string, it means no colour */
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color)
        return 0;
    return isatty(fd) && th_term_capable();
}

int th_term_columns(int fd)
{
    struct winsize ws;
    if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

/* a UTF-8 continuation byte: no column of its own */
static int continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t th_text_columns(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += !continuation((unsigned char)*s);
    return n;
}

/* Where the text must stop to leave room for "…", or NULL when it fits whole. */
static const char *cut_point(const char *s, int columns)
{
    if (columns <= 0 || th_text_columns(s) <= (size_t)columns)
        return NULL;
    const char *p = s;
    for (int n = 0; *p; p++) {
        if (!continuation((unsigned char)*p) && n++ == columns - 1)
            break;
    }
    return p;
}

int th_cut(char *buf, size_t cap, const char *s, int columns)
{
    if (!cap)
        return 0;
    const char *end = cut_point(s, columns);
    size_t len = end ? (size_t)(end - s) : strlen(s), ell = end ? 3 : 0;
    int cut = end != NULL;
    if (len + ell >= cap) {
        /* the buffer is shorter than the width: cut at a code point that fits */
        ell = cap > 3 ? 3 : 0;
        len = cap - 1 - ell;
        while (len && continuation((unsigned char)s[len]))
            len--;
        cut = 1;
    }
    /* a reason may carry a peer's bytes: no control character reaches the terminal */
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7F ? ' ' : s[i];
    memcpy(buf + len, "\xE2\x80\xA6", ell);
    buf[len + ell] = '\0';
    return cut;
}

int th_put_cut(FILE *out, const char *s, int columns)
{
    size_t cap = strlen(s) + 4;
    char *buf = th_xmalloc(cap);
    int cut = th_cut(buf, cap, s, columns);
    fputs(buf, out);
    free(buf);
    return cut;
}

const char *th_status_colour(enum th_status s)
{
    switch (s) {
    case TH_PASS: return "\033[32m";
    case TH_XFAIL:
    case TH_XPASS: return "\033[33m";
    case TH_SKIP: return "\033[2m";
    default: return "\033[31m";
    }
}
