/* Internal to the probe's modules: probe.c (the timed connection, the verdicts, the
 * report), probe_url.c (the URL), probe_enum.c (versions, suites, server order,
 * groups), probe_ocsp.c (the staple) and probe_report.c (the chain, the text people
 * read). Not for other modules; probe.h is
 * the public side. */
#ifndef TH_PROBE_INT_H
#define TH_PROBE_INT_H

#include <jansson.h>
#include <openssl/types.h>
#include <stdint.h>

#include "backends/backend.h"
#include "probe.h"
#include "harness/vocab/util.h"

/* TLS 1.0 .. 1.3, oldest first: the versions probed, and the order of the report's
 * per-version objects. Defined in probe.c. */
#define TH_PROBE_N_VERSIONS 4
extern const uint16_t th_probe_versions[TH_PROBE_N_VERSIONS];

/* The string at key in the report object o; dflt when it is missing or not a string
 * (a report read back from elsewhere may lack fields). */
static inline const char *th_probe_str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

/* ---- the probe's state, set up by probe.c ---- */

struct th_probe_client {
    const struct th_backend *b;
    struct th_caps caps;
};

struct th_probe {
    const char *url_text;
    struct th_probe_url url;
    const char *name;       /* checked against the certificate */
    const char *sni;        /* sent; NULL for an IP literal */
    const char *ca;         /* NULL: no trust anchors */
    const char *cert, *key; /* the client certificate presented when asked; NULL: none */
    double timeout_s;
    uint64_t timeout_ns, budget_end;
    struct th_probe_client *clients; /* client role, in th_backends order, after -b */
    size_t n_clients;
    unsigned accepted; /* TH_VBIT set of versions the server accepted */
    int budget_spent;
    json_t *notes;
};

static inline int th_probe_has(const struct th_probe_client *c, unsigned feature)
{
    return (c->caps.features & feature) != 0;
}

/* A client configuration with the probe's SNI, verification off, and the client
 * certificate (--cert) for a client that can present one: a server that requires
 * one refuses every handshake without it, in TLS 1.2. */
static inline struct th_tls_config
th_probe_client_cfg(const struct th_probe *p, const struct th_probe_client *c, unsigned versions)
{
    struct th_tls_config cfg = {.role = TH_ROLE_CLIENT, .versions = versions, .sni = p->sni};
    if (p->cert && th_probe_has(c, TH_CAP_CLIENT_CERT)) {
        cfg.cert_file = p->cert;
        cfg.key_file = p->key;
    }
    return cfg;
}

/* An IPv4 or IPv6 literal (probe_url.c): no SNI, checked against IP SANs. */
int th_probe_is_ip(const char *s);

/* A line for the report's notes. */
TH_PRINTF(2, 3) void th_probe_note(struct th_probe *p, const char *fmt, ...);

/* ---- one handshake (probe.c) ---- */

enum th_probe_live {
    TH_LIVE_OK,      /* the handshake completed */
    TH_LIVE_REFUSED, /* it failed: err says how */
    TH_LIVE_TIMEOUT, /* no answer in time */
    TH_LIVE_NO_CTX,  /* the backend would not take the configuration */
    TH_LIVE_NO_TCP,  /* the TCP connect failed */
    TH_LIVE_BUDGET,  /* the probe's time budget is spent: nothing was tried */
};

/* One handshake with cfg on a connection of its own, within --timeout, closed with a
 * close_notify; what it negotiated in *neg when it completed, why not in *err. */
enum th_probe_live th_probe_handshake(struct th_probe *p, const struct th_backend *b,
                                      const struct th_tls_config *cfg, struct th_negotiated *neg,
                                      struct th_error *err) TH_MUST_CHECK;

/* {"backend", "outcome", "code", "text"}; no "backend" when backend is NULL. */
json_t *th_probe_error_json(const char *backend, const struct th_error *e);
/* probe_report.c: a certificate name (RFC 2253) and a time (ISO 8601, UTC) as JSON,
 * for the chain and the staple alike; null for a time that does not parse. */
json_t *th_probe_name_json(const X509_NAME *n);
json_t *th_probe_time_json(const ASN1_TIME *t);

/* ---- the enumeration (probe_enum.c): each adds its keys to the report r ---- */

/* "versions", "version_refusals"; sets p->accepted. */
void th_probe_enum_versions(struct th_probe *p, json_t *r);
/* "suites", "server_order", "not_tested", for each version in p->accepted. */
void th_probe_enum_suites(struct th_probe *p, json_t *r);
/* "groups": those accepted with TLS 1.2 and with TLS 1.3, for each it accepts. */
void th_probe_enum_groups(struct th_probe *p, json_t *r);

/* ---- the probe's own ClientHello (probe_legacy.c) ---- */

/* "legacy_suites": per accepted version up to TLS 1.2, the export, RC4, DES, 3DES
 * and IDEA suites the server takes, and those of "not_tested" (NULL, anonymous,
 * ...), in its order. After th_probe_enum_suites. */
void th_probe_legacy_suites(struct th_probe *p, json_t *r);
/* "dh": {"bits", "version", "suite"} of the DH group a DHE suite gets at the highest
 * version up to TLS 1.2 with a DHE suite in r's lists; nothing when there is none. */
void th_probe_dh(struct th_probe *p, json_t *r);
/* One ClientHello of the probe's own at version (up to TLS 1.2) listing suites: what
 * the server chose, whatever a client library would have made of it. */
/* The groups of groups[0..n) the server takes with TLS 1.2, each offered alone with
 * every suite of its kind, as the ServerKeyExchange names it. */
json_t *th_probe_groups12(struct th_probe *p, const uint16_t *groups, size_t n);
enum th_offer th_probe_raw_offer(struct th_probe *p, uint16_t version, const uint16_t *suites,
                                 size_t n, uint16_t *chosen);

/* ---- the staple (probe_ocsp.c) ---- */

/* "staple": what the server staples at the highest version it accepts
 * (th_probe_staple_json, plus "version"); nothing when it accepts none. */
void th_probe_staple(struct th_probe *p, json_t *r);

#endif
