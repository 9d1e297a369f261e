/* Running a fixture (fixture.h: th_fixture_start ... th_fixture_stop): its own
 * folder with the document root, its configuration on a free port, the server
 * started in a session of its own, waited for until it listens and accepts (another
 * port when its port turned out taken), and stopped by the pid started here. */
#include "fixture_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "transport.h"

uint16_t (*th_fixture_test_port)(unsigned attempt);

#define PORT_ATTEMPTS 4
#define STOP_GRACE_NS (3ull * 1000000000ull)
#define PIDFILE_WAIT_NS (2ull * 1000000000ull)

/* ---- the fixture's folder ---- */

void th_fx_path_in(const struct th_fixture *f, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->dir, name);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_pattern(const char *path, uint64_t len)
{
    enum { CHUNK = 65536 };
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    unsigned char *buf = th_xmalloc(CHUNK);
    int rc = fchmod(fd, 0644);
    for (uint64_t off = 0; off < len && rc == 0;) {
        size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
        th_pattern_fill(0, off, buf, n);
        rc = write(fd, buf, n) == (ssize_t)n ? 0 : -1;
        off += n;
    }
    free(buf);
    return close(fd) == 0 ? rc : -1;
}

static int make_subdir(const struct th_fixture *f, const char *name)
{
    char p[PATH_MAX];
    th_fx_path_in(f, name, p, sizeof(p));
    return mkdir(p, 0755) == 0 && chmod(p, 0755) == 0 ? 0 : -1;
}

static int write_docroot(const struct th_fixture *f)
{
    char p[PATH_MAX];
    TH_GUARD(make_subdir(f, "root"));
    TH_GUARD(make_subdir(f, "root/bytes"));
    th_fx_path_in(f, "root/index.html", p, sizeof(p));
    TH_GUARD(write_pattern(p, TH_FIXTURE_INDEX_LEN));
    for (size_t i = 0; th_fixture_sizes[i]; i++) {
        snprintf(p, sizeof(p), "%s/root/bytes/%llu", f->dir,
                 (unsigned long long)th_fixture_sizes[i]);
        TH_GUARD(write_pattern(p, th_fixture_sizes[i]));
    }
    return 0;
}

static int make_folder(struct th_fixture *f, const char *tmp_root, char *err, size_t errcap)
{
    const char *root = tmp_root ? tmp_root : getenv("TMPDIR");
    int n = snprintf(f->dir, sizeof(f->dir), "%s/th-fixture-%s-XXXXXX",
                     root && *root ? root : "/tmp", f->def->pub.name);
    if (n < 0 || (size_t)n >= sizeof(f->dir)) {
        snprintf(err, errcap, "the temporary folder's path is too long (over %d bytes)", DIR_MAX);
        f->dir[0] = '\0';
        return -1;
    }
    if (!mkdtemp(f->dir)) {
        snprintf(err, errcap, "cannot make a folder %s: %s", f->dir, strerror(errno));
        f->dir[0] = '\0';
        return -1;
    }
    static const char *const subdirs[] = {"tmp", "home", "data", "config"};
    int rc = chmod(f->dir, 0755);
    for (size_t i = 0; i < TH_ARRAY_LEN(subdirs) && rc == 0; i++)
        rc = make_subdir(f, subdirs[i]);
    if (rc == 0)
        rc = write_docroot(f);
    if (rc != 0)
        snprintf(err, errcap, "cannot fill the folder %s: %s", f->dir, strerror(errno));
    return rc;
}

/* ---- running the server ---- */

/* A port the kernel had free a moment ago (the server binds it next; a collision
 * in between is retried). */
static uint16_t pick_port(unsigned attempt)
{
    if (th_fixture_test_port)
        return th_fixture_test_port(attempt);
    uint16_t port = 0;
    int fd = th_tcp_listen("127.0.0.1", &port);
    if (fd < 0)
        return 0;
    close(fd);
    return port;
}

