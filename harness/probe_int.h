/* Internal to probe.c and probe_report.c: what the probe's command and its report
 * printer share. Not for other modules; probe.h is the public side. */
#ifndef TH_PROBE_INT_H
#define TH_PROBE_INT_H

#include <jansson.h>
#include <stdint.h>

/* TLS 1.0 .. 1.3, oldest first: the versions probed, and the order of the report's
 * per-version objects. Defined in probe.c. */
#define TH_PROBE_N_VERSIONS 4
extern const uint16_t th_probe_versions[TH_PROBE_N_VERSIONS];

/* The string at key in the report object o; dflt when it is missing or not a string
 * (a report read back from elsewhere may lack fields). */
static inline const char *th_probe_str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

#endif
