/* Jobs in worker processes (harness/run/isolate.c): answers come back whole, one
 * worker answers many jobs, a crash, an abort, an exit or a kill is told apart and
 * described with the worker's last output, an answer larger than a pipe's buffer is
 * not lost, and a stopped worker leaves no process. */
#include "tap.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/run/isolate.h"

struct res {
    uint64_t value;
    const char *literal; /* a pointer into memory that existed before the fork */
    char text[64];
    int calls; /* jobs this worker answered: its state lives on between jobs */
};

static int calls;

enum { JOB_OK, JOB_SEGV, JOB_ABORT, JOB_EXIT, JOB_CHATTY, JOB_HANG };

static void job(void *arg, uint64_t j, void *out)
{
    struct res *r = out;
    (void)arg;
    calls++;
    switch (j) {
    case JOB_SEGV: /* the default action: a sanitizer's handler would make it an exit */
        fprintf(stderr, "about to crash\n");
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        break;
    case JOB_ABORT: fprintf(stderr, "free(): invalid pointer\x1b[2J\n"); abort();
    case JOB_EXIT: _exit(3);
    case JOB_CHATTY:
        for (int i = 0; i < 5000; i++)
            fprintf(stderr, "line %d\n", i);
        break;
    case JOB_HANG: pause(); break;
    default:
        r->value = j * 2;
        r->literal = "from before the fork";
        snprintf(r->text, sizeof(r->text), "done %llu", (unsigned long long)j);
        printf("a line on stdout\n");
    }
    r->calls = calls;
}

static void bail(const char *why)
{
    printf("Bail out! %s\n", why);
    exit(1);
}

static void start(struct th_child *ch, size_t len)
{
    struct th_error err;
    if (th_child_start(ch, job, NULL, len, &err) != 0)
        bail(err.text);
}

static int run(struct th_child *ch, uint64_t j, void *out)
{
    if (th_child_send(ch, j, out) != 0)
        return -1;
    return th_child_wait(ch);
}

static void test_ok(void)
{
    struct th_child ch;
    struct res r = {0};
    start(&ch, sizeof(r));
    is_int(run(&ch, 21 + 100, &r), TH_CHILD_DONE, "a job that returns is done");
    is_int((int)r.value, 242, "its answer came back");
    is_str(r.literal, "from before the fork", "a pointer to a literal is valid in the caller");
    is_str(r.text, "done 121", "arrays come back whole");
    ok(strstr(ch.tail, "a line on stdout") != NULL, "its stdout is captured");
    is_int(run(&ch, 200, &r), TH_CHILD_DONE, "the same worker takes the next job");
    is_int(r.calls, 2, "in the same process (its state lives on)");
    is_int(calls, 0, "and the caller's state is untouched");
    th_child_stop(&ch);
    ok(ch.reaped && WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0, "stop ends it cleanly");
    ok(kill(ch.pid, 0) != 0, "no process is left");
}

static void death(uint64_t j, const char *want, const char *what)
{
    struct th_child ch;
    struct res r;
    char why[512];
    start(&ch, sizeof(r));
    is_int(run(&ch, JOB_OK + 100, &r), TH_CHILD_DONE, "%s: a first job is answered", what);
    is_int(run(&ch, j, &r), TH_CHILD_ENDED, "%s: the worker ended", what);
    th_child_describe(&ch, why, sizeof(why));
    ok(strstr(why, want) != NULL, "%s: %s", what, why);
    ok(strstr(why, "after 0 of") != NULL, "%s: says how much of the answer came", what);
    ok(strstr(why, "peak memory") != NULL, "%s: and the peak memory", what);
    ok(strstr(why, "a line on stdout") == NULL, "%s: the tail is this job's, not the last one's",
       what);
    is_int(th_child_send(&ch, 100, &r), -1, "%s: a job to a dead worker is refused", what);
}

static void test_deaths(void)
{
    death(JOB_SEGV, "killed by signal 11", "segfault");
    death(JOB_ABORT, "signal 6 (Aborted)", "abort");
    death(JOB_EXIT, "exited with status 3", "exit");
    struct th_child ch;
    struct res r;
    char why[512];
    start(&ch, sizeof(r));
    run(&ch, JOB_SEGV, &r);
    th_child_describe(&ch, why, sizeof(why));
    ok(strstr(why, "its last output: about to crash") != NULL, "the last thing it printed is told");
    start(&ch, sizeof(r));
    run(&ch, JOB_ABORT, &r);
    th_child_describe(&ch, why, sizeof(why));
    ok(strchr(why, '\x1b') == NULL && strstr(why, "\\x1b[2J") != NULL,
       "its output reaches the reason escaped");
}

static void test_chatty(void)
{
    struct th_child ch;
    struct res r;
    start(&ch, sizeof(r));
    is_int(run(&ch, JOB_CHATTY, &r), TH_CHILD_DONE,
           "a job that prints a lot is not blocked on its pipe");
    ok(strstr(ch.tail, "line 4999") != NULL, "the tail keeps the end");
    ok(strstr(ch.tail, "line 0\n") == NULL, "and not the beginning");
    ok(ch.tail_len < TH_CHILD_TAIL, "bounded");
    th_child_stop(&ch);
}

static void big_job(void *arg, uint64_t j, void *out)
{
    memset(out, (int)j, *(size_t *)arg);
}

static void test_big(void)
{
    struct th_child ch;
    size_t len = 3u << 20;
    struct th_error err;
    unsigned char *big = calloc(1, len);
    if (th_child_start(&ch, big_job, &len, len, &err) != 0)
        bail(err.text);
    ok(run(&ch, 0x5a, big) == TH_CHILD_DONE, "a 3 MiB answer (far over a pipe's buffer) arrives");
    ok(big[0] == 0x5a && big[len - 1] == 0x5a, "every byte of it");
    ok(run(&ch, 0x33, big) == TH_CHILD_DONE && big[len / 2] == 0x33, "and a second one");
    th_child_stop(&ch);
    free(big);
}

static void test_kill(void)
{
    struct th_child ch;
    struct res r;
    start(&ch, sizeof(r));
    if (th_child_send(&ch, JOB_HANG, &r) != 0)
        bail("send");
    is_int(th_child_read(&ch), TH_CHILD_BUSY, "a running job is busy");
    th_child_kill(&ch);
    ok(ch.reaped && WIFSIGNALED(ch.status) && WTERMSIG(ch.status) == SIGKILL,
       "kill ends and reaps it");
    is_int(th_child_read(&ch), TH_CHILD_ENDED, "and it reads as ended");
    ok(kill(ch.pid, 0) != 0, "no process is left");
}

/* A worker forked later holds a copy of the first one's job pipe: stopping the
 * first must not wait for that pipe's end. */
static void test_two(void)
{
    struct th_child a, b;
    struct res r;
    start(&a, sizeof(r));
    start(&b, sizeof(r));
    alarm(10);
    th_child_stop(&a);
    alarm(0);
    ok(a.reaped && WIFEXITED(a.status) && WEXITSTATUS(a.status) == 0,
       "the first of two workers stops while the second lives");
    is_int(run(&b, 100, &r), TH_CHILD_DONE, "the second still answers");
    th_child_stop(&b);
    ok(b.reaped, "and stops too");
}

int main(void)
{
    test_two();
    test_ok();
    test_deaths();
    test_chatty();
    test_big();
    test_kill();
    return done_testing();
}
