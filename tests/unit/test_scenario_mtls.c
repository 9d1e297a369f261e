/* Client certificates in scenarios: server.client_auth and server.client_ca read
 * into the case (variants override them), resolved into the server's configuration;
 * a pair that cannot do it is a skip naming the side and why, fixtures included;
 * cases differing only in client auth never share a fixture. Bad values:
 * test_scenario_bad.c (tests/data/bad/client-*.json). */
#include "scenario_helpers.h"

#include "harness/fixture/fixture.h"
#include "harness/pki/pki.h"
#include "harness/run/endpoint.h"
#include "harness/scenario/order.h"

/* A backend that does both halves of mTLS, and the plain full one that does neither. */
static void caps_mtls(struct th_caps *c)
{
    caps_full(c);
    c->features |= TH_CAP_CLIENT_CERT | TH_CAP_CLIENT_AUTH;
}

/* Presents a client certificate but cannot ask for one. */
static void caps_present_only(struct th_caps *c)
{
    caps_full(c);
    c->features |= TH_CAP_CLIENT_CERT;
}

static const struct th_backend fb_mtls = {.name = "mtls", .library = "M", .caps = caps_mtls};
static const struct th_backend fb_present = {
    .name = "present", .library = "P", .caps = caps_present_only};
static const struct th_backend *const reg_mtls[] = {&fb_mtls, &fb_present, &fb_full, NULL};

static const char mt_json[] =
    "{\"name\": \"mt\", \"kind\": \"handshake\",\n"
    " \"clients\": [\"mtls\", \"present\", \"full\"], \"servers\": [\"mtls\", \"present\"],\n"
    " \"server\": {\"client_auth\": \"require\", \"client_ca\": \"pki:root\"},\n"
    " \"variants\": [\n"
    "  {\"name\": \"good\", \"client\": {\"cert\": \"pki:client\"}},\n"
    "  {\"name\": \"none\"},\n"
    "  {\"name\": \"req\", \"server\": {\"client_auth\": \"request\", \"client_ca\": "
    "\"ca.pem\"}},\n"
    "  {\"name\": \"off\", \"client\": {\"cert\": \"pki:client\"},\n"
    "   \"server\": {\"client_auth\": \"none\", \"client_ca\": null}}]}\n";

static void test_read(void)
{
    struct th_plan p;
    char real[PATH_MAX], want[PATH_MAX + 32];
    tmp_file("mt/ca.pem", "roots\n");
    cur_reg = reg_mtls;
    if (read_text(&p, "mt/mt.json", mt_json, NULL, NULL) != 0) {
        cur_reg = reg;
        return;
    }
    snprintf(want, sizeof want, "%s/mt/ca.pem", realpath(tmp, real) ? real : tmp);
    const struct th_case *good = find(&p, "mt@good/mtls-vs-mtls"),
                         *none = find(&p, "mt@none/mtls-vs-mtls"),
                         *req = find(&p, "mt@req/mtls-vs-mtls"),
                         *off = find(&p, "mt@off/full-vs-mtls");
    if (ok(good && none && req && off, "the variants' cases")) {
        is_int(good->s.client_auth, TH_CLIENT_AUTH_REQUIRE, "client_auth from the top level");
        is_str(good->s.client_ca, "pki:root", "client_ca a pki name");
        is_str(good->c.cert, "pki:client", "the client's certificate");
        ok(none->c.cert == NULL, "none: no client certificate");
        is_int(req->s.client_auth, TH_CLIENT_AUTH_REQUEST, "a variant's client_auth");
        is_str(req->s.client_ca, want, "a client_ca file, stored absolute");
        ok(off->s.client_auth == TH_CLIENT_AUTH_NONE && off->s.client_ca == NULL,
           "a variant turns it off");
        ok(good->skip == NULL && none->skip == NULL && req->skip == NULL, "mtls pairs run");
    }
    /* the skips: the client side first, as for every capability */
    is_str(skip_of(&p, "mt@good/full-vs-mtls"), "full cannot present a client certificate",
           "a client that cannot present one skips where it is given one");
    ok(skip_of(&p, "mt@none/full-vs-mtls") == NULL,
       "...and runs where it is given none (the server's refusal is the case)");
    is_str(skip_of(&p, "mt@none/mtls-vs-present"),
           "present cannot ask for or verify a client certificate",
           "a server that cannot ask skips while client_auth is not none");
    ok(skip_of(&p, "mt@off/present-vs-present") == NULL, "...and runs with client_auth none");
    is_str(skip_of(&p, "mt@good/full-vs-present"), "full cannot present a client certificate",
           "both sides lack it: the client's reason");
    ok(skip_of(&p, "mt@off/full-vs-mtls") != NULL,
       "client_auth none still skips a client that cannot present the cert it is given");
    th_plan_free(&p);
    cur_reg = reg;
}

/* A fixture that cannot ask (lighttpd-nss) or cannot ask without requiring
 * (lighttpd-gnutls) skips with its reason; one that can runs. */
