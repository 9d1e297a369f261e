#!/bin/bash
# `tlsharness probe URL`: against `openssl s_server` configured with known versions
# and suite lists (the probe must find exactly those, in the server's order when it
# enforces one), against `tlsharness serve -b gnutls`, and with bad input.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
P=$TLSHARNESS_PKI

. "$(dirname "$0")/probe_lib.sh"
openssl_field() { # CERT-FILE FIELD: the certificate's subject or issuer as RFC 2253
    openssl x509 -in "$1" -noout "-$2" -nameopt RFC2253 | sed "s/^$2=//"
}
# Every compiled-in backend with the client role: each must give a verdict.
CLIENTS=$("$TH_BIN" backends --json | jq -r '[.[] | select(.roles | index("client")) | .name] | join(",")')

# ---- a server that enforces its order ----
L12='ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA'
L13='TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256'
W12='TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA'
W13='TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256'
start_s_server rsa2048 -cipher "$L12" -ciphersuites "$L13" -serverpref
ok $? "s_server with two known suite lists and -serverpref on port $PORT"
probe_json "$TMP/pref.json" --ca "$P/root.pem" "https://127.0.0.1:$PORT/"
R=$TMP/pref.json
is $RC 0 "probe exits 0"
is "$(j .schema $R)" "tlsharness.probe/1" "schema"
is "$(j '.suites["1.2"] | join(",")' $R)" "$W12" "TLS 1.2: exactly the server's suites, in its order"
is "$(j '.suites["1.3"] | join(",")' $R)" "$W13" "TLS 1.3: exactly the server's suites, in its order"
is "$(j '.server_order["1.2"] + " " + .server_order["1.3"]' $R)" "enforced enforced" "server order enforced on both"
is "$(j '[.versions["1.0","1.1","1.2","1.3"]] | map(tostring) | join(",")' $R)" "false,false,true,true" \
    "versions: 1.2 and 1.3 accepted, 1.0 and 1.1 refused"
like "$(j '.version_refusals["1.0"].text' $R)" '.' "a refused version keeps the library's text"
is "$(j '.tls.version + " " + .tls.suite + " " + .tls.group' $R)" "1.3 TLS_AES_256_GCM_SHA384 x25519" \
    "the timed handshake: version, suite (IANA), group"
is "$(j '.tls.key_exchange + " / " + .tls.signature' $R)" "TLS 1.3 ECDHE / rsa_pss_rsae_sha256" \
    "key exchange kind and the server's signature scheme"
is "$(j '[.connect_ms, .tls.handshake_ms, .first_byte_ms] | map(type == "number" and . > 0) | all' $R)" true \
    "connect, handshake and first byte timed"
