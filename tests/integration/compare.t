#!/bin/bash
# tlsharness compare on real results files: identical runs do not regress; a case
# that passed and now fails does, as does a metric moved the wrong way; a NEW that
# lacks cases (empty, interrupted, another shard) fails the gate; text from the
# files is printed escaped; bad input is exit 2.
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

# ---- the gate: NEW must hold what BASE has ----
n=$(jq '.cases | length' "$TMP/a.json")
jq '.cases = [] | .summary = {"total": 0}' "$TMP/a.json" > "$TMP/empty.json"
"$TH_BIN" compare "$TMP/a.json" "$TMP/empty.json" > "$TMP/out" 2>&1
is $? 1 "an empty NEW: exit 1"
like "$(cat "$TMP/out")" '^incomplete: NEW has no cases' "and says why"
like "$(tail -1 "$TMP/out")" '^incomplete$' "the verdict line says incomplete"
jq '. + {"interrupted": true}' "$TMP/a.json" > "$TMP/stopped.json"
"$TH_BIN" compare --allow-missing "$TMP/a.json" "$TMP/stopped.json" > "$TMP/out" 2>&1
is $? 1 "an interrupted NEW with every case: exit 1, --allow-missing or not"
like "$(cat "$TMP/out")" '^incomplete: NEW was interrupted' "and says why"
"$TH_BIN" run -b openssl -f 'cert/expired/*' -o "$TMP/part.json" scenarios/cert > /dev/null 2>&1
"$TH_BIN" compare "$TMP/a.json" "$TMP/part.json" > "$TMP/out" 2>&1
is $? 1 "a NEW that lacks cases: exit 1"
like "$(cat "$TMP/out")" "^incomplete: NEW lacks $((n - 1)) of BASE's $n cases .*: cert/" \
    "says how many, and which"
"$TH_BIN" compare "$TMP/a.json" "$TMP/part.json" --allow-missing > "$TMP/out" 2>&1
is $? 0 "--allow-missing: the cases both have are gated"
like "$(cat "$TMP/out")" "^note: NEW lacks $((n - 1)) of BASE's $n cases" "still reported, as a note"
"$TH_BIN" compare "$TMP/part.json" "$TMP/a.json" > "$TMP/out" 2>&1
is $? 0 "NEW with more cases than BASE: exit 0"
like "$(cat "$TMP/out")" "^note: NEW has $((n - 1)) cases BASE lacks \(not gated\)" "a note"
for i in 1 2; do
    "$TH_BIN" run -b openssl --shard $i/2 -o "$TMP/s$i.json" scenarios/cert > /dev/null 2>&1
done
"$TH_BIN" compare --allow-missing "$TMP/s1.json" "$TMP/s2.json" > "$TMP/out" 2>&1
is $? 1 "shard 2/2 against shard 1/2: exit 1, even with --allow-missing"
like "$(cat "$TMP/out")" "^incomplete: NEW has none of BASE's" "no case in common, said"
"$TH_BIN" compare "$TMP/a.json" "$TMP/s1.json" > /dev/null 2>&1
is $? 1 "one shard against the whole run: exit 1"

# ---- what the files say reaches the terminal escaped ----
jq '(.cases[0].status) = "fail" | (.cases[0].reason) = "bad status line \u001b]0;pwned\u0007\u001b[2J\nnext"' \
    "$TMP/a.json" > "$TMP/esc.json"
"$TH_BIN" compare "$TMP/a.json" "$TMP/esc.json" > "$TMP/out" 2>&1
is $? 1 "a reason with ESC, BEL and a newline: still a regression"
like "$(cat "$TMP/out")" 'bad status line \\x1b\]0;pwned\\x07\\x1b\[2J\\nnext$' "printed escaped"
ok "$(! grep -q $'\x1b\|\x07' "$TMP/out"; echo $?)" "no ESC or BEL byte on the terminal"
jq '(.cases[0].status) = "pass\u001b[2J"' "$TMP/a.json" > "$TMP/badesc.json"
"$TH_BIN" compare "$TMP/a.json" "$TMP/badesc.json" > /dev/null 2> "$TMP/err"
is $? 2 "a status with ESC: bad input"
ok "$(! grep -q $'\x1b' "$TMP/err"; echo $?)" "its message carries no ESC byte"
is "$(wc -l < "$TMP/err")" 1 "and is one line"
done_testing
