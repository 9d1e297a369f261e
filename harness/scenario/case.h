/* The case: one client x server pair of one scenario (or variant), as the reader
 * (scenario.h) expands it. This is what the other rooms read: the run core takes a
 * struct th_case as its input, the report writes it out. They include this header,
 * not the reader's. */
#ifndef TH_CASE_H
#define TH_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "harness/vocab/outcome.h"

/* A real server the harness runs (harness/fixture/fixture.h); the case only points
 * at its definition. */
struct th_fixture_def;

enum th_kind {
    TH_KIND_HANDSHAKE = 0,
    TH_KIND_BULK,           /* "bulk": application data one way or both, measured */
    TH_KIND_HANDSHAKE_RATE, /* "handshake_rate": handshakes per second, CPU per handshake */
    TH_KIND_MEMORY,         /* "memory": bytes per established idle connection */
    TH_KIND_INTEGRITY,      /* "integrity": a fault injected into records in flight */
    TH_KIND_LOAD,           /* "load": HTTPS requests over many connections, measured */
};

enum th_direction { TH_C2S = 0, TH_S2C, TH_BOTH };

enum th_fault {
    TH_FAULT_FLIP_BIT = 0, /* one bit of one record's body */
    TH_FAULT_DROP,         /* one record removed */
    TH_FAULT_DUPLICATE,    /* one record sent twice */
    TH_FAULT_REORDER,      /* one record swapped with the next */
    TH_FAULT_TRUNCATE,     /* the stream ends after one record, without close_notify */
    TH_FAULT_KEY_UPDATE,   /* no fault: a TLS 1.3 KeyUpdate before one record */
};

enum th_transport { TH_TRANSPORT_MEMORY = 0, TH_TRANSPORT_TCP };

/* "bulk", "handshake_rate", ...; "unknown" outside the enum. */
const char *th_kind_name(enum th_kind k);
/* "memory" or "tcp". */
const char *th_transport_name(enum th_transport t);

/* "bulk": {"bytes": N | "seconds": S, "write_size": N, "direction": ...} */
struct th_bulk_spec {
    uint64_t bytes;    /* 0: by time */
    double seconds;    /* default 1 when bytes is 0 */
    size_t write_size; /* default 16384 */
    enum th_direction direction;
};

/* "handshakes": {"count": N | "seconds": S, "resume": ..., "concurrency": N} */
struct th_rate_spec {
    uint64_t count;        /* 0: by time */
    double seconds;        /* default 1 when count is 0 */
    enum th_resume resume; /* every measured handshake resumes this way, or none */
    unsigned concurrency;  /* default 1; above 1 needs transport tcp */
    int request;           /* each connection carries one small request and its reply
                              (with client.early_data "send": as early data), timed to
                              the reply's first byte (metric ttfb_ms) */
};

/* "memory": {"connections": N} */
struct th_memory_spec {
    unsigned connections; /* default 200 */
};

/* "integrity": {"fault": ..., "record": N, "bytes": N, "write_size": N, "direction": ...} */
struct th_fault_spec {
    enum th_fault fault;
    unsigned record;             /* which application-data record (1-based); default 3 */
    uint64_t bytes;              /* payload; default 262144 */
    size_t write_size;           /* default 16384 */
    enum th_direction direction; /* c2s or s2c; default c2s */
};
/* The HTTP version kind load speaks. */
enum th_http { TH_HTTP_1_1 = 0, TH_HTTP_2 };

/* "load": {"requests": N | "seconds": S, "connections": C, "path": "/...",
 * "new_connection_per_request": bool, "resume": ...} */
struct th_load_spec {
    uint64_t requests;    /* 0: by time */
    double seconds;       /* default 2 when requests is 0 */
    unsigned connections; /* default 16 */
    char path[256];       /* default "/" */
    int new_connection_per_request;
    enum th_resume resume; /* reconnections resume this way; default none */
    double max_seconds;    /* by count: give up after this long (not a scenario key:
                              `tlsharness load -n` sets it); 0: kind load's default */
    double rate;           /* open loop: requests per second over all connections, each
                              request's latency measured from its intended send time;
                              0: closed loop (default) */
    enum th_http http;     /* "protocol": HTTP/1.1 (default) or h2 (ALPN h2) */
    unsigned streams;      /* h2: concurrent streams per connection; default 1 */
    int has_sha256;        /* "expect_sha256" given: every body must hash to it */
    uint8_t sha256[32];
};

/* One side as the scenario describes it, names already turned into IANA ids.
 * Client-only and server-only fields are ignored on the other side. */
