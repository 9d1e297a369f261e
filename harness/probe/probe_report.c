/* The probe's report (probe.h): the certificate chain as the server sent it, read
 * with libcrypto into JSON, and the short aligned text people read, printed from
 * the report's JSON alone so the text and --json always say the same. The probe
 * itself, and the JSON it builds, are in probe.c. */
#include "probe.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "harness/vocab/iana.h"
#include "harness/vocab/text.h"
#include "probe_int.h"
#include "probe_warn.h"

/* ---- the certificate chain, read with libcrypto ---- */

json_t *th_probe_name_json(const X509_NAME *n)
{
    BIO *m = BIO_new(BIO_s_mem());
    char *data = NULL;
    if (!m)
        return json_null();
    X509_NAME_print_ex(m, n, 0, XN_FLAG_RFC2253);
    long len = BIO_get_mem_data(m, &data);
    json_t *s = json_stringn(data ? data : "", len > 0 ? (size_t)len : 0);
    BIO_free(m);
    return s ? s : json_string("(not UTF-8)");
}

json_t *th_probe_time_json(const ASN1_TIME *t)
{
    struct tm tm;
    char buf[32];
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return json_null();
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

static json_t *gen_name_json(const GENERAL_NAME *g)
{
    char buf[INET6_ADDRSTRLEN + 4] = "IP:?";
    int type = 0;
    const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &type);
    switch (type) {
    case GEN_DNS:
    case GEN_EMAIL:
    case GEN_URI: {
        const char *tag = type == GEN_DNS ? "DNS:" : type == GEN_EMAIL ? "email:" : "URI:";
        char *v = th_xasprintf("%s%.*s", tag, ASN1_STRING_length(s),
                               (const char *)ASN1_STRING_get0_data(s));
        json_t *j = json_string(v);
        free(v);
        return j ? j : json_string("(not UTF-8)");
    }
    case GEN_IPADD: {
        int len = ASN1_STRING_length(s);
        if (len == 4 || len == 16)
            inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), buf + 3,
                      sizeof(buf) - 3);
        return json_string(buf);
    }
    default: return json_string("other");
    }
}

static json_t *sans_json(X509 *x)
{
    json_t *a = json_array();
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++)
        json_array_append_new(a, gen_name_json(sk_GENERAL_NAME_value(names, i)));
    GENERAL_NAMES_free(names);
    return a;
}

static void key_json(X509 *x, json_t *o)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    if (!k) {
        json_object_set_new(o, "key_type", json_null());
        return;
    }
    int id = EVP_PKEY_get_base_id(k);
    const char *type = id == EVP_PKEY_RSA       ? "RSA"
                       : id == EVP_PKEY_RSA_PSS ? "RSA-PSS"
                       : id == EVP_PKEY_EC      ? "EC"
                       : id == EVP_PKEY_ED25519 ? "Ed25519"
                       : id == EVP_PKEY_ED448   ? "Ed448"
                       : id == EVP_PKEY_DSA     ? "DSA"
                                                : OBJ_nid2sn(id);
    json_object_set_new(o, "key_type", json_string(type ? type : "unknown"));
    json_object_set_new(o, "key_bits", json_integer(EVP_PKEY_get_bits(k)));
    char curve[64];
    if (id == EVP_PKEY_EC && EVP_PKEY_get_group_name(k, curve, sizeof(curve), NULL) == 1)
        json_object_set_new(o, "key_curve", json_string(curve));
}

static json_t *cert_json(X509 *x)
{
    json_t *o = json_object();
    const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
    json_object_set_new(o, "subject", th_probe_name_json(X509_get_subject_name(x)));
    json_object_set_new(o, "issuer", th_probe_name_json(X509_get_issuer_name(x)));
    json_object_set_new(o, "not_before", th_probe_time_json(nb));
    json_object_set_new(o, "not_after", th_probe_time_json(na));
    json_object_set_new(
        o, "valid_now",
        json_boolean(X509_cmp_current_time(nb) < 0 && X509_cmp_current_time(na) > 0));
    json_object_set_new(o, "sans", sans_json(x));
    key_json(x, o);
    int sig = X509_get_signature_nid(x);
    json_object_set_new(o, "signature", json_string(sig ? OBJ_nid2ln(sig) : "unknown"));
    return o;
}

