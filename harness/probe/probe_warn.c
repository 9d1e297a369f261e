/* The probe's findings (probe_warn.h): read from the report's JSON alone. Suites are
 * classed by their IANA names, which spell out what they are (TLS_RSA_WITH_ is RSA
 * key transport, _3DES_ a 64-bit block cipher, ...), so suites the IANA table here
 * does not carry (the legacy ones the probe offers byte for byte) are classed the
 * same way as the rest. */
#include "probe_warn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/vocab/text.h"
#include "probe_int.h"

static const char *const SEV_NAMES[] = {"info", "low", "medium", "high", "critical"};

const char *th_severity_name(enum th_severity s)
{
    return (unsigned)s <= TH_SEV_CRITICAL ? SEV_NAMES[s] : "?";
}

int th_severity_parse(const char *s, enum th_severity *out)
{
    for (int i = 0; i <= TH_SEV_CRITICAL; i++)
        if (s && !strcmp(s, SEV_NAMES[i])) {
            *out = (enum th_severity)i;
            return 0;
        }
    return -1;
}

/* ---- suite classes ---- */

/* A class of suites, what its name holds, and why it is a finding. Each suite
 * accepted counts in every class it is in (3DES suites are CBC suites too). */
struct suite_class {
    const char *id;
    enum th_severity sev;
    const char *needle; /* in the IANA name */
    int prefix;         /* needle must start the name */
    int weak;           /* counts as weak for the server order finding */
    const char *reason;
};

static const struct suite_class CLASSES[] = {
    {"null_cipher", TH_SEV_CRITICAL, "_WITH_NULL_", 0, 1,
     "NULL suites accepted: the traffic goes unencrypted"},
    {"anonymous", TH_SEV_CRITICAL, "_anon_", 0, 1,
     "anonymous suites accepted: no server authentication, a man in the middle goes unseen"},
    {"export", TH_SEV_CRITICAL, "EXPORT", 0, 1,
     "export suites accepted: 40/56-bit keys broken in hours (FREAK, Logjam)"},
    {"des", TH_SEV_CRITICAL, "_DES_", 0, 1, "single-DES suites accepted: 56-bit keys"},
    {"rc4", TH_SEV_HIGH, "_RC4_", 0, 1, "RC4 suites accepted: biased keystream, banned (RFC 7465)"},
    {"3des", TH_SEV_HIGH, "_3DES_", 0, 1,
     "3DES suites accepted: 64-bit blocks, plaintext recovery after ~32 GB (SWEET32)"},
    {"idea", TH_SEV_HIGH, "_IDEA_", 0, 1, "IDEA suites accepted: 64-bit blocks (SWEET32)"},
    {"rsa_kx", TH_SEV_MEDIUM, "TLS_RSA_WITH_", 1, 1,
     "RSA key transport accepted: no forward secrecy, a stolen key decrypts recorded traffic"},
    {"cbc", TH_SEV_LOW, "_CBC_", 0, 1,
     "CBC suites accepted: MAC-then-encrypt, the source of padding oracles (Lucky13)"},
};
#define N_CLASSES (sizeof(CLASSES) / sizeof(CLASSES[0]))

static int in_class(const struct suite_class *c, const char *name)
{
    return c->prefix ? !strncmp(name, c->needle, strlen(c->needle))
                     : strstr(name, c->needle) != NULL;
}

static int weak_suite(const char *name)
{
    for (size_t i = 0; i < N_CLASSES; i++)
        if (CLASSES[i].weak && in_class(&CLASSES[i], name))
            return 1;
    return 0;
}

/* ---- building findings ---- */

static json_t *finding(json_t *out, enum th_severity sev, const char *id, const char *reason)
{
    json_t *f = json_object();
    json_object_set_new(f, "severity", json_string(th_severity_name(sev)));
    json_object_set_new(f, "id", json_string(id));
    json_object_set_new(f, "reason", json_string(reason));
    json_array_append_new(out, f);
    return f;
}

static void add_item(json_t *f, const char *fmt, const char *a, const char *b)
{
    json_t *items = json_object_get(f, "items");
    if (!items) {
        items = json_array();
        json_object_set_new(f, "items", items);
    }
    char *s = th_xasprintf(fmt, a, b);
    json_array_append_new(items, json_string(s));
    free(s);
}

