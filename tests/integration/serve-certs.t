#!/bin/bash
# Certificates on the command line: `serve --cert FILE --key FILE` serves a user's
# own chain; `serve --client-auth require` refuses a `load` without a client
# certificate (certificate_required, or handshake_failure where TLS 1.2 has no
# better word) and lets one with `--cert` through, pki leaf or files; `serve --ocsp`
# staples (openssl s_client -status reads it); `fixture --cert FILE --key FILE`;
# and every bad file is exit 2 naming the file and why.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
P=$TLSHARNESS_PKI
CA="$P/root.pem"

# ---- a chain file of the user's, with a space in its name ----
cp "$P/ecdsa-p256.chain.pem" "$TMP/my chain.pem"
cp "$P/ecdsa-p256.key.pem" "$TMP/my key.pem"
start_on_port "$TMP/own.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 30 \
    --cert "$TMP/my chain.pem" --key "$TMP/my key.pem"
ok $? "serve --cert FILE --key FILE listening on $PORT"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile "$CA" -verify_return_error -showcerts > "$TMP/own.out" 2>&1
ok $? "s_client verifies the served chain"
like "$(cat "$TMP/own.out")" "Peer signature type: ECDSA|Server public key is 256 bit" \
    "the ECDSA P-256 leaf of the file is what is served"
is "$(grep -c 'BEGIN CERTIFICATE' "$TMP/own.out")" 2 "the chain as in the file: leaf and intermediate"
kill $SPID

# ---- client certificates required ----
start_on_port "$TMP/req.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 60 \
    --client-auth require --client-ca pki:root
ok $? "serve --client-auth require --client-ca pki:root listening on $PORT"
URL="https://127.0.0.1:$PORT/"
SLOG="$TMP/req.log.$PORT"

"$TH_BIN" load "$URL" -n 10 -c 1 --ca "$CA" -o "$TMP/none.json" > "$TMP/none.out" 2> "$TMP/none.err"
is $? 1 "load without a client certificate: exit 1"
like "$(cat "$TMP/none.err")" "requests failed: .*certificate_required.*certificate required" \
    "... certificate_required, with OpenSSL's words"
is "$(jq -r '.cases[0].status' "$TMP/none.json")" fail "... status fail in the results"
"$TH_BIN" load "$URL" -n 10 -c 1 --ca "$CA" --versions 1.2 -o "$TMP/none12.json" > /dev/null 2> "$TMP/none12.err"
is $? 1 "TLS 1.2, without a client certificate: exit 1"
like "$(cat "$TMP/none12.err")" "could not load the target: .*(handshake_failure|certificate_required)" \
    "... handshake_failure (TLS 1.2 has no certificate_required alert)"

"$TH_BIN" load "$URL" -n 20 -c 2 --ca "$CA" --cert pki:client -o "$TMP/pki.json" > "$TMP/pki.out" 2>&1
is $? 0 "load --cert pki:client: exit 0"
like "$(cat "$TMP/pki.out")" "^requests +20 verified" "... 20 requests verified"
"$TH_BIN" load "$URL" -n 20 -c 2 --ca "$CA" --cert "$P/client.chain.pem" --key "$P/client.key.pem" \
    -o "$TMP/file.json" > "$TMP/file.out" 2>&1
is $? 0 "load --cert FILE --key FILE: exit 0"
"$TH_BIN" load "$URL" -n 20 -c 2 -b gnutls --ca "$CA" --cert pki:client -o "$TMP/gnutls.json" > "$TMP/gnutls.out" 2>&1
is $? 0 "load -b gnutls --cert pki:client: exit 0"
"$TH_BIN" load "$URL" -n 5 -c 1 --ca "$CA" --cert pki:client-untrusted -o "$TMP/untr.json" > /dev/null 2> "$TMP/untr.err"
is $? 1 "load --cert pki:client-untrusted: refused, exit 1"
like "$(cat "$TMP/untr.err")" "unknown_ca" "... unknown_ca"
sleep 0.3
like "$(cat "$SLOG")" "TLS 1\.3 TLS_[A-Z0-9_]+, [0-9]+ requests?, client certificate verified" \
    "serve's log says the client certificate verified"
like "$(cat "$SLOG")" "handshake failed: |then failed: " "... and logs the refusals"
kill $SPID