json_t *th_probe_chain_json(const unsigned char *der, size_t len)
{
    json_t *a = json_array();
    const unsigned char *p = der, *end = der + len;
    while (der && p < end) {
        X509 *x = d2i_X509(NULL, &p, (long)(end - p));
        if (!x) {
            char buf[200] = "no OpenSSL error queued";
            unsigned long e = ERR_peek_last_error();
            if (e)
                ERR_error_string_n(e, buf, sizeof(buf));
            char *msg = th_xasprintf("certificate %zu does not parse: %s", json_array_size(a), buf);
            json_t *o = json_object();
            json_object_set_new(o, "error", json_string(msg));
            json_array_append_new(a, o);
            free(msg);
            break;
        }
        json_array_append_new(a, cert_json(x));
        X509_free(x);
    }
    ERR_clear_error();
    return a;
}

/* ---- readable output ---- */

/* Text from the report (a certificate's names, a library's error, the peer's status
 * line) made printable (vocab/text.h: a control byte as \xNN) for the terminal. The
 * result lives in one of RING buffers used in turn: enough for every argument of one
 * print, and the probe prints from one thread. A text longer than a buffer is cut. */
#define RING 8
static const char *safe(const char *s)
{
    static char ring[RING][4096];
    static unsigned next;
    char *b = ring[next++ % RING];
    return s ? th_text_safe(b, sizeof(ring[0]), s) : NULL;
}

/* The member key of o (a string), or dflt, made printable. */
static const char *str(const json_t *o, const char *key, const char *dflt)
{
    return safe(th_probe_str_or(o, key, dflt));
}

static void print_ms(FILE *out, const char *label, const json_t *v, const char *rest)
{
    if (json_is_number(v))
        fprintf(out, "%-13s%8.2f ms", label, json_number_value(v));
    else
        fprintf(out, "%-13s%8s   ", label, "-");
    fprintf(out, "%s%s\n", *rest ? "  " : "", rest);
}

static void print_tls(FILE *out, const json_t *t)
{
    char line[512];
    if (strcmp(str(t, "outcome", "?"), "ok") != 0) {
        snprintf(line, sizeof(line), "failed: %s (%s: %s)", str(t, "outcome", "?"),
                 str(t, "backend", "?"), str(t, "text", ""));
        print_ms(out, "handshake", NULL, line);
        return;
    }
    snprintf(line, sizeof(line), "TLS %s %s, group %s  (%s, verification off)",
             str(t, "version", "?"), str(t, "suite", "?"), str(t, "group", "none"),
             str(t, "backend", "?"));
    print_ms(out, "handshake", json_object_get(t, "handshake_ms"), line);
    fprintf(out, "%-13s%s, server signature %s\n", "key exchange", str(t, "key_exchange", "?"),
            str(t, "signature", "none"));
}

static void print_list_line(FILE *out, const char *label, const json_t *a, const char *empty)
{
    size_t i;
    json_t *v;
    fprintf(out, "%s", label);
    json_array_foreach(a, i, v) fprintf(out, "%s%s", i ? ", " : "", safe(json_string_value(v)));
    fprintf(out, "%s\n", json_array_size(a) ? "" : empty);
}

static void print_cert(FILE *out, size_t i, const json_t *c)
{
    if (json_object_get(c, "error")) {
        fprintf(out, "  [%zu] %s\n", i, str(c, "error", ""));
        return;
    }
    fprintf(out, "  [%zu] subject   %s\n", i, str(c, "subject", "?"));
    fprintf(out, "      issuer    %s\n", str(c, "issuer", "?"));
    fprintf(out, "      valid     %s .. %s%s\n", str(c, "not_before", "?"),
            str(c, "not_after", "?"),
            json_is_false(json_object_get(c, "valid_now")) ? "  (not valid now)" : "");
    print_list_line(out, "      names     ", json_object_get(c, "sans"), "(none)");
    const json_t *curve = json_object_get(c, "key_curve");
    fprintf(out, "      key       %s %lld bits%s%s, signed %s\n", str(c, "key_type", "?"),
            (long long)json_integer_value(json_object_get(c, "key_bits")), curve ? " " : "",
            curve ? safe(json_string_value(curve)) : "", str(c, "signature", "?"));
}

static void print_chain(FILE *out, const json_t *chain)
{
    size_t i, n = json_array_size(chain);
    json_t *c;
    fprintf(out, "%-13s%zu certificate%s as sent\n", "chain", n, n == 1 ? "" : "s");
    json_array_foreach(chain, i, c) print_cert(out, i, c);
}

