/* bare_openssl: the reference loop the harness's OpenSSL figures are compared with.
 * It uses only OpenSSL and libc - none of the harness's code - and does what the
 * harness's bulk and handshake_rate kinds do over the in-memory transport, nothing
 * more: client and server in one thread, over a BIO pair.
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o bare_openssl \
 *       tests/bench/bare_openssl.c -lssl -lcrypto
 *
 *   bare_openssl bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS
 *   bare_openssl handshake PKIDIR CERT RESUME COUNT REPS
 *
 * PKIDIR holds root.pem, NAME.chain.pem and NAME.key.pem (`tlsharness pki DIR`).
 * One JSON line per measured repetition; a warm-up repetition comes first and is
 * not printed. Any failure: a message on stderr and exit 1.
 *
 * Timing, the same method as the harness's. The thread CPU clock is a syscall on
 * some VMs (~1.4 us a read, against ~28 ns for CLOCK_MONOTONIC), so it is read
 * only twice per repetition, at its start and end; the timed sections inside are
 * timed on CLOCK_MONOTONIC, and the thread's CPU time is apportioned among them by
 * their share of the repetition's wall time (preemption is thereby taken out):
 *   cpu  = thread CPU time of the repetition, wall = its monotonic time,
 *   part = cpu * (section_wall / wall).
 * bulk: BYTES client->server in batches of WRITE_SIZE * ceil(65536 / WRITE_SIZE)
 *   bytes (64 KiB for 16 KiB writes). Writes stream through a ~64 KiB source
 *   buffer (the write at stream offset o reads from src + o % 65600); each batch is
 *   written whole (timed: send_wall), then read whole into one BATCH-sized buffer
 *   from offset 0 (timed: recv_wall).
 *     send_ns_per_byte = cpu * (send_wall / wall) / BYTES, recv likewise;
 *     throughput_mib_s = BYTES / (send_wall + recv_wall), in MiB/s.
 * handshake: each side's calls (object creation, each handshake step, free) are
 *   timed and summed per side (cwall, swall).
 *     client_us_per_handshake = cpu * (cwall / wall) / COUNT / 1000, server
 *     likewise with swall; handshakes_per_s = COUNT / wall. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define HS_BUF 65536    /* BIO pair buffer for one handshake */
#define SRC_SPAN 65600  /* bulk writes stream through this many source bytes */

static void die(const char *what)
{
    fprintf(stderr, "bare_openssl: %s\n", what);
    ERR_print_errors_fp(stderr);
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

/* Both ends: one version (0: 1.2-1.3 defaults), one suite (NULL: the default list);
 * partial writes allowed, as the harness's backend sets them. */
static void restrict_ctx(SSL_CTX *ctx, int version, const char *suite)
{
    if (version && (SSL_CTX_set_min_proto_version(ctx, version) != 1 ||
                    SSL_CTX_set_max_proto_version(ctx, version) != 1))
        die("setting the version");
    if (suite && version == TLS1_3_VERSION && SSL_CTX_set_ciphersuites(ctx, suite) != 1)
        die("unknown TLS 1.3 suite");
    if (suite && version != TLS1_3_VERSION &&
        SSL_CTX_set_cipher_list(ctx, OPENSSL_cipher_name(suite)) != 1)
        die("unknown suite");
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

/* The server as the harness configures it: security level 0 (it serves every test
 * certificate), session cache and tickets on. */
static SSL_CTX *server_ctx(const char *pki, const char *cert, int version, const char *suite)
{
    char chain[4096], key[4096];
    snprintf(chain, sizeof(chain), "%s/%s.chain.pem", pki, cert);
    snprintf(key, sizeof(key), "%s/%s.key.pem", pki, cert);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, chain) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        die("server certificate or key");
    SSL_CTX_set_security_level(ctx, 0);
    restrict_ctx(ctx, version, suite);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"bare", 4) != 1)
        die("session id context");
    return ctx;
}

static SSL_CTX *client_ctx(const char *pki, int version, const char *suite)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/root.pem", pki);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, root, NULL) != 1)
        die("client trust anchors");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    restrict_ctx(ctx, version, suite);
    /* as the backend: no client cache, which would make a TLS 1.3 session single-use */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

