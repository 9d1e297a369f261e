/* The run's progress (progress.h): the time-left estimate, the line's text, and the
 * thread that draws it. */
#include "progress.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/vocab/text.h"
#include "harness/vocab/util.h"
#include "term.h"

/* s made printable (vocab/text.h: a control byte becomes \xNN, at most four bytes
 * for one), then cut to columns into buf: a case id or a reason can carry a
 * scenario file's or a peer's bytes, and none may reach the terminal. */
static int safe_cut(char *buf, size_t cap, const char *s, int columns)
{
    size_t safe_cap = 4 * strlen(s) + 1;
    char *safe = th_text_safe(th_xmalloc(safe_cap), safe_cap, s);
    int cut = th_cut(buf, cap, safe, columns);
    free(safe);
    return cut;
}

/* ---- the estimate ---- */

#define WHERE 3 /* in memory, over TCP to a backend or target, against a fixture */
#define N_KINDS 6

/* Seconds a case of each class took in a --quick run on a 2-core machine: only
 * their ratios matter, and only until a case of the class has finished. */
static const double prior_quick_s[N_KINDS][WHERE] = {
    [TH_KIND_HANDSHAKE] = {0.010, 0.010, 0.025},      [TH_KIND_BULK] = {0.080, 0.075, 0.080},
    [TH_KIND_HANDSHAKE_RATE] = {0.056, 0.059, 0.060}, [TH_KIND_MEMORY] = {0.23, 0.23, 0.23},
    [TH_KIND_INTEGRITY] = {0.007, 0.007, 0.007},      [TH_KIND_LOAD] = {0.40, 0.40, 0.30},
};
/* Full size moves about twenty times the bytes and handshakes, three times over. */
#define FULL_SCALE 40

int th_eta_class(const struct th_case *c)
{
    if (c->skip || (unsigned)c->kind >= N_KINDS)
        return 0;
    int where = c->fixture ? 2 : c->transport == TH_TRANSPORT_TCP || !c->server ? 1 : 0;
    return 1 + (int)c->kind * WHERE + where;
}

static double prior(const struct th_eta *e, int cls)
{
    if (cls <= 0 || cls >= TH_ETA_CLASSES)
        return 0;
    int kind = (cls - 1) / WHERE;
    double s = prior_quick_s[kind][(cls - 1) % WHERE];
    int bench = kind != TH_KIND_HANDSHAKE && kind != TH_KIND_INTEGRITY;
    return e->quick || !bench ? s : s * FULL_SCALE;
}

void th_eta_plan(struct th_eta *e, const struct th_case *c)
{
    e->left[th_eta_class(c)]++;
}

void th_eta_done(struct th_eta *e, const struct th_case *c, double seconds)
{
    int cls = th_eta_class(c);
    if (e->left[cls])
        e->left[cls]--;
    e->done[cls]++;
    e->spent[cls] += seconds > 0 ? seconds : 0;
}

double th_eta_left(const struct th_eta *e, int running, double running_s)
{
    /* this machine's pace against the priors, over the classes seen */
    double spent = 0, expected = 0;
    for (int c = 1; c < TH_ETA_CLASSES; c++) {
        spent += e->spent[c];
        expected += (double)e->done[c] * prior(e, c);
    }
    if (expected <= 0)
        return -1;
    double pace = spent / expected, left = 0, running_est = 0;
    for (int c = 0; c < TH_ETA_CLASSES; c++) {
        double each = e->done[c] ? e->spent[c] / (double)e->done[c] : prior(e, c) * pace;
        left += (double)e->left[c] * each;
        if (c == running)
            running_est = each;
    }
    /* the running case is still counted whole among those left */
    if (running >= 0 && e->left[running])
        left -= running_s < running_est ? running_s : running_est;
    return left > 0 ? left : 0;
}

