#!/bin/bash
# Hostile HTTP peers: a loopback HTTPS server (tests/tools/hostile_server.py) answers
# GET / with garbage. Every client, in-process or libcurl, refuses each response at
# once (not at the 5 s time limit), in the same class; a status other than 2xx fails
# every client; a huge body is cut at client.max_body_bytes with memory kept small;
# no reason carries a control byte.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"

python3 "$ROOT/tests/tools/hostile_server.py" --pki "$TLSHARNESS_PKI" --pidfile "$TMP/hostile.pid" \
    --seconds 120 > "$TMP/ports" 2> "$TMP/hostile.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^ready' "$TMP/ports" 2> /dev/null && break; sleep 0.1; done
grep -q '^ready' "$TMP/ports"
ok $? "hostile server listening ($(grep -c -v ready "$TMP/ports") ports)"
port() { awk -v k="$1" '$1 == k { print $2 }' "$TMP/ports"; }

# hostile_scenario FILE MODE EXPECT-OUTCOMES [TIMEOUT] [CLIENT-BLOCK]
hostile_scenario() {
    cat > "$1" <<J
{
  "name": "hostile/$2",
  "kind": "handshake",
  "clients": ["*"],
  "servers": ["https://127.0.0.1:$(port "$2")"],
  "timeout_s": ${4:-5},
  "client": { ${5:-} },
  "expect": { "outcome": $3 }
}
J
}
# framing errors: curl says io_error for some (curl's own classes, see below)
FRAMING='["internal_error", "io_error"]'
mkdir -p "$TMP/s"
hostile_scenario "$TMP/s/ok.json" ok '"ok"'
hostile_scenario "$TMP/s/close-delimited.json" close-delimited '"ok"'
for m in chunked-garbage chunk-overflow length-negative bad-header; do
    hostile_scenario "$TMP/s/$m.json" $m "$FRAMING"
done
for m in bad-status status-500 status-404 huge-length huge-chunked; do
    hostile_scenario "$TMP/s/$m.json" $m '"internal_error"'
done
hostile_scenario "$TMP/s/short-body.json" short-body '"truncated"'
# a body with no framing on a connection held open ends only at the time limit
hostile_scenario "$TMP/s/no-length.json" no-length '"timeout"' 1

"$TH_BIN" run -o "$TMP/r.json" "$TMP/s" > "$TMP/out" 2>&1
rc=$?
is "$rc" 0 "every client against every hostile response: the outcome expected"
[ "$rc" -eq 0 ] || grep -E '^\s*(fail|error)' "$TMP/out" | head -20 | sed 's/^/#   /'
n=$(jq '.cases | length' "$TMP/r.json")
clients=$(jq -r '[.cases[].id | sub(".*/"; "") | sub("-vs-.*"; "")] | unique | join(",")' "$TMP/r.json")
ok "$([ "$n" -ge 36 ]; echo $?)" "$n cases ran (clients: $clients)"
for c in openssl gnutls mbedtls curl-openssl curl-gnutls; do
    like "$clients" "(^|,)$c(,|$)" "client $c took part"
done

