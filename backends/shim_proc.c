/* A shim's process and its control channel (backends/README.md, "Shims"): started
 * with its standard input and output on pipes and its standard error in a file of
 * its folder, it dies with the process that started it (PR_SET_PDEATHSIG) and when
 * its standard input closes; stopped by pid. Requests and replies are JSON lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/vocab/util.h"
#include "shim.h"

#define DIR_PREFIX "tlsharness-shim-"

/* ---- where the shims are ---- */

static char shim_dir[PATH_MAX];

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $TLSHARNESS_SHIM_DIR; else, from this program's folder: shims/ (a build folder's
 * program, $(BUILD)/tlsharness), build/shims/ (the top-level ./tlsharness),
 * ../shims/ (a test program in $(BUILD)/tests), ../lib/tlsharness/shims/ (installed). */
static void find_dir(void)
{
    static const char *const rel[] = {"shims", "build/shims", "../shims",
                                      "../lib/tlsharness/shims"};
    const char *env = getenv("TLSHARNESS_SHIM_DIR");
    if (env && *env) {
        snprintf(shim_dir, sizeof(shim_dir), "%s", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    for (size_t i = 0; i < TH_ARRAY_LEN(rel); i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof(p), "%s/%s", exe, rel[i]);
        if (is_dir(p)) {
            snprintf(shim_dir, sizeof(shim_dir), "%.*s", (int)sizeof(shim_dir) - 1, p);
            return;
        }
    }
}

const char *th_shim_dir(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, find_dir);
    return shim_dir;
}

/* ---- folders of shims whose driver is gone ---- */

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            char p[PATH_MAX];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

static const char *tmp_root(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

void th_shim_sweep(void)
{
    DIR *d = opendir(tmp_root());
    struct dirent *e;
    while (d && (e = readdir(d))) {
        long pid;
        if (strncmp(e->d_name, DIR_PREFIX, sizeof(DIR_PREFIX) - 1) != 0 ||
            sscanf(e->d_name + sizeof(DIR_PREFIX) - 1, "%ld-", &pid) != 1 || pid <= 0 ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", tmp_root(), e->d_name);
        remove_dir(p);
    }
    if (d)
        closedir(d);
}

/* ---- the process ---- */

/* The child: its pipes on 0 and 1, standard error into its folder, then the program.
 * Never returns. */
static void child(const struct th_shim_proc *p, int in_fd, int out_fd, const char *program)
{
    char log[200];
    snprintf(log, sizeof(log), "%s/stderr.log", p->dir);
    int err_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || (err_fd >= 0 && dup2(err_fd, 2) < 0))
        _exit(127);
    const char *argv[TH_SHIM_MAX_ARGS + 2];
    static char dirargs[TH_SHIM_MAX_ARGS][PATH_MAX + 64]; /* the child's own copy */
    size_t n = 0;
    for (size_t i = 0; i < TH_SHIM_MAX_ARGS && p->def->argv[i]; i++) {
        const char *a = p->def->argv[i];
        if (strncmp(a, "{dir}", 5) == 0) {
            snprintf(dirargs[i], sizeof(dirargs[i]), "%s%s", th_shim_dir(), a + 5);
            a = dirargs[i];
        }
        argv[n++] = strcmp(a, "{}") == 0 ? program : a;
    }
    argv[n++] = p->sock;
    argv[n] = NULL;
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static int spawn(struct th_shim_proc *p, const char *program, struct th_error *err)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        TH_FAULT(err, errno, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        TH_FAULT(err, errno, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        child(p, in[0], out[1], program);
    close(in[0]);
    close(out[1]);
    p->pid = pid;
    p->owner = getpid();
    p->to_fd = in[1];
    p->from_fd = out[0];
    return 0;
}

struct th_shim_proc *th_shim_proc_start(const struct th_shim_def *def, void **hello,
                                        struct th_error *err)
{
    char program[PATH_MAX + 64];
    snprintf(program, sizeof(program), "%s/%s", th_shim_dir(), def->program);
    if (!*th_shim_dir() || access(program, R_OK) != 0) {
        TH_FAULT(err, errno,
                 "shim %s: %s not found (build it with make; TLSHARNESS_SHIM_DIR "
                 "names another folder)",
                 def->name, program);
        return NULL;
    }
    struct th_shim_proc *p = th_xcalloc(1, sizeof(*p));
    p->def = def;
    p->pid = -1;
    p->to_fd = p->from_fd = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->cpu_lock, NULL);
    snprintf(p->dir, sizeof(p->dir), "%s/" DIR_PREFIX "%ld-XXXXXX", tmp_root(), (long)getpid());
    if (!mkdtemp(p->dir)) {
        TH_FAULT(err, errno, "mkdtemp %s: %s", p->dir, strerror(errno));
        free(p);
        return NULL;
    }
    if ((size_t)snprintf(p->sock, sizeof(p->sock), "%.*s/s", (int)sizeof(p->sock) - 3, p->dir) >=
        sizeof(p->sock) - 1) {
        TH_FAULT(err, 0, "shim %s: the socket path %s/s is too long for a UNIX socket (TMPDIR)",
                 def->name, p->dir);
        rmdir(p->dir);
        free(p);
        return NULL;
    }
    char req[64];
    snprintf(req, sizeof(req), "{\"op\":\"hello\",\"protocol\":%d}", TH_SHIM_PROTOCOL);
    if (spawn(p, program, err) != 0 || th_shim_request(p, req, hello, 60, err) != 0) {
        th_error_prefix(err, "shim %s: starting %s", def->name, program);
        th_shim_proc_stop(p);
        return NULL;
    }
    return p;
}

void th_shim_proc_end(struct th_shim_proc *p)
{
    if (p->pid > 0 && p->owner == getpid() && p->to_fd >= 0) {
        if (!p->dead && p->to_fd >= 0 && write(p->to_fd, "{\"op\":\"quit\"}\n", 14) < 0)
            p->dead = 1;
        close(p->to_fd);
        p->to_fd = -1;
        int st;
        for (int i = 0; i < 100 && waitpid(p->pid, &st, WNOHANG) == 0; i++) {
            struct timespec t = {0, 10 * 1000000L};
            nanosleep(&t, NULL);
            if (i == 99) {
                kill(p->pid, SIGKILL);
                waitpid(p->pid, &st, 0);
            }
        }
        remove_dir(p->dir);
    }
    if (p->to_fd >= 0)
        close(p->to_fd);
    if (p->from_fd >= 0)
        close(p->from_fd);
    p->to_fd = p->from_fd = -1;
    p->dead = 1;
}

void th_shim_proc_stop(struct th_shim_proc *p)
{
    if (!p)
        return;
    th_shim_proc_end(p);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->cpu_lock);
    free(p);
}

/* The last line of its standard error, for a person. */
static void stderr_tail(const struct th_shim_proc *p, char *out, size_t cap)
{
    char path[200], buf[2048];
    snprintf(path, sizeof(path), "%s/stderr.log", p->dir);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0, SEEK_SET);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    char *last = strrchr(buf, '\n');
    snprintf(out, cap, "%.*s", (int)cap - 1, last ? last + 1 : buf);
}

