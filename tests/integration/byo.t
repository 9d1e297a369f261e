#!/bin/bash
# Bring your own chain from the command line: a scenario outside the tree serving
# PEM files beside it runs on the in-process servers and, where nginx is installed,
# on a fixture; a key that is not the leaf's is exit 2 at FILE:LINE:COL of its key,
# before anything runs.
. "$(dirname "$0")/lib.sh"
X=$TMP/mine
mkdir -p "$X"
cp -r scenarios/cert/own-chain scenarios/cert/own-chain.json "$X/"
"$TH_BIN" run -b openssl,gnutls,mbedtls -o "$TMP/r.json" "$X/own-chain.json" > "$TMP/out" 2>&1
rc=$?
is "$rc" 0 "own files beside a scenario outside the tree: every in-process pair passes"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/out" | tail -20
is "$(jq '[.cases[] | select(.status == "pass")] | length' "$TMP/r.json")" 18 "18 cases pass"
is "$(jq -r '[.cases[] | select(.scenario == "cert/own-chain@trusted") | .observed.outcome] | unique | join(",")' "$TMP/r.json")" \
    ok "trusted by its own root: ok on every pair"
is "$(jq -r '[.cases[] | select(.scenario == "cert/own-chain@not-trusted") | .observed.outcome] | unique | join(",")' "$TMP/r.json")" \
    unknown_ca "the same chain against the test PKI's root: unknown_ca on every pair"

if command -v nginx > /dev/null || [ -x /usr/sbin/nginx ]; then
    "$TH_BIN" run -b openssl,fixture:nginx -f '*-vs-fixture:nginx' -o "$TMP/fx.json" \
        "$X/own-chain.json" > "$TMP/fx.out" 2>&1
    is $? 0 "a fixture serves the files too (nginx)"
    is "$(jq '.summary.pass' "$TMP/fx.json")" 2 "both variants pass against nginx"
else
    ok 0 "# SKIP nginx is not installed"
    ok 0 "# SKIP nginx is not installed"
fi

# another leaf's key: refused as the scenario is read, at the key's place
cp tests/data/byo/other.key.pem "$X/"
sed 's|own-chain/key.pem|other.key.pem|' "$X/own-chain.json" > "$X/bad.json"
line=$(grep -n '"other.key.pem"' "$X/bad.json" | cut -d: -f1)
col=$(awk -v n="$line" 'NR == n { print index($0, "\"other.key.pem\"") }' "$X/bad.json")
"$TH_BIN" run -b openssl -o "$TMP/bad-r.json" "$X/bad.json" > /dev/null 2> "$TMP/err"
is $? 2 "a key that is not the leaf's: exit 2"
like "$(cat "$TMP/err")" "^$X/bad.json:$line:$col: server.key: the key in $X/other.key.pem is not the key of the first certificate of $X/own-chain/chain.pem" \
    "named at FILE:LINE:COL of server.key, with both files"
ok "$([ ! -e "$TMP/bad-r.json" ]; echo $?)" "and nothing ran: no results file"
done_testing
