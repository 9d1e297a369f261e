/* Jobs in worker processes: a crash, an abort or an out-of-memory kill there costs
 * the job it was running only. A worker is a fork of the caller that runs jobs one
 * after the other (so the libraries' own caches stay warm, as in one process), each
 * named by a number and answered with a fixed-size block of bytes. It shares the
 * caller's address layout as of the fork: any pointer in an answer must point at
 * memory that existed before the fork (string literals, the caller's data), never
 * at memory the worker allocated. */
#ifndef TH_ISOLATE_H
#define TH_ISOLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/vocab/error.h"

/* What the worker printed to stdout and stderr during the current job is kept (its
 * last bytes) for the reason of a job that died, and passed on otherwise. */
#define TH_CHILD_TAIL 1024

/* Answers job (a number the caller chose) into out (the worker's copy of the
 * caller's buffer). */
typedef void (*th_job_fn)(void *arg, uint64_t job, void *out);

struct th_child {
    pid_t pid;
    int job_fd;               /* job numbers to the worker; -1 once closed */
    int out_fd;               /* answers; -1 once read to the end */
    int log_fd;               /* the worker's stdout and stderr; -1 once read to the end */
    size_t out_len;           /* every answer's size */
    unsigned char *out;       /* where the current job's answer goes (the caller's) */
    size_t got;               /* bytes of it so far */
    int busy;                 /* a job was sent and its answer is not complete */
    char tail[TH_CHILD_TAIL]; /* the last bytes it printed in this job, NUL-terminated */
    size_t tail_len;
    int printed;    /* it printed something in this job (tail may hold only the end) */
    int status;     /* waitpid status, once reaped */
    long maxrss_kb; /* its peak resident memory, once reaped */
    int reaped;
};

/* Fork a worker that answers jobs with fn(arg, job, out) until its job pipe closes.
 * In the worker: SIGINT, SIGTERM and SIGHUP end it (their defaults), it dies with
 * the caller (PR_SET_PDEATHSIG), stdout and stderr go to the caller. 0, or -1 with
 * err (fork or pipe failed: a fault). */
int th_child_start(struct th_child *ch, th_job_fn fn, void *arg, size_t out_len,
                   struct th_error *err) TH_MUST_CHECK;

/* Send job; its answer goes to out (out_len bytes, kept by the caller until the
 * answer is complete or the worker ended). 0, or -1 when the worker is gone (then
 * th_child_read reaps it). */
int th_child_send(struct th_child *ch, uint64_t job, void *out) TH_MUST_CHECK;
/* (UINT64_MAX is not a job: it tells the worker to end.) */

/* Read what is ready without blocking. TH_CHILD_BUSY while the job runs,
 * TH_CHILD_DONE when its answer is complete (the worker waits for the next),
 * TH_CHILD_ENDED when the worker ended (reaped: th_child_describe says how). */
enum { TH_CHILD_BUSY = 0, TH_CHILD_DONE, TH_CHILD_ENDED };
int th_child_read(struct th_child *ch);

/* Block until the current job is done or the worker ended; the same values. */
int th_child_wait(struct th_child *ch);

/* How a worker ended, one line: "killed by signal 11 (Segmentation fault) after 1234
 * of 5678 answer bytes; peak memory 12 MiB; its last output: ...". */
void th_child_describe(const struct th_child *ch, char *buf, size_t cap);

/* Tell an idle worker to end and reap it (a busy one is killed). */
void th_child_stop(struct th_child *ch);
/* SIGKILL and reap (a stop: what it was doing is dropped). */
void th_child_kill(struct th_child *ch);

#endif
