/* The kinds' blocks: those of the kinds beyond handshake ("bulk", "handshakes",
 * "memory", "integrity", "load") and "repeat", in a scenario file. (What each kind
 * does when it runs is harness/kinds/.) Read as strictly as the rest, applied
 * key by key so that a variant overrides only what it names, and checked across
 * keys once a variant is complete. What each key means is in scenarios/README.md. */
#include <string.h>

#include "scenario_int.h"

#define MAX_BULK_BYTES (UINT64_C(1) << 40)
#define MAX_WRITE_SIZE 1048576u
#define MAX_SECONDS 600.0
#define MAX_HANDSHAKES 10000000u
#define MAX_CONCURRENCY 64u
#define MAX_CONNECTIONS 100000u
#define MAX_RECORD 1000u
#define MAX_REPEAT 1000u
#define MAX_REQUESTS 100000000u
#define MAX_LOAD_CONNECTIONS 10000u

static const char *const direction_names[] = {"c2s", "s2c", "both", NULL};
static const char *const resume_names[] = {"none", "ticket", "session_id", NULL};
static const char *const fault_names[] = {"flip_bit", "drop",       "duplicate", "reorder",
                                          "truncate", "key_update", NULL};

void th_kspec_defaults(struct kspec *ks)
{
    memset(ks, 0, sizeof *ks);
    ks->bulk = (struct th_bulk_spec){.seconds = 1, .write_size = 16384, .direction = TH_C2S};
    ks->rate = (struct th_rate_spec){.seconds = 1, .resume = TH_RESUME_NONE, .concurrency = 1};
    ks->memory.connections = 200;
    ks->fault = (struct th_fault_spec){.record = 3, .bytes = 262144, .write_size = 16384};
    ks->load = (struct th_load_spec){.seconds = 2, .connections = 16, .path = "/", .streams = 1};
    for (int i = 0; i < KF_COUNT; i++)
        ks->from[i] = -2;
}

/* ---- typed values ---- */

/* A whole number in lo..hi. */
static int get_count(struct cursor *cur, json_t *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (json_is_real(v))
        return perr(cur, "expected a whole number, got %g", json_real_value(v));
    if (!json_is_integer(v))
        return perr(cur, "expected a whole number, got %s", th_jtype(v));
    json_int_t n = json_integer_value(v);
    if (n < 0 || (uint64_t)n < lo || (uint64_t)n > hi)
        return perr(cur, "%lld out of range %llu-%llu", (long long)n, (unsigned long long)lo,
                    (unsigned long long)hi);
    *out = (uint64_t)n;
    return 0;
}

static int get_unsigned(struct cursor *cur, json_t *v, unsigned lo, unsigned hi, unsigned *out)
{
    uint64_t n;
    TH_GUARD(get_count(cur, v, lo, hi, &n));
    *out = (unsigned)n;
    return 0;
}

static int get_seconds(struct cursor *cur, json_t *v, double *out)
{
    if (!json_is_number(v))
        return perr(cur, "expected a number of seconds, got %s", th_jtype(v));
    double t = json_number_value(v);
    if (!(t > 0 && t <= MAX_SECONDS))
        return perr(cur, "%g out of range: more than 0 and at most %g seconds", t, MAX_SECONDS);
    *out = t;
    return 0;
}

static int get_direction(struct cursor *cur, json_t *v, enum th_direction *out)
{
    int d;
    TH_GUARD(th_get_enum(cur, v, direction_names, &d));
    *out = (enum th_direction)d;
    return 0;
}

/* ---- the blocks, key by key ---- */

