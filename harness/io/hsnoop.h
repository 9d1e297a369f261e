/* Reading the server's first handshake records as they pass through a transport the
 * driver owns, to see whether the server sent a HelloRetryRequest (RFC 8446 4.1.3:
 * a ServerHello whose random is SHA-256("HelloRetryRequest")). Libraries do not all
 * say so (GnuTLS and mbedTLS have no call for it), and the bytes on the wire are the
 * same whichever library wrote them. The reading stops at the first ServerHello that
 * is not a retry request or the first encrypted record: nothing after those can be
 * one, and the data path is left alone. */
#ifndef TH_HSNOOP_H
#define TH_HSNOOP_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"

#define TH_HSNOOP_MSG_MAX 8192 /* a ServerHello with a post-quantum key share fits */

struct th_hsnoop {
    struct th_io inner;   /* the transport underneath */
    struct th_io io;      /* what the backend is given: inner, with the server's bytes read */
    int server_side;      /* read what this end sends (a server) rather than receives */
    int done;             /* nothing more to read: a ServerHello, an encrypted record or junk */
    unsigned hrr;         /* HelloRetryRequests seen */
    uint16_t version;     /* the ServerHello's selected version (supported_versions, else
                           * legacy_version); 0 until one arrived */
    unsigned char hdr[5]; /* the record header being read */
    size_t hdr_have;
    size_t rec_left; /* payload bytes of the current record still to come */
    unsigned char rec_type;
    size_t msg_have;
    /* last: th_hsnoop_init leaves it, filled before it is read */
    unsigned char msg[TH_HSNOOP_MSG_MAX]; /* handshake bytes not yet a whole message */
};

/* Set s up over inner; s->io is the transport to hand a backend, valid as long as s.
 * server_side 0: read the bytes received (a client's end), 1: those sent (a server's). */
void th_hsnoop_init(struct th_hsnoop *s, const struct th_io *inner, int server_side);
/* Read len bytes going from the server to the client (what the wrapper does itself;
 * exported for bytes the driver sees some other way, and for tests). */
void th_hsnoop_feed(struct th_hsnoop *s, const void *data, size_t len);
/* Whether the records showed a TLS 1.3 handshake (a retry request, or a ServerHello
 * selecting TLS 1.3): only then does "no HelloRetryRequest" mean something. */
int th_hsnoop_known(const struct th_hsnoop *s);

#endif