/* Every suite accepted, per version: "suites" (what the client backends offered)
 * and "legacy_suites" (what the probe offered byte for byte), in fn's view. */
typedef void (*suite_fn)(void *arg, const char *version, const char *suite);
static void each_suite(const json_t *r, suite_fn fn, void *arg)
{
    static const char *const lists[] = {"suites", "legacy_suites"};
    for (size_t l = 0; l < 2; l++) {
        const char *v;
        json_t *a;
        json_object_foreach(json_object_get(r, lists[l]), v, a)
        {
            size_t i;
            json_t *s;
            json_array_foreach(a, i, s) if (json_is_string(s)) fn(arg, v, json_string_value(s));
        }
    }
}

struct class_scan {
    const struct suite_class *c;
    json_t *out, *f;
};

static void class_one(void *arg, const char *version, const char *suite)
{
    struct class_scan *s = arg;
    if (!in_class(s->c, suite))
        return;
    if (!s->f)
        s->f = finding(s->out, s->c->sev, s->c->id, s->c->reason);
    add_item(s->f, "%s %s", version, suite);
}

static void suite_findings(const json_t *r, json_t *out)
{
    for (size_t i = 0; i < N_CLASSES; i++) {
        struct class_scan s = {&CLASSES[i], out, NULL};
        each_suite(r, class_one, &s);
    }
}

static const char *const OLD_VERSIONS[][3] = {
    {"1.0", "tls10", "TLS 1.0 accepted: deprecated (RFC 8996), CBC with predictable IVs (BEAST)"},
    {"1.1", "tls11", "TLS 1.1 accepted: deprecated (RFC 8996), MD5/SHA-1 in the handshake"},
};

static void version_findings(const json_t *r, json_t *out)
{
    const json_t *v = json_object_get(r, "versions");
    for (size_t i = 0; i < 2; i++)
        if (json_is_true(json_object_get(v, OLD_VERSIONS[i][0])))
            finding(out, TH_SEV_MEDIUM, OLD_VERSIONS[i][1], OLD_VERSIONS[i][2]);
    /* refused, not untested: a client here that cannot offer it proves nothing */
    if (json_is_false(json_object_get(v, "1.3")))
        finding(out, TH_SEV_LOW, "no_tls13",
                "TLS 1.3 refused: one more round trip, and no protection of the handshake's "
                "certificate and choices");
}

struct weak_scan {
    const char *version;
    int weak;
};

static void weak_one(void *arg, const char *version, const char *suite)
{
    struct weak_scan *w = arg;
    if (!strcmp(version, w->version) && weak_suite(suite))
        w->weak = 1;
}

/* A server that follows the client's order lets an old client pick a weak suite it
 * lists first; with strong suites only that costs nothing. */
static void order_findings(const json_t *r, json_t *out)
{
    const char *v;
    json_t *o, *strong = NULL, *weak = NULL;
    json_object_foreach(json_object_get(r, "server_order"), v, o)
    {
        if (!json_is_string(o) || strcmp(json_string_value(o), "client") != 0)
            continue;
        struct weak_scan w = {v, 0};
        each_suite(r, weak_one, &w);
        if (w.weak && !weak)
            weak = finding(out, TH_SEV_MEDIUM, "no_server_order",
                           "the server follows the client's order with weak suites enabled: a "
                           "client that lists one first gets it");
        else if (!w.weak && !strong)
            strong = finding(out, TH_SEV_INFO, "client_order",
                             "the server follows the client's order (its suites are all strong)");
        add_item(w.weak ? weak : strong, "TLS %s%s", v, "");
    }
}

static void dh_findings(const json_t *r, json_t *out)
{
    const json_t *dh = json_object_get(r, "dh");
    const json_t *bits = json_object_get(dh, "bits");
    if (!json_is_integer(bits) || json_integer_value(bits) >= 2048)
        return;
    long long b = json_integer_value(bits);
    char why[200];
    snprintf(why, sizeof(why),
             "DHE with a %lld-bit group: %s (Logjam); 2048 bits or more, or ECDHE only", b,
             b < 1024 ? "within reach of precomputation today" : "below today's 2048-bit floor");
    json_t *f = finding(out, b < 1024 ? TH_SEV_HIGH : TH_SEV_MEDIUM, "dh_small", why);
    add_item(f, "%s %s", th_probe_str_or(dh, "version", "?"), th_probe_str_or(dh, "suite", "?"));
}