static void print_verification(FILE *out, const json_t *r)
{
    size_t i;
    json_t *v;
    fprintf(out, "verification against %s, name %s\n", str(r, "ca", "(no CA)"),
            str(r, "name_checked", "?"));
    json_array_foreach(json_object_get(r, "verification"), i, v)
    {
        const char *text = str(v, "text", ""), *why = str(v, "note", NULL);
        const char *ver = str(v, "version", NULL), *staple = str(v, "ocsp", NULL);
        fprintf(out, "  %-13s", str(v, "backend", "?"));
        /* each verdict names the version it used; older reports have none */
        if (json_object_get(v, "version"))
            fprintf(out, "TLS %-4s ", ver ? ver : "-");
        if (json_object_get(v, "skipped")) {
            fprintf(out, "not tested: %s\n", str(v, "skipped", ""));
            continue;
        }
        fprintf(out, "%s", str(v, "outcome", "?"));
        if (staple)
            fprintf(out, "  staple %s", staple);
        if (*text)
            fprintf(out, "  %s (code %lld)", text,
                    (long long)json_integer_value(json_object_get(v, "code")));
        if (why)
            fprintf(out, "  [%s]", why);
        fputc('\n', out);
    }
}

/* The client's view of a CertificateRequest, from the timed connection. */
static void print_client_cert(FILE *out, const json_t *r)
{
    const json_t *cc = json_object_get(r, "client_certificate");
    const json_t *req = json_object_get(cc, "requested");
    const char *cert = str(cc, "cert", NULL);
    if (!cc)
        return;
    fprintf(out, "%-13s", "client cert");
    if (!json_is_boolean(req))
        fprintf(out, "unknown (no TLS connection)\n");
    else if (json_is_false(req))
        fprintf(out, "not requested by the server\n");
    else if (json_is_true(json_object_get(cc, "sent")))
        fprintf(out, "requested by the server; sent %s\n", cert ? cert : "one");
    else
        fprintf(out, "requested by the server; none sent%s\n",
                cert ? "" : " (--cert FILE --key FILE presents one)");
}

static void print_staple(FILE *out, const json_t *r)
{
    const json_t *s = json_object_get(r, "staple");
    if (!s)
        return;
    const json_t *stapled = json_object_get(s, "stapled");
    fprintf(out, "%-13s", "staple");
    if (json_is_null(stapled) || json_object_get(s, "error")) {
        fprintf(out, "%s: %s  (TLS %s)\n", json_is_null(stapled) ? "not fetched" : "unreadable",
                str(s, "error", "?"), str(s, "version", "?"));
        return;
    }
    if (!json_is_true(stapled)) {
        fprintf(out, "none  (asked with TLS %s)\n", str(s, "version", "?"));
        return;
    }
    const json_t *leaf = json_object_get(s, "for_leaf");
    fprintf(out, "%s, %s  (TLS %s)\n", str(s, "cert_status", str(s, "response_status", "?")),
            json_is_true(leaf)    ? "for the leaf sent"
            : json_is_false(leaf) ? "for ANOTHER certificate"
                                  : "certificate unchecked (no issuer sent)",
            str(s, "version", "?"));
    if (!json_object_get(s, "this_update"))
        return;
    fprintf(out, "      updated   %s .. %s%s\n", str(s, "this_update", "?"),
            str(s, "next_update", "(no next update)"),
            json_is_false(json_object_get(s, "current")) ? "  (not current)" : "");
    if (json_object_get(s, "revoked_at"))
        fprintf(out, "      revoked   %s, reason %s\n", str(s, "revoked_at", "?"),
                str(s, "revocation_reason", "none given"));
    fprintf(out, "      responder %s, %lld certificate%s included\n", str(s, "responder", "?"),
            (long long)json_integer_value(json_object_get(s, "certs_included")),
            json_integer_value(json_object_get(s, "certs_included")) == 1 ? "" : "s");
}

static void print_first_byte(FILE *out, const json_t *r)
{
    const json_t *fb = json_object_get(r, "first_byte_ms");
    char line[512];
    if (json_is_number(fb))
        snprintf(line, sizeof(line), "%s", str(r, "status_line", ""));
    else
        snprintf(line, sizeof(line), "no answer: %s",
                 str(json_object_get(r, "first_byte_error"), "text", "no TLS connection"));
    print_ms(out, "first byte", fb, line);
}

