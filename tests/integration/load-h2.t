#!/bin/bash
# Kind load over HTTP/2 (ALPN h2, streams per connection): against our own servers,
# `tlsharness serve` as an external target (also checked by curl and h2load, which
# speak h2 to it), the nginx and caddy fixtures, and `tlsharness load --h2`; then
# failures: a wrong SHA-256, a server without h2, -m without --h2.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"

cat > "$TMP/h2.json" << 'EOF2'
{"name": "t/h2", "kind": "load", "clients": ["openssl", "gnutls"], "servers": ["openssl", "gnutls", "mbedtls"],
 "load": {"requests": 400, "connections": 2, "path": "/bytes/4096", "protocol": "h2", "streams": 8},
 "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/h2.res.json" "$TMP/h2.json" > "$TMP/h2.out" 2>&1
is $? 0 "h2 load against our servers passes"
is "$(jq '[.cases[] | select(.status == "pass")] | length' "$TMP/h2.res.json")" 6 "six pairs pass"
is "$(jq -r '[.cases[].observed.alpn] | unique | join(",")' "$TMP/h2.res.json")" h2 \
    "every case negotiated ALPN h2"
is "$(jq -r '[.cases[].load.requests] | unique | join(",")' "$TMP/h2.res.json")" 400 \
    "400 verified requests each"

is "$(jq -r '[.cases[].load | "\(.protocol) \(.streams)"] | unique | join(",")' "$TMP/h2.res.json")" \
    "h2 8" "the load blocks say protocol h2, 8 streams"
# the results reader takes what the writer wrote, and refuses a protocol it does not know
"$TH_BIN" compare "$TMP/h2.res.json" "$TMP/h2.res.json" > "$TMP/cmp.out" 2>&1
is $? 0 "compare reads the h2 results back"
jq '.cases[0].load.protocol = "h3"' "$TMP/h2.res.json" > "$TMP/h3.res.json"
"$TH_BIN" compare "$TMP/h2.res.json" "$TMP/h3.res.json" > "$TMP/cmp3.out" 2>&1
is $? 2 "a load.protocol other than http/1.1 or h2 is refused (exit 2)"
like "$(cat "$TMP/cmp3.out")" 'protocol.*expected "http/1.1" or "h2"' "  naming the member"

# `serve` answers h2 to any client that asks for it, HTTP/1.1 to the others
start_on_port "$TMP/serve.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 60
ok $? "serve -b openssl listening on $PORT"
cat > "$TMP/ext.json" << EOF2
{"name": "t/ext", "kind": "load", "clients": ["openssl"], "servers": ["https://127.0.0.1:$PORT"],
 "client": {"ca": "$TLSHARNESS_PKI/root.pem"},
 "load": {"requests": 300, "connections": 3, "path": "/bytes/65536", "protocol": "h2", "streams": 4},
 "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/ext.res.json" "$TMP/ext.json" > "$TMP/ext.out" 2>&1
is $? 0 "h2 load against serve as an external target"
is "$(jq -r '.cases[0].observed.alpn' "$TMP/ext.res.json")" h2 "  over ALPN h2"
if curl --version 2> /dev/null | grep -q HTTP2; then
    out=$(curl -s --http2 --cacert "$TLSHARNESS_PKI/root.pem" --resolve "localhost:$PORT:127.0.0.1" \
        -w '%{http_version} %{http_code} %{size_download}' -o /dev/null "https://localhost:$PORT/bytes/100000")
    is "$out" "2 200 100000" "curl --http2 gets 100000 bytes from serve over HTTP/2"
    out=$(curl -s --http1.1 --cacert "$TLSHARNESS_PKI/root.pem" --resolve "localhost:$PORT:127.0.0.1" \
        -w '%{http_version} %{http_code}' -o /dev/null "https://localhost:$PORT/")
    is "$out" "1.1 200" "curl --http1.1 still gets HTTP/1.1"
else
    echo "ok $((++T_N)) # skip curl without HTTP/2"
    echo "ok $((++T_N)) # skip curl without HTTP/2"
fi
if command -v h2load > /dev/null; then
    h2load -n 200 -c 2 -m 4 "https://127.0.0.1:$PORT/bytes/1000" > "$TMP/h2load.out" 2>&1
    like "$(cat "$TMP/h2load.out")" '200 succeeded, 0 failed' "h2load: 200 requests to serve succeed"
else
    echo "ok $((++T_N)) # skip h2load not installed (apt-get install nghttp2-client)"
fi

# the fixtures that speak h2
for fx in nginx caddy; do
    if command -v "$fx" > /dev/null; then
        cat > "$TMP/fx-$fx.json" << EOF2
{"name": "t/fx", "kind": "load", "clients": ["openssl"], "servers": ["fixture:$fx"],
 "server": {"alpn": ["h2", "http/1.1"]},
 "load": {"requests": 500, "connections": 2, "path": "/bytes/1024", "protocol": "h2", "streams": 10},
 "repeat": 1}
EOF2
        "$TH_BIN" run -o "$TMP/fx-$fx.res.json" "$TMP/fx-$fx.json" > "$TMP/fx-$fx.out" 2>&1
        is $? 0 "h2 load against the $fx fixture passes"
        is "$(jq -r '.cases[0].observed.alpn' "$TMP/fx-$fx.res.json")" h2 "  $fx negotiated h2"
    else
        echo "ok $((++T_N)) # skip $fx not installed"
        echo "ok $((++T_N)) # skip $fx not installed"
    fi
done

# the one-line command
"$TH_BIN" load --h2 -m 5 -c 2 -n 200 --ca "$TLSHARNESS_PKI/root.pem" --servername localhost \
    -o "$TMP/cmd.res.json" "https://127.0.0.1:$PORT/bytes/2048" > "$TMP/cmd.out" 2>&1
is $? 0 "tlsharness load --h2 -m 5 against serve"
is "$(jq -r '.cases[0].id | split("/")[0:2] | join("/")' "$TMP/cmd.res.json")" load/h2 \
    "  its case is named load/h2"
"$TH_BIN" load -m 5 -n 10 -k "https://127.0.0.1:$PORT/" > "$TMP/m.out" 2>&1
is $? 2 "-m without --h2 is exit 2"
like "$(cat "$TMP/m.out")" '-m 5: more than one stream per connection needs --h2' "  naming the option"

# failures: a wrong SHA-256 fails every request and the case
cat > "$TMP/sha.json" << 'EOF2'
{"name": "t/sha", "kind": "load", "clients": ["openssl"], "servers": ["openssl"],
 "load": {"requests": 20, "connections": 1, "path": "/bytes/10", "protocol": "h2", "streams": 2,
          "expect_sha256": "0000000000000000000000000000000000000000000000000000000000000000"},
 "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/sha.res.json" "$TMP/sha.json" > "$TMP/sha.out" 2>&1
is $? 1 "a wrong SHA-256 fails the h2 case (exit 1)"
like "$(jq -r '.cases[0].reason' "$TMP/sha.res.json")" 'has SHA-256 .*expected 00000000' "  saying why"

# a server that takes http/1.1 only: no h2, every connection fails
cat > "$TMP/noh2.json" << 'EOF2'
{"name": "t/noh2", "kind": "load", "clients": ["openssl"], "servers": ["openssl"],
 "server": {"alpn": ["http/1.1"]},
 "load": {"requests": 10, "connections": 1, "protocol": "h2"}, "repeat": 1}
EOF2
"$TH_BIN" run -o "$TMP/noh2.res.json" "$TMP/noh2.json" > "$TMP/noh2.out" 2>&1
is $? 1 "a server without h2 fails the h2 case"
like "$(jq -r '.cases[0].reason' "$TMP/noh2.res.json")" 'ALPN negotiated|no_application_protocol' \
    "  saying why: $(jq -r '.cases[0].reason' "$TMP/noh2.res.json" | cut -c1-120)"
done_testing
