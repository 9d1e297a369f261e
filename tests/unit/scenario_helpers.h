/* Shared by the scenario reader's tests (test_scenario*.c, test_expand.c): fake
 * backends whose capabilities are data, a temporary folder to write scenario texts
 * into, and helpers to read them and look at the cases. Each test file includes it
 * once; the helpers are static inline so that a file need not use them all. */
#ifndef TH_SCENARIO_HELPERS_H
#define TH_SCENARIO_HELPERS_H

#include "harness/scenario/scenario.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

/* ---- fake backends: capabilities are all the reader looks at ---- */

static inline void caps_full(struct th_caps *c)
{
    static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xC02F, 0xC02B, 0xC013, 0x009C};
    static const uint16_t groups[] = {0x001D, 0x0017, 0x0100};
    c->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    c->versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    c->resume = TH_RESUME_BIT(TH_RESUME_TICKET) | TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    c->features = TH_CAP_ALPN | TH_CAP_CRL | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN |
                  TH_CAP_RESTRICT_VERSIONS | TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS |
                  TH_CAP_SERVER_ORDER | TH_CAP_CLIENT_ORDER | TH_CAP_DRIVER_IO;
    memcpy(c->suites, suites, sizeof suites);
    c->n_suites = TH_ARRAY_LEN(suites);
    memcpy(c->groups, groups, sizeof groups);
    c->n_groups = TH_ARRAY_LEN(groups);
}

/* TLS 1.2 only, no ALPN, CRL, IP SANs or tickets. */
static inline void caps_tls12(struct th_caps *c)
{
    static const uint16_t suites[] = {0xC02F, 0xC02B, 0x009C, 0xC013};
    c->roles = TH_ROLE_CLIENT | TH_ROLE_SERVER;
    c->versions = TH_VBIT(TH_TLS12);
    c->resume = TH_RESUME_BIT(TH_RESUME_SESSION_ID);
    c->features = TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_DRIVER_IO | TH_CAP_RESTRICT_VERSIONS |
                  TH_CAP_RESTRICT_SUITES | TH_CAP_RESTRICT_GROUPS;
    memcpy(c->suites, suites, sizeof suites);
    c->n_suites = TH_ARRAY_LEN(suites);
    c->groups[0] = 0x0017;
    c->n_groups = 1;
}

/* A socket-owning client, like libcurl. */
static inline void caps_sock(struct th_caps *c)
{
    c->roles = TH_ROLE_CLIENT;
    c->versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    c->features = TH_CAP_OWN_SOCKET | TH_CAP_ALPN | TH_CAP_SNI | TH_CAP_HOSTNAME | TH_CAP_IP_SAN;
    c->suites[0] = 0x1301;
    c->suites[1] = 0xC02F;
    c->n_suites = 2;
    c->groups[0] = 0x001D;
    c->n_groups = 1;
}

static const struct th_backend fb_full = {.name = "full", .library = "Full", .caps = caps_full};
static const struct th_backend fb_tls12 = {
    .name = "tls12only", .library = "Old", .caps = caps_tls12};
static const struct th_backend fb_sock = {
    .name = "curl-fake", .library = "Curl", .caps = caps_sock};
static const struct th_backend *const reg[] = {&fb_full, &fb_tls12, &fb_sock, NULL};

/* For the data-path kinds: full, plus a KeyUpdate op and reading truncation. */
static inline void caps_data(struct th_caps *c)
{
    caps_full(c);
    c->features |= TH_CAP_TRUNCATION;
}

static enum th_step fake_key_update(struct th_conn *c, struct th_error *err)
{
    return TH_STEP_DONE;
}

static const struct th_backend fb_data = {
    .name = "data", .library = "Data", .caps = caps_data, .key_update = fake_key_update};
/* A KeyUpdate op but no TLS 1.3 to send it in. */
static const struct th_backend fb_data12 = {
    .name = "data12", .library = "Old", .caps = caps_tls12, .key_update = fake_key_update};
static const struct th_backend *const reg_data[] = {&fb_full,  &fb_data, &fb_data12,
                                                    &fb_tls12, &fb_sock, NULL};
static const struct th_backend *const *cur_reg = reg; /* what read_opts reads with */

/* ---- helpers ---- */

struct diags {
    struct th_diag d[16];
    int n;
};

static inline void collect(const struct th_diag *d, void *arg)
{
    struct diags *ds = arg;
    if (ds->n < 16)
        ds->d[ds->n] = *d;
    ds->n++;
}

static char tmp[256];

static inline const char *tmp_file(const char *name, const char *text)
{
    static char path[8][PATH_MAX];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, PATH_MAX, "%s/%s", tmp, name);
    for (char *s = p + strlen(tmp) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(p, 0700);
        *s = '/';
    }
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static inline int read_opts(struct th_plan *p, const char *path, const char *backends,
                            const char *filter, struct diags *ds)
{
    struct th_read_opts o = {backends, filter, cur_reg};
    const char *paths[] = {path};
    memset(p, 0, sizeof *p);
    memset(ds, 0, sizeof *ds);
    return th_plan_read(p, paths, 1, &o, collect, ds);
}

/* Read a scenario text that must be good. */
static inline int read_text(struct th_plan *p, const char *name, const char *json,
                            const char *backends, const char *filter)
{
    struct diags ds;
    int rc = read_opts(p, tmp_file(name, json), backends, filter, &ds);
    if (!ok(rc == 0, "%s loads", name))
        for (int i = 0; i < ds.n && i < 16; i++)
            printf("#   %s:%d:%d: %s\n", ds.d[i].file, ds.d[i].line, ds.d[i].col, ds.d[i].msg);
    return rc;
}

static inline const struct th_case *find(const struct th_plan *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cases[i].id, id) == 0)
            return &p->cases[i];
    return NULL;
}

static inline void ids_are(const struct th_plan *p, const char *const *want, const char *what)
{
    size_t n = 0;
    while (want[n])
        n++;
    is_int(p->n, n, "%s: number of cases", what);
    for (size_t i = 0; i < n && i < p->n; i++)
        is_str(p->cases[i].id, want[i], "%s: case %zu", what, i);
}

static inline const char *skip_of(const struct th_plan *p, const char *id)
{
    const struct th_case *k = find(p, id);
    return k ? k->skip : "(no such case)";
}

static inline int contains(const char *s, const char *frag)
{
    return s && strstr(s, frag) != NULL;
}

/* The one case of a scenario that must read into exactly one, or NULL. */
static inline const struct th_case *only_case(struct th_plan *p, const char *name, const char *json)
{
    if (read_text(p, name, json, NULL, NULL) != 0)
        return NULL;
    return ok(p->n == 1, "%s: one case", name) ? &p->cases[0] : NULL;
}

/* The temporary folder (tmp) every scenario text is written under: made before the
 * tests, removed after. */
static inline int tmp_setup(const char *name)
{
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "/tmp/%s.XXXXXX", name);
    if (!mkdtemp(tmpl))
        return -1;
    th_strlcpy(tmp, tmpl, sizeof tmp);
    return 0;
}

static inline void tmp_cleanup(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        diag("could not remove the temporary folder");
}

#endif
