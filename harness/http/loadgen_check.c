/* What every load engine (loadgen.c, HTTP/2's loadgen_h2.c) checks the same way:
 * each handshake against what was asked and against the first, and which paths
 * have a body to compare. */
#include <string.h>

#include "harness/vocab/iana.h"
#include "loadgen_int.h"

int th_loadgen_same_neg(const struct th_negotiated *first, const struct th_negotiated *n)
{
    return n->version == first->version && n->suite == first->suite &&
           (n->group == first->group || (n->resumed && !n->group) ||
            (first->resumed && !first->group)) &&
           strcmp(n->alpn, first->alpn) == 0;
}

int th_loadgen_bytes_path(const char *path, uint64_t *n)
{
    if (strncmp(path, "/bytes/", 7) != 0 || !path[7] || strlen(path + 7) > 15)
        return 0;
    uint64_t v = 0;
    for (const char *c = path + 7; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *n = v;
    return 1;
}

static const char *suite_name(uint16_t id)
{
    const struct th_suite_info *si = th_suite_by_id(id);
    return si ? si->name : "unknown";
}

static const char *group_name(uint16_t id)
{
    const struct th_group_info *gi = th_group_by_id(id);
    return gi ? gi->name : id ? "unknown" : "none";
}

int th_loadgen_verify(const struct th_loadgen_params *p, const struct th_negotiated *n,
                      const char *want_alpn, int had_conn, int offered, struct th_error *err)
{
    if (want_alpn && strcmp(n->alpn, want_alpn) != 0)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "ALPN negotiated %s%s%s, %s asked",
                     n->alpn[0] ? "'" : "", n->alpn[0] ? n->alpn : "nothing", n->alpn[0] ? "'" : "",
                     want_alpn);
    else if (p->want_version && n->version != p->want_version)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "negotiated TLS %s, asked %s",
                     th_version_name(n->version), th_version_name(p->want_version));
    else if (p->want_suite && n->suite != p->want_suite)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "negotiated %s, asked %s", suite_name(n->suite),
                     suite_name(p->want_suite));
    /* a resumption without a key exchange has no group to compare */
    else if (p->want_group && n->group != p->want_group && !(n->resumed && !n->group))
        th_error_set(err, TH_INTERNAL_ERROR, 0, "negotiated group %s, asked %s",
                     group_name(n->group), group_name(p->want_group));
    else if (p->resume == TH_RESUME_NONE && n->resumed)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "resumed, asked for full handshakes");
    else if (p->resume != TH_RESUME_NONE && had_conn && !n->resumed)
        th_error_set(err, TH_INTERNAL_ERROR, 0, "not resumed (%s)",
                     offered ? "the server refused the session offered"
                             : "no session to offer: the server sent none");
    else
        return 0;
    return -1;
}
