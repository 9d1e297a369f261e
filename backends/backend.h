/* The backend seam. Every TLS backend is one file backends/NAME.c exporting one
 * const struct th_backend at its end; what is a concern of its own lives beside it in
 * NAME_*.c (NAME_map.c: the library's codes in the shared vocabulary; NAME_aead.c:
 * the aead_cost op). registry.c lists the backends compiled in. The driver never
 * branches on a backend's name: what a backend can do is data (struct th_caps), and
 * a case that needs a capability a backend lacks is skipped with the reason.
 *
 * Two shapes of backend share the struct:
 *  - driver-owned I/O (OpenSSL, GnuTLS, mbedTLS, wolfSSL, NSS, and the shims, whose
 *    stack runs in another process under the same ops: shim.c): the driver gives each connection a
 *    struct th_io; the backend reads and writes records only through it, so one
 *    backend runs over the in-memory channel or over TCP. Calls never block: when
 *    the transport has no data the step returns TH_WANT_READ and the driver waits.
 *  - socket-owning clients (libcurl): the backend does a whole HTTPS GET itself
 *    through ->fetch.
 *
 * Mandatory: name, library, version, caps. A driver-owned backend sets every op from
 * ctx_new to conn_free except session_get/session_free (only with TH_RESUME_* caps);
 * a socket-owning one sets fetch and leaves those NULL. init/cleanup are optional.
 * The ops returning int are TH_MUST_CHECK; a caller may drop a step's enum th_step on
 * purpose (a best-effort close_notify).
 */
#ifndef TH_BACKEND_H
#define TH_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness/vocab/iana.h"
#include "harness/vocab/error.h"
#include "harness/vocab/outcome.h"

#define TH_MAX_SUITES 192
#define TH_MAX_GROUPS 16
#define TH_MAX_ALPN 8

enum th_role { TH_ROLE_CLIENT = 1u << 0, TH_ROLE_SERVER = 1u << 1 };

enum th_resume { TH_RESUME_NONE = 0, TH_RESUME_TICKET = 1, TH_RESUME_SESSION_ID = 2 };
/* What a server asks of the client's certificate (scenario key server.client_auth). */
enum th_client_auth { TH_CLIENT_AUTH_NONE = 0, TH_CLIENT_AUTH_REQUEST, TH_CLIENT_AUTH_REQUIRE };
#define TH_RESUME_BIT(r) (1u << (r))
/* What a client does about a stapled OCSP response (scenario key client.ocsp):
 * off: does not ask; request: asks (status_request) and checks a staple that comes,
 * a missing one is no error (unless the leaf is must-staple and the library enforces
 * RFC 7633); require: a connection without a valid staple fails (ocsp_missing). */
enum th_ocsp_mode { TH_OCSP_OFF = 0, TH_OCSP_REQUEST, TH_OCSP_REQUIRE };
/* TLS 1.3 early data (0-RTT), client side (scenario key client.early_data): off;
 * send: the resumed connection sends its request as early data (->early_write);
 * replay: as send, then one more connection sends the same early data again with
 * the same session, as an attacker replaying the flight would. */
enum th_early { TH_EARLY_OFF = 0, TH_EARLY_SEND, TH_EARLY_REPLAY };
/* Server side (server.early_data): off: tickets allow no early data; accept: they
 * allow it and the server takes it; reject: they allow it and the server refuses
 * it in the handshake (the client sends it again after). */
enum th_early_server { TH_EARLY_SERVER_OFF = 0, TH_EARLY_SERVER_ACCEPT, TH_EARLY_SERVER_REJECT };

