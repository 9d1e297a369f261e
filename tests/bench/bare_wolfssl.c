/* bare_wolfssl: the reference loop the harness's wolfSSL figures are compared with.
 * It uses only wolfSSL and libc - none of the harness's code - and does what the
 * harness's bulk and handshake_rate kinds do over the in-memory transport, nothing
 * more: client and server in one thread, over two byte queues reached through
 * wolfSSL's I/O callbacks (wolfSSL has no BIO pair of its own).
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o bare_wolfssl \
 *       tests/bench/bare_wolfssl.c -lwolfssl
 *
 *   bare_wolfssl bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS
 *   bare_wolfssl handshake PKIDIR CERT RESUME COUNT REPS
 *
 * Output, timing and sizes exactly as bare_openssl.c (its header comment says how);
 * the configuration as the wolfSSL backend sets it: partial writes, no read
 * auto-retry, the server following the client's suite order, ffdhe2048 parameters,
 * the client sending session tickets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/dh.h>

#define HS_BUF 65536   /* each queue's size for one handshake */
#define SRC_SPAN 65600 /* bulk writes stream through this many source bytes */

static void die(const char *what)
{
    fprintf(stderr, "bare_wolfssl: %s\n", what);
    exit(1);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define cpu_ns() clock_ns(CLOCK_THREAD_CPUTIME_ID)
#define mono_ns() clock_ns(CLOCK_MONOTONIC)

static size_t parse_size(const char *s, const char *what)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '-' || *end || v == 0)
        die(what);
    return (size_t)v;
}

/* ---- the transport: a byte queue each way ---- */

struct queue {
    unsigned char *buf;
    size_t head, len, cap;
};

struct end {
    struct queue *in, *out;
};

static int q_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    struct queue *q = ((struct end *)ctx)->out;
    size_t n = q->cap - q->len < (size_t)sz ? q->cap - q->len : (size_t)sz;
    if (n == 0)
        return WOLFSSL_CBIO_ERR_WANT_WRITE;
    size_t tail = (q->head + q->len) % q->cap;
    size_t first = q->cap - tail < n ? q->cap - tail : n;
    memcpy(q->buf + tail, buf, first);
    memcpy(q->buf, buf + first, n - first);
    q->len += n;
    return (int)n;
}

static int q_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    struct queue *q = ((struct end *)ctx)->in;
    size_t n = q->len < (size_t)sz ? q->len : (size_t)sz;
    if (n == 0)
        return WOLFSSL_CBIO_ERR_WANT_READ;
    size_t first = q->cap - q->head < n ? q->cap - q->head : n;
    memcpy(buf, q->buf + q->head, first);
    memcpy(buf + first, q->buf, n - first);
    q->head = (q->head + n) % q->cap;
    q->len -= n;
    return (int)n;
}

/* ---- configurations ---- */

/* wolfSSL_get_cipher_suite_from_name takes its own names only: the IANA name is
 * found among its suites by their IANA names. */
static void iana_suite(const char *name, unsigned char *b0, unsigned char *b1)
{
    static char names[16384];
    char *save = NULL;
    if (wolfSSL_get_ciphers(names, (int)sizeof(names)) != WOLFSSL_SUCCESS)
        die("wolfSSL_get_ciphers");
    for (char *n = strtok_r(names, ":", &save); n; n = strtok_r(NULL, ":", &save)) {
        int flags = 0;
        if (wolfSSL_get_cipher_suite_from_name(n, b0, b1, &flags) == 0 &&
            strcmp(wolfSSL_get_cipher_name_iana_from_suite(*b0, *b1), name) == 0)
            return;
    }
    die("unknown suite");
}

