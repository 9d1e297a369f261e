#!/bin/bash
# Open-loop load and verified bodies. A server that stalls 100 ms every second
# (tests/tools/stall_server.py): at a fixed rate the stall shows in p99, each request
# timed from when it was due; closed loop, the same server looks fast at p99 (few
# requests are sent during a stall, so few wait). Every body hashed against
# expect_sha256: the right hash passes, a wrong one fails every request and the
# case. Bad --rate and --expect-sha256 values: exit 2 naming the option. Bounded: two
# 3-second runs against the stalling server, a few short ones besides.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"

start_on_port "$TMP/stall.log" python3 "$ROOT/tests/tools/stall_server.py" --pki "$TLSHARNESS_PKI" \
    --port @PORT@ --period 1 --stall 0.1 --seconds 60
ok $? "stalling server listening on $PORT"
SHA=$(python3 -c 'import hashlib; print(hashlib.sha256((b"stall\n" * 200)[:1024]).hexdigest())')
URL="https://localhost:$PORT/"

timeout 60 "$TH_BIN" load --rate 200 -c 4 -d 3 --ca "$TLSHARNESS_PKI/root.pem" --expect-sha256 "$SHA" \
    -o "$TMP/open.json" "$URL" > "$TMP/open.out" 2>&1
is $? 0 "open loop at 200 requests/s: every request verified"
timeout 60 "$TH_BIN" load -c 4 -d 3 --ca "$TLSHARNESS_PKI/root.pem" --expect-sha256 "$SHA" \
    -o "$TMP/closed.json" "$URL" > "$TMP/closed.out" 2>&1
is $? 0 "closed loop: every request verified"
OPEN=$(jq -r '.cases[0].metrics.latency_ms_p99.median' "$TMP/open.json")
CLOSED=$(jq -r '.cases[0].metrics.latency_ms_p99.median' "$TMP/closed.json")
echo "# p99: open loop $OPEN ms, closed loop $CLOSED ms (stall 100 ms every second)"
jq -e '.cases[0].metrics.latency_ms_p99.median | . > 60 and . < 160' "$TMP/open.json" > /dev/null
ok $? "open loop: p99 near the 100 ms stall ($OPEN ms)"
jq -e '.cases[0].metrics.latency_ms_p99.median < 50' "$TMP/closed.json" > /dev/null
ok $? "closed loop hides it: p99 $CLOSED ms"
jq -e '.cases[0].metrics.requests_per_s.median | . > 180 and . < 220' "$TMP/open.json" > /dev/null
ok $? "open loop: the rate asked is the rate run"
is "$(jq -r '.cases[0].load | "\(.mode) \(.rate) \(.body_check) \(.bodies_hashed == .requests)"' \
    "$TMP/open.json")" "open 200 sha256 true" "load block: mode, rate, body check, every body hashed"
is "$(jq -r '.cases[0].load | "\(.mode) \(.rate)"' "$TMP/closed.json")" "closed null" \
    "closed loop: mode closed, rate null"
is "$(jq -r '.cases[0].observed | "\(.version) \(.cipher != null) \(.group)"' "$TMP/open.json")" \
    "1.3 true x25519" "observed: what was negotiated"
is "$(jq -r '.cases[0].load.handshakes_differing' "$TMP/open.json")" 0 \
    "every handshake negotiated what observed says"
jq -e '.cases[0].load.latency_histogram.buckets | map(.[2]) | add' "$TMP/open.json" > /dev/null
ok $? "the histogram holds the requests"
is "$(jq -r '.cases[0].id' "$TMP/open.json")" "load/keepalive-rate/openssl-vs-localhost:$PORT" \
    "an open-loop run is named apart from a closed one"
like "$(cat "$TMP/open.out")" 'open loop at 200 requests/s' "the summary says open loop"
like "$(cat "$TMP/open.out")" 'bodies +[0-9]+ with the SHA-256 asked' "the summary counts hashed bodies"
"$TH_BIN" report -o "$TMP/r.html" "$TMP/open.json" > /dev/null 2>&1
is $? 0 "report reads the open-loop results"
grep -q 'open loop at 200 requests/s</span> <span class="quiet">bodies SHA-256 verified' "$TMP/r.html"
ok $? "the report says open loop and hashed bodies"
"$TH_BIN" merge "$TMP/m.json" "$TMP/open.json" "$TMP/closed.json" > /dev/null 2>&1
ok $? "merge reads both results files"

# a server that ends idle keep-alive connections: an open loop's waiting connection
# is closed under it; the next request opens a new one rather than failing
start_on_port "$TMP/idle.log" python3 "$ROOT/tests/tools/stall_server.py" --pki "$TLSHARNESS_PKI" \
    --port @PORT@ --stall 0 --idle-close 0.2 --seconds 60
ok $? "a server closing connections idle 0.2 s, on $PORT"
timeout 60 "$TH_BIN" load --rate 4 -c 2 -n 8 --ca "$TLSHARNESS_PKI/root.pem" -o "$TMP/idle.json" \
    "https://localhost:$PORT/" > "$TMP/idle.out" 2>&1
is $? 0 "4 requests/s over 2 connections: every request verified"
jq -e '.cases[0].load.connections > 2' "$TMP/idle.json" > /dev/null
ok $? "closed connections were opened again ($(jq .cases[0].load.connections "$TMP/idle.json"))"

# a wrong hash fails every request and the case
BAD=$(printf '%s' "$SHA" | sed 's/^./0/; s/^00/11/')
timeout 60 "$TH_BIN" load -c 2 -n 20 --ca "$TLSHARNESS_PKI/root.pem" --expect-sha256 "$BAD" \
    -o "$TMP/bad.json" "$URL" > "$TMP/bad.out" 2>&1
is $? 1 "a wrong SHA-256 fails the run (exit 1)"
is "$(jq -r '.cases[0].status' "$TMP/bad.json")" fail "status fail"
like "$(jq -r '.cases[0].reason' "$TMP/bad.json")" "has SHA-256 $SHA, expected $BAD" \
    "the reason gives both hashes"

# kind load in a scenario: our server, open loop, /bytes/N hashed as well as compared
PSHA=$("$BUILD_DIR/tools/pattern" 4096 | sha256sum | cut -d' ' -f1)
cat > "$TMP/s.json" << EOF2
{"name": "t/rate", "kind": "load", "clients": ["openssl"], "servers": ["openssl", "gnutls"],
 "load": {"requests": 100, "connections": 4, "path": "/bytes/4096", "rate": 250,
          "expect_sha256": "$PSHA"}, "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/s.res.json" "$TMP/s.json" > "$TMP/s.out" 2>&1
is $? 0 "a scenario at 250 requests/s against our servers"
jq -e '[.cases[] | .load | .mode == "open" and .body_check == "pattern+sha256" and
        .bodies_hashed == 100] | all' "$TMP/s.res.json" > /dev/null
ok $? "both pairs: open loop, 100 bodies hashed and compared"
jq -e '[.cases[] | .load.wall_s > 0.38] | all' "$TMP/s.res.json" > /dev/null
ok $? "paced: 100 requests at 250/s take about 0.4 s"

# bad values name the option, exit 2
for bad in "--rate 0" "--rate abc" "--rate 2000000" "--expect-sha256 xyz" \
    "--expect-sha256 ${SHA}00"; do
    # shellcheck disable=SC2086
    "$TH_BIN" load $bad -n 1 "$URL" > "$TMP/u.out" 2>&1
    rc=$?
    is $rc 2 "load $bad: exit 2"
    like "$(cat "$TMP/u.out")" "${bad%% *}" "load $bad: names the option"
done
done_testing
