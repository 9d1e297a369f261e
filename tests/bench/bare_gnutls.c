/* bare_gnutls: the reference loop for the harness's GnuTLS figures. GnuTLS and libc
 * only, no harness code: a client and a server session in one thread over two
 * in-memory byte queues, doing what a bulk or handshake_rate case does and no more.
 *
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o bare_gnutls tests/bench/bare_gnutls.c \
 *      $(pkg-config --cflags --libs gnutls)
 *
 *   bare_gnutls bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS
 *   bare_gnutls handshake PKIDIR CERT RESUME COUNT REPS
 *
 * PKIDIR is `tlsharness pki DIR`'s output; bulk serves rsa2048 (the harness's
 * default). One JSON line per measured repetition (a warm-up repetition runs
 * first, unreported). Any failure: stderr, exit 1.
 *
 * Timing, as the harness's: the thread CPU clock is a syscall here (~1.4 us a
 * read) and CLOCK_MONOTONIC is not (~28 ns), so the thread CPU clock is read only
 * twice per repetition (cpu) and every timed section is timed with the monotonic
 * clock, as is the whole repetition (wall). A side's figure is the repetition's
 * thread CPU apportioned by its sections' share of the wall time,
 * cpu * (section_wall / wall), which takes preemption out.
 *
 * bulk: batches of BATCH = WRITE_SIZE * ceil(65536 / WRITE_SIZE) bytes. The
 * client's write at stream offset o (all bytes written so far) reads from
 * src + o % 65600 of a 65600 + WRITE_SIZE byte buffer, so the sender streams
 * through ~64 KiB; the server reads each batch into one BATCH byte buffer from
 * its start. Monotonic reads bracket each batch's writes (send_wall) and each
 * batch's reads (recv_wall). send_ns_per_byte = cpu * (send_wall / wall) / BYTES,
 * recv_ns_per_byte likewise with recv_wall, throughput_mib_s = BYTES /
 * (send_wall + recv_wall) in MiB/s.
 *
 * handshake: each side's calls (session creation, each handshake step, deinit)
 * are summed per side (cwall, swall). client_us_per_handshake =
 * cpu * (cwall / wall) / COUNT / 1000, server likewise with swall;
 * handshakes_per_s = COUNT / wall. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#define SRC_SPAN 65600 /* the sender's offsets wrap here: ~64 KiB streamed through */

struct queue {
    unsigned char *buf;
    size_t cap, head, tail;
};

struct end {
    gnutls_session_t s;
    struct queue *in, *out;
};

static gnutls_certificate_credentials_t ccred, scred;
static gnutls_datum_t ticket_key;
static gnutls_priority_t prio; /* parsed once, as the harness does per context */

static _Noreturn void die(const char *what, int ret)
{
    fprintf(stderr, "bare_gnutls: %s: %s\n", what, ret ? gnutls_strerror(ret) : "failed");
    exit(1);
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#define CPU_NS() clock_ns(CLOCK_THREAD_CPUTIME_ID)
#define WALL_NS() clock_ns(CLOCK_MONOTONIC)
/* Run stmt, adding the monotonic time it took to acc. */
#define TIMED(acc, stmt)                                                                           \
    do {                                                                                           \
        uint64_t t_ = WALL_NS();                                                                   \
        stmt;                                                                                      \
        (acc) += WALL_NS() - t_;                                                                   \
    } while (0)

static ssize_t q_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
    struct queue *q = ((struct end *)p)->out;
    if (q->tail + len > q->cap) {
        memmove(q->buf, q->buf + q->head, q->tail - q->head);
        q->tail -= q->head;
        q->head = 0;
        while (q->tail + len > q->cap)
            q->cap = q->cap ? 2 * q->cap : 65536;
        if (!(q->buf = realloc(q->buf, q->cap)))
            die("realloc", 0);
    }
    memcpy(q->buf + q->tail, data, len);
    q->tail += len;
    return (ssize_t)len;
}

