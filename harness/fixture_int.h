/* INTERNAL to the fixture_*.c files: shared by harness/fixture.c (what each fixture
 * is), fixture_check.c (what its template can express), fixture_conf.c (writing its
 * configuration from the template), fixture_run.c (its folder; start, wait, stop)
 * and fixture_cmd.c (`tlsharness fixture`). Not installed, not part of the API (that
 * is fixture.h); nothing else may include it. fixture_pool.c needs fixture.h only.
 *
 * What is here is what they share: a fixture's private description, a running
 * server, and the few helpers called across files. Everything else stays static in
 * its own file. */
#ifndef TH_FIXTURE_INT_H
#define TH_FIXTURE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fixture.h"

/* The fixture's folder name stays short enough that every path built from it fits
 * PATH_MAX. */
#define DIR_MAX 1024

enum fx_server { FX_NGINX, FX_LIGHTTPD, FX_CADDY };

/* How a fixture's template names its suites. */
enum fx_names { NAMES_OPENSSL, NAMES_IANA, NAMES_MBEDTLS, NAMES_GNUTLS, NAMES_GO, NAMES_NSS };

struct fx_def {
    struct th_fixture_def pub; /* first: th_fixtures points here */
    enum fx_server server;
    const char *module; /* lighttpd's TLS module (mod_X), else NULL */
    enum fx_names names;
    unsigned versions, resume, features;
    const uint16_t *suites; /* NULL: borrow the OpenSSL backend's (same libssl) */
    size_t n_suites;
    const uint16_t *groups;
    size_t n_groups;
};

struct th_fixture {
    const struct fx_def *def;
    pid_t pid;
    int reaped;
    uint16_t port;
    char dir[DIR_MAX];
};

/* ---- fixture.c ---- */

/* The server programs, by enum fx_server. */
extern const char *const th_fx_program[];
/* The private description behind a public one, or NULL when d is not ours. */
const struct fx_def *th_fx_of(const struct th_fixture_def *d);
void th_fx_caps(const struct fx_def *d, struct th_caps *out);
/* The program in $PATH or the sbin folders (not every user's PATH has them). */
int th_fx_find_program(const char *prog, char *out, size_t cap);

/* ---- fixture_check.c ---- */

int th_fx_is_tls13(uint16_t suite);
/* Does the list hold a suite of TLS 1.3 (want13) or of the versions below? */
int th_fx_lists_kind(const struct th_tls_config *cfg, int want13);
/* The configuration as a template writes it: a suite list without a suite for the
 * top version caps the range at the highest version that has one. */
void th_fx_effective(const struct th_tls_config *in, struct th_tls_config *out);

/* The keywords a GnuTLS priority string names for a suite list (it enables every
 * kx x cipher x mac of them), each kind in first-use order. */
struct gt_list {
    const char *v[16];
    size_t n;
};

struct gt_plan {
    struct gt_list kx, cipher, mac;
};

void th_fx_gt_collect(const struct th_tls_config *cfg, struct gt_plan *p);

/* ---- fixture_conf.c ---- */

/* Write f's configuration for cfg into its folder (f->port chosen). */
int th_fx_write_config(const struct th_fixture *f, const struct th_tls_config *cfg, char *err,
                       size_t errcap) TH_MUST_CHECK;

/* ---- fixture_run.c ---- */

/* f's folder/name. */
void th_fx_path_in(const struct th_fixture *f, const char *name, char *out, size_t cap);
/* The log's last lines on one line, for an error message. */
void th_fx_tail_for_err(const struct th_fixture *f, char *out, size_t cap);
void th_fx_sleep_ms(long ms);

#endif
