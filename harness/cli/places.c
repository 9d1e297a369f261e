/* Where the program reads and writes when not told (cli.h "where things are"): the
 * same program runs from its checkout, from a build folder and installed under a
 * PREFIX, and only in a checkout does it write into the current folder. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int th_cli_in_checkout(void)
{
    return is_dir("scenarios") && is_dir("harness");
}

/* Outside a checkout: $XDG_DATA_HOME/tlsharness (the base directory specification
 * ignores a relative one), else ~/.local/share/tlsharness; NULL when neither is set. */
static const char *data_dir(void)
{
    static char dir[PATH_MAX];
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof(dir), "%s/tlsharness", xdg);
    else if (home && *home)
        snprintf(dir, sizeof(dir), "%s/.local/share/tlsharness", home);
    else
        return NULL;
    return dir;
}

const char *th_cli_results_dir(void)
{
    static char dir[PATH_MAX];
    const char *data = th_cli_in_checkout() ? NULL : data_dir();
    if (!data)
        return "results";
    snprintf(dir, sizeof(dir), "%s/results", data);
    return dir;
}

const char *th_cli_default_out(void)
{
    static char out[PATH_MAX + 16]; /* the results folder and a file name */
    snprintf(out, sizeof(out), "%s/latest.json", th_cli_results_dir());
    return out;
}

const char *th_cli_pki_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("TLSHARNESS_PKI");
    if (env && *env)
        return env;
    const char *data = th_cli_in_checkout() ? NULL : data_dir();
    if (!data)
        return "results/pki";
    snprintf(dir, sizeof(dir), "%s/pki", data);
    return dir;
}

/* The folder the running program is in ("" when /proc cannot say). */
static void exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        n = 0; /* unknown, or cut: not a path to build on */
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
}

const char *th_cli_scenarios_dir(void)
{
    if (is_dir("scenarios"))
        return "scenarios";
    /* installed (PREFIX/bin/tlsharness), the checkout's ./tlsharness, a build folder's */
    static const char *const rel[] = {"../share/tlsharness/scenarios", "scenarios", "../scenarios"};
    static char found[PATH_MAX];
    char exe[PATH_MAX - 64], probe[PATH_MAX];
    exe_dir(exe, sizeof(exe));
    for (size_t i = 0; *exe && i < TH_ARRAY_LEN(rel); i++) {
        snprintf(probe, sizeof(probe), "%s/%s", exe, rel[i]);
        /* without the "..": results name each case's file */
        if (is_dir(probe) && realpath(probe, found))
            return found;
    }
    return NULL;
}
