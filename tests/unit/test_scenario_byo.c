/* Bring your own chain: "cert" and "key" of the server (and client) blocks as PEM
 * files beside the scenario, how variants override them, and what expansion does
 * with them. The files that are refused are in test_scenario_bad.c
 * (tests/data/bad/byo-*.json). */
#include "scenario_helpers.h"

#include "harness/scenario/order.h"

static char data_dir[PATH_MAX];
static char real_tmp[PATH_MAX];

/* The fixture file name of tests/data/byo/, copied into tmp/own/. */
static void copy_fixture(const char *name)
{
    char src[PATH_MAX + 64], dst[64], text[8192];
    snprintf(src, sizeof src, "%s/%s", data_dir, name);
    FILE *f = fopen(src, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    snprintf(dst, sizeof dst, "own/%s", name);
    tmp_file(dst, text);
}

/* tmp/own/NAME as the reader stores it. */
static const char *own(const char *name)
{
    static char buf[4][PATH_MAX + 64];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, PATH_MAX + 64, "%s/own/%s", real_tmp, name);
    return p;
}

static void test_server_files(void)
{
    struct th_plan p;
    const struct th_case *k =
        only_case(&p, "byo-server.json",
                  "{\"name\": \"byo\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"client\": {\"ca\": \"own/ca.pem\"},\n"
                  " \"server\": {\"cert\": \"own/leaf.pem\", \"key\": \"own/leaf.key.pem\"}}\n");
    if (k) {
        is_str(k->s.cert, own("leaf.pem"), "server.cert: a relative file stored absolute");
        is_str(k->s.key, own("leaf.key.pem"), "server.key: the same");
        is_str(k->c.ca, own("ca.pem"), "client.ca beside them");
        ok(!k->c.cert && !k->c.key, "the client presents nothing by default");
    }
    th_plan_free(&p);

    /* one file holding the leaf and its key serves as both */
    char both[4096];
    FILE *a = fopen(own("leaf.pem"), "r"), *b = fopen(own("leaf.key.pem"), "r");
    size_t n = a ? fread(both, 1, 2048, a) : 0;
    n += b ? fread(both + n, 1, 2047, b) : 0;
    both[n] = '\0';
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    tmp_file("own/both.pem", both);
    k = only_case(&p, "byo-both.json",
                  "{\"name\": \"byo-both\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"],\n"
                  " \"server\": {\"key\": \"own/both.pem\", \"cert\": \"own/both.pem\"}}\n");
    if (k)
        ok(strcmp(k->s.cert, k->s.key) == 0, "a combined file is both cert and key (key first)");
    th_plan_free(&p);
}

static void test_variants(void)
{
    struct th_plan p;
    if (read_text(&p, "byo-variants.json",
                  "{\"name\": \"byov\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"],\n"
                  " \"server\": {\"cert\": \"own/leaf.pem\", \"key\": \"own/leaf.key.pem\"},\n"
                  " \"variants\": [{\"name\": \"same\", \"server\": {\"tickets\": false}},\n"
                  "   {\"name\": \"pki\", \"server\": {\"cert\": \"pki:ecdsa-p256\"}},\n"
                  "   {\"name\": \"pkikey\",\n"
                  "    \"server\": {\"cert\": \"pki:rsa2048\", \"key\": \"pki:rsa2048\"}},\n"
                  "   {\"name\": \"nullkey\", \"server\": {\"cert\": \"pki:rsa2048\", \"key\": "
                  "null}}]}\n",
                  NULL, NULL))
        return;
    const struct th_case *same = find(&p, "byov@same/full-vs-full"),
                         *pki = find(&p, "byov@pki/full-vs-full"),
                         *pkikey = find(&p, "byov@pkikey/full-vs-full"),
                         *nullkey = find(&p, "byov@nullkey/full-vs-full");
    if (ok(same && pki && pkikey && nullkey, "four variants")) {
        ok(strcmp(same->s.cert, own("leaf.pem")) == 0 &&
               strcmp(same->s.key, own("leaf.key.pem")) == 0,
           "a variant that names neither keeps both");
        ok(strcmp(pki->s.cert, "pki:ecdsa-p256") == 0 && pki->s.key == NULL,
           "a pki leaf alone brings its own key: the top level's key file is dropped");
        ok(strcmp(pkikey->s.key, "pki:rsa2048") == 0, "a pki leaf with its own pki key");
        ok(nullkey->s.key == NULL, "key null: the pki leaf's own");
    }
    th_plan_free(&p);
}

