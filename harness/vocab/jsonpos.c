/* Positions of values in a JSON text (jsonpos.h). */
#include "jsonpos.h"

#include <string.h>

struct scan {
    const char *p, *end;
    int line, ncol; /* ncol: characters consumed on this line */
};

static void adv(struct scan *s)
{
    unsigned char b = (unsigned char)*s->p++;
    if (b == '\n') {
        s->line++;
        s->ncol = 0;
    } else if ((b & 0xC0) != 0x80) { /* count characters, not UTF-8 continuation bytes */
        s->ncol++;
    }
}

static int peek(const struct scan *s)
{
    return s->p < s->end ? (unsigned char)*s->p : -1;
}

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && strchr(" \t\r\n", *s->p))
        adv(s);
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One escape after the backslash, decoded into o (which has room for 4 bytes).
 * Returns bytes written, or -1 on a malformed escape. */
static int unescape(struct scan *s, char *o)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = s->p < s->end ? strchr(from, *s->p) : NULL;
    unsigned cp, lo;
    if (e && *e) {
        adv(s);
        o[0] = to[e - from];
        return 1;
    }
    if (peek(s) != 'u' || hex4(s->p + 1, s->end, &cp) < 0)
        return -1;
    for (int i = 0; i < 5; i++)
        adv(s);
    if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u' &&
        hex4(s->p + 2, s->end, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
        for (int i = 0; i < 6; i++)
            adv(s);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return (int)put_utf8(o, cp);
}

/* A string at s->p (on its opening quote), decoded into buf when it fits.
 * *fits is 0 when it did not (it then matches no key). */
static int scan_string(struct scan *s, char *buf, size_t cap, int *fits)
{
    size_t n = 0;
    *fits = 1;
    adv(s);
    while (s->p < s->end && *s->p != '"') {
        char tmp[4];
        int k = 1;
        if (*s->p == '\\') {
            adv(s);
            if ((k = unescape(s, tmp)) < 0)
                return -1;
        } else {
            tmp[0] = *s->p;
            adv(s);
        }
        if (n + (size_t)k < cap)
            memcpy(buf + n, tmp, (size_t)k);
        else
            *fits = 0;
        n += (size_t)k;
    }
    if (s->p >= s->end)
        return -1;
    adv(s);
    if (cap)
        buf[*fits ? n : 0] = '\0';
    return 0;
}

/* Skip one value of any type. Containers are skipped by depth counting, so deep
 * nesting costs no stack. */
static int skip_value(struct scan *s)
{
    int depth = 0;
    char dummy[1];
    int fits;
    do {
        skip_ws(s);
        int c = peek(s);
        if (c < 0)
            return -1;
        if (c == '"') {
            if (scan_string(s, dummy, 0, &fits) < 0)
                return -1;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        else if (c != ',' && c != ':' && depth == 0) {
            while (s->p < s->end && !strchr(" \t\r\n,]}", *s->p))
                adv(s);
            return 0;
        }
        adv(s);
    } while (depth > 0);
    return depth == 0 ? 0 : -1;
}

/* At an object's '{': move to the value of key (or to the key itself). */
static int enter_key(struct scan *s, const char *key, int to_key)
{
    char buf[256];
    int fits;
    adv(s);
    for (;;) {
        skip_ws(s);
        if (peek(s) != '"')
            return -1;
        struct scan at = *s;
        if (scan_string(s, buf, sizeof buf, &fits) < 0)
            return -1;
        skip_ws(s);
        if (peek(s) != ':')
            return -1;
        adv(s);
        skip_ws(s);
        if (fits && strcmp(buf, key) == 0) {
            if (to_key)
                *s = at;
            return 0;
        }
        if (skip_value(s) < 0)
            return -1;
        skip_ws(s);
        if (peek(s) != ',')
            return -1;
        adv(s);
    }
}

/* At an array's '[': move to element index. */
static int enter_index(struct scan *s, size_t index)
{
    adv(s);
    for (size_t i = 0;; i++) {
        skip_ws(s);
        if (peek(s) == ']' || peek(s) < 0)
            return -1;
        if (i == index)
            return 0;
        if (skip_value(s) < 0)
            return -1;
        skip_ws(s);
        if (peek(s) != ',')
            return -1;
        adv(s);
    }
}

int th_jsonpos_find(const char *text, size_t len, const struct th_jpath *path, size_t n, int at_key,
                    int *line, int *col)
{
    struct scan s = {text, text + len, 1, 0};
    struct scan found;
    int rc = 0;
    skip_ws(&s);
    found = s;
    for (size_t i = 0; i < n; i++) {
        int c = peek(&s);
        if (path[i].key)
            rc = c == '{' ? enter_key(&s, path[i].key, at_key && i == n - 1) : -1;
        else
            rc = c == '[' ? enter_index(&s, path[i].index) : -1;
        if (rc < 0)
            break;
        found = s;
    }
    *line = found.line;
    *col = found.ncol + 1;
    return rc;
}

void th_jsonpos_near(const char *text, size_t len, const struct th_jpath *path, size_t n,
                     int at_key, int *line, int *col)
{
    /* a path not in the text leaves line:col at the deepest value found on the way:
     * still the best place to point an error message at */
    if (th_jsonpos_find(text, len, path, n, at_key, line, col) < 0)
        return;
}