static void restrict_ctx(WOLFSSL_CTX *ctx, int version, const char *suite)
{
    wolfSSL_CTX_SetIORecv(ctx, q_recv);
    wolfSSL_CTX_SetIOSend(ctx, q_send);
    if (wolfSSL_CTX_set_min_proto_version(ctx, version) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_max_proto_version(ctx, version) != WOLFSSL_SUCCESS)
        die("setting the version");
    if (suite) {
        unsigned char bytes[2];
        iana_suite(suite, &bytes[0], &bytes[1]);
        if (wolfSSL_CTX_set_cipher_list_bytes(ctx, bytes, 2) != WOLFSSL_SUCCESS)
            die("setting the suite");
    }
    wolfSSL_CTX_set_mode(ctx,
                         SSL_MODE_ENABLE_PARTIAL_WRITE | WOLFSSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    wolfSSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
}

static WOLFSSL_CTX *server_ctx(const char *pki, const char *cert, int version, const char *suite)
{
    char chain[4096], key[4096];
    snprintf(chain, sizeof(chain), "%s/%s.chain.pem", pki, cert);
    snprintf(key, sizeof(key), "%s/%s.key.pem", pki, cert);
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (!ctx || wolfSSL_CTX_use_certificate_chain_file(ctx, chain) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_use_PrivateKey_file(ctx, key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
        die("server certificate or key");
    restrict_ctx(ctx, version, suite);
    const DhParams *dh = wc_Dh_ffdhe2048_Get();
    if (wolfSSL_CTX_UseClientSuites(ctx) < 0 ||
        wolfSSL_CTX_SetTmpDH(ctx, dh->p, (int)dh->p_len, dh->g, (int)dh->g_len) != WOLFSSL_SUCCESS)
        die("server settings");
    return ctx;
}

static WOLFSSL_CTX *client_ctx(const char *pki, int version, const char *suite)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/root.pem", pki);
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_client_method());
    if (!ctx || wolfSSL_CTX_load_verify_locations(ctx, root, NULL) != WOLFSSL_SUCCESS)
        die("client trust anchors");
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    restrict_ctx(ctx, version, suite);
    if (wolfSSL_CTX_UseSessionTicket(ctx) != WOLFSSL_SUCCESS)
        die("session tickets");
    return ctx;
}

/* ---- a client and a server over fresh queues ---- */

struct pair {
    WOLFSSL *c, *s;
    struct queue c2s, s2c;
    struct end ce, se;
    uint64_t c_ns, s_ns; /* wall ns spent in the client's / server's calls */
};

static void pair_new(struct pair *p, WOLFSSL_CTX *cctx, WOLFSSL_CTX *sctx, size_t buf,
                     WOLFSSL_SESSION *sess)
{
    p->c2s = (struct queue){.buf = malloc(buf), .cap = buf};
    p->s2c = (struct queue){.buf = malloc(buf), .cap = buf};
    if (!p->c2s.buf || !p->s2c.buf)
        die("out of memory");
    p->ce = (struct end){.in = &p->s2c, .out = &p->c2s};
    p->se = (struct end){.in = &p->c2s, .out = &p->s2c};
    uint64_t t0 = mono_ns();
    p->c = wolfSSL_new(cctx);
    if (!p->c || wolfSSL_UseSNI(p->c, WOLFSSL_SNI_HOST_NAME, "localhost", 9) != WOLFSSL_SUCCESS ||
        wolfSSL_check_domain_name(p->c, "localhost") != WOLFSSL_SUCCESS ||
        (sess && wolfSSL_set_session(p->c, sess) != WOLFSSL_SUCCESS))
        die("client SSL");
    wolfSSL_SetIOReadCtx(p->c, &p->ce);
    wolfSSL_SetIOWriteCtx(p->c, &p->ce);
    uint64_t t1 = mono_ns();
    p->s = wolfSSL_new(sctx);
    if (!p->s)
        die("server SSL");
    wolfSSL_SetIOReadCtx(p->s, &p->se);
    wolfSSL_SetIOWriteCtx(p->s, &p->se);
    p->c_ns += t1 - t0;
    p->s_ns += mono_ns() - t1;
}

/* One handshake step of one side; 1 when that side is done. */
static int step(WOLFSSL *ssl, int server, uint64_t *ns)
{
    uint64_t t0 = mono_ns();
    int r = server ? wolfSSL_accept(ssl) : wolfSSL_connect(ssl);
    *ns += mono_ns() - t0;
    if (r == WOLFSSL_SUCCESS)
        return 1;
    int e = wolfSSL_get_error(ssl, r);
    if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE)
        die("handshake failed");
    return 0;
}

static void pair_handshake(struct pair *p)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 64 && !(cdone && sdone); i++) {
        cdone = cdone || step(p->c, 0, &p->c_ns);
        sdone = sdone || step(p->s, 1, &p->s_ns);
    }
    if (!cdone || !sdone)
        die("handshake did not complete");
}

