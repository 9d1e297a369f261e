/* The results reader on a load case's "load" block (harness/report/resread.c): what
 * the writer writes (results.c load_json) is accepted, an older file without the
 * newer members too, and each wrong member is refused at its place, FILE:LINE:COL.
 * That the reader takes a real run's file: tests/integration/load-rate.t (merge and
 * report read it). */
#include <stdlib.h>
#include <string.h>

#include "harness/report/resread.h"
#include "resread_check.h"
#include "tap.h"

#define HEAD "{\"schema\": \"tlsharness.results/1\""
#define LOAD(rest)                                                                                 \
    HEAD                                                                                           \
        ", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"kind\": \"load\", \"load\": {" rest \
        "}}]}"
#define HIST(b)                                                                                    \
    "\"latency_histogram\": {\"unit\": \"ns\", \"buckets_per_octave\": 8, \"buckets\": " b "}"

static void test_accepted(void)
{
    accepted(LOAD("\"requests\": 200, \"connections\": 4, \"resumed\": 0, \"body_bytes\": 15400, "
                  "\"wall_s\": 0.0284, \"mode\": \"open\", \"rate\": 250, \"body_check\": "
                  "\"pattern+sha256\", \"bodies_hashed\": 200, \"handshakes_differing\": 0, " HIST(
                      "[[80000, 88000, 3], [88000, 96000, 197]]")),
             "what the writer writes");
    accepted(LOAD("\"mode\": \"closed\", \"rate\": null, " HIST("[[0, 1000, 1], [16106127360000, "
                                                                "null, 2]]")),
             "closed loop, rate null, the open last bucket");
    accepted(LOAD("\"requests\": 2, \"wall_s\": 1, " HIST("[]")),
             "a file written before mode, rate and the hash counts");
    accepted(HEAD ", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"load\": null}]}",
             "load null");
}

static void test_refused(void)
{
    refused(LOAD("\"mode\": \"half\""), "\"half\"",
            "cases[0].load.mode: expected \"open\" or \"closed\"", "an unknown mode");
    refused(LOAD("\"rate\": \"fast\""), "\"fast\"",
            "cases[0].load.rate: expected a number, got a string", "rate a string");
    refused(LOAD("\"bodies_hashed\": -1"), "-1",
            "cases[0].load.bodies_hashed: expected a count (an integer >= 0), got a number",
            "a negative count");
    refused(LOAD("\"requests\": 1.5"), "1.5",
            "cases[0].load.requests: expected a count (an integer >= 0), got a number",
            "a fractional count");
    refused(LOAD("\"body_check\": 3"), "3}",
            "cases[0].load.body_check: expected a string, got a number", "body_check a number");
    refused(HEAD ", \"cases\": [{\"id\": \"c\", \"status\": \"pass\", \"load\": []}]}", "[]",
            "cases[0].load: expected an object, got an array", "load an array");
    refused(LOAD("\"latency_histogram\": [1]"), "[1]",
            "cases[0].load.latency_histogram: expected an object {unit, buckets_per_octave, "
            "buckets}, got an array",
            "a histogram as an array");
    refused(LOAD(HIST("{}")), "{}}",
            "cases[0].load.latency_histogram.buckets: expected an array of [FROM, TO, COUNT], "
            "got an object",
            "buckets an object");
    refused(LOAD(HIST("[[1000, 1125, 1], [2000, 1000, 1]]")), "[2000",
            "cases[0].load.latency_histogram.buckets[1]: expected [FROM, TO, COUNT]: whole "
            "numbers, TO above FROM or null",
            "a bucket ending before it starts");
    refused(LOAD(HIST("[[1000, 1125]]")), "[1000",
            "cases[0].load.latency_histogram.buckets[0]: expected [FROM, TO, COUNT]: whole "
            "numbers, TO above FROM or null",
            "a bucket without its count");
    refused(LOAD(HIST("[[1000, 1125, -4]]")), "[1000",
            "cases[0].load.latency_histogram.buckets[0]: expected [FROM, TO, COUNT]: whole "
            "numbers, TO above FROM or null",
            "a negative count");
}

int main(void)
{
    test_accepted();
    test_refused();
    return done_testing();
}
