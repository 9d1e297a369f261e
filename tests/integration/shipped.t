#!/bin/bash
# The shipped scenarios on the OpenSSL backend: every case passes, the certificate
# failures are observed as such, and many suites are negotiated.
. "$(dirname "$0")/lib.sh"
out=$TMP/r.json
"$TH_BIN" run -b openssl --quick -o "$out" --junit "$TMP/r.xml" scenarios/ > "$TMP/out.txt" 2>&1
rc=$?
is "$rc" 0 "every shipped case passes, xfails or skips on openssl"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/out.txt" | tail -40
jq -e '.schema == "tlsharness.results/1" and (.environment | has("cpu_model")) and (.backends | length) >= 1' "$out" > /dev/null
ok $? "results file describes itself (schema, environment, backends)"
total=$(jq '.summary.total' "$out")
pass=$(jq '.summary.pass' "$out")
ok "$([ "$total" -ge 80 ]; echo $?)" "the shipped scenarios expand to $total cases"
ok "$([ "$pass" -ge 70 ]; echo $?)" "$pass of them pass"
for o in expired not_yet_valid hostname_mismatch unknown_ca self_signed weak_key weak_signature \
    bad_eku bad_key_usage bad_signature revoked no_shared_cipher protocol_version; do
    n=$(jq --arg o "$o" '[.cases[] | select(.observed.outcome == $o and .status == "pass")] | length' "$out")
    ok "$([ "$n" -gt 0 ]; echo $?)" "observed $o as such ($n cases)"
done
suites=$(jq -r '[.cases[] | select(.status == "pass") | .observed.cipher // empty] | unique | .[]' "$out")
n=$(printf '%s\n' "$suites" | grep -c .)
ok "$([ "$n" -ge 8 ]; echo $?)" "at least 8 distinct suites negotiated ($n)"
like "$suites" '^TLS_RSA_WITH_' "an RSA key transport suite among them"
like "$suites" '^TLS_ECDHE_ECDSA_WITH_' "an ECDHE-ECDSA suite among them"
like "$suites" '^TLS_AES_' "TLS 1.3 suites among them"
n=$(jq '[.cases[] | select(.observed.resumed == true and .status == "pass")] | length' "$out")
ok "$([ "$n" -ge 3 ]; echo $?)" "resumption observed ($n cases)"
n=$(jq '[.cases[] | select(.transport == "tcp" and .status == "pass")] | length' "$out")
ok "$([ "$n" -ge 3 ]; echo $?)" "cases over TCP ($n)"
is "$(grep -c '<testcase ' "$TMP/r.xml")" "$total" "JUnit has one testcase per case"
like "$(cat "$TMP/out.txt")" 'openssl-vs-openssl' "the summary shows the pair"
n=$(jq '[.cases[] | select(.observed.outcome != "ok" and .observed.outcome != null) | select((.observed.native.text // "") == "")] | length' "$out")
is "$n" 0 "every failure keeps the library's native text"
done_testing