static ssize_t q_pull(gnutls_transport_ptr_t p, void *data, size_t len)
{
    struct end *e = p;
    size_t n = e->in->tail - e->in->head < len ? e->in->tail - e->in->head : len;
    if (n == 0) {
        gnutls_transport_set_errno(e->s, EAGAIN);
        return -1;
    }
    memcpy(data, e->in->buf + e->in->head, n);
    e->in->head += n; /* q_push compacts */
    return (ssize_t)n;
}

/* Credentials, ticket key and priorities: once, as the harness's contexts. */
static void setup(const char *dir, const char *cert, const char *priority)
{
    char chain[512], key[512], root[512];
    snprintf(chain, sizeof(chain), "%s/%s.chain.pem", dir, cert);
    snprintf(key, sizeof(key), "%s/%s.key.pem", dir, cert);
    snprintf(root, sizeof(root), "%s/root.pem", dir);
    int ret;
    if ((ret = gnutls_certificate_allocate_credentials(&ccred)) < 0 ||
        (ret = gnutls_certificate_allocate_credentials(&scred)) < 0 ||
        (ret = gnutls_session_ticket_key_generate(&ticket_key)) < 0 ||
        (ret = gnutls_priority_init(&prio, priority, NULL)) < 0)
        die(priority, ret);
    if ((ret = gnutls_certificate_set_x509_trust_file(ccred, root, GNUTLS_X509_FMT_PEM)) <= 0)
        die(root, ret);
    ret = gnutls_certificate_set_x509_key_file2(scred, chain, key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (ret < 0)
        die(chain, ret);
}

/* A session of either role on its queues; the client verifies "localhost". */
static void end_init(struct end *e, unsigned role, struct queue *in, struct queue *out,
                     const gnutls_datum_t *resume)
{
    int ret;
    e->in = in;
    e->out = out;
    if ((ret = gnutls_init(&e->s, role)) < 0 || (ret = gnutls_priority_set(e->s, prio)) < 0)
        die("session", ret);
    ret =
        gnutls_credentials_set(e->s, GNUTLS_CRD_CERTIFICATE, role == GNUTLS_CLIENT ? ccred : scred);
    if (ret >= 0 && role == GNUTLS_CLIENT) {
        gnutls_session_set_verify_cert(e->s, "localhost", 0);
        ret = gnutls_server_name_set(e->s, GNUTLS_NAME_DNS, "localhost", 9);
        if (ret >= 0 && resume)
            ret = gnutls_session_set_data(e->s, resume->data, resume->size);
    } else if (ret >= 0) {
        ret = gnutls_session_ticket_enable_server(e->s, &ticket_key);
    }
    if (ret < 0)
        die("session setup", ret);
    gnutls_transport_set_ptr(e->s, e);
    gnutls_transport_set_push_function(e->s, q_push);
    gnutls_transport_set_pull_function(e->s, q_pull);
}

#define FATAL(r) ((r) < 0 && (r) != GNUTLS_E_AGAIN)

/* Alternate the two sides' handshake calls; each side's monotonic time accumulates. */
static void handshake(struct end *c, struct end *s, uint64_t *cwall, uint64_t *swall)
{
    int cr = GNUTLS_E_AGAIN, sr = GNUTLS_E_AGAIN;
    for (int i = 0; i < 32 && (cr || sr); i++) {
        if (cr)
            TIMED(*cwall, cr = gnutls_handshake(c->s));
        if (sr)
            TIMED(*swall, sr = gnutls_handshake(s->s));
        if (FATAL(cr) || FATAL(sr))
            die("handshake", FATAL(cr) ? cr : sr);
    }
    if (cr || sr)
        die("handshake did not finish", 0);
}

/* Read len bytes into buf from its start (buf holds len). */
static void recv_exact(struct end *e, unsigned char *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = gnutls_record_recv(e->s, buf + got, len - got);
        if (n == 0 || FATAL(n) || (n < 0 && e->in->head == e->in->tail)) /* or never comes */
            die("recv", n ? (int)n : GNUTLS_E_PREMATURE_TERMINATION);
        got += n > 0 ? (size_t)n : 0;
    }
}

/* Write len bytes in writes of up to write_size; with a non-NULL *pos, the write at
 * stream offset *pos reads from src + *pos % SRC_SPAN (src holds SRC_SPAN +
 * write_size bytes), else every write reads from src. */