# ---- client certificates requested: none is fine ----
start_on_port "$TMP/opt.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 30 \
    --client-auth request --client-ca "$CA"
ok $? "serve --client-auth request --client-ca FILE listening on $PORT"
"$TH_BIN" load "https://127.0.0.1:$PORT/" -n 5 -c 1 --ca "$CA" -o "$TMP/opt.json" > /dev/null 2>&1
is $? 0 "load without a client certificate against request: exit 0"
sleep 0.3
like "$(cat "$TMP/opt.log.$PORT")" ", client certificate none" "serve's log says none came"
kill $SPID

# ---- stapling ----
# a backend without TH_CAP_OCSP_STAPLE is refused (exit 2) before it listens
if ! "$TH_BIN" serve -b openssl -p $((20000 + RANDOM % 30000)) --ocsp pki:ocsp-good --seconds 0.1 2>&1 |
    grep -q "cannot staple"; then
    start_on_port "$TMP/ocsp.log" "$TH_BIN" serve -b openssl -p @PORT@ --seconds 30 --ocsp pki:ocsp-good
    ok $? "serve --ocsp pki:ocsp-good listening on $PORT"
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
        -CAfile "$CA" -status > "$TMP/ocsp.out" 2>&1
    like "$(cat "$TMP/ocsp.out")" "OCSP Response Status: successful" "s_client -status: a staple came"
    like "$(cat "$TMP/ocsp.out")" "Cert Status: good" "... saying good"
    kill $SPID
else
    ok 0 "# SKIP the openssl backend cannot staple"
fi

