#!/bin/bash
# `tlsharness serve`: a backend's server role as an HTTPS/1.1 server, checked with
# openssl s_client as the client.
. "$(dirname "$0")/lib.sh"
"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null
ok $? "test PKI written"
PATTERN="$BUILD_DIR/tools/pattern"

start_serve() { # BACKEND SECONDS ; sets PORT and SPID
    for _ in 1 2 3 4 5; do
        PORT=$((20000 + RANDOM % 30000))
        "$TH_BIN" serve -b "$1" -p "$PORT" --seconds "$2" > "$TMP/serve.$PORT.out" 2> "$TMP/serve.$PORT.log" &
        SPID=$!
        PIDS+=($SPID)
        for _ in $(seq 100); do
            (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null && return 0
            kill -0 $SPID 2> /dev/null || break
            sleep 0.1
        done
        kill $SPID 2> /dev/null
    done
    return 1
}

fetch() { # REQUEST OUTFILE: the raw response bytes
    printf "$1" | timeout 20 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
        -CAfile "$TLSHARNESS_PKI/root.pem" -verify_return_error -quiet > "$2" 2> "$2.err"
}

head_of() { sed -n '1,/^\r$/p' "$1" | tr -d '\r'; }
body_of() { tail -c +$(($(sed -n '1,/^\r$/p' "$1" | wc -c) + 1)) "$1"; }

start_serve openssl 30
ok $? "serve -b openssl listening on port $PORT"
like "$(cat "$TMP/serve.$PORT.out")" "^serving https://127.0.0.1:$PORT/ with openssl \(ctrl-C to stop\)" "prints where it serves"

fetch 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/root"
ok $? "GET / over s_client with verification"
like "$(head -1 "$TMP/root")" '^HTTP/1.1 200 OK' "GET / is 200"
like "$(body_of "$TMP/root")" '^tlsharness openssl OpenSSL ' "body names the backend and library version"
like "$(body_of "$TMP/root")" 'TLS 1.3 TLS_AES_(128|256)_GCM_SHA(256|384)' "body names the negotiated version and suite"

fetch 'GET /bytes/100000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/bytes"
like "$(head_of "$TMP/bytes")" 'Content-Length: 100000' "GET /bytes/100000 has Content-Length 100000"
is "$(body_of "$TMP/bytes" | wc -c)" 100000 "100000 body bytes received"
"$PATTERN" 100000 > "$TMP/want"
body_of "$TMP/bytes" | cmp -s - "$TMP/want"
ok $? "the body is th_pattern_fill(seed 0) byte for byte"

fetch 'GET /bytes/0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/zero"
like "$(head_of "$TMP/zero")" 'Content-Length: 0' "GET /bytes/0 is an empty 200"

fetch 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /bytes/10 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/ka"
is "$(grep -ac '^HTTP/1.1 200 OK' "$TMP/ka")" 2 "two requests on one keep-alive connection both answered"

fetch 'GET /nosuch HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/404"
like "$(head -1 "$TMP/404")" '^HTTP/1.1 404 ' "unknown path is 404"
fetch 'GET /bytes/1073741825 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/big"
like "$(head -1 "$TMP/big")" '^HTTP/1.1 404 ' "/bytes/ over 1 GiB is 404"
fetch 'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n' "$TMP/405"
like "$(head -1 "$TMP/405")" '^HTTP/1.1 405 ' "POST is 405"
fetch 'NONSENSE\r\n\r\n' "$TMP/400"
like "$(head -1 "$TMP/400")" '^HTTP/1.1 400 ' "a malformed request line is 400"
fetch "GET / HTTP/1.1\r\nX-Big: $(head -c 17000 /dev/zero | tr '\0' a)\r\n\r\n" "$TMP/431"
like "$(head -1 "$TMP/431")" '^HTTP/1.1 431 ' "a request head over 16 KiB is 431"
fetch 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' "$TMP/h10"
like "$(head -1 "$TMP/h10")" '^HTTP/1.1 200 ' "HTTP/1.0 is answered and closed"
like "$(cat "$TMP/serve.$PORT.log")" "127.0.0.1:[0-9]+: TLS 1.3 TLS_[A-Z0-9_]+, 2 requests" "one log line per connection with version and suite"

kill -INT $SPID
wait $SPID
is $? 0 "SIGINT stops the server with exit 0"

for b in gnutls mbedtls; do
    if ! "$TH_BIN" backends | grep -q "^$b "; then
        ok 0 "# SKIP $b not compiled in"
        continue
    fi
    start_serve $b 30
    ok $? "serve -b $b listening on port $PORT"
    fetch 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$TMP/$b"
    like "$(head -1 "$TMP/$b")" '^HTTP/1.1 200 OK' "$b: GET / is 200"
    like "$(body_of "$TMP/$b")" "^tlsharness $b " "$b: body names the backend"
    like "$(body_of "$TMP/$b")" "TLS 1\.[23] TLS_" "$b: body names the negotiated version and suite"
    kill -TERM $SPID
    wait $SPID
    is $? 0 "$b: SIGTERM stops the server with exit 0"
done

start_serve openssl 2
ok $? "serve --seconds 2 listening on port $PORT"
t0=$SECONDS
wait $SPID
is $? 0 "--seconds: the server stops by itself with exit 0"
ok $((SECONDS - t0 > 5)) "... within a few seconds"

"$TH_BIN" serve -b nosuch -p 4433 > /dev/null 2>&1
is $? 2 "unknown backend: exit 2"
"$TH_BIN" serve -b openssl -p 0 > /dev/null 2>&1
is $? 2 "port 0: exit 2"
"$TH_BIN" serve -b openssl -p 65536 > /dev/null 2>&1
is $? 2 "port 65536: exit 2"
"$TH_BIN" serve -b openssl -p 4433 --cert nosuch > /dev/null 2>&1
is $? 2 "--cert nosuch: exit 2"
"$TH_BIN" serve -b openssl > /dev/null 2>&1
is $? 2 "no port: exit 2"
"$TH_BIN" serve -b openssl -p 4433 --host 192.0.2.1 --seconds 1 > /dev/null 2> "$TMP/nolisten"
is $? 3 "an address it cannot listen on: exit 3"

done_testing
