#!/bin/bash
# Cases in worker processes: a library that crashes or runs out of memory costs the
# case it was running, never the run; SIGKILL of the run leaves every finished case
# readable; a stop signal ends a long benchmark case at once with 128 + the signal;
# -j 2 reports and records exactly what -j 1 does.
. "$(dirname "$0")/lib.sh"

cc -shared -fPIC -o "$TMP/crash.so" "$ROOT/tests/tools/preload/crash.c" -ldl
ok $? "the crashing-library shim builds"
# A sanitizer build wants its runtime first among the libraries: the shim only wraps two
# functions, so that order does not matter here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# --- a library that aborts inside SSL_write_ex at its 100th call in a process
n_cert=$("$TH_BIN" list -b openssl scenarios/handshake scenarios/cert | wc -l)
env LD_PRELOAD="$TMP/crash.so" TH_CRASH_AT=100 \
    "$TH_BIN" run -j 1 -q -b openssl -o "$TMP/abort.json" scenarios/handshake scenarios/cert > "$TMP/abort.out" 2>&1
is $? 1 "a run with a crashed case exits 1"
is "$(jq '.cases | length' "$TMP/abort.json")" "$n_cert" "every one of the $n_cert cases is in the results"
n_err=$(jq '[.cases[] | select(.status == "error")] | length' "$TMP/abort.json")
ok "$([ "$n_err" -ge 1 ]; echo $?)" "the crashed cases are errors ($n_err)"
like "$(jq -r '[.cases[] | select(.status == "error")][0].reason' "$TMP/abort.json")" \
    'did not finish: its process was killed by signal 6 \(Aborted\)' "with the signal as the reason"
is "$(jq '[.cases[] | select(.status != "error" and .status != "pass" and .status != "xfail" and .status != "skip")] | length' "$TMP/abort.json")" 0 \
    "every other case ran to its verdict"
is "$(jq -r '.interrupted // false' "$TMP/abort.json")" false "and the run is not marked interrupted"

# --- a segfault inside gnutls_record_send
env LD_PRELOAD="$TMP/crash.so" TH_CRASH_AT=60 TH_CRASH_HOW=segv \
    "$TH_BIN" run -q -b gnutls -o "$TMP/segv.json" scenarios/handshake scenarios/cert > /dev/null 2>&1
is $? 1 "a segfault in GnuTLS: exit 1"
like "$(jq -r '[.cases[] | select(.status == "error")][0].reason' "$TMP/segv.json")" \
    'signal 11 \(Segmentation fault\)|status 1 .*ABORTING' \
    "the crashed case says signal 11 (a sanitizer's handler: ABORTING)"
is "$(jq '.cases | length' "$TMP/segv.json")" "$("$TH_BIN" list -b gnutls scenarios/handshake scenarios/cert | wc -l)" \
    "and the results hold every case"

# --- out of memory in one memory case: the next case still runs
cat > "$TMP/oom.json" <<'J'
{ "name": "test/oom", "kind": "memory", "clients": ["openssl"], "servers": ["openssl"],
  "memory": { "connections": 100000 },
  "variants": [ { "name": "huge" }, { "name": "small", "memory": { "connections": 20 } } ] }
J
if [ "$TH_BUILD" = build-sanitize ]; then
    # AddressSanitizer maps terabytes of shadow memory: it cannot start under ulimit -v
    ok 0 "# skip out of memory: AddressSanitizer cannot run under ulimit -v"
    ok 0 "# skip the case after it"
else
    (ulimit -v 700000; "$TH_BIN" run -j 1 -q --repeat 1 -o "$TMP/oom.json.out" "$TMP/oom.json" > "$TMP/oom.log" 2>&1)
    is "$(jq -r '.cases[] | select(.id | startswith("test/oom@huge/")) | .status' "$TMP/oom.json.out")" error \
        "a case that exhausts memory is an error"
    is "$(jq -r '.cases[] | select(.id | startswith("test/oom@small/")) | .status' "$TMP/oom.json.out")" pass \
        "and the next case runs and passes"
fi

# --- SIGKILL of the run: the finished cases are on disk, marked incomplete
start_hang_server
scenario_with_port "$TMP/slow.json" "$HANG_PORT" <<'J'
{ "name": "test/slow", "kind": "handshake", "clients": ["openssl"],
  "servers": ["https://127.0.0.1:@PORT@"], "timeout_s": 1, "expect": { "outcome": "timeout" },
  "variants": [ { "name": "a" }, { "name": "b" }, { "name": "c" }, { "name": "d" }, { "name": "e" } ] }