static void test_fixture_skips(void)
{
    struct th_plan p;
    char why[256];
    cur_reg = reg_mtls;
    if (read_text(
            &p, "fxm.json",
            "{\"name\": \"fxm\", \"kind\": \"handshake\", \"clients\": [\"mtls\"],\n"
            " \"servers\": [\"fixture:lighttpd-gnutls\", \"fixture:lighttpd-nss\",\n"
            "   \"fixture:caddy\"],\n"
            " \"server\": {\"client_ca\": \"pki:root\"},\n"
            " \"variants\": [{\"name\": \"req\", \"server\": {\"client_auth\": \"request\"}},\n"
            "  {\"name\": \"must\", \"server\": {\"client_auth\": \"require\"}}]}\n",
            NULL, NULL) == 0) {
        const struct th_fixture_def *gt = th_fixture_find("lighttpd-gnutls"),
                                    *nss = th_fixture_find("lighttpd-nss"),
                                    *cd = th_fixture_find("caddy");
        if (!th_fixture_missing(gt, why, sizeof why)) {
            ok(contains(skip_of(&p, "fxm@req/mtls-vs-fixture:lighttpd-gnutls"),
                        "cannot ask for a client certificate without requiring one"),
               "lighttpd-gnutls: request is a skip (%s)",
               skip_of(&p, "fxm@req/mtls-vs-fixture:lighttpd-gnutls"));
            ok(skip_of(&p, "fxm@must/mtls-vs-fixture:lighttpd-gnutls") == NULL,
               "lighttpd-gnutls: require runs");
        }
        if (!th_fixture_missing(nss, why, sizeof why))
            is_str(skip_of(&p, "fxm@must/mtls-vs-fixture:lighttpd-nss"),
                   "fixture:lighttpd-nss cannot ask for or verify a client certificate",
                   "lighttpd-nss: a skip, from its caps");
        if (!th_fixture_missing(cd, why, sizeof why))
            ok(skip_of(&p, "fxm@req/mtls-vs-fixture:caddy") == NULL &&
                   skip_of(&p, "fxm@must/mtls-vs-fixture:caddy") == NULL,
               "caddy: request and require run");
        const struct th_case *a = find(&p, "fxm@req/mtls-vs-fixture:caddy"),
                             *b = find(&p, "fxm@must/mtls-vs-fixture:caddy");
        char ka[1024], kb[1024];
        if (ok(a && b, "two caddy cases")) {
            th_fixture_key(a, ka, sizeof ka);
            th_fixture_key(b, kb, sizeof kb);
            ok(strcmp(ka, kb) != 0, "client auth is part of the fixture's key (%s)", ka);
        }
    }
    th_plan_free(&p);
    cur_reg = reg;
}

/* The server's configuration as a backend gets it: client_auth and the CA file. */
static void test_resolve(void)
{
    struct th_plan p;
    struct th_error err = {0};
    char pki[PATH_MAX], want[PATH_MAX + 32];
    snprintf(pki, sizeof pki, "%s/pki", tmp);
    if (!ok(th_pki_generate(pki, &err) == 0, "test PKI (%s)", err.text))
        return;
    cur_reg = reg_mtls;
    if (read_text(&p, "mt/mt.json", mt_json, NULL, NULL) == 0) {
        const struct th_case *good = find(&p, "mt@good/mtls-vs-mtls"),
                             *off = find(&p, "mt@off/mtls-vs-mtls");
        struct th_endpoint_cfg s, c;
        if (good && th_endpoint_server(good, pki, &s, &err) == 0 &&
            ok(th_endpoint_client(good, pki, &c, &err) == 0, "client resolves (%s)", err.text)) {
            snprintf(want, sizeof want, "%s/root.pem", pki);
            is_int(s.cfg.client_auth, TH_CLIENT_AUTH_REQUIRE, "server: client_auth");
            is_str(s.cfg.client_ca_file, want, "server: client_ca_file is the pki's root");
            snprintf(want, sizeof want, "%s/client.chain.pem", pki);
            is_str(c.cfg.cert_file, want, "client: cert_file is the client leaf's chain");
            snprintf(want, sizeof want, "%s/client.key.pem", pki);
            is_str(c.cfg.key_file, want, "client: key_file is its key");
        } else {
            ok(0, "server resolves (%s)", err.text);
        }
        if (off && th_endpoint_server(off, pki, &s, &err) == 0)
            ok(s.cfg.client_auth == TH_CLIENT_AUTH_NONE && s.cfg.client_ca_file == NULL,
               "client_auth none: no CA file");
        const struct th_case *req = find(&p, "mt@req/mtls-vs-mtls");
        char gone[PATH_MAX + 16];
        snprintf(gone, sizeof gone, "%s/mt/ca.pem", tmp);
        if (req && ok(unlink(gone) == 0, "the CA file removed after reading"))
            ok(th_endpoint_server(req, pki, &s, &err) == -1 && strstr(err.text, "ca.pem"),
               "a client_ca file gone by run time is named (%s)", err.text);
    }
    th_plan_free(&p);
    cur_reg = reg;
}

int main(void)
{
    if (tmp_setup("test_scenario_mtls") < 0)
        return 1;
    test_read();
    test_fixture_skips();
    test_resolve();
    tmp_cleanup();
    return done_testing();
}
