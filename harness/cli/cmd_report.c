/* `tlsharness report RESULTS [--base BASE] [-o FILE.html]`: the results file as one
 * self-contained HTML page (report/html.c), compared with BASE when given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "harness/report/html.h"

/* RESULTS with .json replaced by .html (or .html added): where the page goes when
 * -o is not given, beside the results it shows. */
static char *default_out(const char *results)
{
    size_t len = strlen(results);
    if (len > 5 && strcmp(results + len - 5, ".json") == 0)
        len -= 5;
    return th_xasprintf("%.*s.html", (int)len, results);
}

int th_cmd_report(int argc, char **argv)
{
    enum { REP_BASE = 256 };
    static const struct option longopts[] = {
        {"base", required_argument, NULL, REP_BASE},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *base = NULL, *out = NULL;
    optind = 0;
    int ch;
    while ((ch = th_cli_getopt(argc, argv, "o:", longopts)) != -1) {
        switch (ch) {
        case REP_BASE: base = optarg; break;
        case 'o': out = optarg; break;
        default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
        }
    }
    if (argc - optind != 1)
        return th_cli_usage_error("%s", "report: needs one results file");
    const char *results = argv[optind];
    char *page = out ? th_xstrdup(out) : default_out(results);
    struct th_error err;
    int rc = 0;
    if (th_output_check(page, &err) != 0 || th_report_html(page, results, base, &err) != 0)
        rc = th_cli_fail(&err, NULL);
    else
        printf("report: %s\n", page);
    free(page);
    return rc;
}
