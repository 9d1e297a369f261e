/* Jobs in worker processes (isolate.h). */
#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/vocab/text.h"
#include "harness/vocab/util.h"

/* The job number that ends a worker. Closing its job pipe is not enough: workers
 * forked after it hold copies of the pipe's write end. */
#define QUIT UINT64_MAX

static int io_all(int fd, void *buf, size_t n, int writing)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t k = writing ? write(fd, p, n) : read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The worker's side: never returns. _exit, not exit: atexit handlers and stdio
 * buffers belong to the caller. */
static void worker_main(pid_t parent, int job_fd, int out_fd, int log_fd, th_job_fn fn, void *arg,
                        size_t out_len)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the caller died before the line above */
        _exit(121);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(log_fd);
    void *out = th_xmalloc(out_len);
    uint64_t job;
    while (io_all(job_fd, &job, sizeof(job), 0) == 0 && job != QUIT) {
        memset(out, 0, out_len);
        fn(arg, job, out);
        fflush(NULL);
        if (io_all(out_fd, out, out_len, 1) != 0)
            _exit(120);
    }
    _exit(0);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int th_child_start(struct th_child *ch, th_job_fn fn, void *arg, size_t out_len,
                   struct th_error *err)
{
    memset(ch, 0, sizeof(*ch));
    ch->job_fd = ch->out_fd = ch->log_fd = -1;
    int pj[2] = {-1, -1}, po[2] = {-1, -1}, pl[2] = {-1, -1};
    if (pipe2(pj, O_CLOEXEC) != 0 || pipe2(po, O_CLOEXEC) != 0 || pipe2(pl, O_CLOEXEC) != 0) {
        TH_FAULT(err, errno, "pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            close_fd(&pj[i]), close_fd(&po[i]), close_fd(&pl[i]);
        return -1;
    }
    fflush(NULL); /* nothing buffered twice */
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        TH_FAULT(err, errno, "fork: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            close_fd(&pj[i]), close_fd(&po[i]), close_fd(&pl[i]);
        return -1;
    }
    if (pid == 0) {
        close(pj[1]);
        close(po[0]);
        close(pl[0]);
        worker_main(parent, pj[0], po[1], pl[1], fn, arg, out_len);
    }
    close(pj[0]);
    close(po[1]);
    close(pl[1]);
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pl[0], F_SETFL, O_NONBLOCK);
    ch->pid = pid;
    ch->job_fd = pj[1];
    ch->out_fd = po[0];
    ch->log_fd = pl[0];
    ch->out_len = out_len;
    return 0;
}

int th_child_send(struct th_child *ch, uint64_t job, void *out)
{
    ch->out = out;
    ch->got = 0;
    ch->busy = 1;
    ch->tail_len = 0;
    ch->tail[0] = '\0';
    ch->printed = 0;
    /* 8 bytes into an empty pipe: never blocks; EPIPE when the worker is gone */
    return ch->job_fd >= 0 ? io_all(ch->job_fd, &job, sizeof(job), 1) : -1;
}

/* Keep the last bytes of the worker's output. */
static void tail_add(struct th_child *ch, const char *p, size_t n)
{
    ch->printed = 1;
    size_t cap = sizeof(ch->tail) - 1;
    if (n >= cap) {
        memcpy(ch->tail, p + n - cap, cap);
        ch->tail_len = cap;
    } else {
        if (ch->tail_len + n > cap) {
            size_t drop = ch->tail_len + n - cap;
            memmove(ch->tail, ch->tail + drop, ch->tail_len - drop);
            ch->tail_len -= drop;
        }
        memcpy(ch->tail + ch->tail_len, p, n);
        ch->tail_len += n;
    }
    ch->tail[ch->tail_len] = '\0';
}

/* Read the answer pipe until it would block or the answer is complete. */
static void read_answer(struct th_child *ch)
{
    while (ch->out_fd >= 0 && ch->busy) {
        ssize_t n = read(ch->out_fd, ch->out + ch->got, ch->out_len - ch->got);
        if (n > 0) {
            ch->got += (size_t)n;
            if (ch->got == ch->out_len)
                ch->busy = 0;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else {
            close_fd(&ch->out_fd);
        }
    }
    if (ch->out_fd >= 0 && !ch->busy) { /* between jobs: only its end can come */
        char b;
        ssize_t n = read(ch->out_fd, &b, 1);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            close_fd(&ch->out_fd);
    }
}

static void read_log(struct th_child *ch)
{
    while (ch->log_fd >= 0) {
        char buf[4096];
        ssize_t n = read(ch->log_fd, buf, sizeof(buf));
        if (n > 0)
            tail_add(ch, buf, (size_t)n);
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && errno == EAGAIN)
            return;
        else
            close_fd(&ch->log_fd);
    }
}

