#!/bin/bash
# tlsharness's kind load (`tlsharness run` of a load scenario whose server is the
# nginx as an https:// target) side by side with wrk and h2load against nginx,
# alternating tools within each round so the machine's drift (this VM's speed moves
# by tens of percent from minute to minute) falls on every tool alike. Reports
# medians over ROUNDS rounds (min-max beside) and the median of the per-round ratios.
#   tests/bench/load.sh [ROUNDS]        (default 5; 12-20 s a round, by the machine)
# Environment: BUILD (object folder, default build), TH_BIN (default ./tlsharness),
#   LOAD_SERVER=auto|fixture|own   auto: `tlsharness fixture nginx` when that command
#       works, else an nginx started here from a temporary configuration that follows
#       harness/fixture/templates/nginx.conf.in (one worker, keepalive_requests 1000000);
#   WRK_SECONDS (5), KA_REQUESTS (30000), NC_REQUESTS (800), CONNS (16),
#   LOAD_BUDGET_S (110): no round starts that would likely end past it.
#
# What is compared:
#  - keep-alive GETs of /bytes/1024 over CONNS connections: requests per second and
#    client CPU per request. wrk and h2load: their process CPU (/usr/bin/time, user +
#    system) over the requests they report; tlsharness: the load thread's CPU over
#    verified requests (client_us_per_request), and its whole process's CPU (the
#    run, from start to exit: loading, PKI check, results written) as well.
#    Neither wrk nor h2load checks the body; tlsharness checks every byte.
#  - new connections per second, one GET each. tlsharness's "full" figure is verified
#    full handshakes (resume none: a resumption would be an error). h2load has no
#    switch to stop resuming: a client reconnecting after "Connection: close"
#    resumes silently, so it runs twice: with one connection per client (-c N -n N,
#    N clients at once: all full) and with CONNS clients reconnecting (how many
#    resumed is read from nginx's own log, $ssl_session_reused, when the nginx is
#    ours; with the fixture it cannot be seen).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
BUILD=${BUILD:-build}
BIN=${TH_BIN:-./tlsharness}
WRK_SECONDS=${WRK_SECONDS:-5}
KA_REQUESTS=${KA_REQUESTS:-30000}
NC_REQUESTS=${NC_REQUESTS:-800}
CONNS=${CONNS:-16}
OUT=$BUILD/bench
mkdir -p "$OUT"
T=$(mktemp -d /tmp/tlsharness-load.XXXXXX)
chmod 755 "$T" # nginx's workers run as another user when started by root
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2> /dev/null || true
        wait "$SERVER_PID" 2> /dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

for tool in wrk h2load nginx curl python3 /usr/bin/time jq; do
    command -v "$tool" > /dev/null || { echo "load.sh: $tool is needed" >&2; exit 2; }
done

# ---- tlsharness itself, as users run it: `run` of a load scenario ----
make -s --no-print-directory BUILD="$BUILD" "$BUILD/tools/pattern" > /dev/null
PKI=$T/pki
"$BIN" pki "$PKI" > /dev/null

# ---- the server ----
LOGGED_PORT="" # a second server block that logs $ssl_session_reused (own nginx only)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_fixture() {
    "$BIN" fixture nginx --pki "$PKI" --seconds 600 > "$T/fixture.out" 2> "$T/fixture.err" &
    SERVER_PID=$!
    local i
    for i in $(seq 50); do
        PORT=$(sed -n 's|^serving https://127.0.0.1:\([0-9]*\)/ with nginx.*|\1|p' "$T/fixture.out")
        [ -n "$PORT" ] && return 0
        kill -0 "$SERVER_PID" 2> /dev/null || break
        sleep 0.1
    done
    kill -TERM "$SERVER_PID" 2> /dev/null || true
    wait "$SERVER_PID" 2> /dev/null || true
    SERVER_PID=""
    return 1
}

