/* Text that came from outside (a peer's status line, a library's error text, a
 * results file's reason, a scenario string) made safe to print: one line, no
 * control byte reaches a terminal, a log or a report. */
#ifndef TH_TEXT_H
#define TH_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* dst (cap > 0 bytes, always NUL-terminated) gets src with every control byte
 * (C0, DEL, the C1 range U+0080..U+009F) and every byte that is not well-formed
 * UTF-8 written as \xNN (newline, return and tab as \n \r \t); well-formed
 * UTF-8 is kept. A cut never splits an escape or a character. Returns dst. */
char *th_text_safe(char *dst, size_t cap, const char *src);
/* The same for len bytes that may hold NULs (written as \x00). */
char *th_text_safe_n(char *dst, size_t cap, const void *src, size_t len);
/* Is s (NUL-terminated) printable as it is: th_text_safe would change nothing? */
int th_text_is_safe(const char *s);
/* fputs of th_text_safe(s), however long s is. */
void th_text_fputs(FILE *f, const char *s);

#endif
