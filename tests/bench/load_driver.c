/* load_driver: the load engine (harness/load.c) with the OpenSSL client, alone, for
 * tests/bench/load.sh to run side by side with wrk and h2load. One JSON object on
 * stdout: what the engine counted and its CPU time, and this process's own CPU
 * (rusage: start-up and context set-up included, as /usr/bin/time shows for the
 * other tools).
 *   load_driver PKI_DIR HOST PORT PATH CONNECTIONS (-n REQUESTS | -d SECONDS)
 *               [--new-connection] [--resume none|ticket|session_id]
 *   load_driver --pki DIR      writes the test PKI (harness/pki.h) into DIR
 * Exit 0 when the run went through without a failed request, 1 when some failed,
 * 2 on bad usage or a context that cannot be made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../backends/backend.h"
#include "../../harness/load.h"
#include "../../harness/pki.h"

extern const struct th_backend th_backend_openssl;

static double rusage_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int usage(void)
{
    fputs("usage: load_driver PKI_DIR HOST PORT PATH CONNECTIONS (-n REQUESTS | -d SECONDS) "
          "[--new-connection] [--resume none|ticket|session_id]\n",
          stderr);
    return 2;
}

static int parse_opts(int argc, char **argv, struct th_load_params *p)
{
    for (int i = 6; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-n") == 0 && v) {
            p->requests = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "-d") == 0 && v) {
            p->seconds = strtod(v, NULL);
            i++;
        } else if (strcmp(a, "--new-connection") == 0) {
            p->new_connection_per_request = 1;
        } else if (strcmp(a, "--resume") == 0 && v) {
            p->resume = strcmp(v, "ticket") == 0       ? TH_RESUME_TICKET
                        : strcmp(v, "session_id") == 0 ? TH_RESUME_SESSION_ID
                                                       : TH_RESUME_NONE;
            i++;
        } else {
            return -1;
        }
    }
    return 0;
}

/* The library's words, made safe inside a JSON string. */
static void json_safe(char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
            *s = '\'';
}

static void print_json(struct th_load_stats *st, double proc_cpu)
{
    uint64_t errors = 0;
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        errors += st->errors[i];
    double wall = (double)st->wall_ns / 1e9, cpu = (double)st->cpu_ns / 1e9;
    json_safe(st->first_error.text);
    printf("{\"requests\": %llu, \"connections\": %llu, \"resumed\": %llu, \"errors\": %llu, "
           "\"wall_s\": %.6f, \"engine_cpu_s\": %.6f, \"process_cpu_s\": %.6f, "
           "\"requests_per_s\": %.1f, \"connections_per_s\": %.1f, "
           "\"engine_us_per_request\": %.3f, \"process_us_per_request\": %.3f, "
           "\"first_error\": \"%s: %s\"}\n",
           (unsigned long long)st->requests, (unsigned long long)st->connections,
           (unsigned long long)st->resumed, (unsigned long long)errors, wall, cpu, proc_cpu,
           wall > 0 ? (double)st->requests / wall : 0,
           wall > 0 ? (double)st->connections / wall : 0,
           st->requests ? cpu * 1e6 / (double)st->requests : 0,
           st->requests ? proc_cpu * 1e6 / (double)st->requests : 0,
           errors ? th_outcome_name(st->first_error.outcome) : "ok",
           errors ? st->first_error.text : "");
}

int main(int argc, char **argv)
{
    char why[512];
    if (argc == 3 && strcmp(argv[1], "--pki") == 0) { /* the test PKI, for the script */
        if (th_pki_generate(argv[2], why, sizeof(why)) == 0)
            return 0;
        fprintf(stderr, "load_driver: %s\n", why);
        return 2;
    }
    if (argc < 8)
        return usage();
    char ca[4096];
    snprintf(ca, sizeof(ca), "%s/root.pem", argv[1]);
    struct th_load_params p = {.host = argv[2],
                               .port = (uint16_t)atoi(argv[3]),
                               .host_header = "localhost",
                               .path = argv[4],
                               .connections = (unsigned)atoi(argv[5]),
                               .timeout_s = 10,
                               .max_seconds = 120};
    if (parse_opts(argc, argv, &p) != 0)
        return usage();
    const struct th_backend *b = &th_backend_openssl;
    struct th_tls_config cfg = {.role = TH_ROLE_CLIENT,
                                .versions = TH_VBIT(TH_TLS12) | TH_VBIT(TH_TLS13),
                                .ca_file = ca,
                                .hostname = "localhost",
                                .sni = "localhost",
                                .verify = 1,
                                .resume = p.resume};
    struct th_ctx *ctx = NULL;
    struct th_error err = {0};
    if ((b->init && b->init() != 0) || b->ctx_new(&cfg, &ctx, &err) != 0) {
        fprintf(stderr, "load_driver: client context: %s\n", err.text);
        return 2;
    }
    struct th_load_stats st;
    int rc = th_load_run(b, ctx, &p, &st, &err);
    if (rc != 0) {
        fprintf(stderr, "load_driver: %s\n", err.text);
        b->ctx_free(ctx);
        return 2;
    }
    print_json(&st, rusage_s());
    uint64_t errors = 0;
    for (int i = 0; i < TH_OUTCOME_COUNT; i++)
        errors += st.errors[i];
    th_load_stats_free(&st);
    b->ctx_free(ctx);
    return errors ? 1 : 0;
}