static void test_client_files(void)
{
    struct th_plan p;
    if (read_text(&p, "byo-client.json",
                  "{\"name\": \"byoc\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"],\n"
                  " \"client\": {\"cert\": \"own/leaf.pem\", \"key\": \"own/leaf.key.pem\"},\n"
                  " \"variants\": [{\"name\": \"files\"},\n"
                  "   {\"name\": \"pki\", \"client\": {\"cert\": \"pki:rsa2048\"}},\n"
                  "   {\"name\": \"none\", \"client\": {\"cert\": null}}]}\n",
                  NULL, NULL))
        return;
    const struct th_case *files = find(&p, "byoc@files/full-vs-full"),
                         *pki = find(&p, "byoc@pki/full-vs-full"),
                         *none = find(&p, "byoc@none/full-vs-full");
    if (ok(files && pki && none, "three variants")) {
        ok(strcmp(files->c.cert, own("leaf.pem")) == 0 &&
               strcmp(files->c.key, own("leaf.key.pem")) == 0,
           "client.cert and client.key: files stored absolute");
        ok(files->s.key == NULL && strcmp(files->s.cert, "pki:rsa2048") == 0,
           "the server's side is untouched");
        ok(strcmp(pki->c.cert, "pki:rsa2048") == 0 && pki->c.key == NULL,
           "client.cert: a pki leaf");
        ok(none->c.cert == NULL && none->c.key == NULL, "client.cert null: none, and no key");
    }
    th_plan_free(&p);
}

/* foreach suite gives ECDSA suites the PKI's ECDSA leaf in place of the default
 * RSA one; a chain of the user's own is served as it is. */
static void test_foreach_keeps_files(void)
{
    struct th_plan p;
    if (read_text(&p, "byo-foreach.json",
                  "{\"name\": \"byof\", \"kind\": \"handshake\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"foreach\": \"suite\",\n"
                  " \"variants\": [{\"name\": \"own\", \"server\": {\"cert\": \"own/leaf.pem\",\n"
                  "                 \"key\": \"own/leaf.key.pem\"}},\n"
                  "   {\"name\": \"pki\"}]}\n",
                  NULL, NULL))
        return;
    const struct th_case *o = find(&p,
                                   "byof@own@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full"),
                         *k = find(&p,
                                   "byof@pki@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full");
    if (ok(o && k, "an ECDSA suite case in each variant")) {
        ok(strcmp(o->s.cert, own("leaf.pem")) == 0 && strcmp(o->s.key, own("leaf.key.pem")) == 0,
           "own files: served as given");
        ok(strcmp(k->s.cert, "pki:ecdsa-p256") == 0 && k->s.key == NULL,
           "the default: the PKI's ECDSA leaf");
    }
    th_plan_free(&p);
}

/* Two fixture cases share a running server only when cert and key are the same. */
static void test_fixture_key(void)
{
    struct th_case a, b;
    char ka[1024], kb[1024];
    memset(&a, 0, sizeof a);
    a.server_name = (char *)"fixture:nginx";
    a.s.cert = (char *)"/x/both.pem";
    a.s.key = (char *)"/x/k1.pem";
    b = a;
    b.s.key = (char *)"/x/k2.pem";
    th_fixture_key(&a, ka, sizeof ka);
    th_fixture_key(&b, kb, sizeof kb);
    ok(strcmp(ka, kb) != 0, "another key file: another server (%s / %s)", ka, kb);
    b.s.key = a.s.key;
    th_fixture_key(&b, kb, sizeof kb);
    is_str(kb, ka, "the same files: the same server");
}

int main(void)
{
    const char *here = __FILE__, *cut = strstr(here, "unit/test_scenario_byo.c");
    snprintf(data_dir, sizeof data_dir, "%.*sdata/byo", (int)(cut ? cut - here : 0), here);
    if (tmp_setup("test_scenario_byo") < 0)
        return 1;
    if (!realpath(tmp, real_tmp))
        th_strlcpy(real_tmp, tmp, sizeof real_tmp);
    copy_fixture("ca.pem");
    copy_fixture("leaf.pem");
    copy_fixture("leaf.key.pem");
    test_server_files();
    test_variants();
    test_client_files();
    test_foreach_keeps_files();
    test_fixture_key();
    tmp_cleanup();
    return done_testing();
}
