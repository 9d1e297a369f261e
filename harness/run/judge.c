/* Judging a case: the observed outcome and negotiated details against the
 * expectation, then against a declared deviation. An intermittent deviation that
 * did not happen is a pass, not an xpass: the library does it only sometimes. */
#include "judge.h"

#include <stdio.h>
#include <string.h>

#include "harness/vocab/iana.h"

static void outcome_list(th_outcome_set set, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < TH_OUTCOME_COUNT && n < cap; i++) {
        if (!(set & TH_OUTCOME_BIT(i)))
            continue;
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " or " : "",
                              th_outcome_name((enum th_outcome)i));
    }
}

static const char *suite_name(uint16_t id, char *buf, size_t cap)
{
    const struct th_suite_info *s = th_suite_by_id(id);
    if (s)
        return s->name;
    snprintf(buf, cap, id ? "0x%04X" : "none", id);
    return buf;
}

static const char *group_name(uint16_t id)
{
    const struct th_group_info *g = th_group_by_id(id);
    return g ? g->name : id ? "unknown" : "none";
}

/* The first pinned detail that differs, written into why; 0 when all match. */
static int details_differ(const struct th_expect *x, const struct th_observed *o, char *why,
                          size_t cap)
{
    const struct th_negotiated *n = &o->neg;
    char a[16], b[16];
    if (x->version && x->version != n->version) {
        snprintf(why, cap, "expected version %s, negotiated %s", th_version_name(x->version),
                 th_version_name(n->version));
        return 1;
    }
    if (x->suite && x->suite != n->suite) {
        snprintf(why, cap, "expected cipher %s, negotiated %s", suite_name(x->suite, a, 16),
                 suite_name(n->suite, b, 16));
        return 1;
    }
    if (x->group && x->group != n->group) {
        snprintf(why, cap, "expected group %s, negotiated %s", group_name(x->group),
                 group_name(n->group));
        return 1;
    }
    if (x->alpn_pinned) {
        const char *want = x->alpn ? x->alpn : "";
        if (strcmp(want, n->alpn) != 0) {
            snprintf(why, cap, "expected ALPN %s, negotiated %s", *want ? want : "none",
                     n->alpn[0] ? n->alpn : "none");
            return 1;
        }
    }
    if (x->ocsp_pinned && x->ocsp != n->ocsp) {
        const char *seen = th_staple_name(n->ocsp);
        snprintf(why, cap, "expected the staple %s, the client saw %s", th_staple_name(x->ocsp),
                 seen ? seen : "nothing (it did not ask)");
        return 1;
    }
    if (x->early >= 0 && x->early != n->early_accepted) {
        snprintf(why, cap, "expected the early data %s, it was %s",
                 x->early ? "accepted" : "rejected",
                 !n->early_offered   ? "never sent"
                 : n->early_accepted ? "accepted"
                                     : "rejected");
        return 1;
    }
    if (x->hrr >= 0 && (!o->hrr_known || x->hrr != o->hrr)) {
        snprintf(why, cap, "expected %s, %s",
                 x->hrr ? "a HelloRetryRequest" : "no HelloRetryRequest",
                 !o->hrr_known ? "the handshake records did not show (not TLS 1.3?)"
                 : o->hrr      ? "the server sent one"
                               : "none was sent");
        return 1;
    }
    if (x->replay >= 0 && (!o->replay_tried || x->replay != o->replay_accepted)) {
        snprintf(why, cap, "expected the replayed early data %s, it was %s",
                 x->replay ? "accepted" : "rejected",
                 !o->replay_tried     ? "never replayed"
                 : o->replay_accepted ? "accepted"
                                      : "rejected");
        return 1;
    }
    if (x->resumed >= 0 && x->resumed != n->resumed) {
        snprintf(why, cap, "expected %s, got %s",
                 x->resumed ? "a resumed session" : "a full handshake",
                 n->resumed ? "a resumed session" : "a full handshake");
        return 1;
    }
    return 0;
}

static void native_detail(const struct th_observed *o, char *out, size_t cap)
{
    const struct th_error *e = NULL;
    if (o->native_side && strcmp(o->native_side, "client") == 0)
        e = &o->client_err;
    else if (o->native_side)
        e = &o->server_err;
    if (e)
        snprintf(out, cap, " (%s: %s, code %ld)", o->native_side, e->text, e->code);
    else
        out[0] = '\0';
}