/* ---- the certificates ---- */

static int parse_utc(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
    if (!end || *end)
        return -1;
    *out = timegm(&tm);
    return 0;
}

static int self_signed(const json_t *c)
{
    const char *s = th_probe_str_or(c, "subject", NULL), *i = th_probe_str_or(c, "issuer", NULL);
    return s && i && !strcmp(s, i);
}

/* The certificate-of-the-chain label for an item: "[1] CN=..". */
static void cert_item(json_t *f, size_t i, const json_t *c)
{
    char idx[24];
    snprintf(idx, sizeof(idx), "[%zu]", i);
    add_item(f, "%s %s", idx, th_probe_str_or(c, "subject", "?"));
}

struct cert_rule {
    const char *id;
    enum th_severity sev;
    const char *reason;
};
static const struct cert_rule EXPIRED = {"cert_expired", TH_SEV_CRITICAL,
                                         "a certificate sent has expired: clients refuse it"};
static const struct cert_rule NOT_YET = {"cert_not_yet_valid", TH_SEV_CRITICAL,
                                         "a certificate sent is not valid yet: clients refuse it"};
static const struct cert_rule EXPIRING = {"cert_expiring", TH_SEV_MEDIUM,
                                          "a certificate sent expires within 30 days: renew it"};
static const struct cert_rule MD5 = {"cert_md5", TH_SEV_CRITICAL,
                                     "a certificate is signed with MD5: collisions are practical"};
static const struct cert_rule SHA1 = {
    "cert_sha1", TH_SEV_HIGH,
    "a certificate is signed with SHA-1: chosen-prefix collisions are practical (SHAmbles)"};

/* One finding per rule however many certificates it concerns. */
static void cert_add(json_t *out, json_t **slot, const struct cert_rule *rule, size_t i,
                     const json_t *c)
{
    if (!*slot)
        *slot = finding(out, rule->sev, rule->id, rule->reason);
    cert_item(*slot, i, c);
}

static void validity_findings(const json_t *chain, time_t now, json_t *out)
{
    json_t *exp = NULL, *yet = NULL, *soon = NULL, *md5 = NULL, *sha1 = NULL, *c;
    size_t i;
    json_array_foreach(chain, i, c)
    {
        time_t nb, na;
        const char *sig = th_probe_str_or(c, "signature", "");
        if (parse_utc(th_probe_str_or(c, "not_before", NULL), &nb) == 0 && now < nb)
            cert_add(out, &yet, &NOT_YET, i, c);
        if (parse_utc(th_probe_str_or(c, "not_after", NULL), &na) == 0) {
            if (now > na)
                cert_add(out, &exp, &EXPIRED, i, c);
            else if (na - now < TH_PROBE_EXPIRY_WARN_S)
                cert_add(out, &soon, &EXPIRING, i, c);
        }
        /* a root's own signature is not checked by anyone: its key is the anchor */
        if (self_signed(c))
            continue;
        if (strcasestr(sig, "md5"))
            cert_add(out, &md5, &MD5, i, c);
        else if (strcasestr(sig, "sha1"))
            cert_add(out, &sha1, &SHA1, i, c);
    }
}

/* Index of the certificate in chain that issued chain[i], or -1. */
static long issuer_of(const json_t *chain, size_t i)
{
    const char *want = th_probe_str_or(json_array_get(chain, i), "issuer", NULL);
    for (size_t j = 0; want && j < json_array_size(chain); j++)
        if (j != i && !strcmp(th_probe_str_or(json_array_get(chain, j), "subject", ""), want))
            return (long)j;
    return -1;
}

/* Follow the path from the leaf, issuer by issuer: a step that is not to the next
 * certificate is the wrong order; a certificate never reached is not part of the
 * path (RFC 8446 4.4.2 lets clients ignore it, older clients break on it). */
