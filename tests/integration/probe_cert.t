#!/bin/bash
# `tlsharness probe URL` and certificates, against `openssl s_server`: a TLS 1.0-only
# server still shows its chain and each client's verdict, naming TLS 1.0; a server
# requiring a client certificate is shown asking, and --cert/--key present one; a
# stapled OCSP response is shown (status, updates, responder) beside each client's
# view of it; bad --cert/--key files are bad usage naming the file.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
P=$TLSHARNESS_PKI

. "$(dirname "$0")/probe_lib.sh"

# ---- TLS 1.0 only, stapling ocsp-good ----
start_s_server rsa2048 -tls1 -cipher 'ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0' \
    -status_file "$P/ocsp-good.der"
ok $? "s_server with TLS 1.0 only, stapling ocsp-good, on port $PORT"
probe_json "$TMP/v10.json" --ca "$P/root.pem" "https://localhost:$PORT/"
R=$TMP/v10.json
is $RC 0 "probe exits 0"
is "$(j '[.versions["1.0","1.1","1.2","1.3"]] | map(tostring) | join(",")' $R)" "true,false,false,false" \
    "only TLS 1.0 accepted"
is "$(j '.tls.outcome + " " + .tls.version' $R)" "ok 1.0" "the timed connection at TLS 1.0"
is "$(j '.chain | length' $R)" 2 "the chain as sent: two certificates"
is "$(j '.chain[0].subject' $R)" "CN=localhost,O=tlsharness" "the leaf"
is "$(j '[.verification[] | select(.version != null) | .version] | unique | join(",")' $R)" 1.0 \
    "verdicts at TLS 1.0, each naming it"
is "$(j '[.verification[] | select(.version == null) | .skipped | length > 0] | all' $R)" true \
    "a client that cannot offer TLS 1.0 says so instead of a verdict"
is "$(j '.verification[] | select(.backend == "openssl") | .outcome + " " + .ocsp' $R)" "ok good" \
    "openssl: ok, staple good"
is "$(j '.staple | .stapled, .cert_status, .for_leaf, .current, .version' $R | paste -sd' ')" \
    "true good true true 1.0" "the staple: good, for the leaf, current, read at TLS 1.0"
is "$(j '.staple.responder' $R)" "CN=tlsharness test intermediate,O=tlsharness" "signed by the issuer"
"$TH_BIN" probe --ca "$P/root.pem" "https://localhost:$PORT/" > "$TMP/v10.txt" 2>&1
OUT=$(cat "$TMP/v10.txt")
for line in '^handshake +[0-9.]+ ms  TLS 1\.0 TLS_' '^  openssl +TLS 1\.0  ok  staple good' \
    '^staple +good, for the leaf sent  \(TLS 1\.0\)' '^      updated   [0-9T:-]+Z \.\. [0-9T:-]+Z$' \
    '^      responder CN=tlsharness test intermediate' '^client cert  not requested by the server'; do
    like "$OUT" "$line" "readable output has /$line/"
done

# ---- a revoked staple ----
start_s_server revoked -status_file "$P/ocsp-revoked.der"
ok $? "s_server with the revoked leaf stapling ocsp-revoked on port $PORT"
probe_json "$TMP/rev.json" --ca "$P/root.pem" "https://localhost:$PORT/"
R=$TMP/rev.json
is "$(j '.staple.cert_status' $R)" revoked "the staple says revoked"
like "$(j '.staple.revoked_at' $R)" '^20[0-9-]+T' "... since when"
is "$(j '.verification[] | select(.backend == "openssl") | .outcome + " " + .ocsp' $R)" "revoked revoked" \
    "openssl refuses: revoked"

# ---- a client certificate required ----
start_s_server rsa2048 -Verify 1 -CAfile "$P/root.pem"
ok $? "s_server requiring a client certificate on port $PORT"
probe_json "$TMP/noc.json" --ca "$P/root.pem" "https://localhost:$PORT/"
R=$TMP/noc.json
is "$(j '.client_certificate | [.requested, .sent] | map(tostring) | join(" ")' $R)" "true false" \
    "without --cert: requested, none sent"
like "$(j '.notes | join(" ")' $R)" 'asked for a client certificate and got none' "... a note says what that costs"
probe_json "$TMP/cc.json" --ca "$P/root.pem" --cert "$P/client.chain.pem" --key "$P/client.key.pem" \
    "https://localhost:$PORT/"
R=$TMP/cc.json
is "$(j '.client_certificate | [.requested, .sent] | map(tostring) | join(" ")' $R)" "true true" \
    "with --cert: requested and sent"
is "$(j '.status_line' $R)" "HTTP/1.0 200 ok" "the server answers the GET"
is "$(j '[.versions["1.2","1.3"]] | map(tostring) | join(",")' $R)" "true,true" "1.2 and 1.3 accepted with it"
"$TH_BIN" probe --ca "$P/root.pem" --cert "$P/client.chain.pem" --key "$P/client.key.pem" \
    "https://localhost:$PORT/" > "$TMP/cc.txt" 2>&1
like "$(cat "$TMP/cc.txt")" "client cert  requested by the server; sent $P/client.chain.pem" "readable: sent FILE"

# ---- bad --cert/--key: exit 2 naming the file ----
bad() { # WANT-MESSAGE ARGS...
    local want=$1
    shift
    "$TH_BIN" probe "$@" > "$TMP/bad.out" 2>&1
    is $? 2 "probe $*: exit 2"
    like "$(cat "$TMP/bad.out")" "$want" "... $want"
}
echo "not a certificate" > "$TMP/junk.pem"
bad '--cert needs --key' --cert "$P/client.chain.pem" https://localhost/
bad '--key needs --cert' --key "$P/client.key.pem" https://localhost/
bad "--cert: .*/nonexistent.pem" --cert "$TMP/nonexistent.pem" --key "$P/client.key.pem" https://localhost/
bad "--cert: .*junk.pem" --cert "$TMP/junk.pem" --key "$P/client.key.pem" https://localhost/
bad "--key: .*client.chain.pem" --cert "$P/client.chain.pem" --key "$P/client.chain.pem" https://localhost/
bad "--cert/--key: " --cert "$P/client.chain.pem" --key "$P/rsa2048.key.pem" https://localhost/

done_testing
