/* The scenario reader on the kinds beyond handshake: each kind's block with its
 * defaults and limits, variants overriding it key by key, foreach over it, and the
 * skips a kind adds (a data path the driver owns, KeyUpdate, truncation). */
#include "scenario_helpers.h"

static void test_kind_names(void)
{
    is_str(th_kind_name(TH_KIND_BULK), "bulk", "th_kind_name bulk");
    is_str(th_kind_name(TH_KIND_HANDSHAKE_RATE), "handshake_rate", "th_kind_name handshake_rate");
    is_str(th_kind_name(TH_KIND_MEMORY), "memory", "th_kind_name memory");
    is_str(th_kind_name(TH_KIND_INTEGRITY), "integrity", "th_kind_name integrity");
}

static void test_bulk(void)
{
    struct th_plan p;
    const struct th_case *k;
    if ((k = only_case(&p, "bulk-d.json",
                       "{\"name\": \"bd\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"]}\n"))) {
        is_int(k->kind, TH_KIND_BULK, "bulk: kind");
        ok(k->bulk.bytes == 0 && k->bulk.seconds == 1, "bulk: by time, 1 s by default");
        is_int(k->bulk.write_size, 16384, "bulk: write_size 16384 by default");
        is_int(k->bulk.direction, TH_C2S, "bulk: c2s by default");
        is_int(k->repeat, 0, "bulk: repeat 0 (the CLI's) by default");
        is_int(k->expect.outcomes, TH_OUTCOME_BIT(TH_OK), "bulk: expect ok by default");
        ok(k->skip == NULL, "bulk: runs");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "bulk-all.json",
                       "{\"name\": \"ba\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"transport\": \"tcp\", \"repeat\": 1000,\n"
                       " \"bulk\": {\"write_size\": 1048576, \"bytes\": 1099511627776,\n"
                       "          \"direction\": \"both\"}}\n"))) {
        ok(k->bulk.bytes == (UINT64_C(1) << 40) && k->bulk.seconds == 0, "bulk: bytes 2^40");
        is_int(k->bulk.write_size, 1048576, "bulk: write_size 1 MiB");
        is_int(k->bulk.direction, TH_BOTH, "bulk: both");
        is_int(k->repeat, 1000, "bulk: repeat");
        is_int(k->transport, TH_TRANSPORT_TCP, "bulk: over tcp");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "bulk-s.json",
                       "{\"name\": \"bs\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"repeat\": 1,\n"
                       " \"bulk\": {\"seconds\": 0.25, \"write_size\": 1, \"direction\": "
                       "\"s2c\"}}\n"))) {
        ok(k->bulk.bytes == 0 && k->bulk.seconds == 0.25, "bulk: seconds 0.25");
        ok(k->bulk.write_size == 1 && k->bulk.direction == TH_S2C, "bulk: write_size 1, s2c");
        is_int(k->repeat, 1, "bulk: repeat 1");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "bulk-600.json",
                       "{\"name\": \"b600\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"bulk\": {\"seconds\": 600}}\n")))
        ok(k->bulk.bytes == 0 && k->bulk.seconds == 600, "bulk: 600 s, the limit");
    th_plan_free(&p);
}

static void test_handshake_rate(void)
{
    struct th_plan p;
    const struct th_case *k;
    if ((k = only_case(&p, "rate-d.json",
                       "{\"name\": \"rd\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"handshakes\": {}}\n"))) {
        is_int(k->kind, TH_KIND_HANDSHAKE_RATE, "rate: kind");
        ok(k->rate.count == 0 && k->rate.seconds == 1, "rate: by time, 1 s by default");
        is_int(k->rate.resume, TH_RESUME_NONE, "rate: full handshakes by default");
        is_int(k->rate.concurrency, 1, "rate: concurrency 1 by default");
        is_int(k->c.resume, TH_RESUME_NONE, "rate: client.resume none");
        ok(k->repeat == 0 && k->skip == NULL, "rate: repeat 0, runs");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "rate-all.json",
                       "{\"name\": \"ra\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"transport\": \"tcp\", \"repeat\": 3,\n"
                       " \"handshakes\": {\"count\": 10000000, \"resume\": \"session_id\",\n"
                       "                \"concurrency\": 64}}\n"))) {
        ok(k->rate.count == 10000000 && k->rate.seconds == 0, "rate: count");
        is_int(k->rate.resume, TH_RESUME_SESSION_ID, "rate: resume session_id");
        is_int(k->rate.concurrency, 64, "rate: concurrency 64 over tcp");
        is_int(k->c.resume, TH_RESUME_NONE, "rate: client.resume stays none");
        is_int(k->repeat, 3, "rate: repeat");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "rate-s.json",
                       "{\"name\": \"rs\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"handshakes\": {\"seconds\": 2.5,\n"
                       "  \"concurrency\": 1, \"resume\": \"ticket\"}}\n"))) {
        ok(k->rate.count == 0 && k->rate.seconds == 2.5, "rate: seconds");
        is_int(k->rate.resume, TH_RESUME_TICKET, "rate: resume ticket");
    }
    th_plan_free(&p);
}

