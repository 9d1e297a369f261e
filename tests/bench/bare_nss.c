/* bare_nss: the reference loop the harness's NSS figures are compared with. It uses
 * only NSS, NSPR and libc - none of the harness's code - and does what the harness's
 * bulk and handshake_rate kinds do over the in-memory transport, nothing more: client
 * and server in one thread, each over an NSPR layer reading and writing a pair of
 * byte queues. NSS without a database, as the backend runs it: the server's chain
 * and PKCS#8 key loaded from PEM, the client checking the chain against root.pem
 * (CERT_PKIXVerifyCert with cert_pi_trustAnchors) and the name, sessions as
 * resumption tokens.
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o bare_nss tests/bench/bare_nss.c \
 *       $(pkg-config --cflags --libs nss)
 *
 *   bare_nss bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS
 *   bare_nss handshake PKIDIR CERT RESUME COUNT REPS
 *
 * Output and timing: as bare_openssl.c (one JSON line per measured repetition after
 * a warm-up one; thread CPU time apportioned among the timed sections by their
 * share of the repetition's wall time). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <prio.h>
#include <prnetdb.h>
#include <ssl.h>
#include <sslexp.h>
#include <sslproto.h>

#define SRC_SPAN 65600 /* bulk writes stream through this many source bytes */

static void die(const char *what)
{
    PRErrorCode e = PR_GetError();
    fprintf(stderr, "bare_nss: %s (%s)\n", what, e ? PR_ErrorToName(e) : "-");
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

/* ---- the in-memory channel: two byte queues, one per direction ---- */

struct queue {
    unsigned char *buf;
    size_t cap, head, len;
};

struct end {
    struct queue *in, *out;
};

static PRInt32 q_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags, PRIntervalTime t)
{
    (void)flags, (void)t;
    struct end *e = (struct end *)fd->secret;
    struct queue *q = e->in;
    if (!q->len) {
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    size_t n = (size_t)amount < q->len ? (size_t)amount : q->len;
    size_t first = q->cap - q->head < n ? q->cap - q->head : n;
    memcpy(buf, q->buf + q->head, first);
    memcpy((unsigned char *)buf + first, q->buf, n - first);
    q->head = (q->head + n) % q->cap;
    q->len -= n;
    return (PRInt32)n;
}

static PRInt32 q_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags,
                      PRIntervalTime t)
{
    (void)flags, (void)t;
    struct end *e = (struct end *)fd->secret;
    struct queue *q = e->out;
    size_t room = q->cap - q->len, n = (size_t)amount < room ? (size_t)amount : room;
    if (!n) {
        PR_SetError(PR_WOULD_BLOCK_ERROR, 0);
        return -1;
    }
    size_t tail = (q->head + q->len) % q->cap;
    size_t first = q->cap - tail < n ? q->cap - tail : n;
    memcpy(q->buf + tail, buf, first);
    memcpy(q->buf, (const unsigned char *)buf + first, n - first);
    q->len += n;
    return (PRInt32)n;
}

static PRInt32 q_read(PRFileDesc *fd, void *buf, PRInt32 n)
{
    return q_recv(fd, buf, n, 0, 0);
}

static PRInt32 q_write(PRFileDesc *fd, const void *buf, PRInt32 n)
{
    return q_send(fd, buf, n, 0, 0);
}

static PRStatus q_close(PRFileDesc *fd)
{
    fd->secret = NULL;
    fd->dtor(fd);
    return PR_SUCCESS;
}

static PRStatus q_addr(PRFileDesc *fd, PRNetAddr *a)
{
    (void)fd;
    return PR_InitializeNetAddr(PR_IpAddrLoopback, 443, a);
}

static PRStatus q_getopt(PRFileDesc *fd, PRSocketOptionData *d)
{
    (void)fd;
    if (d->option == PR_SockOpt_Nonblocking)
        d->value.non_blocking = PR_TRUE;
    return PR_SUCCESS;
}

static PRStatus q_ok(PRFileDesc *fd, PRIntn how)
{
    (void)fd, (void)how;
    return PR_SUCCESS;
}

static PRStatus q_setopt(PRFileDesc *fd, const PRSocketOptionData *d)
{
    (void)fd, (void)d;
    return PR_SUCCESS;
}

