#!/bin/bash
# The data path on every pair (quick sizes): bulk, integrity, handshake rate and
# memory results everywhere; every AEAD bulk case carries its efficiency; no sample
# counts unverified.
. "$(dirname "$0")/lib.sh"
out=$TMP/d.json
# the backends with a driver-owned data path (both roles); libcurl owns its socket
libs=$("$TH_BIN" backends --json | jq -r '[.[] | select(.roles | index("server")) | .name] | join(",")')
"$TH_BIN" run -b "$libs" --quick -o "$out" scenarios/bulk scenarios/integrity scenarios/handshake-rate scenarios/memory \
    > "$TMP/out.txt" 2>&1
rc=$?
is "$rc" 0 "every data-path case passes or skips with its reason"
[ "$rc" -eq 0 ] || grep -A20 '^Failures' "$TMP/out.txt" | sed 's/^/#   /'
for p in $(jq -r '[.cases[] | "\(.client)-vs-\(.server)"] | unique | .[]' "$out"); do
    for k in bulk integrity handshake_rate memory; do
        n=$(jq --arg p "$p" --arg k "$k" '[.cases[] | select("\(.client)-vs-\(.server)" == $p and .kind == $k and .status == "pass")] | length' "$out")
        ok "$([ "$n" -ge 1 ]; echo $?)" "$p has $k results ($n)"
    done
done
# efficiency divides by the library's own raw AEAD cost (->aead_cost): the shims, out of
# process, have none, so their pairs report none
n=$(jq '[.backends[] | select(.out_of_process) | .name] as $oop | [.cases[] | select(.kind == "bulk" and .status == "pass" and (.scenario | test("cbc") | not)) | select((.client as $c | $oop | index($c)) == null and (.server as $s | $oop | index($s)) == null) | select(.metrics.efficiency == null)] | length' "$out")
is "$n" 0 "every AEAD bulk case of two in-process libraries reports efficiency"
n=$(jq '[.backends[] | select(.out_of_process) | .name] as $oop | [.cases[] | select(.kind == "bulk" and .status == "pass") | select(((.client as $c | $oop | index($c)) != null or (.server as $s | $oop | index($s)) != null) and .metrics.efficiency != null)] | length' "$out")
is "$n" 0 "...and a pair with a shim reports none (no raw AEAD cost of its stack)"
n=$(jq '[.cases[] | select(.kind == "bulk" and .status == "pass" and (.scenario | test("cbc")))] | length' "$out")
ok "$([ "$n" -ge 1 ]; echo $?)" "CBC bulk cases run ($n)"
n=$(jq '[.cases[] | select(.kind == "bulk" and (.scenario | test("cbc"))) | select(.metrics.efficiency != null)] | length' "$out")
is "$n" 0 "and claim no AEAD efficiency"
n=$(jq '[.cases[] | select(.kind == "bulk" and .status == "pass") | .metrics | to_entries[] | select(.value.median <= 0 or .value.n < 1)] | length' "$out")
is "$n" 0 "every metric is positive with its count"
for f in flip-bit drop duplicate reorder; do
    n=$(jq --arg f "integrity/$f" '[.cases[] | select((.scenario | startswith($f)) and .status == "pass" and .observed.outcome == "bad_record_mac")] | length' "$out")
    ok "$([ "$n" -ge 9 ]; echo $?)" "$f refused as bad_record_mac ($n cases)"
done
n=$(jq '[.cases[] | select((.scenario | startswith("integrity/truncate")) and .status == "pass" and .observed.outcome == "truncated")] | length' "$out")
ok "$([ "$n" -ge 9 ]; echo $?)" "truncation reported as truncated ($n cases)"
n=$(jq '[.cases[] | select((.scenario | startswith("integrity/key-update")) and .status == "pass")] | length' "$out")
ok "$([ "$n" -ge 4 ]; echo $?)" "KeyUpdate mid-transfer completes intact ($n cases)"
n=$(jq '[.cases[] | select(.kind == "memory" and .status == "pass") | select(.metrics.bytes_per_connection.median < 1000)] | length' "$out")
is "$n" 0 "a connection holds at least a kilobyte"

# a sample that negotiated something else than pinned does not count
cat > "$TMP/pin.json" <<'J'
{ "name": "test/pinned-wrong", "kind": "bulk", "clients": ["openssl"], "servers": ["openssl"],
  "client": { "versions": ["1.3"], "ciphers": ["TLS_AES_256_GCM_SHA384"] },
  "expect": { "cipher": "TLS_AES_128_GCM_SHA256" }, "bulk": { "bytes": 1048576 } }
J
"$TH_BIN" run -o "$TMP/p.json" "$TMP/pin.json" > /dev/null 2>&1
is $? 1 "a bulk case that negotiates another suite than pinned fails"
like "$(jq -r '.cases[0].reason' "$TMP/p.json")" 'not what the scenario pins' "and says the sample was discarded"
is "$(jq '.cases[0].metrics | length' "$TMP/p.json")" 0 "with no metric recorded"
done_testing
