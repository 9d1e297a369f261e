/* The server a case runs against when the harness does not run it in-process: an
 * external target as the scenario gives it, or a fixture (a real server the
 * harness starts on loopback and keeps across cases). */
#include <stdio.h>
#include <string.h>

#include "harness/fixture/fixture.h"
#include "harness/run/endpoint.h"
#include "kinds_int.h"

int th_target_fixture(const struct th_case *c, const struct th_runner_opts *o,
                      struct th_fixture **out, struct th_error *err)
{
    struct th_endpoint_cfg rs;
    if (!o->fixtures) {
        th_error_set(err, TH_INTERNAL_ERROR, 0, "%s: this run has no fixture pool", c->server_name);
        return -1;
    }
    if (th_endpoint_server(c, o->pki_dir, &rs, err) != 0) {
        th_error_prefix(err, "cannot resolve the case's files");
        return -1;
    }
    double start_limit = c->timeout_s > 10 ? c->timeout_s : 10;
    if (th_fixture_pool_get(o->fixtures, c->fixture, &rs.cfg, start_limit, out, err) != 0) {
        th_error_prefix(err, "the fixture server did not start");
        return -1;
    }
    return 0;
}

int th_target_locate(const struct th_case *c, const struct th_runner_opts *o, struct th_target *t,
                     struct th_error *err)
{
    memset(t, 0, sizeof(*t));
    if (c->server)
        return 0;
    if (!c->fixture) {
        t->host = c->target_host;
        t->port = c->target_port;
        return 0;
    }
    TH_GUARD(th_target_fixture(c, o, &t->fixture, err));
    t->host = "127.0.0.1";
    t->port = th_fixture_port(t->fixture);
    return 0;
}

void th_target_add_log(const struct th_fixture *f, struct th_case_result *r)
{
    char tail[256];
    if (!f || (r->status != TH_FAIL && r->status != TH_ERROR && r->status != TH_XPASS))
        return;
    if (th_fixture_log_tail(f, tail, sizeof(tail)) == 0)
        return;
    for (char *p = tail; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t n = strlen(r->reason);
    snprintf(r->reason + n, sizeof(r->reason) - n, "; server log: %s", tail);
}
