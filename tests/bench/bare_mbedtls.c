/* bare_mbedtls: the reference the harness's mbedTLS figures are compared against.
 * It does what the harness's in-memory bulk and handshake_rate cases do, with
 * mbedTLS 2.28 and libc only: both ends in one thread over two in-memory byte
 * queues.
 *
 * Timing (as the harness's): the thread CPU clock is read only twice a repetition,
 * at its start and end (on a VM it can be a ~1.4 us syscall, CLOCK_MONOTONIC ~28 ns);
 * the timed sections use CLOCK_MONOTONIC. A side's figure is the repetition's thread
 * CPU apportioned by that side's share of the repetition's wall time:
 * cpu * (side_wall / wall), which takes preemption out.
 *   bulk: BYTES in batches of WRITE_SIZE * ceil(65536 / WRITE_SIZE) bytes; the write
 *     at stream offset o reads from src + (o % 65600) (the sender streams through
 *     ~64 KiB), each batch is read into one BATCH-byte buffer from offset 0. Per
 *     batch the whole batch's writes are one timed section (send_wall), its reads
 *     another (recv_wall). send_ns_per_byte = cpu * (send_wall / wall) / BYTES,
 *     recv likewise; throughput_mib_s = BYTES / (send_wall + recv_wall).
 *   handshake: each side's calls (object creation, each handshake step, free) are
 *     timed and summed per side (cwall, swall); client_us_per_handshake =
 *     cpu * (cwall / wall) / COUNT, server likewise; handshakes_per_s = COUNT / wall.
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o bare_mbedtls tests/bench/bare_mbedtls.c \
 *       -lmbedtls -lmbedx509 -lmbedcrypto
 *   bare_mbedtls bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS
 *   bare_mbedtls handshake PKIDIR CERT RESUME COUNT REPS
 *
 * PKIDIR: the harness's test PKI (`tlsharness pki DIR`). One JSON line per measured
 * repetition, after an unreported warm-up one. Any failure: stderr and exit 1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#define BATCH_MIN 65536u /* a batch: WRITE_SIZE * ceil(BATCH_MIN / WRITE_SIZE) bytes */
#define SRC_SPAN 65600u  /* the sender's source: SRC_SPAN + WRITE_SIZE bytes */

static void die(const char *what, int ret)
{
    char text[160] = "";
    if (ret)
        mbedtls_strerror(ret, text, sizeof(text));
    fprintf(stderr, "bare_mbedtls: %s%s%s\n", what, ret ? ": " : "", text);
    exit(1);
}

static void check(int ret, const char *what)
{
    if (ret != 0)
        die(what, ret);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define CPU() clock_ns(CLOCK_THREAD_CPUTIME_ID)
#define WALL() clock_ns(CLOCK_MONOTONIC)

/* ---- configurations: one a side, each with its own entropy and DRBG ---- */

struct side {
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt crt; /* client: root.pem; server: its chain */
    mbedtls_pk_context key;
    mbedtls_ssl_ticket_context ticket;
    mbedtls_ssl_cache_context cache;
    int suites[2];
};

/* TLS 1.2, the one suite, the library's default groups. The server (cert set)
 * issues tickets and keeps a cache; the client verifies against root.pem. */
static void side_init(struct side *s, const char *pki, const char *cert, int suite)
{
    static const unsigned char pers[] = "bare mbedtls";
    char path[4096];
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_entropy_init(&s->entropy);
    mbedtls_ctr_drbg_init(&s->drbg);
    mbedtls_x509_crt_init(&s->crt);
    mbedtls_pk_init(&s->key);
    mbedtls_ssl_ticket_init(&s->ticket);
    mbedtls_ssl_cache_init(&s->cache);
    check(
        mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy, pers, sizeof(pers) - 1),
        "mbedtls_ctr_drbg_seed");
    check(mbedtls_ssl_config_defaults(&s->conf,
                                      cert ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT),
          "mbedtls_ssl_config_defaults");
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
    mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
    s->suites[0] = suite;
    mbedtls_ssl_conf_ciphersuites(&s->conf, s->suites);
    if (!cert) {
        snprintf(path, sizeof(path), "%s/root.pem", pki);
        check(mbedtls_x509_crt_parse_file(&s->crt, path), path);
        mbedtls_ssl_conf_ca_chain(&s->conf, &s->crt, NULL);
        mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_session_tickets(&s->conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s.chain.pem", pki, cert);
    check(mbedtls_x509_crt_parse_file(&s->crt, path), path);
    snprintf(path, sizeof(path), "%s/%s.key.pem", pki, cert);
    check(mbedtls_pk_parse_keyfile(&s->key, path, NULL), path);
    check(mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key), "mbedtls_ssl_conf_own_cert");
    check(mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random, &s->drbg,
                                   MBEDTLS_CIPHER_AES_256_GCM, 86400),
          "mbedtls_ssl_ticket_setup");
    mbedtls_ssl_conf_session_tickets_cb(&s->conf, mbedtls_ssl_ticket_write,
                                        mbedtls_ssl_ticket_parse, &s->ticket);
    mbedtls_ssl_conf_session_cache(&s->conf, &s->cache, mbedtls_ssl_cache_get,
                                   mbedtls_ssl_cache_set);
}

