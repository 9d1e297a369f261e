#!/bin/bash
# `tlsharness load URL`: the one-line load run against `tlsharness serve`: counts,
# the summary's lines, the results file (read with jq, and by compare), resumption
# verified, bodies checked, and exit statuses: 0 all verified, 1 failures or an
# unreachable target (the outcome named), 2 bad usage (the reason named).
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
CA="$TLSHARNESS_PKI/root.pem"

start_on_port "$TMP/serve.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 20
ok $? "serve -b openssl listening on $PORT"
URL="https://127.0.0.1:$PORT"

# keep-alive, by count
"$TH_BIN" load "$URL/" -n 200 -c 4 --ca "$CA" -o "$TMP/a.json" > "$TMP/a.out" 2> "$TMP/a.err"
is $? 0 "-n 200 -c 4: exit 0"
OUT=$(cat "$TMP/a.out")
like "$OUT" "^requests +200 verified in [0-9.]+ s, [0-9.]+ requests/s" "200 requests verified"
like "$OUT" "^failed +none" "none failed"
like "$OUT" "^TLS +TLS 1\.3, TLS_[A-Z0-9_]+, group [a-z0-9]+" "version, suite and group negotiated"
like "$OUT" "^certificate +verified against $CA, name 127.0.0.1" "the certificate verified, and how"
like "$OUT" "^handshakes +4 verified \([0-9.]+/s\), 0 resumed" "4 full handshakes"
like "$OUT" "^latency +p50 [0-9.]+ +p90 [0-9.]+ +p99 [0-9.]+ +p99\.9 [0-9.]+ +p99\.99 [0-9.]+ +max [0-9.]+ ms" \
    "latency percentiles"
like "$OUT" "^phases +connect [0-9.]+ +TLS [0-9.]+ +first byte [0-9.]+ ms" "connect, TLS and first-byte times"
like "$OUT" "^client CPU +[0-9.]+ us per request" "client CPU per request"
like "$OUT" "\|#+ *\| +[0-9]+ +[0-9.]+% +100\.00%" "a latency histogram reaching 100%"
like "$OUT" "^verdict +pass" "verdict pass"
like "$OUT" "^results +$TMP/a.json" "says where the results are"
is "$(jq -r '.schema' "$TMP/a.json")" "tlsharness.results/1" "a results file"
is "$(jq -r '.cases | length' "$TMP/a.json")" 1 "one case"
is "$(jq -r '.cases[0].kind' "$TMP/a.json")" load "kind load"
is "$(jq -r '.cases[0].status' "$TMP/a.json")" pass "status pass"
is "$(jq -r '.cases[0].id' "$TMP/a.json")" "load/keepalive/openssl-vs-127.0.0.1:$PORT" "the case id"
is "$(jq -r '.cases[0].load.requests' "$TMP/a.json")" 200 "load.requests 200"
is "$(jq -r '[.cases[0].load.latency_histogram.buckets[][2]] | add' "$TMP/a.json")" 200 \
    "the histogram counts every request once"
for m in requests_per_s latency_ms_p99 latency_ms_p99_9 connect_ms tls_ms first_byte_ms \
    client_us_per_request; do
    like "$(jq -r ".cases[0].metrics.$m.median" "$TMP/a.json")" '^[0-9.e+-]+$' "metric $m is a number"
done
is "$(jq -r '.cases[0].observed.version' "$TMP/a.json")" "1.3" "observed.version"
like "$(jq -r '.cases[0].observed.cipher' "$TMP/a.json")" '^TLS_' "observed.cipher"

# new connections resumed by ticket: every reconnection verified to resume
"$TH_BIN" load "$URL/" -n 200 -c 4 --new-conn --resume ticket --ca "$CA" -o "$TMP/t.json" > "$TMP/t.out" 2>&1
is $? 0 "--new-conn --resume ticket: exit 0"
like "$(cat "$TMP/t.out")" "^handshakes +200 verified .*, 196 resumed" "196 of 200 handshakes resumed (4 full)"
is "$(jq -r '.cases[0].load.resumed' "$TMP/t.json")" 196 "load.resumed in the results"
is "$(jq -r '.cases[0].id' "$TMP/t.json")" "load/new-conn-ticket/openssl-vs-127.0.0.1:$PORT" \
    "the id says how it loaded"

# by session ID: TLS 1.2, no ticket offered, every reconnection resumed from the cache
"$TH_BIN" load "$URL/" -n 100 -c 2 --new-conn --resume session_id --ca "$CA" -o "$TMP/s.json" > "$TMP/s.out" 2>&1
is $? 0 "--resume session_id: exit 0"
like "$(cat "$TMP/s.out")" "^TLS +TLS 1\.2, " "TLS 1.2, where session IDs resume"
like "$(cat "$TMP/s.out")" "^handshakes +100 verified .*, 98 resumed" "98 of 100 resumed by session ID"

# bodies checked byte for byte, by time
"$TH_BIN" load "$URL/bytes/16384" -d 1 -c 2 --ca "$CA" -o "$TMP/b.json" > "$TMP/b.out" 2>&1
is $? 0 "/bytes/16384 for 1 s: exit 0"
jq -e '.cases[0].load.requests > 0 and .cases[0].load.body_bytes == .cases[0].load.requests * 16384' \
    "$TMP/b.json" > /dev/null