enum th_outcome th_decide_outcome(const struct th_error *client, int client_failed,
                                  const struct th_error *server, int server_failed,
                                  const char **side)
{
    int client_generic =
        client_failed && (client->outcome == TH_HANDSHAKE_FAILURE ||
                          client->outcome == TH_IO_ERROR || client->outcome == TH_TRUNCATED);
    int server_precise = server_failed && server->outcome != TH_HANDSHAKE_FAILURE &&
                         server->outcome != TH_IO_ERROR && server->outcome != TH_TRUNCATED &&
                         server->outcome != TH_OK;
    if (client_failed && !(client_generic && server_precise)) {
        *side = "client";
        return client->outcome;
    }
    if (server_failed) {
        *side = "server";
        return server->outcome;
    }
    *side = NULL;
    return TH_OK;
}

/* A harness fault on one side (TH_FAULT: internal_error with the place that raised it;
 * a shim that died or fell silent) means the case could not run, whatever it expected:
 * error, not fail. */
static int is_fault(const struct th_error *e)
{
    return e->outcome == TH_INTERNAL_ERROR && e->file;
}

static const struct th_error *fault_of(const struct th_observed *o)
{
    if (is_fault(&o->client_err))
        return &o->client_err;
    if (o->server_seen && is_fault(&o->server_err))
        return &o->server_err;
    return NULL;
}

void th_judge(const struct th_case *c, struct th_case_result *r)
{
    const struct th_observed *o = &r->obs;
    const struct th_error *fault = fault_of(o);
    if (fault) {
        r->status = TH_ERROR;
        th_error_str(fault, r->reason, sizeof(r->reason));
        return;
    }
    char want[256], native[sizeof(r->obs.client_err.text) + 64], why[256] = "";
    outcome_list(c->expect.outcomes, want, sizeof(want));
    native_detail(o, native, sizeof(native));
    int outcome_ok = (c->expect.outcomes & TH_OUTCOME_BIT(o->outcome)) != 0;
    int details_ok = !outcome_ok || o->outcome != TH_OK || !o->have_neg ||
                     !details_differ(&c->expect, o, why, sizeof(why));
    int dev_hit = c->has_deviation && (c->deviation.outcomes & TH_OUTCOME_BIT(o->outcome));
    if (outcome_ok && details_ok) {
        if (c->has_deviation && !dev_hit && c->deviation.intermittent) {
            r->status = TH_PASS;
            snprintf(r->reason, sizeof(r->reason),
                     "passed; the declared intermittent deviation did not happen this time: "
                     "%s (observed %s as expected)",
                     c->deviation.why, th_outcome_name(o->outcome));
        } else if (c->has_deviation && !dev_hit) {
            r->status = TH_XPASS;
            snprintf(r->reason, sizeof(r->reason),
                     "declared deviation did not happen: observed %s as expected; deviation "
                     "said: %s",
                     th_outcome_name(o->outcome), c->deviation.why);
        } else {
            r->status = TH_PASS;
            snprintf(r->reason, sizeof(r->reason), "observed %s%s", th_outcome_name(o->outcome),
                     native);
        }
        return;
    }
    if (dev_hit && !outcome_ok) {
        r->status = TH_XFAIL;
        snprintf(r->reason, sizeof(r->reason), "known deviation: observed %s, expected %s%s: %s",
                 th_outcome_name(o->outcome), want, native, c->deviation.why);
        return;
    }
    if (dev_hit) { /* the outcome as expected, a pinned detail not: say which */
        r->status = TH_XFAIL;
        snprintf(r->reason, sizeof(r->reason), "known deviation: observed %s, but %s: %s",
                 th_outcome_name(o->outcome), why, c->deviation.why);
        return;
    }
    r->status = TH_FAIL;
    if (!outcome_ok)
        snprintf(r->reason, sizeof(r->reason), "expected outcome %s, observed %s%s", want,
                 th_outcome_name(o->outcome), native);
    else
        snprintf(r->reason, sizeof(r->reason), "%s", why);
}
