/* LD_PRELOAD shim: a TLS library that crashes. It stands in front of OpenSSL's
 * SSL_write_ex and GnuTLS's gnutls_record_send, counts the calls this process makes,
 * and at the TH_CRASH_AT-th one aborts (TH_CRASH_HOW=abort, the default) or
 * dereferences NULL (segv), as a library bug would, inside the library call.
 * Built by tests/integration/isolation.t: cc -shared -fPIC -o crash.so crash.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static long calls;

static void maybe_crash(void)
{
    const char *at = getenv("TH_CRASH_AT"), *how = getenv("TH_CRASH_HOW");
    if (!at || ++calls != atol(at))
        return;
    if (how && strcmp(how, "segv") == 0) {
        volatile int *p = NULL;
        *p = 1;
    }
    abort();
}

int SSL_write_ex(void *ssl, const void *buf, size_t num, size_t *written)
{
    static int (*real)(void *, const void *, size_t, size_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "SSL_write_ex");
    maybe_crash();
    return real(ssl, buf, num, written);
}

ssize_t gnutls_record_send(void *session, const void *data, size_t size)
{
    static ssize_t (*real)(void *, const void *, size_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "gnutls_record_send");
    maybe_crash();
    return real(session, data, size);
}
