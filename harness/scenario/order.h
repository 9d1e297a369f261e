/* The order cases run in. Results keep the plan's order; running is reordered only
 * where that saves work: cases against fixtures are grouped by fixture and by the
 * server configuration they ask for, so each distinct server starts once instead of
 * once per client. */
#ifndef TH_ORDER_H
#define TH_ORDER_H

#include <stddef.h>

#include "scenario.h"

/* A permutation of 0..plan->n-1 (malloc'd): every case not against a fixture first,
 * in plan order, then the fixture cases grouped, each group in plan order. */
size_t *th_run_order(const struct th_plan *plan);

/* The server configuration a fixture case asks for, as text: two cases with equal
 * keys can share one running server. */
void th_fixture_key(const struct th_case *c, char *out, size_t cap);

#endif
