#!/bin/bash
# The whole shipped catalogue on the library backends that play both roles: every
# client x server pair runs; every case passes, xfails or skips with its reason;
# each client meets every certificate failure class; resumption is observed on
# every pair. (The libcurl clients and the fixture servers: fixtures.t.)
. "$(dirname "$0")/lib.sh"
out=$TMP/r.json
backends=$("$TH_BIN" backends --json | jq -r '.[] | select(.roles | index("server")) | .name')
"$TH_BIN" run -b "$(printf '%s\n' "$backends" | paste -sd,)" --quick -o "$out" scenarios/ > "$TMP/out.txt" 2>&1
rc=$?
is "$rc" 0 "every case passes, xfails or skips"
[ "$rc" -eq 0 ] || grep -A30 '^Failures' "$TMP/out.txt" | sed 's/^/#   /'
n=$(printf '%s\n' "$backends" | grep -c .)
pairs=$(jq -r '[.cases[] | "\(.client)-vs-\(.server)"] | unique | length' "$out")
is "$pairs" $((n * n)) "all $n x $n pairs ran, self-pairs included"
is "$(jq '[.cases[] | select(.status == "skip" and (.reason // "") == "")] | length' "$out")" 0 \
    "every skip carries its reason"
is "$(jq '[.cases[] | select(.status == "xfail" and (.reason | test("known deviation") | not))] | length' "$out")" 0 \
    "every xfail carries its deviation's reason"
for c in $backends; do
    seen=$(jq -r --arg c "$c" '[.cases[] | select(.client == $c and (.scenario | startswith("cert/")))
        | select(.status == "pass" or .status == "xfail") | .scenario] | unique | length' "$out")
    all=$(jq -r '[.cases[] | select(.scenario | startswith("cert/")) | .scenario] | unique | length' "$out")
    skipped=$(jq -r --arg c "$c" '[.cases[] | select(.client == $c and (.scenario | startswith("cert/")))]
        | group_by(.scenario) | map(select(all(.status == "skip"))) | length' "$out")
    is "$((seen + skipped))" "$all" "$c client meets every certificate scenario ($seen run, $skipped skipped for a capability)"
done
for p in $(jq -r '[.cases[] | "\(.client)-vs-\(.server)"] | unique | .[]' "$out"); do
    n=$(jq --arg p "$p" '[.cases[] | select("\(.client)-vs-\(.server)" == $p and .observed.resumed == true and .status == "pass")] | length' "$out")
    ok "$([ "$n" -ge 1 ]; echo $?)" "resumption observed on $p ($n cases)"
done
like "$(cat "$TMP/out.txt")" 'client \\ server' "the summary shows the client x server matrix"
done_testing
