/* Client certificates on the real fixtures (harness/fixture/): every installed
 * fixture that claims TH_CAP_CLIENT_AUTH is started requiring a client certificate
 * chaining to the test root and must serve the page to the OpenSSL client presenting
 * pki:client and refuse it (in the handshake, or nginx's HTTP 400) without one,
 * with an expired one and with an untrusted one; where it can ask without requiring,
 * a client without one gets the page. A fixture that does not claim it has no way
 * to be asked. */
#include "fixturedrive.h"

static char leaf[3][2][256]; /* client, client-expired, client-untrusted: chain, key */
static const char *const leaf_names[] = {"client", "client-expired", "client-untrusted"};

/* The page, or not, presenting leaf i (-1: none). */
static int served(struct th_fixture *f, int i, struct outcome *o)
{
    struct th_tls_config cc = client_cfg(V12 | V13);
    if (i >= 0) {
        cc.cert_file = leaf[i][0];
        cc.key_file = leaf[i][1];
    }
    connect_once(&cc, th_fixture_port(f), NULL, NULL, o);
    return o->ok;
}

static struct th_fixture *start(const struct th_fixture_def *d, enum th_client_auth how)
{
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    struct th_error err = {0};
    struct th_fixture *f = NULL;
    s.client_auth = how;
    s.client_ca_file = root_pem;
    if (!ok(th_fixture_start(d, &s, fxroot, 10, &f, &err) == 0, "%s: starts with client_auth %s",
            d->name, how == TH_CLIENT_AUTH_REQUIRE ? "require" : "request"))
        printf("#   %s\n", err.text);
    return f;
}

static void check_require(const struct th_fixture_def *d)
{
    struct outcome o;
    struct th_fixture *f = start(d, TH_CLIENT_AUTH_REQUIRE);
    if (!f)
        return;
    if (!ok(served(f, 0, &o), "%s: require: pki:client gets the page", d->name))
        printf("#   %s: %s\n", th_outcome_name(o.err.outcome), o.err.text);
    else
        ok(o.neg.cert_requested && o.neg.client_cert, "%s: ...asked for, and sent", d->name);
    /* in the handshake, or (nginx) by HTTP 400 after it: no page either way */
    ok(!served(f, -1, &o), "%s: require: no certificate is refused", d->name);
    for (int i = 1; i < 3; i++)
        ok(!served(f, i, &o), "%s: require: pki:%s is refused", d->name, leaf_names[i]);
    th_fixture_stop(f);
}

static void check_request(const struct th_fixture_def *d)
{
    struct th_tls_config s = server_cfg(d, rsa_chain, rsa_key);
    struct outcome o;
    char why[512];
    s.client_auth = TH_CLIENT_AUTH_REQUEST;
    s.client_ca_file = root_pem;
    const char *r = th_fixture_unsupported(d, &s, why, sizeof why);
    if (r) {
        printf("ok %d # skip %s: %s\n", ++tap_n, d->name, r);
        return;
    }
    struct th_fixture *f = start(d, TH_CLIENT_AUTH_REQUEST);
    if (!f)
        return;
    if (!ok(served(f, -1, &o), "%s: request: no certificate gets the page", d->name))
        printf("#   %s: %s\n", th_outcome_name(o.err.outcome), o.err.text);
    else
        ok(o.neg.cert_requested && !o.neg.client_cert, "%s: ...asked for, none sent", d->name);
    ok(served(f, 0, &o), "%s: request: pki:client gets the page", d->name);
    th_fixture_stop(f);
}

int main(void)
{
    if (fxd_begin() == 0) {
        for (int i = 0; i < 3; i++) {
            snprintf(leaf[i][0], sizeof leaf[i][0], "%s/%s.chain.pem", pkidir, leaf_names[i]);
            snprintf(leaf[i][1], sizeof leaf[i][1], "%s/%s.key.pem", pkidir, leaf_names[i]);
        }
        const char *only = getenv("TH_FIXTURE_ONLY");
        for (size_t i = 0; th_fixtures[i]; i++) {
            const struct th_fixture_def *d = th_fixtures[i];
            struct th_caps c;
            char why[512];
            if (only && strcmp(only, d->name) != 0)
                continue;
            d->caps(&c);
            if (!(c.features & TH_CAP_CLIENT_AUTH)) {
                printf("ok %d # skip %s does not claim client auth\n", ++tap_n, d->name);
                continue;
            }
            const char *missing = th_fixture_missing(d, why, sizeof why);
            if (missing) {
                printf("ok %d # skip %s: %s\n", ++tap_n, d->name, missing);
                continue;
            }
            check_require(d);
            check_request(d);
        }
        is_int(folders_left(), 0, "every fixture stopped and cleaned up");
    }
    return fxd_end();
}
