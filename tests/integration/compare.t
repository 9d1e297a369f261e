#!/bin/bash
# tlsharness compare on real results files: identical runs do not regress; a case
# that passed and now fails does, as does a metric moved the wrong way; bad input
# is exit 2.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" run -b openssl -o "$TMP/a.json" scenarios/cert > /dev/null 2>&1
ok $? "a base run"
"$TH_BIN" compare "$TMP/a.json" "$TMP/a.json" > "$TMP/out" 2>&1
is $? 0 "identical results: exit 0"
like "$(cat "$TMP/out")" '^no regression$' "and says so"
jq '(.cases[0].status) = "fail" | (.cases[0].reason) = "injected"' "$TMP/a.json" > "$TMP/b.json"
"$TH_BIN" compare "$TMP/a.json" "$TMP/b.json" > "$TMP/out" 2>&1
is $? 1 "a case that passed and now fails: exit 1"
like "$(cat "$TMP/out")" 'injected' "the new reason is shown"
# a metric, as benchmark kinds record them: 20% slower with a 1% spread regresses
jq '(.cases[0].metrics) = {"throughput_mib_s": {"median": 1000, "min": 995, "max": 1005, "n": 5, "unit": "MiB/s"}}' \
    "$TMP/a.json" > "$TMP/m1.json"
jq '(.cases[0].metrics.throughput_mib_s) = {"median": 800, "min": 796, "max": 804, "n": 5, "unit": "MiB/s"}' \
    "$TMP/m1.json" > "$TMP/m2.json"
"$TH_BIN" compare "$TMP/m1.json" "$TMP/m2.json" > "$TMP/out" 2>&1
is $? 1 "throughput 20% down beyond the recorded spread: exit 1"
"$TH_BIN" compare --threshold 25 "$TMP/m1.json" "$TMP/m2.json" > /dev/null 2>&1
is $? 0 "within an explicit 25% threshold: exit 0"
"$TH_BIN" compare --json "$TMP/m1.json" "$TMP/m2.json" > "$TMP/out.json" 2>/dev/null
is "$(jq -r '.metrics[0].verdict' "$TMP/out.json")" regression "--json gives the verdict per metric"
printf '{"schema": "tlsharness.results/1",\n "cases": [ {"id": 3} ]}\n' > "$TMP/bad.json"
"$TH_BIN" compare "$TMP/a.json" "$TMP/bad.json" > /dev/null 2> "$TMP/err"
is $? 2 "a malformed results file: exit 2"
like "$(cat "$TMP/err")" 'bad.json:2:[0-9]+: ' "named with FILE:LINE:COL"
"$TH_BIN" compare "$TMP/a.json" > /dev/null 2>&1
is $? 2 "one file only: exit 2"
done_testing
