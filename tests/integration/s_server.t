#!/bin/bash
# An external https:// target: a real `openssl s_server` started on loopback.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
P=$TLSHARNESS_PKI

start_s_server() { # CERT ARGS... ; sets PORT
    local cert=$1
    shift
    start_on_port "$TMP/s_server.log" openssl s_server -accept "127.0.0.1:@PORT@" -cert "$P/$cert.pem" \
        -cert_chain "$P/$cert.chain.pem" -key "$P/$cert.key.pem" -www -quiet "$@"
}

target_scenario() { # FILE NAME EXPECT-JSON
    cat > "$1" <<J
{
  "name": "$2",
  "kind": "handshake",
  "clients": ["openssl"],
  "servers": ["https://127.0.0.1:$PORT"],
  "timeout_s": 5,
  "client": { "hostname": "localhost", "ca": "pki:root" },
  "expect": $3
}
J
}

start_s_server rsa2048
ok $? "s_server with the RSA-2048 leaf on port $PORT"
target_scenario "$TMP/ok.json" ext/ok '{ "outcome": "ok", "version": "1.3" }'
"$TH_BIN" run -o "$TMP/r1.json" "$TMP/ok.json" > "$TMP/out" 2>&1
is $? 0 "a handshake and GET against s_server passes"
[ -s "$TMP/r1.json" ] || sed 's/^/#   /' "$TMP/out"
is "$(jq -r '.cases[0].id' "$TMP/r1.json")" "ext/ok/openssl-vs-127.0.0.1:$PORT" "case id names the target"
is "$(jq -r '.cases[0].observed.version' "$TMP/r1.json")" 1.3 "TLS 1.3 negotiated"

start_s_server expired
ok $? "s_server with the expired leaf on port $PORT"
target_scenario "$TMP/exp.json" ext/expired '{ "outcome": "expired" }'
"$TH_BIN" run -o "$TMP/r2.json" "$TMP/exp.json" > "$TMP/out" 2>&1
is $? 0 "the expired certificate is refused as expired"
is "$(jq -r '.cases[0].observed.native.side' "$TMP/r2.json")" client "decided by the client's verification"

start_s_server rsa2048 -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305
ok $? "s_server restricted to TLS 1.2 and one suite on port $PORT"
target_scenario "$TMP/pin.json" ext/pinned \
    '{ "version": "1.2", "cipher": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" }'
"$TH_BIN" run -o "$TMP/r3.json" "$TMP/pin.json" > "$TMP/out" 2>&1
is $? 0 "the server's only suite is negotiated and reported by IANA name"
[ $? -eq 0 ] || sed 's/^/#   /' "$TMP/out"
done_testing
