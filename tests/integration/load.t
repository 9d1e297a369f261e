#!/bin/bash
# Kind load through the command line: against our own servers, `tlsharness serve`
# as an external target, and a fixture; what the results file says; and failures
# counted by class, with the case failing.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"

cat > "$TMP/ka.json" << 'EOF2'
{"name": "t/ka", "kind": "load", "clients": ["openssl", "gnutls"], "servers": ["openssl", "mbedtls"],
 "load": {"requests": 300, "connections": 4, "path": "/bytes/16384"}, "repeat": 2}
EOF2
"$TH_BIN" run -o "$TMP/ka.res.json" "$TMP/ka.json" > "$TMP/ka.out" 2>&1
is $? 0 "keep-alive load against our servers passes"
is "$(jq '[.cases[] | select(.status == "pass")] | length' "$TMP/ka.res.json")" 4 "four pairs pass"
is "$(jq -r '.cases[0].metrics.requests_per_s.n' "$TMP/ka.res.json")" 2 "two repetitions"
for m in requests_per_s connections_per_s latency_ms_p50 latency_ms_p90 latency_ms_p99 \
    latency_ms_max connect_ms tls_ms first_byte_ms client_us_per_request throughput_mib_s; do
    v=$(jq -r ".cases[0].metrics.$m.median" "$TMP/ka.res.json")
    like "$v" '^[0-9.e+-]+$' "metric $m is a number ($v)"
done
is "$(jq -r '.cases[0].metrics.requests_per_s.unit' "$TMP/ka.res.json")" "1/s" "unit of requests_per_s"
is "$(jq -r '.cases[0].errors // "none"' "$TMP/ka.res.json")" none "no errors recorded"
# the body throughput agrees with the request rate and the body size
jq -e '.cases[0].metrics as $m | ($m.throughput_mib_s.median * 1048576 / 16384) as $r |
       ($r / $m.requests_per_s.median) > 0.5 and ($r / $m.requests_per_s.median) < 2' \
    "$TMP/ka.res.json" > /dev/null
ok $? "throughput_mib_s matches requests_per_s x 16 KiB"

# new connections, resumed: every reconnection must resume
cat > "$TMP/nc.json" << 'EOF2'
{"name": "t/nc", "kind": "load", "clients": ["openssl"], "servers": ["openssl", "gnutls"],
 "load": {"requests": 200, "connections": 4, "new_connection_per_request": true},
 "variants": [{"name": "full"}, {"name": "ticket", "load": {"resume": "ticket"}}], "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/nc.res.json" "$TMP/nc.json" > "$TMP/nc.out" 2>&1
is $? 0 "new connection per request, full and resumed"
jq -e '[.cases[] | .metrics.connections_per_s.median / .metrics.requests_per_s.median] |
       all(. > 0.99 and . < 1.01)' "$TMP/nc.res.json" > /dev/null
ok $? "one handshake per request"

# against `serve` as an external target: the CA file given by path
start_on_port "$TMP/serve.log" "$TH_BIN" serve -b gnutls -p @PORT@ --seconds 60
ok $? "serve -b gnutls listening on $PORT"
cat > "$TMP/ext.json" << EOF2
{"name": "t/ext", "kind": "load", "clients": ["openssl", "mbedtls"], "servers": ["https://127.0.0.1:$PORT"],
 "client": {"ca": "$TLSHARNESS_PKI/root.pem"},
 "load": {"requests": 500, "connections": 8, "path": "/bytes/65536"}, "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/ext.res.json" "$TMP/ext.json" > "$TMP/ext.out" 2>&1
is $? 0 "load against serve as an external target"
is "$(jq '[.cases[] | select(.status == "pass")] | length' "$TMP/ext.res.json")" 2 "both clients pass"

# a fixture, when nginx is installed
if command -v nginx > /dev/null; then
    cat > "$TMP/fx.json" << 'EOF2'
{"name": "t/fx", "kind": "load", "clients": ["openssl"], "servers": ["fixture:nginx"],
 "load": {"requests": 300, "connections": 4, "path": "/bytes/1048576"}, "repeat": 1}
EOF2
    "$TH_BIN" run -o "$TMP/fx.res.json" "$TMP/fx.json" > "$TMP/fx.out" 2>&1
    is $? 0 "load against the nginx fixture (1 MiB bodies checked)"
    jq -e '.cases[0].metrics.throughput_mib_s.median > 1' "$TMP/fx.res.json" > /dev/null
    ok $? "nginx fixture: bulk MiB/s measured"
else
    echo "ok $((++T_N)) # skip nginx not installed (apt-get install nginx-light)"
    echo "ok $((++T_N)) # skip nginx not installed"
fi

# failures: a version the server will not negotiate, every handshake refused
cat > "$TMP/bad.json" << 'EOF2'
{"name": "t/bad", "kind": "load", "clients": ["openssl"], "servers": ["openssl"],
 "client": {"versions": ["1.3"]}, "server": {"versions": ["1.2"]},
 "load": {"requests": 20, "connections": 2}, "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/bad.res.json" "$TMP/bad.json" > "$TMP/bad.out" 2>&1
is $? 1 "refused handshakes fail the case (exit 1)"
is "$(jq -r '.cases[0].status' "$TMP/bad.res.json")" fail "status fail"
like "$(jq -r '.cases[0].errors | keys | join(",")' "$TMP/bad.res.json")" 'protocol_version|handshake_failure' \
    "errors by class"
like "$(jq -r '.cases[0].reason' "$TMP/bad.res.json")" 'failed request\(s\) beside 0 verified.*first: ' \
    "the reason counts failures and quotes the first"

# a pinned version the connection does not negotiate: verified, counted as errors
cat > "$TMP/pin.json" << 'EOF2'
{"name": "t/pin", "kind": "load", "clients": ["openssl"], "servers": ["openssl"],
 "expect": {"version": "1.2"},
 "load": {"requests": 20, "connections": 2}, "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/pin.res.json" "$TMP/pin.json" > "$TMP/pin.out" 2>&1
is $? 1 "a handshake that negotiated other than pinned fails the case"
like "$(jq -r '.cases[0].reason' "$TMP/pin.res.json")" 'negotiated' "the reason says what was negotiated"

# nothing listening: io_error, and the run still ends
cat > "$TMP/closed.json" << 'EOF2'
{"name": "t/closed", "kind": "load", "clients": ["openssl"], "servers": ["https://127.0.0.1:9"],
 "timeout_s": 2, "load": {"seconds": 0.5, "connections": 2}, "repeat": 1}
EOF2
timeout 60 "$TH_BIN" run -o "$TMP/closed.res.json" "$TMP/closed.json" > "$TMP/closed.out" 2>&1
is $? 1 "a closed port fails the case"
like "$(jq -r '.cases[0].errors | keys | join(",")' "$TMP/closed.res.json")" 'io_error' "io_error counted"

# --quick scales the requests down
"$TH_BIN" run --quick -o "$TMP/q.res.json" "$TMP/ka.json" > /dev/null 2>&1
is $? 0 "--quick load run"
done_testing
