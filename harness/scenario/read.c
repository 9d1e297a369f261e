/* The scenario reader's entry (scenario.h): the files and folders named, walked in
 * a stable order, each file read into a cursor and handed to scenario.c, and every
 * error in the input reported through the caller's diag callback as
 * FILE:LINE:COL: PATH: message. A file with errors adds no cases; the others still
 * do. */
#include "scenario.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/vocab/jsonpos.h"
#include "harness/vocab/text.h"
#include "scenario_int.h"

/* ---- diagnostics ---- */

static void diag_at(struct reader *rd, const char *file, int line, int col, const char *msg)
{
    struct th_diag d;
    /* one line each, whatever the input held: a file name, a key, a value or
     * jansson's "near" text may carry a newline or an escape sequence */
    th_text_safe(d.file, sizeof d.file, file);
    d.line = line;
    d.col = col;
    th_text_safe(d.msg, sizeof d.msg, msg);
    rd->errors++;
    if (rd->diag)
        rd->diag(&d, rd->arg);
}

static void path_str(const struct cursor *cur, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cur->depth && n < cap; i++) {
        int k = cur->path[i].key
                    ? snprintf(out + n, cap - n, "%s%s", i ? "." : "", cur->path[i].key)
                    : snprintf(out + n, cap - n, "[%zu]", cur->path[i].index);
        n += k > 0 ? (size_t)k : 0;
    }
}

int th_cursor_verr(struct cursor *cur, int at_key, const char *fmt, va_list ap)
{
    char where[256], what[512], msg[800];
    int line = 0, col = 0;
    th_jsonpos_near(cur->text, cur->len, cur->path, cur->depth, at_key, &line, &col);
    path_str(cur, where, sizeof where);
    vsnprintf(what, sizeof what, fmt, ap);
    snprintf(msg, sizeof msg, "%s%s%s", where, *where ? ": " : "", what);
    cur->errors++;
    diag_at(cur->rd, cur->file, line, col, msg);
    return -1;
}

/* ---- files and folders ---- */

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]))
            return 0;
    return 1;
}

static void read_and_expand(struct cursor *cur)
{
    json_error_t je;
    json_t *root;
    struct file_scn f;
    if (blank(cur->text, cur->len)) {
        diag_at(cur->rd, cur->file, 1, 1, "empty file: expected a JSON object");
        return;
    }
    root = json_loadb(cur->text, cur->len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        diag_at(cur->rd, cur->file, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0,
                je.text);
        return;
    }
    if (th_scenario_read(cur, root, &f) == 0)
        th_expand_file(cur->rd, cur->file, &f);
    th_file_scn_free(&f);
    json_decref(root);
}

/* The absolute folder a scenario's relative paths start from (the folder the file
 * is in as named, not where a symbolic link points). */
static char *abs_dir(const char *file)
{
    char *dir = th_xstrdup(file), *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    char *abs = realpath(slash ? dir : ".", NULL);
    free(dir);
    return abs ? abs : th_xstrdup(".");
}

static void diag_errno(struct reader *rd, const char *file, const char *what)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
    diag_at(rd, file, 0, 0, msg);
}

static void read_file_at(struct reader *rd, const char *file)
{
    struct cursor cur = {.rd = rd, .file = file, .variant = -1};
    struct th_error err;
    char *text = th_read_input(file, &cur.len, &err);
    if (!text) {
        /* err.text is "FILE: cannot read: why"; the diagnostic names the file once */
        const char *why = strstr(err.text, ": cannot read");
        diag_at(rd, file, 0, 0, why ? why + 2 : err.text);
        return;
    }
    cur.text = text;
    cur.dir = abs_dir(file);
    read_and_expand(&cur);
    free(text);
    free(cur.dir);
}

struct strv {
    char **v;
    size_t n;
};

static void walk(struct reader *rd, const char *dir, struct strv *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) {
        diag_errno(rd, dir, "cannot read folder");
        return;
    }
    while ((e = readdir(d))) {
        struct stat st;
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        char *p = th_xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            walk(rd, p, out); /* symbolic links to folders are not followed: no loops */
        } else if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            /* every .json is a scenario file: one that is not a regular file (a
             * FIFO, a device, a dangling link) is said by th_read_input when read,
             * never skipped in silence nor opened to block */
            out->v = th_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
            out->v[out->n++] = p;
            continue;
        }
        free(p);
    }
    closedir(d);
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_path(struct reader *rd, const char *path)
{
    struct stat st;
    struct strv files = {NULL, 0};
    if (stat(path, &st) < 0) {
        diag_errno(rd, path, "cannot read");
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        read_file_at(rd, path);
        return;
    }
    walk(rd, path, &files);
    if (files.n)
        qsort(files.v, files.n, sizeof *files.v, cmp_path);
    for (size_t i = 0; i < files.n; i++) {
        read_file_at(rd, files.v[i]);
        free(files.v[i]);
    }
    free(files.v);
}

/* -b names must be compiled in: a typo would otherwise select nothing, silently. */
static void check_backends_opt(struct reader *rd)
{
    const char *list = rd->opts->backends;
    char known[256], msg[400];
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        int found = len == 0;
        for (size_t i = 0; rd->reg[i] && !found; i++)
            found = strlen(rd->reg[i]->name) == len && strncmp(rd->reg[i]->name, p, len) == 0;
        if (!found && len > 8 && strncmp(p, "fixture:", 8) == 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len - 8), p + 8);
            found = strcmp(name, "*") == 0 || th_fixture_find(name) != NULL;
        }
        if (!found) {
            th_backend_names(rd->reg, known, sizeof known);
            snprintf(msg, sizeof msg, "unknown backend '%.*s' (compiled in: %s)", (int)len, p,
                     known);
            diag_at(rd, "--backends", 0, 0, msg);
        }
        p += len + (p[len] == ',');
    }
}

static void reader_init(struct reader *rd, struct th_plan *plan, const struct th_read_opts *opts,
                        th_diag_fn diag, void *arg)
{
    static const struct th_read_opts none;
    *rd = (struct reader){.opts = opts ? opts : &none, .diag = diag, .arg = arg, .plan = plan};
    rd->reg = rd->opts->registry ? rd->opts->registry : th_backends;
    check_backends_opt(rd);
}

/* The reader's own allocations; its error count. */
static int reader_done(struct reader *rd)
{
    for (size_t i = 0; i < rd->n_names; i++) {
        free(rd->names[i]);
        free(rd->name_files[i]);
    }
    free(rd->names);
    free(rd->name_files);
    return rd->errors;
}

int th_plan_read(struct th_plan *plan, const char *const *paths, size_t n_paths,
                 const struct th_read_opts *opts, th_diag_fn diag, void *arg)
{
    struct reader rd;
    reader_init(&rd, plan, opts, diag, arg);
    for (size_t i = 0; i < n_paths; i++)
        read_path(&rd, paths[i]);
    return reader_done(&rd);
}

int th_plan_read_text(struct th_plan *plan, const char *name, const char *text, size_t len,
                      const struct th_read_opts *opts, th_diag_fn diag, void *arg)
{
    struct reader rd;
    reader_init(&rd, plan, opts, diag, arg);
    struct cursor cur = {.rd = &rd, .file = name, .text = text, .len = len, .variant = -1};
    cur.dir = realpath(".", NULL);
    if (!cur.dir)
        cur.dir = th_xstrdup(".");
    read_and_expand(&cur);
    free(cur.dir);
    return reader_done(&rd);
}

void th_plan_free(struct th_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        th_case_free(&plan->cases[i]);
    free(plan->cases);
    memset(plan, 0, sizeof *plan);
}
