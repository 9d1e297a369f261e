#!/bin/bash
# Each kind of bad input: exit 2, a message naming the file, the place and the
# reason; nothing already written is lost.
. "$(dirname "$0")/lib.sh"
run() { "$TH_BIN" "$@" > "$TMP/o" 2> "$TMP/e"; echo $?; }
# the same, bounded in time: a read that blocks is a failure, not a hung test
run_t() { timeout 20 "$TH_BIN" "$@" > "$TMP/o" 2> "$TMP/e"; echo $?; }

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
# ---- input limits: regular files only, at most 64 MiB (issue 11) ----
mkfifo "$TMP/pipe.json"
start=$(date +%s)
is "$(run_t validate "$TMP/pipe.json")" 2 "validate on a FIFO: exit 2, no hang"
is "$(( $(date +%s) - start < 5 ))" 1 "and at once"
like "$(cat "$TMP/e")" "pipe.json: cannot read: it is a FIFO, not a regular file" \
    "the FIFO named, and what it is"
is "$(run_t validate /dev/zero)" 2 "validate on /dev/zero: exit 2"
like "$(cat "$TMP/e")" "/dev/zero: cannot read: it is a character device, not a regular file" \
    "the device named, and what it is"
truncate -s 65M "$TMP/huge.json"
is "$(run_t validate "$TMP/huge.json")" 2 "a 65 MiB file: exit 2"
like "$(cat "$TMP/e")" "huge.json: cannot read: larger than 64 MiB, the limit for an input file" \
    "the file and the limit named"
mkdir "$TMP/folder"
cp scenarios/cert/expired.json "$TMP/folder/"
mkfifo "$TMP/folder/stuck.json"
is "$(run_t validate "$TMP/folder")" 2 "a folder holding a FIFO named .json: exit 2"
like "$(cat "$TMP/e")" "folder/stuck.json: cannot read: it is a FIFO" "the entry named"

# ---- --shard: range-checked, no wrap past 32 bits ----
for bad in 1/4294967297 0/3 4/3 1/0 -1/3 " 1/3" 1/+3 1/3x 1/ /3 99999999999999999999/1; do
    is "$(run list --shard "$bad" scenarios/cert/expired.json)" 2 "--shard '$bad': exit 2"
done
like "$(cat "$TMP/e")" "--shard: '99999999999999999999/1' is not I/N with 1 <= I <= N <= 4294967295" \
    "the rule said"
is "$(run list --shard 1/4294967295 -b openssl scenarios/cert/expired.json)" 0 \
    "--shard 1/4294967295: the largest count is fine"
is "$(wc -l < "$TMP/o")" 1 "and shard 1 of it holds the first case"

# ---- lists and host names ----
printf '{\n  "name": "x",\n  "kind": "handshake",\n  "client": { "alpn": ["h2", "h2"] }\n}\n' \
    > "$TMP/alpn.json"
is "$(run validate "$TMP/alpn.json")" 2 "a duplicate client.alpn entry: exit 2"
like "$(cat "$TMP/e")" 'alpn.json:4:[0-9]+: client.alpn\[1\]: "h2" listed twice' \
    "FILE:LINE:COL and the entry"
printf '{\n  "name": "x",\n  "kind": "handshake",\n  "clients": ["openssl", "openssl"]\n}\n' \
    > "$TMP/clients.json"
is "$(run validate "$TMP/clients.json")" 2 "a backend listed twice in clients: exit 2"
printf '{\n  "name": "x",\n  "kind": "handshake",\n  "client": { "hostname": "a\\nb" }\n}\n' \
    > "$TMP/host.json"
is "$(run validate "$TMP/host.json")" 2 "a hostname with a newline: exit 2"
like "$(cat "$TMP/e")" "host.json:4:[0-9]+: client.hostname: not a DNS name" "located and said"
python3 -c 'import json; print(json.dumps({"name": "x", "kind": "handshake",
    "client": {"hostname": "a" * 1000000}}))' > "$TMP/long.json"
is "$(run validate "$TMP/long.json")" 2 "a hostname 1 MB long: exit 2"
like "$(cat "$TMP/e")" "1000000 bytes long; a host name is at most 253" "its length said"

# ---- every diagnostic is one line, whatever the input held ----
printf '{\n  "name": "x",\n  "kind": \033]0;pwned\007\n}\n' > "$TMP/esc.json"
is "$(run validate "$TMP/esc.json")" 2 "a raw escape sequence in the JSON: exit 2"
grep -q "$(printf '\033')" "$TMP/e" && r=1 || r=0
ok $r "no ESC byte reaches stderr"
like "$(cat "$TMP/e")" "esc.json:3:[0-9]+: .*near '\\\\x1b'" "jansson's near text escaped"
printf '{\n  "name": "x",\n  "kind": "handshake",\n  "client": { "a\\nb": 1 }\n}\n' > "$TMP/key.json"
is "$(run validate "$TMP/key.json")" 2 "an unknown key with a newline: exit 2"
is "$(grep -c . "$TMP/e")" 2 "one line for the error, one for the count"
like "$(head -1 "$TMP/e")" 'client\.a\\nb: unknown key' "the key escaped"

# ---- output paths: a device or a FIFO is never replaced ----
mkfifo "$TMP/out-fifo"
run run -b openssl -o "$TMP/out-fifo" scenarios/cert/expired.json > /dev/null
[ -p "$TMP/out-fifo" ]
ok $? "-o a FIFO: the FIFO is still a FIFO"
# the issue's repro: as root, `mknod X c 1 3; run -o X` left a 0644 regular file
if mknod "$TMP/out-null" c 1 3 2> /dev/null; then
    rc=$(run run -b openssl -o "$TMP/out-null" scenarios/cert/expired.json)
    [ "$rc" != 0 ]
    ok $? "-o a character device: not a success (exit $rc)"
    [ -c "$TMP/out-null" ]
    ok $? "and the device is still a device"
    like "$(cat "$TMP/e")" "out-null.*not a regular file|Invalid argument" "and why is said"
else
    for _ in 1 2 3; do ok 0 "# SKIP mknod needs root"; done
fi
ln -s "$TMP/linked.json" "$TMP/link.json"
is "$(run run -b openssl -o "$TMP/link.json" scenarios/cert/expired.json)" 0 \
    "-o a link to nothing yet: the run writes"
[ -L "$TMP/link.json" ] && jq -e .cases "$TMP/linked.json" > /dev/null
ok $? "through the link: the link stays a link, the file it names holds the results"

done_testing