J
"$TH_BIN" run -j 1 -o "$TMP/killed.json" "$TMP/slow.json" > "$TMP/killed.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'cases; backends' "$TMP/killed.out" && break; sleep 0.1; done
sleep 4.5 # four cases of one second each have finished; the fifth runs
workers=$(pgrep -P $pid | tr '\n' ' ')
kill -KILL $pid
wait $pid 2> /dev/null
sleep 0.3
n=$(jq '.cases | length' "$TMP/killed.json")
ok "$([ "$n" -ge 3 ] && [ "$n" -le 4 ]; echo $?)" "after SIGKILL the results file holds the finished cases ($n)"
is "$(jq -r '.interrupted' "$TMP/killed.json")" true "and says the run is not whole"
is "$(jq -r '[.cases[].status] | unique | join(",")' "$TMP/killed.json")" pass "each with its verdict"
left=0 # a zombie waiting for a container's init to reap it is not left running
for w in $workers; do
    st=$(awk '{print $3}' "/proc/$w/stat" 2> /dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && left=1
done
is "$left" 0 "no worker outlives the run"
"$TH_BIN" compare "$TMP/killed.json" "$TMP/killed.json" > /dev/null 2>&1
is $? 1 "compare refuses it as NEW"

# --- a stop signal during a 60-second bulk case: out within 3 s, with results
cat > "$TMP/bulk.json" <<'J'
{ "name": "test/longbulk", "kind": "bulk", "clients": ["openssl"], "servers": ["openssl"],
  "bulk": { "seconds": 60 }, "repeat": 3,
  "variants": [ { "name": "short", "bulk": { "seconds": 0.1 } }, { "name": "long" } ] }
J
for sig in INT TERM HUP; do
    "$TH_BIN" run -o "$TMP/bulk-$sig.json" "$TMP/bulk.json" > "$TMP/bulk.out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q 'cases; backends' "$TMP/bulk.out" && break; sleep 0.1; done
    sleep 3 # the short variant's three repetitions are done; the 60 s one runs
    t0=$(date +%s%N)
    kill -$sig $pid
    wait $pid
    rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    want=$((128 + $(kill -l $sig)))
    is "$rc" "$want" "SIG$sig in a 60 s bulk case: exit $want"
    ok "$([ "$ms" -lt 3000 ]; echo $?)" "SIG$sig: out in ${ms} ms"
    is "$(jq -r '.interrupted' "$TMP/bulk-$sig.json")" true "SIG$sig: the results say interrupted"
    is "$(jq -r '.cases[].id' "$TMP/bulk-$sig.json")" "test/longbulk@short/openssl-vs-openssl" \
        "SIG$sig: with the case that finished"
done

# --- -j 2 runs conformance cases side by side and says exactly what -j 1 says
for j in 1 2; do
    "$TH_BIN" run -v --color=never -j $j -b openssl,gnutls -o "$TMP/j$j.json" scenarios/cert scenarios/integrity \
        > "$TMP/j$j.out" 2>&1
    echo $? > "$TMP/j$j.rc"
done
is "$(cat "$TMP/j2.rc")" "$(cat "$TMP/j1.rc")" "-j 2 exits as -j 1 does"
is "$(jq -c '[.cases[] | [.id, .status]]' "$TMP/j2.json")" "$(jq -c '[.cases[] | [.id, .status]]' "$TMP/j1.json")" \
    "the same cases, statuses and order in the results"
strip() { grep -E '^\[ *[0-9]+/[0-9]+\] ' "$1" | sed -E 's/ \([0-9.]+ s\).*$//'; } # the reason is cut to the width, which the duration shifts
n_lines=$(strip "$TMP/j1.out" | wc -l)
ok "$([ "$n_lines" -gt 100 ]; echo $?)" "-v printed a line per case ($n_lines)"
is "$(strip "$TMP/j2.out" | md5sum)" "$(strip "$TMP/j1.out" | md5sum)" "the same per-case lines in the same order"
"$TH_BIN" run -j 0 scenarios/cert > /dev/null 2> "$TMP/e"
is $? 2 "-j 0 is bad usage"
done_testing
