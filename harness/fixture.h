/* Managed real servers (DESIGN.md: a server entry "fixture:NAME"). The harness
 * writes a server's configuration from a template kept in harness/fixtures/, with
 * the test PKI's certificate, on 127.0.0.1 and a free port, in a temporary folder
 * that holds its own pid file, logs and document root; starts it, waits until it
 * accepts, and stops it by pid.
 *
 * A fixture is described as data, like a backend: what its TLS library can
 * negotiate and what its configuration can restrict (struct th_caps, server role
 * only), so a case that needs what a fixture cannot do is a skip with the reason.
 *
 * Every fixture serves the same document root:
 *   GET /            TH_FIXTURE_INDEX_LEN bytes of th_pattern_fill(0, 0, ...)
 *   GET /bytes/N     N bytes of th_pattern_fill(0, 0, ...), for N in th_fixture_sizes
 * which is what `tlsharness serve` sends for /bytes/N, so one client check serves
 * both. */
#ifndef TH_FIXTURE_H
#define TH_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../backends/backend.h"
#include "util.h"

#define TH_FIXTURE_INDEX_LEN 1024

/* The /bytes/N sizes every fixture's document root has, 0-terminated. */
extern const uint64_t th_fixture_sizes[];

struct th_fixture_def {
    const char *name;    /* "nginx": what scenarios say after "fixture:" */
    const char *package; /* the Debian package(s) to install, for the skip reason */
    const char *library; /* the TLS library underneath, e.g. "OpenSSL" */
    /* What the server can negotiate and what its configuration can restrict:
     * roles is TH_ROLE_SERVER; features use the TH_CAP_* bits. */
    void (*caps)(struct th_caps *out);
};

/* Every fixture the harness knows, NULL-terminated, and lookup by name (without
 * "fixture:"). */
extern const struct th_fixture_def *const th_fixtures[];
const struct th_fixture_def *th_fixture_find(const char *name);

/* NULL when the fixture can run on this machine; else the reason it cannot, naming
 * the package to install, written into buf. */
const char *th_fixture_missing(const struct th_fixture_def *d, char *buf, size_t cap);
/* The server program's version line ("nginx/1.22.1"), or "" when not installed. */
const char *th_fixture_version(const struct th_fixture_def *d);
/* NULL when d's template can express cfg exactly (the server then negotiates what
 * cfg says and nothing else); else the reason, written into buf: the case is a skip.
 * th_fixture_start refuses such a configuration with the same reason. */
const char *th_fixture_unsupported(const struct th_fixture_def *d, const struct th_tls_config *cfg,
                                   char *buf, size_t cap);

struct th_fixture; /* one running server */

/* Start d serving cfg (the server side of a case, files already resolved: cert_file,
 * key_file, versions, suites, groups, prefer_server_order, tickets, session_cache)
 * on 127.0.0.1 and a free port, in a fresh folder under tmp_root (NULL: $TMPDIR or
 * /tmp). Returns 0 once it accepts connections (within timeout_s); -1 with the
 * reason in err, including the tail of the server's own error log when it started
 * and failed, and nothing left running. */
int th_fixture_start(const struct th_fixture_def *d, const struct th_tls_config *cfg,
                     const char *tmp_root, double timeout_s, struct th_fixture **out, char *err,
                     size_t errcap) TH_MUST_CHECK;
uint16_t th_fixture_port(const struct th_fixture *f);
const char *th_fixture_dir(const struct th_fixture *f);
/* The server's process (its own session: a stop reaches every process it forks).
 * It gets SIGTERM if the thread that started it exits first, so start fixtures from
 * a thread that outlives them. */
pid_t th_fixture_pid(const struct th_fixture *f);
/* Still running (the pid is alive)? */
int th_fixture_alive(const struct th_fixture *f);
/* The last cap-1 bytes of the server's error log (NUL-terminated), for a failure's
 * reason. Returns the length. */
size_t th_fixture_log_tail(const struct th_fixture *f, char *buf, size_t cap);
/* Stop by pid (SIGTERM, then SIGKILL after a grace period), reap, remove the folder. */
void th_fixture_stop(struct th_fixture *f);

/* Running fixtures kept across cases: consecutive cases with the same server
 * configuration share one instance; at most max_running stay up (the least recently
 * used is stopped first). */
struct th_fixture_pool;
struct th_fixture_pool *th_fixture_pool_new(const char *tmp_root, size_t max_running);
/* The running instance for (d, cfg), started if needed. The pool owns it. */
int th_fixture_pool_get(struct th_fixture_pool *p, const struct th_fixture_def *d,
                        const struct th_tls_config *cfg, double timeout_s, struct th_fixture **out,
                        char *err, size_t errcap) TH_MUST_CHECK;
/* How many instances are up. */
size_t th_fixture_pool_running(const struct th_fixture_pool *p);
/* Stop everything and free. NULL is fine. */
void th_fixture_pool_free(struct th_fixture_pool *p);

/* `tlsharness fixture NAME [--cert LEAF] [--seconds S] [--pki DIR]`: start one
 * fixture with the default configuration, print where it serves, run until SIGINT,
 * SIGTERM or S seconds, stop it. argv[0] is "fixture". Exit status as DESIGN.md. */
int th_fixture_cmd(int argc, char **argv);

/* Tests only: when set, the port each start attempt binds (attempt 0, 1, ...), so a
 * test can hand out a port it holds; NULL: a port the kernel has free. */
extern uint16_t (*th_fixture_test_port)(unsigned attempt);

#endif
