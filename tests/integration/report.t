#!/bin/bash
# The HTML report of a small real run (conformance, bulk, handshake rate, memory, and
# load against our own servers), written by `run --html` and by `report`, then
# rendered in headless Chromium: the DOM has one grid cell per pair, one bar per bulk
# case, one latency line per load case and nothing from outside the page, and the
# screenshot is a real picture. Without chromium (ci/deps.sh installs it) the
# rendering checks skip, saying so.
. "$(dirname "$0")/lib.sh"

skip() { # skip N REASON
    for _ in $(seq "$1"); do
        T_N=$((T_N + 1))
        echo "ok $T_N # skip $2"
    done
}

"$TH_BIN" run --quick -b openssl,gnutls -o "$TMP/r.json" --html "$TMP/run.html" \
    scenarios/handshake/alpn.json scenarios/bulk/aead.json scenarios/handshake-rate/resumed.json \
    scenarios/memory/idle.json scenarios/load/keepalive.json > "$TMP/run.out" 2>&1
ok $? "a small real run of every kind"
like "$(cat "$TMP/run.out")" "report: +$TMP/run.html" "run --html says where the page is"
"$TH_BIN" report "$TMP/r.json" -o "$TMP/r.html" > "$TMP/out" 2>&1
ok $? "report writes the page"
like "$(cat "$TMP/out")" "report: $TMP/r.html" "and says where"
cmp -s "$TMP/run.html" "$TMP/r.html"
ok $? "run --html and report write the same page"

# what the page must hold, counted from the results file
pairs=$(jq '[.cases[] | .client + "-vs-" + .server] | unique | length' "$TMP/r.json")
bulk=$(jq '[.cases[] | select(.kind == "bulk" and .metrics.throughput_mib_s.median != null)] | length' "$TMP/r.json")
load=$(jq '[.cases[] | select(.kind == "load" and .metrics.latency_ms_p50.median != null)] | length' "$TMP/r.json")
ok $([ "$pairs" -ge 4 ] && [ "$bulk" -ge 4 ] && [ "$load" -ge 2 ]; echo $?) \
    "the run has pairs ($pairs), bulk cases ($bulk) and load cases ($load) to draw"

# bad input: exit 2, FILE:LINE:COL, nothing written
printf '{"schema": "tlsharness.results/1",\n "cases": [ {"id": 3} ]}\n' > "$TMP/bad.json"
"$TH_BIN" report "$TMP/bad.json" -o "$TMP/bad.html" > /dev/null 2> "$TMP/err"
is $? 2 "a malformed results file: exit 2"
like "$(cat "$TMP/err")" 'bad.json:2:[0-9]+: ' "named with FILE:LINE:COL"
ok $([ ! -e "$TMP/bad.html" ]; echo $?) "and no page written"
"$TH_BIN" report "$TMP/none.json" -o "$TMP/none.html" > /dev/null 2>&1
is $? 2 "a missing results file: exit 2"
"$TH_BIN" report "$TMP/r.json" -o "$TMP/r.json" > /dev/null 2>&1
is $? 2 "a page never replaces the results it shows"
jq -e .schema "$TMP/r.json" > /dev/null
ok $? "which are left whole"
"$TH_BIN" report --help > "$TMP/help" 2>&1
is $? 0 "report --help: exit 0"
like "$(cat "$TMP/help")" '--base' "with its options"
jq '(.cases[] | select(.kind == "bulk") | .metrics.throughput_mib_s.median) |= . * 2' \
    "$TMP/r.json" > "$TMP/base.json"
"$TH_BIN" report "$TMP/r.json" --base "$TMP/base.json" -o "$TMP/cmp.html" > /dev/null 2>&1
ok $? "report --base"
like "$(cat "$TMP/cmp.html")" '>REGRESSION<' "shows the regression of halved throughput"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    skip 8 "chromium is not installed (ci/deps.sh installs it)"
    done_testing
    exit
fi
chrome() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$TMP/chr" "$@"
}
chrome --dump-dom "file://$TMP/r.html" > "$TMP/dom.html" 2> "$TMP/chr.err"
ok $? "Chromium loads the page"
dom=$(cat "$TMP/dom.html")
is "$(grep -o '<td class="cell [a-z]*" data-pair=' "$TMP/dom.html" | wc -l)" "$pairs" \
    "one grid cell per pair"
is "$(sed -n '/<section id="bulk"/,/<\/section>/p' "$TMP/dom.html" | grep -o '<g class="bar">' | wc -l)" \
    "$bulk" "one bar per bulk case"
is "$(sed -n '/<section id="load"/,/<\/section>/p' "$TMP/dom.html" | grep -o '<g class="series">' | wc -l)" \
    "$load" "one latency line per load case"
ok $(printf '%s' "$dom" | grep -Eq '(src|href)="(https?:)?//|url\(|@import|<script|<link' && echo 1 || echo 0) \
    "no reference outside the page, no script"
ok $(grep -q '<section id="handshakes"' "$TMP/dom.html" && grep -q '<section id="memory"' \
    "$TMP/dom.html"; echo $?) "the handshake rate and memory sections"
chrome --screenshot="$TMP/r.png" --window-size=1366,900 "file://$TMP/r.html" > /dev/null 2>&1
# a PNG's width and height: the first chunk's first two 32-bit big-endian numbers
dims=$(od -An -tu1 -j16 -N8 "$TMP/r.png" 2> /dev/null | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
is "$dims" 1366x900 "a screenshot at a laptop's size"
size=$(stat -c %s "$TMP/r.png" 2> /dev/null || echo 0)
ok $([ "$size" -gt 40000 ]; echo $?) "and a real picture, not a blank page ($size bytes)"
done_testing