int th_shim_proc_alive(struct th_shim_proc *p, struct th_error *err)
{
    int st;
    if (!p->dead && waitpid(p->pid, &st, WNOHANG) == 0)
        return 1;
    if (!p->dead) {
        p->dead = 1;
        char tail[300];
        stderr_tail(p, tail, sizeof(tail));
        if (WIFSIGNALED(st))
            TH_FAULT(err, WTERMSIG(st), "shim %s (pid %d) was killed by signal %d%s%s",
                     p->def->name, (int)p->pid, WTERMSIG(st), tail[0] ? "; its last words: " : "",
                     tail);
        else
            TH_FAULT(err, WEXITSTATUS(st), "shim %s (pid %d) exited with status %d%s%s",
                     p->def->name, (int)p->pid, WEXITSTATUS(st),
                     tail[0] ? "; its last words: " : "", tail);
        return 0;
    }
    TH_FAULT(err, 0, "shim %s (pid %d) is gone", p->def->name, (int)p->pid);
    return 0;
}

/* ---- the control channel ---- */

static int write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t k = write(fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

/* One line (without its newline) into p->line; -1 with err (dead, silent, too long). */
static int read_line(struct th_shim_proc *p, double timeout_s, size_t *len, struct th_error *err)
{
    uint64_t deadline = th_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (;;) {
        char *nl = memchr(p->line, '\n', p->line_len);
        if (nl) {
            *len = (size_t)(nl - p->line);
            return 0;
        }
        if (p->line_len == sizeof(p->line)) {
            TH_FAULT(err, 0, "shim %s: a reply line longer than %zu bytes", p->def->name,
                     sizeof(p->line));
            return -1;
        }
        uint64_t now = th_now_ns();
        struct pollfd pf = {.fd = p->from_fd, .events = POLLIN};
        int r = now < deadline ? poll(&pf, 1, (int)((deadline - now) / 1000000 + 1)) : 0;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            TH_FAULT(err, 0, "shim %s (pid %d) did not answer in %g s", p->def->name, (int)p->pid,
                     timeout_s);
            return -1;
        }
        ssize_t k = read(p->from_fd, p->line + p->line_len, sizeof(p->line) - p->line_len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            struct timespec t = {0, 20 * 1000000L}; /* let it be reaped */
            nanosleep(&t, NULL);
            if (th_shim_proc_alive(p, err))
                TH_FAULT(err, 0, "shim %s closed its standard output", p->def->name);
            return -1;
        }
        p->line_len += (size_t)k;
    }
}