struct th_endpoint_spec {
    unsigned versions; /* TH_VBIT set; default 1.2 and 1.3 */
    uint16_t suites[TH_MAX_SUITES];
    size_t n_suites; /* 0: the library's default list */
    uint16_t groups[TH_MAX_GROUPS];
    size_t n_groups;
    char *alpn[TH_MAX_ALPN];
    size_t n_alpn;
    /* client */
    char *ca;              /* "pki:NAME" or an absolute path; default "pki:root"; NULL: none */
    char *crl;             /* "pki:crl", an absolute path, or NULL */
    char *hostname;        /* default "localhost"; NULL when the scenario says null */
    char *sni;             /* default: hostname when it is a DNS name, else NULL */
    int verify;            /* default 1 */
    enum th_resume resume; /* default none: a second connection resumes when set */
    uint64_t max_body;     /* kind handshake: the response body's bound; default
                              TH_MAX_BODY_DEFAULT */
    enum th_ocsp_mode ocsp_mode; /* default off */
    enum th_early early;         /* TLS 1.3 early data on the resumed connection; default off */
    /* both sides: the certificate chain this side presents (leaf first) and its key,
     * each "pki:NAME" or an absolute path. Server: default "pki:rsa2048". Client:
     * default NULL, none (presented when the server asks). key NULL:
     * the key of the pki leaf named by cert (a cert file always comes with a key). */
    char *cert;
    char *key;
    /* server */
    enum th_client_auth client_auth; /* default none */
    char *client_ca;                 /* roots a client certificate must chain to: "pki:NAME" or an
                                        absolute path; NULL: none (default) */
    char *ocsp; /* the OCSP response stapled: "pki:NAME" or an absolute path (DER); NULL:
                   none (default) */
    enum th_early_server early_server; /* what the server does with early data; default off */
    int anti_replay;                   /* refuse early data seen before; default 1 */
    int prefer_server_order;           /* default 1 */
    int tickets;                       /* default 1 */
    int session_cache;                 /* default 1 */
};

struct th_expect {
    th_outcome_set outcomes; /* acceptable outcomes; default {ok} */
    uint16_t version;        /* 0: not pinned */
    uint16_t suite;          /* 0: not pinned */
    uint16_t group;          /* 0: not pinned */
    int alpn_pinned;
    char *alpn;  /* pinned and NULL: no protocol negotiated */
    int resumed; /* -1: not pinned */
    int ocsp_pinned;
    enum th_staple ocsp; /* pinned: the staple the client must have seen */
    int hrr;             /* -1: not pinned; else whether a HelloRetryRequest was needed */
    int early;           /* -1: not pinned; else whether the early data was accepted */
    int replay;          /* -1: not pinned; else whether the replayed early data was accepted */
};

struct th_deviation {
    char *client; /* backend name or NULL: any */
    char *server;
    th_outcome_set outcomes; /* what this backend honestly does instead */
    char *why;
    int intermittent; /* it happens only sometimes: the expected outcome is a pass */
};

struct th_case {
    char *id;       /* SCENARIO[@VARIANT]/CLIENT-vs-SERVER */
    char *scenario; /* SCENARIO[@VARIANT] */
    char *file;     /* the scenario file as given */
    int line;       /* where the scenario starts in it */
    char *description;
    enum th_kind kind;
    const struct th_backend *client;
    const struct th_backend *server;      /* NULL: external target or fixture */
    const struct th_fixture_def *fixture; /* a real server the harness runs, or NULL */
    char *server_name;                    /* backend name, "fixture:NAME", or the target URL */
    char *target_host;                    /* external target only */
    uint16_t target_port;
    enum th_transport transport; /* external targets are always TCP */
    double timeout_s;            /* default 5 */

    /* The kind's block; the others keep their defaults. */
    unsigned repeat;              /* benchmark kinds: measured repetitions; 0: the CLI's --repeat */
    struct th_bulk_spec bulk;     /* kind bulk */
    struct th_rate_spec rate;     /* kind handshake_rate */
    struct th_memory_spec memory; /* kind memory */
    struct th_fault_spec fault;   /* kind integrity */
    struct th_load_spec load;     /* kind load */

    struct th_endpoint_spec c, s;
    struct th_expect expect;
    int has_deviation;
    struct th_deviation deviation; /* the one that names this pair */
    char *skip;                    /* non-NULL: the capability this pair lacks, as a reason */
};

/* Frees what the case owns (its strings, specs, expectation and deviation) and
 * zeroes it. */
void th_case_free(struct th_case *k);

#endif
