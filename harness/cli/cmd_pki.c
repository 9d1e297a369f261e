/* `tlsharness pki [DIR]`: a fresh test PKI (pki/pki.c) and what it holds. */
#include <stdio.h>

#include "cli.h"
#include "harness/pki/pki.h"

int th_cmd_pki(int argc, char **argv)
{
    optind = 0;
    if (th_cli_getopt(argc, argv, "", NULL) != -1)
        return TH_EXIT_USAGE; /* th_cli_getopt said why: nothing is written */
    if (argc - optind > 1)
        return th_cli_usage_error("pki: too many arguments (%s)", argv[optind + 1]);
    const char *dir = optind < argc ? argv[optind] : th_cli_pki_dir();
    struct th_error err;
    if (th_pki_generate(dir, &err) != 0)
        return th_cli_fail(&err, "pki");
    printf("test PKI written to %s\n", dir);
    printf("  CAs:");
    for (size_t i = 0; th_pki_cas[i]; i++)
        printf(" %s", th_pki_cas[i]);
    printf("\n  CRLs: crl\n  leaves:");
    for (size_t i = 0; th_pki_leaves[i]; i++)
        printf(" %s", th_pki_leaves[i]);
    printf("\n  (NAME.pem, NAME.chain.pem, NAME.key.pem each)\n");
    return 0;
}
