#!/bin/bash
# A run split into shards (run --shard I/N) and merged back (merge) covers every
# case exactly once, and the merged file is what compare gates on.
. "$(dirname "$0")/lib.sh"
S="scenarios/cert scenarios/cipher/no-overlap.json"
"$TH_BIN" list -b openssl $S | sort > "$TMP/all"
for i in 1 2 3; do
    "$TH_BIN" run -b openssl --shard $i/3 -o "$TMP/s$i.json" $S > /dev/null 2>&1
    ok $? "shard $i/3 runs"
done
cat <("$TH_BIN" list -b openssl --shard 1/3 $S) <("$TH_BIN" list -b openssl --shard 2/3 $S) \
    <("$TH_BIN" list -b openssl --shard 3/3 $S) | sort > "$TMP/listed"
cmp -s "$TMP/all" "$TMP/listed"
ok $? "the three shards list every case exactly once"
"$TH_BIN" merge "$TMP/m.json" "$TMP/s1.json" "$TMP/s2.json" "$TMP/s3.json" > /dev/null 2>&1
is $? 0 "merge the shards"
jq -r '.cases[].id' "$TMP/m.json" | sort > "$TMP/merged"
cmp -s "$TMP/all" "$TMP/merged"
ok $? "the merged file holds every case once"
is "$(jq '.summary.total' "$TMP/m.json")" "$(wc -l < "$TMP/all")" "its summary counts them all"
"$TH_BIN" run -b openssl -o "$TMP/full.json" $S > /dev/null 2>&1
"$TH_BIN" compare "$TMP/full.json" "$TMP/m.json" > /dev/null 2>&1
is $? 0 "compare: the merged shards against a whole run, no regression"
"$TH_BIN" merge "$TMP/bad.json" "$TMP/s1.json" "$TMP/s1.json" > /dev/null 2> "$TMP/err"
is $? 2 "the same shard twice: exit 2"
like "$(cat "$TMP/err")" "shards overlap" "and says why"
ok "$([ ! -e "$TMP/bad.json" ]; echo $?)" "and writes nothing"
"$TH_BIN" run --shard 4/3 scenarios/cert > /dev/null 2>&1
is $? 2 "--shard 4/3: exit 2"
"$TH_BIN" merge "$TMP/x.json" > /dev/null 2>&1
is $? 2 "merge without inputs: exit 2"
done_testing
