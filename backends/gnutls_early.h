/* Resumed sessions and TLS 1.3 early data (0-RTT) for the GnuTLS backend (gnutls.c).
 *
 * Client: a session from session_get resumes a later connection; with early_send, a
 * resumed connection whose ticket allows early data is made with
 * GNUTLS_ENABLE_EARLY_DATA and ->early_write queues the request with
 * gnutls_record_send_early_data (up to what the ticket allows), which GnuTLS sends
 * right after the ClientHello; the EncryptedExtensions say whether the server took it
 * (GNUTLS_SFLAGS_EARLY_DATA). GnuTLS 3.7's client does not keep what a ticket allows:
 * gnutls_record_get_max_early_data_size says 16384 whether or not the server's
 * NewSessionTicket carried an early_data extension, and the client would send early
 * data a ticket does not allow (RFC 8446 4.2.10 forbids it). So a handshake hook reads
 * the early_data extension of each TLS 1.3 NewSessionTicket itself and the session
 * keeps it. GnuTLS made with GNUTLS_ENABLE_EARLY_DATA offers early data on a resumed
 * connection even when nothing was queued (the extension, then EndOfEarlyData): the
 * driver always queues its request there.
 *
 * Server: GnuTLS 3.7 takes early data only on a session made with
 * GNUTLS_ENABLE_EARLY_DATA that also has an anti-replay context
 * (gnutls_anti_replay_enable), and that context accepts a ClientHello only through a
 * "store this binder" function (gnutls_anti_replay_set_add_function): without one it
 * rejects every early data. So:
 *  - off: no GNUTLS_ENABLE_EARLY_DATA; the tickets carry no early_data extension and
 *    a client offers nothing;
 *  - accept: the flag, a max_early_data_size, and an anti-replay context. GnuTLS's
 *    own anti-replay is RFC 8446 8.2's ClientHello recording: it stores each early
 *    ClientHello's binder and rejects one seen again within the window. That catches a
 *    byte-for-byte copy of the flight only: a new ClientHello with the same ticket and
 *    the same early data has a new binder, and GnuTLS takes its early data again.
 *    anti_replay 1 therefore adds single-use tickets for early data (RFC 8446 8.1): the
 *    ClientHello hook notes each ticket (its SHA-256) that carried early data, and a
 *    ticket seen before gets no anti-replay context, so GnuTLS rejects that early data
 *    (and still resumes); the binder store refuses duplicates too. anti_replay 0: the
 *    store remembers nothing and a ticket may carry early data again and again. Either
 *    way GnuTLS keeps its freshness check (RFC 8446 8.3): early data whose ticket age is
 *    off by more than the window (10 s), or whose ticket was issued before the window
 *    last restarted, is rejected; anti_replay 0 cannot turn that off;
 *  - reject: the flag and a max_early_data_size (the tickets allow early data) but no
 *    anti-replay context, so GnuTLS itself refuses the early data in every handshake
 *    ("anti-replay is not enabled; rejecting early data") and skips its records.
 * What the server took is read with gnutls_record_recv_early_data once the handshake
 * is done and handed to the next ->read calls, ahead of any later record. Defined in
 * gnutls_early.c. */
#ifndef TH_GNUTLS_EARLY_H
#define TH_GNUTLS_EARLY_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "backend.h"

/* What a server ticket lets a client send early (bytes): one HTTP request with room. */
#define TH_GNUTLS_MAX_EARLY 16384

struct th_session {
    gnutls_datum_t data; /* gnutls_session_get_data2 */
    uint32_t max_early;  /* what its ticket allows early (bytes); 0: none */
};

struct th_gnutls_early; /* per context: the mode and the server's replay cache */

/* Per connection. */
struct th_gnutls_early_conn {
    int offered;           /* client: some went early; server: a ClientHello said so */
    int hello_early;       /* server: the ClientHello being parsed has early_data */
    uint32_t room;         /* client: what the resumed ticket allows early; 0: none */
    uint32_t ticket_early; /* client: the last ticket's early_data allowance */
    uint64_t bytes;        /* sent early (client) or taken early (server) */
    gnutls_session_t s;    /* for ->early_write, which gets only the connection */
    unsigned char *in;     /* server: what was taken early, not yet handed to ->read */
    size_t in_len, in_off;
};

/* A context's early data settings from cfg (NULL when it has none: a client without
 * early_send, a server with early_data off); 0, or -1 with err. */
TH_MUST_CHECK int th_gnutls_early_new(const struct th_tls_config *cfg, struct th_gnutls_early **out,
                                      struct th_error *err);
void th_gnutls_early_free(struct th_gnutls_early *e);

/* The extra gnutls_init flags of a connection (a client's resuming `from`, or NULL);
 * sets what a client may send early in ec. */
unsigned th_gnutls_early_flags(const struct th_gnutls_early *e, const struct th_session *from,
                               struct th_gnutls_early_conn *ec);

/* A session's early data settings after gnutls_init (no-op without): the server's
 * limit and anti-replay context, the client's ticket hook. 0, or -1 with err. */
TH_MUST_CHECK int th_gnutls_early_conn(gnutls_session_t s, struct th_gnutls_early *e,
                                       struct th_gnutls_early_conn *ec, struct th_error *err);

/* A ClientHello extension seen by the server's hello hook (before GnuTLS parses it). */
void th_gnutls_early_hello_ext(gnutls_session_t s, struct th_gnutls_early *e,
                               struct th_gnutls_early_conn *ec, unsigned tls_id,
                               const unsigned char *data, unsigned size);

/* Client: queue early data before the first gnutls_handshake: backend.h's
 * ->early_write itself, for a struct th_conn whose first member is its
 * struct th_gnutls_early_conn. */
enum th_step th_gnutls_early_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                                   struct th_error *err);

/* The handshake completed: a server collects what it took early. */
void th_gnutls_early_done(gnutls_session_t s, struct th_gnutls_early_conn *ec);

/* A server's ->read: hand out what came early first. 1 with *done set when it did. */
int th_gnutls_early_take(struct th_gnutls_early_conn *ec, void *buf, size_t len, size_t *done);

/* The early_* fields of struct th_negotiated (call after the handshake completed). */
void th_gnutls_early_seen(gnutls_session_t s, const struct th_gnutls_early_conn *ec,
                          struct th_negotiated *out);

void th_gnutls_early_conn_free(struct th_gnutls_early_conn *ec);

/* A resumable session of a completed client connection; NULL when there is none
 * (a TLS 1.3 connection before its ticket arrived). */
struct th_session *th_gnutls_session_get(gnutls_session_t s, const struct th_gnutls_early_conn *ec);
void th_gnutls_session_free(struct th_session *ts);

#endif