static void send_all(struct end *e, const unsigned char *src, uint64_t *pos, size_t write_size,
                     size_t len)
{
    for (size_t off = 0; off < len;) {
        const unsigned char *p = pos ? src + *pos % SRC_SPAN : src;
        ssize_t n = gnutls_record_send(e->s, p, len - off < write_size ? len - off : write_size);
        if (n < 0)
            die("send", (int)n);
        off += (size_t)n;
        if (pos)
            *pos += (uint64_t)n;
    }
}

/* IANA name -> what a priority string names; a few suites suffice here. */
static const struct {
    const char *iana, *algs;
} suites[] = {
    {"TLS_AES_128_GCM_SHA256", "+AES-128-GCM:+AEAD"},
    {"TLS_AES_256_GCM_SHA384", "+AES-256-GCM:+AEAD"},
    {"TLS_CHACHA20_POLY1305_SHA256", "+CHACHA20-POLY1305:+AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "+ECDHE-RSA:+AES-128-GCM:+AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "+ECDHE-RSA:+AES-128-CBC:+SHA256"},
};

static const char *suite_prio(const char *suite, const char *version)
{
    static char buf[256];
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (!strcmp(suites[i].iana, suite)) {
            snprintf(buf, sizeof(buf),
                     "NORMAL:-VERS-ALL:+VERS-TLS%s:-KX-ALL:-CIPHER-ALL:-MAC-ALL:%s", version,
                     suites[i].algs);
            return buf;
        }
    die(suite, GNUTLS_E_UNKNOWN_CIPHER_SUITE);
}

static void bulk(const char *suite, const char *version, size_t wsize, uint64_t bytes, int reps)
{
    struct queue c2s = {0}, s2c = {0};
    struct end c, s;
    uint64_t cns = 0, sns = 0;
    end_init(&c, GNUTLS_CLIENT, &s2c, &c2s, NULL);
    end_init(&s, GNUTLS_SERVER, &c2s, &s2c, NULL);
    handshake(&c, &s, &cns, &sns);
    const char *got = gnutls_ciphersuite_get(c.s);
    if (!got || strcmp(got, suite) ||
        strcmp(gnutls_protocol_get_name(gnutls_protocol_get_version(c.s)) + 3, version))
        die("negotiated something else", 0);
    size_t batch = wsize * ((65536 + wsize - 1) / wsize);
    unsigned char *src = malloc(SRC_SPAN + wsize), *dst = malloc(batch);
    if (!src || !dst)
        die("malloc", 0);
    for (size_t i = 0; i < SRC_SPAN + wsize; i++)
        src[i] = (unsigned char)(i * 131 + 7);
    /* The queues hold one batch plus record overhead (s2c may still hold the TLS 1.3
     * server's unread tickets: kept, compacted). */
    struct queue *qs[2] = {&c2s, &s2c};
    for (int i = 0; i < 2; i++) {
        struct queue *q = qs[i];
        memmove(q->buf, q->buf + q->head, q->tail - q->head);
        q->tail -= q->head;
        q->head = 0;
        if (q->cap < batch * 2 && !(q->buf = realloc(q->buf, q->cap = batch * 2)))
            die("realloc", 0);
    }
    uint64_t pos = 0; /* the client's stream offset */
    for (int rep = -1; rep < reps; rep++) {
        uint64_t send_wall = 0, recv_wall = 0;
        uint64_t cpu0 = CPU_NS(), w0 = WALL_NS();
        for (uint64_t off = 0; off < bytes; off += batch) {
            size_t n = bytes - off < batch ? (size_t)(bytes - off) : batch;
            TIMED(send_wall, send_all(&c, src, &pos, wsize, n));
            TIMED(recv_wall, recv_exact(&s, dst, n));
        }
        uint64_t cpu = CPU_NS() - cpu0, wall = WALL_NS() - w0;
        if (rep >= 0)
            printf("{\"kind\":\"bulk\",\"send_ns_per_byte\":%.4f,\"recv_ns_per_byte\":%.4f,"
                   "\"throughput_mib_s\":%.1f}\n",
                   (double)cpu * ((double)send_wall / wall) / bytes,
                   (double)cpu * ((double)recv_wall / wall) / bytes,
                   bytes / 1048576.0 / ((send_wall + recv_wall) / 1e9));
    }
    free(src);
    free(dst);
    free(c2s.buf);
    free(s2c.buf);
}