static int bulk_key(struct cursor *cur, const char *key, json_t *v, struct kspec *ks)
{
    struct th_bulk_spec *b = &ks->bulk;
    uint64_t n;
    if (strcmp(key, "bytes") == 0) {
        TH_GUARD(get_count(cur, v, 1, MAX_BULK_BYTES, &b->bytes));
        b->seconds = 0;
        return 0;
    }
    if (strcmp(key, "seconds") == 0) {
        TH_GUARD(get_seconds(cur, v, &b->seconds));
        b->bytes = 0;
        return 0;
    }
    if (strcmp(key, "write_size") == 0) {
        TH_GUARD(get_count(cur, v, 1, MAX_WRITE_SIZE, &n));
        b->write_size = (size_t)n;
        return 0;
    }
    if (strcmp(key, "direction") == 0)
        return get_direction(cur, v, &b->direction);
    return kerr(cur, "unknown key (bulk keys: bytes, seconds, write_size, direction)");
}

static int rate_key(struct cursor *cur, const char *key, json_t *v, struct kspec *ks)
{
    struct th_rate_spec *r = &ks->rate;
    int e;
    if (strcmp(key, "count") == 0) {
        TH_GUARD(get_count(cur, v, 1, MAX_HANDSHAKES, &r->count));
        r->seconds = 0;
        return 0;
    }
    if (strcmp(key, "seconds") == 0) {
        TH_GUARD(get_seconds(cur, v, &r->seconds));
        r->count = 0;
        return 0;
    }
    if (strcmp(key, "resume") == 0) {
        TH_GUARD(th_get_enum(cur, v, resume_names, &e));
        r->resume = (enum th_resume)e;
        return 0;
    }
    if (strcmp(key, "concurrency") == 0) {
        TH_GUARD(get_unsigned(cur, v, 1, MAX_CONCURRENCY, &r->concurrency));
        if (r->concurrency > 1 && cur->transport != TH_TRANSPORT_TCP)
            return perr(cur, "%u concurrent handshakes need \"transport\": \"tcp\"",
                        r->concurrency);
        return 0;
    }
    if (strcmp(key, "request") == 0) {
        if (!json_is_boolean(v))
            return perr(cur, "expected true or false, got %s", th_jtype(v));
        r->request = json_is_true(v);
        return 0;
    }
    return kerr(cur, "unknown key (handshakes keys: count, seconds, resume, concurrency, request)");
}

static int memory_key(struct cursor *cur, const char *key, json_t *v, struct kspec *ks)
{
    if (strcmp(key, "connections") == 0)
        return get_unsigned(cur, v, 1, MAX_CONNECTIONS, &ks->memory.connections);
    return kerr(cur, "unknown key (memory keys: connections)");
}

static int fault_value(struct cursor *cur, const char *key, json_t *v, struct th_fault_spec *fs)
{
    uint64_t n;
    int e;
    if (strcmp(key, "fault") == 0) {
        TH_GUARD(th_get_enum(cur, v, fault_names, &e));
        fs->fault = (enum th_fault)e;
        return KF_FAULT;
    }
    if (strcmp(key, "record") == 0) {
        TH_GUARD(get_unsigned(cur, v, 1, MAX_RECORD, &fs->record));
        return KF_RECORD;
    }
    if (strcmp(key, "bytes") == 0) {
        TH_GUARD(get_count(cur, v, 1, MAX_BULK_BYTES, &fs->bytes));
        return KF_BYTES;
    }
    if (strcmp(key, "write_size") == 0) {
        TH_GUARD(get_count(cur, v, 1, MAX_WRITE_SIZE, &n));
        fs->write_size = (size_t)n;
        return KF_WRITE_SIZE;
    }
    if (strcmp(key, "direction") == 0) {
        TH_GUARD(get_direction(cur, v, &fs->direction));
        if (fs->direction == TH_BOTH)
            return perr(cur, "\"both\" is not possible here: the fault goes into one direction "
                             "(c2s or s2c)");
        return KF_COUNT; /* not looked at across keys */
    }
    return kerr(cur, "unknown key (integrity keys: fault, record, bytes, write_size, direction)");
}

