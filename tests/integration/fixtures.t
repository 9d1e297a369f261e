#!/bin/bash
# The conformance catalogue (handshake, cert, cipher) with the libcurl clients and
# against the seven fixture servers: every case passes, xfails with its declared
# reason, or skips with its reason; every fixture installed here is started,
# serves cases that pass, and is stopped (no server process left behind); the
# libcurl clients meet every certificate failure class.
. "$(dirname "$0")/lib.sh"
out=$TMP/r.json
clients=$("$TH_BIN" backends --json | jq -r '.[] | select(.roles | index("client")) | .name' | paste -sd,)
# The fixtures' folders go under $TMP/fx, so the servers of this run are told from any
# other on the machine by their command lines. nginx's workers run as nobody when the
# test runs as root: they must be able to pass through $TMP (711: not list it).
mkdir -p "$TMP/fx"
chmod 711 "$TMP"
chmod 755 "$TMP/fx"
servers() { pgrep -f "$TMP/fx" | wc -l; }
TMPDIR="$TMP/fx" "$TH_BIN" run -b "$clients,openssl,gnutls,mbedtls,fixture:*" -o "$out" \
    scenarios/handshake scenarios/cert scenarios/cipher > "$TMP/out.txt" 2>&1
rc=$?
is "$rc" 0 "every case passes, xfails or skips"
[ "$rc" -eq 0 ] || grep -A40 '^Failures' "$TMP/out.txt" | cut -c1-400 | sed 's/^/#   /'
is "$(servers)" 0 "no fixture server left running"
is "$(jq '[.cases[] | select(.status == "skip" and (.reason // "") == "")] | length' "$out")" 0 \
    "every skip carries its reason"
is "$(jq '[.cases[] | select(.status == "xfail" and (.reason | test("known deviation") | not))] | length' "$out")" 0 \
    "every xfail carries its deviation's reason"
for f in nginx lighttpd-openssl lighttpd-gnutls lighttpd-mbedtls lighttpd-wolfssl lighttpd-nss caddy; do
    missing=$(jq -r --arg s "fixture:$f" '[.cases[] | select(.server == $s and .status == "skip"
        and (.reason | test("not installed|is missing")))] | length' "$out")
    if [ "$missing" -gt 0 ]; then
        echo "ok $((++T_N)) # skip fixture:$f is not installed here (make deps installs it)"
        continue
    fi
    n=$(jq --arg s "fixture:$f" '[.cases[] | select(.server == $s and .status == "pass")] | length' "$out")
    certs=$(jq -r --arg s "fixture:$f" '[.cases[] | select(.server == $s and (.scenario | startswith("cert/"))
        and (.status == "pass" or .status == "xfail"))] | length' "$out")
    ok "$([ "$n" -ge 50 ] && [ "$certs" -ge 10 ]; echo $?)" \
        "fixture:$f served $n passing cases ($certs certificate cases)"
done
for c in curl-openssl curl-gnutls; do
    if ! printf '%s' "$clients" | grep -q "$c"; then
        echo "ok $((++T_N)) # skip $c is not compiled in"
        continue
    fi
    seen=$(jq -r --arg c "$c" '[.cases[] | select(.client == $c and (.scenario | startswith("cert/")))
        | select(.status == "pass" or .status == "xfail") | .scenario] | unique | length' "$out")
    # less the variants it cannot run at all, each skip saying what it lacks
    # (curl-openssl cannot ask for an OCSP staple without requiring one)
    all=$(jq -r --arg c "$c" '([.cases[] | select(.scenario | startswith("cert/")) | .scenario] | unique)
        - [.cases[] | select(.client == $c and .status == "skip" and (.reason | startswith($c + " ")))
           | .scenario] | length' "$out")
    is "$seen" "$all" "$c meets every certificate scenario it can run"
    n=$(jq -r --arg c "$c" '[.cases[] | select(.client == $c and (.scenario | startswith("cipher/")) and .status == "pass")] | length' "$out")
    ok "$([ "$n" -ge 10 ]; echo $?)" "$c runs cipher cases ($n pass)"
done
like "$(jq -r '[.cases[] | select(.server == "fixture:nginx" and .status == "pass")][0].observed.version' "$out")" \
    '^1\.[0-3]$' "negotiated details are read against a fixture"
done_testing
