/* `tlsharness merge OUT FILE...`: one results file from the shards of a run
 * (report/merge.c). */
#include <stdio.h>

#include "cli.h"
#include "harness/report/merge.h"

int th_cmd_merge(int argc, char **argv)
{
    struct th_error err;
    optind = 0;
    if (th_cli_getopt(argc, argv, "", NULL) != -1)
        return TH_EXIT_USAGE;  /* th_cli_getopt said why */
    int n = argc - optind - 1; /* the results files after OUT */
    if (n < 1)
        return th_cli_usage_error("%s",
                                  "merge: needs an output file and at least one results file");
    const char *out = argv[optind];
    if (th_merge_files(out, (const char *const *)argv + optind + 1, (size_t)n, stderr, &err) != 0) {
        if (!err.input)
            return th_cli_fail(&err, NULL);
        /* FILE:LINE:COL: why, as validate says what is wrong with a scenario */
        fprintf(stderr, "%s\n", err.text);
        return th_error_exit_status(&err);
    }
    printf("merged %d results files into %s\n", n, out);
    return 0;
}
