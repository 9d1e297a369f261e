/* The probe (probe.h: th_probe_run): one connection's steps timed, each client
 * backend's verdict on the chain, and the report put together. The URL is
 * probe_url.c's; the enumeration (versions, suites, server order, groups) is
 * probe_enum.c's; every handshake of either runs through th_probe_handshake here, on
 * a connection of its own driven over the backend seam, bounded by --timeout and the
 * whole probe by PROBE_BUDGET_S. The report is built as JSON first; probe_report.c
 * prints the text people read from that JSON, so both always say the same, and reads
 * the certificate chain into it. The command line is harness/cli/cmd_probe.c. */
#include "probe.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/io/transport.h"
#include "harness/vocab/iana.h"
#include "harness/vocab/text.h"
#include "probe_int.h"
#include "probe_warn.h"

#define SCHEMA "tlsharness.probe/1"
#define DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"
/* The whole probe's bound: a server that answers slowly but does answer still ends. */
#define PROBE_BUDGET_S 300.0
#define STATUS_MAX 4096
#define MODERN_VERSIONS (TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13))

const uint16_t th_probe_versions[TH_PROBE_N_VERSIONS] = {TH_TLS10, TH_TLS11, TH_TLS12, TH_TLS13};

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
            TH_RAISE(&l->err, TH_TIMEOUT, 0, "TLS handshake: no answer within %g s", timeout_s);
            return TH_LIVE_TIMEOUT;
        }
        if (r < 0) {
            TH_RAISE(&l->err, TH_IO_ERROR, errno, "poll: %s", strerror(errno));
            return TH_LIVE_REFUSED;
        }
    }
}

