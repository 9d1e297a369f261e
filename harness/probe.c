/* `tlsharness probe URL` (probe.h): one connection's steps, timed, and the server's
 * versions, suites and groups enumerated, each handshake on a connection of its own
 * driven over the backend seam, every one bounded by --timeout and the whole probe
 * by PROBE_BUDGET_S. The report is built as JSON first; probe_report.c prints the
 * text people read from that JSON, so both always say the same, and reads the
 * certificate chain into it. */
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

#include "iana.h"
#include "transport.h"
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

/* ---- suite enumeration ---- */

/* Take x out of v; 0 when it was not there. */
static int take(uint16_t *v, size_t *n, uint16_t x)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == x) {
            memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
            (*n)--;
            return 1;
        }
    return 0;
}

static void offer_singly(th_offer_fn offer, void *arg, const uint16_t *s, size_t n,
                         struct th_probe_enum *out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t chosen = 0;
        enum th_offer r = offer(arg, &s[i], 1, &chosen);
        if (r == TH_OFFER_STOP) {
            out->stopped = 1;
            return;
        }
        if (r == TH_OFFER_UNABLE) {
            out->untested[out->n_untested++] = s[i];
        } else if (r == TH_OFFER_ACCEPTED && chosen != s[i]) {
            out->rogue = chosen;
            return;
        } else if (r == TH_OFFER_ACCEPTED) {
            out->accepted[out->n_accepted++] = s[i];
        }
    }
}

void th_probe_enumerate(th_offer_fn offer, void *arg, const uint16_t *suites, size_t n,
                        struct th_probe_enum *out)
{
    uint16_t rest[TH_MAX_SUITES];
    memset(out, 0, sizeof(*out));
    if (n > TH_MAX_SUITES)
        n = TH_MAX_SUITES;
    memcpy(rest, suites, n * sizeof(*rest));
    /* every round takes one suite out or ends the loop */
    while (n > 0) {
        uint16_t chosen = 0;
        enum th_offer r = offer(arg, rest, n, &chosen);
        if (r == TH_OFFER_REFUSED)
            return;
        if (r == TH_OFFER_STOP) {
            out->stopped = 1;
            return;
        }
        if (r == TH_OFFER_UNABLE) {
            offer_singly(offer, arg, rest, n, out);
            return;
        }
        if (!take(rest, &n, chosen)) {
            out->rogue = chosen;
            return;
        }
        out->accepted[out->n_accepted++] = chosen;
    }
}

enum th_server_order th_probe_server_order(th_offer_fn offer, void *arg, uint16_t a, uint16_t b)
{
    uint16_t ab[2] = {a, b}, ba[2] = {b, a}, c1 = 0, c2 = 0;
    if (a == b)
        return TH_ORDER_NA;
    enum th_offer r1 = offer(arg, ab, 2, &c1);
    enum th_offer r2 = r1 == TH_OFFER_ACCEPTED ? offer(arg, ba, 2, &c2) : r1;
    if (r1 == TH_OFFER_UNABLE || r2 == TH_OFFER_UNABLE)
        return TH_ORDER_UNTESTED;
    if (r1 != TH_OFFER_ACCEPTED || r2 != TH_OFFER_ACCEPTED)
        return TH_ORDER_UNKNOWN;
    if (c1 == c2 && (c1 == a || c1 == b))
        return TH_ORDER_ENFORCED;
    if (c1 == a && c2 == b)
        return TH_ORDER_CLIENT;
    return TH_ORDER_UNKNOWN;
}

const char *th_probe_order_name(enum th_server_order o)
{
    switch (o) {
    case TH_ORDER_ENFORCED: return "enforced";
    case TH_ORDER_CLIENT: return "client";
    case TH_ORDER_UNKNOWN: return "unknown";
    case TH_ORDER_UNTESTED: return "untested";
    default: return "n/a";
    }
}

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

/* ---- the probe's state ---- */

struct client {
    const struct th_backend *b;
    struct th_caps caps;
};