/* Feature bits of struct th_caps.features. */
enum {
    TH_CAP_ALPN = 1u << 0,                /* offers/selects ALPN protocols */
    TH_CAP_CRL = 1u << 1,                 /* client checks a CRL file */
    TH_CAP_SNI = 1u << 2,                 /* sends / receives server_name */
    TH_CAP_HOSTNAME = 1u << 3,            /* client checks the DNS name against the leaf */
    TH_CAP_IP_SAN = 1u << 4,              /* client checks an IP address against IP SANs */
    TH_CAP_RESTRICT_VERSIONS = 1u << 5,   /* honours an exact version range */
    TH_CAP_RESTRICT_SUITES = 1u << 6,     /* honours an exact, ordered suite list */
    TH_CAP_RESTRICT_GROUPS = 1u << 7,     /* honours an exact group list */
    TH_CAP_SERVER_ORDER = 1u << 8,        /* server can enforce its own suite order */
    TH_CAP_DRIVER_IO = 1u << 9,           /* I/O through struct th_io (memory and TCP) */
    TH_CAP_OWN_SOCKET = 1u << 10,         /* connects itself (->fetch): TCP targets only */
    TH_CAP_CLIENT_ORDER = 1u << 11,       /* server can follow the client's suite order */
    TH_CAP_TRUNCATION = 1u << 12,         /* reads a close without close_notify as truncated */
    TH_CAP_CLIENT_CERT = 1u << 13,        /* client presents cert_file/key_file when asked */
    TH_CAP_CLIENT_AUTH = 1u << 14,        /* server requests or requires a client certificate
                                           * and verifies it against client_ca_file */
    TH_CAP_OCSP_REQUEST = 1u << 15,       /* client asks for a staple and checks one that
                                           * comes, a missing one allowed */
    TH_CAP_OCSP_REQUIRE = 1u << 16,       /* client refuses a connection without a staple */
    TH_CAP_OCSP_STAPLE = 1u << 17,        /* server staples ocsp_file when asked */
    TH_CAP_EARLY_DATA = 1u << 18,         /* client sends (->early_write), server accepts
                                           * or rejects TLS 1.3 early data */
    TH_CAP_ANTI_REPLAY = 1u << 19,        /* server refuses early data replayed with a
                                           * session it has seen (single-use tickets or a
                                           * replay cache); without it anti_replay = 0 */
    TH_CAP_OUT_OF_PROCESS = 1u << 20,     /* the stack runs in another process (a shim):
                                           * its CPU time comes from ->cpu_ns */
    TH_CAP_TLS13_SUITES_FIXED = 1u << 21, /* with RESTRICT_SUITES: a list is honoured for
                                           * TLS 1.0-1.2 only; its TLS 1.3 suites cannot
                                           * be restricted (Go's crypto/tls) */
};
/* The feature bits' names, in bit order (registry.c): what `tlsharness backends`
 * prints and a shim's capabilities say. NULL-terminated. */
extern const char *const th_cap_feature_names[];

#define TH_MAX_DEFAULTS_CHANGED 4

struct th_caps {
    unsigned roles;                 /* TH_ROLE_* */
    unsigned versions;              /* TH_VBIT set of versions the library can negotiate */
    unsigned resume;                /* TH_RESUME_BIT set */
    unsigned features;              /* TH_CAP_* */
    uint16_t suites[TH_MAX_SUITES]; /* IANA ids the library can negotiate */
    size_t n_suites;
    uint16_t groups[TH_MAX_GROUPS]; /* IANA ids */
    size_t n_groups;
    /* Every library default the backend changes, one line each ("security level 0
     * for the handshake when TLS 1.0 or 1.1 is allowed; certificate checks keep
     * level 2"): `tlsharness backends` lists them and the results' backends block
     * records them. Unused entries NULL. */
    const char *defaults_changed[TH_MAX_DEFAULTS_CHANGED];
};

/* The default bound on an HTTP response body a client reads (scenario key
 * client.max_body_bytes): above the largest file a fixture serves (16 MiB). */
#define TH_MAX_BODY_DEFAULT (UINT64_C(64) << 20)

/* One endpoint's configuration, already resolved to files and IANA ids by the
 * driver. Lists are in preference order; an empty list means the library default
 * (which the backend must keep within `versions`). */
