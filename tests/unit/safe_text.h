/* The tests' own check that output is safe to show: nothing a terminal, a CI log
 * viewer or an XML 1.0 reader would act on or refuse. No C0 byte but newline, no
 * DEL, no C1, well-formed UTF-8 only. Written apart from harness/vocab/text.c, so
 * the escaper is checked by something that is not itself. */
#ifndef TH_SAFE_TEXT_H
#define TH_SAFE_TEXT_H

#include <stdint.h>

#include "harness/vocab/util.h"

static inline int text_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp;
        size_t n = th_utf8_decode(p, &cp);
        if (!n || (cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
            return 0;
        p += n;
    }
    return 1;
}

#endif