static void order_chain_findings(const json_t *chain, json_t *out)
{
    size_t n = json_array_size(chain);
    if (n == 0 || n > 64)
        return;
    char reached[64] = {1};
    size_t cur = 0;
    int wrong = 0;
    while (!self_signed(json_array_get(chain, cur))) {
        long j = issuer_of(chain, cur);
        if (j < 0 || reached[j])
            break;
        wrong |= (size_t)j != cur + 1;
        reached[j] = 1;
        cur = (size_t)j;
    }
    if (wrong)
        finding(out, TH_SEV_LOW, "chain_order",
                "the chain is not in issuing order (RFC 5246 7.4.2): strict clients fail");
    json_t *extra = NULL, *root = NULL;
    for (size_t i = 1; i < n; i++) {
        const json_t *c = json_array_get(chain, i);
        if (!reached[i] && !extra)
            extra = finding(out, TH_SEV_LOW, "chain_extra",
                            "certificates sent that are not part of the leaf's path");
        if (!reached[i])
            cert_item(extra, i, c);
        else if (self_signed(c)) {
            root = finding(out, TH_SEV_INFO, "root_sent",
                           "the self-signed root is sent: clients use their own copy");
            cert_item(root, i, c);
        }
    }
}

static void handshake_sig_findings(const json_t *r, json_t *out)
{
    const char *sig = th_probe_str_or(json_object_get(r, "tls"), "signature", "");
    if (strstr(sig, "sha1"))
        add_item(finding(out, TH_SEV_MEDIUM, "sha1_handshake",
                         "the server signs the handshake with SHA-1 when a client allows it"),
                 "%s%s", sig, "");
}

/* ---- together ---- */

static int sev_of(const json_t *f)
{
    enum th_severity s;
    return th_severity_parse(th_probe_str_or(f, "severity", ""), &s) == 0 ? (int)s : -1;
}

static int by_severity(const void *a, const void *b)
{
    return sev_of(*(json_t *const *)b) - sev_of(*(json_t *const *)a);
}

json_t *th_probe_findings(const json_t *r, time_t now)
{
    json_t *out = json_array();
    if (!th_probe_answered(r))
        return out;
    version_findings(r, out);
    suite_findings(r, out);
    order_findings(r, out);
    dh_findings(r, out);
    const json_t *chain = json_object_get(r, "chain");
    validity_findings(chain, now, out);
    order_chain_findings(chain, out);
    handshake_sig_findings(r, out);
    /* sorted stably by severity: the order of the checks above within one */
    size_t n = json_array_size(out);
    json_t **v = th_xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(out, i));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && by_severity(&v[j - 1], &v[j]) > 0; j--) {
            json_t *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    json_array_clear(out);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, v[i]);
    free(v);
    return out;
}

int th_probe_worst(const json_t *r)
{
    int worst = -1;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(r, "findings"), i, f) if (sev_of(f) > worst) worst =
        sev_of(f);
    return worst;
}

void th_probe_print_findings(FILE *out, const json_t *r)
{
    const json_t *all = json_object_get(r, "findings");
    size_t i, n = json_array_size(all), count[TH_SEV_CRITICAL + 1] = {0};
    json_t *f;
    if (!all)
        return;
    json_array_foreach(all, i, f) if (sev_of(f) >= 0) count[sev_of(f)]++;
    fprintf(out, "%-13s", "findings");
    if (!n)
        fprintf(out, "none");
    for (int s = TH_SEV_CRITICAL, first = 1; s >= TH_SEV_INFO; s--)
        if (count[s]) {
            fprintf(out, "%s%zu %s", first ? "" : ", ", count[s], SEV_NAMES[s]);
            first = 0;
        }
    fputc('\n', out);
    char buf[4][1024];
    json_array_foreach(all, i, f)
    {
        fprintf(out, "  %-9s%-19s%s\n",
                th_text_safe(buf[0], sizeof(buf[0]), th_probe_str_or(f, "severity", "?")),
                th_text_safe(buf[1], sizeof(buf[1]), th_probe_str_or(f, "id", "?")),
                th_text_safe(buf[2], sizeof(buf[2]), th_probe_str_or(f, "reason", "")));
        size_t j;
        json_t *it;
        json_array_foreach(json_object_get(f, "items"), j, it) fprintf(
            out, "  %28s%s\n", "",
            th_text_safe(buf[3], sizeof(buf[3]), json_is_string(it) ? json_string_value(it) : "?"));
    }
}