start_own() {
    local d=$T/nginx
    mkdir -p "$d/root/bytes" "$d/tmp"
    "$BUILD/tools/pattern" 1024 > "$d/root/bytes/1024"
    PORT=$(free_port)
    LOGGED_PORT=$(free_port)
    cat > "$d/nginx.conf" << EOF
daemon off;
master_process on;
worker_processes 1;
pid "$d/server.pid";
error_log "$d/error.log" notice;
events { worker_connections 4096; }
http {
    access_log off;
    log_format reused '\$ssl_session_reused';
    client_body_temp_path "$d/tmp"; proxy_temp_path "$d/tmp"; fastcgi_temp_path "$d/tmp";
    uwsgi_temp_path "$d/tmp"; scgi_temp_path "$d/tmp";
    types { }
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    ssl_certificate "$PKI/rsa2048.chain.pem";
    ssl_certificate_key "$PKI/rsa2048.key.pem";
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    server { listen 127.0.0.1:$PORT ssl; root "$d/root"; }
    server { listen 127.0.0.1:$LOGGED_PORT ssl; root "$d/root"; access_log "$d/reused.log" reused; }
}
EOF
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" > "$d/out" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 50); do
        curl -fsk -o /dev/null "https://127.0.0.1:$PORT/bytes/1024" 2> /dev/null && return 0
        sleep 0.1
    done
    echo "load.sh: nginx did not start:" >&2
    cat "$d/error.log" >&2
    exit 1
}

case ${LOAD_SERVER:-auto} in
fixture) start_fixture || { echo "load.sh: tlsharness fixture nginx failed:" >&2; cat "$T/fixture.err" >&2; exit 1; } ;;
own) start_own ;;
*) start_fixture || start_own ;;
esac
if [ -n "$LOGGED_PORT" ]; then
    echo "server: nginx $(nginx -v 2>&1 | sed 's|.*/||') started by this script (one worker), port $PORT"
else
    echo "server: tlsharness fixture nginx, port $PORT"
fi
URL=https://127.0.0.1:$PORT/bytes/1024
curl -sk "$URL" > "$T/got" && "$BUILD/tools/pattern" 1024 | cmp -s - "$T/got" ||
    { echo "load.sh: $URL does not serve the pattern:" >&2; head -c 300 "$T/got" >&2; exit 1; }

# ---- one run of each tool; each prints "rate cpu_us [extra]" ----
timed() { # FILE COMMAND... : run, CPU seconds (user+system) into FILE
    local f=$1
    shift
    /usr/bin/time -f '%U %S' -o "$f" timeout 120 "$@"
}
cpu_of() { awk '{print $1 + $2}' "$1"; }