/* A client and a server joined by a fresh BIO pair; the monotonic time of each
 * side's object set-up, handshake steps and free is added to its own counter. */
struct pair {
    SSL *c, *s;
    uint64_t c_ns, s_ns; /* wall ns spent in the client's / server's calls */
};

static void pair_new(struct pair *p, SSL_CTX *cctx, SSL_CTX *sctx, size_t buf, SSL_SESSION *sess)
{
    BIO *bc, *bs;
    if (BIO_new_bio_pair(&bc, buf, &bs, buf) != 1)
        die("BIO_new_bio_pair");
    uint64_t t0 = mono_ns();
    p->c = SSL_new(cctx);
    if (!p->c || SSL_set1_host(p->c, "localhost") != 1 ||
        SSL_set_tlsext_host_name(p->c, "localhost") != 1 ||
        (sess && SSL_set_session(p->c, sess) != 1))
        die("client SSL");
    SSL_set_bio(p->c, bc, bc);
    SSL_set_connect_state(p->c);
    uint64_t t1 = mono_ns();
    p->s = SSL_new(sctx);
    if (!p->s)
        die("server SSL");
    SSL_set_bio(p->s, bs, bs);
    SSL_set_accept_state(p->s);
    p->c_ns += t1 - t0;
    p->s_ns += mono_ns() - t1;
}

/* One handshake step of one side; 1 when that side is done. */
static int step(SSL *ssl, uint64_t *ns)
{
    uint64_t t0 = mono_ns();
    int r = SSL_do_handshake(ssl);
    *ns += mono_ns() - t0;
    if (r == 1)
        return 1;
    int e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        die("handshake failed");
    return 0;
}

static void pair_handshake(struct pair *p)
{
    int cdone = 0, sdone = 0;
    for (int i = 0; i < 64 && !(cdone && sdone); i++) {
        cdone = cdone || step(p->c, &p->c_ns);
        sdone = sdone || step(p->s, &p->s_ns);
    }
    if (!cdone || !sdone)
        die("handshake did not complete");
}

/* Freed healthy without close_notify, as the harness's backend does: marked
 * shut down so OpenSSL keeps the session resumable. */
static void pair_free(struct pair *p)
{
    uint64_t t0 = mono_ns();
    SSL_set_shutdown(p->c, SSL_SENT_SHUTDOWN);
    SSL_free(p->c);
    uint64_t t1 = mono_ns();
    SSL_set_shutdown(p->s, SSL_SENT_SHUTDOWN);
    SSL_free(p->s);
    p->c_ns += t1 - t0;
    p->s_ns += mono_ns() - t1;
}

/* ---- bulk ---- */

/* The client's side of a bulk run: the source buffer (SRC_SPAN + WRITE_SIZE bytes)
 * and the stream offset, which counts every byte written so far. */
struct sender {
    const unsigned char *src;
    size_t ws;
    uint64_t off;
};

static void write_batch(SSL *c, struct sender *w, size_t len)
{
    for (size_t done = 0, n; done < len; done += n, w->off += n)
        if (SSL_write_ex(c, w->src + w->off % SRC_SPAN, len - done < w->ws ? len - done : w->ws,
                         &n) != 1)
            die("SSL_write_ex (transport buffer too small?)");
}

static void read_batch(SSL *s, unsigned char *buf, size_t len)
{
    for (size_t got = 0, n; got < len; got += n)
        if (SSL_read_ex(s, buf + got, len - got, &n) != 1)
            die("SSL_read_ex: batch incomplete");
}

/* One repetition: BYTES client->server in batches; each batch written whole, then
 * read whole, each timed on the monotonic clock; the thread CPU clock is read only
 * at the repetition's start and end (see the header comment). */
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
        return TLS1_2_VERSION;
    if (!strcmp(v, "1.3"))
        return TLS1_3_VERSION;
    die("VERSION must be 1.2 or 1.3");
    return 0;
}