static int fault_key(struct cursor *cur, const char *key, json_t *v, struct kspec *ks)
{
    int which = fault_value(cur, key, v, &ks->fault);
    if (which < 0)
        return -1;
    if (which < KF_COUNT)
        ks->from[which] = cur->variant;
    return 0;
}

/* A request target: absolute path, printable, no spaces (it goes on the request
 * line as given). */
static int get_path(struct cursor *cur, json_t *v, char *out, size_t cap)
{
    if (!json_is_string(v))
        return perr(cur, "expected a path such as \"/bytes/16384\", got %s", th_jtype(v));
    const char *s = json_string_value(v);
    if (s[0] != '/')
        return perr(cur, "\"%s\" is not an absolute path (it must start with /)", s);
    if (strlen(s) >= cap)
        return perr(cur, "path longer than %zu characters", cap - 1);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return perr(cur, "path has a space or a control or non-ASCII character at offset %zu",
                        (size_t)(p - s));
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

/* Open-loop rate: at most a million requests a second (far above what one
 * thread's event loop sends), at least one a minute. */
#define MAX_LOAD_RATE 1e6
#define MAX_LOAD_STREAMS 1024u

static int get_rate(struct cursor *cur, json_t *v, double *out)
{
    if (!json_is_number(v))
        return perr(cur, "expected requests per second, got %s", th_jtype(v));
    double r = json_number_value(v);
    if (!(r >= 1.0 / 60) || r > MAX_LOAD_RATE)
        return perr(cur, "%g out of range (1/60 to %g requests per second)", r, MAX_LOAD_RATE);
    *out = r;
    return 0;
}

/* 64 hex digits, either case. */
static int get_sha256(struct cursor *cur, json_t *v, uint8_t out[32])
{
    const char *s = json_string_value(v);
    if (!s)
        return perr(cur, "expected a SHA-256 as 64 hex digits, got %s", th_jtype(v));
    size_t n = strlen(s);
    if (n != 64)
        return perr(cur, "a SHA-256 is 64 hex digits, this is %zu characters", n);
    for (size_t i = 0; i < 64; i++) {
        int c = s[i], d = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (d < 0)
            return perr(cur, "not a hex digit at offset %zu", i);
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
    }
    return 0;
}

static int load_key(struct cursor *cur, const char *key, json_t *v, struct kspec *ks)
{
    struct th_load_spec *ls = &ks->load;
    int e;
    if (strcmp(key, "requests") == 0) {
        TH_GUARD(get_count(cur, v, 1, MAX_REQUESTS, &ls->requests));
        ls->seconds = 0;
        return 0;
    }
    if (strcmp(key, "seconds") == 0) {
        TH_GUARD(get_seconds(cur, v, &ls->seconds));
        ls->requests = 0;
        return 0;
    }
    if (strcmp(key, "connections") == 0)
        return get_unsigned(cur, v, 1, MAX_LOAD_CONNECTIONS, &ls->connections);
    if (strcmp(key, "path") == 0)
        return get_path(cur, v, ls->path, sizeof ls->path);
    if (strcmp(key, "new_connection_per_request") == 0) {
        if (!json_is_boolean(v))
            return perr(cur, "expected true or false, got %s", th_jtype(v));
        ls->new_connection_per_request = json_is_true(v);
        return 0;
    }
    if (strcmp(key, "resume") == 0) {
        TH_GUARD(th_get_enum(cur, v, resume_names, &e));
        ls->resume = (enum th_resume)e;
        return 0;
    }
    if (strcmp(key, "rate") == 0)
        return get_rate(cur, v, &ls->rate);
    if (strcmp(key, "protocol") == 0) {
        static const char *const http_names[] = {"http/1.1", "h2", NULL};
        TH_GUARD(th_get_enum(cur, v, http_names, &e));
        ls->http = (enum th_http)e;
        return 0;
    }
    if (strcmp(key, "streams") == 0)
        return get_unsigned(cur, v, 1, MAX_LOAD_STREAMS, &ls->streams);
    if (strcmp(key, "expect_sha256") == 0) {
        TH_GUARD(get_sha256(cur, v, ls->sha256));
        ls->has_sha256 = 1;
        return 0;
    }
    return kerr(cur, "unknown key (load keys: requests, seconds, connections, path, "
                     "new_connection_per_request, resume, rate, protocol, streams, "
                     "expect_sha256)");
}

typedef int (*block_fn)(struct cursor *, const char *, json_t *, struct kspec *);
static const struct block {
    const char *name;
    enum th_kind kind;
    block_fn fn;
    const char *one_of[2]; /* two keys that say the same thing two ways: one at most */
} blocks[] = {
    {"bulk", TH_KIND_BULK, bulk_key, {"bytes", "seconds"}},
    {"handshakes", TH_KIND_HANDSHAKE_RATE, rate_key, {"count", "seconds"}},
    {"memory", TH_KIND_MEMORY, memory_key, {NULL, NULL}},
    {"integrity", TH_KIND_INTEGRITY, fault_key, {NULL, NULL}},
    {"load", TH_KIND_LOAD, load_key, {"requests", "seconds"}},
};

static const struct block *block_named(const char *key)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(blocks); i++)
        if (strcmp(blocks[i].name, key) == 0)
            return &blocks[i];
    return NULL;
}