size_t th_fixture_log_tail(const struct th_fixture *f, char *buf, size_t cap)
{
    char path[PATH_MAX];
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    th_fx_path_in(f, "error.log", path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)(cap - 1) ? end - (off_t)(cap - 1) : 0;
    ssize_t n = pread(fd, buf, cap - 1, from);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

void th_fx_tail_for_err(const struct th_fixture *f, char *out, size_t cap)
{
    char tail[600];
    size_t n = th_fixture_log_tail(f, tail, sizeof(tail));
    while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
        tail[--n] = '\0';
    char *start = tail;
    if (n == sizeof(tail) - 1 && strchr(tail, '\n'))
        start = strchr(tail, '\n') + 1; /* drop a cut first line */
    for (char *p = start; *p; p++)
        if (*p == '\n')
            *p = '|';
    snprintf(out, cap, "%s", *start ? start : "(its log is empty)");
}

/* The server's command line and environment, built before fork so the child only
 * calls what is safe between fork and exec. */
struct cmdline {
    char prog[PATH_MAX], a[3][PATH_MAX + 8], env[6][PATH_MAX + 32];
    char *argv[10], *envp[8];
};

static void build_cmdline(const struct th_fixture *f, const char *prog, struct cmdline *c)
{
    size_t k = 0;
    snprintf(c->prog, sizeof(c->prog), "%s", prog);
    c->argv[k++] = c->prog;
    switch (f->def->server) {
    case FX_NGINX:
        snprintf(c->a[0], sizeof(c->a[0]), "%s/", f->dir);
        snprintf(c->a[1], sizeof(c->a[1]), "%s/nginx.conf", f->dir);
        snprintf(c->a[2], sizeof(c->a[2]), "%s/error.log", f->dir);
        c->argv[k++] = "-p", c->argv[k++] = c->a[0];
        c->argv[k++] = "-c", c->argv[k++] = c->a[1];
        c->argv[k++] = "-e", c->argv[k++] = c->a[2];
        break;
    case FX_LIGHTTPD:
        snprintf(c->a[0], sizeof(c->a[0]), "%s/lighttpd.conf", f->dir);
        c->argv[k++] = "-D", c->argv[k++] = "-f", c->argv[k++] = c->a[0];
        break;
    case FX_CADDY:
        snprintf(c->a[0], sizeof(c->a[0]), "%s/caddy.json", f->dir);
        snprintf(c->a[1], sizeof(c->a[1]), "%s/server.pid", f->dir);
        c->argv[k++] = "run", c->argv[k++] = "--config", c->argv[k++] = c->a[0];
        c->argv[k++] = "--pidfile", c->argv[k++] = c->a[1];
        break;
    }
    c->argv[k] = NULL;
    /* A small, fixed environment: caddy keeps its state under HOME and the XDG
     * folders, so those point into the fixture's folder too. */
    snprintf(c->env[0], sizeof(c->env[0]),
             "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
             "/sbin:/bin");
    snprintf(c->env[1], sizeof(c->env[1]), "HOME=%s/home", f->dir);
    snprintf(c->env[2], sizeof(c->env[2]), "XDG_DATA_HOME=%s/data", f->dir);
    snprintf(c->env[3], sizeof(c->env[3]), "XDG_CONFIG_HOME=%s/config", f->dir);
    snprintf(c->env[4], sizeof(c->env[4]), "TMPDIR=%s/tmp", f->dir);
    snprintf(c->env[5], sizeof(c->env[5]), "LANG=C");
    for (k = 0; k < TH_ARRAY_LEN(c->env); k++)
        c->envp[k] = c->env[k];
    c->envp[k] = NULL;
}

/* In the child, between fork and exec. Its own session, so a stop can reach every
 * process it forks (nginx's workers); killed with its parent, so a harness that
 * dies leaves no server behind; signals as a fresh process has them. */
static void child_exec(const struct cmdline *c, int logfd, int nullfd, int report, pid_t parent)
{
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    dup2(nullfd, 0);
    dup2(logfd, 1);
    dup2(logfd, 2);
    /* everything else goes, but the pipe that reports a failed exec (close on exec) */
    if (report > 3)
        close_range(3, (unsigned)report - 1, 0);
    close_range((unsigned)report + 1, ~0u, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(c->prog, c->argv, c->envp);
    int e = errno;
    ssize_t w = write(report, &e, sizeof(e));
    (void)w;
    _exit(127);
}

/* An fd above the standard three, so the child's dup2 onto 0-2 cannot clobber it. */
static int high_fd(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return h;
}

static void close_if(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* Returns once the child has become the server program (or failed to): until its
 * exec, the child holds copies of every descriptor of ours, sockets included, and
 * must not be mistaken for a server listening. */
static int launch(struct th_fixture *f, const char *prog, char *err, size_t errcap)
{
    char log[PATH_MAX];
    struct cmdline c;
    int report[2] = {-1, -1};
    build_cmdline(f, prog, &c);
    th_fx_path_in(f, "error.log", log, sizeof(log));
    int logfd = high_fd(open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
    int nullfd = high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    pid_t parent = getpid(), pid = -1;
    if (logfd >= 0 && nullfd >= 0 && pipe2(report, O_CLOEXEC) == 0 &&
        (report[1] = high_fd(report[1])) >= 0 && (pid = fork()) == 0)
        child_exec(&c, logfd, nullfd, report[1], parent);
    int e = errno;
    close_if(logfd);
    close_if(nullfd);
    close_if(report[1]);
    ssize_t n = 0;
    if (pid > 0)
        while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
            ;
    close_if(report[0]);
    if (pid > 0 && n == 0) {
        f->pid = pid;
        f->reaped = 0;
        return 0;
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    snprintf(err, errcap, "cannot start %s: %s", prog, strerror(e));
    return -1;
}

/* Exited (not yet reaped: the pid stays ours until waitpid)? */
static int exited(const struct th_fixture *f)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (f->reaped)
        return 1;
    return waitid(P_PID, (id_t)f->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == f->pid;
}

void th_fx_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int accepts(uint16_t port)
{
    uint64_t ns;
    int fd = th_tcp_connect("127.0.0.1", port, th_now_ns() + 200000000ull, &ns);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* SIGTERM, a grace period, then SIGKILL to its whole session, and reap. */
static void terminate(struct th_fixture *f)
{
    if (f->reaped || f->pid <= 0)
        return;
    kill(f->pid, SIGTERM);
    uint64_t deadline = th_now_ns() + STOP_GRACE_NS;
    for (int i = 0; !exited(f) && th_now_ns() < deadline; i++) {
        /* lighttpd can take a SIGTERM into account only at its next event or its
         * once-a-second timer: a connection is an event (1 s less per stop) */
        if (i == 2 && f->port)
            (void)accepts(f->port);
        th_fx_sleep_ms(10);
    }
    /* The group is still ours while its leader is unreaped: sweep what is left
     * (the server itself after the grace period, or its workers). */
    kill(-f->pid, SIGKILL);
    while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    f->reaped = 1;
}

/* 1 when pid holds a socket listening on 127.0.0.1:port, 0 when not, -1 when /proc
 * cannot tell. Connecting alone cannot: another program may hold a port our server
 * failed to bind. */
static int listens_on(pid_t pid, uint16_t port)
{
    unsigned long inodes[16];
    size_t n = 0;
    char line[512], path[64], link[64];
    FILE *fp = fopen("/proc/net/tcp", "re");
    if (!fp)
        return -1;
    while (fgets(line, sizeof(line), fp) && n < TH_ARRAY_LEN(inodes)) {
        unsigned addr, lport, st;
        unsigned long ino;
        if (sscanf(line, " %*d: %8X:%X %*8X:%*X %X %*X:%*X %*X:%*X %*X %*u %*u %lu", &addr, &lport,
                   &st, &ino) == 4 &&
            lport == port && st == 0x0A && addr == htonl(INADDR_LOOPBACK))
            inodes[n++] = ino;
    }
    fclose(fp);
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (!dir) /* gone, or a zombie; or no /proc to ask */
        return access("/proc/self/fd", R_OK) == 0 ? 0 : -1;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(dir));) {
        char fdpath[320];
        unsigned long ino;
        snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
        ssize_t len = readlink(fdpath, link, sizeof(link) - 1);
        link[len > 0 ? len : 0] = '\0';
        if (sscanf(link, "socket:[%lu]", &ino) == 1)
            for (size_t i = 0; i < n; i++)
                found |= inodes[i] == ino;
    }
    closedir(dir);
    return found;
}

static int log_says_in_use(const struct th_fixture *f)
{
    char tail[4096];
    th_fixture_log_tail(f, tail, sizeof(tail));
    return strcasestr(tail, "address already in use") != NULL;
}

static void exit_text(int status, char *out, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(out, cap, "stopped");
}

/* 0 once the server listens and accepts; 1 when its port was taken (try another);
 * -1 with err when it failed or ran out of time. */
static int wait_ready(struct th_fixture *f, uint64_t deadline, char *err, size_t errcap)
{
    const char *name = f->def->pub.name;
    char tail[640], how[64];
    for (;;) {
        int status = 0;
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            f->reaped = 1;
            if (log_says_in_use(f))
                return 1;
            exit_text(status, how, sizeof(how));
            th_fx_tail_for_err(f, tail, sizeof(tail));
            snprintf(err, errcap, "%s %s before accepting connections on 127.0.0.1:%u: %s", name,
                     how, (unsigned)f->port, tail);
            return -1;
        }
        if (log_says_in_use(f))
            return 1;
        int l = listens_on(f->pid, f->port);
        if (l != 0 && accepts(f->port) && !exited(f))
            return 0;
        if (th_now_ns() > deadline) {
            th_fx_tail_for_err(f, tail, sizeof(tail));
            snprintf(err, errcap, "%s did not accept connections on 127.0.0.1:%u in time: %s", name,
                     (unsigned)f->port, tail);
            return -1;
        }
        th_fx_sleep_ms(10);
    }
}

/* The pid the server wrote, or 0. */
static pid_t read_pidfile(const struct th_fixture *f)
{
    char path[PATH_MAX];
    th_fx_path_in(f, "server.pid", path, sizeof(path));
    char *s = th_read_file(path, NULL);
    long pid = s ? strtol(s, NULL, 10) : 0;
    free(s);
    return pid > 0 ? (pid_t)pid : 0;
}

/* The pid file must name the process we started: it is what stops it. */
static int check_pidfile(const struct th_fixture *f, char *err, size_t errcap)
{
    uint64_t deadline = th_now_ns() + PIDFILE_WAIT_NS;
    pid_t p;
    while ((p = read_pidfile(f)) == 0 && th_now_ns() < deadline)
        th_fx_sleep_ms(10);
    if (p == f->pid)
        return 0;
    if (p == 0)
        snprintf(err, errcap, "%s wrote no pid file in %s", f->def->pub.name, f->dir);
    else
        snprintf(err, errcap, "%s's pid file says %d, but the process started is %d",
                 f->def->pub.name, (int)p, (int)f->pid);
    return -1;
}

/* One start attempt after another while the port turns out taken. */
static int run_server(struct th_fixture *f, const struct th_tls_config *cfg, const char *prog,
                      double timeout_s, char *err, size_t errcap)
{
    uint64_t deadline = th_now_ns() + (uint64_t)(timeout_s * 1e9);
    for (unsigned attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
        if (!(f->port = pick_port(attempt))) {
            snprintf(err, errcap, "no free port on 127.0.0.1: %s", strerror(errno));
            return -1;
        }
        TH_GUARD(th_fx_write_config(f, cfg, err, errcap));
        TH_GUARD(launch(f, prog, err, errcap));
        int rc = wait_ready(f, deadline, err, errcap);
        if (rc == 0)
            return check_pidfile(f, err, errcap);
        if (rc < 0)
            return -1;
        char tail[640];
        th_fx_tail_for_err(f, tail, sizeof(tail));
        snprintf(err, errcap, "%s: 127.0.0.1:%u was taken on attempt %u of %d: %s",
                 f->def->pub.name, (unsigned)f->port, attempt + 1, PORT_ATTEMPTS, tail);
        terminate(f);
    }
    return -1;
}

int th_fixture_start(const struct th_fixture_def *pd, const struct th_tls_config *cfg,
                     const char *tmp_root, double timeout_s, struct th_fixture **out, char *err,
                     size_t errcap)
{
    const struct fx_def *d = th_fx_of(pd);
    char buf[512], prog[PATH_MAX];
    const char *reason;
    *out = NULL;
    /* th_fixture_missing refuses a def that is not ours: past here, d is set */
    if (!(reason = th_fixture_missing(pd, buf, sizeof(buf))))
        reason = th_fixture_unsupported(pd, cfg, buf, sizeof(buf));
    if (reason) {
        snprintf(err, errcap, "%s", reason);
        return -1;
    }
    if (th_fx_find_program(th_fx_program[d->server], prog, sizeof(prog)) != 0) {
        snprintf(err, errcap, "%s is not installed", th_fx_program[d->server]);
        return -1;
    }
    struct th_fixture *f = th_xcalloc(1, sizeof(*f));
    f->def = d;
    f->reaped = 1;
    if (make_folder(f, tmp_root, err, errcap) == 0 &&
        run_server(f, cfg, prog, timeout_s > 0 ? timeout_s : 10, err, errcap) == 0) {
        *out = f;
        return 0;
    }
    th_fixture_stop(f);
    return -1;
}

uint16_t th_fixture_port(const struct th_fixture *f)
{
    return f->port;
}

const char *th_fixture_dir(const struct th_fixture *f)
{
    return f->dir;
}

pid_t th_fixture_pid(const struct th_fixture *f)
{
    return f->pid;
}

int th_fixture_alive(const struct th_fixture *f)
{
    return f && !exited(f);
}

void th_fixture_stop(struct th_fixture *f)
{
    if (!f)
        return;
    /* The process signalled is the one started here, which the pid file was checked
     * to name at start (check_pidfile): never a pid a server could rewrite later. */
    terminate(f);
    remove_tree(f->dir);
    free(f);
}
