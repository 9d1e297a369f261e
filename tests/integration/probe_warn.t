#!/bin/bash
# `tlsharness probe` findings and --fail-on against weak servers: `openssl s_server`
# with NULL, anonymous, RSA key transport and CBC suites, a 1024-bit DH group, a
# SHA-1 leaf and its chain out of order; `gnutls-serv` with 3DES and RC4 (suites no
# library here can offer: found by the probe's own ClientHello); the in-process
# server (`serve -b openssl`, legacy versions on); the nginx fixture configured weak;
# a strong server; and the exit statuses.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
P=$TLSHARNESS_PKI

. "$(dirname "$0")/probe_lib.sh"
ids() { jq -r '[.findings[] | .severity + " " + .id] | join(",")' "$1"; }
sev() { jq -r --arg id "$2" '[.findings[] | select(.id == $id) | .severity] | join(",")' "$1"; }
items() { jq -r --arg id "$2" '[.findings[] | select(.id == $id) | .items[]?] | join("|")' "$1"; }

# ---- openssl s_server, weak in every way OpenSSL 3 still allows ----
openssl dhparam -out "$TMP/dh1024.pem" 1024 2> /dev/null
ok $? "a 1024-bit DH group made"
# the leaf, then the root, then the intermediate: out of order, with the root
sed '1,/END CERTIFICATE/d' "$P/sha1.chain.pem" | cat "$P/root.pem" - > "$TMP/wrong.pem"
start_on_port "$TMP/weak.log" openssl s_server -accept "127.0.0.1:@PORT@" -cert "$P/sha1.pem" \
    -cert_chain "$TMP/wrong.pem" -key "$P/sha1.key.pem" -www -quiet -no_tls1_3 -dhparam "$TMP/dh1024.pem" \
    -cipher 'AES128-SHA:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA:ADH-AES128-SHA:@SECLEVEL=0'
ok $? "weak s_server on port $PORT"
WEAK=$PORT
probe_json "$TMP/weak.json" --ca "$P/root.pem" "https://127.0.0.1:$WEAK/"
R=$TMP/weak.json
is $RC 0 "findings do not change the exit status without --fail-on"
is "$(j '.legacy_suites["1.2"] | sort | join(",")' $R)" "TLS_DH_anon_WITH_AES_128_CBC_SHA,TLS_RSA_WITH_NULL_SHA" \
    "the probe's own ClientHello finds the NULL and anonymous suites no client here offers"
is "$(j '.suites["1.2"] | sort | join(",")' $R)" \
    "TLS_DHE_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_AES_128_CBC_SHA" \
    "TLS 1.2: every suite, also the DHE one the client library refuses at its security level"
is "$(j '.dh.bits' $R)" 1024 "the DH group's size, from the ServerKeyExchange"
for f in "null_cipher critical" "anonymous critical" "cert_sha1 high" "tls10 medium" "tls11 medium" \
    "rsa_kx medium" "no_server_order medium" "dh_small medium" "no_tls13 low" "cbc low" "chain_order low" \
    "root_sent info"; do
    set -- $f
    is "$(sev $R $1)" "$2" "finding $1 at $2"
done
is "$(items $R null_cipher)" "1.0 TLS_RSA_WITH_NULL_SHA|1.1 TLS_RSA_WITH_NULL_SHA|1.2 TLS_RSA_WITH_NULL_SHA" \
    "null_cipher names each suite and version"
is "$(items $R cert_sha1)" "[0] CN=localhost,O=tlsharness" "cert_sha1 names the leaf"
is "$(j '.findings[0].severity' $R)" critical "highest severity first"
is "$(j '[.findings[] | (.reason | length) > 20] | all' $R)" true "every finding has a reason"
is "$(j '.groups["1.2"] | index("x25519") != null' $R)" true "TLS 1.2 groups enumerated"
"$TH_BIN" probe --ca "$P/root.pem" "https://127.0.0.1:$WEAK/" > "$TMP/weak.txt" 2>&1
like "$(cat "$TMP/weak.txt")" '^findings     2 critical, 1 high, 6 medium, 3 low, 1 info' "text: the counts"
like "$(cat "$TMP/weak.txt")" '^  critical null_cipher +NULL suites accepted' "text: a finding and its reason"
like "$(cat "$TMP/weak.txt")" '^dh +DHE group 1024 bits' "text: the DH group"
like "$(cat "$TMP/weak.txt")" '^groups TLS 1\.2  x25519' "text: the TLS 1.2 groups"
for level in critical high medium low info; do
    timeout 120 "$TH_BIN" probe --fail-on $level "https://127.0.0.1:$WEAK/" > /dev/null 2> "$TMP/fail.err"
    is $? 4 "--fail-on $level: a finding at or above it, exit 4"
done
like "$(cat "$TMP/fail.err")" 'a critical finding \(--fail-on info\)' "... saying which"