static void print_versions(FILE *out, const json_t *r)
{
    const json_t *vers = json_object_get(r, "versions"),
                 *ref = json_object_get(r, "version_refusals");
    fprintf(out, "%-13s", "versions");
    for (size_t i = 0; i < TH_PROBE_N_VERSIONS; i++) {
        const char *name = th_version_name(th_probe_versions[i]);
        const json_t *v = json_object_get(vers, name), *why = json_object_get(ref, name);
        const char *word = json_is_true(v) ? "yes" : json_is_false(v) ? "no" : "untested";
        fprintf(out, "%s%s %s", i ? "  " : "", name, word);
        if (why)
            fprintf(out, " (%s)", str(why, "outcome", "?"));
    }
    fputc('\n', out);
}

static const char *order_words(const char *o)
{
    if (!strcmp(o, "client"))
        return "client's";
    if (!strcmp(o, "n/a"))
        return "n/a (fewer than two suites)";
    if (!strcmp(o, "untested"))
        return "untested (no client here can offer two of them in both orders)";
    if (!strcmp(o, "unknown"))
        return "unknown (the server refused a pair it had accepted, or picked oddly)";
    return o;
}

static void print_suites(FILE *out, const json_t *r)
{
    const json_t *suites = json_object_get(r, "suites"),
                 *order = json_object_get(r, "server_order");
    const json_t *untested = json_object_get(r, "not_tested");
    for (size_t i = TH_PROBE_N_VERSIONS; i-- > 0;) {
        const char *name = th_version_name(th_probe_versions[i]);
        const json_t *list = json_object_get(suites, name);
        if (!list)
            continue;
        size_t j, n_left = json_array_size(json_object_get(untested, name));
        json_t *s;
        fprintf(out, "suites TLS %s  %zu accepted, server order: %s\n", name, json_array_size(list),
                order_words(str(order, name, "n/a")));
        json_array_foreach(list, j, s) fprintf(out, "  %s\n", safe(json_string_value(s)));
        if (n_left)
            fprintf(out, "  not tested: %zu suite%s no client here can offer\n", n_left,
                    n_left == 1 ? "" : "s");
    }
}

/* The legacy suites the probe offered in a ClientHello of its own: only those taken. */
static void print_legacy(FILE *out, const json_t *r)
{
    const char *v;
    json_t *list;
    json_object_foreach(json_object_get(r, "legacy_suites"), v, list)
    {
        if (!json_array_size(list))
            continue;
        size_t j;
        json_t *s;
        fprintf(out, "legacy suites TLS %s  %zu accepted\n", safe(v), json_array_size(list));
        json_array_foreach(list, j, s) fprintf(out, "  %s\n", safe(json_string_value(s)));
    }
}

void th_probe_print(FILE *out, const json_t *r)
{
    fprintf(out, "probe        %s  (name %s, SNI %s)\n", str(r, "url", "?"),
            str(r, "name_checked", "?"), str(r, "sni", "none"));
    if (json_is_number(json_object_get(r, "connect_ms")))
        print_ms(out, "connect", json_object_get(r, "connect_ms"), "");
    if (json_object_get(r, "error")) {
        fprintf(out, "%-13s%s\n", "error", str(r, "error", ""));
        return;
    }
    print_tls(out, json_object_get(r, "tls"));
    print_client_cert(out, r);
    print_chain(out, json_object_get(r, "chain"));
    print_verification(out, r);
    print_staple(out, r);
    print_first_byte(out, r);
    print_versions(out, r);
    print_suites(out, r);
    print_legacy(out, r);
    for (size_t v = TH_PROBE_N_VERSIONS; v-- > 0;) {
        const char *name = th_version_name(th_probe_versions[v]);
        const json_t *g = json_object_get(json_object_get(r, "groups"), name);
        char label[32];
        snprintf(label, sizeof(label), "groups TLS %s  ", name);
        if (g)
            print_list_line(out, label, g, "(none)");
    }
    if (json_object_get(r, "dh"))
        fprintf(out, "%-13sDHE group %lld bits (TLS %s %s)\n", "dh",
                (long long)json_integer_value(json_object_get(json_object_get(r, "dh"), "bits")),
                str(json_object_get(r, "dh"), "version", "?"),
                str(json_object_get(r, "dh"), "suite", "?"));
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(r, "notes"), i, n)
        fprintf(out, "note: %s\n", safe(json_string_value(n)));
    th_probe_print_findings(out, r);
}
