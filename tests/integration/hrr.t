#!/bin/bash
# TLS 1.3 HelloRetryRequest, scenarios/handshake/hrr.json: on OpenSSL and GnuTLS (and
# libcurl's OpenSSL flavour against our servers, read on the server's end) every
# variant passes or xfails with its declared reason, observed.hrr says what the
# records showed; an expectation pinned the wrong way fails; over TCP too; against
# nginx where installed; handshake_rate counts its handshakes and their retries;
# the results reader takes the files back.
. "$(dirname "$0")/lib.sh"
scn=scenarios/handshake/hrr.json
hrr() { # FILE VARIANT PAIR -> status observed.hrr observed.group
    jq -r --arg id "handshake/hrr@$2/$3" '.cases[] | select(.id == $id) | "\(.status) \(.observed.hrr) \(.observed.group)"' "$1"
}
"$TH_BIN" run -b openssl,gnutls,curl-openssl -o "$TMP/m.json" "$scn" > "$TMP/m.txt" 2>&1
rc=$?
is $rc 0 "every variant passes or xfails on openssl, gnutls, curl-openssl"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/m.txt" | tail -20
is "$(hrr "$TMP/m.json" needed openssl-vs-openssl)" "pass true secp256r1" "openssl: a retry, then secp256r1"
is "$(hrr "$TMP/m.json" needed openssl-vs-gnutls)" "pass true secp256r1" "a GnuTLS server asks again too"
is "$(hrr "$TMP/m.json" needed gnutls-vs-openssl)" "xfail false secp256r1" "gnutls shares both groups: no retry, the declared deviation"
is "$(hrr "$TMP/m.json" same-kind gnutls-vs-gnutls)" "pass true secp256r1" "two NIST curves: gnutls needs a retry"
is "$(hrr "$TMP/m.json" needed curl-openssl-vs-openssl)" "pass true secp256r1" "curl-openssl: read on our server's end"
is "$(hrr "$TMP/m.json" control openssl-vs-gnutls)" "pass false x25519" "control: no retry"
n=$(jq '[.cases[] | select(.status != "skip" and (.observed.hrr | type) != "boolean")] | length' "$TMP/m.json")
is "$n" 0 "every case run knows whether there was a retry"
"$TH_BIN" report "$TMP/m.json" -o "$TMP/m.html" > /dev/null 2>&1
is $? 0 "the results file reads back (report)"

# Over TCP: the same records read through a socket.
jq '.transport = "tcp" | .name = "handshake/hrr-tcp"' "$scn" > "$TMP/tcp.json"
"$TH_BIN" run -b openssl,gnutls -o "$TMP/t.json" "$TMP/tcp.json" > "$TMP/t.txt" 2>&1
rc=$?
is $rc 0 "every variant passes or xfails over TCP"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/t.txt" | tail -20
is "$(jq -r '.cases[] | select(.id == "handshake/hrr-tcp@needed/openssl-vs-gnutls") | .observed.hrr' "$TMP/t.json")" true "TCP: the retry seen"

# Pinned the wrong way: a failure saying so.
jq '.name = "handshake/hrr-wrong" | .variants = [.variants[] | select(.name == "control") | .expect.hrr = true]' "$scn" > "$TMP/wrong.json"
"$TH_BIN" run -b openssl -o "$TMP/w.json" "$TMP/wrong.json" > /dev/null 2>&1
is $? 1 "no retry where one was expected fails"
like "$(jq -r '.cases[0].reason' "$TMP/w.json")" 'expected a HelloRetryRequest, none was sent' "... saying so"
jq '.name = "handshake/hrr-wrong2" | .variants = [.variants[] | select(.name == "needed") | .expect.hrr = false]' "$scn" > "$TMP/wrong2.json"
"$TH_BIN" run -b openssl -o "$TMP/w2.json" "$TMP/wrong2.json" > /dev/null 2>&1
is $? 1 "a retry where none was expected fails"
like "$(jq -r '.cases[0].reason' "$TMP/w2.json")" 'expected no HelloRetryRequest, the server sent one' "... saying so"
# TLS 1.2 shows no retry either way: a pinned one cannot be judged, and fails.
jq '.name = "handshake/hrr-tls12" | .client.versions = ["1.2"] | .server.versions = ["1.2"] | .expect.version = "1.2" | .variants = [.variants[] | select(.name == "control")]' "$scn" > "$TMP/t12.json"
"$TH_BIN" run -b openssl -o "$TMP/t12.json.out" "$TMP/t12.json" > /dev/null 2>&1
is $? 1 "TLS 1.2 with hrr pinned fails"
like "$(jq -r '.cases[0].reason' "$TMP/t12.json.out")" 'the handshake records did not show' "... as not known"
is "$(jq -r '.cases[0].observed.hrr' "$TMP/t12.json.out")" null "observed.hrr null on TLS 1.2"

# handshake_rate: every handshake counted, each one's retry read.
cat > "$TMP/rate.json" <<'JSON'
{ "name": "hrr-rate", "kind": "handshake_rate", "clients": ["openssl"], "servers": ["openssl"],
  "client": { "versions": ["1.3"], "groups": ["x25519", "secp256r1"] },
  "server": { "versions": ["1.3"], "groups": ["secp256r1"] },
  "handshakes": { "count": 20 }, "repeat": 2 }
JSON
"$TH_BIN" run -o "$TMP/r.json" "$TMP/rate.json" > "$TMP/r.txt" 2>&1
is $? 0 "a handshake_rate case needing a retry passes"
is "$(jq -c '.cases[0].observed.handshakes' "$TMP/r.json")" '{"attempted":60,"full":60,"resumed":0,"hrr":60,"early_offered":0,"early_accepted":0}' "60 handshakes (warm-up included), each with a retry"
is "$(jq -r '.cases[0].observed | "\(.version) \(.group) \(.hrr)"' "$TMP/r.json")" "1.3 secp256r1 true" "what was negotiated"
"$TH_BIN" compare "$TMP/r.json" "$TMP/r.json" > /dev/null 2>&1
is $? 0 "the results file reads back (compare)"

if command -v nginx > /dev/null 2>&1; then
    "$TH_BIN" run -b openssl,gnutls,fixture:nginx -f '*fixture:nginx' -o "$TMP/n.json" "$scn" > "$TMP/n.txt" 2>&1
    rc=$?
    is $rc 0 "against nginx every variant passes or xfails"
    [ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/n.txt" | tail -20
    is "$(hrr "$TMP/n.json" needed openssl-vs-fixture:nginx)" "pass true secp256r1" "nginx asks again"
else
    echo "# nginx not installed: its cases not run"
fi
done_testing