struct probe {
    const char *url_text;
    struct th_probe_url url;
    const char *name; /* checked against the certificate */
    const char *sni;  /* sent; NULL for an IP literal */
    const char *ca;   /* NULL: no trust anchors */
    double timeout_s;
    uint64_t timeout_ns, budget_end;
    struct client *clients; /* client role, in th_backends order, after -b */
    size_t n_clients;
    unsigned accepted; /* TH_VBIT set of versions the server accepted */
    int budget_spent;
    json_t *notes;
};

static int has(const struct client *c, unsigned feature)
{
    return (c->caps.features & feature) != 0;
}

static int has_suite(const struct client *c, uint16_t suite)
{
    for (size_t i = 0; i < c->caps.n_suites; i++)
        if (c->caps.suites[i] == suite)
            return 1;
    return 0;
}

/* A client that can run handshakes over our sockets with exactly these versions. */
static int drives(const struct client *c, uint16_t version)
{
    return has(c, TH_CAP_DRIVER_IO) && has(c, TH_CAP_RESTRICT_VERSIONS) &&
           (c->caps.versions & TH_VBIT(version));
}

/* The suites of c that run on version, in c's order. */
static size_t suites_for(const struct client *c, uint16_t version, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->caps.n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(c->caps.suites[i]);
        if (s && (th_suite_versions(s) & TH_VBIT(version)))
            out[n++] = s->id;
    }
    return n;
}

TH_PRINTF(2, 3) static void note(struct probe *p, const char *fmt, ...)
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

enum live_rc {
    LIVE_OK,      /* the handshake completed */
    LIVE_REFUSED, /* it failed: err says how */
    LIVE_TIMEOUT, /* no answer in time */
    LIVE_NO_CTX,  /* the backend would not take the configuration */
    LIVE_NO_TCP,  /* the TCP connect failed */
    LIVE_BUDGET,  /* the probe's time budget is spent: nothing was tried */
};

struct live {
    const struct th_backend *b;
    struct th_ctx *ctx;
    struct th_tcp tcp;
    struct th_conn *conn;
    struct th_error err;
    uint64_t connect_ns, handshake_ns, deadline;
    int connected, handshaken;
};

static struct th_tls_config client_cfg(const struct probe *p, unsigned versions)
{
    struct th_tls_config cfg = {.role = TH_ROLE_CLIENT, .versions = versions, .sni = p->sni};
    return cfg;
}

/* Drive the handshake until it ends or the deadline passes. */
static enum live_rc drive_handshake(struct live *l, double timeout_s)
{
    uint64_t t0 = th_now_ns();
    for (;;) {
        enum th_step st = l->b->handshake(l->conn, &l->err);
        if (st == TH_STEP_DONE) {
            l->handshake_ns = th_now_ns() - t0;
            l->handshaken = 1;
            return LIVE_OK;
        }
        if (st == TH_STEP_CLOSED)
            th_error_set(&l->err, TH_HANDSHAKE_FAILURE, 0, "close_notify during the handshake");
        if (st == TH_STEP_FAILED || st == TH_STEP_CLOSED)
            return LIVE_REFUSED;
        int r = th_tcp_wait(l->tcp.fd, st == TH_STEP_WANT_WRITE, l->deadline);
        if (r == 0) {
            th_error_set(&l->err, TH_TIMEOUT, 0, "TLS handshake: no answer within %g s", timeout_s);
            return LIVE_TIMEOUT;
        }
        if (r < 0) {
            th_error_set(&l->err, TH_IO_ERROR, errno, "poll: %s", strerror(errno));
            return LIVE_REFUSED;
        }
    }
}

static enum live_rc tcp_open(struct probe *p, struct live *l)
{
    int fd = th_tcp_connect(p->url.host, p->url.port, l->deadline, &l->connect_ns);
    if (fd == -2) {
        th_error_set(&l->err, TH_TIMEOUT, 0, "TCP connect to %s port %u: no answer within %g s",
                     p->url.host, p->url.port, p->timeout_s);
        return LIVE_NO_TCP;
    }
    if (fd < 0) {
        th_error_set(&l->err, TH_IO_ERROR, errno, "TCP connect to %s port %u: %s", p->url.host,
                     p->url.port, strerror(errno));
        return LIVE_NO_TCP;
    }
    th_tcp_init(&l->tcp, fd);
    l->connected = 1;
    return LIVE_OK;
}

/* A context, a TCP connection and a handshake, within --timeout. l is closed with
 * live_close whatever this returns. */