static void bulk(char **argv)
{
    const char *pki = argv[0], *suite = argv[1];
    int version = parse_version(argv[2]);
    size_t ws = parse_size(argv[3], "bad WRITE_SIZE"), bytes = parse_size(argv[4], "bad BYTES");
    size_t reps = parse_size(argv[5], "bad REPS");
    /* a batch: whole writes, at least 64 KiB */
    size_t batch = ws * ((65536 + ws - 1) / ws);
    /* the transport holds one batch and its record overhead: BATCH * 2, more only
     * when records are so small that their overhead (<= 256 each) could exceed it */
    size_t rec = ws < 16384 ? ws : 16384, cap = batch * 2;
    if (batch + (batch / rec + 1) * 256 > cap)
        cap = batch + (batch / rec + 1) * 256;
    struct pair p = {0};
    SSL_CTX *cctx = client_ctx(pki, version, suite);
    SSL_CTX *sctx = server_ctx(pki, "rsa2048", version, suite);
    pair_new(&p, cctx, sctx, cap, NULL);
    pair_handshake(&p);
    const char *got = SSL_CIPHER_standard_name(SSL_get_current_cipher(p.c));
    if (SSL_version(p.c) != version || !got || strcmp(got, suite) != 0)
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
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* ---- handshake ---- */

/* A session from a primed connection; TLS 1.3 tickets arrive after the handshake,
 * so the server sends a few bytes and the client reads them. */
static SSL_SESSION *prime(SSL_CTX *cctx, SSL_CTX *sctx)
{
    struct pair p = {0};
    unsigned char b[4];
    size_t n;
    pair_new(&p, cctx, sctx, HS_BUF, NULL);
    pair_handshake(&p);
    if (SSL_write_ex(p.s, "ping", 4, &n) != 1 || SSL_read_ex(p.c, b, sizeof(b), &n) != 1)
        die("priming data");
    SSL_SESSION *sess = SSL_get1_session(p.c);
    if (!sess || !SSL_SESSION_is_resumable(sess))
        die("no resumable session after priming");
    pair_free(&p);
    return sess;
}

static void handshake_rep(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *sess, size_t count, int print)
{
    struct pair p = {0};
    uint64_t cpu0 = cpu_ns(), w0 = mono_ns();
    for (size_t i = 0; i < count; i++) {
        pair_new(&p, cctx, sctx, HS_BUF, sess);
        pair_handshake(&p);
        if (SSL_session_reused(p.c) != (sess != NULL) || SSL_session_reused(p.s) != (sess != NULL))
            die(sess ? "a handshake did not resume" : "a handshake resumed");
        pair_free(&p);
    }
    double cpu = (double)(cpu_ns() - cpu0), wall = (double)(mono_ns() - w0);
    if (print)
        printf("{\"kind\":\"handshake\",\"handshakes_per_s\":%.1f,"
               "\"client_us_per_handshake\":%.2f,\"server_us_per_handshake\":%.2f}\n",
               (double)count / (wall / 1e9),
               cpu * ((double)p.c_ns / wall) / (double)count / 1e3,
               cpu * ((double)p.s_ns / wall) / (double)count / 1e3);
}

static void handshake(char **argv)
{
    const char *pki = argv[0], *cert = argv[1], *resume = argv[2];
    size_t count = parse_size(argv[3], "bad COUNT"), reps = parse_size(argv[4], "bad REPS");
    if (strcmp(cert, "rsa2048") != 0 && strcmp(cert, "ecdsa-p256") != 0)
        die("CERT must be rsa2048 or ecdsa-p256");
    if (strcmp(resume, "none") != 0 && strcmp(resume, "ticket") != 0)
        die("RESUME must be none or ticket");
    SSL_CTX *cctx = client_ctx(pki, TLS1_3_VERSION, NULL);
    SSL_CTX *sctx = server_ctx(pki, cert, TLS1_3_VERSION, NULL);
    SSL_SESSION *sess = strcmp(resume, "ticket") == 0 ? prime(cctx, sctx) : NULL;
    for (size_t i = 0; i <= reps; i++)
        handshake_rep(cctx, sctx, sess, count, i > 0);
    SSL_SESSION_free(sess);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(int argc, char **argv)
{
    if (argc == 8 && !strcmp(argv[1], "bulk"))
        bulk(argv + 2);
    else if (argc == 7 && !strcmp(argv[1], "handshake"))
        handshake(argv + 2);
    else {
        fprintf(stderr, "usage: bare_openssl bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS\n"
                        "       bare_openssl handshake PKIDIR CERT RESUME COUNT REPS\n");
        return 1;
    }
    return 0;
}