const char *th_kind_block(enum th_kind k)
{
    for (size_t i = 0; i < TH_ARRAY_LEN(blocks); i++)
        if (blocks[i].kind == k)
            return blocks[i].name;
    return NULL;
}

int th_is_kind_block(const char *key)
{
    return block_named(key) != NULL;
}

static int is_one_of(const struct block *b, const char *key)
{
    return b->one_of[0] && (strcmp(key, b->one_of[0]) == 0 || strcmp(key, b->one_of[1]) == 0);
}

int th_parse_kind_block(struct cursor *cur, const char *key, json_t *obj, struct kspec *ks)
{
    const struct block *b = block_named(key);
    const char *k, *seen = NULL;
    json_t *v;
    int rc = 0;
    if (b->kind != cur->kind)
        return kerr(cur, "only for kind %s (this scenario is kind %s)", th_kind_name(b->kind),
                    th_kind_name(cur->kind));
    if (!json_is_object(obj))
        return perr(cur, "expected an object, got %s", th_jtype(obj));
    if (b->kind == TH_KIND_INTEGRITY)
        ks->from[KF_BLOCK] = cur->variant;
    json_object_foreach(obj, k, v)
    {
        push_key(cur, k);
        if (is_one_of(b, k) && seen)
            rc = kerr(cur, "give \"%s\" or \"%s\", not both", b->one_of[0], b->one_of[1]);
        else if (b->fn(cur, k, v, ks) < 0)
            rc = -1;
        if (is_one_of(b, k))
            seen = k;
        pop(cur);
    }
    return rc;
}

int th_parse_repeat(struct cursor *cur, json_t *v, struct kspec *ks)
{
    if (cur->kind == TH_KIND_HANDSHAKE || cur->kind == TH_KIND_INTEGRITY)
        return kerr(cur,
                    "only for the benchmark kinds bulk, handshake_rate, memory and load (this "
                    "scenario is kind %s)",
                    th_kind_name(cur->kind));
    return get_unsigned(cur, v, 1, MAX_REPEAT, &ks->repeat);
}

/* ---- checks across keys ---- */

/* Points cur at key of the integrity block where it was given (from: -1 the top
 * level, else the variant's index); key NULL: the block itself. */
static void at_integrity(struct cursor *cur, int from, const char *key)
{
    cur->depth = 0;
    if (from >= 0) {
        push_key(cur, "variants");
        push_idx(cur, (size_t)from);
    }
    push_key(cur, "integrity");
    if (key)
        push_key(cur, key);
}

