/* The certificate options of serve, fixture and load (--cert, --key, --client-ca,
 * --ocsp): a test PKI name or a user's own file, resolved to an absolute file (a
 * fixture's server runs in a folder of its own) and checked before any library sees
 * it, so a wrong file is the user's mistake named with the file and why (exit 2),
 * never a library's verdict on a handshake. */
#ifndef TH_CERTARGS_H
#define TH_CERTARGS_H

#include <limits.h>

#include "harness/pki/pki.h"

/* What the options name, resolved: chain and key always set (a pki leaf's own key
 * when the leaf is a pki one); client_ca and ocsp "" when not given. */
struct th_cert_files {
    char chain[PATH_MAX], key[PATH_MAX], client_ca[PATH_MAX], ocsp[PATH_MAX];
};

/* The options as given; NULL: not given (cert NULL: the pki leaf rsa2048). */
struct th_cert_args {
    const char *cert;      /* NAME or pki:NAME (a leaf); with key: a PEM chain file */
    const char *key;       /* PEM key of the chain file */
    const char *client_ca; /* pki:NAME (a CA) or a PEM file of roots */
    const char *ocsp;      /* pki:NAME (an OCSP response) or a DER file */
};

/* cmd ("serve") starts each message. The test PKI in pki_dir is made or reused only
 * when an option names one of its objects. 0, or the exit status after saying what
 * is wrong on stderr: TH_EXIT_USAGE for the user's names and files, the PKI's own
 * failure otherwise. */
int th_cert_args_resolve(const char *cmd, const struct th_cert_args *a, const char *pki_dir,
                         struct th_cert_files *out) TH_MUST_CHECK;

#endif