struct th_tls_config {
    enum th_role role;
    unsigned versions; /* TH_VBIT set; never empty */
    uint16_t suites[TH_MAX_SUITES];
    size_t n_suites;
    uint16_t groups[TH_MAX_GROUPS];
    size_t n_groups;
    const char *alpn[TH_MAX_ALPN];
    size_t n_alpn;
    /* client */
    const char *ca_file;    /* trusted roots (PEM); NULL: no trust anchors */
    const char *crl_file;   /* CRLs (PEM); NULL: no revocation check */
    const char *hostname;   /* name or IP literal checked against the leaf; NULL: none */
    const char *sni;        /* server_name sent; NULL: none */
    int verify;             /* 0: accept any certificate (still reports it) */
    enum th_resume resume;  /* what the client asks for on its second connection */
    uint64_t max_body;      /* ->fetch: a longer response body fails the fetch at once
                             * (internal_error); 0: TH_MAX_BODY_DEFAULT */
    int early_send;         /* resumed connections may send early data (->early_write) */
    enum th_ocsp_mode ocsp; /* ask for / require a stapled OCSP response; a staple that
                             * comes is checked against ca_file (its signer must be the
                             * leaf's issuer or a responder it delegated to) */
    /* both roles: the endpoint's own certificate. A server always has one; a client
     * presents its own only when the server asks (NULL: none to present). */
    const char *cert_file; /* PEM chain as sent: leaf first, then intermediates */
    const char *key_file;  /* PEM private key of the leaf */
    /* server */
    enum th_client_auth client_auth; /* request or require a client certificate */
    const char *client_ca_file;      /* roots a client certificate must chain to (PEM) */
    const char *ocsp_file;           /* a DER OCSP response stapled as it is to a client
                                      * that asks; NULL: none. The backend staples it
                                      * unchanged (never checks or drops it); a library
                                      * that refuses to is a finding its error names */
    enum th_early_server early_data; /* tickets allow early data: take it, or refuse it */
    int anti_replay;                 /* with early data: refuse a replay of it */
    int prefer_server_order;         /* enforce the server's suite order */
    int tickets;                     /* issue session tickets */
    int session_cache;               /* keep a session-id cache */
};

/* What a connection negotiated, in IANA terms. 0 / "" where not applicable. */
struct th_negotiated {
    uint16_t version;
    uint16_t suite;
    uint16_t group; /* key exchange group; 0 for RSA key transport or resumption without one */
    char alpn[64];
    int resumed;
    /* Client certificates. Client's view: the server asked for one (cert_requested)
     * and the client sent one (client_cert). Server's view: a client certificate
     * arrived and verified (client_cert). */
    int cert_requested;
    int client_cert;
    /* Client's view of the stapled OCSP response. After a failed handshake the
     * driver calls ->negotiated too and keeps only this field (so a refused staple is
     * recorded): ->negotiated must be safe on a connection whose handshake failed. */
    enum th_staple ocsp;
    /* TLS 1.3 early data. Client's view: it sent some (early_offered) and the server
     * took it (early_accepted); server's view: some arrived and it took it. early_bytes:
     * application bytes sent (client) or received (server) as early data. */
    int early_offered;
    int early_accepted;
    uint64_t early_bytes;
};

/* What the peer presented (optional op ->peer_info). */
struct th_peer_info {
    unsigned char *chain; /* malloc'd: its certificates' DER back to back, as it sent them
                           * (leaf first); NULL when none arrived. The caller frees it. */
    size_t chain_len;
    size_t n_certs;
    char sig_scheme[48]; /* IANA SignatureScheme name of its handshake signature
                          * (rsa_pss_rsae_sha256, ...); "" when none or unknown */
};

/* The driver's transport. Both calls never block. They return the number of bytes
 * moved (> 0), 0 on orderly end of stream (recv only), TH_IO_AGAIN when nothing can
 * move now, or TH_IO_FAIL. */
#define TH_IO_AGAIN (-1)
#define TH_IO_FAIL (-2)
struct th_io {
    void *ctx;
    ssize_t (*send)(void *ctx, const void *buf, size_t len);
    ssize_t (*recv)(void *ctx, void *buf, size_t len);
};

/* Result of a step. TH_WANT_* : call again once the transport can move. */
enum th_step {
    TH_STEP_DONE = 0,
    TH_STEP_WANT_READ,
    TH_STEP_WANT_WRITE,
    TH_STEP_CLOSED, /* read: the peer sent close_notify */
    TH_STEP_FAILED, /* err filled in */
};

struct th_ctx;     /* per endpoint configuration: certificates, caches, ticket keys */
struct th_conn;    /* one connection */
struct th_session; /* a client's resumable session */

/* A socket-owning client's HTTPS GET. */
struct th_fetch_result {
    struct th_negotiated neg;
    struct th_error err; /* outcome TH_OK on success */
    long http_status;
    unsigned char *body; /* malloc'd; the driver frees it */
    size_t body_len;
};