static PRInt32 q_available(PRFileDesc *fd)
{
    (void)fd;
    return 0;
}

static PRDescIdentity q_identity;
static PRIOMethods q_methods;

static PRFileDesc *q_fd(struct end *e)
{
    if (!q_identity) {
        q_identity = PR_GetUniqueIdentity("bare_nss");
        q_methods = *PR_GetDefaultIOMethods();
        q_methods.file_type = PR_DESC_LAYERED;
        q_methods.close = q_close;
        q_methods.read = q_read;
        q_methods.write = q_write;
        q_methods.recv = q_recv;
        q_methods.send = q_send;
        q_methods.getpeername = q_methods.getsockname = q_addr;
        q_methods.getsocketoption = q_getopt;
        q_methods.setsocketoption = q_setopt;
        q_methods.available = q_available;
        q_methods.shutdown = q_ok;
    }
    PRFileDesc *fd = PR_CreateIOLayerStub(q_identity, &q_methods);
    if (!fd)
        die("PR_CreateIOLayerStub");
    fd->secret = (PRFilePrivate *)e;
    return fd;
}

/* ---- PEM ---- */

static int b64(int c)
{
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(a, c) : NULL;
    return p ? (int)(p - a) : -1;
}

/* The DER of the index-th PEM object labelled `label` in path. */
static SECItem pem_der(const char *path, const char *label, int index)
{
    FILE *f = fopen(path, "rb");
    static char text[1 << 16];
    size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    char begin[64], end[64];
    snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
    snprintf(end, sizeof(end), "-----END %s-----", label);
    const char *p = strstr(text, begin);
    for (int i = 0; p && i < index; i++)
        p = strstr(p + 1, begin);
    const char *stop = p ? strstr(p, end) : NULL;
    if (!stop)
        die(path);
    SECItem out = {siBuffer, malloc((size_t)(stop - p)), 0};
    unsigned acc = 0;
    int bits = 0;
    for (p += strlen(begin); p < stop && *p != '='; p++) {
        int v = b64((unsigned char)*p);
        if (v < 0)
            continue;
        acc = acc << 6 | (unsigned)v;
        if ((bits += 6) >= 8)
            out.data[out.len++] = (unsigned char)(acc >> (bits -= 8));
    }
    return out;
}

static CERTCertificate *pem_cert(const char *path, int index)
{
    SECItem der = pem_der(path, "CERTIFICATE", index);
    CERTCertificate *c =
        CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &der, NULL, PR_FALSE, PR_TRUE);
    free(der.data);
    if (!c)
        die(path);
    return c;
}

/* ---- the two ends ---- */

static CERTCertList *anchors;

/* The backend's check: the chain against root.pem only, then the name. */
static SECStatus auth(void *arg, PRFileDesc *fd, PRBool sig, PRBool server)
{
    (void)arg, (void)sig, (void)server;
    CERTCertificate *leaf = SSL_PeerCertificate(fd);
    PRUint64 none[2] = {CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD,
                        CERT_REV_M_DO_NOT_TEST_USING_THIS_METHOD};
    CERTRevocationFlags rev = {{2, none, 0, NULL, 0}, {2, none, 0, NULL, 0}};
    CERTValInParam in[3];
    in[0].type = cert_pi_revocationFlags;
    in[0].value.pointer.revocation = &rev;
    in[1].type = cert_pi_trustAnchors;
    in[1].value.pointer.chain = anchors;
    in[2].type = cert_pi_end;
    CERTValOutParam out[1];
    out[0].type = cert_po_end;
    SECStatus rv =
        leaf ? CERT_PKIXVerifyCert(leaf, certificateUsageSSLServer, in, out, NULL) : SECFailure;
    if (rv == SECSuccess)
        rv = CERT_VerifyCertName(leaf, "localhost");
    if (leaf)
        CERT_DestroyCertificate(leaf);
    return rv;
}

static void restrict_fd(PRFileDesc *m, PRUint16 version, PRUint16 suite)
{
    SSLVersionRange r = {version ? version : SSL_LIBRARY_VERSION_TLS_1_2,
                         version ? version : SSL_LIBRARY_VERSION_TLS_1_3};
    if (SSL_OptionSet(m, SSL_SECURITY, PR_TRUE) != SECSuccess ||
        SSL_VersionRangeSet(m, &r) != SECSuccess)
        die("version");
    if (!suite)
        return;
    for (PRUint16 i = 0; i < SSL_NumImplementedCiphers; i++)
        if (SSL_CipherPrefSet(m, SSL_ImplementedCiphers[i], SSL_ImplementedCiphers[i] == suite) !=
            SECSuccess)
            die("suite");
}