wrk_ka() {
    timed "$T/time" wrk -t1 -c"$CONNS" -d"${WRK_SECONDS}s" "$URL" > "$T/wrk.out"
    local n rate
    n=$(awk '/requests in/ {print $1}' "$T/wrk.out")
    rate=$(awk '/^Requests\/sec:/ {print $2}' "$T/wrk.out")
    grep -q 'Non-2xx\|Socket errors' "$T/wrk.out" && echo "load.sh: wrk: $(grep 'Non-2xx\|Socket errors' "$T/wrk.out")" >&2
    echo "$rate $(cpu_of "$T/time" | awk -v n="$n" '{print $1 * 1e6 / n}')"
}
h2load_run() { # ARGS... -> succeeded, and seconds
    timed "$T/time" h2load --h1 "$@" > "$T/h2.out"
    local ok secs
    ok=$(awk '/^requests:/ {print $8}' "$T/h2.out")
    secs=$(awk '/^finished in/ {v=$3; sub(/,$/, "", v); if (v ~ /ms$/) {sub(/ms$/, "", v); v /= 1000} else sub(/s$/, "", v); print v}' "$T/h2.out")
    echo "$ok $secs"
}
h2load_ka() {
    local ok secs
    read -r ok secs <<< "$(h2load_run -c"$CONNS" -n "$KA_REQUESTS" "$URL")"
    echo "$ok $secs $(cpu_of "$T/time")" | awk '{print $1 / $2, $3 * 1e6 / $1}'
}
h2load_full() { # one connection per client: every handshake full
    local ok secs
    read -r ok secs <<< "$(h2load_run -c"$NC_REQUESTS" -n "$NC_REQUESTS" "$URL")"
    echo "$ok $secs $(cpu_of "$T/time")" | awk '{print $1 / $2, $3 * 1e6 / $1}'
}
h2load_close() { # CONNS clients reconnecting after each response: they resume
    local port=${LOGGED_PORT:-$PORT} ok secs reused=-1
    [ -n "$LOGGED_PORT" ] && : > "$T/nginx/reused.log"
    read -r ok secs <<< "$(h2load_run -c"$CONNS" -n "$NC_REQUESTS" -H 'Connection: close' "https://127.0.0.1:$port/bytes/1024")"
    if [ -n "$LOGGED_PORT" ]; then
        sleep 0.2 # nginx writes its log line after the response
        reused=$(grep -c '^r' "$T/nginx/reused.log" || true)
    fi
    echo "$ok $secs $(cpu_of "$T/time") $reused" | awk '{print $1 / $2, $3 * 1e6 / $1, $4}'
}
ours() { # REQUESTS NEW_CONNECTION RESUME -> rate cpu_us process_cpu_us connections_per_s
    cat > "$T/load.json" << EOF
{"name": "bench/load", "kind": "load", "clients": ["openssl"],
 "servers": ["https://127.0.0.1:$PORT"], "client": {"ca": "$PKI/root.pem"}, "timeout_s": 30,
 "load": {"requests": $1, "connections": $CONNS, "path": "/bytes/1024",
          "new_connection_per_request": $2, "resume": "$3"}, "repeat": 1}
EOF
    local rc=0
    timed "$T/time" "$BIN" run --pki "$PKI" -o "$T/ours.json" "$T/load.json" > "$T/ours.out" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        echo "load.sh: tlsharness run failed ($rc): $(jq -r '.cases[0].reason' "$T/ours.json" 2> /dev/null)" >&2
        exit 1
    fi
    jq -r --arg cpu "$(cpu_of "$T/time")" --argjson n "$1" '.cases[0].metrics |
        "\(.requests_per_s.median) \(.client_us_per_request.median) \($cpu | tonumber * 1e6 / $n) \(.connections_per_s.median)"' \
        "$T/ours.json"
}
ours_ka() { ours "$KA_REQUESTS" false none | awk '{print $1, $2, $3}'; }
ours_full() { ours "$NC_REQUESTS" true none | awk '{print $4, $2, $3, 0}'; }
ours_resumed() { ours "$NC_REQUESTS" true ticket | awk -v n="$NC_REQUESTS" -v c="$CONNS" '{print $4, $2, $3, n - c}'; }

# ---- rounds ----
declare -A V
DONE_ROUNDS=0
add() { V[$1]="${V[$1]:-} $2"; }
for r in $(seq "$ROUNDS"); do
    read -r a b <<< "$(wrk_ka)"
    add wrk_rate "$a"; add wrk_cpu "$b"
    read -r a b <<< "$(h2load_ka)"
    add h2_rate "$a"; add h2_cpu "$b"
    read -r a b c <<< "$(ours_ka)"
    add our_rate "$a"; add our_cpu "$b"; add our_pcpu "$c"
    read -r a b <<< "$(h2load_full)"
    add h2f_rate "$a"; add h2f_cpu "$b"
    read -r a b c <<< "$(h2load_close)"
    add h2c_rate "$a"; add h2c_cpu "$b"; add h2c_reused "$c"
    read -r a b c d <<< "$(ours_full)"
    add ourf_rate "$a"; add ourf_cpu "$b"; add ourf_resumed "$d"
    read -r a b c d <<< "$(ours_resumed)"
    add ourr_rate "$a"; add ourr_cpu "$b"; add ourr_resumed "$d"
    echo "round $r of $ROUNDS done (${SECONDS}s)" >&2
    DONE_ROUNDS=$r
    # a slow machine gets fewer rounds, not a longer run
    if [ "$r" -lt "$ROUNDS" ] && [ $((SECONDS * (r + 1) / r)) -gt "${LOAD_BUDGET_S:-110}" ]; then
        echo "load.sh: stopping after $r rounds: another would pass ${LOAD_BUDGET_S:-110} s" >&2
        break
    fi