static enum live_rc live_open(struct probe *p, const struct th_backend *b,
                              const struct th_tls_config *cfg, struct live *l)
{
    memset(l, 0, sizeof(*l));
    l->b = b;
    l->tcp.fd = -1;
    if (th_now_ns() >= p->budget_end) {
        th_error_set(&l->err, TH_TIMEOUT, 0, "the probe's %g s budget is spent", PROBE_BUDGET_S);
        if (!p->budget_spent++)
            note(p, "stopped early: the probe's %g s time budget ran out", PROBE_BUDGET_S);
        return LIVE_BUDGET;
    }
    if (b->ctx_new(cfg, &l->ctx, &l->err) != 0)
        return LIVE_NO_CTX;
    l->deadline = th_now_ns() + p->timeout_ns;
    enum live_rc rc = tcp_open(p, l);
    if (rc != LIVE_OK)
        return rc;
    if (b->conn_new(l->ctx, &l->tcp.io, NULL, &l->conn, &l->err) != 0)
        return LIVE_NO_CTX;
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

/* One handshake with cfg; what it negotiated in *neg when it completed. */
static enum live_rc one_handshake(struct probe *p, const struct th_backend *b,
                                  const struct th_tls_config *cfg, struct th_negotiated *neg,
                                  struct th_error *err)
{
    struct live l;
    enum live_rc rc = live_open(p, b, cfg, &l);
    memset(neg, 0, sizeof(*neg));
    if (rc == LIVE_OK)
        b->negotiated(l.conn, neg);
    *err = l.err;
    live_close(&l);
    return rc;
}

static json_t *error_json(const char *backend, const struct th_error *e)
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

static void first_byte(struct probe *p, struct live *l, json_t *r)
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
        json_object_set_new(r, "first_byte_error", error_json(NULL, &l->err));
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
static void describe_connection(struct probe *p, struct live *l, json_t *r)
{
    struct th_negotiated neg;
    struct th_peer_info peer;
    memset(&peer, 0, sizeof(peer));
    l->b->negotiated(l->conn, &neg);
    int have_peer = l->b->peer_info && l->b->peer_info(l->conn, &peer) == 0;
    json_object_set_new(r, "tls", tls_json(l, &neg, have_peer ? &peer : NULL));
    json_object_set_new(r, "chain", th_probe_chain_json(peer.chain, peer.chain_len));
    if (!l->b->peer_info)
        note(p, "%s cannot show the certificate chain", l->b->name);
    free(peer.chain);
    first_byte(p, l, r);
}

/* The first client backend with driver I/O connects as a default client would:
 * TLS 1.2 and 1.3, the library's suites, verification off. -1: no TCP connection. */
static int timed_connection(struct probe *p, json_t *r)
{
    const struct client *c = NULL;
    for (size_t i = 0; i < p->n_clients && !c; i++)
        if (has(&p->clients[i], TH_CAP_DRIVER_IO))
            c = &p->clients[i];
    unsigned versions = c->caps.versions & MODERN_VERSIONS;
    struct th_tls_config cfg = client_cfg(p, versions ? versions : c->caps.versions);
    struct live l;
    enum live_rc rc = live_open(p, c->b, &cfg, &l);
    json_object_set_new(r, "connect_ms", l.connected ? json_real(ms(l.connect_ns)) : json_null());
    if (rc == LIVE_OK) {
        describe_connection(p, &l, r);
    } else {
        json_object_set_new(r, "tls", error_json(c->b->name, &l.err));
        json_object_set_new(r, "chain", json_array());
        json_object_set_new(r, "first_byte_ms", json_null());
        json_object_set_new(r, "status_line", json_null());
    }
    /* no TCP, or no answer to a ClientHello: every later handshake would wait too */
    int gone = rc == LIVE_NO_TCP || rc == LIVE_TIMEOUT;
    if (gone)
        json_object_set_new(r, "error", json_string(l.err.text));
    live_close(&l);
    return gone ? -1 : 0;
}

/* ---- verification by each client backend ---- */

static json_t *verify_with(struct probe *p, const struct client *c)
{
    unsigned versions = c->caps.versions & MODERN_VERSIONS;
    struct th_tls_config cfg = client_cfg(p, versions ? versions : c->caps.versions);
    cfg.verify = 1;
    cfg.ca_file = p->ca;
    cfg.hostname = p->name;
    const char *why = NULL;
    if (is_ip_literal(p->name) && !has(c, TH_CAP_IP_SAN)) {
        cfg.hostname = NULL;
        why = "cannot check an IP address against the certificate: the chain was checked "
              "without the name";
    }
    struct th_error e = {0};
    if (has(c, TH_CAP_DRIVER_IO)) {
        struct live l;
        if (live_open(p, c->b, &cfg, &l) != LIVE_OK)
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
    json_t *o = error_json(c->b->name, &e);
    if (why)
        json_object_set_new(o, "note", json_string(why));
    return o;
}

static json_t *verification(struct probe *p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < p->n_clients; i++) {
        const struct client *c = &p->clients[i];
        if (has(c, TH_CAP_DRIVER_IO) || (has(c, TH_CAP_OWN_SOCKET) && c->b->fetch))
            json_array_append_new(a, verify_with(p, c));
    }
    return a;
}

/* ---- 2. versions ---- */

/* One version alone, with every suite the client has for it when it can pin them
 * (a library's defaults may leave out what an old server needs). */
static enum live_rc offer_version(struct probe *p, const struct client *c, uint16_t v,
                                  struct th_negotiated *neg, struct th_error *err)
{
    struct th_tls_config cfg = client_cfg(p, TH_VBIT(v));
    if (has(c, TH_CAP_RESTRICT_SUITES))
        cfg.n_suites = suites_for(c, v, cfg.suites);
    enum live_rc rc = one_handshake(p, c->b, &cfg, neg, err);
    if (rc == LIVE_NO_CTX && cfg.n_suites) {
        cfg.n_suites = 0;
        rc = one_handshake(p, c->b, &cfg, neg, err);
    }
    return rc;
}

static void probe_version(struct probe *p, uint16_t v, json_t *vers, json_t *refusals)
{
    const char *name = th_version_name(v);
    const struct client *c = NULL;
    for (size_t i = 0; i < p->n_clients && !c; i++)
        if (drives(&p->clients[i], v))
            c = &p->clients[i];
    if (!c) {
        json_object_set_new(vers, name, json_null());
        note(p, "TLS %s not tested: no client backend here can offer it alone", name);
        return;
    }
    struct th_negotiated neg;
    struct th_error err = {0};
    enum live_rc rc = offer_version(p, c, v, &neg, &err);
    if (rc == LIVE_OK && neg.version != v) {
        rc = LIVE_REFUSED;
        th_error_set(&err, TH_PROTOCOL_VERSION, neg.version, "offered TLS %s alone, got TLS %s",
                     name, th_version_name(neg.version));
    }
    if (rc == LIVE_OK) {
        p->accepted |= TH_VBIT(v);
        json_object_set_new(vers, name, json_true());
        return;
    }
    /* no answer is not a refusal: the version stays undetermined */
    int known = rc == LIVE_REFUSED;
    json_object_set_new(vers, name, known ? json_false() : json_null());
    json_object_set_new(refusals, name, error_json(c->b->name, &err));
}

static void probe_versions(struct probe *p, json_t *r)
{
    json_t *vers = json_object(), *refusals = json_object();
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++)
        probe_version(p, th_probe_versions[i], vers, refusals);
    json_object_set_new(r, "versions", vers);
    json_object_set_new(r, "version_refusals", refusals);
}

