#!/bin/bash
# Each kind of bad input: exit 2, a message naming the file, the place and the
# reason; nothing already written is lost.
. "$(dirname "$0")/lib.sh"
run() { "$TH_BIN" "$@" > "$TMP/o" 2> "$TMP/e"; echo $?; }

printf '{\n  "name": "x",\n  "kind": "handshake",,\n}\n' > "$TMP/syntax.json"
is "$(run run "$TMP/syntax.json")" 2 "malformed JSON: exit 2"
like "$(cat "$TMP/e")" "syntax.json:3:[0-9]+: " "malformed JSON: FILE:LINE:COL"

printf '{\n  "name": "x",\n  "kind": "handshake",\n  "colour": "blue"\n}\n' > "$TMP/unknown.json"
is "$(run validate "$TMP/unknown.json")" 2 "unknown key: validate exits 2"
like "$(cat "$TMP/e")" "unknown.json:4:[0-9]+: .*colour" "unknown key: FILE:LINE:COL and the key"

printf '{\n  "name": "x",\n  "kind": "handshake",\n  "client": { "versions": ["1.2", "1.4"] }\n}\n' > "$TMP/version.json"
is "$(run run "$TMP/version.json")" 2 "unknown TLS version: exit 2"
like "$(cat "$TMP/e")" "version.json:4:[0-9]+: .*1\.4" "unknown TLS version: where and which"

printf '{\n  "name": "x",\n  "kind": "handshake",\n  "server": { "cert": "pki:nosuch" }\n}\n' > "$TMP/pki.json"
is "$(run run "$TMP/pki.json")" 2 "unknown PKI object: exit 2"
like "$(cat "$TMP/e")" "pki.json:4:[0-9]+: .*nosuch" "unknown PKI object named"

printf '{\n  "name": "x",\n  "kind": "handshake",\n  "servers": ["https://127.0.0.1"]\n}\n' > "$TMP/url.json"
is "$(run run "$TMP/url.json")" 2 "external target without a port: exit 2"
like "$(cat "$TMP/e")" "url.json:4:[0-9]+:" "bad target URL located"

is "$(run run "$TMP/does-not-exist.json")" 2 "missing scenario file: exit 2"
like "$(cat "$TMP/e")" "does-not-exist.json" "missing file named"

is "$(run run -b nosuch scenarios/)" 2 "unknown backend in -b: exit 2"
like "$(cat "$TMP/e")" "nosuch" "unknown backend named"

is "$(run run --repeat zero scenarios/)" 2 "bad --repeat: exit 2"
is "$(run frobnicate)" 2 "unknown command: exit 2"
is "$(run run --no-such-option)" 2 "unknown option: exit 2"

touch "$TMP/a-file"
is "$(run run -b openssl -o "$TMP/a-file/r.json" scenarios/cert/expired.json)" 2 \
    "results path under a regular file: exit 2 before running"
like "$(cat "$TMP/e")" "a-file/r.json" "the unwritable results path is named"

# a good run, then a bad one pointed at the same results file: the first stays whole
"$TH_BIN" run -b openssl -o "$TMP/keep.json" scenarios/cert/expired.json > /dev/null 2>&1
ok $? "a good run writes its results"
before=$(md5sum < "$TMP/keep.json")
is "$(run run -o "$TMP/keep.json" "$TMP/syntax.json")" 2 "a later bad run exits 2"
is "$(md5sum < "$TMP/keep.json")" "$before" "and leaves the earlier results file untouched"
jq -e . "$TMP/keep.json" > /dev/null
ok $? "the results file is valid JSON"
ls "$TMP" | grep -q '\.tmp\.' && r=1 || r=0
ok $r "no temporary files left beside it"
done_testing