# prompt: every refusal well under the 5 s limit (the old clients waited it out);
# the endless body takes the time its 64 MiB take to arrive and decrypt
slow=$(jq -r '.cases[] | select(.id | test("^hostile/(no-length|huge-chunked)/") | not)
    | select(.duration_s > 1.5) | "\(.id) \(.duration_s)"' "$TMP/r.json")
is "$slow" "" "every hostile response refused within 1.5 s"
slow=$(jq -r '.cases[] | select(.id | startswith("hostile/no-length/"))
    | select(.duration_s > 2.5) | "\(.id) \(.duration_s)"' "$TMP/r.json")
is "$slow" "" "an unframed body on a held connection: the 1 s limit, no more"

# one parser for the three in-process clients: the same class and words as load's
inproc() { # MODE: "outcome text" of the in-process clients, one line each, sorted unique
    jq -r --arg m "hostile/$1/" '.cases[] | select(.id | startswith($m))
        | select(.id | test("/(openssl|gnutls|mbedtls)-vs-"))
        | "\(.observed.outcome) \(.observed.native.text)"' "$TMP/r.json" | sort -u
}
is "$(inproc chunked-garbage)" "internal_error HTTP response: bad chunk size line" \
    "chunked garbage: internal_error at once, one reason for the three"
is "$(inproc chunk-overflow)" "internal_error HTTP response: chunk size too large" \
    "chunk-size overflow: refused"
is "$(inproc length-negative)" "internal_error HTTP response: bad Content-Length '-1'" \
    "Content-Length -1: refused"
is "$(inproc status-500)" "internal_error HTTP response: HTTP status 500" \
    "HTTP 500 fails the in-process clients"
is "$(jq -r '[.cases[] | select(.id | startswith("hostile/status-500/"))
    | .observed.outcome] | unique | join(",")' "$TMP/r.json")" internal_error \
    "HTTP 500: every client, curl included, says internal_error"
is "$(jq -r '[.cases[] | select(.id | startswith("hostile/status-404/")) | .observed.native.code]
    | unique | join(",")' "$TMP/r.json")" 404 "HTTP 404: the status is the code for every client"
is "$(inproc short-body)" "truncated HTTP response: closed after 100 body bytes of the response" \
    "a close mid-body: truncated"
like "$(inproc huge-length)" "Content-Length 1099511627776 over the bound of 67108864 bytes" \
    "a huge Content-Length: refused at the head, the default bound named"
like "$(jq -r '.cases[] | select(.id | startswith("hostile/huge-chunked/curl-"))
    | .observed.native.text' "$TMP/r.json")" "body over the bound of 67108864 bytes" \
    "curl: a huge chunked body cut at the default bound"

# no control byte in any reason, and the status line's ESC shown escaped
ctl=$(jq -r '.cases[].observed.native.text // empty' "$TMP/r.json" | LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]')
is "$ctl" 0 "no reason holds a control byte"
like "$(inproc bad-status)" "bad status line 'HTTP/9.9 999 \\\\x1b\]0;pwned\\\\x07\\\\x1b\[2J" \
    "the hostile status line is quoted with its escapes written out"
like "$(inproc bad-header)" "malformed header line 'X-Evil\\\\x1b\[2J\\\\x07 no colon'" \
    "a hostile header line too"
# and on the terminal, where a failing case prints its reason
hostile_scenario "$TMP/bad-status-ok.json" bad-status '"ok"'
"$TH_BIN" run -o "$TMP/r2.json" "$TMP/bad-status-ok.json" > "$TMP/out2" 2>&1
is $? 1 "expecting ok from the bad status line fails"
is "$(LC_ALL=C grep -c $'\x1b' "$TMP/out2")" 0 "the terminal gets no ESC from the peer"
like "$(cat "$TMP/out2")" 'HTTP/9.9 999 \\x1b' "the reason is printed, escaped"

# the body bound: memory stays small for every client
if [ -x /usr/bin/time ]; then
    rss() { # SCENARIO: peak RSS in KiB of a run of it
        /usr/bin/time -f '%M' -o "$TMP/rss" "$TH_BIN" run -o "$TMP/r3.json" "$1" > "$TMP/out3" 2>&1
        tail -1 "$TMP/rss"
    }
    # against a run of the well-behaved server, so a sanitizer build's overhead cancels
    base=$(rss "$TMP/s/ok.json")
    hostile_scenario "$TMP/huge1.json" huge-chunked '"internal_error"' 5 '"max_body_bytes": 1048576'
    kb=$(rss "$TMP/huge1.json")
    is "$(jq -r '[.cases[].status] | unique | join(",")' "$TMP/r3.json")" pass \
        "max_body_bytes 1 MiB: every client stops the endless chunked body"
    like "$(jq -r '.cases[].observed.native.text' "$TMP/r3.json" | sort -u)" \
        "over the bound of 1048576 bytes" "the reason names the bound"
    ok "$([ $((kb - base)) -lt 20480 ]; echo $?)" \
        "peak RSS ${kb} KiB with a 1 MiB bound: within 20 MiB of a plain run's ${base} KiB"
    kb=$(rss "$TMP/s/huge-chunked.json")
    if [ "$TH_BUILD" = build-sanitize ]; then
        # AddressSanitizer keeps freed buffers in quarantine (256 MiB): the growing body's old
        # buffers stay resident, so this bound is checked on the plain build only
        ok 0 "# skip peak RSS with the default bound: not measurable under AddressSanitizer"
    else
        ok "$([ $((kb - base)) -lt 102400 ]; echo $?)" \
            "peak RSS ${kb} KiB with the default 64 MiB bound: within 100 MiB of a plain run's (was 1 GiB)"
    fi
    hostile_scenario "$TMP/ok1.json" ok '"ok"' 5 '"max_body_bytes": 1024'
    "$TH_BIN" run -o "$TMP/r4.json" "$TMP/ok1.json" > /dev/null 2>&1
    is $? 0 "a body of exactly max_body_bytes passes every client"
    hostile_scenario "$TMP/ok2.json" ok '"internal_error"' 5 '"max_body_bytes": 1023'
    "$TH_BIN" run -o "$TMP/r4.json" "$TMP/ok2.json" > /dev/null 2>&1
    is $? 0 "one byte over max_body_bytes fails every client"
else
    echo "# /usr/bin/time missing: peak RSS not checked"
fi

# the key is checked as strictly as the others
cat > "$TMP/bad1.json" <<'J'
{ "name": "x/a", "kind": "handshake", "client": { "max_body_bytes": 0 } }
J
out=$("$TH_BIN" validate "$TMP/bad1.json" 2>&1)
is $? 2 "max_body_bytes 0: refused"
like "$out" "bad1.json:1:[0-9]+: client.max_body_bytes: 0 out of range 1-4294967296" "with its place"
cat > "$TMP/bad2.json" <<'J'
{ "name": "x/b", "kind": "handshake", "client": { "max_body_bytes": "1M" } }
J
out=$("$TH_BIN" validate "$TMP/bad2.json" 2>&1)
is $? 2 "max_body_bytes as a string: refused"
like "$out" "expected a whole number of bytes" "saying what it wants"
cat > "$TMP/bad3.json" <<'J'
{ "name": "x/c", "kind": "bulk", "client": { "max_body_bytes": 1000 } }
J
out=$("$TH_BIN" validate "$TMP/bad3.json" 2>&1)
is $? 2 "max_body_bytes on kind bulk: refused"
like "$out" "not used by kind bulk" "saying why"
cat > "$TMP/good.json" <<'J'
{ "name": "x/d", "kind": "handshake", "client": { "max_body_bytes": 4294967296 } }
J
"$TH_BIN" validate "$TMP/good.json" > /dev/null 2>&1
is $? 0 "max_body_bytes 4 GiB: the top of the range is taken"

kill "$(cat "$TMP/hostile.pid")" 2> /dev/null
done_testing