/* ---- one end of a connection, over a byte queue each way ---- */

struct queue {
    unsigned char *buf;
    size_t head, len, cap;
};

/* A server watches its flight up to ChangeCipherSpec: a resumed TLS 1.2
 * handshake sends no Certificate (RFC 5246 7.3). wall: this end's calls
 * (monotonic). */
struct end {
    mbedtls_ssl_context ssl;
    struct queue out, *in;
    int server, ccs, sent_cert;
    uint64_t wall;
};

/* The queue takes everything, so mbedTLS hands over whole records. */
static void watch_flight(struct end *e, const unsigned char *p, size_t n)
{
    for (size_t off = 0; off + 5 <= n && !e->ccs;
         off += 5 + (size_t)(p[off + 3] << 8 | p[off + 4])) {
        e->ccs = p[off] == MBEDTLS_SSL_MSG_CHANGE_CIPHER_SPEC;
        if (p[off] == MBEDTLS_SSL_MSG_HANDSHAKE && off + 5 < n &&
            p[off + 5] == MBEDTLS_SSL_HS_CERTIFICATE)
            e->sent_cert = 1;
    }
}

static int bio_send(void *ctx, const unsigned char *p, size_t n)
{
    struct end *e = ctx;
    struct queue *q = &e->out;
    if (e->server && !e->ccs)
        watch_flight(e, p, n);
    if (q->head + q->len + n > q->cap) {
        if (q->len)
            memmove(q->buf, q->buf + q->head, q->len);
        q->head = 0;
        while (q->len + n > q->cap)
            q->cap = q->cap ? 2 * q->cap : 65536;
        if (!(q->buf = realloc(q->buf, q->cap)))
            die("out of memory", 0);
    }
    memcpy(q->buf + q->head + q->len, p, n);
    q->len += n;
    return (int)n;
}

