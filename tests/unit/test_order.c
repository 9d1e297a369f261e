/* Run order: fixture cases grouped by server configuration, everything else first
 * and in plan order; the grouping key tells configurations apart. */
#include "harness/scenario/order.h"

#include "tap.h"

static void caps_none(struct th_caps *c)
{
    memset(c, 0, sizeof(*c));
}

static const struct th_fixture_def fa = {.name = "a", .caps = caps_none};
static const struct th_fixture_def fb = {.name = "b", .caps = caps_none};

static void mk(struct th_case *k, const struct th_fixture_def *f, const char *name,
               const char *cert, uint16_t suite)
{
    memset(k, 0, sizeof(*k));
    k->fixture = f;
    k->server_name = (char *)name;
    k->s.cert = (char *)cert;
    k->s.versions = 0xc;
    if (suite) {
        k->s.suites[0] = suite;
        k->s.n_suites = 1;
    }
}

static void test_order(void)
{
    struct th_case cs[7];
    mk(&cs[0], &fa, "fixture:a", "pki:rsa2048", 0x1301);
    mk(&cs[1], NULL, "openssl", NULL, 0);
    mk(&cs[2], &fb, "fixture:b", "pki:rsa2048", 0x1301);
    mk(&cs[3], &fa, "fixture:a", "pki:expired", 0);
    mk(&cs[4], &fa, "fixture:a", "pki:rsa2048", 0x1301);
    mk(&cs[5], NULL, "https://127.0.0.1:443", NULL, 0);
    mk(&cs[6], &fa, "fixture:a", "pki:rsa2048", 0x1302);
    cs[6].skip = "skipped cases need no server";
    struct th_plan p = {.cases = cs, .n = 7};
    size_t *o = th_run_order(&p);
    static const size_t want[] = {1, 5, 6, 3, 0, 4, 2};
    int same = 1;
    for (size_t i = 0; i < 7; i++)
        same &= o[i] == want[i];
    if (!ok(same, "non-fixture and skipped first in plan order, then fixtures grouped by config"))
        for (size_t i = 0; i < 7; i++)
            printf("#   %zu: got %zu, want %zu\n", i, o[i], want[i]);
    free(o);
    p.n = 0;
    o = th_run_order(&p);
    ok(o != NULL, "an empty plan has an (empty) order");
    free(o);
}

static void test_key(void)
{
    struct th_case a, b;
    char ka[1024], kb[1024];
    mk(&a, &fa, "fixture:a", "pki:rsa2048", 0x1301);
    mk(&b, &fa, "fixture:a", "pki:rsa2048", 0x1301);
    th_fixture_key(&a, ka, sizeof(ka));
    th_fixture_key(&b, kb, sizeof(kb));
    is_str(ka, kb, "same configuration, same key");
    b.s.tickets = 1;
    th_fixture_key(&b, kb, sizeof(kb));
    ok(strcmp(ka, kb) != 0, "tickets differ: keys differ");
    b.s.tickets = 0;
    b.s.groups[0] = 0x001d;
    b.s.n_groups = 1;
    th_fixture_key(&b, kb, sizeof(kb));
    ok(strcmp(ka, kb) != 0, "groups differ: keys differ");
    b.s.n_groups = 0;
    b.s.cert = NULL;
    th_fixture_key(&b, kb, sizeof(kb));
    is_str(ka, kb, "no cert means the default, pki:rsa2048");
    b.s.versions = 0x8;
    th_fixture_key(&b, kb, sizeof(kb));
    ok(strcmp(ka, kb) != 0, "versions differ: keys differ");
    mk(&b, &fb, "fixture:b", "pki:rsa2048", 0x1301);
    th_fixture_key(&b, kb, sizeof(kb));
    ok(strcmp(ka, kb) != 0, "another fixture: keys differ");
}

int main(void)
{
    test_order();
    test_key();
    return done_testing();
}