static void pair_free(struct pair *p)
{
    uint64_t t0 = mono_ns();
    wolfSSL_free(p->c);
    uint64_t t1 = mono_ns();
    wolfSSL_free(p->s);
    p->c_ns += t1 - t0;
    p->s_ns += mono_ns() - t1;
    free(p->c2s.buf);
    free(p->s2c.buf);
}

/* ---- bulk ---- */

struct sender {
    const unsigned char *src;
    size_t ws;
    uint64_t off;
};

static void write_batch(WOLFSSL *c, struct sender *w, size_t len)
{
    for (size_t done = 0; done < len;) {
        size_t want = len - done < w->ws ? len - done : w->ws;
        int n = wolfSSL_write(c, w->src + w->off % SRC_SPAN, (int)want);
        if (n <= 0)
            die("wolfSSL_write (transport buffer too small?)");
        done += (size_t)n;
        w->off += (size_t)n;
    }
}

static void read_batch(WOLFSSL *s, unsigned char *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        int n = wolfSSL_read(s, buf + got, (int)(len - got));
        if (n <= 0)
            die("wolfSSL_read: batch incomplete");
        got += (size_t)n;
    }
}

static void bulk_rep(struct pair *p, struct sender *w, size_t batch, size_t bytes,
                     unsigned char *buf, int print)
{
    uint64_t send = 0, recv = 0;
    uint64_t cpu0 = cpu_ns(), w0 = mono_ns();
    for (size_t moved = 0, n; moved < bytes; moved += n) {
        n = bytes - moved < batch ? bytes - moved : batch;
        uint64_t t0 = mono_ns();
        write_batch(p->c, w, n);
        uint64_t t1 = mono_ns();
        read_batch(p->s, buf, n);
        uint64_t t2 = mono_ns();
        send += t1 - t0;
        recv += t2 - t1;
    }
    double cpu = (double)(cpu_ns() - cpu0), wall = (double)(mono_ns() - w0);
    if (print)
        printf("{\"kind\":\"bulk\",\"send_ns_per_byte\":%.4f,\"recv_ns_per_byte\":%.4f,"
               "\"throughput_mib_s\":%.1f}\n",
               cpu * ((double)send / wall) / (double)bytes,
               cpu * ((double)recv / wall) / (double)bytes,
               (double)bytes / 1048576.0 / ((double)(send + recv) / 1e9));
}

static int parse_version(const char *v)
{
    if (!strcmp(v, "1.2"))
        return 0x0303;
    if (!strcmp(v, "1.3"))
        return 0x0304;
    die("VERSION must be 1.2 or 1.3");
    return 0;
}

static void bulk(char **argv)
{
    const char *pki = argv[0], *suite = argv[1];
    int version = parse_version(argv[2]);
    size_t ws = parse_size(argv[3], "bad WRITE_SIZE"), bytes = parse_size(argv[4], "bad BYTES");
    size_t reps = parse_size(argv[5], "bad REPS");
    size_t batch = ws * ((65536 + ws - 1) / ws);
    size_t rec = ws < 16384 ? ws : 16384, cap = batch * 2;
    if (batch + (batch / rec + 1) * 256 > cap)
        cap = batch + (batch / rec + 1) * 256;
    struct pair p = {0};
    WOLFSSL_CTX *cctx = client_ctx(pki, version, suite);
    WOLFSSL_CTX *sctx = server_ctx(pki, "rsa2048", version, suite);
    pair_new(&p, cctx, sctx, cap, NULL);
    pair_handshake(&p);
    unsigned char b0, b1;
    int id = wolfSSL_get_current_cipher_suite(p.c) & 0xffff;
    iana_suite(suite, &b0, &b1);
    if (id != (b0 << 8 | b1) || wolfSSL_version(p.c) != version)
        die("negotiated something else than asked");
    unsigned char *src = malloc(SRC_SPAN + ws), *buf = malloc(batch);
    if (!src || !buf)
        die("out of memory");
    for (size_t i = 0; i < SRC_SPAN + ws; i++)
        src[i] = (unsigned char)(i * 131u + 7u);
    struct sender w = {src, ws, 0};
    for (size_t i = 0; i <= reps; i++)
        bulk_rep(&p, &w, batch, bytes, buf, i > 0);
    pair_free(&p);
    free(src);
    free(buf);
    wolfSSL_CTX_free(cctx);
    wolfSSL_CTX_free(sctx);
}

