/* One error type for the whole program (STYLE.md 15). A struct th_error says what
 * went wrong in the shared vocabulary and keeps the words of whoever said it:
 *
 *   - a TLS library or a server (th_error_set): outcome, the library's native code
 *     and text; no place, since the place is the library's;
 *   - the user's input (TH_INPUT): outcome TH_INTERNAL_ERROR, input set, the text
 *     naming FILE:LINE:COL or the option; the CLI exits 2;
 *   - the harness or the system under it (TH_FAULT, TH_ENSURE): outcome
 *     TH_INTERNAL_ERROR (or the one given), code errno or 0, and the file:line of the
 *     harness code that raised it; the CLI prints that place and exits 3.
 *
 * Every function that can fail returns int (0, or -1 with *err filled) or a pointer
 * (NULL with *err filled), is TH_MUST_CHECK, and takes the caller's struct th_error:
 * each thread owns the errors it passes down, so nothing global is written. A caller
 * that only passes the failure on uses TH_GUARD; the callee has already said what
 * and where. */
#ifndef TH_ERROR_H
#define TH_ERROR_H

#include <stddef.h>

#include "outcome.h"

#define TH_MUST_CHECK __attribute__((warn_unused_result))
#define TH_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct th_error {
    enum th_outcome outcome;
    long code;        /* native code: X509 verify code, library error, alert, errno... */
    char text[512];   /* native text, or the harness's own words */
    const char *file; /* harness faults: where raised (__FILE__); NULL otherwise */
    int line;
    int input; /* the user's input is at fault: exit 2, not 3 */
};

/* A library's or server's verdict: no harness place. err may be NULL. */
void th_error_set(struct th_error *err, enum th_outcome o, long code, const char *fmt, ...)
    TH_PRINTF(4, 5);
/* The general form behind the macros below. */
void th_error_at(struct th_error *err, enum th_outcome o, long code, const char *file, int line,
                 const char *fmt, ...) TH_PRINTF(6, 7);
void th_error_clear(struct th_error *err); /* err may be NULL */
/* "text", "text (code N)", plus " [at FILE:LINE]" for a harness fault: one line for a
 * person. Returns out. */
const char *th_error_str(const struct th_error *err, char *out, size_t cap);
/* Prefix err->text with "what: " (keeping outcome, code and place); the result is
 * cut to fit text. err may be NULL. */
void th_error_prefix(struct th_error *err, const char *fmt, ...) TH_PRINTF(2, 3);
/* The CLI's exit status for a failure carried by err: 2 bad input, 3 otherwise. */
int th_error_exit_status(const struct th_error *err);

/* A harness or system fault at this place: outcome TH_INTERNAL_ERROR, code c. */
#define TH_FAULT(err, c, ...)                                                                      \
    th_error_at((err), TH_INTERNAL_ERROR, (c), __FILE__, __LINE__, __VA_ARGS__)
/* The harness's own finding in the shared vocabulary (a time limit, a refused
 * connection), at this place: TH_RAISE(err, TH_TIMEOUT, 0, "no connection in %g s", s). */
#define TH_RAISE(err, o, c, ...) th_error_at((err), (o), (c), __FILE__, __LINE__, __VA_ARGS__)
/* The user's input is wrong (exit 2): the text names the file and place. A function,
 * not a macro testing err, so TH_INPUT(&e, ...) compiles without -Waddress. */
void th_error_input(struct th_error *err, const char *fmt, ...) TH_PRINTF(2, 3);
#define TH_INPUT(err, ...) th_error_input((err), __VA_ARGS__)

/* Pass a failure on: the callee filled the caller's error. */
#define TH_GUARD(x)                                                                                \
    do {                                                                                           \
        if ((x) < 0)                                                                               \
            return -1;                                                                             \
    } while (0)
/* A condition the harness relies on: false is a fault at this place. */
#define TH_ENSURE(c, err)                                                                          \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            TH_FAULT((err), 0, "%s does not hold", #c);                                            \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

#endif
