#!/bin/bash
# The other commands: backends, list, validate, pki, help; interrupting a run.
. "$(dirname "$0")/lib.sh"
out=$("$TH_BIN" backends --json)
is $? 0 "backends --json"
is "$(printf '%s' "$out" | jq -r '.[] | select(.name == "openssl") | .library')" OpenSSL "openssl is compiled in"
like "$(printf '%s' "$out" | jq -r '.[] | select(.name == "openssl") | .version')" '^OpenSSL 3' "with its runtime version"
like "$(printf '%s' "$out" | jq -r '.[0].suites[]')" 'TLS_RSA_WITH_AES_128_GCM_SHA256' "capabilities list IANA suite names"
like "$("$TH_BIN" backends)" 'roles +client, server' "readable form lists roles"

n_list=$("$TH_BIN" list scenarios/ | wc -l)
ok "$([ "$n_list" -gt 50 ]; echo $?)" "list expands the shipped scenarios ($n_list cases)"
like "$("$TH_BIN" validate scenarios/)" "^ok: $n_list cases" "validate agrees with list"
n=$("$TH_BIN" list -f 'cert/*' scenarios/ | wc -l)
ok "$([ "$n" -gt 10 ] && [ "$n" -lt "$n_list" ]; echo $?)" "list -f keeps matching ids ($n)"
is "$("$TH_BIN" list -b openssl -f 'cert/expired/*' scenarios/)" "cert/expired/openssl-vs-openssl" "case ids read SCENARIO/CLIENT-vs-SERVER"

"$TH_BIN" pki "$TMP/pki2" > /dev/null
ok $? "pki DIR writes a PKI"
for f in root.pem intermediate.pem untrusted-root.pem crl.pem rsa2048.chain.pem rsa2048.key.pem \
    ecdsa-p256.pem expired.pem revoked.pem no-intermediate.chain.pem manifest.json; do
    [ -s "$TMP/pki2/$f" ]
    ok $? "pki wrote $f"
done
openssl verify -CAfile "$TMP/pki2/root.pem" -untrusted "$TMP/pki2/intermediate.pem" "$TMP/pki2/rsa2048.pem" > /dev/null 2>&1
ok $? "openssl verify accepts the RSA-2048 leaf"
touch "$TMP/file"
"$TH_BIN" pki "$TMP/file/pki" > /dev/null 2> "$TMP/e"
is $? 3 "pki into a path under a file fails: exit 3"
like "$(cat "$TMP/e")" "file/pki" "and names the path"
# the harness's own fault reaches the user with the place in the code that raised it
like "$(cat "$TMP/e")" '^tlsharness: internal error: pki: .*\[at harness/pki/[a-z_]+\.c:[0-9]+\]$' \
    "an internal error, with the place of the failing write"
like "$("$TH_BIN" help)" '^  run \[PATH' "help lists the commands"

# Ctrl-C in the middle of a run: the results written are whole and say so.
start_hang_server
sed "s/@PORT@/$HANG_PORT/" > "$TMP/slow.json" <<'J'
{ "name": "test/slow", "kind": "handshake", "clients": ["openssl"],
  "servers": ["https://127.0.0.1:@PORT@"], "timeout_s": 2, "expect": { "outcome": "timeout" },
  "variants": [ { "name": "a" }, { "name": "b" }, { "name": "c" } ] }
J
"$TH_BIN" run -j 1 -o "$TMP/int.json" "$TMP/slow.json" > "$TMP/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'cases; backends' "$TMP/out" && break; sleep 0.1; done
sleep 2.7 # the first case's 2 s limit has passed; the second one runs
t0=$(date +%s%N)
kill -INT $pid
wait $pid
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$rc" 130 "an interrupted run exits 128 + SIGINT"
ok "$([ "$ms" -lt 1500 ]; echo $?)" "it stops at once, not after the running case (${ms} ms)"
is "$(jq -r '.interrupted' "$TMP/int.json")" true "its results file is whole and says interrupted"
is "$(jq -r '.cases | length' "$TMP/int.json")" 1 "with the case that finished"
done_testing