/* ---- handshake ---- */

/* A session from a primed connection; TLS 1.3 tickets arrive after the handshake,
 * so the server sends a few bytes and the client reads them. A copy: the
 * connection's own session goes with it. */
static WOLFSSL_SESSION *prime(WOLFSSL_CTX *cctx, WOLFSSL_CTX *sctx)
{
    struct pair p = {0};
    unsigned char b[4];
    pair_new(&p, cctx, sctx, HS_BUF, NULL);
    pair_handshake(&p);
    if (wolfSSL_write(p.s, "ping", 4) != 4 || wolfSSL_read(p.c, b, sizeof(b)) != 4)
        die("priming data");
    WOLFSSL_SESSION *sess = wolfSSL_SESSION_dup(wolfSSL_get_session(p.c));
    if (!sess || wolfSSL_SESSION_is_resumable(sess) != 1)
        die("no resumable session after priming");
    pair_free(&p);
    return sess;
}

static void handshake_rep(WOLFSSL_CTX *cctx, WOLFSSL_CTX *sctx, WOLFSSL_SESSION *sess, size_t count,
                          int print)
{
    struct pair p = {0};
    uint64_t cpu0 = cpu_ns(), w0 = mono_ns(), c_ns = 0, s_ns = 0;
    for (size_t i = 0; i < count; i++) {
        p.c_ns = p.s_ns = 0;
        pair_new(&p, cctx, sctx, HS_BUF, sess);
        pair_handshake(&p);
        if ((wolfSSL_session_reused(p.c) == 1) != (sess != NULL) ||
            (wolfSSL_session_reused(p.s) == 1) != (sess != NULL))
            die(sess ? "a handshake did not resume" : "a handshake resumed");
        pair_free(&p);
        c_ns += p.c_ns;
        s_ns += p.s_ns;
    }
    double cpu = (double)(cpu_ns() - cpu0), wall = (double)(mono_ns() - w0);
    if (print)
        printf("{\"kind\":\"handshake\",\"handshakes_per_s\":%.1f,"
               "\"client_us_per_handshake\":%.2f,\"server_us_per_handshake\":%.2f}\n",
               (double)count / (wall / 1e9), cpu * ((double)c_ns / wall) / (double)count / 1e3,
               cpu * ((double)s_ns / wall) / (double)count / 1e3);
}

static void handshake(char **argv)
{
    const char *pki = argv[0], *cert = argv[1], *resume = argv[2];
    size_t count = parse_size(argv[3], "bad COUNT"), reps = parse_size(argv[4], "bad REPS");
    if (strcmp(cert, "rsa2048") != 0 && strcmp(cert, "ecdsa-p256") != 0)
        die("CERT must be rsa2048 or ecdsa-p256");
    if (strcmp(resume, "none") != 0 && strcmp(resume, "ticket") != 0)
        die("RESUME must be none or ticket");
    WOLFSSL_CTX *cctx = client_ctx(pki, 0x0304, NULL);
    WOLFSSL_CTX *sctx = server_ctx(pki, cert, 0x0304, NULL);
    WOLFSSL_SESSION *sess = strcmp(resume, "ticket") == 0 ? prime(cctx, sctx) : NULL;
    for (size_t i = 0; i <= reps; i++)
        handshake_rep(cctx, sctx, sess, count, i > 0);
    wolfSSL_SESSION_free(sess);
    wolfSSL_CTX_free(cctx);
    wolfSSL_CTX_free(sctx);
}

int main(int argc, char **argv)
{
    if (wolfSSL_Init() != WOLFSSL_SUCCESS)
        die("wolfSSL_Init");
    if (argc == 8 && !strcmp(argv[1], "bulk"))
        bulk(argv + 2);
    else if (argc == 7 && !strcmp(argv[1], "handshake"))
        handshake(argv + 2);
    else {
        fprintf(stderr, "usage: bare_wolfssl bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS\n"
                        "       bare_wolfssl handshake PKIDIR CERT RESUME COUNT REPS\n");
        return 1;
    }
    wolfSSL_Cleanup();
    return 0;
}
