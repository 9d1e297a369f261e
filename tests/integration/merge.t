#!/bin/bash
# tlsharness merge on real shard results: an interrupted shard makes the merge
# interrupted (and compare then fails it); every case is checked as compare checks
# it (exit 2, FILE:LINE:COL, nothing written); the summary is counted again; a
# missing input or an output that cannot be written is bad usage, said plainly.
. "$(dirname "$0")/lib.sh"
for i in 1 2; do
    "$TH_BIN" run -b openssl --shard $i/2 -o "$TMP/s$i.json" scenarios/cert > /dev/null 2>&1
done
"$TH_BIN" run -b openssl -o "$TMP/full.json" scenarios/cert > /dev/null 2>&1
"$TH_BIN" merge "$TMP/m.json" "$TMP/s1.json" "$TMP/s2.json" > /dev/null 2>&1
is $? 0 "two shards merge"
is "$(jq 'has("interrupted")' "$TMP/m.json")" false "neither interrupted: nor is the merge"
"$TH_BIN" compare "$TMP/full.json" "$TMP/m.json" > /dev/null 2>&1
is $? 0 "compare: the merge against the whole run passes"

# ---- interrupted carries through, and the gate sees it ----
jq '. + {"interrupted": true}' "$TMP/s2.json" > "$TMP/s2i.json"
"$TH_BIN" merge "$TMP/mi.json" "$TMP/s1.json" "$TMP/s2i.json" > /dev/null 2>&1
is $? 0 "a shard that was interrupted merges"
is "$(jq '.interrupted' "$TMP/mi.json")" true "the merge is interrupted"
"$TH_BIN" compare "$TMP/full.json" "$TMP/mi.json" > "$TMP/out" 2>&1
is $? 1 "compare fails the interrupted merge"
like "$(cat "$TMP/out")" '^incomplete: NEW was interrupted' "and says why"

# ---- the summary is counted from the cases ----
jq '.summary = {"total": 99, "pass": 1}' "$TMP/s1.json" > "$TMP/lying.json"
"$TH_BIN" merge "$TMP/mr.json" "$TMP/lying.json" "$TMP/s2.json" > /dev/null 2>&1
is "$(jq '.summary.total' "$TMP/mr.json")" "$(jq '.cases | length' "$TMP/mr.json")" \
    "total: the number of cases"
is "$(jq '[.summary | to_entries[] | select(.key != "total") | .value] | add' "$TMP/mr.json")" \
    "$(jq '.summary.total' "$TMP/mr.json")" "the statuses add up to the total"

# ---- every case checked as compare checks it ----
bad() { # bad JQ-EDIT PATTERN WHAT
    jq "$1" "$TMP/s2.json" > "$TMP/bad.json"
    rm -f "$TMP/out.json"
    "$TH_BIN" merge "$TMP/out.json" "$TMP/s1.json" "$TMP/bad.json" > /dev/null 2> "$TMP/err"
    is $? 2 "$3: exit 2"
    like "$(cat "$TMP/err")" "^$TMP/bad.json:[0-9]+:[0-9]+: $2" "$3: FILE:LINE:COL and why"
    ok "$([ ! -e "$TMP/out.json" ]; echo $?)" "$3: nothing written"
}
bad '.cases[0].status = "exploded"' 'cases\[0\]\.status: unknown status "exploded"' "a status outside the vocabulary"
bad 'del(.cases[1].status)' 'cases\[1\]: missing "status"' "a case without a status"
bad '.cases[0].metrics = {"t": {"median": "fast"}}' 'cases\[0\]\.metrics\.t\.median: expected a number' "a string median"
bad '.cases[0].metrics = {"t": {"median": 1, "n": -1}}' 'cases\[0\]\.metrics\.t\.n: expected a count' "n = -1"
bad '.cases[0].metrics = [1]' 'cases\[0\]\.metrics: expected an object' "metrics as an array"
bad '.interrupted = "yes"' 'interrupted: expected true or false' "interrupted not a boolean"
bad '.cases[0].reason = 5' 'cases\[0\]\.reason: expected a string' "a reason that is a number"

# ---- inputs and the output ----
"$TH_BIN" merge "$TMP/x.json" "$TMP/none.json" > /dev/null 2> "$TMP/err"
is $? 2 "a missing input: exit 2"
is "$(cat "$TMP/err")" "$TMP/none.json: cannot read: No such file or directory" "said plainly"
"$TH_BIN" merge "$TMP/s1.json/out.json" "$TMP/s1.json" > /dev/null 2> "$TMP/err"
is $? 2 "an output under a file: exit 2 (bad usage), not 3"
like "$(cat "$TMP/err")" "s1.json/out.json" "names the output"
mkfifo "$TMP/fifo"
"$TH_BIN" merge "$TMP/fifo" "$TMP/s1.json" > /dev/null 2> "$TMP/err"
is $? 2 "a FIFO as output: exit 2"
ok "$([ -p "$TMP/fifo" ]; echo $?)" "and it is still a FIFO"
done_testing
