#!/bin/bash
# A server that accepts and never answers: the case ends as timeout within its
# time limit, and the run goes on to the next case.
. "$(dirname "$0")/lib.sh"
start_hang_server
ok "$([ -n "$HANG_PORT" ]; echo $?)" "hang server listening on $HANG_PORT"
mkdir -p "$TMP/s"
scenario_with_port "$TMP/s/a-hang.json" "$HANG_PORT" <<'J'
{
  "name": "test/hang",
  "kind": "handshake",
  "clients": ["openssl"],
  "servers": ["https://127.0.0.1:@PORT@"],
  "timeout_s": 1,
  "expect": { "outcome": "timeout" }
}
J
cat > "$TMP/s/b-after.json" <<'J'
{ "name": "test/after", "kind": "handshake", "clients": ["openssl"], "servers": ["openssl"] }
J
start=$(date +%s%N)
"$TH_BIN" run -o "$TMP/r.json" "$TMP/s" > "$TMP/out" 2>&1
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 0 "the hung case passes as timeout, the next one passes"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/out"
is "$(jq -r '.cases[0].observed.outcome' "$TMP/r.json")" timeout "observed timeout"
like "$(jq -r '.cases[0].observed.native.text' "$TMP/r.json")" "time limit" "the reason says which limit"
is "$(jq -r '.cases[1].status' "$TMP/r.json")" pass "the run went on to the next case"
ok "$([ "$ms" -lt 5000 ]; echo $?)" "the time limit held ($ms ms for a 1 s limit)"
done_testing
