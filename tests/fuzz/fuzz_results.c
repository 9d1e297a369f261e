/* Fuzz target for the results reader behind `tlsharness compare`: outside input (a
 * baseline a CI job downloads, a file from another machine). Built two ways: with
 * libFuzzer (clang -fsanitize=fuzzer), and replayed over tests/data/results/ by
 * test_compare.c, which includes this file (or by replay.c, like fuzz_scenario.c).
 * Beyond not crashing it checks what every input must keep: a file compared with
 * itself never regresses (it may be incomplete), bad input is always reported and
 * only then, every message names its file, and the --json report is JSON. The HTML
 * report reads the same files: each input is drawn too, and is either a whole page
 * without a script or bad input with nothing written. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/compare.h"
#include "harness/report/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Something for the input to be compared with, with a metric of each direction. */
static const char fuzz_good[] =
    "{\"schema\": \"tlsharness.results/1\",\n"
    " \"environment\": {\"cpu_model\": \"x\", \"cpu_flags\": [\"aes\"]},\n"
    " \"backends\": [{\"name\": \"openssl\", \"version\": \"3.0\"}],\n"
    " \"cases\": [\n"
    "  {\"id\": \"bulk/a/openssl-vs-openssl\", \"status\": \"pass\", \"metrics\": {\n"
    "   \"throughput_mib_s\": {\"median\": 1000, \"min\": 990, \"max\": 1010, \"n\": 5, "
    "\"unit\": \"MiB/s\"},\n"
    "   \"latency_ms_p99\": {\"median\": 10, \"min\": 9, \"max\": 11, \"n\": 5, \"unit\": "
    "\"ms\"},\n"
    "   \"frobs\": {\"median\": 1, \"n\": 1}}},\n"
    "  {\"id\": \"cert/a/openssl-vs-openssl\", \"status\": \"fail\", \"reason\": \"r\"},\n"
    "  {\"id\": \"cert/b/openssl-vs-openssl\", \"status\": \"skip\"}]}\n";

/* Every line of err names base or new. */
static int lines_named(const char *err)
{
    for (const char *p = err; *p;) {
        if (strncmp(p, "base:", 5) != 0 && strncmp(p, "new:", 4) != 0)
            return 0;
        const char *nl = strchr(p, '\n');
        if (!nl)
            return 0;
        p = nl + 1;
    }
    return 1;
}

/* A file compared with itself never regresses, but the gate may find it incomplete
 * (interrupted, or without cases): then the verdict line, or --json's regressions,
 * tells the two apart. */
static int regressed(const char *out, size_t outlen, int json)
{
    if (!json)
        return outlen < 12 || strcmp(out + outlen - 12, "\nincomplete\n") != 0;
    json_t *doc = json_loadb(out, outlen, 0, NULL);
    int r = !doc || json_integer_value(json_object_get(doc, "regressions")) != 0;
    json_decref(doc);
    return r;
}

static void fuzz_one(const char *a, size_t alen, const char *b, size_t blen, int json, int same)
{
    char *out = NULL, *err = NULL;
    size_t outlen = 0, errlen = 0;
    FILE *outf = open_memstream(&out, &outlen), *errf = open_memstream(&err, &errlen);
    if (!outf || !errf)
        abort();
    struct th_compare_opts o = TH_COMPARE_OPTS_INIT;
    o.json = json;
    int rc = th_compare_texts("base", a, alen, "new", b, blen, &o, outf, errf);
    fclose(outf);
    fclose(errf);
    if (rc < 0 || rc > 2 || (same && rc == 1 && regressed(out, outlen, json)))
        abort();
    if ((rc == 2) != (errlen > 0) || (rc == 2 && outlen) || !lines_named(err))
        abort();
    if (json && rc != 2) {
        json_t *doc = json_loadb(out, outlen, 0, NULL);
        if (!json_is_object(doc))
            abort();
        json_decref(doc);
    }
    free(out);
    free(err);
}

static void fuzz_report(const char *a, size_t alen, const char *base, size_t blen)
{
    char *out = NULL;
    size_t outlen = 0;
    struct th_error e;
    FILE *outf = open_memstream(&out, &outlen);
    if (!outf)
        abort();
    int rc = th_report_html_texts(outf, "new", a, alen, "base", base, blen, &e);
    fclose(outf);
    if (rc == 0 && (outlen < 16 || strncmp(out, "<!DOCTYPE html>", 15) != 0 ||
                    strcmp(out + outlen - 8, "</html>\n") != 0 || strstr(out, "<script")))
        abort();
    if (rc != 0 && (rc != -1 || !e.input || outlen))
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    fuzz_report(d, size, NULL, 0);
    fuzz_report(d, size, fuzz_good, sizeof fuzz_good - 1);
    fuzz_one(d, size, d, size, (int)(size & 1), 1);
    fuzz_one(fuzz_good, sizeof fuzz_good - 1, d, size, 0, 0);
    fuzz_one(d, size, fuzz_good, sizeof fuzz_good - 1, 1, 0);
    return 0;
}
