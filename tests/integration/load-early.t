#!/bin/bash
# 0-RTT under load: `load --early-data` against `serve --early-data` (every
# reconnection's GET taken as early data, counted), against a server whose tickets
# allow none (exit 1, saying so), the options' own errors (exit 2), and, where nginx
# is installed, the time to the first byte with and without 0-RTT through a proxy
# adding 10 ms each way (tests/tools/delay_proxy.py): one round trip less.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
CA="$TLSHARNESS_PKI/root.pem"
early="--new-conn --resume ticket --early-data"

start_on_port "$TMP/serve.log" "$TH_BIN" serve -b openssl -p @PORT@ --early-data --seconds 60
ok $? "serve -b openssl --early-data listening on $PORT"
# shellcheck disable=SC2086
"$TH_BIN" load "https://localhost:$PORT/bytes/512" --ca "$CA" -c 2 -n 40 $early -o "$TMP/a.json" > "$TMP/a.out" 2>&1
is $? 0 "load --early-data passes"
like "$(cat "$TMP/a.out")" '0-RTT +38 requests sent early, 38 taken by the server' "the summary counts the early requests"
like "$(cat "$TMP/a.out")" 'connect to first byte [0-9.]+ ms' "... and the time to the first byte"
is "$(jq -r '.cases[0] | "\(.load.early_offered) \(.load.early_accepted) \(.observed.early_data.accepted) \(.metrics.ttfb_ms.n)"' "$TMP/a.json")" \
    "38 38 true 1" "results: the early counts, observed.early_data, ttfb_ms"
is "$(jq -r '.cases[0].scenario' "$TMP/a.json")" "load/new-conn-0rtt" "the case is named for what it did"

start_on_port "$TMP/plain.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 60
# shellcheck disable=SC2086
"$TH_BIN" load "https://localhost:$PORT/" --ca "$CA" -c 1 -n 10 $early -o "$TMP/b.json" > "$TMP/b.out" 2>&1
is $? 1 "negative: tickets allowing no early data fail the run"
like "$(cat "$TMP/b.out")" 'no early data sent: the session allows none' "... saying why"

"$TH_BIN" load "https://localhost:$PORT/" --early-data -n 5 > "$TMP/c.out" 2>&1
is $? 2 "negative: --early-data without --new-conn --resume ticket"
like "$(cat "$TMP/c.out")" 'needs --new-conn --resume ticket' "... naming what it needs"
# shellcheck disable=SC2086
"$TH_BIN" load "https://localhost:$PORT/" $early --h2 -n 5 > "$TMP/d.out" 2>&1
is $? 2 "negative: --early-data with --h2"
# shellcheck disable=SC2086
"$TH_BIN" load "https://localhost:$PORT/" $early --versions 1.2 -n 5 > "$TMP/e.out" 2>&1
is $? 2 "negative: --early-data with TLS 1.2 only"
like "$(cat "$TMP/e.out")" 'needs TLS 1.3' "... saying TLS 1.3"
"$TH_BIN" serve -b mbedtls -p 1 --early-data > "$TMP/f.out" 2>&1
is $? 2 "negative: serve --early-data on a backend without it"
like "$(cat "$TMP/f.out")" "cannot take TLS 1.3 early data" "... saying so"
"$TH_BIN" fixture lighttpd-openssl --early-data > "$TMP/g.out" 2>&1
is $? 2 "negative: fixture --early-data on a server without it"
like "$(cat "$TMP/g.out")" "cannot take early data" "... in the fixture's own words"

if command -v nginx > /dev/null 2>&1; then
    "$TH_BIN" fixture nginx --early-data --seconds 60 > "$TMP/fx.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do grep -q serving "$TMP/fx.out" && break; sleep 0.1; done
    NPORT=$(grep -o '127.0.0.1:[0-9]*' "$TMP/fx.out" | cut -d: -f2)
    python3 tests/tools/delay_proxy.py 0 "$NPORT" 10 60 > "$TMP/proxy.out" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do grep -q listening "$TMP/proxy.out" && break; sleep 0.1; done
    PPORT=$(awk '{print $2}' "$TMP/proxy.out")
    for e in "" "--early-data"; do
        # shellcheck disable=SC2086
        "$TH_BIN" load "https://localhost:$PPORT/bytes/1024" --ca "$CA" -c 2 -n 30 --new-conn --resume ticket $e -o "$TMP/n$e.json" > /dev/null 2>&1
        is $? 0 "nginx through a 20 ms round trip${e:+, $e}: passes"
    done
    one=$(jq '.cases[0].metrics.ttfb_ms.median' "$TMP/n.json")
    zero=$(jq '.cases[0].metrics.ttfb_ms.median' "$TMP/n--early-data.json")
    awk -v a="$one" -v b="$zero" 'BEGIN { exit !(a >= 40 && b < a - 12) }'
    ok $? "0-RTT saves a round trip of the time to the first byte (1-RTT $one ms, 0-RTT $zero ms)"
else
    echo "# nginx not installed: the round trip saved not measured"
fi
done_testing
