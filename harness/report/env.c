#include "env.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness/vocab/util.h"

/* Features that change what a TLS library's crypto costs: AES-NI and carry-less
 * multiply (AES-GCM), SHA extensions, the vector widths ChaCha20 and GHASH use, and
 * the big-number helpers of RSA/ECC. x86 names first, then Arm's. */
static const char *const crypto_flags[] = {
    "aes",   "pclmulqdq",  "sha_ni", "avx",  "avx2",   "avx512f", "avx512vl",
    "vaes",  "vpclmulqdq", "bmi2",   "adx",  "ssse3",  "sse4_1",  "sse4_2",
    "pmull", "sha1",       "sha2",   "sha3", "sha512", "asimd",
};

/* A copy of the line's remainder at p, without trailing blanks. */
static char *line_value(const char *p)
{
    size_t n = strcspn(p, "\n");
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    char *s = th_xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Undo os-release(5) shell quoting in place: "..." with \-escapes, '...', or bare. */
static void unquote(char *s)
{
    char q = s[0];
    if (q != '"' && q != '\'')
        return;
    char *w = s;
    for (const char *r = s + 1; *r && *r != q; r++) {
        if (q == '"' && *r == '\\' && r[1])
            r++;
        *w++ = *r;
    }
    *w = '\0';
}

char *th_env_os_pretty(const char *os_release)
{
    static const char key[] = "PRETTY_NAME=";
    for (const char *p = os_release; p && *p; p += strcspn(p, "\n"), p += *p == '\n') {
        if (strncmp(p, key, sizeof(key) - 1) != 0)
            continue;
        char *v = line_value(p + sizeof(key) - 1);
        unquote(v);
        return v;
    }
    return NULL;
}

char *th_env_cpuinfo_field(const char *cpuinfo, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = cpuinfo; p && *p; p += strcspn(p, "\n"), p += *p == '\n') {
        if (strncmp(p, key, klen) != 0)
            continue;
        const char *q = p + klen + strspn(p + klen, " \t");
        if (*q != ':')
            continue;
        q++;
        return line_value(q + strspn(q, " \t"));
    }
    return NULL;
}

static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        int starts = p == list || p[-1] == ' ';
        if (starts && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

json_t *th_env_cpu_flags(const char *cpuinfo)
{
    json_t *out = json_array();
    char *flags = th_env_cpuinfo_field(cpuinfo, "flags");
    if (!flags)
        flags = th_env_cpuinfo_field(cpuinfo, "Features");
    if (!flags)
        return out;
    for (size_t i = 0; i < TH_ARRAY_LEN(crypto_flags); i++)
        if (has_word(flags, crypto_flags[i]))
            json_array_append_new(out, json_string(crypto_flags[i]));
    free(flags);
    return out;
}

/* A malloc'd string as JSON, taking ownership; NULL (or text that is not UTF-8)
 * becomes null. */
static json_t *take_string(char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j ? j : json_null();
}

static json_t *copy_string(const char *s)
{
    return take_string(s ? th_xstrdup(s) : NULL);
}

static json_t *os_json(void)
{
    char *text = th_read_file("/etc/os-release", NULL);
    if (!text)
        text = th_read_file("/usr/lib/os-release", NULL);
    char *name = th_env_os_pretty(text);
    free(text);
    return take_string(name);
}

/* Arm kernels name no "model name"; fall back to what they do say. */
static char *cpu_model(const char *cpuinfo)
{
    static const char *const keys[] = {"model name", "Hardware", "Processor", "cpu model"};
    for (size_t i = 0; cpuinfo && i < TH_ARRAY_LEN(keys); i++) {
        char *v = th_env_cpuinfo_field(cpuinfo, keys[i]);
        if (v)
            return v;
    }
    return NULL;
}

static const char *compiler(void)
{
#if defined(__clang__)
    return __VERSION__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return NULL;
#endif
}

json_t *th_env_json(const char *build_flags)
{
    json_t *env = json_object();
    struct utsname u;
    int have_uname = uname(&u) == 0;
    char *cpuinfo = th_read_file("/proc/cpuinfo", NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    json_object_set_new(env, "os", os_json());
    json_object_set_new(env, "kernel", copy_string(have_uname ? u.release : NULL));
    json_object_set_new(env, "machine", copy_string(have_uname ? u.machine : NULL));
    json_object_set_new(env, "cpu_model", take_string(cpu_model(cpuinfo)));
    json_object_set_new(env, "cores", cores > 0 ? json_integer(cores) : json_null());
    json_object_set_new(env, "cpu_flags", th_env_cpu_flags(cpuinfo));
    json_object_set_new(env, "build_flags", copy_string(build_flags));
    json_object_set_new(env, "compiler", copy_string(compiler()));
    free(cpuinfo);
    return env;
}
