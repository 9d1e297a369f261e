/* `tlsharness list [PATH...]`: the expanded case ids, one a line, after -b, -f and
 * --shard, as run would run them. */
#include <stdio.h>

#include "cli.h"

int th_cmd_list(int argc, char **argv)
{
    struct th_cli_opts o;
    struct th_plan plan;
    int rc = th_cli_parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    rc = th_cli_read_plan(&o, &plan) != 0 ? TH_EXIT_USAGE : 0;
    for (size_t i = 0; i < plan.n; i++)
        if (th_cli_in_shard(&o, i))
            printf("%s\n", plan.cases[i].id);
    th_plan_free(&plan);
    return rc;
}