static struct end model_end;

static PRFileDesc *server_model(const char *pki, const char *cert, PRUint16 v, PRUint16 suite)
{
    char chain[4096], key[4096];
    snprintf(chain, sizeof(chain), "%s/%s.chain.pem", pki, cert);
    snprintf(key, sizeof(key), "%s/%s.key.pem", pki, cert);
    PRFileDesc *m = SSL_ImportFD(NULL, q_fd(&model_end));
    if (!m)
        die("SSL_ImportFD");
    restrict_fd(m, v, suite);
    CERTCertificate *leaf = pem_cert(chain, 0);
    SECItem kder = pem_der(key, "PRIVATE KEY", 0), ider = pem_der(chain, "CERTIFICATE", 1);
    SECItem certs[2] = {leaf->derCert, ider};
    CERTCertificateList list = {certs, 2, NULL};
    SECKEYPrivateKey *k = NULL;
    PK11SlotInfo *slot = PK11_GetInternalSlot();
    if (PK11_ImportDERPrivateKeyInfoAndReturnKey(slot, &kder, NULL, NULL, PR_FALSE, PR_TRUE, KU_ALL,
                                                 &k, NULL) != SECSuccess)
        die("server key");
    SSLExtraServerCertData extra = {.authType = ssl_auth_null, .certChain = &list};
    if (SSL_ConfigServerCert(m, leaf, k, &extra, sizeof(extra)) != SECSuccess ||
        SSL_OptionSet(m, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
        SSL_OptionSet(m, SSL_ENABLE_SESSION_TICKETS, PR_TRUE) != SECSuccess)
        die("server configuration");
    PK11_FreeSlot(slot);
    SECKEY_DestroyPrivateKey(k);
    CERT_DestroyCertificate(leaf);
    free(kder.data);
    free(ider.data);
    return m;
}

static PRFileDesc *client_model(const char *pki, PRUint16 v, PRUint16 suite)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/root.pem", pki);
    anchors = CERT_NewCertList();
    CERT_AddCertToListTail(anchors, pem_cert(root, 0));
    PRFileDesc *m = SSL_ImportFD(NULL, q_fd(&model_end));
    if (!m)
        die("SSL_ImportFD");
    restrict_fd(m, v, suite);
    if (SSL_OptionSet(m, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess)
        die("client configuration");
    return m;
}

/* A client and a server joined by fresh queues; each side's set-up, handshake steps
 * and close are timed on the monotonic clock into its own counter. */
struct pair {
    struct queue c2s, s2c;
    struct end ce, se;
    PRFileDesc *c, *s;
    uint64_t c_ns, s_ns;
    unsigned char *token; /* the client's latest resumption token */
    unsigned token_len;
};

static SECStatus keep_token(PRFileDesc *fd, const PRUint8 *t, unsigned len, void *arg)
{
    (void)fd;
    struct pair *p = arg;
    free(p->token);
    p->token = malloc(len);
    memcpy(p->token, t, len);
    p->token_len = len;
    return SECSuccess;
}

static void pair_new(struct pair *p, PRFileDesc *cm, PRFileDesc *sm, size_t cap,
                     const unsigned char *token, unsigned token_len)
{
    p->c2s = (struct queue){calloc(1, cap), cap, 0, 0};
    p->s2c = (struct queue){calloc(1, cap), cap, 0, 0};
    p->ce = (struct end){&p->s2c, &p->c2s};
    p->se = (struct end){&p->c2s, &p->s2c};
    uint64_t t0 = mono_ns();
    p->c = SSL_ImportFD(cm, q_fd(&p->ce));
    if (!p->c || SSL_AuthCertificateHook(p->c, auth, NULL) != SECSuccess ||
        SSL_SetResumptionTokenCallback(p->c, keep_token, p) != SECSuccess ||
        SSL_SetURL(p->c, "localhost") != SECSuccess || SSL_ResetHandshake(p->c, PR_FALSE))
        die("client socket");
    if (token && SSL_SetResumptionToken(p->c, token, token_len) != SECSuccess)
        die("SSL_SetResumptionToken");
    uint64_t t1 = mono_ns();
    p->s = SSL_ImportFD(sm, q_fd(&p->se));
    if (!p->s || SSL_ResetHandshake(p->s, PR_TRUE) != SECSuccess)
        die("server socket");
    p->c_ns += t1 - t0;
    p->s_ns += mono_ns() - t1;
}

static int step(PRFileDesc *fd, uint64_t *ns)
{
    uint64_t t0 = mono_ns();
    SECStatus rv = SSL_ForceHandshake(fd);
    *ns += mono_ns() - t0;
    if (rv == SECSuccess)
        return 1;
    if (PR_GetError() != PR_WOULD_BLOCK_ERROR)
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

/* Freed without close_notify, as the backend does (its layer sends nothing then). */
static void pair_free(struct pair *p)
{
    p->ce.out = p->se.out = &(struct queue){NULL, 0, 0, 0};
    uint64_t t0 = mono_ns();
    PR_Close(p->c);
    uint64_t t1 = mono_ns();
    PR_Close(p->s);
    p->c_ns += t1 - t0;
    p->s_ns += mono_ns() - t1;
    free(p->c2s.buf);
    free(p->s2c.buf);
}

static int resumed(PRFileDesc *fd)
{
    SSLChannelInfo info;
    if (SSL_GetChannelInfo(fd, &info, sizeof(info)) != SECSuccess)
        die("SSL_GetChannelInfo");
    return info.resumed;
}

/* ---- bulk ---- */

static void write_batch(PRFileDesc *c, const unsigned char *src, size_t ws, uint64_t *off,
                        size_t len)
{
    for (size_t done = 0; done < len;) {
        size_t want = len - done < ws ? len - done : ws;
        PRInt32 n = PR_Write(c, src + *off % SRC_SPAN, (PRInt32)want);
        if (n <= 0)
            die("PR_Write (transport buffer too small?)");
        done += (size_t)n;
        *off += (uint64_t)n;
    }
}

static void read_batch(PRFileDesc *s, unsigned char *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        PRInt32 n = PR_Read(s, buf + got, (PRInt32)(len - got));
        if (n <= 0)
            die("PR_Read: batch incomplete");
        got += (size_t)n;
    }
}

static void bulk_rep(struct pair *p, const unsigned char *src, size_t ws, uint64_t *off,
                     size_t batch, size_t bytes, unsigned char *buf, int print)
{
    uint64_t send = 0, recv = 0;
    uint64_t cpu0 = cpu_ns(), w0 = mono_ns();
    for (size_t moved = 0, n; moved < bytes; moved += n) {
        n = bytes - moved < batch ? bytes - moved : batch;
        uint64_t t0 = mono_ns();
        write_batch(p->c, src, ws, off, n);
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

static PRUint16 parse_version(const char *v)
{
    if (!strcmp(v, "1.2"))
        return SSL_LIBRARY_VERSION_TLS_1_2;
    if (!strcmp(v, "1.3"))
        return SSL_LIBRARY_VERSION_TLS_1_3;
    die("VERSION must be 1.2 or 1.3");
    return 0;
}

/* IANA names of the suites the bench uses. */
static PRUint16 parse_suite(const char *s)
{
    static const struct {
        const char *name;
        PRUint16 id;
    } names[] = {{"TLS_AES_128_GCM_SHA256", 0x1301},
                 {"TLS_AES_256_GCM_SHA384", 0x1302},
                 {"TLS_CHACHA20_POLY1305_SHA256", 0x1303},
                 {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC02F}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i].name, s))
            return names[i].id;
    die("unknown SUITE");
    return 0;
}

static void bulk(char **argv)
{
    const char *pki = argv[0];
    PRUint16 suite = parse_suite(argv[1]), version = parse_version(argv[2]);
    size_t ws = parse_size(argv[3], "bad WRITE_SIZE"), bytes = parse_size(argv[4], "bad BYTES");
    size_t reps = parse_size(argv[5], "bad REPS");
    size_t batch = ws * ((65536 + ws - 1) / ws);
    size_t rec = ws < 16384 ? ws : 16384, cap = batch * 2;
    if (batch + (batch / rec + 1) * 256 > cap)
        cap = batch + (batch / rec + 1) * 256;
    struct pair p = {0};
    PRFileDesc *cm = client_model(pki, version, suite);
    PRFileDesc *sm = server_model(pki, "rsa2048", version, suite);
    pair_new(&p, cm, sm, cap, NULL, 0);
    pair_handshake(&p);
    SSLChannelInfo info;
    if (SSL_GetChannelInfo(p.c, &info, sizeof(info)) != SECSuccess ||
        info.protocolVersion != version || info.cipherSuite != suite)
        die("negotiated something else than asked");
    unsigned char *src = malloc(SRC_SPAN + ws), *buf = malloc(batch);
    if (!src || !buf)
        die("out of memory");
    for (size_t i = 0; i < SRC_SPAN + ws; i++)
        src[i] = (unsigned char)(i * 131u + 7u);
    uint64_t off = 0;
    for (size_t i = 0; i <= reps; i++)
        bulk_rep(&p, src, ws, &off, batch, bytes, buf, i > 0);
    pair_free(&p);
    free(p.token);
    free(src);
    free(buf);
    PR_Close(cm);
    PR_Close(sm);
}

/* ---- handshake ---- */

/* A token from a primed connection: TLS 1.3 tickets arrive after the handshake. */
static void prime(PRFileDesc *cm, PRFileDesc *sm, unsigned char **token, unsigned *len)
{
    struct pair p = {0};
    unsigned char b[4];
    pair_new(&p, cm, sm, 65536, NULL, 0);
    pair_handshake(&p);
    if (PR_Write(p.s, "ping", 4) != 4 || PR_Read(p.c, b, sizeof(b)) != 4 || !p.token)
        die("no resumption token after priming");
    *token = p.token;
    *len = p.token_len;
    pair_free(&p);
}

static void handshake_rep(PRFileDesc *cm, PRFileDesc *sm, const unsigned char *token, unsigned len,
                          size_t count, int print)
{
    struct pair p = {0};
    uint64_t cpu0 = cpu_ns(), w0 = mono_ns();
    for (size_t i = 0; i < count; i++) {
        pair_new(&p, cm, sm, 65536, token, len);
        pair_handshake(&p);
        if (resumed(p.c) != (token != NULL) || resumed(p.s) != (token != NULL))
            die(token ? "a handshake did not resume" : "a handshake resumed");
        pair_free(&p);
        free(p.token);
        p.token = NULL;
    }
    double cpu = (double)(cpu_ns() - cpu0), wall = (double)(mono_ns() - w0);
    if (print)
        printf("{\"kind\":\"handshake\",\"handshakes_per_s\":%.1f,"
               "\"client_us_per_handshake\":%.2f,\"server_us_per_handshake\":%.2f}\n",
               (double)count / (wall / 1e9), cpu * ((double)p.c_ns / wall) / (double)count / 1e3,
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
    PRFileDesc *cm = client_model(pki, SSL_LIBRARY_VERSION_TLS_1_3, 0);
    PRFileDesc *sm = server_model(pki, cert, SSL_LIBRARY_VERSION_TLS_1_3, 0);
    unsigned char *token = NULL;
    unsigned len = 0;
    if (!strcmp(resume, "ticket"))
        prime(cm, sm, &token, &len);
    for (size_t i = 0; i <= reps; i++)
        handshake_rep(cm, sm, token, len, count, i > 0);
    free(token);
    PR_Close(cm);
    PR_Close(sm);
}

int main(int argc, char **argv)
{
    if (NSS_NoDB_Init(NULL) != SECSuccess || NSS_SetDomesticPolicy() != SECSuccess ||
        SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess)
        die("NSS initialisation");
    if (argc == 8 && !strcmp(argv[1], "bulk"))
        bulk(argv + 2);
    else if (argc == 7 && !strcmp(argv[1], "handshake"))
        handshake(argv + 2);
    else {
        fprintf(stderr, "usage: bare_nss bulk PKIDIR SUITE VERSION WRITE_SIZE BYTES REPS\n"
                        "       bare_nss handshake PKIDIR CERT RESUME COUNT REPS\n");
        return 1;
    }
    return 0;
}
