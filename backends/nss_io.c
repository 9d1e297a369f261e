/* The NSPR layer under NSS's SSL layer (nss_io.h). NSS asks its lower layer only a
 * few things: bytes in and out, whether it blocks (a non-blocking socket makes NSS
 * return PR_WOULD_BLOCK_ERROR instead of waiting), and a peer address, which keys
 * the client's session cache and is not used here (sessions travel as resumption
 * tokens). The methods table is built once under pthread_once. */
#include "nss_io.h"

#include <pthread.h>
#include <string.h>

#include <prerror.h>
#include <prnetdb.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static PRDescIdentity identity;
static PRIOMethods methods;

static struct th_nss_io *io_of(PRFileDesc *fd)
{
    return (struct th_nss_io *)fd->secret;
}

static PRStatus io_close(PRFileDesc *fd)
{
    fd->secret = NULL;
    if (fd->dtor)
        fd->dtor(fd);
    return PR_SUCCESS;
}

static PRInt32 io_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
                       PRIntervalTime timeout)
{
    (void)flags;
    (void)timeout;
    struct th_nss_io *t = io_of(fd);
    if (!t || !t->io.recv || amount <= 0) {
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    ssize_t n = t->io.recv(t->io.ctx, buf, (size_t)amount);
    if (n > 0)
        return (PRInt32)n;
    if (n == 0) {
        t->eof = 1;
        return 0;
    }
    if (n == TH_IO_AGAIN) {
        t->want_write = 0;
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    t->failed = 1;
    PR_SetError(PR_CONNECT_RESET_ERROR, 0);
    return -1;
}

static PRInt32 io_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags,
                       PRIntervalTime timeout)
{
    (void)flags;
    (void)timeout;
    struct th_nss_io *t = io_of(fd);
    if (!t || !t->io.send) {
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    if (amount <= 0)
        return 0;
    ssize_t n = t->io.send(t->io.ctx, buf, (size_t)amount);
    if (n > 0)
        return (PRInt32)n;
    if (n == TH_IO_AGAIN) {
        t->want_write = 1;
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    t->failed = 1;
    PR_SetError(PR_CONNECT_RESET_ERROR, 0);
    return -1;
}

static PRInt32 io_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
    return io_recv(fd, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRInt32 io_write(PRFileDesc *fd, const void *buf, PRInt32 amount)
{
    return io_send(fd, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRStatus io_addr(PRFileDesc *fd, PRNetAddr *addr)
{
    (void)fd;
    return PR_InitializeNetAddr(PR_IpAddrLoopback, 443, addr);
}

static PRStatus io_getopt(PRFileDesc *fd, PRSocketOptionData *data)
{
    (void)fd;
    PRSocketOptionData d = {.option = data->option};
    if (data->option == PR_SockOpt_Nonblocking)
        d.value.non_blocking = PR_TRUE;
    *data = d;
    return PR_SUCCESS;
}

static PRStatus io_setopt(PRFileDesc *fd, const PRSocketOptionData *data)
{
    (void)fd;
    (void)data;
    return PR_SUCCESS;
}

static PRStatus io_shutdown(PRFileDesc *fd, PRIntn how)
{
    (void)fd;
    (void)how;
    return PR_SUCCESS;
}

static PRInt32 io_available(PRFileDesc *fd)
{
    (void)fd;
    return 0;
}

static void init_once(void)
{
    identity = PR_GetUniqueIdentity("tlsharness io");
    methods = *PR_GetDefaultIOMethods();
    methods.file_type = PR_DESC_LAYERED;
    methods.close = io_close;
    methods.read = io_read;
    methods.write = io_write;
    methods.recv = io_recv;
    methods.send = io_send;
    methods.available = io_available;
    methods.getpeername = io_addr;
    methods.getsockname = io_addr;
    methods.getsocketoption = io_getopt;
    methods.setsocketoption = io_setopt;
    methods.shutdown = io_shutdown;
}

PRFileDesc *th_nss_io_fd(struct th_nss_io *t)
{
    pthread_once(&once, init_once);
    PRFileDesc *fd = PR_CreateIOLayerStub(identity, &methods);
    if (fd)
        fd->secret = (PRFilePrivate *)t;
    return fd;
}