done

# ---- the table ----
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
range() { tr ' ' '\n' | grep . | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%.4g-%.4g", lo, hi}'; }
# ratio of two per-round series, then the median: each round's runs are neighbours in time
ratio() { paste <(echo "${V[$1]}" | tr ' ' '\n' | grep .) <(echo "${V[$2]}" | tr ' ' '\n' | grep .) | awk '{print $1/$2}' | median; }
cell() { printf '%10.4g (%s)' "$(echo "${V[$1]}" | median)" "$(echo "${V[$1]}" | range)"; }

echo
echo "keep-alive GET /bytes/1024, $CONNS connections, $DONE_ROUNDS rounds: median (min-max)"
printf '%-44s %-28s %-28s\n' tool "requests/s" "client us/request"
printf '%-44s %s %s\n' "wrk -t1 -c$CONNS -d${WRK_SECONDS}s" "$(cell wrk_rate)" "$(cell wrk_cpu)"
printf '%-44s %s %s\n' "h2load --h1 -c$CONNS -n $KA_REQUESTS" "$(cell h2_rate)" "$(cell h2_cpu)"
printf '%-44s %s %s\n' "tlsharness load (load thread CPU)" "$(cell our_rate)" "$(cell our_cpu)"
printf '%-44s %-28s %s\n' "tlsharness load (whole process CPU)" "" "$(cell our_pcpu)"
printf 'ratios tlsharness/wrk: requests/s %.3f, us/request %.3f (process %.3f)\n' \
    "$(ratio our_rate wrk_rate)" "$(ratio our_cpu wrk_cpu)" "$(ratio our_pcpu wrk_cpu)"
printf 'ratios tlsharness/h2load: requests/s %.3f, us/request %.3f (process %.3f)\n' \
    "$(ratio our_rate h2_rate)" "$(ratio our_cpu h2_cpu)" "$(ratio our_pcpu h2_cpu)"

echo
echo "new connections, one GET /bytes/1024 each, $NC_REQUESTS per run: median (min-max)"
printf '%-44s %-28s %-28s %s\n' tool "connections/s" "client us/connection" resumed
reused=$(echo "${V[h2c_reused]}" | median)
[ "$reused" = -1 ] && reused="not visible (fixture)" || reused="$reused of $NC_REQUESTS (nginx log)"
printf '%-44s %s %s %s\n' "h2load -c$NC_REQUESTS -n $NC_REQUESTS (all full)" "$(cell h2f_rate)" "$(cell h2f_cpu)" "0 (one each)"
printf '%-44s %s %s %s\n' "h2load -c$CONNS, Connection: close" "$(cell h2c_rate)" "$(cell h2c_cpu)" "$reused"
printf '%-44s %s %s %s\n' "tlsharness, resume none (verified full)" "$(cell ourf_rate)" "$(cell ourf_cpu)" "$(echo "${V[ourf_resumed]}" | median)"
printf '%-44s %s %s %s\n' "tlsharness, resume ticket (verified)" "$(cell ourr_rate)" "$(cell ourr_cpu)" "$(echo "${V[ourr_resumed]}" | median)"
printf 'ratios tlsharness full / h2load all-full: connections/s %.3f, us/connection %.3f\n' \
    "$(ratio ourf_rate h2f_rate)" "$(ratio ourf_cpu h2f_cpu)"
printf 'ratios tlsharness ticket / h2load Connection: close: connections/s %.3f, us/connection %.3f\n' \
    "$(ratio ourr_rate h2c_rate)" "$(ratio ourr_cpu h2c_cpu)"