/* ---- 3. suites ---- */

struct offer_arg {
    struct probe *p;
    const struct client *c;
    uint16_t version;
};

static enum th_offer offer_suites(void *arg, const uint16_t *suites, size_t n, uint16_t *chosen)
{
    struct offer_arg *a = arg;
    struct th_tls_config cfg = client_cfg(a->p, TH_VBIT(a->version));
    memcpy(cfg.suites, suites, n * sizeof(*suites));
    cfg.n_suites = n;
    struct th_negotiated neg;
    struct th_error err;
    switch (one_handshake(a->p, a->c->b, &cfg, &neg, &err)) {
    case LIVE_OK:
        *chosen = neg.suite;
        return neg.version == a->version ? TH_OFFER_ACCEPTED : TH_OFFER_REFUSED;
    case LIVE_REFUSED: return TH_OFFER_REFUSED;
    case LIVE_NO_CTX: return TH_OFFER_UNABLE;
    default: return TH_OFFER_STOP;
    }
}

/* The suites of version v split by client: each to the first client that has it
 * and can pin a suite list. */
struct split {
    uint16_t *suites[16];
    size_t n[16];
    size_t n_clients;
};

static int assigned(const struct split *s, size_t upto, uint16_t id)
{
    for (size_t i = 0; i < upto; i++)
        for (size_t j = 0; j < s->n[i]; j++)
            if (s->suites[i][j] == id)
                return 1;
    return 0;
}