is "$(j .status_line $R)" "HTTP/1.0 200 ok" "the status line of the answer to GET /"
is "$(j '.chain | length' $R)" 2 "the chain as sent: leaf and intermediate"
is "$(j '.chain[0].subject' $R)" "$(openssl_field "$P/rsa2048.pem" subject)" "leaf subject as the PKI made it"
is "$(j '.chain[0].issuer' $R)" "$(openssl_field "$P/rsa2048.pem" issuer)" "leaf issuer"
is "$(j '.chain[1].subject' $R)" "$(openssl_field "$P/intermediate.pem" subject)" "intermediate subject"
is "$(j '.chain[0].sans | join(",")' $R)" "DNS:localhost,IP:127.0.0.1,IP:::1" "leaf SANs"
is "$(j '.chain[0].key_type + " " + (.chain[0].key_bits | tostring)' $R)" "RSA 2048" "leaf key"
is "$(j '.chain[0].not_after' $R)" \
    "$(date -u -d "$(openssl x509 -in "$P/rsa2048.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
    "leaf not_after"
is "$(j '.chain[0].valid_now' $R)" true "the leaf is valid now"
is "$(j '[.verification[].backend] | join(",")' $R)" "$CLIENTS" "a verdict from every client backend"
is "$(j '[.verification[].outcome] | unique | join(",")' $R)" ok "with --ca root.pem: ok for each"
is "$(j '.groups["1.3"] | index("x25519") != null' $R)" true "x25519 among the TLS 1.3 groups"

probe_json "$TMP/nosni.json" "https://127.0.0.1:$PORT/"
is "$(j '[.verification[].outcome] | unique | join(",")' "$TMP/nosni.json")" unknown_ca \
    "against the system bundle: unknown_ca for each"
is "$(j .ca "$TMP/nosni.json")" /etc/ssl/certs/ca-certificates.crt "the system bundle by default"
is $RC 0 "an untrusted chain is a finding, not a failed probe: exit 0"
probe_json "$TMP/wrong.json" --ca "$P/root.pem" --servername wrong.example "https://127.0.0.1:$PORT/"
is "$(j '.name_checked + " " + .sni' "$TMP/wrong.json")" "wrong.example wrong.example" \
    "--servername is checked and sent as SNI"
DRIVERS='["openssl","gnutls","mbedtls"]'
is "$(j "[.verification[] | select(.backend as \$b | $DRIVERS | index(\$b)) | .outcome] | unique | join(\",\")" \
    "$TMP/wrong.json")" hostname_mismatch "--servername wrong.example: hostname_mismatch for each library backend"
# libcurl checks the name itself after OpenSSL's check: curl-openssl's verdict reads as
# handshake_failure ("no alternative certificate subject name matches"); a refusal all the same
is "$(j '[.verification[].outcome | select(. == "ok")] | length' "$TMP/wrong.json")" 0 \
    "--servername wrong.example: no backend accepts"

# ---- the same lists, the client's order ----
start_s_server rsa2048 -cipher "$L12" -ciphersuites "$L13"
ok $? "the same s_server without -serverpref on port $PORT"
probe_json "$TMP/client.json" --ca "$P/root.pem" "https://localhost:$PORT"
R=$TMP/client.json
is "$(j '.suites["1.2"] | sort | join(",")' $R)" "$(tr , '\n' <<< "$W12" | sort | paste -sd,)" \
    "TLS 1.2: exactly the server's suites"
is "$(j '.suites["1.3"] | sort | join(",")' $R)" "$(tr , '\n' <<< "$W13" | sort | paste -sd,)" \
    "TLS 1.3: exactly the server's suites"
is "$(j '.server_order["1.2"] + " " + .server_order["1.3"]' $R)" "client client" "server follows the client's order"
is "$(j '.sni' $R)" localhost "a DNS name is sent as SNI"

# ---- versions ----
start_s_server rsa2048 -tls1_2 -cipher 'ECDHE-RSA-CHACHA20-POLY1305'
ok $? "s_server with TLS 1.2 and one suite only on port $PORT"
probe_json "$TMP/v12.json" --ca "$P/root.pem" "https://127.0.0.1:$PORT"
R=$TMP/v12.json
is "$(j '[.versions["1.0","1.1","1.2","1.3"]] | map(tostring) | join(",")' $R)" "false,false,true,false" \
    "-tls1_2: only 1.2 accepted"
is "$(j '.version_refusals["1.3"].outcome' $R)" protocol_version "1.3 refused as protocol_version"
is "$(j '.suites | keys | join(",")' $R)" "1.2" "suites listed for 1.2 only"
is "$(j '.suites["1.2"] | join(",")' $R)" TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 "the one suite"
is "$(j '.server_order["1.2"]' $R)" "n/a" "one suite: server order n/a"
is "$(j '.tls.key_exchange' $R)" ECDHE "TLS 1.2 ECDHE"
is "$(j '.groups | keys | join(",")' $R)" 1.2 "no TLS 1.3: TLS 1.2 groups only"
like "$(j '.not_tested["1.2"] | length' $R)" '^[1-9]' "the suites no client here can offer are counted"

start_s_server rsa2048 -tls1_1 -cipher 'AES128-SHA:@SECLEVEL=0'
ok $? "s_server with TLS 1.1 and RSA key transport only on port $PORT"
probe_json "$TMP/v11.json" --ca "$P/root.pem" "https://127.0.0.1:$PORT"
R=$TMP/v11.json
is $RC 0 "a server stuck at TLS 1.1 is still probed: exit 0"
is "$(j '[.versions["1.0","1.1","1.2","1.3"]] | map(tostring) | join(",")' $R)" "false,true,false,false" \
    "-tls1_1: only 1.1 accepted"
is "$(j '.suites["1.1"] | join(",")' $R)" TLS_RSA_WITH_AES_128_CBC_SHA "TLS 1.1: the one suite"
is "$(j '.tls.outcome + " " + .tls.version' $R)" "ok 1.1" \
    "refused at 1.2-1.3, the timed connection is made again at TLS 1.1"
is "$(j '.chain | length' $R)" 2 "... and the chain shows"
like "$(j '.notes | join(" ")' $R)" 'a TLS 1.2-1.3 client was refused \(protocol_version' "... a note says why"
is "$(j '[.verification[] | select(.version != null) | .version] | unique | join(",")' $R)" 1.1 \
    "the verdicts name TLS 1.1, the version they used"

# ---- an expired leaf ----
start_s_server expired
ok $? "s_server with the expired leaf on port $PORT"
probe_json "$TMP/exp.json" --ca "$P/root.pem" "https://localhost:$PORT"
is "$(j '[.verification[].outcome] | unique | join(",")' "$TMP/exp.json")" expired "expired for each backend"
like "$(j '.verification[0].text' "$TMP/exp.json")" 'expired' "with the library's own text"
is "$(j '.chain[0].valid_now' "$TMP/exp.json")" false "the chain shows the leaf is not valid now"
"$TH_BIN" probe --ca "$P/root.pem" "https://localhost:$PORT" > "$TMP/exp.txt" 2>&1
like "$(cat "$TMP/exp.txt")" 'not valid now' "readable: the leaf is marked"

# ---- tlsharness serve -b gnutls, readable output ----
if "$TH_BIN" backends | grep -q '^gnutls '; then
    start_on_port "$TMP/serve.log" "$TH_BIN" serve -b gnutls -p @PORT@ --seconds 60
    timeout 120 "$TH_BIN" probe --ca "$P/root.pem" "https://localhost:$PORT/" > "$TMP/gnutls.txt" 2>&1
    is $? 0 "probe of serve -b gnutls exits 0"
    OUT=$(cat "$TMP/gnutls.txt")
    for section in '^connect +[0-9.]+ ms' '^handshake +[0-9.]+ ms  TLS 1\.3 TLS_' '^key exchange TLS 1\.3 ' \
        '^chain +2 certificates as sent' '^  \[0\] subject   CN=localhost' '^verification against ' \
        '^  gnutls +TLS 1\.3  ok' '^first byte +[0-9.]+ ms  HTTP/1\.1 200 OK' '^versions +1\.0 no .* 1\.3 yes' \
        '^suites TLS 1\.3  [0-9]+ accepted, server order: ' '^suites TLS 1\.2  [0-9]+ accepted' \
        '^groups TLS 1\.3  '; do
        like "$OUT" "$section" "readable output has /$section/"
    done
else
    ok 0 "# SKIP gnutls not compiled in"
fi

# ---- an IPv6 literal: no SNI, the IP SAN checked ----
PORT=$((20000 + RANDOM % 30000))
"$TH_BIN" serve -b openssl --host ::1 -p "$PORT" --seconds 60 > /dev/null 2> "$TMP/serve6.log" &
SPID=$!
PIDS+=($SPID)
for _ in $(seq 50); do
    (exec 3<> "/dev/tcp/::1/$PORT") 2> /dev/null && break
    sleep 0.1
done
if kill -0 $SPID 2> /dev/null; then
    probe_json "$TMP/v6.json" --ca "$P/root.pem" "https://[::1]:$PORT/"
    R=$TMP/v6.json
    is "$RC $(j '.host + " " + (.sni | tostring) + " " + .status_line' $R)" "0 ::1 null HTTP/1.1 200 OK" \
        "https://[::1]:PORT: reached, no SNI for an address, GET answered"
    is "$(j '[.verification[] | select(.note == null) | .outcome] | unique | join(",")' $R)" ok \
        "::1 matched against the IP SAN by every backend that checks addresses"
else
    ok 0 "# SKIP no IPv6 loopback here"
    ok 0 "# SKIP no IPv6 loopback here"
fi

# ---- a server that is not there, or does not answer ----
for _ in $(seq 20); do
    CLOSED=$((20000 + RANDOM % 30000))
    (exec 3<> "/dev/tcp/127.0.0.1/$CLOSED") 2> /dev/null || break
done
"$TH_BIN" probe "https://127.0.0.1:$CLOSED/" > "$TMP/closed.out" 2>&1
is $? 1 "a closed port: exit 1"
like "$(cat "$TMP/closed.out")" "TCP connect to 127\.0\.0\.1 port $CLOSED: Connection refused" "... saying why"
probe_json "$TMP/closed.json" "https://127.0.0.1:$CLOSED/"
is "$RC $(j '.error' "$TMP/closed.json")" "1 TCP connect to 127.0.0.1 port $CLOSED: Connection refused" \
    "--json: the report says why too, exit 1"
like "$(cat "$TMP/closed.json.err")" 'Connection refused' "--json: the message on stderr as well"
start_hang_server
t0=$SECONDS
"$TH_BIN" probe --timeout 1 "https://127.0.0.1:$HANG_PORT/" > "$TMP/hang.out" 2>&1
is $? 1 "a server that never answers: exit 1"
like "$(cat "$TMP/hang.out")" 'TLS handshake: no answer within 1 s' "... saying so"
ok $((SECONDS - t0 > 10)) "... within the time limit"
timeout 60 "$TH_BIN" probe https://nosuch.invalid/ > "$TMP/dns.out" 2>&1
is $? 1 "a name that does not resolve: exit 1"
like "$(cat "$TMP/dns.out")" "cannot resolve 'nosuch.invalid'" "... saying so"

# ---- bad usage: exit 2 with the reason ----
bad() { # WANT-MESSAGE ARGS...
    local want=$1
    shift
    "$TH_BIN" probe "$@" > "$TMP/bad.out" 2>&1
    local rc=$?
    is $rc 2 "probe $*: exit 2"
    like "$(cat "$TMP/bad.out")" "$want" "... $want"
}
bad 'needs a URL'
bad 'only https:// URLs' http://localhost/
bad 'is not a URL' localhost:443
bad 'no host in the URL' https:///x
bad "'0' is not a port" https://localhost:0/
bad "'65536' is not a port" https://localhost:65536
bad "'' is not a port" https://localhost:/
bad "'4x' is not a port" https://localhost:4x
bad 'IPv6 address needs brackets' https://::1:443/
bad "'\[' without '\]'" 'https://[::1:443/'
bad 'is not an IPv6 address' 'https://[nope]:443/'
bad 'user names in the URL' https://me@localhost/
bad "unknown or incomplete option '--nope'" --nope https://localhost/
bad "unknown backend 'nosuch'" -b nosuch https://localhost/
bad 'is not a number of seconds' --timeout 0 https://localhost/
bad "cannot read '/nonexistent'" --ca /nonexistent https://localhost/
bad 'one URL at a time' https://a/ https://b/

done_testing
