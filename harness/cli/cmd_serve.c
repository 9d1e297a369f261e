/* `tlsharness serve -b NAME -p PORT`: a backend's server role as an HTTPS/1.1 server
 * (http/serve.c) until a signal or --seconds: a pki leaf or the user's own chain
 * (--cert FILE --key FILE), client certificates asked for (--client-auth,
 * --client-ca) and an OCSP response stapled (--ocsp). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "certargs.h"
#include "cli.h"
#include "harness/http/serve.h"
#include "harness/pki/pki.h"

struct serve_opts {
    const char *backend, *host, *pki_dir;
    struct th_cert_args certs;
    enum th_client_auth client_auth;
    long port;
    double seconds;
    int early_data; /* --early-data: tickets allow 0-RTT, a replay refused */
};

static int parse_client_auth(const char *s, enum th_client_auth *out)
{
    if (strcmp(s, "none") == 0)
        *out = TH_CLIENT_AUTH_NONE;
    else if (strcmp(s, "request") == 0)
        *out = TH_CLIENT_AUTH_REQUEST;
    else if (strcmp(s, "require") == 0)
        *out = TH_CLIENT_AUTH_REQUIRE;
    else
        return th_cli_usage_error("serve: --client-auth: '%s' is not none, request or require", s);
    return 0;
}

static int parse_serve_opts(int argc, char **argv, struct serve_opts *o)
{
    enum {
        SV_CERT = 256,
        SV_HOST,
        SV_SECONDS,
        SV_PKI,
        SV_KEY,
        SV_CAUTH,
        SV_CCA,
        SV_OCSP,
        SV_EARLY
    };
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"cert", required_argument, NULL, SV_CERT},
        {"host", required_argument, NULL, SV_HOST},
        {"seconds", required_argument, NULL, SV_SECONDS},
        {"pki", required_argument, NULL, SV_PKI},
        {"key", required_argument, NULL, SV_KEY},
        {"client-auth", required_argument, NULL, SV_CAUTH},
        {"client-ca", required_argument, NULL, SV_CCA},
        {"ocsp", required_argument, NULL, SV_OCSP},
        {"early-data", no_argument, NULL, SV_EARLY},
        {NULL, 0, NULL, 0},
    };
    *o = (struct serve_opts){.host = "127.0.0.1", .pki_dir = th_cli_pki_dir()};
    optind = 0;
    int ch;
    char *end;
    while ((ch = th_cli_getopt(argc, argv, "b:p:", longopts)) != -1) {
        switch (ch) {
        case 'b': o->backend = optarg; break;
        case SV_CERT: o->certs.cert = optarg; break;
        case SV_KEY: o->certs.key = optarg; break;
        case SV_CCA: o->certs.client_ca = optarg; break;
        case SV_OCSP: o->certs.ocsp = optarg; break;
        case SV_EARLY: o->early_data = 1; break;
        case SV_CAUTH:
            if (parse_client_auth(optarg, &o->client_auth) != 0)
                return TH_EXIT_USAGE;
            break;
        case SV_HOST: o->host = optarg; break;
        case SV_PKI: o->pki_dir = optarg; break;
        case 'p':
            errno = 0;
            o->port = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || o->port < 1 || o->port > 65535)
                return th_cli_usage_error("serve: -p: '%s' is not a port from 1 to 65535", optarg);
            break;
        case SV_SECONDS:
            errno = 0;
            o->seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->seconds >= 0 && o->seconds <= 1e7))
                return th_cli_usage_error("serve: --seconds: '%s' is not a duration in seconds",
                                          optarg);
            break;
        default: return TH_EXIT_USAGE; /* th_cli_getopt said why */
        }
    }
    if (optind < argc)
        return th_cli_usage_error("serve: unexpected argument '%s'", argv[optind]);
    if (!o->backend || !o->port)
        return th_cli_usage_error("%s", "serve: needs -b NAME and -p PORT");
    /* as in a scenario: asking for a client certificate needs the roots to check it
     * against, and roots without asking would test nothing */
    if (o->client_auth != TH_CLIENT_AUTH_NONE && !o->certs.client_ca)
        return th_cli_usage_error("%s", "serve: --client-auth needs --client-ca FILE|pki:NAME "
                                        "(the roots a client certificate must chain to)");
    if (o->client_auth == TH_CLIENT_AUTH_NONE && o->certs.client_ca)
        return th_cli_usage_error("%s",
                                  "serve: --client-ca goes with --client-auth request|require");
    return 0;
}

/* A backend that can serve over TCP: the server role with driver-owned I/O. -1
 * after saying why not (an unknown name, or a backend that cannot serve). */
static int serve_backend(const char *name, const struct serve_opts *o,
                         const struct th_backend **out)
{
    const struct th_backend *b = *out = th_backend_find(name);
    if (!b) {
        TH_GUARD(th_cli_check_backends(name));
        return -1; /* fixture:NAME passes that check, but is no backend */
    }
    struct th_caps caps;
    memset(&caps, 0, sizeof(caps));
    b->caps(&caps);
    if (!(caps.roles & TH_ROLE_SERVER) || !(caps.features & TH_CAP_DRIVER_IO)) {
        fprintf(stderr, "tlsharness: serve: backend '%s' has no server role over driver I/O\n",
                name);
        return -1;
    }
    if (o->client_auth != TH_CLIENT_AUTH_NONE && !(caps.features & TH_CAP_CLIENT_AUTH)) {
        fprintf(stderr, "tlsharness: serve: backend '%s' cannot ask for client certificates\n",
                name);
        return -1;
    }
    if (o->certs.ocsp && !(caps.features & TH_CAP_OCSP_STAPLE)) {
        fprintf(stderr, "tlsharness: serve: backend '%s' cannot staple an OCSP response\n", name);
        return -1;
    }
    if (o->early_data && !(caps.features & TH_CAP_EARLY_DATA)) {
        fprintf(stderr, "tlsharness: serve: backend '%s' cannot take TLS 1.3 early data\n", name);
        return -1;
    }
    return 0;
}

static void say_serving(void *arg)
{
    const struct serve_opts *o = arg;
    printf("serving https://%s:%ld/ with %s (ctrl-C to stop)\n", o->host, o->port, o->backend);
    fflush(stdout);
}

int th_cmd_serve(int argc, char **argv)
{
    struct serve_opts o;
    struct th_cert_files files;
    int rc = parse_serve_opts(argc, argv, &o);
    if (rc)
        return rc;
    const struct th_backend *b;
    if (serve_backend(o.backend, &o, &b) != 0)
        return TH_EXIT_USAGE;
    if ((rc = th_cert_args_resolve("serve", &o.certs, o.pki_dir, &files)) != 0)
        return rc;
    struct th_serve_tls t = {.cert_file = files.chain,
                             .key_file = files.key,
                             .client_auth = o.client_auth,
                             .client_ca_file = files.client_ca[0] ? files.client_ca : NULL,
                             .ocsp_file = files.ocsp[0] ? files.ocsp : NULL,
                             .resumption = 1, /* as real servers: a client may measure it */
                             .early_data = o.early_data,
                             /* the user chose them: a library refusing them is
                              * bad input, only the default leaf is the harness's */
                             .user_files = o.certs.cert || o.certs.client_ca || o.certs.ocsp,
                             .on_ready = say_serving,
                             .ready_arg = &o};
    struct th_error err;
    th_cli_catch_signals();
    if (th_serve_tls(b, o.host, (uint16_t)o.port, &t, o.seconds, &th_cli_interrupted, stderr,
                     &err) != 0)
        return th_cli_fail(&err, "serve");
    return 0;
}