static int bio_recv(void *ctx, unsigned char *p, size_t n)
{
    struct queue *q = ((struct end *)ctx)->in;
    if (q->len == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    n = n < q->len ? n : q->len;
    memcpy(p, q->buf + q->head, n);
    q->head = q->len == n ? 0 : q->head + n;
    q->len -= n;
    return (int)n;
}

static void end_open(struct end *e, struct side *s, struct end *peer, int server,
                     const mbedtls_ssl_session *resume)
{
    *e = (struct end){.in = &peer->out, .server = server};
    uint64_t t = WALL();
    mbedtls_ssl_init(&e->ssl);
    check(mbedtls_ssl_setup(&e->ssl, &s->conf), "mbedtls_ssl_setup");
    mbedtls_ssl_set_bio(&e->ssl, e, bio_send, bio_recv, NULL);
    if (!server)
        check(mbedtls_ssl_set_hostname(&e->ssl, "localhost"), "mbedtls_ssl_set_hostname");
    if (resume)
        check(mbedtls_ssl_set_session(&e->ssl, resume), "mbedtls_ssl_set_session");
    e->wall += WALL() - t;
}

static void end_close(struct end *e)
{
    uint64_t t = WALL();
    mbedtls_ssl_free(&e->ssl);
    e->wall += WALL() - t;
    free(e->out.buf);
}

/* A new connection, handshaken by alternating the two ends. */
static void pair_connect(struct end *cl, struct end *sv, struct side *cs, struct side *ss,
                         const mbedtls_ssl_session *resume)
{
    end_open(cl, cs, sv, 0, resume);
    end_open(sv, ss, cl, 1, NULL);
    struct end *e[2] = {cl, sv};
    int done[2] = {0, 0};
    for (int round = 0; !(done[0] && done[1]); round++) {
        for (int i = 0; i < 2 && round < 100; i++) {
            uint64_t t = WALL();
            int ret = done[i] ? 0 : mbedtls_ssl_handshake(&e[i]->ssl);
            e[i]->wall += WALL() - t;
            if (ret != 0 && ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
                die(i ? "server handshake" : "client handshake", ret);
            done[i] = ret == 0;
        }
        if (round >= 100)
            die("handshake stalled", 0);
    }
}

/* ---- bulk ---- */

/* One repetition: BYTES client to server in batches; per batch the client writes
 * it all (one timed section), then the server reads it all into rbuf from offset 0
 * (another). *pos: the stream offset, counting every byte written so far. */
static void bulk_rep(struct end *cl, struct end *sv, const unsigned char *src, size_t ws,
                     size_t batch, uint64_t bytes, unsigned char *rbuf, uint64_t *pos,
                     int print)
{
    uint64_t send = 0, recv = 0, cpu0 = CPU(), w0 = WALL();
    for (uint64_t moved = 0; moved < bytes;) {
        size_t n = bytes - moved < batch ? (size_t)(bytes - moved) : batch;
        uint64_t t0 = WALL();
        for (size_t left = n; left;) {
            int ret = mbedtls_ssl_write(&cl->ssl, src + *pos % SRC_SPAN, ws < left ? ws : left);
            if (ret <= 0)
                die("mbedtls_ssl_write", ret);
            left -= (size_t)ret;
            *pos += (uint64_t)ret;
        }
        uint64_t t1 = WALL();
        send += t1 - t0;
        t1 = WALL();
        for (size_t got = 0; got < n;) {
            int ret = mbedtls_ssl_read(&sv->ssl, rbuf + got, n - got);
            if (ret <= 0)
                die("mbedtls_ssl_read: the batch did not arrive", ret);
            got += (size_t)ret;
        }
        recv += WALL() - t1;
        moved += n;
    }
    double cpu = (double)(CPU() - cpu0), wall = (double)(WALL() - w0);
    if (print)
        printf("{\"kind\":\"bulk\",\"send_ns_per_byte\":%.4f,\"recv_ns_per_byte\":%.4f,"
               "\"throughput_mib_s\":%.1f}\n",
               cpu * ((double)send / wall) / (double)bytes,
               cpu * ((double)recv / wall) / (double)bytes,
               (double)bytes / (1 << 20) / ((double)(send + recv) / 1e9));
}

/* av: PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS. IANA suite names are mbedTLS's
 * with '_' for '-'. */
static void bulk(char **av)
{
    if (strcmp(av[2], "1.2") != 0)
        die(strcmp(av[2], "1.3") ? "VERSION must be 1.2" : "mbedTLS 2.28 has no TLS 1.3", 0);
    char name[128];
    snprintf(name, sizeof(name), "%s", av[1]);
    for (char *c = name; *c; c++)
        *c = *c == '_' ? '-' : *c;
    const mbedtls_ssl_ciphersuite_t *info = mbedtls_ssl_ciphersuite_from_string(name);
    long long ws = atoll(av[3]), bytes = atoll(av[4]), reps = atoll(av[5]);
    if (!info || ws <= 0 || bytes <= 0 || reps <= 0)
        die("unknown SUITE, or WRITE_SIZE, BYTES or REPS not positive", 0);
    int ecdsa = mbedtls_ssl_get_ciphersuite_sig_pk_alg(info) == MBEDTLS_PK_ECDSA;
    static struct side cs, ss;
    static struct end cl, sv;
    side_init(&cs, av[0], NULL, info->id);
    side_init(&ss, av[0], ecdsa ? "ecdsa-p256" : "rsa2048", info->id);
    pair_connect(&cl, &sv, &cs, &ss, NULL);
    if (mbedtls_ssl_get_ciphersuite_id(mbedtls_ssl_get_ciphersuite(&cl.ssl)) != info->id ||
        strcmp(mbedtls_ssl_get_version(&cl.ssl), "TLSv1.2") != 0)
        die("negotiated something other than what was asked", 0);
    size_t batch = (size_t)ws * ((BATCH_MIN + (size_t)ws - 1) / (size_t)ws);
    unsigned char *src = malloc(SRC_SPAN + (size_t)ws), *rbuf = malloc(batch);
    if (!src || !rbuf)
        die("out of memory", 0);
    for (size_t i = 0; i < SRC_SPAN + (size_t)ws; i++) /* filled once, never checked */
        src[i] = (unsigned char)(i * 131u + 7u);
    /* The client's queue holds one batch plus record overhead. */
    if (cl.out.cap < 2 * batch) {
        if (cl.out.len && cl.out.head)
            memmove(cl.out.buf, cl.out.buf + cl.out.head, cl.out.len);
        cl.out.head = 0;
        cl.out.cap = 2 * batch;
        if (!(cl.out.buf = realloc(cl.out.buf, cl.out.cap)))
            die("out of memory", 0);
    }
    uint64_t pos = 0;
    for (long long r = 0; r <= reps; r++) /* r 0: the warm-up */
        bulk_rep(&cl, &sv, src, (size_t)ws, batch, (uint64_t)bytes, rbuf, &pos, r > 0);
    end_close(&cl);
    end_close(&sv);
    free(src);
    free(rbuf);
}

/* ---- handshakes ---- */

/* COUNT handshakes on new connections; each must have resumed iff resume. */
static void handshake_rep(struct side *cs, struct side *ss, const mbedtls_ssl_session *resume,
                          long long count, int print)
{
    static struct end cl, sv;
    uint64_t cwall = 0, swall = 0, cpu0 = CPU(), w0 = WALL();
    for (long long i = 0; i < count; i++) {
        pair_connect(&cl, &sv, cs, ss, resume);
        if (sv.sent_cert == (resume != NULL))
            die(resume ? "a handshake did not resume" : "a handshake resumed", 0);
        end_close(&cl);
        end_close(&sv);
        cwall += cl.wall;
        swall += sv.wall;
    }
    double cpu = (double)(CPU() - cpu0), wall = (double)(WALL() - w0);
    if (print)
        printf("{\"kind\":\"handshake\",\"handshakes_per_s\":%.1f,"
               "\"client_us_per_handshake\":%.1f,\"server_us_per_handshake\":%.1f}\n",
               (double)count / (wall / 1e9),
               cpu * ((double)cwall / wall) / (double)count / 1e3,
               cpu * ((double)swall / wall) / (double)count / 1e3);
}

/* av: PKIDIR CERT RESUME COUNT REPS. TLS 1.2 ECDHE with AES-128-GCM. */
static void handshake(char **av)
{
    int ecdsa = strcmp(av[1], "ecdsa-p256") == 0, ticket = strcmp(av[2], "ticket") == 0;
    long long count = atoll(av[3]), reps = atoll(av[4]);
    if ((!ecdsa && strcmp(av[1], "rsa2048")) || (!ticket && strcmp(av[2], "none")) || count <= 0 ||
        reps <= 0)
        die("CERT rsa2048 or ecdsa-p256, RESUME none or ticket, COUNT and REPS positive", 0);
    int suite = ecdsa ? MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                      : MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    static struct side cs, ss;
    static struct end cl, sv;
    side_init(&cs, av[0], NULL, suite);
    side_init(&ss, av[0], av[1], suite);
    mbedtls_ssl_session sess;
    mbedtls_ssl_session_init(&sess);
    if (ticket) { /* the primed connection */
        pair_connect(&cl, &sv, &cs, &ss, NULL);
        check(mbedtls_ssl_get_session(&cl.ssl, &sess), "mbedtls_ssl_get_session");
        if (!sess.ticket)
            die("the primed connection got no ticket", 0);
        end_close(&cl);
        end_close(&sv);
    }
    for (long long r = 0; r <= reps; r++) /* r 0: the warm-up */
        handshake_rep(&cs, &ss, ticket ? &sess : NULL, count, r > 0);
    mbedtls_ssl_session_free(&sess);
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "bulk") == 0)
        bulk(argv + 2);
    else if (argc == 7 && strcmp(argv[1], "handshake") == 0)
        handshake(argv + 2);
    else
        die("usage: bare_mbedtls bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS\n"
            "       bare_mbedtls handshake PKIDIR CERT RESUME COUNT REPS",
            0);
    return 0;
}
