/* A user's own certificate and key files (pemcheck.c), checked before any library
 * sees them: the scenario reader checks a scenario's files with these, and the
 * commands that take files on their command line (serve, fixture, load, probe) do
 * too, so a wrong file is the user's mistake said by name (exit 2), never a
 * library's verdict. Each returns 0, or -1 with why (naming the file) in why. */
#ifndef TH_PEMCHECK_H
#define TH_PEMCHECK_H

#include <stddef.h>

#include "harness/vocab/util.h"

/* path is PEM and holds at least one certificate (the first is the leaf). */
int th_pem_check_cert(const char *path, char *why, size_t cap) TH_MUST_CHECK;
/* path is PEM and holds exactly one private key, not encrypted. */
int th_pem_check_key(const char *path, char *why, size_t cap) TH_MUST_CHECK;
/* The key in key is the key of the first certificate in cert. */
int th_pem_check_pair(const char *cert, const char *key, char *why, size_t cap) TH_MUST_CHECK;

#endif
