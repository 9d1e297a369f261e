/* INTERNAL to the scenario loader: shared by harness/scenario.c (loading),
 * harness/scenario_kinds.c (loading the kinds' blocks) and harness/expand.c
 * (expansion into cases) only. Not installed, not part of the API (that is
 * scenario.h); nothing else may include it.
 *
 * What is here is what they share: the loaded form of a scenario, which the loading
 * fills and expand.c reads; the parse position and its error reporting, which both
 * halves of the loading use; and the few helpers called across files. Everything
 * else stays static in its own file. */
#ifndef TH_SCENARIO_INT_H
#define TH_SCENARIO_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/vocab/jsonpos.h"
#include "scenario.h"

#define MAX_PEERS 32
#define MAX_FILTER 32
#define MAX_DEPTH 8

#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((x) < 0)                                                                               \
            return -1;                                                                             \
    } while (0)

/* "foreach": parsed by scenario.c, acted on by expand.c. */
enum { FE_NONE = 0, FE_SUITE, FE_GROUP };

/* The names suite_filter accepts for "kx" and "auth", NULL-terminated. A filter's
 * bit i means names[i]: scenario.c sets the bits, expand.c tests suites with them. */
extern const char *const th_filter_kx[];
extern const char *const th_filter_auth[];

/* ---- what one scenario (or one variant of it) says, before expansion ---- */

struct side {
    struct th_endpoint_spec sp;
    int sni_set;      /* sni given explicitly (else derived from hostname) */
    int ciphers_from; /* where ciphers were set: -1 top level, else variant index */
};

struct filt {
    unsigned versions, kx, auth;     /* bit sets; 0: no restriction */
    const char *ciphers[MAX_FILTER]; /* the iana table's own strings */
    size_t n_ciphers;
};

/* The kind's block and "repeat", as loaded (scenario_kinds.c). */
enum { KF_FAULT = 0, KF_BYTES, KF_RECORD, KF_WRITE_SIZE, KF_BLOCK, KF_COUNT };
struct kspec {
    unsigned repeat;
    struct th_bulk_spec bulk;
    struct th_rate_spec rate;
    struct th_memory_spec memory;
    struct th_fault_spec fault;
    struct th_load_spec load;
    /* Where the integrity keys the checks across keys look at (KF_*; KF_BLOCK: the
     * "integrity" object itself) were last given, so an error can point there: -2
     * nowhere (the default), -1 the top level, else the variant's index. */
    int from[KF_COUNT];
};

struct scn {
    char *name; /* NAME or NAME@VARIANT */
    char *description;
    int line;
    int variant; /* -1: the top level */
    enum th_kind kind;
    enum th_transport transport;
    double timeout_s;
    int foreach;
    struct filt filt;
    struct side c, s;
    struct kspec ks;
    struct th_expect expect; /* outcomes 0 until th_kind_finish: none given */
    struct th_deviation *devs;
    size_t n_devs;
};

struct peer {
    const struct th_backend *be;     /* NULL: "*", a fixture or an external target */
    const struct th_fixture_def *fx; /* "fixture:NAME" */
    int star;                        /* "*" */
    int fx_star;                     /* "fixture:*" */
    char *url, *host, *label;        /* external target: URL, host, HOST:PORT */
    uint16_t port;
};

struct file_scn {
    struct scn base;
    struct peer clients[MAX_PEERS], servers[MAX_PEERS];
    size_t n_clients, n_servers;
    struct scn *vars;
    size_t n_vars;
};

/* Loading state across files. */
struct loader {
    const struct th_load_opts *opts;
    const struct th_backend *const *reg;
    th_diag_fn diag;
    void *arg;
    int errors;
    struct th_plan *plan;
    char **names; /* scenario names seen, with their files, to refuse duplicates */
    char **name_files;
    size_t n_names;
};

/* Loading one file: where we are in it. */
struct ld {
    struct loader *L;
    const char *file, *text;
    size_t len;
    char *dir; /* absolute folder of the file, for relative paths */
    int errors;
    /* Known before the keys that depend on them: kind first of all, foreach and
     * transport before the blocks. */
    enum th_kind kind;
    enum th_transport transport;
    int foreach;
    int variant; /* -1 while parsing the top level */
    struct th_jpath path[MAX_DEPTH];
    size_t depth;
};

/* ---- from scenario.c, for scenario_kinds.c: positions and errors ---- */

/* An error at the value (at_key 0) or the key (1) on top of l's path stack, as
 * FILE:LINE:COL: PATH: message. Returns -1. */
int th_ld_verr(struct ld *l, int at_key, const char *fmt, va_list ap);
const char *th_jtype(const json_t *v);
/* A string that must be one of names (NULL-terminated): its index into *out. */
int th_get_enum(struct ld *l, json_t *v, const char *const *names, int *out);

static inline void push_key(struct ld *l, const char *k)
{
    l->path[l->depth++] = (struct th_jpath){k, 0};
}
static inline void push_idx(struct ld *l, size_t i)
{
    l->path[l->depth++] = (struct th_jpath){NULL, i};
}
static inline void pop(struct ld *l)
{
    l->depth--;
}

/* An error at the value on top of the path stack. Returns -1. */
TH_PRINTF(2, 3) static inline int perr(struct ld *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    th_ld_verr(l, 0, fmt, ap);
    va_end(ap);
    return -1;
}

/* An error at the key on top of the path stack. Returns -1. */
TH_PRINTF(2, 3) static inline int kerr(struct ld *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    th_ld_verr(l, 1, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- from scenario_kinds.c, for scenario.c ---- */

/* The block a kind reads ("bulk", "handshakes", ...), or NULL (handshake). */
const char *th_kind_block(enum th_kind k);
void th_kspec_defaults(struct kspec *ks);
/* Whether key names a kind's block (of any kind). */
int th_is_kind_block(const char *key);
/* A kind block given at the top level or in a variant, applied key by key onto
 * ks. key is the block's name; an error when it is not this scenario's kind's. */
int th_parse_kind_block(struct ld *l, const char *key, json_t *v, struct kspec *ks);
/* Top-level "repeat". */
int th_parse_repeat(struct ld *l, json_t *v, struct kspec *ks);
/* The checks across keys, once a variant (or the scenario) is complete, and the
 * kind's default outcome when expect.outcome was not given. */
int th_kind_finish(struct ld *l, struct scn *sc);

/* ---- from scenario.c, for expand.c ---- */

/* Deep copies and frees of the public value types: a case starts as a copy of its
 * scenario's specs, expectation and deviation, and foreach copies cases. */
char *th_dup_or_null(const char *s);
void th_spec_copy(struct th_endpoint_spec *d, const struct th_endpoint_spec *s);
void th_spec_free(struct th_endpoint_spec *sp);
void th_expect_copy(struct th_expect *d, const struct th_expect *s);
void th_dev_copy(struct th_deviation *d, const struct th_deviation *s);
void th_dev_free(struct th_deviation *d);

/* Small predicates and formatting the loader's checks and the skip reasons have in
 * common, so that both say the same thing the same way. */
int th_has_id(const uint16_t *v, size_t n, uint16_t id);
int th_is_ip(const char *s);
void th_vset_str(unsigned set, char *out, size_t cap);

/* ---- from expand.c, for scenario.c ---- */

/* A file's scenario, once loaded and checked, into cases appended to L->plan. */
void th_expand_file(struct loader *L, const char *file, const struct file_scn *f);

/* Frees one case: expand.c drops filtered-out cases, th_plan_free frees the plan. */
void th_case_free(struct th_case *k);

#endif