static void split_suites(const struct probe *p, uint16_t v, struct split *s)
{
    uint16_t mine[TH_MAX_SUITES];
    memset(s, 0, sizeof(*s));
    s->n_clients = p->n_clients < 16 ? p->n_clients : 16;
    for (size_t i = 0; i < s->n_clients; i++) {
        const struct client *c = &p->clients[i];
        s->suites[i] = th_xcalloc(TH_MAX_SUITES, sizeof(uint16_t));
        if (!drives(c, v) || !has(c, TH_CAP_RESTRICT_SUITES))
            continue;
        size_t n = suites_for(c, v, mine);
        for (size_t j = 0; j < n; j++)
            if (!assigned(s, i + 1, mine[j]))
                s->suites[i][s->n[i]++] = mine[j];
    }
}

static void split_free(struct split *s)
{
    for (size_t i = 0; i < s->n_clients; i++)
        free(s->suites[i]);
}

static void add_names(json_t *a, const uint16_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct th_suite_info *s = th_suite_by_id(ids[i]);
        json_array_append_new(a, s ? json_string(s->name) : json_sprintf("0x%04X", ids[i]));
    }
}

/* The IANA suites of version v that no client was given: none here can offer them. */
static void add_unoffered(const struct split *s, uint16_t v, json_t *untested)
{
    for (size_t i = 0; i < th_suite_count(); i++) {
        const struct th_suite_info *si = th_suite_at(i);
        if ((th_suite_versions(si) & TH_VBIT(v)) && !assigned(s, s->n_clients, si->id))
            json_array_append_new(untested, json_string(si->name));
    }
}

static void enum_report(struct probe *p, const struct client *c, uint16_t v,
                        const struct th_probe_enum *e)
{
    const struct th_suite_info *rogue = th_suite_by_id(e->rogue);
    if (e->stopped)
        note(p, "TLS %s suites with %s: stopped early (no answer); the list may be incomplete",
             th_version_name(v), c->b->name);
    if (e->rogue)
        note(p, "TLS %s: the server chose %s (0x%04X), which %s had not offered",
             th_version_name(v), rogue ? rogue->name : "an unknown suite", e->rogue, c->b->name);
}

/* A pair of accepted suites offered in both orders by a client that has both. */
static enum th_server_order order_of_pair(struct probe *p, uint16_t v, uint16_t x, uint16_t y)
{
    enum th_server_order o = TH_ORDER_UNTESTED;
    for (size_t i = 0; i < p->n_clients && o == TH_ORDER_UNTESTED; i++) {
        const struct client *c = &p->clients[i];
        if (!drives(c, v) || !has(c, TH_CAP_RESTRICT_SUITES) || !has_suite(c, x) ||
            !has_suite(c, y))
            continue;
        struct offer_arg a = {p, c, v};
        o = th_probe_server_order(offer_suites, &a, x, y);
    }
    return o;
}

/* The first pair of the first ORDER_PAIRS accepted suites some client can offer in
 * both orders (GnuTLS cannot pin every order: its priority strings sort by key
 * exchange first). Pairs that cannot be offered cost no handshake. */
#define ORDER_PAIRS 8
static enum th_server_order order_of(struct probe *p, uint16_t v, const uint16_t *acc, size_t n)
{
    if (n < 2)
        return TH_ORDER_NA;
    enum th_server_order o = TH_ORDER_UNTESTED;
    size_t lim = n < ORDER_PAIRS ? n : ORDER_PAIRS;
    for (size_t i = 0; i < lim && o == TH_ORDER_UNTESTED; i++)
        for (size_t j = i + 1; j < lim && o == TH_ORDER_UNTESTED; j++)
            o = order_of_pair(p, v, acc[i], acc[j]);
    return o;
}