void th_progress_duration(char *buf, size_t cap, double seconds)
{
    if (seconds < 0) {
        snprintf(buf, cap, "--");
        return;
    }
    unsigned long s = (unsigned long)(seconds + 0.5);
    if (s < 60)
        snprintf(buf, cap, "%lus", s);
    else if (s < 3600)
        snprintf(buf, cap, "%lu:%02lu", s / 60, s % 60);
    else
        snprintf(buf, cap, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
}

/* ---- the line's text ---- */

void th_progress_format(char *buf, size_t cap, const struct th_progress_state *s, int width,
                        int live)
{
    char elapsed[32], eta[32], head[256];
    th_progress_duration(elapsed, sizeof(elapsed), s->elapsed_s);
    th_progress_duration(eta, sizeof(eta), s->eta_s);
    int digits = snprintf(NULL, 0, "%zu", s->total);
    unsigned pct = s->total ? (unsigned)(100.0 * (double)s->done / (double)s->total) : 100;
    if (live)
        snprintf(head, sizeof(head),
                 "[%*zu/%zu %3u%%] pass %zu  fail %zu  skip %zu | %s, ETA %s | ", digits, s->done,
                 s->total, pct, s->pass, s->fail, s->skip, elapsed, eta);
    else
        snprintf(head, sizeof(head),
                 "progress: %zu/%zu cases (%u%%), pass %zu, fail %zu, skip %zu; %s elapsed, "
                 "ETA %s%s",
                 s->done, s->total, pct, s->pass, s->fail, s->skip, elapsed, eta,
                 s->running ? "; running " : "");
    char *line = th_xasprintf("%s%s", head, s->running ? s->running : "");
    /* live: one column short of the width, so the terminal never wraps the line */
    safe_cut(buf, cap, line, live ? (width > 1 ? width - 1 : 79) : width);
    free(line);
}

/* ---- the drawing thread ---- */

#define TICK_NS 100000000L /* at most ten redraws a second */
#define DEFAULT_PERIOD_S 10.0

struct th_progress {
    struct th_progress_opts o;
    pthread_t tid;
    int started, stopping, paused;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* under lock */
    struct th_eta eta;
    size_t done, total, pass, fail, skip;
    const struct th_case *running;
    int running_class;
    uint64_t t0_ns, running_since_ns, last_periodic_ns;
    size_t drawn_len; /* columns of the live line on screen */
    char last[512];   /* what was drawn last */
};

static double since_s(uint64_t t0, uint64_t now)
{
    return now > t0 ? (double)(now - t0) / 1e9 : 0;
}

static void write_all(int fd, const char *s, size_t len)
{
    while (len) {
        ssize_t n = write(fd, s, len);
        if (n <= 0)
            return; /* a progress line that cannot be written is not worth a fault */
        s += n;
        len -= (size_t)n;
    }
}

/* Under lock: what the line would show now. */
static void snapshot(struct th_progress *p, uint64_t now, char *buf, size_t cap, int width)
{
    struct th_progress_state s = {
        .done = p->done,
        .total = p->total,
        .pass = p->pass,
        .fail = p->fail,
        .skip = p->skip,
        .elapsed_s = since_s(p->t0_ns, now),
        .eta_s = th_eta_left(&p->eta, p->running ? p->running_class : -1,
                             since_s(p->running_since_ns, now)),
        .running = p->running ? p->running->id : NULL,
    };
    th_progress_format(buf, cap, &s, width, p->o.mode == TH_PROGRESS_LIVE);
}

/* Under lock: the live line's old text rubbed out with blanks, the cursor at the
 * line's start (no escape sequence: a dumb terminal and NO_COLOR see none). */
static void clear_live(struct th_progress *p)
{
    if (p->o.mode != TH_PROGRESS_LIVE || !p->drawn_len)
        return;
    char *blank = th_xmalloc(p->drawn_len + 2);
    blank[0] = '\r';
    memset(blank + 1, ' ', p->drawn_len);
    blank[p->drawn_len + 1] = '\r';
    write_all(p->o.fd, blank, p->drawn_len + 2);
    free(blank);
    p->drawn_len = 0;
    p->last[0] = '\0';
}

/* Under lock: redraw when the text changed (the count, the case, a second more). */
static void draw(struct th_progress *p, uint64_t now)
{
    char text[512];
    if (p->o.mode == TH_PROGRESS_LIVE) {
        int width = th_term_columns(p->o.fd);
        snapshot(p, now, text, sizeof(text), width ? width : 80);
        if (strcmp(text, p->last) == 0)
            return;
        size_t cols = th_text_columns(text), len = strlen(text);
        size_t pad = p->drawn_len > cols ? p->drawn_len - cols : 0;
        char *line = th_xmalloc(len + pad + 2);
        line[0] = '\r';
        memcpy(line + 1, text, len);
        memset(line + 1 + len, ' ', pad);
        write_all(p->o.fd, line, len + pad + 1);
        free(line);
        p->drawn_len = cols;
        th_strlcpy(p->last, text, sizeof(p->last));
    } else if (p->o.mode == TH_PROGRESS_PERIODIC) {
        double period = p->o.period_s > 0 ? p->o.period_s : DEFAULT_PERIOD_S;
        if (since_s(p->last_periodic_ns, now) < period)
            return;
        snapshot(p, now, text, sizeof(text) - 1, 160);
        strcat(text, "\n");
        write_all(p->o.fd, text, strlen(text));
        p->last_periodic_ns = now;
    }
}

static void *drawer_main(void *arg)
{
    struct th_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping && !p->paused) {
        draw(p, th_now_ns());
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += TICK_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
    }
    if (p->stopping)
        clear_live(p);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void start_drawer(struct th_progress *p)
{
    /* signals stay with the run's thread: a blocking call there must see EINTR */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    p->started = pthread_create(&p->tid, NULL, drawer_main, p) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The drawing thread ends and is joined, and starts again after: a fork in between
 * copies a process of one thread, whose locks (the allocator's, stdio's) nobody
 * holds. Parking it on its own lock was not enough for a sanitizer's allocator. */
void th_progress_hold(struct th_progress *p, int on)
{
    if (!p || p->o.mode == TH_PROGRESS_OFF)
        return;
    if (on && p->started) {
        pthread_mutex_lock(&p->lock);
        p->paused = 1;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->tid, NULL);
        p->started = 0;
    } else if (!on && p->paused) {
        p->paused = 0;
        start_drawer(p);
    }
}

struct th_progress *th_progress_new(const struct th_progress_opts *o, size_t total)
{
    struct th_progress *p = th_xcalloc(1, sizeof(*p));
    p->o = *o;
    p->total = total;
    p->eta.quick = o->quick;
    p->running_class = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    return p;
}

void th_progress_plan(struct th_progress *p, const struct th_case *c)
{
    th_eta_plan(&p->eta, c);
}

void th_progress_start(struct th_progress *p)
{
    p->t0_ns = p->last_periodic_ns = th_now_ns();
    if (p->o.mode == TH_PROGRESS_OFF)
        return;
    start_drawer(p);
}

void th_progress_begin(struct th_progress *p, const struct th_case *c)
{
    uint64_t now = th_now_ns();
    pthread_mutex_lock(&p->lock);
    p->running = c;
    p->running_class = th_eta_class(c);
    p->running_since_ns = now;
    pthread_mutex_unlock(&p->lock);
}

/* Under lock: "[  12/345] fail  ID (0.012 s): reason", the reason cut to the width. */
static void print_case(struct th_progress *p, const struct th_case_result *r)
{
    FILE *out = p->o.out;
    int digits = snprintf(NULL, 0, "%zu", p->total);
    const char *name = th_status_name(r->status);
    clear_live(p);
    fprintf(out, "[%*zu/%zu] ", digits, p->done, p->total);
    if (p->o.color)
        fprintf(out, "%s%s\033[0m%*s", th_status_colour(r->status), name, 6 - (int)strlen(name),
                "");
    else
        fprintf(out, "%-6s", name);
    char *rest =
        th_xasprintf("%s (%.3f s)%s%s", r->c->id, r->duration_s, r->status == TH_PASS ? "" : ": ",
                     r->status == TH_PASS ? "" : r->reason);
    int used = 2 * digits + 4 + 6, columns = p->o.width > used ? p->o.width - used : p->o.width;
    size_t cap = 4 * strlen(rest) + 4;
    char *line = th_xmalloc(cap);
    safe_cut(line, cap, rest, columns);
    fputs(line, out);
    free(line);
    free(rest);
    fputc('\n', out);
    fflush(out);
}

void th_progress_end(struct th_progress *p, const struct th_case_result *r)
{
    pthread_mutex_lock(&p->lock);
    p->done++;
    th_eta_done(&p->eta, r->c, r->duration_s);
    switch (r->status) {
    case TH_PASS:
    case TH_XFAIL: p->pass++; break;
    case TH_SKIP: p->skip++; break;
    default: p->fail++; break;
    }
    p->running = NULL;
    int problem = r->status != TH_PASS && r->status != TH_SKIP && r->status != TH_XFAIL;
    if (!p->o.quiet && (p->o.verbose || problem))
        print_case(p, r);
    pthread_mutex_unlock(&p->lock);
}

void th_progress_stop(struct th_progress *p)
{
    if (!p)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->lock);
        p->stopping = 1;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->tid, NULL);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
}
