/* The run's progress while it works: on a terminal one live line, rewritten in place
 * (done/total, pass/fail/skip so far, elapsed, ETA, the case running, cut to the
 * width); off one a plain line every ~10 s so a CI log shows life; with -v a line per
 * case with its count; quiet: nothing.
 *
 * The run loop pays one clock read and an uncontended lock per case: a thread of the
 * progress's own draws the line at most ten times a second, so the line keeps
 * ticking through a long case and a fast case costs no write. */
#ifndef TH_PROGRESS_H
#define TH_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "results.h"

/* ---- the estimate of the time left ---- */

/* Cases are timed by class (kind and where the server runs; skips apart): a
 * handshake against a fixture costs more than one in memory, a load case fifty
 * times a handshake. */
#define TH_ETA_CLASSES 19

struct th_eta {
    size_t left[TH_ETA_CLASSES], done[TH_ETA_CLASSES];
    double spent[TH_ETA_CLASSES]; /* seconds, over the finished cases */
    int quick;                    /* --quick: the benchmark kinds' smaller sizes */
};

int th_eta_class(const struct th_case *c);
/* A case to come; a case finished in seconds. */
void th_eta_plan(struct th_eta *e, const struct th_case *c);
void th_eta_done(struct th_eta *e, const struct th_case *c, double seconds);
/* Seconds left: each class's cases to come at the mean of its finished ones; a
 * class not seen yet at its typical share, scaled by how this machine did on the
 * classes seen. running (a class, or -1) has been running for running_s. -1 when
 * nothing has finished to estimate from. */
double th_eta_left(const struct th_eta *e, int running, double running_s);

/* "42s", "3:07", "1:02:03"; "--" for a negative time. */
void th_progress_duration(char *buf, size_t cap, double seconds);

/* ---- the line ---- */

enum th_progress_mode {
    TH_PROGRESS_OFF = 0,  /* --quiet, or nothing to show */
    TH_PROGRESS_LIVE,     /* a terminal: one line rewritten */
    TH_PROGRESS_PERIODIC, /* not a terminal: a line every period_s */
};

struct th_progress_opts {
    enum th_progress_mode mode;
    int fd;          /* where the progress line goes (stderr) */
    FILE *out;       /* the per-case lines (stdout) */
    int verbose;     /* a line per case; otherwise only the cases that did not pass */
    int quiet;       /* no per-case line at all */
    int color;       /* the per-case lines' status word */
    int width;       /* per-case lines are cut to it; 0: whole */
    double period_s; /* PERIODIC: seconds between lines; 0: 10 */
    int quick;
};

/* What the line shows, as the drawing thread sees it. */
struct th_progress_state {
    size_t done, total, pass, fail, skip;
    double elapsed_s, eta_s; /* eta_s < 0: not known yet */
    const char *running;     /* the case's id, or NULL */
};

/* The live line for a terminal of width columns (the running case cut to fit), or
 * the periodic one (width 0: whole). */
void th_progress_format(char *buf, size_t cap, const struct th_progress_state *s, int width,
                        int live);

struct th_progress;

/* A progress for total cases; th_progress_plan each of them, then start. */
struct th_progress *th_progress_new(const struct th_progress_opts *o, size_t total);
void th_progress_plan(struct th_progress *p, const struct th_case *c);
void th_progress_start(struct th_progress *p);
/* Around each case. */
void th_progress_begin(struct th_progress *p, const struct th_case *c);
void th_progress_end(struct th_progress *p, const struct th_case_result *r);
/* on 1: the drawing thread ends (joined) until on 0 starts it again, so a fork in
 * between copies a process of one thread. NULL is fine. */
void th_progress_hold(struct th_progress *p, int on);
/* Stops drawing, clears the line, frees p (NULL is fine). */
void th_progress_stop(struct th_progress *p);

#endif
