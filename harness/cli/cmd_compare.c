/* `tlsharness compare BASE NEW`: the regression verdict between two results files
 * (report/compare.c), exit 1 when NEW regressed or is incomplete. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "harness/report/compare.h"

/* "10" or "10%" as a fraction (0.10); -1 when not a percentage from 0 to 1000. */
static double parse_pct(const char *s)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || errno || (*end && strcmp(end, "%") != 0) || !(d >= 0 && d <= 1000))
        return -1;
    return d / 100;
}

int th_cmd_compare(int argc, char **argv)
{
    enum { CMP_THRESHOLD = 256, CMP_FLOOR, CMP_JSON, CMP_ALLOW_MISSING };
    static const struct option longopts[] = {
        {"threshold", required_argument, NULL, CMP_THRESHOLD},
        {"floor", required_argument, NULL, CMP_FLOOR},
        {"json", no_argument, NULL, CMP_JSON},
        {"allow-missing", no_argument, NULL, CMP_ALLOW_MISSING},
        {NULL, 0, NULL, 0},
    };
    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    optind = 0;
    int ch;
    while ((ch = th_cli_getopt(argc, argv, "", longopts)) != -1) {
        switch (ch) {
        case CMP_JSON: o.json = 1; break;
        case CMP_ALLOW_MISSING: o.allow_missing = 1; break;
        case CMP_THRESHOLD:
        case CMP_FLOOR: {
            double *dst = ch == CMP_THRESHOLD ? &o.threshold : &o.floor;
            if ((*dst = parse_pct(optarg)) < 0)
                return th_cli_usage_error("compare: '%s' is not a percentage from 0 to 1000",
                                          optarg);
            break;
        }
        default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
        }
    }
    if (argc - optind != 2)
        return th_cli_usage_error("%s", "compare: needs two results files, BASE and NEW");
    return th_compare_files(argv[optind], argv[optind + 1], &o, stdout, stderr);
}