/* The fault is required: at the block that lacks it, or at the scenario or variant
 * that has no block of its own. */
static int missing_fault(struct cursor *cur, const struct scn *sc)
{
    char known[128];
    size_t n = 0;
    for (int i = 0; fault_names[i]; i++)
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", fault_names[i]);
    if (sc->ks.from[KF_BLOCK] == sc->variant) {
        at_integrity(cur, sc->variant, NULL);
        return perr(cur, "missing required key \"fault\" (one of: %s)", known);
    }
    cur->depth = 0;
    if (sc->variant >= 0) {
        push_key(cur, "variants");
        push_idx(cur, (size_t)sc->variant);
    }
    return perr(cur, "kind integrity needs \"integrity\": {\"fault\": ...} (one of: %s)", known);
}

/* The faulty record and one after it must both be written: reorder swaps the two,
 * and after any fault one more record shows whether the receiver noticed. */
static int check_fault(struct cursor *cur, const struct scn *sc)
{
    const struct th_fault_spec *fs = &sc->ks.fault;
    const int *from = sc->ks.from;
    uint64_t need = ((uint64_t)fs->record + 1) * fs->write_size;
    int rc = 0;
    if (from[KF_FAULT] == -2)
        return missing_fault(cur, sc);
    if (fs->fault == TH_FAULT_KEY_UPDATE &&
        !(sc->c.sp.versions & sc->s.sp.versions & TH_VBIT(TH_TLS13))) {
        at_integrity(cur, from[KF_FAULT], "fault");
        rc = perr(cur, "key_update needs TLS 1.3 in client.versions and server.versions");
    }
    if (fs->bytes < need) {
        /* at the one of the three given last: a variant's before the top level's */
        static const char *const names[] = {
            [KF_BYTES] = "bytes", [KF_RECORD] = "record", [KF_WRITE_SIZE] = "write_size"};
        int k = KF_BYTES;
        for (int i = KF_RECORD; i <= KF_WRITE_SIZE; i++)
            if (from[i] > from[k])
                k = i;
        at_integrity(cur, from[k], names[k]);
        rc = perr(cur,
                  "too few bytes for record %u: %llu bytes, and (record + 1) x write_size is "
                  "%llu",
                  fs->record, (unsigned long long)fs->bytes, (unsigned long long)need);
    }
    cur->depth = 0;
    return rc;
}

static th_outcome_set default_outcomes(const struct scn *sc)
{
    if (sc->kind != TH_KIND_INTEGRITY)
        return TH_OUTCOME_BIT(TH_OK);
    switch (sc->ks.fault.fault) {
    case TH_FAULT_TRUNCATE: return TH_OUTCOME_BIT(TH_TRUNCATED);
    case TH_FAULT_KEY_UPDATE: return TH_OUTCOME_BIT(TH_OK);
    default: return TH_OUTCOME_BIT(TH_BAD_RECORD_MAC);
    }
}

/* A rule across blocks broken: the error at the scenario's (or variant's) own key
 * (block.key) when it is the top level, else at the variant, whose blocks together
 * broke it. */
static int across(struct cursor *cur, const struct scn *sc, const char *block, const char *key,
                  const char *msg)
{
    cur->depth = 0;
    if (sc->variant >= 0) {
        push_key(cur, "variants");
        push_idx(cur, (size_t)sc->variant);
    } else {
        push_key(cur, block);
        push_key(cur, key);
    }
    int rc = perr(cur, "%s", msg);
    cur->depth = 0;
    return rc;
}

/* The resumption the kind's resumed connections use: load's and handshake_rate's
 * own block, else the client's. */
static enum th_resume resume_of(const struct scn *sc)
{
    if (sc->kind == TH_KIND_LOAD)
        return sc->ks.load.resume;
    if (sc->kind == TH_KIND_HANDSHAKE_RATE)
        return sc->ks.rate.resume;
    return sc->c.sp.resume;
}

