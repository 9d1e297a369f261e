#!/bin/bash
# `tlsharness fixture NAME`: each real server started on a free port, fetched from
# with curl (verifying against the test PKI's root), stopped by SIGINT with its
# process and folder gone. A fixture whose package is missing is a skip.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
PATTERN="$BUILD_DIR/tools/pattern"
"$PATTERN" 1024 > "$TMP/want1024"
"$PATTERN" 1048576 > "$TMP/want1M"

start_fixture() { # NAME SECONDS: sets FPID, PORT, SPID (the server's pid), DIR
    PORT= SPID= DIR=
    "$TH_BIN" fixture "$1" --seconds "$2" > "$TMP/$1.out" 2> "$TMP/$1.err" &
    FPID=$!
    PIDS+=($FPID)
    for _ in $(seq 100); do
        grep -q '^serving' "$TMP/$1.out" && break
        kill -0 $FPID 2> /dev/null || break
        sleep 0.1
    done
    local line
    line=$(head -1 "$TMP/$1.out")
    [[ $line =~ ^serving\ https://127\.0\.0\.1:([0-9]+)/\ with\ $1\ \(pid\ ([0-9]+),\ folder\ (.+)\)$ ]] || return 1
    PORT=${BASH_REMATCH[1]} SPID=${BASH_REMATCH[2]} DIR=${BASH_REMATCH[3]}
}

for fx in nginx lighttpd-openssl lighttpd-gnutls lighttpd-mbedtls lighttpd-wolfssl lighttpd-nss caddy; do
    if ! start_fixture $fx 20; then
        wait $FPID 2> /dev/null
        if grep -q 'Debian package' "$TMP/$fx.err"; then
            ok 0 "# SKIP $fx: $(sed 's/^tlsharness: fixture: //' "$TMP/$fx.err")"
        else
            ok 1 "$fx: prints where it serves"
            sed 's/^/#   /' "$TMP/$fx.out" "$TMP/$fx.err"
        fi
        continue
    fi
    ok 0 "$fx: prints 'serving https://127.0.0.1:$PORT/ with $fx (pid $SPID, folder $DIR)'"
    [ -d "$DIR" ] && kill -0 "$SPID" 2> /dev/null
    ok $? "$fx: the server runs, its folder exists"
    curl -sS --max-time 20 --cacert "$TLSHARNESS_PKI/root.pem" -D "$TMP/$fx.head" \
        -o "$TMP/$fx.body" "https://localhost:$PORT/bytes/1024" 2> "$TMP/$fx.curl"
    ok $? "$fx: curl verifies the chain and fetches /bytes/1024 $(cat "$TMP/$fx.curl")"
    cmp -s "$TMP/$fx.body" "$TMP/want1024"
    ok $? "$fx: the body is th_pattern_fill(seed 0) byte for byte"
    like "$(tr -d '\r' < "$TMP/$fx.head")" '^[Cc]ontent-[Ll]ength: 1024$' "$fx: Content-Length: 1024"
    # two URLs on one curl: the second rides the first's connection
    curl -sS --max-time 20 --cacert "$TLSHARNESS_PKI/root.pem" -o "$TMP/$fx.a" -o "$TMP/$fx.b" \
        -w '%{num_connects}\n' "https://localhost:$PORT/" "https://localhost:$PORT/bytes/1048576" \
        > "$TMP/$fx.conns" 2> /dev/null
    is "$(tr -d '\n' < "$TMP/$fx.conns")" "10" "$fx: GET / and /bytes/1048576 on one kept-alive connection"
    cmp -s "$TMP/$fx.b" "$TMP/want1M" && cmp -s "$TMP/$fx.a" "$TMP/want1024"
    ok $? "$fx: / is 1024 pattern bytes, /bytes/1048576 a MiB of them"
    kill -INT $FPID
    wait $FPID
    is $? 0 "$fx: SIGINT stops it with exit 0"
    ! kill -0 "$SPID" 2> /dev/null && [ ! -e "$DIR" ]
    ok $? "$fx: the server process and its folder are gone"
done

# The rest needs one fixture that runs here.
RUNS=
for fx in lighttpd-openssl nginx caddy; do
    start_fixture $fx 1 && RUNS=$fx && break
done
if [ -z "$RUNS" ]; then
    ok 0 "# SKIP no fixture runs here"
else
    t0=$SECONDS
    wait $FPID
    is $? 0 "--seconds 1: $RUNS stops by itself with exit 0"
    ok $((SECONDS - t0 > 5)) "... within a few seconds"
    ! kill -0 "$SPID" 2> /dev/null && [ ! -e "$DIR" ]
    ok $? "... and leaves nothing behind"

    start_fixture $RUNS 20
    kill -KILL "$SPID"
    wait $FPID
    is $? 3 "a server killed from outside: exit 3"
    like "$(cat "$TMP/$RUNS.err")" "$RUNS stopped by itself" "... saying so"
    [ ! -e "$DIR" ]
    ok $? "... its folder removed"
fi

"$TH_BIN" fixture nosuch > /dev/null 2> "$TMP/nosuch"
is $? 2 "unknown fixture: exit 2"
like "$(cat "$TMP/nosuch")" "unknown fixture 'nosuch' \(known: nginx, lighttpd-openssl" "... naming those it knows"
"$TH_BIN" fixture > /dev/null 2>&1
is $? 2 "no name: exit 2"
"$TH_BIN" fixture nginx caddy > /dev/null 2>&1
is $? 2 "two names: exit 2"
"$TH_BIN" fixture nginx --cert nosuch > /dev/null 2>&1
is $? 2 "--cert nosuch: exit 2"
"$TH_BIN" fixture nginx --seconds soon > /dev/null 2>&1
is $? 2 "--seconds soon: exit 2"
"$TH_BIN" fixture nginx --bogus > /dev/null 2>&1
is $? 2 "unknown option: exit 2"

done_testing
