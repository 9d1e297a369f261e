/* The machine a run happened on, for the results file's "environment" object
 * (DESIGN.md "Results file"): what a reader needs to tell two benchmark numbers apart
 * before comparing them. */
#ifndef TH_ENV_H
#define TH_ENV_H

#include <jansson.h>

/* {os, kernel, machine, cpu_model, cores, cpu_flags, build_flags, compiler}; a field
 * the machine does not tell is null. build_flags: the CFLAGS the binary was built
 * with (NULL: null). Never NULL. */
json_t *th_env_json(const char *build_flags);

/* The pieces, from given file contents, so tests can feed fixtures. */

/* PRETTY_NAME from os-release(5) text, unquoted; malloc'd, NULL when absent. */
char *th_env_os_pretty(const char *os_release);
/* The value of the first "KEY<tabs/spaces>: VALUE" line of /proc/cpuinfo text;
 * malloc'd, NULL when absent. */
char *th_env_cpuinfo_field(const char *cpuinfo, const char *key);
/* The crypto-relevant CPU features the cpuinfo text names ("flags" on x86, "Features"
 * on Arm), as a JSON array in a fixed order. Never NULL. */
json_t *th_env_cpu_flags(const char *cpuinfo);

#endif
