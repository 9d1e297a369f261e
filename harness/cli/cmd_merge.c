/* `tlsharness merge OUT FILE...`: one results file from the shards of a run
 * (report/merge.c). */
#include <stdio.h>

#include "cli.h"
#include "harness/report/merge.h"

int th_cmd_merge(int argc, char **argv)
{
    struct th_error err;
    if (argc < 3)
        return th_cli_usage_error("%s",
                                  "merge: needs an output file and at least one results file");
    if (th_merge_files(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2), stderr, &err) !=
        0) {
        if (!err.input)
            return th_cli_fail(&err, NULL);
        /* FILE:LINE:COL: why, as validate says what is wrong with a scenario */
        fprintf(stderr, "%s\n", err.text);
        return th_error_exit_status(&err);
    }
    printf("merged %d results files into %s\n", argc - 2, argv[1]);
    return 0;
}
