/* "clients" and "servers": who a scenario runs between. An entry is "*" (every
 * backend with the role, resolved at expansion), a backend of the registry, or, for
 * servers, "fixture:NAME" (a real server the harness runs) or an external target
 * "https://HOST:PORT". */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

/* "*", a backend of the registry that has the role, or (servers) an external
 * target "https://HOST:PORT". */
static int peer_backend(struct cursor *cur, const char *s, unsigned role, struct peer *p)
{
    char known[256];
    if (strcmp(s, "*") == 0) {
        p->star = 1;
        return 0;
    }
    for (size_t i = 0; cur->rd->reg[i]; i++) {
        if (strcmp(cur->rd->reg[i]->name, s) != 0)
            continue;
        struct th_caps caps;
        memset(&caps, 0, sizeof caps);
        cur->rd->reg[i]->caps(&caps);
        if (!(caps.roles & role))
            return perr(cur, "backend '%s' cannot be a %s", s,
                        role == TH_ROLE_CLIENT ? "client" : "server");
        p->be = cur->rd->reg[i];
        return 0;
    }
    th_backend_names(cur->rd->reg, known, sizeof known);
    return perr(cur, "unknown backend '%s' (compiled in: %s)", s, known);
}

static int target_port(struct cursor *cur, const char *url, const char *p, uint16_t *out)
{
    char *end;
    if (*p != ':' || !p[1])
        return perr(cur, "external target \"%s\" needs a port: https://HOST:PORT", url);
    if (!th_chars_in(p + 1, "0123456789") || strlen(p + 1) > 5)
        return perr(cur, "external target \"%s\": port must be a number 1-65535, with no path",
                    url);
    long port = strtol(p + 1, &end, 10);
    if (port < 1 || port > 65535)
        return perr(cur, "external target \"%s\": port %ld out of range 1-65535", url, port);
    *out = (uint16_t)port;
    return 0;
}

static int parse_target(struct cursor *cur, const char *url, struct peer *p)
{
    const char *h = url + 8, *hend, *after;
    unsigned char buf[16];
    if (*h == '[') {
        hend = strchr(h, ']');
        after = hend ? hend + 1 : NULL;
        p->host = hend ? strndup(h + 1, (size_t)(hend - h - 1)) : NULL;
        if (!p->host || inet_pton(AF_INET6, p->host, buf) != 1)
            return perr(cur, "external target \"%s\": bad IPv6 address", url);
    } else {
        hend = strchr(h, ':');
        after = hend ? hend : h + strlen(h);
        p->host = strndup(h, (size_t)(after - h));
        if (!p->host || !th_chars_in(p->host, "abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"))
            return perr(cur, "external target \"%s\": bad host name", url);
    }
    TH_GUARD(target_port(cur, url, after, &p->port));
    p->url = th_xstrdup(url);
    p->label = th_xstrdup(h);
    return 0;
}

/* "fixture:NAME" or "fixture:*" (every fixture the harness knows). */
static int peer_fixture(struct cursor *cur, const char *s, struct peer *p)
{
    char known[256] = "";
    if (strcmp(s + 8, "*") == 0) {
        p->fx_star = 1;
        return 0;
    }
    if ((p->fx = th_fixture_find(s + 8)))
        return 0;
    for (size_t i = 0; th_fixtures[i]; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 th_fixtures[i]->name);
    return perr(cur, "unknown fixture '%s' (known: %s)", s + 8, known);
}

static int server_item(struct cursor *cur, json_t *it, void *ctx)
{
    struct file_scn *f = ctx;
    struct peer *p = &f->servers[f->n_servers++];
    const char *s;
    memset(p, 0, sizeof *p);
    TH_GUARD(th_get_str(cur, it, &s));
    int outside = strncmp(s, "https://", 8) == 0 || strncmp(s, "fixture:", 8) == 0;
    if (outside && cur->kind != TH_KIND_HANDSHAKE && cur->kind != TH_KIND_LOAD)
        return perr(cur,
                    "kind %s needs both ends in the harness; external targets and fixtures "
                    "are for kinds handshake and load",
                    th_kind_name(cur->kind));
    if (strncmp(s, "https://", 8) == 0)
        return parse_target(cur, s, p);
    if (strncmp(s, "http://", 7) == 0)
        return perr(cur, "external targets use https:// (got \"%s\")", s);
    if (strncmp(s, "fixture:", 8) == 0)
        return peer_fixture(cur, s, p);
    return peer_backend(cur, s, TH_ROLE_SERVER, p);
}

static int client_item(struct cursor *cur, json_t *it, void *ctx)
{
    struct file_scn *f = ctx;
    struct peer *p = &f->clients[f->n_clients++];
    const char *s;
    memset(p, 0, sizeof *p);
    TH_GUARD(th_get_str(cur, it, &s));
    return peer_backend(cur, s, TH_ROLE_CLIENT, p);
}

int th_parse_clients(struct cursor *cur, json_t *v, struct file_scn *f)
{
    f->n_clients = 0;
    if (json_is_array(v) && !json_array_size(v))
        return perr(cur, "empty list: name backends or \"*\"");
    return th_each(cur, v, MAX_PEERS, client_item, f);
}

int th_parse_servers(struct cursor *cur, json_t *v, struct file_scn *f)
{
    f->n_servers = 0;
    if (json_is_array(v) && !json_array_size(v))
        return perr(cur,
                    "empty list: name backends, \"*\", fixture:NAME or https://HOST:PORT targets");
    return th_each(cur, v, MAX_PEERS, server_item, f);
}