/* New sessions and queues, one handshake, both sides timed (monotonic) from init to
 * deinit. */
static int one_handshake(const gnutls_datum_t *resume, uint64_t *cns, uint64_t *sns,
                         gnutls_datum_t *ticket_out)
{
    struct queue c2s = {0}, s2c = {0};
    struct end c, s;
    TIMED(*cns, end_init(&c, GNUTLS_CLIENT, &s2c, &c2s, resume));
    TIMED(*sns, end_init(&s, GNUTLS_SERVER, &c2s, &s2c, NULL));
    handshake(&c, &s, cns, sns);
    int resumed = gnutls_session_is_resumed(c.s) != 0;
    if (resumed != (gnutls_session_is_resumed(s.s) != 0))
        die("client and server disagree on resumption", 0);
    if (ticket_out) { /* priming: data makes the client read the TLS 1.3 ticket */
        unsigned char b[4];
        send_all(&s, (const unsigned char *)"ping", NULL, 4, 4);
        recv_exact(&c, b, 4);
        int ret = gnutls_session_get_data2(c.s, ticket_out);
        if (ret < 0)
            die("session data", ret);
    }
    TIMED(*cns, gnutls_deinit(c.s));
    TIMED(*sns, gnutls_deinit(s.s));
    free(c2s.buf);
    free(s2c.buf);
    return resumed;
}

static void handshakes(const char *resume, unsigned long count, int reps)
{
    int want = !strcmp(resume, "ticket");
    gnutls_datum_t ticket = {NULL, 0};
    uint64_t cns = 0, sns = 0;
    if (!want && strcmp(resume, "none"))
        die(resume, GNUTLS_E_INVALID_REQUEST);
    if (want)
        one_handshake(NULL, &cns, &sns, &ticket);
    for (int rep = -1; rep < reps; rep++) {
        uint64_t cwall = 0, swall = 0;
        uint64_t cpu0 = CPU_NS(), w0 = WALL_NS();
        for (unsigned long i = 0; i < count; i++)
            if (one_handshake(want ? &ticket : NULL, &cwall, &swall, NULL) != want)
                die(want ? "a handshake did not resume" : "a handshake resumed", 0);
        uint64_t cpu = CPU_NS() - cpu0, wall = WALL_NS() - w0;
        if (rep >= 0)
            printf("{\"kind\":\"handshake\",\"handshakes_per_s\":%.1f,"
                   "\"client_us_per_handshake\":%.1f,\"server_us_per_handshake\":%.1f}\n",
                   count / (wall / 1e9), (double)cpu * ((double)cwall / wall) / count / 1e3,
                   (double)cpu * ((double)swall / wall) / count / 1e3);
    }
    gnutls_free(ticket.data);
}

int main(int argc, char **argv)
{
    int bulk_mode = argc == 8 && !strcmp(argv[1], "bulk");
    if (!bulk_mode && !(argc == 7 && !strcmp(argv[1], "handshake"))) {
        fprintf(stderr, "usage: bare_gnutls bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS\n"
                        "       bare_gnutls handshake PKIDIR CERT RESUME COUNT REPS\n");
        return 1;
    }
    if (bulk_mode) {
        size_t wsize = strtoul(argv[5], NULL, 10);
        if (wsize == 0 || strcmp(argv[4], "1.2") * strcmp(argv[4], "1.3") != 0)
            die("WRITE_SIZE or VERSION", GNUTLS_E_INVALID_REQUEST);
        setup(argv[2], "rsa2048", suite_prio(argv[3], argv[4]));
        bulk(argv[3], argv[4], wsize, strtoull(argv[6], NULL, 10), atoi(argv[7]));
    } else {
        setup(argv[2], argv[3], "NORMAL:-VERS-ALL:+VERS-TLS1.3");
        handshakes(argv[4], strtoul(argv[5], NULL, 10), atoi(argv[6]));
    }
    return 0; /* the credentials live as long as the process */
}