struct th_backend {
    /* identity (mandatory) */
    const char *name;             /* "openssl": what scenarios and -b name */
    const char *library;          /* "OpenSSL" */
    const char *(*version)(void); /* the runtime library's version string */
    void (*caps)(struct th_caps *out);

    /* library-wide set-up, once per process (optional) */
    TH_MUST_CHECK int (*init)(void);
    void (*cleanup)(void);

    /* driver-owned I/O */
    TH_MUST_CHECK int (*ctx_new)(const struct th_tls_config *cfg, struct th_ctx **out,
                                 struct th_error *err);
    void (*ctx_free)(struct th_ctx *ctx);
    /* resume_from: a session from session_get on an earlier client connection, or NULL. */
    TH_MUST_CHECK int (*conn_new)(struct th_ctx *ctx, const struct th_io *io,
                                  struct th_session *resume_from, struct th_conn **out,
                                  struct th_error *err);
    enum th_step (*handshake)(struct th_conn *c, struct th_error *err);
    enum th_step (*write)(struct th_conn *c, const void *buf, size_t len, size_t *done,
                          struct th_error *err);
    enum th_step (*read)(struct th_conn *c, void *buf, size_t len, size_t *done,
                         struct th_error *err);
    /* Send close_notify (DONE once sent). */
    enum th_step (*shutdown)(struct th_conn *c, struct th_error *err);
    void (*negotiated)(struct th_conn *c, struct th_negotiated *out);
    void (*conn_free)(struct th_conn *c);
    /* Client resumption (optional): call after application data has been read, so a
     * TLS 1.3 ticket has arrived. NULL when there is nothing to resume. */
    struct th_session *(*session_get)(struct th_conn *c);
    void (*session_free)(struct th_session *s);

    /* socket-owning clients: one HTTPS GET of https://host:port/path */
    TH_MUST_CHECK int (*fetch)(const struct th_tls_config *cfg, const char *host, uint16_t port,
                               const char *path, double timeout_s, struct th_fetch_result *out);

    /* data path (optional) */
    /* Ask for a TLS 1.3 KeyUpdate that also asks the peer to update (update_requested).
     * The update goes out with the next write or call; DONE once scheduled. */
    enum th_step (*key_update)(struct th_conn *c, struct th_error *err);
    /* The raw cost of the suite's record protection through the library's own crypto
     * API, no TLS: seal then open records of record_size bytes (with a 13-byte AAD, as
     * TLS 1.2 does; TLS 1.3's 5-byte AAD costs the same) for about `seconds`, and
     * report the CPU nanoseconds per byte of seal+open together in *ns_per_byte.
     * -1 with err when the library cannot, or the suite is not an AEAD it has. */
    TH_MUST_CHECK int (*aead_cost)(uint16_t suite, size_t record_size, double seconds,
                                   double *ns_per_byte, struct th_error *err);

    /* Client, TLS 1.3 early data (optional; with TH_CAP_EARLY_DATA): after conn_new
     * with a resume session and before the first ->handshake call, queue buf to go as
     * early data with the ClientHello. DONE with *done the bytes taken (fewer than len
     * when the session allows less; 0 when it allows none: nothing is offered). The
     * driver writes what was not accepted again once the handshake is done. */
    enum th_step (*early_write)(struct th_conn *c, const void *buf, size_t len, size_t *done,
                                struct th_error *err);

    /* Out-of-process stacks (optional; with TH_CAP_OUT_OF_PROCESS): the CPU time, in
     * nanoseconds, that the process serving ctx has used so far. The kinds add its
     * change over a measurement to that side's CPU figure. */
    uint64_t (*cpu_ns)(struct th_ctx *ctx);

    /* inspection (optional) */
    /* What the peer presented on a connection whose handshake completed: its chain as
     * sent and its signature scheme. 0, or -1 when there is nothing to report. */
    TH_MUST_CHECK int (*peer_info)(struct th_conn *c, struct th_peer_info *out);
};

/* registry.c */
extern const struct th_backend *const th_backends[];
size_t th_backend_count(void);
const struct th_backend *th_backend_find(const char *name);

#endif
