/* `tlsharness probe URL` (probe.h): the command, its options and URL, one
 * connection's steps timed, each client backend's verdict on the chain, and the
 * report put together. The enumeration (versions, suites, server order, groups) is
 * probe_enum.c's; every handshake of either runs through th_probe_handshake here, on
 * a connection of its own driven over the backend seam, bounded by --timeout and the
 * whole probe by PROBE_BUDGET_S. The report is built as JSON first; probe_report.c
 * prints the text people read from that JSON, so both always say the same, and reads
 * the certificate chain into it. */
#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness/vocab/iana.h"
#include "harness/run/transport.h"
#include "probe_int.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

#define SCHEMA "tlsharness.probe/1"
#define DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"
#define DEFAULT_TIMEOUT_S 10.0
/* The whole probe's bound: a server that answers slowly but does answer still ends. */
#define PROBE_BUDGET_S 300.0
#define STATUS_MAX 4096
#define MODERN_VERSIONS (TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13))

const uint16_t th_probe_versions[TH_PROBE_N_VERSIONS] = {TH_TLS10, TH_TLS11, TH_TLS12, TH_TLS13};

/* ---- the URL ---- */

TH_PRINTF(3, 4) static int url_fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_ip_literal(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ":PORT" after the host: 1 to 65535, decimal digits only. */
static int parse_port(const char *s, size_t len, uint16_t *port, char *err, size_t cap)
{
    unsigned long v = 0;
    int good = len >= 1 && len <= 5;
    for (size_t i = 0; good && i < len; i++) {
        good = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (!good || v < 1 || v > 65535)
        return url_fail(err, cap, "'%.*s' is not a port from 1 to 65535", (int)len, s);
    *port = (uint16_t)v;
    return 0;
}

/* "[v6]" or "[v6]:port": the part after '[' up to the end of the authority. */
static int parse_bracketed(const char *a, size_t len, struct th_probe_url *out, char *err,
                           size_t cap)
{
    const char *close = memchr(a, ']', len);
    if (!close)
        return url_fail(err, cap, "'[' without ']' in the host");
    size_t hlen = (size_t)(close - a - 1), rest = len - (size_t)(close - a) - 1;
    unsigned char buf[16];
    if (hlen == 0 || hlen >= sizeof(out->host))
        return url_fail(err, cap, "an empty or overlong address in brackets");
    memcpy(out->host, a + 1, hlen);
    out->host[hlen] = '\0';
    if (inet_pton(AF_INET6, out->host, buf) != 1)
        return url_fail(err, cap, "'[%s]' is not an IPv6 address", out->host);
    out->host_is_ip = 1;
    if (rest == 0)
        return 0;
    if (close[1] != ':')
        return url_fail(err, cap, "'%.*s' after ']': expected ':PORT'", (int)rest, close + 1);
    return parse_port(close + 2, rest - 1, &out->port, err, cap);
}

static int host_chars_ok(const char *h, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

static int parse_authority(const char *a, size_t len, struct th_probe_url *out, char *err,
                           size_t cap)
{
    if (memchr(a, '@', len))
        return url_fail(err, cap, "user names in the URL are not supported");
    if (len > 0 && a[0] == '[')
        return parse_bracketed(a, len, out, err, cap);
    const char *colon = memchr(a, ':', len);
    size_t hlen = colon ? (size_t)(colon - a) : len;
    if (colon && memchr(colon + 1, ':', len - hlen - 1))
        return url_fail(err, cap, "an IPv6 address needs brackets: https://[::1]:443/");
    if (hlen == 0)
        return url_fail(err, cap, "no host in the URL");
    if (hlen > 253)
        return url_fail(err, cap, "the host is longer than 253 characters");
    if (!host_chars_ok(a, hlen))
        return url_fail(err, cap, "'%.*s' is not a host name or address", (int)hlen, a);
    memcpy(out->host, a, hlen);
    out->host[hlen] = '\0';
    out->host_is_ip = is_ip_literal(out->host);
    return colon ? parse_port(colon + 1, len - hlen - 1, &out->port, err, cap) : 0;
}

/* The path goes into the request line as it is: no spaces or control characters.
 * A query without a path asks for "/?query"; a fragment is not sent. */
static int parse_path(const char *p, struct th_probe_url *out, char *err, size_t cap)
{
    size_t len = strcspn(p, "#");
    const char *lead = *p == '?' ? "/" : "";
    if (len == 0) {
        strcpy(out->path, "/");
        return 0;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
            return url_fail(err, cap, "the path has a space or a control character");
    if (strlen(lead) + len >= sizeof(out->path))
        return url_fail(err, cap, "the path is longer than %zu bytes", sizeof(out->path) - 2);
    snprintf(out->path, sizeof(out->path), "%s%.*s", lead, (int)len, p);
    return 0;
}

int th_probe_parse_url(const char *url, struct th_probe_url *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    out->port = 443;
    if (!url || !*url)
        return url_fail(err, errcap, "no URL given");
    if (strncasecmp(url, "https://", 8) != 0) {
        if (strstr(url, "://"))
            return url_fail(err, errcap, "'%s': only https:// URLs can be probed", url);
        return url_fail(err, errcap, "'%s' is not a URL: write https://HOST[:PORT][/PATH]", url);
    }
    const char *a = url + 8;
    size_t alen = strcspn(a, "/?#");
    if (parse_authority(a, alen, out, err, errcap) != 0)
        return -1;
    return parse_path(a + alen, out, err, errcap);
}

/* ---- the key exchange's name ---- */

const char *th_probe_kx_kind(uint16_t version, uint16_t suite, uint16_t group)
{
    const struct th_suite_info *s = th_suite_by_id(suite);
    if (!s)
        return "unknown";
    if (version == TH_TLS13 || s->min_version == TH_TLS13) {
        if (!group)
            return "TLS 1.3 (EC)DHE";
        return group >= 0x0100 && group <= 0x01ff ? "TLS 1.3 DHE" : "TLS 1.3 ECDHE";
    }
    if (!strcmp(s->kx, "RSA"))
        return "RSA key transport";
    return s->kx;
}

/* ---- notes and times ---- */

void th_probe_note(struct th_probe *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_array_append_new(p->notes, json_string(buf));
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* ---- one connection ---- */

struct live {
    const struct th_backend *b;
    struct th_ctx *ctx;
    struct th_tcp tcp;
    struct th_conn *conn;
    struct th_error err;
    uint64_t connect_ns, handshake_ns, deadline;
    int connected, handshaken;
};

/* Drive the handshake until it ends or the deadline passes. */
static enum th_probe_live drive_handshake(struct live *l, double timeout_s)
{
    uint64_t t0 = th_now_ns();
    for (;;) {
        enum th_step st = l->b->handshake(l->conn, &l->err);
        if (st == TH_STEP_DONE) {
            l->handshake_ns = th_now_ns() - t0;
            l->handshaken = 1;
            return TH_LIVE_OK;
        }
        if (st == TH_STEP_CLOSED)
            th_error_set(&l->err, TH_HANDSHAKE_FAILURE, 0, "close_notify during the handshake");
        if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED)
            return TH_LIVE_REFUSED;
        int r = th_tcp_wait(l->tcp.fd, st == TH_STEP_WANT_WRITE, l->deadline);
        if (r == 0) {
            th_error_set(&l->err, TH_TIMEOUT, 0, "TLS handshake: no answer within %g s", timeout_s);
            return TH_LIVE_TIMEOUT;
        }
        if (r < 0) {
            th_error_set(&l->err, TH_IO_ERROR, errno, "poll: %s", strerror(errno));
            return TH_LIVE_REFUSED;
        }
    }
}

static enum th_probe_live tcp_open(struct th_probe *p, struct live *l)
{
    int fd = th_tcp_connect(p->url.host, p->url.port, l->deadline, &l->connect_ns);
    if (fd == -2) {
        th_error_set(&l->err, TH_TIMEOUT, 0, "TCP connect to %s port %u: no answer within %g s",
                     p->url.host, p->url.port, p->timeout_s);
        return TH_LIVE_NO_TCP;
    }
    if (fd < 0) {
        th_error_set(&l->err, TH_IO_ERROR, errno, "TCP connect to %s port %u: %s", p->url.host,
                     p->url.port, strerror(errno));
        return TH_LIVE_NO_TCP;
    }
    th_tcp_init(&l->tcp, fd);
    l->connected = 1;
    return TH_LIVE_OK;
}

/* A context, a TCP connection and a handshake, within --timeout. l is closed with
 * live_close whatever this returns. */
static enum th_probe_live live_open(struct th_probe *p, const struct th_backend *b,
                                    const struct th_tls_config *cfg, struct live *l)
{
    memset(l, 0, sizeof(*l));
    l->b = b;
    l->tcp.fd = -1;
    if (th_now_ns() >= p->budget_end) {
        th_error_set(&l->err, TH_TIMEOUT, 0, "the probe's %g s budget is spent", PROBE_BUDGET_S);
        if (!p->budget_spent++)
            th_probe_note(p, "stopped early: the probe's %g s time budget ran out", PROBE_BUDGET_S);
        return TH_LIVE_BUDGET;
    }
    if (b->ctx_new(cfg, &l->ctx, &l->err) != 0)
        return TH_LIVE_NO_CTX;
    l->deadline = th_now_ns() + p->timeout_ns;
    enum th_probe_live rc = tcp_open(p, l);
    if (rc != TH_LIVE_OK)
        return rc;
    if (b->conn_new(l->ctx, &l->tcp.io, NULL, &l->conn, &l->err) != 0)
        return TH_LIVE_NO_CTX;
    return drive_handshake(l, p->timeout_s);
}

static void live_close(struct live *l)
{
    /* a close_notify, so the server logs a clean close rather than a reset; one
     * try, no waiting: the socket closes right after */
    struct th_error ignored;
    if (l->conn && l->handshaken)
        (void)l->b->shutdown(l->conn, &ignored);
    if (l->conn)
        l->b->conn_free(l->conn);
    if (l->ctx)
        l->b->ctx_free(l->ctx);
    if (l->connected)
        th_tcp_close(&l->tcp);
    l->conn = NULL;
    l->ctx = NULL;
    l->connected = 0;
}

/* probe_int.h: also every handshake of the enumeration. */
enum th_probe_live th_probe_handshake(struct th_probe *p, const struct th_backend *b,
                                      const struct th_tls_config *cfg, struct th_negotiated *neg,
                                      struct th_error *err)
{
    struct live l;
    enum th_probe_live rc = live_open(p, b, cfg, &l);
    memset(neg, 0, sizeof(*neg));
    if (rc == TH_LIVE_OK)
        b->negotiated(l.conn, neg);
    *err = l.err;
    live_close(&l);
    return rc;
}

json_t *th_probe_error_json(const char *backend, const struct th_error *e)
{
    json_t *o = json_object();
    if (backend)
        json_object_set_new(o, "backend", json_string(backend));
    json_object_set_new(o, "outcome", json_string(th_outcome_name(e->outcome)));
    json_object_set_new(o, "code", json_integer(e->code));
    json_object_set_new(o, "text", json_string(e->text));
    return o;
}

/* ---- 1. the timed connection ---- */

/* Wait for the socket as a step asks; 0 ready, -1 with err set. */
static int wait_step(struct live *l, enum th_step st, double timeout_s)
{
    int r = th_tcp_wait(l->tcp.fd, st == TH_STEP_WANT_WRITE, l->deadline);
    if (r == 0)
        th_error_set(&l->err, TH_TIMEOUT, 0, "no answer within %g s", timeout_s);
    else if (r < 0)
        th_error_set(&l->err, TH_IO_ERROR, errno, "poll: %s", strerror(errno));
    return r == 1 ? 0 : -1;
}

static int send_all(struct live *l, const char *buf, size_t len, double timeout_s)
{
    size_t off = 0;
    while (off < len) {
        size_t done = 0;
        enum th_step st = l->b->write(l->conn, buf + off, len - off, &done, &l->err);
        off += done;
        if (st == TH_STEP_WANT_READ || st == TH_STEP_WANT_WRITE) {
            if (wait_step(l, st, timeout_s) != 0)
                return -1;
        } else if (st != TH_STEP_DONE) {
            return -1;
        }
    }
    return 0;
}

/* Read until the status line is in, the answer ends or the deadline passes; the
 * time of the first byte in *first (0: none came). */
static size_t read_head(struct live *l, char *buf, size_t cap, uint64_t *first, double timeout_s)
{
    size_t got = 0;
    *first = 0;
    while (got < cap && !memmem(buf, got, "\r\n", 2) && th_now_ns() < l->deadline) {
        size_t n = 0;
        enum th_step st = l->b->read(l->conn, buf + got, cap - got, &n, &l->err);
        if (n && !*first)
            *first = th_now_ns();
        got += n;
        if (st == TH_STEP_CLOSED || st == TH_STEP_FAILED)
            break;
        if (st != TH_STEP_DONE && wait_step(l, st, timeout_s) != 0)
            break;
    }
    return got;
}

/* The status line as text: up to the first CRLF, non-printable bytes as '?'. */
static json_t *status_line_json(const char *buf, size_t got)
{
    char line[256];
    size_t n = 0;
    for (size_t i = 0; i < got && buf[i] != '\r' && buf[i] != '\n' && n < sizeof(line) - 1; i++)
        line[n++] = (buf[i] >= ' ' && buf[i] < 0x7f) ? buf[i] : '?';
    line[n] = '\0';
    return json_string(line);
}

static void first_byte(struct th_probe *p, struct live *l, json_t *r)
{
    char req[1600], buf[STATUS_MAX];
    const char *lb = strchr(p->url.host, ':') ? "[" : "", *rb = *lb ? "]" : "";
    char port[8] = "";
    if (p->url.port != 443)
        snprintf(port, sizeof(port), ":%u", p->url.port);
    int len = snprintf(req, sizeof(req),
                       "GET %s HTTP/1.1\r\nHost: %s%s%s%s\r\nUser-Agent: tlsharness-probe\r\n"
                       "Connection: close\r\n\r\n",
                       p->url.path, lb, p->url.host, rb, port);
    l->deadline = th_now_ns() + p->timeout_ns;
    uint64_t t0 = th_now_ns(), first = 0;
    size_t got = 0;
    if (send_all(l, req, (size_t)len, p->timeout_s) == 0)
        got = read_head(l, buf, sizeof(buf), &first, p->timeout_s);
    json_object_set_new(r, "first_byte_ms", first ? json_real(ms(first - t0)) : json_null());
    json_object_set_new(r, "status_line", got ? status_line_json(buf, got) : json_null());
    if (!first)
        json_object_set_new(r, "first_byte_error", th_probe_error_json(NULL, &l->err));
}

static json_t *tls_json(const struct live *l, const struct th_negotiated *neg,
                        const struct th_peer_info *peer)
{
    json_t *t = json_object();
    const struct th_suite_info *s = th_suite_by_id(neg->suite);
    const struct th_group_info *g = th_group_by_id(neg->group);
    json_object_set_new(t, "backend", json_string(l->b->name));
    json_object_set_new(t, "outcome", json_string("ok"));
    json_object_set_new(t, "handshake_ms", json_real(ms(l->handshake_ns)));
    json_object_set_new(t, "version", json_string(th_version_name(neg->version)));
    json_object_set_new(t, "suite", s ? json_string(s->name) : json_null());
    json_object_set_new(t, "group", g ? json_string(g->name) : json_null());
    json_object_set_new(t, "key_exchange",
                        json_string(th_probe_kx_kind(neg->version, neg->suite, neg->group)));
    json_object_set_new(t, "signature",
                        peer && peer->sig_scheme[0] ? json_string(peer->sig_scheme) : json_null());
    json_object_set_new(t, "alpn", neg->alpn[0] ? json_string(neg->alpn) : json_null());
    return t;
}

/* The handshake that completed: what it negotiated, the chain as sent, the GET. */
static void describe_connection(struct th_probe *p, struct live *l, json_t *r)
{
    struct th_negotiated neg;
    struct th_peer_info peer;
    memset(&peer, 0, sizeof(peer));
    l->b->negotiated(l->conn, &neg);
    int have_peer = l->b->peer_info && l->b->peer_info(l->conn, &peer) == 0;
    json_object_set_new(r, "tls", tls_json(l, &neg, have_peer ? &peer : NULL));
    json_object_set_new(r, "chain", th_probe_chain_json(peer.chain, peer.chain_len));
    if (!l->b->peer_info)
        th_probe_note(p, "%s cannot show the certificate chain", l->b->name);
    free(peer.chain);
    first_byte(p, l, r);
}

/* The first client backend with driver I/O connects as a default client would:
 * TLS 1.2 and 1.3, the library's suites, verification off. -1: no TCP connection. */
static int timed_connection(struct th_probe *p, json_t *r)
{
    const struct th_probe_client *c = NULL;
    for (size_t i = 0; i < p->n_clients && !c; i++)
        if (th_probe_has(&p->clients[i], TH_CAP_DRIVER_IO))
            c = &p->clients[i];
    unsigned versions = c->caps.versions & MODERN_VERSIONS;
    struct th_tls_config cfg = th_probe_client_cfg(p, versions ? versions : c->caps.versions);
    struct live l;
    enum th_probe_live rc = live_open(p, c->b, &cfg, &l);
    json_object_set_new(r, "connect_ms", l.connected ? json_real(ms(l.connect_ns)) : json_null());
    if (rc == TH_LIVE_OK) {
        describe_connection(p, &l, r);
    } else {
        json_object_set_new(r, "tls", th_probe_error_json(c->b->name, &l.err));
        json_object_set_new(r, "chain", json_array());
        json_object_set_new(r, "first_byte_ms", json_null());
        json_object_set_new(r, "status_line", json_null());
    }
    /* no TCP, or no answer to a ClientHello: every later handshake would wait too */
    int gone = rc == TH_LIVE_NO_TCP || rc == TH_LIVE_TIMEOUT;
    if (gone)
        json_object_set_new(r, "error", json_string(l.err.text));
    live_close(&l);
    return gone ? -1 : 0;
}

/* ---- verification by each client backend ---- */

static json_t *verify_with(struct th_probe *p, const struct th_probe_client *c)
{
    unsigned versions = c->caps.versions & MODERN_VERSIONS;
    struct th_tls_config cfg = th_probe_client_cfg(p, versions ? versions : c->caps.versions);
    cfg.verify = 1;
    cfg.ca_file = p->ca;
    cfg.hostname = p->name;
    const char *why = NULL;
    if (is_ip_literal(p->name) && !th_probe_has(c, TH_CAP_IP_SAN)) {
        cfg.hostname = NULL;
        why = "cannot check an IP address against the certificate: the chain was checked "
              "without the name";
    }
    struct th_error e = {0};
    if (th_probe_has(c, TH_CAP_DRIVER_IO)) {
        struct live l;
        if (live_open(p, c->b, &cfg, &l) != TH_LIVE_OK)
            e = l.err;
        live_close(&l);
    } else {
        struct th_fetch_result res;
        memset(&res, 0, sizeof(res));
        int rc = c->b->fetch(&cfg, p->url.host, p->url.port, p->url.path, p->timeout_s, &res);
        e = res.err;
        if (rc != 0 && e.outcome == TH_OK)
            th_error_set(&e, TH_INTERNAL_ERROR, rc, "fetch failed without saying why");
        free(res.body);
    }
    json_t *o = th_probe_error_json(c->b->name, &e);
    if (why)
        json_object_set_new(o, "note", json_string(why));
    return o;
}

static json_t *verification(struct th_probe *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->n_clients; i++) {
        const struct th_probe_client *c = &p->clients[i];
        if (th_probe_has(c, TH_CAP_DRIVER_IO) ||
            (th_probe_has(c, TH_CAP_OWN_SOCKET) && c->b->fetch))
            json_array_append_new(a, verify_with(p, c));
    }
    return a;
}

/* ---- the whole probe ---- */

static json_t *report_new(const struct th_probe *p)
{
    json_t *r = json_object();
    json_object_set_new(r, "schema", json_string(SCHEMA));
    json_object_set_new(r, "url", json_string(p->url_text));
    json_object_set_new(r, "host", json_string(p->url.host));
    json_object_set_new(r, "port", json_integer(p->url.port));
    json_object_set_new(r, "path", json_string(p->url.path));
    json_object_set_new(r, "name_checked", json_string(p->name));
    json_object_set_new(r, "sni", p->sni ? json_string(p->sni) : json_null());
    json_object_set_new(r, "ca", p->ca ? json_string(p->ca) : json_null());
    return r;
}

/* A name that does not resolve says so in its own words, not as "No route to host". */
static int resolves(struct th_probe *p, json_t *r)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int e = getaddrinfo(p->url.host, NULL, &hints, &ai);
    if (e == 0) {
        freeaddrinfo(ai);
        return 1;
    }
    char *msg = th_xasprintf("cannot resolve '%s': %s", p->url.host, gai_strerror(e));
    json_object_set_new(r, "error", json_string(msg));
    free(msg);
    return 0;
}

/* The report, and the exit status in *status. */
static json_t *probe_run(struct th_probe *p, int *status)
{
    json_t *r = report_new(p);
    uint64_t t0 = th_now_ns();
    p->notes = json_array();
    p->timeout_ns = (uint64_t)(p->timeout_s * 1e9);
    p->budget_end = t0 + (uint64_t)(PROBE_BUDGET_S * 1e9);
    if (!resolves(p, r) || timed_connection(p, r) != 0) {
        *status = EXIT_FAILED;
    } else {
        json_object_set_new(r, "verification", verification(p));
        th_probe_enum_versions(p, r);
        th_probe_enum_suites(p, r);
        th_probe_enum_groups(p, r);
        *status = p->accepted ? 0 : EXIT_FAILED;
    }
    json_object_set_new(r, "notes", p->notes);
    json_object_set_new(r, "elapsed_s", json_real((double)(th_now_ns() - t0) / 1e9));
    return r;
}

/* ---- the command ---- */

struct probe_opts {
    const char *url, *ca, *servername, *backends;
    double timeout_s;
    int json;
};

TH_PRINTF(1, 2) static int usage_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("tlsharness: probe: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(see 'tlsharness help')\n", stderr);
    return EXIT_USAGE;
}

static int parse_timeout(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d > 0 && d <= 3600))
        return usage_fail("--timeout: '%s' is not a number of seconds (0 < S <= 3600)", s);
    *out = d;
    return 0;
}