# ---- gnutls-serv with 3DES and RC4, its own order ----
if command -v gnutls-serv > /dev/null; then
    start_on_port "$TMP/gnutls.log" gnutls-serv --http -p @PORT@ --x509certfile "$P/rsa2048.chain.pem" \
        --x509keyfile "$P/rsa2048.key.pem" \
        --priority 'NORMAL:+3DES-CBC:+ARCFOUR-128:+VERS-TLS1.0:+VERS-TLS1.1:%SERVER_PRECEDENCE'
    ok $? "gnutls-serv with 3DES and RC4 on port $PORT"
    probe_json "$TMP/g.json" --ca "$P/root.pem" "https://localhost:$PORT/"
    R=$TMP/g.json
    is "$(sev $R 3des) $(sev $R rc4)" "high high" "3DES and RC4 found, high"
    like "$(items $R 3des)" '1\.2 TLS_RSA_WITH_3DES_EDE_CBC_SHA' "... by name"
    like "$(items $R rc4)" '1\.2 TLS_ECDHE_RSA_WITH_RC4_128_SHA' "... RC4 with ECDHE too"
    is "$(sev $R no_server_order)" "" "its own order: no no_server_order"
    is "$(j '.groups["1.2"] | index("ffdhe2048") != null' $R)" true \
        "TLS 1.2 ffdhe groups (RFC 7919), read from the ServerKeyExchange"
    timeout 120 "$TH_BIN" probe --fail-on critical "https://localhost:$PORT/" > /dev/null 2>&1
    is $? 0 "--fail-on critical: nothing critical, exit 0"
    timeout 120 "$TH_BIN" probe --fail-on high "https://localhost:$PORT/" > /dev/null 2>&1
    is $? 4 "--fail-on high: exit 4"
else
    for _ in 1 2 3 4 5 6 7 8; do ok 0 "# SKIP gnutls-serv not installed"; done
fi

# ---- `serve`: TLS 1.2 and 1.3 only, here with an expired leaf ----
# (the openssl server backend with legacy versions, in process: test_probe_warn.c)
start_on_port "$TMP/serve.log" "$TH_BIN" serve -b openssl -p @PORT@ --cert expired --seconds 120
ok $? "serve -b openssl with the expired leaf on port $PORT"
probe_json "$TMP/serve.json" --ca "$P/root.pem" --fail-on critical "https://localhost:$PORT/"
R=$TMP/serve.json
is $RC 4 "an expired leaf is critical: exit 4"
is "$(sev $R cert_expired)" critical "cert_expired, critical"
is "$(items $R cert_expired)" "[0] CN=localhost,O=tlsharness" "... naming the leaf"
is "$(sev $R tls10)$(sev $R tls11)$(sev $R no_tls13)" "" "TLS 1.2 and 1.3 only: no version finding"

# ---- the nginx fixture, configured weak ----
if "$TH_BIN" backends | grep -q '^fixture:nginx '; then
    FX=$TMP/fx.out
    "$TH_BIN" fixture nginx --cert sha1 --client-order --versions 1.0,1.1,1.2 --seconds 120 \
        --suites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_DHE_RSA_WITH_AES_128_CBC_SHA,TLS_RSA_WITH_AES_128_CBC_SHA \
        > "$FX" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do grep -q serving "$FX" && break; sleep 0.1; done
    NPORT=$(sed -n 's|^serving https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$FX")
    like "$NPORT" '^[0-9]+$' "weak nginx fixture serving"
    probe_json "$TMP/nginx.json" --ca "$P/root.pem" "https://localhost:$NPORT/"
    R=$TMP/nginx.json
    is "$(j '[.findings[] | select(.severity != "info") | .id] | sort | join(",")' $R)" \
        "cbc,cert_expiring,cert_sha1,no_server_order,no_tls13,rsa_kx,tls10,tls11" \
        "nginx weak: exactly the findings its configuration makes"
else
    ok 0 "# SKIP nginx fixture not here"
    ok 0 "# SKIP nginx fixture not here"
fi

# ---- a strong server ----
sed '1,/END CERTIFICATE/d' "$P/ecdsa-p256.chain.pem" > "$TMP/ec.rest.pem"
start_on_port "$TMP/strong.log" openssl s_server -accept "127.0.0.1:@PORT@" -cert "$P/ecdsa-p256.pem" \
    -key "$P/ecdsa-p256.key.pem" -cert_chain "$TMP/ec.rest.pem" \
    -www -quiet -no_tls1 -no_tls1_1 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305' \
    -serverpref
ok $? "strong s_server on port $PORT"
probe_json "$TMP/strong.json" --ca "$P/root.pem" --fail-on high "https://localhost:$PORT/"
is $RC 0 "--fail-on high: nothing high, exit 0"
# the test PKI's leaves live a month: always within 30 days of expiry
is "$(ids "$TMP/strong.json")" "medium cert_expiring" "a strong server: only its short-lived leaf"
is "$(j '.legacy_suites | map(length) | add' "$TMP/strong.json")" 0 "no legacy suite"

# ---- exit statuses ----
for _ in $(seq 20); do
    CLOSED=$((20000 + RANDOM % 30000))
    (exec 3<> "/dev/tcp/127.0.0.1/$CLOSED") 2> /dev/null || break
done
"$TH_BIN" probe --fail-on info "https://127.0.0.1:$CLOSED/" > /dev/null 2>&1
is $? 1 "not reached: exit 1 even with --fail-on (no findings to judge)"
for bad in warn High '' 5; do
    "$TH_BIN" probe --fail-on "$bad" https://localhost/ > "$TMP/bad.out" 2>&1
    is $? 2 "--fail-on '$bad': exit 2"
    like "$(cat "$TMP/bad.out")" "--fail-on: '$bad' is not a severity" "... naming the option"
done
"$TH_BIN" fixture nginx --versions 1.4 > "$TMP/bad.out" 2>&1
is $? 2 "fixture --versions 1.4: exit 2"
like "$(cat "$TMP/bad.out")" "--versions: '1\.4' is not a TLS version" "... naming the option"
"$TH_BIN" fixture nginx --suites NOPE > "$TMP/bad.out" 2>&1
is $? 2 "fixture --suites NOPE: exit 2"
like "$(cat "$TMP/bad.out")" "--suites: 'NOPE' is not an IANA suite name" "... naming the option"

done_testing
