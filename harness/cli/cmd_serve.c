/* `tlsharness serve -b NAME -p PORT`: a backend's server role as an HTTPS/1.1 server
 * (http/serve.c) until a signal or --seconds. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "cli.h"
#include "harness/http/serve.h"
#include "harness/pki/pki.h"

struct serve_opts {
    const char *backend, *cert, *host, *pki_dir;
    long port;
    double seconds;
};

static int parse_serve_opts(int argc, char **argv, struct serve_opts *o)
{
    enum { SV_CERT = 256, SV_HOST, SV_SECONDS, SV_PKI };
    static const struct option longopts[] = {
        {"backend", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"cert", required_argument, NULL, SV_CERT},
        {"host", required_argument, NULL, SV_HOST},
        {"seconds", required_argument, NULL, SV_SECONDS},
        {"pki", required_argument, NULL, SV_PKI},
        {NULL, 0, NULL, 0},
    };
    *o = (struct serve_opts){.cert = "rsa2048", .host = "127.0.0.1", .pki_dir = th_cli_pki_dir()};
    optind = 0;
    int ch;
    char *end;
    while ((ch = th_cli_getopt(argc, argv, "b:p:", longopts)) != -1) {
        switch (ch) {
        case 'b': o->backend = optarg; break;
        case SV_CERT: o->cert = optarg; break;
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
    return 0;
}

/* A backend that can serve over TCP: the server role with driver-owned I/O. -1
 * after saying why not (an unknown name, or a backend that cannot serve). */
static int serve_backend(const char *name, const struct th_backend **out)
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
    return 0;
}

int th_cmd_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = parse_serve_opts(argc, argv, &o);
    if (rc)
        return rc;
    const struct th_backend *b;
    if (serve_backend(o.backend, &b) != 0)
        return TH_EXIT_USAGE;
    if (!th_pki_known(o.cert, TH_PKI_CHAIN) || !th_pki_known(o.cert, TH_PKI_KEY))
        return th_cli_usage_error("serve: --cert: '%s' is not a pki leaf (see 'tlsharness pki')",
                                  o.cert);
    struct th_error err;
    if (th_pki_ensure(o.pki_dir, &err) != 0)
        return th_cli_fail(&err, "test PKI in %s", o.pki_dir);
    th_cli_catch_signals();
    printf("serving https://%s:%ld/ with %s (ctrl-C to stop)\n", o.host, o.port, b->name);
    fflush(stdout);
    if (th_serve(b, o.host, (uint16_t)o.port, o.cert, o.pki_dir, o.seconds, &th_cli_interrupted,
                 stderr, &err) != 0)
        return th_cli_fail(&err, "serve");
    return 0;
}
