/* Included by the run-core and kinds unit tests (test_endpoint.c, test_pair.c,
 * test_kinds.c, test_rate.c, test_bulk.c): a struct th_case filled in the way the
 * scenario reader fills one with its defaults, for a client and a server backend
 * from the registry, against the test PKI pairdrive.h generates. */
#ifndef TH_CASE_HELPERS_H
#define TH_CASE_HELPERS_H

#include <string.h>

#include "backends/backend.h"
#include "harness/report/results.h"
#include "harness/scenario/case.h"
#include "harness/vocab/iana.h"

/* A case of kind k between backends cb and sb over memory, with the reader's
 * defaults: TLS 1.2-1.3, verify against pki:root as localhost, the server serving
 * pki:rsa2048 with tickets and a cache, expecting ok. */
static inline struct th_case tc_case(enum th_kind k, const char *id, const struct th_backend *cb,
                                     const struct th_backend *sb)
{
    struct th_case c;
    memset(&c, 0, sizeof(c));
    c.id = (char *)id;
    c.scenario = (char *)id;
    c.kind = k;
    c.client = cb;
    c.server = sb;
    c.server_name = (char *)(sb ? sb->name : "none");
    c.transport = TH_TRANSPORT_MEMORY;
    c.timeout_s = 5;
    c.c.versions = c.s.versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13);
    c.c.ca = (char *)"pki:root";
    c.c.hostname = c.c.sni = (char *)"localhost";
    c.c.verify = 1;
    c.s.prefer_server_order = c.s.tickets = c.s.session_cache = 1;
    c.expect.outcomes = TH_OUTCOME_BIT(TH_OK);
    c.expect.resumed = c.expect.hrr = c.expect.early = c.expect.replay = -1;
    c.bulk.write_size = 16384;
    c.rate.concurrency = 1;
    c.fault.record = 3;
    c.fault.bytes = 262144;
    c.fault.write_size = 16384;
    return c;
}

/* The metric of r called name, or NULL. */
static inline const struct th_metric *tc_metric(const struct th_case_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_metrics; i++)
        if (strcmp(r->metrics[i].name, name) == 0)
            return &r->metrics[i];
    return NULL;
}

#endif