static void test_memory(void)
{
    struct th_plan p;
    const struct th_case *k;
    if ((k = only_case(&p, "mem-d.json",
                       "{\"name\": \"md\", \"kind\": \"memory\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"transport\": \"memory\"}\n"))) {
        is_int(k->kind, TH_KIND_MEMORY, "memory: kind");
        is_int(k->memory.connections, 200, "memory: 200 connections by default");
        ok(k->repeat == 0 && k->skip == NULL, "memory: repeat 0, runs");
    }
    th_plan_free(&p);
    if ((k = only_case(&p, "mem-all.json",
                       "{\"name\": \"ma\", \"kind\": \"memory\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"repeat\": 2,\n"
                       " \"memory\": {\"connections\": 100000}}\n"))) {
        is_int(k->memory.connections, 100000, "memory: connections");
        is_int(k->repeat, 2, "memory: repeat");
    }
    th_plan_free(&p);
}

/* One piece: one scenario with a variant per fault, and each variant's expected
 * fault and outcome beside it. */
static void test_integrity(void)
{
    struct th_plan p;
    static const struct {
        const char *id;
        enum th_fault fault;
        th_outcome_set outcomes;
    } want[] = {
        {"in@flip/full-vs-full", TH_FAULT_FLIP_BIT, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@drop/full-vs-full", TH_FAULT_DROP, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@dup/full-vs-full", TH_FAULT_DUPLICATE, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@reorder/full-vs-full", TH_FAULT_REORDER, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC)},
        {"in@truncate/full-vs-full", TH_FAULT_TRUNCATE, TH_OUTCOME_BIT(TH_TRUNCATED)},
        {"in@ku/full-vs-full", TH_FAULT_KEY_UPDATE, TH_OUTCOME_BIT(TH_OK)},
        {"in@given/full-vs-full", TH_FAULT_FLIP_BIT,
         TH_OUTCOME_BIT(TH_BAD_RECORD_MAC) | TH_OUTCOME_BIT(TH_IO_ERROR)},
    };
    if (read_text(&p, "integ.json",
                  "{\"name\": \"in\", \"kind\": \"integrity\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"integrity\": {\"fault\": \"flip_bit\"},\n"
                  " \"variants\": [{\"name\": \"flip\"},\n"
                  "  {\"name\": \"drop\", \"integrity\": {\"fault\": \"drop\"}},\n"
                  "  {\"name\": \"dup\", \"integrity\": {\"fault\": \"duplicate\"}},\n"
                  "  {\"name\": \"reorder\", \"integrity\": {\"fault\": \"reorder\"}},\n"
                  "  {\"name\": \"truncate\", \"integrity\": {\"fault\": \"truncate\"}},\n"
                  "  {\"name\": \"ku\", \"integrity\": {\"fault\": \"key_update\"}},\n"
                  "  {\"name\": \"given\", \"expect\": {\"outcome\": [\"bad_record_mac\", "
                  "\"io_error\"]}}]}\n",
                  NULL, NULL) == 0) {
        is_int(p.n, TH_ARRAY_LEN(want), "integrity: one case per variant");
        for (size_t i = 0; i < TH_ARRAY_LEN(want); i++) {
            const struct th_case *k = find(&p, want[i].id);
            if (!ok(k != NULL, "case %s", want[i].id))
                continue;
            is_int(k->fault.fault, want[i].fault, "%s: fault", want[i].id);
            is_int(k->expect.outcomes, want[i].outcomes, "%s: expected outcome", want[i].id);
        }
        const struct th_case *k = find(&p, "in@flip/full-vs-full");
        if (k) {
            is_int(k->kind, TH_KIND_INTEGRITY, "integrity: kind");
            ok(k->fault.record == 3 && k->fault.bytes == 262144 && k->fault.write_size == 16384,
               "integrity: record 3 of 262144 bytes in 16384-byte writes by default");
            is_int(k->fault.direction, TH_C2S, "integrity: c2s by default");
            ok(k->repeat == 0 && k->skip == NULL, "integrity: no repeat; runs");
        }
    }
    th_plan_free(&p);
    const struct th_case *k;
    if ((k = only_case(&p, "integ-all.json",
                       "{\"name\": \"ia\", \"kind\": \"integrity\", \"clients\": [\"full\"],\n"
                       " \"servers\": [\"full\"], \"expect\": {\"outcome\": \"io_error\"},\n"
                       " \"integrity\": {\"fault\": \"drop\", \"record\": 1000, \"bytes\": 1001,\n"
                       "  \"write_size\": 1, \"direction\": \"s2c\"}}\n"))) {
        ok(k->fault.fault == TH_FAULT_DROP && k->fault.record == 1000, "integrity: record 1000");
        ok(k->fault.bytes == 1001 && k->fault.write_size == 1,
           "integrity: exactly record + 1 writes are enough");
        is_int(k->fault.direction, TH_S2C, "integrity: s2c");
        is_int(k->expect.outcomes, TH_OUTCOME_BIT(TH_IO_ERROR),
               "integrity: a given outcome replaces the fault's");
    }
    th_plan_free(&p);
}

/* A variant overrides the kind's block key by key, as it does client and server. */
static void test_kind_variants(void)
{
    struct th_plan p;
    if (read_text(&p, "bulk-var.json",
                  "{\"name\": \"bv\", \"kind\": \"bulk\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"repeat\": 7,\n"
                  " \"bulk\": {\"bytes\": 1048576, \"direction\": \"s2c\"},\n"
                  " \"variants\": [{\"name\": \"64k\", \"bulk\": {\"write_size\": 65536}},\n"
                  "  {\"name\": \"timed\", \"bulk\": {\"seconds\": 3}},\n"
                  "  {\"name\": \"plain\"}]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 3, "bulk variants: three cases")) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1], *c = &p.cases[2];
        ok(a->bulk.bytes == 1048576 && a->bulk.direction == TH_S2C, "64k: the rest inherited");
        is_int(a->bulk.write_size, 65536, "64k: write_size overridden");
        ok(b->bulk.bytes == 0 && b->bulk.seconds == 3, "timed: seconds replace bytes");
        ok(b->bulk.direction == TH_S2C && b->bulk.write_size == 16384, "timed: the rest kept");
        ok(c->bulk.bytes == 1048576 && c->bulk.write_size == 16384, "plain: the top level's");
        ok(a->repeat == 7 && b->repeat == 7 && c->repeat == 7, "repeat shared by the variants");
    }
    th_plan_free(&p);
    if (read_text(&p, "rate-var.json",
                  "{\"name\": \"rv\", \"kind\": \"handshake_rate\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\",\n"
                  " \"handshakes\": {\"count\": 500, \"concurrency\": 4},\n"
                  " \"variants\": [{\"name\": \"full\"},\n"
                  "  {\"name\": \"ticket\", \"handshakes\": {\"resume\": \"ticket\"}},\n"
                  "  {\"name\": \"timed\", \"handshakes\": {\"seconds\": 2, \"concurrency\": "
                  "1}}]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 3, "rate variants: three cases")) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1], *c = &p.cases[2];
        ok(a->rate.count == 500 && a->rate.resume == TH_RESUME_NONE, "full: the top level's");
        ok(b->rate.count == 500 && b->rate.concurrency == 4 && b->rate.resume == TH_RESUME_TICKET,
           "ticket: resume overridden, the rest inherited");
        ok(c->rate.count == 0 && c->rate.seconds == 2 && c->rate.concurrency == 1,
           "timed: seconds replace count; concurrency overridden");
    }
    th_plan_free(&p);
    if (read_text(&p, "integ-var.json",
                  "{\"name\": \"iv\", \"kind\": \"integrity\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"], \"expect\": {\"outcome\": \"bad_record_mac\"},\n"
                  " \"integrity\": {\"fault\": \"drop\", \"bytes\": 100000, \"write_size\": "
                  "1000},\n"
                  " \"variants\": [{\"name\": \"r50\", \"integrity\": {\"record\": 50}},\n"
                  "  {\"name\": \"trunc\", \"integrity\": {\"fault\": \"truncate\", \"direction\": "
                  "\"s2c\"}}]}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 2, "integrity variants: two cases")) {
        const struct th_case *a = &p.cases[0], *b = &p.cases[1];
        ok(a->fault.fault == TH_FAULT_DROP && a->fault.record == 50 && a->fault.bytes == 100000 &&
               a->fault.write_size == 1000,
           "r50: record overridden, the rest inherited");
        ok(b->fault.fault == TH_FAULT_TRUNCATE && b->fault.direction == TH_S2C &&
               b->fault.record == 3,
           "trunc: fault and direction overridden");
        is_int(b->expect.outcomes, TH_OUTCOME_BIT(TH_BAD_RECORD_MAC),
               "trunc: the top level's expect.outcome, not the fault's default");
    }
    th_plan_free(&p);
}

static void test_kind_foreach(void)
{
    struct th_plan p;
    static const char *const want[] = {"bf@TLS_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                       "bf@TLS_AES_128_GCM_SHA256/full-vs-full",
                                       "bf@TLS_CHACHA20_POLY1305_SHA256/full-vs-full",
                                       "bf@TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                       "bf@TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/full-vs-full",
                                       NULL};
    if (read_text(&p, "bulk-fe.json",
                  "{\"name\": \"bf\", \"kind\": \"bulk\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"full\"],\n"
                  " \"suite_filter\": {\"cipher\": [\"AES-128-GCM\", \"CHACHA20-POLY1305\"]},\n"
                  " \"bulk\": {\"bytes\": 4194304, \"write_size\": 16384}}\n",
                  NULL, NULL) == 0) {
        ids_are(&p, want, "bulk over each AEAD");
        int same = 1;
        for (size_t i = 0; i < p.n; i++)
            same &= p.cases[i].kind == TH_KIND_BULK && p.cases[i].bulk.bytes == 4194304;
        ok(same, "each suite's case carries the bulk block");
    }
    th_plan_free(&p);
    if (read_text(&p, "rate-fg.json",
                  "{\"name\": \"rg\", \"kind\": \"handshake_rate\", \"foreach\": \"group\",\n"
                  " \"clients\": [\"full\"], \"servers\": [\"tls12only\"],\n"
                  " \"handshakes\": {\"count\": 100}}\n",
                  NULL, NULL) == 0 &&
        ok(p.n == 1, "rate over each group: one group in common")) {
        is_str(p.cases[0].id, "rg@secp256r1/full-vs-tls12only", "rate: foreach group");
        ok(p.cases[0].rate.count == 100, "the group's case carries the handshakes block");
    }
    th_plan_free(&p);
}

/* One piece: the skips each kind adds, each scenario text followed by the reasons
 * it must give, over one registry with the data-path fakes. */
static void test_kind_skips(void)
{
    struct th_plan p;
    cur_reg = reg_data;
    if (read_text(&p, "ks-io.json",
                  "{\"name\": \"ks-io\", \"kind\": \"bulk\", \"clients\": [\"curl-fake\", "
                  "\"full\"],\n"
                  " \"servers\": [\"full\"], \"transport\": \"tcp\"}\n",
                  NULL, NULL) == 0) {
        is_str(skip_of(&p, "ks-io/curl-fake-vs-full"),
               "curl-fake owns its socket: no driver-owned data path",
               "skip: a socket-owning client has no data path, even over tcp");
        ok(skip_of(&p, "ks-io/full-vs-full") == NULL, "a driver-I/O pair runs");
    }
    th_plan_free(&p);
    static const char *const kinds[] = {
        "\"kind\": \"memory\"", "\"kind\": \"handshake_rate\"",
        "\"kind\": \"integrity\", \"integrity\": {\"fault\": \"drop\"}"};
    for (size_t i = 0; i < TH_ARRAY_LEN(kinds); i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"name\": \"ks-io%zu\", %s, \"clients\": [\"*\"], \"servers\": [\"full\"]}\n", i,
                 kinds[i]);
        char id[64];
        snprintf(id, sizeof id, "ks-io%zu/curl-fake-vs-full", i);
        if (read_text(&p, "ks-io-k.json", json, NULL, NULL) == 0)
            is_str(skip_of(&p, id), "curl-fake owns its socket: no driver-owned data path",
                   "skip: no data path for %s", kinds[i]);
        th_plan_free(&p);
    }

    if (read_text(&p, "ks-rate.json",
                  "{\"name\": \"ks-rate\", \"kind\": \"handshake_rate\",\n"
                  " \"clients\": [\"full\", \"tls12only\"], \"servers\": [\"full\", "
                  "\"tls12only\"],\n"
                  " \"handshakes\": {\"resume\": \"ticket\"},\n"
                  " \"variants\": [{\"name\": \"ticket\"},\n"
                  "  {\"name\": \"sid\", \"handshakes\": {\"resume\": \"session_id\"}}]}\n",
                  NULL, NULL) == 0) {
        ok(skip_of(&p, "ks-rate@ticket/full-vs-full") == NULL, "rate resume: both have tickets");
        is_str(skip_of(&p, "ks-rate@ticket/full-vs-tls12only"),
               "tls12only lacks resumption by ticket", "skip: the server lacks handshakes.resume");
        is_str(skip_of(&p, "ks-rate@ticket/tls12only-vs-full"),
               "tls12only lacks resumption by ticket", "skip: the client lacks handshakes.resume");
        ok(skip_of(&p, "ks-rate@sid/tls12only-vs-tls12only") == NULL, "session IDs both have");
    }
    th_plan_free(&p);

    if (read_text(&p, "ks-ku.json",
                  "{\"name\": \"ks-ku\", \"kind\": \"integrity\",\n"
                  " \"clients\": [\"full\", \"data\", \"data12\"], \"servers\": [\"data\", "
                  "\"full\"],\n"
                  " \"integrity\": {\"fault\": \"key_update\"}}\n",
                  NULL, NULL) == 0) {
        ok(skip_of(&p, "ks-ku/data-vs-data") == NULL, "key_update: both have the op and 1.3");
        is_str(skip_of(&p, "ks-ku/full-vs-data"), "full lacks TLS 1.3 KeyUpdate",
               "skip: the client has no key_update op");
        is_str(skip_of(&p, "ks-ku/data-vs-full"), "full lacks TLS 1.3 KeyUpdate",
               "skip: the server has no key_update op");
        is_str(skip_of(&p, "ks-ku/data12-vs-data"), "data12 lacks TLS 1.3 KeyUpdate",
               "skip: the op, but no TLS 1.3 once narrowed");
    }
    th_plan_free(&p);

    if (read_text(&p, "ks-tr.json",
                  "{\"name\": \"ks-tr\", \"kind\": \"integrity\",\n"
                  " \"clients\": [\"full\", \"data\"], \"servers\": [\"full\", \"data\"],\n"
                  " \"integrity\": {\"fault\": \"truncate\"},\n"
                  " \"variants\": [{\"name\": \"c2s\"},\n"
                  "  {\"name\": \"s2c\", \"integrity\": {\"direction\": \"s2c\"}},\n"
                  "  {\"name\": \"flip\", \"integrity\": {\"fault\": \"flip_bit\"}}]}\n",
                  NULL, NULL) == 0) {
        const char *const no = "full cannot tell a close without close_notify from a clean one";
        is_str(skip_of(&p, "ks-tr@c2s/data-vs-full"), no, "skip: c2s, the server receives");
        ok(skip_of(&p, "ks-tr@c2s/full-vs-data") == NULL, "c2s: the client's caps do not matter");
        is_str(skip_of(&p, "ks-tr@s2c/full-vs-data"), no, "skip: s2c, the client receives");
        ok(skip_of(&p, "ks-tr@s2c/data-vs-full") == NULL, "s2c: the server's caps do not matter");
        ok(skip_of(&p, "ks-tr@flip/full-vs-full") == NULL, "other faults need neither");
    }
    th_plan_free(&p);

    static const char *const ku13[] = {"kf@TLS_AES_128_GCM_SHA256/data-vs-data",
                                       "kf@TLS_AES_256_GCM_SHA384/data-vs-data",
                                       "kf@TLS_CHACHA20_POLY1305_SHA256/data-vs-data", NULL};
    if (read_text(&p, "ks-kf.json",
                  "{\"name\": \"kf\", \"kind\": \"integrity\", \"foreach\": \"suite\",\n"
                  " \"clients\": [\"data\"], \"servers\": [\"data\"],\n"
                  " \"integrity\": {\"fault\": \"key_update\"}}\n",
                  NULL, NULL) == 0) {
        ids_are(&p, ku13, "key_update over each suite: TLS 1.3 suites only");
        if (p.n)
            is_int(p.cases[0].c.versions, TH_VBIT(TH_TLS13), "key_update: versions 1.3");
    }
    th_plan_free(&p);
    cur_reg = reg;
}

static void test_load(void)
{
    struct th_plan p;
    if (read_text(&p, "ld.json",
                  "{\"name\": \"ld\", \"kind\": \"load\", \"clients\": [\"full\", \"curl-fake\"],\n"
                  " \"servers\": [\"full\", \"https://127.0.0.1:8443\"],\n"
                  " \"load\": {\"requests\": 500, \"connections\": 8, \"path\": \"/bytes/1024\",\n"
                  "          \"new_connection_per_request\": true, \"resume\": \"ticket\"},\n"
                  " \"variants\": [{\"name\": \"a\"}, {\"name\": \"t\", \"load\": {\"seconds\": "
                  "1.5}}]}\n",
                  NULL, NULL) == 0) {
        const struct th_case *a = find(&p, "ld@a/full-vs-full");
        const struct th_case *t = find(&p, "ld@t/full-vs-127.0.0.1:8443");
        if (ok(a && t, "cases for a backend server and an external target")) {
            is_int(a->kind, TH_KIND_LOAD, "kind load");
            is_int(a->transport, TH_TRANSPORT_TCP, "load is TCP even against a backend");
            ok(a->load.requests == 500 && a->load.connections == 8, "requests and connections");
            is_str(a->load.path, "/bytes/1024", "path");
            ok(a->load.new_connection_per_request && a->load.resume == TH_RESUME_TICKET,
               "new connection per request, resumed by ticket");
            ok(t->load.requests == 0 && t->load.seconds == 1.5, "a variant's seconds replace "
                                                                "requests");
            ok(t->load.connections == 8, "the rest is kept");
            ok(a->skip == NULL && t->skip == NULL, "both run");
        }
        is_str(skip_of(&p, "ld@a/curl-fake-vs-full"),
               "curl-fake owns its socket: no driver-owned data path",
               "skip: a socket-owning client cannot be driven for load");
    }
    th_plan_free(&p);
    if (read_text(&p, "ld2.json",
                  "{\"name\": \"ld2\", \"kind\": \"load\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"tls12only\"], \"load\": {\"resume\": \"ticket\"}}\n",
                  NULL, NULL) == 0 &&
        p.n == 1)
        is_str(p.cases[0].skip, "tls12only lacks resumption by ticket",
               "skip: load.resume the server lacks");
    th_plan_free(&p);
    if (read_text(&p, "ld3.json",
                  "{\"name\": \"ld3\", \"kind\": \"load\", \"clients\": [\"full\"],\n"
                  " \"servers\": [\"full\"]}\n",
                  NULL, NULL) == 0 &&
        p.n == 1) {
        const struct th_case *k = &p.cases[0];
        ok(k->load.requests == 0 && k->load.seconds == 2 && k->load.connections == 16,
           "defaults: 2 s over 16 connections");
        ok(strcmp(k->load.path, "/") == 0 && !k->load.new_connection_per_request &&
               k->load.resume == TH_RESUME_NONE,
           "defaults: GET /, keep-alive, no resumption");
    }
    th_plan_free(&p);
}

int main(void)
{
    if (tmp_setup("test_scenario_kinds") < 0)
        return 1;
    test_kind_names();
    test_bulk();
    test_handshake_rate();
    test_memory();
    test_integrity();
    test_kind_variants();
    test_kind_foreach();
    test_kind_skips();
    test_load();
    tmp_cleanup();
    return done_testing();
}
