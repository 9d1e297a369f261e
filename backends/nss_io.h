/* The driver's struct th_io as an NSPR I/O layer (nss_io.c): NSS's SSL layer is
 * pushed on top of it (SSL_ImportFD), so every record moves through the driver's
 * send and recv, which never block: "nothing now" is -1 with PR_WOULD_BLOCK_ERROR,
 * what a non-blocking socket says. */
#ifndef TH_NSS_IO_H
#define TH_NSS_IO_H

#include <prio.h>

#include "backend.h"

struct th_nss_io {
    struct th_io io; /* io.ctx NULL: a model socket's layer, which never moves data */
    int eof;         /* recv said end of stream */
    int failed;      /* the transport said TH_IO_FAIL */
    int want_write;  /* the last call that could not move was a send */
};

/* A new bottom layer reading and writing through t (which must outlive it); NULL
 * with NSPR's error set. PR_Close of the stack above frees it, not t. */
PRFileDesc *th_nss_io_fd(struct th_nss_io *t);

#endif