static const char *early_resume_why(enum th_kind kind)
{
    if (kind == TH_KIND_LOAD)
        return "early data needs \"load\": {\"resume\": \"ticket\"}: it goes on the resumed "
               "TLS 1.3 connections, keyed by the ticket's PSK";
    if (kind == TH_KIND_HANDSHAKE_RATE)
        return "early data needs \"handshakes\": {\"resume\": \"ticket\"}: it goes on "
               "resumed TLS 1.3 handshakes, keyed by the ticket's PSK";
    return "early data needs \"client\": {\"resume\": \"ticket\"}: it goes on a resumed "
           "TLS 1.3 connection, keyed by the ticket's PSK";
}

/* Keys that need another: a pinned staple a client that asks; early data a resumed
 * TLS 1.3 connection by ticket (a PSK is what early data is keyed with); a pinned
 * early data or replay a client that sends it; h2 streams h2. */
static int check_across(struct cursor *cur, const struct scn *sc)
{
    const struct th_endpoint_spec *c = &sc->c.sp;
    const struct th_expect *x = &sc->expect;
    if (x->ocsp_pinned && c->ocsp_mode == TH_OCSP_OFF)
        return across(cur, sc, "expect", "ocsp",
                      "a pinned staple needs \"client\": {\"ocsp\": \"request\"} or "
                      "\"require\": a client that does not ask sees no staple");
    if (c->early != TH_EARLY_OFF && resume_of(sc) != TH_RESUME_TICKET)
        return across(cur, sc, "client", "early_data", early_resume_why(sc->kind));
    if (c->early != TH_EARLY_OFF && sc->kind == TH_KIND_HANDSHAKE_RATE && !sc->ks.rate.request)
        return across(cur, sc, "client", "early_data",
                      "early data in handshake_rate needs \"handshakes\": {\"request\": true}: "
                      "the request is what goes early");
    if (c->early != TH_EARLY_OFF && sc->kind == TH_KIND_LOAD &&
        !sc->ks.load.new_connection_per_request)
        return across(cur, sc, "client", "early_data",
                      "early data in load needs \"load\": {\"new_connection_per_request\": "
                      "true}: each request then opens the resumed connection it goes early on");
    if (c->early != TH_EARLY_OFF && sc->kind == TH_KIND_LOAD && sc->ks.load.http == TH_HTTP_2)
        return across(cur, sc, "client", "early_data",
                      "early data in load goes with HTTP/1.1 only: the HTTP/2 engine does not "
                      "send its preface early");
    if (c->early != TH_EARLY_OFF && !(c->versions & sc->s.sp.versions & TH_VBIT(TH_TLS13)))
        return across(cur, sc, "client", "early_data",
                      "early data needs TLS 1.3 in client.versions and server.versions");
    if (x->early >= 0 && c->early == TH_EARLY_OFF)
        return across(cur, sc, "expect", "early_data",
                      "a pinned early_data needs \"client\": {\"early_data\": \"send\"} or "
                      "\"replay\"");
    if (x->replay >= 0 && c->early != TH_EARLY_REPLAY)
        return across(cur, sc, "expect", "replay",
                      "a pinned replay needs \"client\": {\"early_data\": \"replay\"}");
    if (sc->kind == TH_KIND_LOAD && sc->ks.load.streams > 1 && sc->ks.load.http != TH_HTTP_2)
        return across(cur, sc, "load", "streams",
                      "more than one stream per connection needs \"protocol\": \"h2\"");
    return 0;
}

int th_kind_finish(struct cursor *cur, struct scn *sc)
{
    int rc = sc->kind == TH_KIND_INTEGRITY ? check_fault(cur, sc) : 0;
    if (rc == 0)
        rc = check_across(cur, sc);
    if (!sc->expect.outcomes)
        sc->expect.outcomes = default_outcomes(sc);
    return rc;
}