/* A reply's {"ok":false,"error":ERROR} into err, in the shim's own words. */
static void refused(const struct th_shim_proc *p, json_t *reply, struct th_error *err)
{
    json_t *e = json_object_get(reply, "error");
    const char *name = json_string_value(json_object_get(e, "outcome"));
    const char *text = json_string_value(json_object_get(e, "text"));
    enum th_outcome o = TH_INTERNAL_ERROR;
    if (!name || th_outcome_parse(name, &o) != 0)
        o = TH_INTERNAL_ERROR;
    th_error_set(err, o, (long)json_integer_value(json_object_get(e, "code")), "%s",
                 text ? text : "refused, without a reason");
    (void)p;
}

int th_shim_request(struct th_shim_proc *p, const char *request, void **reply, double timeout_s,
                    struct th_error *err)
{
    *reply = NULL;
    pthread_mutex_lock(&p->lock);
    int rc = -1;
    size_t len = 0;
    if (p->dead || p->owner != getpid()) {
        TH_FAULT(err, 0, "shim %s (pid %d) is gone", p->def->name, (int)p->pid);
    } else if (write_all(p->to_fd, request, strlen(request)) != 0 ||
               write_all(p->to_fd, "\n", 1) != 0) {
        if (th_shim_proc_alive(p, err))
            TH_FAULT(err, errno, "shim %s: writing a request: %s", p->def->name, strerror(errno));
    } else if (read_line(p, timeout_s, &len, err) == 0) {
        json_error_t je;
        json_t *j = json_loadb(p->line, len, 0, &je);
        memmove(p->line, p->line + len + 1, p->line_len - len - 1);
        p->line_len -= len + 1;
        if (!json_is_object(j))
            TH_FAULT(err, 0, "shim %s: a reply that is not a JSON object: %s", p->def->name,
                     j ? "not an object" : je.text);
        else if (!json_is_true(json_object_get(j, "ok")))
            refused(p, j, err);
        else {
            *reply = j;
            j = NULL;
            rc = 0;
        }
        json_decref(j);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* ---- its CPU time ---- */

/* One thread's time on a CPU (its schedstat's first field), or -1 when it is gone. */
static long long thread_ns(pid_t pid, const char *tid)
{
    char f[384];
    unsigned long long ns;
    snprintf(f, sizeof(f), "/proc/%d/task/%s/schedstat", (int)pid, tid);
    FILE *s = fopen(f, "r");
    int got = s && fscanf(s, "%llu", &ns) == 1;
    if (s)
        fclose(s);
    return got ? (long long)ns : -1;
}

/* Threads come and go (a runtime's pools): a thread gone keeps what it was last seen
 * to have used, so the total only grows. */
uint64_t th_shim_proc_cpu_ns(struct th_shim_proc *p)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)p->pid);
    pthread_mutex_lock(&p->cpu_lock);
    int alive[256] = {0};
    uint64_t live = 0;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        long long ns = e->d_name[0] == '.' ? -1 : thread_ns(p->pid, e->d_name);
        if (ns < 0)
            continue;
        int tid = atoi(e->d_name);
        size_t i = 0;
        while (i < p->n_seen && p->seen[i].tid != tid)
            i++;
        if (i == p->n_seen && p->n_seen < TH_ARRAY_LEN(p->seen))
            p->seen[p->n_seen++].tid = tid;
        if (i < TH_ARRAY_LEN(p->seen)) {
            p->seen[i].ns = (uint64_t)ns;
            alive[i] = 1;
        }
        live += (uint64_t)ns;
    }
    if (d)
        closedir(d);
    for (size_t i = 0; i < p->n_seen;) /* the gone: their last reading, kept */
        if (!alive[i]) {
            p->gone_ns += p->seen[i].ns;
            p->seen[i] = p->seen[--p->n_seen];
            alive[i] = alive[p->n_seen];
        } else {
            i++;
        }
    uint64_t total = p->gone_ns + live;
    if (total > p->last_ns)
        p->last_ns = total;
    total = p->last_ns;
    pthread_mutex_unlock(&p->cpu_lock);
    return total;
}
