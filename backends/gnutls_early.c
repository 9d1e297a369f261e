/* Resumed sessions and TLS 1.3 early data for the GnuTLS backend: what each mode does
 * and why is in gnutls_early.h. */
#include "gnutls_early.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "harness/vocab/util.h"

/* The replay cache: the binders GnuTLS asks to store within its window. A full cache
 * overwrites its oldest entry, so a replay after more than REPLAY_SLOTS other early
 * ClientHellos within one window is taken again; the harness's cases stay far below. */
#define REPLAY_SLOTS 256
#define REPLAY_KEY_MAX 128 /* GnuTLS's key: 12 bytes of window start, then the binder */

struct replay_entry {
    unsigned char key[REPLAY_KEY_MAX];
    size_t len;
    time_t expires;
};

/* The tickets that carried early data (single use with anti_replay): SHA-256 of
 * each, the oldest forgotten first once TICKET_SLOTS are full. */
#define TICKET_SLOTS 256

struct th_gnutls_early {
    enum th_role role;
    enum th_early_server mode; /* server */
    int anti_replay;
    gnutls_anti_replay_t ar; /* accept only: GnuTLS rejects all early data without it */
    pthread_mutex_t lock;    /* TCP cases run the server in its own thread */
    struct replay_entry seen[REPLAY_SLOTS];
    size_t next;
    unsigned char tickets[TICKET_SLOTS][32];
    size_t n_tickets, next_ticket;
};

/* GnuTLS's add function: 0 stores the entry (the early data may be taken),
 * GNUTLS_E_DB_ENTRY_EXISTS says it is a replay. */
static int replay_add(void *ptr, time_t expires, const gnutls_datum_t *key,
                      const gnutls_datum_t *data)
{
    struct th_gnutls_early *e = ptr;
    (void)data; /* GnuTLS's own record of the times: the expiry is enough here */
    if (!e->anti_replay)
        return 0; /* remember nothing: a replay is taken again */
    if (key->size > REPLAY_KEY_MAX)
        return GNUTLS_E_DB_ERROR; /* cannot be recorded: refuse rather than risk a replay */
    time_t now = time(NULL);
    int found = 0;
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < REPLAY_SLOTS && !found; i++)
        found = e->seen[i].len == key->size && e->seen[i].expires >= now &&
                memcmp(e->seen[i].key, key->data, key->size) == 0;
    if (!found) {
        struct replay_entry *r = &e->seen[e->next];
        e->next = (e->next + 1) % REPLAY_SLOTS;
        memcpy(r->key, key->data, key->size);
        r->len = key->size;
        r->expires = expires;
    }
    pthread_mutex_unlock(&e->lock);
    return found ? GNUTLS_E_DB_ENTRY_EXISTS : 0;
}

int th_gnutls_early_new(const struct th_tls_config *cfg, struct th_gnutls_early **out,
                        struct th_error *err)
{
    *out = NULL;
    if (cfg->role == TH_ROLE_CLIENT ? !cfg->early_send : cfg->early_data == TH_EARLY_SERVER_OFF)
        return 0;
    struct th_gnutls_early *e = th_xcalloc(1, sizeof(*e));
    e->role = cfg->role;
    e->mode = cfg->early_data;
    e->anti_replay = cfg->anti_replay;
    pthread_mutex_init(&e->lock, NULL);
    if (e->role == TH_ROLE_SERVER && e->mode == TH_EARLY_SERVER_ACCEPT) {
        int ret = gnutls_anti_replay_init(&e->ar);
        if (ret < 0) {
            e->ar = NULL;
            th_error_set(err, TH_INTERNAL_ERROR, ret, "gnutls_anti_replay_init: %s",
                         gnutls_strerror(ret));
            th_gnutls_early_free(e);
            return -1;
        }
        gnutls_anti_replay_set_ptr(e->ar, e);
        gnutls_anti_replay_set_add_function(e->ar, replay_add);
    }
    *out = e;
    return 0;
}

