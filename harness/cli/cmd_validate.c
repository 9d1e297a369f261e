/* `tlsharness validate [PATH...]`: read the scenarios strictly and say what is wrong
 * as FILE:LINE:COL: message, or how many cases they make. */
#include <stdio.h>

#include "cli.h"

int th_cmd_validate(int argc, char **argv)
{
    struct th_cli_opts o;
    struct th_plan plan;
    int rc = th_cli_parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    int errors = th_cli_read_plan(&o, &plan);
    if (errors == 0) {
        size_t skips = 0;
        for (size_t i = 0; i < plan.n; i++)
            skips += plan.cases[i].skip != NULL;
        printf("ok: %zu cases (%zu would skip for a missing capability)\n", plan.n, skips);
    } else {
        fprintf(stderr, "%d error%s\n", errors, errors == 1 ? "" : "s");
    }
    th_plan_free(&plan);
    return errors ? TH_EXIT_USAGE : 0;
}