ok $? "every body checked: body_bytes = requests x 16384"
like "$(cat "$TMP/b.out")" "^settings +2 connections, 1 s, keep-alive" "by time"

# compare reads two such files
"$TH_BIN" compare "$TMP/a.json" "$TMP/a.json" > "$TMP/c.out" 2>&1
is $? 0 "compare of a load result with itself: exit 0"
"$TH_BIN" load "$URL/" -n 200 -c 4 --ca "$CA" -o "$TMP/a2.json" > /dev/null 2>&1
ok $? "a second run"
"$TH_BIN" compare --json "$TMP/a.json" "$TMP/a2.json" > "$TMP/c.json" 2> "$TMP/c.err"
rc=$?
ok $((rc > 1)) "compare of two load runs: exit 0 or 1 ($rc)"
is "$(jq -r '[.metrics[] | select(.metric == "requests_per_s")] | length' "$TMP/c.json")" 1 \
    "the runs' requests_per_s compared"

# the system's CAs do not know the test PKI: unknown_ca, counted and named
"$TH_BIN" load "$URL/" -n 20 -c 2 -o "$TMP/u.json" > "$TMP/u.out" 2> "$TMP/u.err"
is $? 1 "no --ca against a test certificate: exit 1"
like "$(cat "$TMP/u.out")" "^failed +[0-9]+: [0-9]+ unknown_ca" "unknown_ca counted"
like "$(cat "$TMP/u.err")" "unknown_ca" "and named on stderr"
"$TH_BIN" load "$URL/" -n 20 -c 2 -k -o "$TMP/k.json" > "$TMP/k.out" 2>&1
is $? 0 "--insecure: exit 0"
like "$(cat "$TMP/k.out")" "^certificate +not verified" "and says the certificate was not verified"

kill "$SPID" 2> /dev/null
wait "$SPID" 2> /dev/null

# nothing listening: exit 1, the outcome named
for _ in $(seq 20); do
    CLOSED=$((20000 + RANDOM % 30000))
    (exec 3<> "/dev/tcp/127.0.0.1/$CLOSED") 2> /dev/null || break
done
timeout 60 "$TH_BIN" load "https://127.0.0.1:$CLOSED/" -n 200 -c 4 --ca "$CA" -o "$TMP/x.json" > "$TMP/x.out" 2> "$TMP/x.err"
is $? 1 "nothing listening: exit 1"
like "$(cat "$TMP/x.err")" "io_error" "io_error named on stderr"
like "$(cat "$TMP/x.out")" "^first error +io_error: connect to 127.0.0.1:$CLOSED: Connection refused" \
    "the first failure in the system's words"
is "$(jq -r '.cases[0].status' "$TMP/x.json")" fail "the results file says fail"

# bad usage: exit 2 with the reason, nothing written
usage() { # WANT-PATTERN DESCRIPTION ARGS...
    local pat=$1 what=$2
    shift 2
    "$TH_BIN" load "$@" -o "$TMP/never.json" > "$TMP/u2.out" 2> "$TMP/u2.err"
    is $? 2 "$what: exit 2"
    like "$(cat "$TMP/u2.err")" "$pat" "$what: the reason"
}
usage "not an https:// URL" "http:// URL" "http://127.0.0.1:$PORT/"
usage "URL 'https://127.0.0.1:99999/'.*port" "a bad port" "https://127.0.0.1:99999/"
usage "needs a URL" "no URL"
usage "-c: '0' is not a whole number from 1 to 10000" "-c 0" "$URL/" -c 0
usage "-c: '10001'" "-c 10001" "$URL/" -c 10001
usage "-n: 'abc' is not a whole number from 1 to 1000000000" "-n abc" "$URL/" -n abc
usage "-n: '1000000001'" "-n over 10^9" "$URL/" -n 1000000001
usage "-d: '3601' is not a duration" "-d over an hour" "$URL/" -d 3601
usage "-d: '-1'" "-d -1" "$URL/" -d -1
usage "give -d SECONDS or -n REQUESTS, not both" "-d and -n" "$URL/" -d 1 -n 10
usage "--resume: 'sometimes'" "--resume sometimes" "$URL/" --resume sometimes
usage "session IDs are TLS 1.2's" "--resume session_id with TLS 1.3" "$URL/" --resume session_id --versions 1.3
usage "-b: unknown backend 'nosuch'" "an unknown backend, named" "$URL/" -b nosuch
usage "-b curl-openssl: curl-openssl owns its socket" "a client the load engine cannot drive" "$URL/" -b curl-openssl
usage "--versions: .*1\.9" "an unknown version" "$URL/" --versions 1.9
usage "--ca: cannot read" "an unreadable --ca" "$URL/" --ca "$TMP/nosuch.pem"
usage "unknown option '--nosuch'|--nosuch" "an unknown option" "$URL/" --nosuch
ok $([ ! -e "$TMP/never.json" ]; echo $?) "no results file written on bad usage"

"$TH_BIN" load --help > "$TMP/h.out" 2>&1
is $? 0 "--help: exit 0"
like "$(cat "$TMP/h.out")" "usage: tlsharness load URL" "--help: the usage"
like "$(cat "$TMP/h.out")" "--new-conn" "--help: the options"

done_testing