void th_gnutls_early_free(struct th_gnutls_early *e)
{
    if (!e)
        return;
    if (e->ar)
        gnutls_anti_replay_deinit(e->ar);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

unsigned th_gnutls_early_flags(const struct th_gnutls_early *e, const struct th_session *from,
                               struct th_gnutls_early_conn *ec)
{
    if (!e)
        return 0;
    if (e->role == TH_ROLE_SERVER)
        return GNUTLS_ENABLE_EARLY_DATA;
    /* A client sends early only on a ticket that allows it: with the flag and nothing
     * queued GnuTLS would still offer early data. */
    ec->room = from ? from->max_early : 0;
    return ec->room ? GNUTLS_ENABLE_EARLY_DATA : 0;
}

/* The uint16 at p. */
static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* A TLS 1.3 NewSessionTicket (RFC 8446 4.6.1): lifetime(4) age_add(4) nonce<0..255>
 * ticket<1..2^16-1> extensions<0..2^16-2>; early_data (42) holds max_early_data_size.
 * GnuTLS keeps the last ticket, so the last one's allowance counts. The connection's
 * struct th_gnutls_early_conn is the first member of what the session pointer names. */
static int ticket_hook(gnutls_session_t s, unsigned htype, unsigned when, unsigned incoming,
                       const gnutls_datum_t *msg)
{
    struct th_gnutls_early_conn *ec = gnutls_session_get_ptr(s);
    if (!incoming || htype != GNUTLS_HANDSHAKE_NEW_SESSION_TICKET ||
        gnutls_protocol_get_version(s) != GNUTLS_TLS1_3 || !ec)
        return 0;
    const unsigned char *p = msg->data, *end = msg->data + msg->size;
    ec->ticket_early = 0;
    if (end - p < 9)
        return 0;
    p += 8;        /* lifetime, age_add */
    p += 1 + p[0]; /* nonce */
    if (end - p < 2 || end - p < 2 + (long)get16(p))
        return 0;
    p += 2 + get16(p); /* ticket */
    if (end - p < 2 || end - p < 2 + (long)get16(p))
        return 0;
    const unsigned char *ext_end = p + 2 + get16(p);
    for (p += 2; ext_end - p >= 4 && ext_end - p >= 4 + (long)get16(p + 2); p += 4 + get16(p + 2))
        if (get16(p) == 42 && get16(p + 2) == 4)
            ec->ticket_early =
                (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    return 0;
}

int th_gnutls_early_conn(gnutls_session_t s, struct th_gnutls_early *e,
                         struct th_gnutls_early_conn *ec, struct th_error *err)
{
    ec->s = s;
    if (!e)
        return 0;
    if (e->role == TH_ROLE_CLIENT) {
        gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET, GNUTLS_HOOK_PRE,
                                           ticket_hook);
        return 0;
    }
    /* Sets what the tickets announce and the most the session takes. */
    int ret = gnutls_record_set_max_early_data_size(s, TH_GNUTLS_MAX_EARLY);
    if (ret < 0) {
        th_error_set(err, TH_INTERNAL_ERROR, ret, "gnutls_record_set_max_early_data_size: %s",
                     gnutls_strerror(ret));
        return -1;
    }
    if (e->ar)
        gnutls_anti_replay_enable(s, e->ar);
    return 0;
}

/* Notes the ticket; 1 when it was noted before. */
static int ticket_seen(struct th_gnutls_early *e, const unsigned char *id, unsigned len)
{
    unsigned char h[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, id, len, h) < 0)
        return 1; /* cannot tell: refuse rather than risk a replay */
    int found = 0;
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->n_tickets && !found; i++)
        found = memcmp(e->tickets[i], h, sizeof(h)) == 0;
    if (!found) {
        memcpy(e->tickets[e->next_ticket], h, sizeof(h));
        e->next_ticket = (e->next_ticket + 1) % TICKET_SLOTS;
        if (e->n_tickets < TICKET_SLOTS)
            e->n_tickets++;
    }
    pthread_mutex_unlock(&e->lock);
    return found;
}

void th_gnutls_early_hello_ext(gnutls_session_t s, struct th_gnutls_early *e,
                               struct th_gnutls_early_conn *ec, unsigned tls_id,
                               const unsigned char *data, unsigned size)
{
    if (tls_id == 42) /* early_data */
        ec->offered = ec->hello_early = 1;
    /* pre_shared_key, always the last extension: identities<7..2^16-1>, the first
     * identity<1..2^16-1> is the ticket GnuTLS resumes with (it takes only the first
     * for early data, RFC 8446 4.2.10). */
    if (tls_id != 41)
        return;
    int early = ec->hello_early; /* this ClientHello's: a second one after HRR has none */
    ec->hello_early = 0;
    if (!early || !e || !e->ar || !e->anti_replay || size < 4 || size < 4u + get16(data + 2))
        return;
    if (ticket_seen(e, data + 4, get16(data + 2)))
        gnutls_anti_replay_enable(s, NULL); /* GnuTLS then rejects this early data */
}

