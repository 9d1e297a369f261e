/* Kind memory: N connections established over the in-memory pair and left idle,
 * the heap measured before and after with glibc's own accounting (mallinfo2),
 * which sees every allocation any of the libraries makes through malloc; then the
 * server ends are freed and the heap measured again, which splits the cost by
 * role. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/metric.h"
#include "harness/run/pair.h"
#include "kinds_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define TH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TH_ASAN 1
#endif
#endif

#ifdef TH_ASAN
/* AddressSanitizer replaces malloc, and glibc's accounting then sees nothing: ask
 * the sanitizer's allocator instead (its counts include its own redzones). */
size_t __sanitizer_get_current_allocated_bytes(void);
static double heap_bytes(void)
{
    return (double)__sanitizer_get_current_allocated_bytes();
}
static const char heap_method[] = "AddressSanitizer's allocator";
#else
static const char heap_method[] = "mallinfo2";
static double heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
}
#endif

/* What the harness's own channel costs per connection, to take out. */
static double channel_bytes(unsigned n)
{
    struct th_mem_pair *m = th_xcalloc(n, sizeof(*m));
    double h0 = heap_bytes();
    for (unsigned i = 0; i < n; i++)
        th_mem_pair_init(&m[i]);
    double per = (heap_bytes() - h0) / n;
    for (unsigned i = 0; i < n; i++)
        th_mem_pair_free(&m[i]);
    free(m);
    return per;
}

struct mem_sample {
    double client, server;
};

static int memory_rep(const struct th_case *k, struct th_ctx *cctx, struct th_ctx *sctx, unsigned n,
                      struct mem_sample *out, struct th_error *err)
{
    struct th_pair *d = th_xcalloc(n, sizeof(*d));
    double chan = channel_bytes(n), h0 = heap_bytes();
    unsigned made = 0;
    int rc = 0;
    for (; made < n; made++) {
        if (th_pair_open(&d[made], k, cctx, sctx, NULL, err) != 0) {
            th_error_prefix(err, "connection %u: %s", made + 1, th_outcome_name(err->outcome));
            made++;
            rc = -1;
            break;
        }
        th_queue_trim(&d[made].mem.c2s); /* idle: nothing in flight */
        th_queue_trim(&d[made].mem.s2c);
    }
    if (rc == 0) {
        double h1 = heap_bytes();
        for (unsigned i = 0; i < n; i++) {
            k->server->conn_free(d[i].sv.conn);
            d[i].sv.conn = NULL;
        }
        double h2 = heap_bytes();
        out->server = (h1 - h2) / n;
        out->client = (h2 - h0) / n - chan;
    }
    for (unsigned i = 0; i < made; i++)
        th_pair_close(&d[i]);
    free(d);
    return rc;
}

void th_run_memory(const struct th_case *k, const struct th_runner_opts *o, struct th_ctx *cctx,
                   struct th_ctx *sctx, struct th_case_result *r)
{
    unsigned n = k->memory.connections ? k->memory.connections : 200;
    if (o->quick)
        n = n / 10 > 10 ? n / 10 : 10;
    unsigned reps = th_kind_reps(k, o);
    struct mem_sample *v = th_xcalloc(reps + 1, sizeof(*v));
    struct th_error err = {0};
    size_t got = 0;
    for (unsigned i = 0; i <= reps; i++) {
        if (memory_rep(k, cctx, sctx, n, &v[got], &err) != 0)
            break;
        got += i > 0;
    }
    if (got == reps) {
        double t[got], c[got], s[got];
        for (size_t i = 0; i < got; i++)
            c[i] = v[i].client, s[i] = v[i].server, t[i] = v[i].client + v[i].server;
        r->obs.ran = 1;
        r->status = TH_PASS;
        snprintf(r->reason, sizeof(r->reason), "%u idle connections, heap measured with %s", n,
                 heap_method);
        th_metric_set(r, "bytes_per_connection", "B", t, got);
        th_metric_set(r, "client_bytes_per_connection", "B", c, got);
        th_metric_set(r, "server_bytes_per_connection", "B", s, got);
    } else {
        th_kind_failed(r, &err);
    }
    free(v);
}
