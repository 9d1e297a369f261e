/* The scenario room's INTERNAL header: shared by the files of harness/scenario/
 * only. Not part of any API (that is scenario.h, the reader, and case.h, the case
 * type); nothing outside this folder may include it.
 *
 * The reader's files, by concern:
 *   read.c      files and folders, diagnostics, th_plan_read
 *   values.c    typed JSON values and the lists of versions, suites, groups, outcomes
 *   scenario.c  one scenario's top level, its variants, the checks across blocks
 *   peers.c     "clients" and "servers": backends, fixtures, external targets
 *   endpoint.c  the "client" and "server" blocks
 *   pemcheck.c  a user's own certificate and key files, checked as they are read
 *   expect.c    "expect" and "deviations"
 *   blocks.c    the kinds' blocks ("bulk", "handshakes", ...) and "repeat"
 *   expand.c    what was read, expanded into cases, with skip reasons
 *   case.c      the case type's names, copies and frees
 *
 * What is here is what they share: the read form of a scenario, which reading
 * fills and expand.c reads; the two states of reading (struct reader across files,
 * struct cursor within one) and the error reporting at the cursor; and the helpers
 * called across files. Everything else stays static in its own file.
 *
 * Errors in the input are reported through the caller's diag callback as
 * FILE:LINE:COL: PATH: message (th_cursor_verr, perr, kerr) before -1 is returned;
 * a caller that only passes -1 on uses TH_GUARD. */
#ifndef TH_SCENARIO_INT_H
#define TH_SCENARIO_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "harness/vocab/error.h"
#include "harness/vocab/jsonpos.h"
#include "pemcheck.h"
#include "scenario.h"

#define MAX_PEERS 32
#define MAX_FILTER 32
#define MAX_DEPTH 8

/* Which side a "client" or "server" block (or a key of one) is for. */
enum { WHO_CLIENT = 1, WHO_SERVER = 2 };

/* "foreach": read by scenario.c, acted on by expand.c. */
enum { FE_NONE = 0, FE_SUITE, FE_GROUP };

/* The kind names in enum th_kind's order, NULL-terminated (case.c): th_kind_name
 * shows them, the reader accepts them. */
extern const char *const th_kind_names[];

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

/* The kind's block and "repeat", as read (blocks.c). */
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

/* ---- the two states of reading ---- */

/* The reader: the state of one th_plan_read call, across all its files. */
struct reader {
    const struct th_read_opts *opts;
    const struct th_backend *const *reg;
    th_diag_fn diag;
    void *arg;
    int errors;
    struct th_plan *plan;
    char **names; /* scenario names seen, with their files, to refuse duplicates */
    char **name_files;
    size_t n_names;
};

/* The cursor: where the reader is in one file, down to the JSON path of the value
 * being looked at, so that an error can name it and its FILE:LINE:COL. */
struct cursor {
    struct reader *rd;
    const char *file, *text;
    size_t len;
    char *dir; /* absolute folder of the file, for relative paths */
    int errors;
    /* Known before the keys that depend on them: kind first of all, foreach and
     * transport before the blocks. */
    enum th_kind kind;
    enum th_transport transport;
    int foreach;
    int variant; /* -1 while reading the top level */
    struct th_jpath path[MAX_DEPTH];
    size_t depth;
};

/* ---- from read.c: errors at the cursor ---- */

/* An error at the value (at_key 0) or the key (1) on top of cur's path stack, as
 * FILE:LINE:COL: PATH: message. Returns -1. */
int th_cursor_verr(struct cursor *cur, int at_key, const char *fmt, va_list ap) TH_MUST_CHECK;

static inline void push_key(struct cursor *cur, const char *k)
{
    cur->path[cur->depth++] = (struct th_jpath){k, 0};
}
static inline void push_idx(struct cursor *cur, size_t i)
{
    cur->path[cur->depth++] = (struct th_jpath){NULL, i};
}
static inline void pop(struct cursor *cur)
{
    cur->depth--;
}

