#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void verror(struct th_error *err, enum th_outcome o, long code, const char *file, int line,
                   const char *fmt, va_list ap)
{
    err->outcome = o;
    err->code = code;
    err->file = file;
    err->line = line;
    err->input = 0;
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
}

void th_error_set(struct th_error *err, enum th_outcome o, long code, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    verror(err, o, code, NULL, 0, fmt, ap);
    va_end(ap);
}

void th_error_at(struct th_error *err, enum th_outcome o, long code, const char *file, int line,
                 const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    verror(err, o, code, file, line, fmt, ap);
    va_end(ap);
}

void th_error_input(struct th_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    verror(err, TH_INTERNAL_ERROR, 0, NULL, 0, fmt, ap);
    va_end(ap);
    err->input = 1;
}

void th_error_clear(struct th_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

const char *th_error_str(const struct th_error *err, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s", err->text[0] ? err->text : th_outcome_name(err->outcome));
    if (err->code && n >= 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, " (code %ld)", err->code);
    if (err->file && n >= 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, " [at %s:%d]", err->file, err->line);
    return out;
}

void th_error_prefix(struct th_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[sizeof(err->text)], joined[2 * sizeof(err->text) + 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    snprintf(joined, sizeof(joined), "%s: %s", head, err->text);
    memcpy(err->text, joined, sizeof(err->text) - 1);
    err->text[sizeof(err->text) - 1] = '\0';
}

int th_error_exit_status(const struct th_error *err)
{
    return err->input ? 2 : 3;
}
