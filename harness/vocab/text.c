/* Escaping outside text for terminals, logs and reports (text.h). */
#include "text.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s[0..len) that is not a control
 * character, else 0. Bounded by len (the input may hold NULs and end anywhere). */
static size_t printable_len(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    if (c < 0x80)
        return (c >= 0x20 && c != 0x7f) ? 1 : 0;
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (!n || n > len)
        return 0;
    uint32_t v = c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (v >= 0x80 && v <= 0x9F))
        return 0;
    return n;
}

/* The escape for byte c: "\n", "\r", "\t" or "\xNN" into out (5 bytes). */
static size_t escape(unsigned char c, char out[5])
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    if (c == '\n' || c == '\r' || c == '\t') {
        out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        return 2;
    }
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 15];
    return 4;
}

char *th_text_safe_n(char *dst, size_t cap, const void *src, size_t len)
{
    const unsigned char *s = src;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        char esc[5];
        size_t n = printable_len(s + i, len - i), w = n;
        const char *from = (const char *)s + i;
        if (!n) {
            w = escape(s[i], esc);
            from = esc;
            n = 1;
        }
        if (o + w >= cap)
            break;
        memcpy(dst + o, from, w);
        o += w;
        i += n;
    }
    if (cap)
        dst[o < cap ? o : cap - 1] = '\0';
    return dst;
}

char *th_text_safe(char *dst, size_t cap, const char *src)
{
    return th_text_safe_n(dst, cap, src ? src : "", src ? strlen(src) : 0);
}

int th_text_is_safe(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0, n; i < len; i += n)
        if (!(n = printable_len((const unsigned char *)s + i, len - i)))
            return 0;
    return 1;
}

void th_text_fputs(FILE *f, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = printable_len((const unsigned char *)s + i, len - i);
        if (n) {
            fwrite(s + i, 1, n, f);
            i += n;
        } else {
            char esc[5];
            fwrite(esc, 1, escape((unsigned char)s[i], esc), f);
            i++;
        }
    }
}