static void probe_suites_of(struct probe *p, uint16_t v, json_t *suites, json_t *order,
                            json_t *untested)
{
    struct split s;
    struct th_probe_enum e;
    uint16_t *acc = th_xcalloc(th_suite_count() + 1, sizeof(uint16_t));
    size_t n_acc = 0;
    json_t *list = json_array(), *left = json_array();
    split_suites(p, v, &s);
    for (size_t i = 0; i < s.n_clients; i++) {
        if (!s.n[i])
            continue;
        struct offer_arg a = {p, &p->clients[i], v};
        th_probe_enumerate(offer_suites, &a, s.suites[i], s.n[i], &e);
        enum_report(p, &p->clients[i], v, &e);
        for (size_t j = 0; j < e.n_accepted && n_acc < th_suite_count(); j++)
            acc[n_acc++] = e.accepted[j];
        add_names(left, e.untested, e.n_untested);
    }
    add_names(list, acc, n_acc);
    add_unoffered(&s, v, left);
    const char *name = th_version_name(v);
    json_object_set_new(suites, name, list);
    json_object_set_new(order, name, json_string(th_probe_order_name(order_of(p, v, acc, n_acc))));
    json_object_set_new(untested, name, left);
    split_free(&s);
    free(acc);
}

static void probe_suites(struct probe *p, json_t *r)
{
    json_t *suites = json_object(), *order = json_object(), *untested = json_object();
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++)
        if (p->accepted & TH_VBIT(th_probe_versions[i]))
            probe_suites_of(p, th_probe_versions[i], suites, order, untested);
    json_object_set_new(r, "suites", suites);
    json_object_set_new(r, "server_order", order);
    json_object_set_new(r, "not_tested", untested);
}

/* ---- 4. groups, with TLS 1.3 ---- */

static int group_listed(const json_t *a, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (!strcmp(json_string_value(v), name)) return 1;
    return 0;
}

static void probe_groups(struct probe *p, json_t *r)
{
    json_t *groups = json_object(), *acc = json_array(), *tried = json_array();
    for (size_t i = 0; i < p->n_clients && (p->accepted & TH_VBIT(TH_TLS13)); i++) {
        const struct client *c = &p->clients[i];
        if (!drives(c, TH_TLS13) || !has(c, TH_CAP_RESTRICT_GROUPS))
            continue;
        for (size_t j = 0; j < c->caps.n_groups; j++) {
            const struct th_group_info *g = th_group_by_id(c->caps.groups[j]);
            if (!g || group_listed(tried, g->name))
                continue;
            json_array_append_new(tried, json_string(g->name));
            struct th_tls_config cfg = client_cfg(p, TH_VBIT(TH_TLS13));
            cfg.groups[0] = g->id;
            cfg.n_groups = 1;
            struct th_negotiated neg;
            struct th_error err;
            if (one_handshake(p, c->b, &cfg, &neg, &err) == LIVE_OK && neg.group == g->id)
                json_array_append_new(acc, json_string(g->name));
        }
    }
    if (p->accepted & TH_VBIT(TH_TLS13))
        json_object_set_new(groups, "1.3", acc);
    else
        json_decref(acc);
    json_decref(tried);
    json_object_set_new(r, "groups", groups);
}

/* ---- the whole probe ---- */

static json_t *report_new(const struct probe *p)
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
static int resolves(struct probe *p, json_t *r)
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
static json_t *probe_run(struct probe *p, int *status)
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
        probe_versions(p, r);
        probe_suites(p, r);
        probe_groups(p, r);
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
static int pick_clients(struct probe *p, const char *list)
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
        struct client *c = &p->clients[p->n_clients];
        c->b = b;
        b->caps(&c->caps);
        if (c->caps.roles & TH_ROLE_CLIENT)
            p->n_clients++;
    }
    for (size_t i = 0; i < p->n_clients; i++)
        if (has(&p->clients[i], TH_CAP_DRIVER_IO))
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

static int probe_setup(struct probe *p, const struct probe_opts *o)
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
    struct probe p;
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