static enum th_probe_live tcp_open(struct th_probe *p, struct live *l)
{
    struct th_error terr = {0};
    int fd = th_tcp_connect(p->url.host, p->url.port, l->deadline, &l->connect_ns, &terr);
    if (fd < 0 && terr.outcome == TH_TIMEOUT) {
        TH_RAISE(&l->err, TH_TIMEOUT, 0, "TCP connect to %s port %u: no answer within %g s",
                 p->url.host, p->url.port, p->timeout_s);
        return TH_LIVE_NO_TCP;
    }
    if (fd < 0) {
        TH_RAISE(&l->err, TH_IO_ERROR, terr.code, "TCP connect to %s port %u: %s", p->url.host,
                 p->url.port, strerror((int)terr.code));
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
        TH_RAISE(&l->err, TH_TIMEOUT, 0, "the probe's %g s budget is spent", PROBE_BUDGET_S);
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
        TH_RAISE(&l->err, TH_TIMEOUT, 0, "no answer within %g s", timeout_s);
    else if (r < 0)
        TH_RAISE(&l->err, TH_IO_ERROR, errno, "poll: %s", strerror(errno));
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

/* The status line as text: up to the first CR or LF, at most 255 bytes of it, made
 * printable (vocab/text.h: a control byte or broken UTF-8 as \xNN), so the JSON
 * holds it as the text report prints it. */
static json_t *status_line_json(const char *buf, size_t got)
{
    char line[4 * 255 + 1];
    size_t n = 0;
    while (n < got && n < 255 && buf[n] != '\r' && buf[n] != '\n')
        n++;
    return json_string(th_text_safe_n(line, sizeof(line), buf, n));
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

/* The client's view of a CertificateRequest: asked, and whether a certificate went
 * (the server may still refuse it: the first byte or the handshake says). */
static json_t *client_cert_json(const struct th_probe *p, const struct th_negotiated *neg)
{
    json_t *o = json_object();
    json_object_set_new(o, "requested", neg ? json_boolean(neg->cert_requested) : json_null());
    json_object_set_new(o, "sent", neg ? json_boolean(neg->client_cert) : json_null());
    json_object_set_new(o, "cert", p->cert ? json_string(p->cert) : json_null());
    return o;
}

/* The handshake that completed: what it negotiated, the chain as sent, the GET. */
static void describe_connection(struct th_probe *p, struct live *l, json_t *r)
{
    struct th_negotiated neg;
    struct th_peer_info peer;
    memset(&peer, 0, sizeof(peer));
    l->b->negotiated(l->conn, &neg);
    json_object_set_new(r, "client_certificate", client_cert_json(p, &neg));
    int have_peer = l->b->peer_info && l->b->peer_info(l->conn, &peer) == 0;
    json_object_set_new(r, "tls", tls_json(l, &neg, have_peer ? &peer : NULL));
    json_object_set_new(r, "chain", th_probe_chain_json(peer.chain, peer.chain_len));
    if (!l->b->peer_info)
        th_probe_note(p, "%s cannot show the certificate chain", l->b->name);
    free(peer.chain);
    first_byte(p, l, r);
}

static const struct th_probe_client *timed_client(const struct th_probe *p)
{
    for (size_t i = 0; i < p->n_clients; i++)
        if (th_probe_has(&p->clients[i], TH_CAP_DRIVER_IO))
            return &p->clients[i];
    return NULL; /* probe_setup made sure there is one */
}

/* The first client backend with driver I/O connects as a default client would:
 * with versions (0: TLS 1.2 and 1.3), the library's suites, verification off. -1:
 * no TCP connection. */
static int timed_connection(struct th_probe *p, json_t *r, unsigned versions)
{
    const struct th_probe_client *c = timed_client(p);
    if (!versions)
        versions = c->caps.versions & MODERN_VERSIONS;
    struct th_tls_config cfg = th_probe_client_cfg(p, c, versions ? versions : c->caps.versions);
    struct live l;
    enum th_probe_live rc = live_open(p, c->b, &cfg, &l);
    json_object_set_new(r, "connect_ms", l.connected ? json_real(ms(l.connect_ns)) : json_null());
    if (rc == TH_LIVE_OK) {
        describe_connection(p, &l, r);
    } else {
        struct th_negotiated neg;
        memset(&neg, 0, sizeof(neg));
        /* safe after a failed handshake (backend.h): a CertificateRequest shows */
        if (l.conn)
            l.b->negotiated(l.conn, &neg);
        json_object_set_new(r, "tls", th_probe_error_json(c->b->name, &l.err));
        json_object_set_new(r, "client_certificate", client_cert_json(p, l.conn ? &neg : NULL));
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

/* A server that refused the TLS 1.2-1.3 timed connection but accepts an older
 * version gets it again at those: its chain and steps are shown all the same. */
static void retime(struct th_probe *p, json_t *r)
{
    const struct th_probe_client *c = timed_client(p);
    const json_t *tls = json_object_get(r, "tls");
    unsigned old = p->accepted & c->caps.versions & ~MODERN_VERSIONS;
    if (!strcmp(th_probe_str_or(tls, "outcome", "ok"), "ok") || !old)
        return;
    th_probe_note(p,
                  "a TLS 1.2-1.3 client was refused (%s: %s); the connection shown used the "
                  "older versions the server accepts",
                  th_probe_str_or(tls, "outcome", "?"), th_probe_str_or(tls, "text", ""));
    (void)timed_connection(p, r, old);
}

/* A server that asked for a client certificate and got none may refuse a version for
 * that alone (TLS 1.2 says so in the handshake, 1.3 after it): say so beside them. */
static void cert_note(struct th_probe *p, const json_t *r)
{
    const json_t *cc = json_object_get(r, "client_certificate");
    const json_t *refusals = json_object_get(r, "version_refusals");
    if (json_is_true(json_object_get(cc, "requested")) &&
        !json_is_true(json_object_get(cc, "sent")) && json_object_size(refusals))
        th_probe_note(p, "the server asked for a client certificate and got none: a version "
                         "refused may be refused for that alone (--cert FILE --key FILE)");
}

/* ---- verification by each client backend ---- */

static const char *staple_name(enum th_staple s)
{
    switch (s) {
    case TH_STAPLE_NONE: return "none";
    case TH_STAPLE_GOOD: return "good";
    case TH_STAPLE_REVOKED: return "revoked";
    case TH_STAPLE_UNKNOWN: return "unknown";
    case TH_STAPLE_INVALID: return "invalid";
    default: return NULL;
    }
}

/* The highest version client c shares with the server, or 0. */
static uint16_t shared_version(const struct th_probe *p, const struct th_probe_client *c)
{
    unsigned both = p->accepted & c->caps.versions;
    for (size_t i = TH_PROBE_N_VERSIONS; i-- > 0;)
        if (both & TH_VBIT(th_probe_versions[i]))
            return th_probe_versions[i];
    return 0;
}

/* A client that shares no version with the server: no verdict, said why. */
static json_t *no_verdict(const struct th_probe *p, const struct th_probe_client *c)
{
    char why[160] = "cannot offer TLS";
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++)
        if (p->accepted & TH_VBIT(th_probe_versions[i]))
            snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s %s",
                     strlen(why) > 16 ? "," : "", th_version_name(th_probe_versions[i]));
    strncat(why, ", which the server accepts", sizeof(why) - strlen(why) - 1);
    json_t *o = json_object();
    json_object_set_new(o, "backend", json_string(c->b->name));
    json_object_set_new(o, "version", json_null());
    json_object_set_new(o, "outcome", json_null());
    json_object_set_new(o, "skipped", json_string(why));
    return o;
}

/* The verdict at the highest version c shares with the server, offered alone so
 * the verdict names it even when it fails; before any version is known to be
 * accepted, at TLS 1.2-1.3 as a default client (the version then as negotiated). */
static json_t *verify_with(struct th_probe *p, const struct th_probe_client *c)
{
    uint16_t v = shared_version(p, c);
    unsigned versions = v ? TH_VBIT(v) : c->caps.versions & MODERN_VERSIONS;
    if (!v && p->accepted)
        return no_verdict(p, c);
    struct th_tls_config cfg = th_probe_client_cfg(p, c, versions ? versions : c->caps.versions);
    cfg.verify = 1;
    /* a staple is asked for where the client can check one without requiring it */
    if (th_probe_has(c, TH_CAP_OCSP_REQUEST))
        cfg.ocsp = TH_OCSP_REQUEST;
    cfg.ca_file = p->ca;
    cfg.hostname = p->name;
    const char *why = NULL;
    if (th_probe_is_ip(p->name) && !th_probe_has(c, TH_CAP_IP_SAN)) {
        cfg.hostname = NULL;
        why = "cannot check an IP address against the certificate: the chain was checked "
              "without the name";
    }
    struct th_error e = {0};
    struct th_negotiated neg;
    memset(&neg, 0, sizeof(neg));
    if (th_probe_has(c, TH_CAP_DRIVER_IO)) {
        struct live l;
        if (live_open(p, c->b, &cfg, &l) != TH_LIVE_OK)
            e = l.err;
        /* also after a failed handshake (backend.h): a refused staple shows */
        if (l.conn)
            c->b->negotiated(l.conn, &neg);
        live_close(&l);
    } else {
        struct th_fetch_result res;
        memset(&res, 0, sizeof(res));
        int rc = c->b->fetch(&cfg, p->url.host, p->url.port, p->url.path, p->timeout_s, &res);
        e = res.err;
        neg = res.neg;
        if (rc != 0 && e.outcome == TH_OK)
            th_error_set(&e, TH_INTERNAL_ERROR, rc, "fetch failed without saying why");
        free(res.body);
    }
    json_t *o = th_probe_error_json(c->b->name, &e);
    uint16_t used = v ? v : e.outcome == TH_OK ? neg.version : 0;
    json_object_set_new(o, "version", used ? json_string(th_version_name(used)) : json_null());
    const char *staple = cfg.ocsp ? staple_name(neg.ocsp) : NULL;
    json_object_set_new(o, "ocsp", staple ? json_string(staple) : json_null());
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

/* The probe proper: the report. */
static json_t *probe_report(struct th_probe *p)
{
    json_t *r = report_new(p);
    uint64_t t0 = th_now_ns();
    p->notes = json_array();
    p->timeout_ns = (uint64_t)(p->timeout_s * 1e9);
    p->budget_end = t0 + (uint64_t)(PROBE_BUDGET_S * 1e9);
    if (resolves(p, r) && timed_connection(p, r, 0) == 0) {
        th_probe_enum_versions(p, r);
        retime(p, r);
        cert_note(p, r);
        json_object_set_new(r, "verification", verification(p));
        th_probe_staple(p, r);
        th_probe_enum_suites(p, r);
        th_probe_legacy_suites(p, r);
        th_probe_dh(p, r);
        th_probe_enum_groups(p, r);
    }
    json_object_set_new(r, "notes", p->notes);
    json_object_set_new(r, "findings", th_probe_findings(r, time(NULL)));
    json_object_set_new(r, "elapsed_s", json_real((double)(th_now_ns() - t0) / 1e9));
    return r;
}

/* ---- what the probe is given ---- */

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

static int check_backends(const char *list, struct th_error *err)
{
    char *copy = th_xstrdup(list), *save = NULL;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
        if (!th_backend_find(t)) {
            TH_INPUT(err, "-b: unknown backend '%s' ('tlsharness backends' lists them)", t);
            rc = -1;
        }
    free(copy);
    return rc;
}

static int probe_setup(struct th_probe *p, const struct th_probe_opts *o, struct th_error *err)
{
    memset(p, 0, sizeof(*p));
    TH_GUARD(th_probe_parse_url(o->url, &p->url, err));
    if (o->backends)
        TH_GUARD(check_backends(o->backends, err));
    if (pick_clients(p, o->backends) != 0) {
        TH_INPUT(err, "needs a client backend with driver I/O; -b named none");
        return -1;
    }
    p->url_text = o->url;
    p->name = o->servername ? o->servername : p->url.host;
    p->sni = th_probe_is_ip(p->name) ? NULL : p->name;
    p->ca = o->ca ? o->ca : access(DEFAULT_CA, R_OK) == 0 ? DEFAULT_CA : NULL;
    p->timeout_s = o->timeout_s > 0 ? o->timeout_s : TH_PROBE_TIMEOUT_S;
    if (!o->cert != !o->key) {
        TH_INPUT(err, "--cert and --key go together");
        return -1;
    }
    p->cert = o->cert;
    p->key = o->key;
    return 0;
}

json_t *th_probe_run(const struct th_probe_opts *o, struct th_error *err)
{
    struct th_probe p;
    json_t *r = NULL;
    if (probe_setup(&p, o, err) == 0)
        r = probe_report(&p);
    free(p.clients);
    return r;
}

int th_probe_answered(const json_t *report)
{
    const char *key;
    json_t *v, *versions = json_object_get(report, "versions");
    if (json_object_get(report, "error"))
        return 0;
    json_object_foreach(versions, key, v)
    {
        if (json_is_true(v))
            return 1;
    }
    return 0;
}