# ---- fixture with a chain file ----
if command -v nginx > /dev/null || [ -x /usr/sbin/nginx ]; then
    "$TH_BIN" fixture nginx --cert "$TMP/my chain.pem" --key "$TMP/my key.pem" --seconds 20 \
        > "$TMP/fx.out" 2> "$TMP/fx.err" &
    FPID=$!
    PIDS+=($FPID)
    for _ in $(seq 100); do grep -q '^serving' "$TMP/fx.out" 2> /dev/null && break; sleep 0.1; done
    FPORT=$(sed -n 's|^serving https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/fx.out")
    ok $([ -n "$FPORT" ]; echo $?) "fixture nginx --cert FILE --key FILE started ($(head -c 200 "$TMP/fx.err"))"
    echo | timeout 10 openssl s_client -connect "127.0.0.1:${FPORT:-1}" -servername localhost \
        -CAfile "$CA" -verify_return_error > "$TMP/fx.s" 2>&1
    ok $? "s_client verifies the chain nginx serves from the file"
    like "$(cat "$TMP/fx.s")" "Peer signature type: ECDSA|Server public key is 256 bit" "... the file's ECDSA leaf"
    kill -INT $FPID
    wait $FPID
    is $? 0 "fixture stops with exit 0"
else
    ok 0 "# SKIP nginx not installed"
fi

# ---- bad input: exit 2, the file and why ----
bad() { # WANT-PATTERN DESCRIPTION COMMAND ARGS...
    local pat=$1 what=$2
    shift 2
    "$@" > /dev/null 2> "$TMP/bad.err"
    local rc=$?
    is $rc 2 "$what: exit 2"
    like "$(head -1 "$TMP/bad.err")" "$pat" "... $(head -1 "$TMP/bad.err" | cut -c1-100)"
}
S=("$TH_BIN" serve -b openssl -p 4433 --seconds 0.1)
printf 'not pem\n' > "$TMP/text.pem"
bad "serve: --cert: $TMP/text.pem is a file: .*--key" "serve --cert FILE without --key" \
    "${S[@]}" --cert "$TMP/text.pem"
bad "serve: --cert: $TMP/text.pem is not PEM" "serve --cert of a text file" \
    "${S[@]}" --cert "$TMP/text.pem" --key "$P/client.key.pem"
bad "serve: --key: $P/client.pem holds no private key" "serve --key of a certificate" \
    "${S[@]}" --cert "$P/rsa2048.chain.pem" --key "$P/client.pem"
bad "serve: --key: the key in $P/client.key.pem is not the key of the first certificate of $P/rsa2048.chain.pem" \
    "serve --key of another leaf" "${S[@]}" --cert "$P/rsa2048.chain.pem" --key "$P/client.key.pem"
bad "serve: --cert: cannot read $TMP/nosuch.pem: No such file" "serve --cert of a missing file" \
    "${S[@]}" --cert "$TMP/nosuch.pem" --key "$P/client.key.pem"
bad "serve: --cert: 'nosuch' is neither a pki leaf" "serve --cert of an unknown name" "${S[@]}" --cert nosuch
bad "serve: --key: pki:rsa2048 comes with its own key" "serve --cert pki:NAME --key FILE" \
    "${S[@]}" --cert pki:rsa2048 --key "$P/rsa2048.key.pem"
bad "serve: --client-auth needs --client-ca" "serve --client-auth without --client-ca" \
    "${S[@]}" --client-auth require
bad "serve: --client-auth: 'always' is not none, request or require" "serve --client-auth always" \
    "${S[@]}" --client-auth always --client-ca pki:root
bad "serve: --client-ca: $TMP/text.pem is not PEM" "serve --client-ca of a text file" \
    "${S[@]}" --client-auth require --client-ca "$TMP/text.pem"
bad "serve: --client-ca: 'nosuch' is not a certificate of the test PKI" "serve --client-ca pki:nosuch" \
    "${S[@]}" --client-auth require --client-ca pki:nosuch
bad "serve: --ocsp: $CA is PEM: a staple is DER" "serve --ocsp of a PEM file" "${S[@]}" --ocsp "$CA"
: > "$TMP/empty.der"
bad "serve: --ocsp: $TMP/empty.der is empty" "serve --ocsp of an empty file" "${S[@]}" --ocsp "$TMP/empty.der"
bad "serve: --ocsp: 'rsa2048' is not an OCSP response of the test PKI" "serve --ocsp pki:LEAF" \
    "${S[@]}" --ocsp pki:rsa2048
bad "fixture: --key: $P/client.pem holds no private key" "fixture --key of a certificate" \
    "$TH_BIN" fixture nginx --cert "$P/rsa2048.chain.pem" --key "$P/client.pem"
bad "fixture: --cert: $TMP/text.pem is a file" "fixture --cert FILE without --key" \
    "$TH_BIN" fixture nginx --cert "$TMP/text.pem"
bad "serve: --ocsp: no file ocsp-good: the test PKI's is pki:ocsp-good" "serve --ocsp NAME without pki:" \
    "${S[@]}" --ocsp ocsp-good
# a file the checks pass but the library refuses: the library's words, exit 2
cp "$P/malformed.chain.pem" "$TMP/mal.pem"
cp "$P/malformed.key.pem" "$TMP/mal.key"
bad "serve: openssl server context: .*$TMP/mal.pem: .*X509" "serve --cert FILE OpenSSL refuses" \
    "${S[@]}" --cert "$TMP/mal.pem" --key "$TMP/mal.key"
"${S[@]}" --cert "$TMP/mal.pem" --key "$TMP/mal.key" > "$TMP/mal.out" 2> /dev/null
is "$(cat "$TMP/mal.out")" "" "... and it never says it is serving"
L=("$TH_BIN" load https://127.0.0.1:4433/ -n 1 --ca "$CA" -o "$TMP/bad.json")
bad "load: --cert: $TMP/text.pem is not PEM" "load --cert of a text file" \
    "${L[@]}" --cert "$TMP/text.pem" --key "$P/client.key.pem"
bad "load: --key: the key in $P/rsa2048.key.pem is not the key of the first certificate of $P/client.chain.pem" \
    "load --key of another leaf" "${L[@]}" --cert "$P/client.chain.pem" --key "$P/rsa2048.key.pem"
bad "load: --cert: $P/client.chain.pem: a certificate file needs its private key" "load --cert FILE without --key" \
    "${L[@]}" --cert "$P/client.chain.pem"
bad "load: --key goes with --cert" "load --key without --cert" "${L[@]}" --key "$P/client.key.pem"
bad "load: --cert: unknown pki object \"pki:nosuch\"" "load --cert pki:nosuch" "${L[@]}" --cert pki:nosuch
bad "load: --cert: file not found: $TMP/nosuch.pem \(relative to the current folder\)" "load --cert of a missing file" \
    "${L[@]}" --cert "$TMP/nosuch.pem" --key "$P/client.key.pem"

done_testing