static int parse_opts(int argc, char **argv, struct probe_opts *o)
{
    enum { PR_JSON = 256, PR_CA, PR_SERVERNAME, PR_TIMEOUT };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, PR_JSON},
        {"ca", required_argument, NULL, PR_CA},
        {"servername", required_argument, NULL, PR_SERVERNAME},
        {"backends", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, PR_TIMEOUT},
        {NULL, 0, NULL, 0},
    };
    *o = (struct probe_opts){.timeout_s = DEFAULT_TIMEOUT_S};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "b:", longopts, NULL)) != -1) {
        switch (ch) {
        case PR_JSON: o->json = 1; break;
        case PR_CA: o->ca = optarg; break;
        case PR_SERVERNAME: o->servername = optarg; break;
        case 'b': o->backends = optarg; break;
        case PR_TIMEOUT:
            if (parse_timeout(optarg, &o->timeout_s) != 0)
                return EXIT_USAGE;
            break;
        default: return usage_fail("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_fail("needs a URL: tlsharness probe https://HOST[:PORT][/PATH]");
    if (argc - optind > 1)
        return usage_fail("one URL at a time ('%s' is extra)", argv[optind + 1]);
    o->url = argv[optind];
    if (o->ca && access(o->ca, R_OK) != 0)
        return usage_fail("--ca: cannot read '%s': %s", o->ca, strerror(errno));
    if (o->servername && (!*o->servername || strlen(o->servername) > 253))
        return usage_fail("--servername: '%s' is not a host name", o->servername);
    return 0;
}

/* -b names, or every backend: those with the client role. */
static int pick_clients(struct th_probe *p, const char *list)
{
    p->clients = th_xcalloc(th_backend_count() + 1, sizeof(*p->clients));
    for (size_t i = 0; th_backends[i]; i++) {
        const struct th_backend *b = th_backends[i];
        if (list) {
            char *copy = th_xstrdup(list), *save = NULL;
            int named = 0;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                named |= !strcmp(t, b->name);
            free(copy);
            if (!named)
                continue;
        }
        struct th_probe_client *c = &p->clients[p->n_clients];
        c->b = b;
        b->caps(&c->caps);
        if (c->caps.roles & TH_ROLE_CLIENT)
            p->n_clients++;
    }
    for (size_t i = 0; i < p->n_clients; i++)
        if (th_probe_has(&p->clients[i], TH_CAP_DRIVER_IO))
            return 0;
    return -1;
}

static int check_backends(const char *list)
{
    char *copy = th_xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
        if (!th_backend_find(t))
            rc = usage_fail("-b: unknown backend '%s' ('tlsharness backends' lists them)", t);
    free(copy);
    return rc;
}

static int probe_setup(struct th_probe *p, const struct probe_opts *o)
{
    char err[256];
    memset(p, 0, sizeof(*p));
    if (th_probe_parse_url(o->url, &p->url, err, sizeof(err)) != 0)
        return usage_fail("%s", err);
    if (o->backends && check_backends(o->backends) != 0)
        return EXIT_USAGE;
    if (pick_clients(p, o->backends) != 0)
        return usage_fail("needs a client backend with driver I/O; -b named none");
    p->url_text = o->url;
    p->name = o->servername ? o->servername : p->url.host;
    p->sni = is_ip_literal(p->name) ? NULL : p->name;
    p->ca = o->ca ? o->ca : access(DEFAULT_CA, R_OK) == 0 ? DEFAULT_CA : NULL;
    p->timeout_s = o->timeout_s;
    return 0;
}

int th_probe_cmd(int argc, char **argv)
{
    struct probe_opts o;
    struct th_probe p;
    int status = parse_opts(argc, argv, &o);
    if (status == 0)
        status = probe_setup(&p, &o);
    if (status != 0)
        return status;
    signal(SIGPIPE, SIG_IGN);
    json_t *r = probe_run(&p, &status);
    if (o.json) {
        json_dumpf(r, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        putchar('\n');
    } else {
        th_probe_print(stdout, r);
    }
    if (o.json && json_object_get(r, "error"))
        fprintf(stderr, "tlsharness: probe: %s\n", th_probe_str_or(r, "error", ""));
    if (fflush(stdout) != 0)
        status = EXIT_INTERNAL;
    json_decref(r);
    free(p.clients);
    return status;
}
