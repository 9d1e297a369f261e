/* Judging a case: what was observed against what the scenario expects, and a
 * declared deviation. */
#ifndef TH_JUDGE_H
#define TH_JUDGE_H

#include "harness/report/results.h"
#include "harness/scenario/case.h"
#include "harness/vocab/error.h"

/* Status and reason of r from r->obs and c's expectations. */
void th_judge(const struct th_case *c, struct th_case_result *r);

/* The case outcome from what each end saw: the client's view, refined by the
 * server's when the client only saw a generic alert; *side says whose error
 * decided it ("client", "server", or NULL for ok). */
enum th_outcome th_decide_outcome(const struct th_error *client, int client_failed,
                                  const struct th_error *server, int server_failed,
                                  const char **side);

#endif
