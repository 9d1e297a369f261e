/* The suites no client library here can offer, and the server's DH group: the
 * probe's own ClientHello, byte for byte (probe.h, steps 3b and 3c).
 *
 * Today's libraries cannot offer export, RC4, DES, 3DES or IDEA suites any more
 * (OpenSSL 3 dropped them; the client backends list what they can offer), yet old
 * servers still take them, and those are what a weak configuration is made of. A
 * server's choice is in its ServerHello, which is sent in the clear before anything
 * is decrypted: so the probe sends a TLS 1.0-1.2 ClientHello it built itself,
 * listing such suites, reads the ServerHello (or the alert) and closes. The same
 * enumeration as for the client backends' suites (th_probe_enumerate) finds every
 * one the server takes, in its order.
 *
 * The DH group a DHE suite uses is in the ServerKeyExchange, also in the clear;
 * the backend seam does not give it, so the same ClientHello with the DHE suites
 * reads it (its prime's length). The ClientHello lists EC groups only: a server
 * that knows RFC 7919 would otherwise pick an ffdhe group, and the group an old
 * client without the extension gets is the one that matters. */
#include "probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness/io/transport.h"
#include "harness/vocab/iana.h"
#include "probe_int.h"

/* IANA suites of TLS 1.0-1.2 that the IANA table here leaves out (it lists what
 * the libraries here know): export, RC4, DES, 3DES, IDEA. */
