#!/bin/bash
# What a person at a terminal sees of a run: the live progress line on a terminal
# (a pseudo-terminal from util-linux's script), none of its carriage returns off one,
# --quiet, colour by --color, NO_COLOR and TERM, the benchmark tables in place of the
# per-case metric blocks, the header's backends, and long reasons cut in the
# terminal but whole in the results file; text from peers and files (a reason, a
# status line) with its control bytes shown as \xNN, in the terminal, JUnit and HTML.
. "$(dirname "$0")/lib.sh"
export TERM=xterm
unset NO_COLOR
run() { "$TH_BIN" run --pki "$TMP/pki" -o "$TMP/r.json" "$@"; }
# under a pseudo-terminal of 100 columns: stdout and stderr both on it, as a person has them
on_tty() {
    local cmd="stty cols 100 2>/dev/null;"
    for a in "$TH_BIN" run --pki "$TMP/pki" -o "$TMP/r.json" "$@"; do cmd+=" $(printf '%q' "$a")"; done
    script -qec "$cmd" /dev/null
}
esc=$(printf '\033')
cr=$(printf '\r')
HS=(-b openssl scenarios/handshake/versions.json)

# ---- colour ----
out=$(on_tty "${HS[@]}")
is $? 0 "a run on a terminal"
like "$out" "$esc\\[32m" "auto on a terminal: colour"
out=$(NO_COLOR=1 on_tty "${HS[@]}")
ok "$(printf '%s' "$out" | grep -q "$esc"; echo $((!$?)))" "NO_COLOR=1 on a terminal: no escape byte"
out=$(NO_COLOR= on_tty "${HS[@]}")
like "$out" "$esc\\[32m" "NO_COLOR empty: colour as if unset"
out=$(TERM=dumb on_tty "${HS[@]}")
ok "$(printf '%s' "$out" | grep -q "$esc"; echo $((!$?)))" "TERM=dumb on a terminal: no escape byte"
out=$(on_tty --color=never "${HS[@]}")
ok "$(printf '%s' "$out" | grep -q "$esc"; echo $((!$?)))" "--color=never on a terminal: no escape byte"
out=$(run --color=always "${HS[@]}" 2>&1)
like "$out" "$esc\\[32m" "--color=always off a terminal: colour"
out=$(run "${HS[@]}" 2>&1)
ok "$(printf '%s' "$out" | grep -q "$esc"; echo $((!$?)))" "auto off a terminal: no escape byte"
run --color=bogus "${HS[@]}" > "$TMP/o" 2> "$TMP/e"
is $? 2 "--color=bogus: exit 2"
like "$(cat "$TMP/e")" "--color: 'bogus' is not auto, always or never" "and says why"
run --color "${HS[@]}" > /dev/null 2>&1
is $? 2 "--color without a value: exit 2"

# ---- progress ----
run "${HS[@]}" > "$TMP/o" 2> "$TMP/e"
ok "$(cat "$TMP/o" "$TMP/e" | grep -q "$cr"; echo $((!$?)))" "off a terminal: no carriage return"
ok "$(grep -q '^\[' "$TMP/o" "$TMP/e"; echo $((!$?)))" "off a terminal, a short run: no progress line"
out=$(on_tty -b openssl -f 'bulk/direction*' --quick scenarios/bulk)
like "$out" "$cr\\[[0-9]/3 +[0-9]+%\\] pass [0-9]+  fail 0  skip 0 \\| [0-9]+s, ETA " \
    "on a terminal: the live line with its count, tallies, elapsed and ETA"