static void reap(struct th_child *ch)
{
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    while (wait4(ch->pid, &ch->status, 0, &ru) < 0 && errno == EINTR)
        ;
    ch->maxrss_kb = ru.ru_maxrss;
    ch->reaped = 1;
    close_fd(&ch->job_fd);
    close_fd(&ch->out_fd);
    close_fd(&ch->log_fd);
}

int th_child_read(struct th_child *ch)
{
    if (ch->reaped)
        return TH_CHILD_ENDED;
    int was_busy = ch->busy;
    read_answer(ch);
    read_log(ch);
    if (was_busy && !ch->busy)
        return TH_CHILD_DONE;
    if (ch->out_fd < 0) { /* its end: the log pipe is read to its end first */
        while (ch->log_fd >= 0) {
            struct pollfd p = {.fd = ch->log_fd, .events = POLLIN};
            if (poll(&p, 1, 1000) <= 0)
                break;
            read_log(ch);
        }
        reap(ch);
        return TH_CHILD_ENDED;
    }
    return TH_CHILD_BUSY;
}

int th_child_wait(struct th_child *ch)
{
    int rc;
    while ((rc = th_child_read(ch)) == TH_CHILD_BUSY) {
        struct pollfd p[2] = {{.fd = ch->out_fd, .events = POLLIN},
                              {.fd = ch->log_fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
    }
    return rc;
}

/* The last line of what it printed, control bytes escaped. */
static void last_line(const struct th_child *ch, char *buf, size_t cap)
{
    size_t end = ch->tail_len;
    while (end && (ch->tail[end - 1] == '\n' || ch->tail[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start && ch->tail[start - 1] != '\n')
        start--;
    th_text_safe_n(buf, cap, ch->tail + start, end - start);
}

void th_child_describe(const struct th_child *ch, char *buf, size_t cap)
{
    int n;
    if (!ch->reaped)
        n = snprintf(buf, cap, "still running");
    else if (WIFSIGNALED(ch->status))
        n = snprintf(buf, cap, "its process was killed by signal %d (%s)", WTERMSIG(ch->status),
                     strsignal(WTERMSIG(ch->status)));
    else if (WEXITSTATUS(ch->status) != 0)
        n = snprintf(buf, cap, "its process exited with status %d", WEXITSTATUS(ch->status));
    else
        n = snprintf(buf, cap, "its process ended");
    if (n < 0 || (size_t)n >= cap)
        return;
    size_t o = (size_t)n;
    if (ch->reaped && ch->busy)
        o += (size_t)snprintf(buf + o, cap - o, " after %zu of %zu answer bytes", ch->got,
                              ch->out_len);
    if (o < cap && ch->reaped)
        o += (size_t)snprintf(buf + o, cap - o, "; peak memory %ld MiB", ch->maxrss_kb / 1024);
    if (o < cap && ch->printed) {
        char line[400];
        last_line(ch, line, sizeof(line));
        if (*line)
            snprintf(buf + o, cap - o, "; its last output: %s", line);
    }
}

void th_child_stop(struct th_child *ch)
{
    if (ch->reaped || ch->pid <= 0)
        return;
    uint64_t quit = QUIT;
    if (ch->job_fd >= 0 && !ch->busy && io_all(ch->job_fd, &quit, sizeof(quit), 1) != 0)
        kill(ch->pid, SIGKILL); /* cannot be told: it is gone or wedged */
    close_fd(&ch->job_fd);
    if (ch->busy)
        kill(ch->pid, SIGKILL); /* a stop does not wait for a job */
    while (th_child_wait(ch) != TH_CHILD_ENDED)
        ;
}

void th_child_kill(struct th_child *ch)
{
    if (ch->reaped || ch->pid <= 0)
        return;
    kill(ch->pid, SIGKILL);
    reap(ch);
}