static const struct {
    uint16_t id;
    const char *name;
} LEGACY[] = {
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
    {0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
    {0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
    {0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
    {0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA"},
    {0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
    {0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA"},
    {0x0063, "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA"},
    {0x0064, "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA"},
    {0x0065, "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA"},
    {0x0066, "TLS_DHE_DSS_WITH_RC4_128_SHA"},
    {0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
    {0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
    {0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
    {0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
};
#define N_LEGACY (sizeof(LEGACY) / sizeof(LEGACY[0]))

static const char *legacy_name(uint16_t id)
{
    for (size_t i = 0; i < N_LEGACY; i++)
        if (LEGACY[i].id == id)
            return LEGACY[i].name;
    return NULL;
}

/* ---- the ClientHello ---- */

struct buf {
    unsigned char b[2048];
    size_t n;
};

static void put8(struct buf *b, unsigned v)
{
    if (b->n < sizeof(b->b))
        b->b[b->n++] = (unsigned char)v;
}

static void put16(struct buf *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v & 0xff);
}

/* Write the 16-bit (or 24-bit) length of what follows at, now that it is written. */
static void patch_len(struct buf *b, size_t at, int bytes)
{
    size_t len = b->n - at - (size_t)bytes;
    for (int i = 0; i < bytes; i++)
        b->b[at + (size_t)i] = (unsigned char)(len >> (8 * (bytes - 1 - i)));
}

/* The EC groups a ClientHello lists unless told otherwise. */
static const uint16_t EC_GROUPS[] = {0x001d, 0x0017, 0x0018, 0x0019};

/* What one ClientHello offers and what is read of the answer. */
struct hello_req {
    uint16_t version;
    const uint16_t *suites;
    size_t n;
    const uint16_t *groups; /* supported_groups; NULL: EC_GROUPS */
    size_t n_groups;
    int want_ske; /* read on to the ServerKeyExchange: the DH group or EC curve */
};

static void extensions(struct buf *b, const char *sni, const struct hello_req *q)
{
    static const uint16_t sigs[] = {0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0804,
                                    0x0805, 0x0806, 0x0201, 0x0203, 0x0202, 0x0402};
    const uint16_t *groups = q->groups ? q->groups : EC_GROUPS;
    size_t n_groups = q->groups ? q->n_groups : sizeof(EC_GROUPS) / 2;
    size_t at = b->n;
    put16(b, 0);
    if (sni) {
        size_t n = strlen(sni);
        put16(b, 0x0000);
        put16(b, (unsigned)n + 5);
        put16(b, (unsigned)n + 3);
        put8(b, 0);
        put16(b, (unsigned)n);
        for (size_t i = 0; i < n; i++)
            put8(b, (unsigned char)sni[i]);
    }
    put16(b, 0x000a);
    put16(b, 2 + 2 * (unsigned)n_groups);
    put16(b, 2 * (unsigned)n_groups);
    for (size_t i = 0; i < n_groups; i++)
        put16(b, groups[i]);
    put16(b, 0x000b); /* ec_point_formats: uncompressed */
    put16(b, 2);
    put8(b, 1);
    put8(b, 0);
    if (q->version >= TH_TLS12) {
        put16(b, 0x000d);
        put16(b, 2 + 2 * (unsigned)(sizeof(sigs) / 2));
        put16(b, 2 * (unsigned)(sizeof(sigs) / 2));
        for (size_t i = 0; i < sizeof(sigs) / 2; i++)
            put16(b, sigs[i]);
    }
    put16(b, 0xff01); /* renegotiation_info, empty: some servers refuse without it */
    put16(b, 1);
    put8(b, 0);
    patch_len(b, at, 2);
}

static void client_hello(struct buf *b, const char *sni, const struct hello_req *q)
{
    b->n = 0;
    put8(b, 22);
    put16(b, TH_TLS10); /* the record version old servers expect */
    size_t rec = b->n;
    put16(b, 0);
    put8(b, 1);
    size_t hs = b->n;
    put8(b, 0);
    put16(b, 0);
    put16(b, q->version);
    for (int i = 0; i < 32; i++)
        put8(b, (unsigned)rand() & 0xff); /* not a secret: no handshake completes */
    put8(b, 0);
    put16(b, 2 * (unsigned)q->n);
    for (size_t i = 0; i < q->n; i++)
        put16(b, q->suites[i]);
    put8(b, 1);
    put8(b, 0);
    extensions(b, sni, q);
    patch_len(b, hs, 3);
    patch_len(b, rec, 2);
}

/* ---- the answer ---- */

struct answer {
    uint16_t version, suite;
    int dh_bits;    /* from a DHE ServerKeyExchange; 0 none */
    uint16_t group; /* the named curve of an ECDHE one, or the RFC 7919 group of a DHE
                     * one; 0 none or not known */
};

static int send_all(int fd, const unsigned char *p, size_t n, uint64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        } else if (th_tcp_wait(fd, 1, deadline) <= 0) {
            return -1;
        }
    }
    return 0;
}

/* The bits of a big-endian number's length: its bytes less the leading zero bits. */
static int bits_of(const unsigned char *p, size_t n)
{
    while (n && !*p) {
        p++;
        n--;
    }
    if (!n)
        return 0;
    int bits = (int)n * 8;
    for (unsigned c = *p; !(c & 0x80); c <<= 1)
        bits--;
    return bits;
}

/* The RFC 7919 group a DH prime is: they all begin with these bytes (RFC 3526's
 * MODP primes do not), and the length tells which. 0: another prime. */
static uint16_t ffdhe_of(const unsigned char *p, size_t n, int bits)
{
    static const unsigned char head[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                         0xAD, 0xF8, 0x54, 0x58, 0xA2, 0xBB, 0x4A, 0x9A};
    static const int sizes[] = {2048, 3072, 4096, 6144, 8192};
    if (n < sizeof(head) || memcmp(p, head, sizeof(head)) != 0)
        return 0;
    for (size_t i = 0; i < 5; i++)
        if (bits == sizes[i])
            return (uint16_t)(0x0100 + i);
    return 0;
}

/* What a ServerKeyExchange says of the group: DHE (its prime), or ECDHE (a named
 * curve, RFC 8422 5.4). */
static void read_ske(const unsigned char *m, size_t len, struct answer *a)
{
    const struct th_suite_info *s = th_suite_by_id(a->suite);
    const char *name = s ? s->name : legacy_name(a->suite);
    if (name && strstr(name, "_ECDH")) {
        if (len >= 3 && m[0] == 3)
            a->group = (uint16_t)(m[1] << 8 | m[2]);
        return;
    }
    size_t plen = len >= 2 ? (size_t)(m[0] << 8 | m[1]) : 0;
    if (plen + 2 <= len) {
        a->dh_bits = bits_of(m + 2, plen);
        a->group = ffdhe_of(m + 2, plen, a->dh_bits);
    }
}

/* Handshake messages in hs[0..n): 1 once the answer is complete (the ServerHello,
 * and with want_ske the ServerKeyExchange or ServerHelloDone), 0 for more, -1 bad. */
static int parse_messages(const unsigned char *hs, size_t n, int want_ske, struct answer *a)
{
    size_t off = 0;
    while (off + 4 <= n) {
        size_t len = (size_t)hs[off + 1] << 16 | (size_t)hs[off + 2] << 8 | hs[off + 3];
        const unsigned char *m = hs + off + 4;
        if (off + 4 + len > n)
            return 0;
        if (hs[off] == 2) {
            if (len < 38 || len < 35u + m[34] + 2)
                return -1;
            a->version = (uint16_t)(m[0] << 8 | m[1]);
            a->suite = (uint16_t)(m[35 + m[34]] << 8 | m[36 + m[34]]);
            if (!want_ske)
                return 1;
        } else if (hs[off] == 12 && a->suite) {
            read_ske(m, len, a);
            return 1;
        } else if (hs[off] == 14) {
            return a->suite ? 1 : -1;
        }
        off += 4 + len;
    }
    return 0;
}

/* Records until the answer is complete: TH_OFFER_ACCEPTED (a ServerHello),
 * TH_OFFER_REFUSED (an alert, the connection closed, a broken answer) or
 * TH_OFFER_STOP (no answer in time). */
static enum th_offer read_answer(int fd, uint64_t deadline, int want_ske, struct answer *a)
{
    /* static: 128 KiB off the stack, and the probe runs on one thread */
    static unsigned char in[1 << 16], hs[1 << 16];
    size_t got = 0, hn = 0;
    for (;;) {
        while (got >= 5) {
            size_t len = (size_t)in[3] << 8 | in[4];
            if (got < 5 + len)
                break;
            if (in[0] != 22)
                return TH_OFFER_REFUSED; /* an alert, or anything else: no ServerHello */
            if (hn + len > sizeof(hs))
                return TH_OFFER_REFUSED;
            memcpy(hs + hn, in + 5, len);
            hn += len;
            memmove(in, in + 5 + len, got - 5 - len);
            got -= 5 + len;
            int pm = parse_messages(hs, hn, want_ske, a);
            if (pm != 0)
                return pm > 0 ? TH_OFFER_ACCEPTED : TH_OFFER_REFUSED;
        }
        if (got == sizeof(in))
            return TH_OFFER_REFUSED;
        ssize_t r = recv(fd, in + got, sizeof(in) - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0 || (errno != EAGAIN && errno != EINTR))
            return TH_OFFER_REFUSED;
        else if (th_tcp_wait(fd, 0, deadline) <= 0)
            return TH_OFFER_STOP;
    }
}

/* One ClientHello, on a connection of its own. */
static enum th_offer hello(struct th_probe *p, const struct hello_req *q, struct answer *a)
{
    struct buf b;
    struct th_error terr = {0};
    uint64_t cns, deadline = th_now_ns() + p->timeout_ns;
    memset(a, 0, sizeof(*a));
    if (th_now_ns() >= p->budget_end)
        return TH_OFFER_STOP;
    int fd = th_tcp_connect(p->url.host, p->url.port, deadline, &cns, &terr);
    if (fd < 0)
        return TH_OFFER_STOP;
    client_hello(&b, p->sni, q);
    enum th_offer rc = TH_OFFER_STOP;
    if (send_all(fd, b.b, b.n, deadline) == 0)
        rc = read_answer(fd, deadline, q->want_ske, a);
    close(fd);
    if (rc == TH_OFFER_ACCEPTED && a->version != q->version)
        rc = TH_OFFER_REFUSED;
    return rc;
}

/* ---- 3b. the legacy suites ---- */

struct legacy_arg {
    struct th_probe *p;
    uint16_t version;
};

static enum th_offer offer_raw(void *arg, const uint16_t *suites, size_t n, uint16_t *chosen)
{
    struct legacy_arg *l = arg;
    struct answer a;
    struct hello_req q = {.version = l->version, .suites = suites, .n = n};
    enum th_offer rc = hello(l->p, &q, &a);
    *chosen = a.suite;
    return rc;
}

enum th_offer th_probe_raw_offer(struct th_probe *p, uint16_t version, const uint16_t *suites,
                                 size_t n, uint16_t *chosen)
{
    struct legacy_arg arg = {p, version};
    return offer_raw(&arg, suites, n, chosen);
}

/* The suite of that name, here or in the IANA table; 0 when neither has it. */
static uint16_t suite_id(const char *name)
{
    const struct th_suite_info *s = name ? th_suite_by_name(name) : NULL;
    for (size_t k = 0; !s && name && k < N_LEGACY; k++)
        if (!strcmp(LEGACY[k].name, name))
            return LEGACY[k].id;
    return s ? s->id : 0;
}

/* The legacy suites and those of the IANA table no client here could offer at v
 * (NULL, anonymous, ...: "not_tested"), in one list. */
static size_t raw_list(const json_t *r, uint16_t v, uint16_t *ids)
{
    size_t n = 0, i;
    json_t *s;
    for (i = 0; i < N_LEGACY; i++)
        ids[n++] = LEGACY[i].id;
    json_array_foreach(json_object_get(json_object_get(r, "not_tested"), th_version_name(v)), i, s)
    {
        uint16_t id = suite_id(json_string_value(s));
        if (id && n < TH_MAX_SUITES)
            ids[n++] = id;
    }
    return n;
}

void th_probe_legacy_suites(struct th_probe *p, json_t *r)
{
    json_t *all = json_object();
    uint16_t ids[TH_MAX_SUITES];
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++) {
        uint16_t v = th_probe_versions[i];
        if (v > TH_TLS12 || !(p->accepted & TH_VBIT(v)))
            continue;
        struct legacy_arg arg = {p, v};
        struct th_probe_enum e;
        th_probe_enumerate(offer_raw, &arg, ids, raw_list(r, v, ids), &e);
        json_t *list = json_array();
        for (size_t j = 0; j < e.n_accepted; j++) {
            const struct th_suite_info *si = th_suite_by_id(e.accepted[j]);
            const char *name = si ? si->name : legacy_name(e.accepted[j]);
            json_array_append_new(list,
                                  name ? json_string(name) : json_sprintf("0x%04X", e.accepted[j]));
        }
        if (e.stopped)
            th_probe_note(p, "TLS %s legacy suites: stopped early (no answer)", th_version_name(v));
        if (e.rogue)
            th_probe_note(p,
                          "TLS %s: the server chose 0x%04X to a ClientHello of legacy suites "
                          "that did not list it",
                          th_version_name(v), e.rogue);
        json_object_set_new(all, th_version_name(v), list);
    }
    json_object_set_new(r, "legacy_suites", all);
}

/* ---- 3c. the DH group ---- */

/* The ids of every DHE suite accepted at v, as the report names them. */
static size_t dhe_accepted(const json_t *r, uint16_t v, uint16_t *out, size_t cap)
{
    const char *lists[] = {"suites", "legacy_suites"}, *vn = th_version_name(v);
    size_t n = 0;
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(json_object_get(r, lists[l]), vn), i, s)
        {
            const char *name = json_string_value(s);
            uint16_t id = name && !strncmp(name, "TLS_DHE_", 8) ? suite_id(name) : 0;
            if (id && n < cap)
                out[n++] = id;
        }
    }
    return n;
}

void th_probe_dh(struct th_probe *p, json_t *r)
{
    for (size_t i = TH_PROBE_N_VERSIONS; i-- > 0;) {
        uint16_t v = th_probe_versions[i], ids[TH_MAX_SUITES];
        size_t n = v <= TH_TLS12 ? dhe_accepted(r, v, ids, TH_MAX_SUITES) : 0;
        if (!n)
            continue;
        struct answer a;
        struct hello_req q = {.version = v, .suites = ids, .n = n, .want_ske = 1};
        if (hello(p, &q, &a) != TH_OFFER_ACCEPTED || !a.dh_bits) {
            th_probe_note(p, "TLS %s: the DH group of a DHE suite could not be read",
                          th_version_name(v));
            return;
        }
        const struct th_suite_info *s = th_suite_by_id(a.suite);
        const char *name = s ? s->name : legacy_name(a.suite);
        json_t *o = json_object();
        json_object_set_new(o, "bits", json_integer(a.dh_bits));
        json_object_set_new(o, "version", json_string(th_version_name(v)));
        json_object_set_new(o, "suite", name ? json_string(name) : json_sprintf("0x%04X", a.suite));
        json_object_set_new(r, "dh", o);
        return;
    }
}

/* ---- 4b. the groups of TLS 1.2 ---- */

/* Every suite of the kind a group serves in TLS 1.2 (ECDHE for a curve, DHE for an
 * RFC 7919 group), from the IANA table and the legacy ones. */
static size_t suites_of_kind(int dhe, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < th_suite_count(); i++) {
        const struct th_suite_info *s = th_suite_at(i);
        if (s->min_version <= TH_TLS12 && !strcmp(s->kx, dhe ? "DHE" : "ECDHE") &&
            strcmp(s->auth, "None") != 0 && n < TH_MAX_SUITES)
            out[n++] = s->id;
    }
    for (size_t i = 0; i < N_LEGACY && n < TH_MAX_SUITES; i++)
        if (!strncmp(LEGACY[i].name, dhe ? "TLS_DHE_" : "TLS_ECDHE_", dhe ? 8 : 10))
            out[n++] = LEGACY[i].id;
    return n;
}

json_t *th_probe_groups12(struct th_probe *p, const uint16_t *groups, size_t n_groups)
{
    json_t *acc = json_array();
    uint16_t ec[TH_MAX_SUITES], dh[TH_MAX_SUITES];
    size_t n_ec = suites_of_kind(0, ec), n_dh = suites_of_kind(1, dh);
    for (size_t i = 0; i < n_groups; i++) {
        int dhe = groups[i] >= 0x0100 && groups[i] <= 0x01ff;
        struct hello_req q = {.version = TH_TLS12,
                              .suites = dhe ? dh : ec,
                              .n = dhe ? n_dh : n_ec,
                              .groups = &groups[i],
                              .n_groups = 1,
                              .want_ske = 1};
        struct answer a;
        const struct th_group_info *g = th_group_by_id(groups[i]);
        if (g && hello(p, &q, &a) == TH_OFFER_ACCEPTED && a.group == groups[i])
            json_array_append_new(acc, json_string(g->name));
    }
    return acc;
}
