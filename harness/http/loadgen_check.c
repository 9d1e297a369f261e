/* What every load engine (loadgen.c, HTTP/2's loadgen_h2.c) checks the same way:
 * the handshakes against the first, and which paths have a body to compare. */
#include <string.h>

#include "loadgen.h"

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