enum th_step th_gnutls_early_write(struct th_conn *c, const void *buf, size_t len, size_t *done,
                                   struct th_error *err)
{
    struct th_gnutls_early_conn *ec = (struct th_gnutls_early_conn *)c; /* its first member */
    gnutls_session_t s = ec->s;
    *done = 0;
    /* The resumed ticket's allowance (0: none), also bounded by GnuTLS's own. */
    size_t room = gnutls_record_get_max_early_data_size(s);
    room = room < ec->room ? room : ec->room;
    room = room > ec->bytes ? room - (size_t)ec->bytes : 0;
    size_t n = len < room ? len : room;
    if (n == 0)
        return TH_STEP_DONE;
    ssize_t ret = gnutls_record_send_early_data(s, buf, n);
    if (ret == GNUTLS_E_RECORD_LIMIT_REACHED)
        return TH_STEP_DONE;
    if (ret < 0) {
        th_error_set(err, TH_INTERNAL_ERROR, (long)ret, "gnutls_record_send_early_data: %s",
                     gnutls_strerror((int)ret));
        return TH_STEP_FAILED;
    }
    /* GnuTLS 3.7 returns 0 here, not the bytes its documentation promises: on success
     * it has queued all n (or failed with GNUTLS_E_RECORD_LIMIT_REACHED above). */
    ec->offered = 1;
    ec->bytes += (uint64_t)n;
    *done = n;
    return TH_STEP_DONE;
}

void th_gnutls_early_done(gnutls_session_t s, struct th_gnutls_early_conn *ec)
{
    if (ec->in || !(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EARLY_DATA))
        return;
    unsigned char chunk[4096];
    ssize_t n;
    /* A client's session does not hold early data: GNUTLS_E_INVALID_REQUEST ends it. */
    while ((n = gnutls_record_recv_early_data(s, chunk, sizeof(chunk))) > 0) {
        ec->in = th_xrealloc(ec->in, ec->in_len + (size_t)n);
        memcpy(ec->in + ec->in_len, chunk, (size_t)n);
        ec->in_len += (size_t)n;
        ec->bytes += (uint64_t)n;
    }
}

int th_gnutls_early_take(struct th_gnutls_early_conn *ec, void *buf, size_t len, size_t *done)
{
    if (ec->in_off >= ec->in_len || len == 0)
        return 0;
    size_t n = ec->in_len - ec->in_off < len ? ec->in_len - ec->in_off : len;
    memcpy(buf, ec->in + ec->in_off, n);
    ec->in_off += n;
    *done = n;
    return 1;
}

void th_gnutls_early_seen(gnutls_session_t s, const struct th_gnutls_early_conn *ec,
                          struct th_negotiated *out)
{
    out->early_offered = ec->offered;
    out->early_accepted = ec->offered && (gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EARLY_DATA);
    out->early_bytes = ec->bytes;
}

void th_gnutls_early_conn_free(struct th_gnutls_early_conn *ec)
{
    free(ec->in);
    memset(ec, 0, sizeof(*ec));
}

/* ---- resumable sessions ---- */

/* TLS 1.3 tickets arrive after the handshake: without one, GnuTLS would hand out a
 * placeholder that resumes nothing. */
struct th_session *th_gnutls_session_get(gnutls_session_t s, const struct th_gnutls_early_conn *ec)
{
    if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 &&
        !(gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET))
        return NULL;
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_session_get_data2(s, &d) < 0 || d.size == 0) {
        gnutls_free(d.data);
        return NULL;
    }
    struct th_session *ts = th_xmalloc(sizeof(*ts));
    ts->data = d;
    ts->max_early = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3 ? ec->ticket_early : 0;
    return ts;
}

void th_gnutls_session_free(struct th_session *ts)
{
    if (!ts)
        return;
    gnutls_free(ts->data.data);
    free(ts);
}
