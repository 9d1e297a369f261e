/* INTERNAL to the scenario loader: shared by harness/scenario.c (loading) and
 * harness/expand.c (expansion into cases) only. Not installed, not part of the
 * API (that is scenario.h); nothing else may include it.
 *
 * What is here is what both halves need: the loaded form of a scenario, which
 * scenario.c fills and expand.c reads, and the few helpers both call. Everything
 * else stays static in its own file. */
#ifndef TH_SCENARIO_INT_H
#define TH_SCENARIO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define MAX_PEERS 32
#define MAX_FILTER 32

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
    struct th_expect expect;
    struct th_deviation *devs;
    size_t n_devs;
};

struct peer {
    const struct th_backend *be; /* NULL: "*" or an external target */
    int star;
    char *url, *host, *label; /* external target: URL, host, HOST:PORT */
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
