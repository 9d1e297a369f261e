/* `tlsharness backends [--json]`: what each backend compiled in can do (roles,
 * versions, suites, groups, resumption, features) and its library's version; in the
 * readable form the fixtures follow, with whether each can run here. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "cli.h"
#include "harness/fixture/fixture.h"
#include "harness/vocab/iana.h"

static json_t *caps_json_of(const char *name, const char *library, const char *version,
                            void (*caps_fn)(struct th_caps *))
{
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    caps_fn(&caps);
    json_t *o = json_object(), *a;
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "library", json_string(library));
    json_object_set_new(o, "version", json_string(version));
    json_object_set_new(o, "roles", a = json_array());
    if (caps.roles & TH_ROLE_CLIENT)
        json_array_append_new(a, json_string("client"));
    if (caps.roles & TH_ROLE_SERVER)
        json_array_append_new(a, json_string("server"));
    json_object_set_new(o, "versions", a = json_array());
    for (uint16_t v = TH_TLS10; v <= TH_TLS13; v++)
        if (caps.versions & TH_VBIT(v))
            json_array_append_new(a, json_string(th_version_name(v)));
    json_object_set_new(o, "suites", a = json_array());
    for (size_t i = 0; i < caps.n_suites; i++) {
        const struct th_suite_info *s = th_suite_by_id(caps.suites[i]);
        if (s)
            json_array_append_new(a, json_string(s->name));
    }
    json_object_set_new(o, "groups", a = json_array());
    for (size_t i = 0; i < caps.n_groups; i++) {
        const struct th_group_info *g = th_group_by_id(caps.groups[i]);
        if (g)
            json_array_append_new(a, json_string(g->name));
    }
    json_object_set_new(o, "resumption", a = json_array());
    if (caps.resume & TH_RESUME_BIT(TH_RESUME_TICKET))
        json_array_append_new(a, json_string("ticket"));
    if (caps.resume & TH_RESUME_BIT(TH_RESUME_SESSION_ID))
        json_array_append_new(a, json_string("session_id"));
    json_object_set_new(o, "features", a = json_array());
    for (unsigned i = 0; th_cap_feature_names[i]; i++)
        if (caps.features & (1u << i))
            json_array_append_new(a, json_string(th_cap_feature_names[i]));
    json_object_set_new(o, "defaults_changed", a = json_array());
    for (unsigned i = 0; i < TH_MAX_DEFAULTS_CHANGED && caps.defaults_changed[i]; i++)
        json_array_append_new(a, json_string(caps.defaults_changed[i]));
    return o;
}

static void print_list(const char *label, json_t *arr)
{
    size_t i;
    json_t *v;
    printf("  %-11s", label);
    json_array_foreach(arr, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
    printf("%s\n", json_array_size(arr) ? "" : "(none)");
}

static json_t *caps_json(const struct th_backend *b)
{
    return caps_json_of(b->name, b->library, b->version(), b->caps);
}

static void print_caps(const json_t *b, const char *suites_note)
{
    printf("%s (%s)\n", json_string_value(json_object_get(b, "name")),
           json_string_value(json_object_get(b, "version")));
    print_list("roles", json_object_get(b, "roles"));
    print_list("versions", json_object_get(b, "versions"));
    print_list("groups", json_object_get(b, "groups"));
    print_list("resumption", json_object_get(b, "resumption"));
    print_list("features", json_object_get(b, "features"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "defaults_changed"), i, v)
        printf("  %-11s%s\n", i ? "" : "changes", json_string_value(v));
    printf("  %-11s%zu%s\n", "suites", json_array_size(json_object_get(b, "suites")), suites_note);
}

/* The fixtures, after the backends: what each can be configured to do, and whether
 * it can run here. */
static void print_fixtures(void)
{
    char why[256], name[64];
    printf("\nfixtures (real servers a scenario names as fixture:NAME):\n");
    for (size_t i = 0; th_fixtures[i]; i++) {
        const struct th_fixture_def *d = th_fixtures[i];
        const char *miss = th_fixture_missing(d, why, sizeof(why));
        snprintf(name, sizeof(name), "fixture:%s", d->name);
        char version[160];
        snprintf(version, sizeof(version), "%s, %s", miss ? "not available" : th_fixture_version(d),
                 d->library);
        json_t *o = caps_json_of(name, d->library, version, d->caps);
        print_caps(o, "");
        if (miss)
            printf("  %-11s%s\n", "missing", miss);
        json_decref(o);
    }
}

int th_cmd_backends(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int as_json = 0, ch;
    optind = 0;
    while ((ch = th_cli_getopt(argc, argv, "", longopts)) != -1) {
        if (ch != 'j')
            return TH_EXIT_USAGE; /* th_cli_getopt said why */
        as_json = 1;
    }
    if (optind < argc)
        return th_cli_usage_error("backends: unknown argument '%s'", argv[optind]);
    json_t *all = json_array();
    for (size_t i = 0; th_backends[i]; i++)
        json_array_append_new(all, caps_json(th_backends[i]));
    if (as_json) {
        json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        size_t i;
        json_t *b;
        json_array_foreach(all, i, b) print_caps(b, " (tlsharness backends --json lists them)");
        print_fixtures();
    }
    json_decref(all);
    return 0;
}