like "$out" "\\| bulk/direction@[a-z0-9]+/openssl-vs-openssl" "and the case running"
last=$(printf '%s' "$out" | tr '\r' '\n' | grep -a '^\[' | tail -1)
ok "$([ "${#last}" -le 99 ]; echo $?)" "the line fits the terminal's width (${#last} < 100)"
out=$(run -v "${HS[@]}")
like "$out" "^\\[1/4\\] pass  handshake/versions@[a-z0-9-]+/openssl-vs-openssl \\(" "-v: a line per case with its count"
like "$out" "^\\[4/4\\] pass " "the count reaches the total"

# ---- quiet ----
run -q "${HS[@]}" > "$TMP/o" 2> "$TMP/e"
is $? 0 "-q: the run passes"
is "$(cat "$TMP/o")" "totals: pass 4, fail 0, xfail 0, xpass 0, skip 0, error 0" "-q: only the totals line"
is "$(cat "$TMP/e")" "" "-q: nothing on stderr"
out=$(on_tty --quiet "${HS[@]}")
is "$(printf '%s' "$out" | tr -d '\r')" "totals: pass 4, fail 0, xfail 0, xpass 0, skip 0, error 0" \
    "--quiet on a terminal: no progress line either"
ok "$([ -s "$TMP/r.json" ]; echo $?)" "-q still writes the results"

# ---- header ----
out=$(run -b openssl "${HS[@]:2}")
like "$(printf '%s' "$out" | head -1)" "; backends: openssl \\(OpenSSL [0-9.]+[^)]*\\)$" "the header lists only the backends in play"
out=$(run -b openssl,gnutls -f 'handshake/versions@tls12/*' scenarios/handshake/versions.json)
like "$(printf '%s' "$out" | head -1)" "backends: openssl \\(.*\\), gnutls \\(GnuTLS" "two backends, two entries"
ok "$(printf '%s' "$out" | head -1 | grep -q mbedtls; echo $((!$?)))" "and none that is not in play"

# ---- benchmark tables ----
out=$(run --quick -b openssl,gnutls -f 'bulk/direction*' scenarios/bulk)
is $? 0 "a tiny bulk run"
like "$out" "^bulk/direction: throughput, MiB/s \\(record-layer efficiency\\), median$" "a bulk table with its unit"
like "$out" "^  client-vs-server +c2s +s2c +both$" "pairs down, the variants across"
like "$out" "^  gnutls-vs-openssl +[0-9.]+ \\([01]\\.[0-9]{2}\\) +[0-9.]+ \\(" "each cell MiB/s with its efficiency"
ok "$(printf '%s' "$out" | grep -q 'Measurements\|send_ns_per_byte'; echo $((!$?)))" "no per-case metric blocks without -v"
out=$(run -v --quick -b openssl -f 'bulk/direction*' scenarios/bulk)
like "$out" "Measurements \\(median" "-v: the per-case blocks"
like "$out" "send_ns_per_byte" "with every metric"
like "$out" "^bulk/direction: throughput" "and the table"

# ---- long reasons ----
why=$(printf 'a deliberately long explanation%.0s, ' $(seq 12))END
cat > "$TMP/long.json" <<J
{ "name": "test/long-why", "kind": "handshake", "clients": ["openssl"], "servers": ["openssl"],
  "server": { "cert": "pki:expired" }, "expect": { "outcome": "ok" },
  "deviations": [ { "client": "openssl", "outcome": "expired", "why": "$why" } ] }
J
out=$(run "$TMP/long.json")
is $? 0 "an xfail with a long reason"
line=$(printf '%s' "$out" | grep '^  test/long-why/openssl-vs-openssl: ')
like "$line" "…$" "the reason cut in the terminal, with '…'"
ok "$([ "$(printf '%s' "$line" | wc -m)" -le 160 ]; echo $?)" "to 160 columns off a terminal"
ok "$(printf '%s' "$out" | grep -q 'END'; echo $((!$?)))" "its end not printed"
like "$out" "^  \\(reasons cut to the line; whole in $TMP/r.json\\)$" "where the whole reasons are, said once"
like "$(jq -r '.cases[0].reason' "$TMP/r.json")" "END$" "the results file keeps the whole reason"
out=$(on_tty "$TMP/long.json")
line=$(printf '%s' "$out" | tr -d '\r' | grep '^  test/long-why/openssl-vs-openssl: ')
ok "$([ "$(printf '%s' "$line" | wc -m)" -le 100 ]; echo $?)" "on a terminal: cut to its width"

# ---- text from peers and files: never a control byte on the terminal ----
# A deviation's "why" (a scenario file's text) with what a hostile server would send:
# an OSC title, BEL, a screen clear, the C1 CSI (U+009B) and a newline.
clean() { # FILE: 0 when it holds no control byte but newline (no DEL, no C1)
    perl -ne 'BEGIN { $bad = 0 } $bad = 1 if /[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]/; END { exit $bad }' "$1"
}
printf 'a\033]0;x\007\n' > "$TMP/dirty"
ok "$(clean "$TMP/dirty"; echo $((!$?)))" "the check itself: it finds ESC and BEL"
python3 - "$TMP/hostile.json" <<'PY'
import json, sys
why = "peer said \x1b]0;pwned\x07\x1b[2J\u009b31m\nforged line"
json.dump({"name": "test/hostile", "kind": "handshake", "clients": ["openssl"], "servers": ["openssl"],
           "expect": {"outcome": "expired"},
           "deviations": [{"client": "openssl", "server": "openssl", "outcome": "ok", "why": why}]},
          open(sys.argv[1], "w"))
PY
SHOWN='peer said \\x1b]0;pwned\\x07\\x1b\[2J\\xc2\\x9b31m\\nforged line'
run -v --junit "$TMP/hostile.xml" "$TMP/hostile.json" > "$TMP/o" 2> "$TMP/e"
is $? 0 "a run whose reason carries control bytes"
ok "$(clean "$TMP/o" && clean "$TMP/e"; echo $?)" "none reaches the terminal"
like "$(cat "$TMP/o")" "^\\[1/1\\] xfail test/hostile/openssl-vs-openssl .*: $SHOWN$" "the case's line shows them as \\xNN"
like "$(cat "$TMP/o")" "^  test/hostile/openssl-vs-openssl: known deviation: .*: $SHOWN$" "so does the summary"
ok "$(grep -q '^forged line' "$TMP/o"; echo $((!$?)))" "a newline in it forges no line"
ok "$(clean "$TMP/hostile.xml"; echo $?)" "JUnit: no control byte (none is legal XML 1.0)"
like "$(cat "$TMP/hostile.xml")" "xfail: known deviation: .*: $SHOWN</system-out>" "JUnit: the reason as \\xNN"
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$TMP/hostile.xml"
is $? 0 "JUnit: well formed"
is "$(jq -r '.cases[0].reason' "$TMP/r.json" | grep -c $'\033')" 1 "the results file keeps the text as it was"
"$TH_BIN" report -o "$TMP/hostile.html" "$TMP/r.json" > /dev/null
is $? 0 "report of those results"
ok "$(clean "$TMP/hostile.html"; echo $?)" "the page: no control byte"
like "$(cat "$TMP/hostile.html")" "$SHOWN" "the page: the reason as \\xNN"
out=$(on_tty --color=always "$TMP/hostile.json")
ok "$(printf '%s' "$out" | grep -q $'\033]\\|\007\\|\033\\[2J\\|\302\233'; echo $((!$?)))" \
    "on a terminal, in colour: only the run's own colours are escape sequences"

# probe: the status line of a server that sends escape sequences in it
if [ -x tests/tools/hostile_server.py ] || [ -f tests/tools/hostile_server.py ]; then
    "$TH_BIN" pki "$TMP/pki" > /dev/null
    python3 tests/tools/hostile_server.py --pki "$TMP/pki" --seconds 60 > "$TMP/hs.out" 2> "$TMP/hs.err" &
    HS_PID=$!
    for _ in $(seq 100); do grep -q '^ready' "$TMP/hs.out" && break; sleep 0.1; done
    port=$(awk '$1 == "bad-status" { print $2 }' "$TMP/hs.out")
    if [ -n "$port" ]; then
        timeout 60 "$TH_BIN" probe --ca "$TMP/pki/root.pem" "https://127.0.0.1:$port/" > "$TMP/probe.o" 2>&1
        ok "$(clean "$TMP/probe.o"; echo $?)" "probe: no control byte of the server's reaches the terminal"
        like "$(cat "$TMP/probe.o")" '^first byte .*HTTP/9.9 999 \\x1b]0;pwned\\x07\\x1b\[2J' \
            "probe: the status line as \\xNN"
        timeout 60 "$TH_BIN" probe --json --ca "$TMP/pki/root.pem" "https://127.0.0.1:$port/" > "$TMP/probe.json" 2>&1
        like "$(jq -r .status_line "$TMP/probe.json")" '^HTTP/9.9 999 \\x1b]0;pwned' "probe --json: the same text"
    else
        ok 1 "# SKIP the hostile server did not start: $(head -c 200 "$TMP/hs.err")"
    fi
    kill "$HS_PID" 2> /dev/null
    wait "$HS_PID" 2> /dev/null
fi
done_testing