/* An error at the value on top of the path stack. Returns -1. */
TH_PRINTF(2, 3) static inline int perr(struct cursor *cur, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = th_cursor_verr(cur, 0, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error at the key on top of the path stack. Returns -1. */
TH_PRINTF(2, 3) static inline int kerr(struct cursor *cur, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = th_cursor_verr(cur, 1, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- from values.c: typed values, each reporting its own error ---- */

/* "an object", "a string", ...: what a value is, for messages. */
const char *th_jtype(const json_t *v);
/* 0 when good, else an error "expected WHAT, got ...". */
int th_want(struct cursor *cur, const json_t *v, int good, const char *what) TH_MUST_CHECK;
int th_get_str(struct cursor *cur, json_t *v, const char **out) TH_MUST_CHECK;
int th_get_bool(struct cursor *cur, json_t *v, int *out) TH_MUST_CHECK;
/* A string that must be one of names (NULL-terminated): its index into *out. */
int th_get_enum(struct cursor *cur, json_t *v, const char *const *names, int *out) TH_MUST_CHECK;
/* A non-empty string or null into *out (replacing what was there). */
int th_get_opt_str(struct cursor *cur, json_t *v, char **out) TH_MUST_CHECK;

typedef int (*th_item_fn)(struct cursor *cur, json_t *it, void *ctx);
/* fn on each element of an array of at most max entries; every item's errors are
 * reported, not only the first. */
int th_each(struct cursor *cur, json_t *v, size_t max, th_item_fn fn, void *ctx) TH_MUST_CHECK;

/* Items for th_each: a version into the TH_VBIT set ctx (unsigned *); a suite or
 * group into the struct th_ids ctx. */
struct th_ids {
    uint16_t *v;
    size_t *n;
};
int th_version_item(struct cursor *cur, json_t *it, void *ctx) TH_MUST_CHECK;
int th_suite_item(struct cursor *cur, json_t *it, void *ctx) TH_MUST_CHECK;
int th_group_item(struct cursor *cur, json_t *it, void *ctx) TH_MUST_CHECK;
/* One IANA suite or group name, into its id. */
int th_suite_name(struct cursor *cur, json_t *it, uint16_t *id) TH_MUST_CHECK;
int th_group_name(struct cursor *cur, json_t *it, uint16_t *id) TH_MUST_CHECK;
/* One ALPN protocol name (1 to 255 bytes). */
int th_alpn_value(struct cursor *cur, json_t *it, const char **out) TH_MUST_CHECK;
/* One outcome name or a non-empty list of them, into a set. */
int th_parse_outcomes(struct cursor *cur, json_t *v, th_outcome_set *out) TH_MUST_CHECK;

/* Small predicates and formatting the reader's checks and the skip reasons have in
 * common, so that both say the same thing the same way. */
/* s is not empty and every character of it is in set. */
int th_chars_in(const char *s, const char *set);
int th_has_id(const uint16_t *v, size_t n, uint16_t id);
int th_is_ip(const char *s);
/* s is an IP literal or a DNS name (labels of 1-63 letters, digits, "-" or "_",
 * not starting or ending with "-"; at most 253 bytes in all); else 0 with why
 * (a phrase) said. */
int th_is_hostname(const char *s, char *why, size_t cap);
/* "a, b, c" of a NULL-terminated list. */
void th_join(const char *const *names, char *out, size_t cap);
/* "1.2, 1.3" of a TH_VBIT set. */
void th_vset_str(unsigned set, char *out, size_t cap);
/* The names of a registry, joined; "none" when it is empty. */
void th_backend_names(const struct th_backend *const *reg, char *out, size_t cap);

/* ---- from endpoint.c, expect.c and peers.c: the blocks of a scenario ---- */

/* A side's defaults (who: WHO_CLIENT or WHO_SERVER). */
void th_spec_defaults(struct th_endpoint_spec *sp, unsigned who);
/* A client or server block applied onto sd: each key present replaces that field. */
int th_parse_side(struct cursor *cur, json_t *obj, struct side *sd, unsigned who) TH_MUST_CHECK;
/* An expect block applied onto e key by key. */
int th_parse_expect(struct cursor *cur, json_t *obj, struct th_expect *e) TH_MUST_CHECK;
/* A deviations list: its entries go before those already in sc, so a variant's
 * own come first when the most specific match is chosen. */
int th_parse_devs(struct cursor *cur, json_t *v, struct scn *sc) TH_MUST_CHECK;
/* "clients" and "servers". */
int th_parse_clients(struct cursor *cur, json_t *v, struct file_scn *f) TH_MUST_CHECK;
int th_parse_servers(struct cursor *cur, json_t *v, struct file_scn *f) TH_MUST_CHECK;

/* ---- from pemcheck.c: a user's own files: pemcheck.h (the commands use it too) ---- */

/* ---- from blocks.c: the kinds' blocks ---- */

/* The block a kind reads ("bulk", "handshakes", ...), or NULL (handshake). */
const char *th_kind_block(enum th_kind k);
void th_kspec_defaults(struct kspec *ks);
/* Whether key names a kind's block (of any kind). */
int th_is_kind_block(const char *key);
/* A kind block given at the top level or in a variant, applied key by key onto
 * ks. key is the block's name; an error when it is not this scenario's kind's. */
int th_parse_kind_block(struct cursor *cur, const char *key, json_t *v,
                        struct kspec *ks) TH_MUST_CHECK;
/* Top-level "repeat". */
int th_parse_repeat(struct cursor *cur, json_t *v, struct kspec *ks) TH_MUST_CHECK;
/* The checks across keys, once a variant (or the scenario) is complete, and the
 * kind's default outcome when expect.outcome was not given. */
int th_kind_finish(struct cursor *cur, struct scn *sc) TH_MUST_CHECK;

/* ---- from scenario.c, for read.c ---- */

/* One file's scenario read from its JSON root, and checked across blocks. Returns
 * 0 when it is good to expand; every error has been reported. f is filled either
 * way: th_file_scn_free frees it. */
int th_scenario_read(struct cursor *cur, json_t *root, struct file_scn *f) TH_MUST_CHECK;
void th_file_scn_free(struct file_scn *f);

/* ---- from case.c: deep copies and frees of the case's value types ---- */

/* A case starts as a copy of its scenario's specs, expectation and deviation, and
 * foreach copies cases. */
char *th_dup_or_null(const char *s);
void th_spec_copy(struct th_endpoint_spec *d, const struct th_endpoint_spec *s);
void th_spec_free(struct th_endpoint_spec *sp);
void th_expect_copy(struct th_expect *d, const struct th_expect *s);
void th_dev_copy(struct th_deviation *d, const struct th_deviation *s);
void th_dev_free(struct th_deviation *d);
void th_case_copy(struct th_case *d, const struct th_case *s);

/* ---- from expand.c, for read.c ---- */

/* A file's scenario, once read and checked, into cases appended to rd->plan. */
void th_expand_file(struct reader *rd, const char *file, const struct file_scn *f);

#endif
