#!/bin/bash
# The shims (Go crypto/tls, Java JSSE) against the in-process backends: handshakes and
# refusals both ways; `backends` lists them as out of process; a shim killed in the
# middle of a run leaves that case `error` with the reason and the others intact,
# and no shim process or folder is left once the run ends (also after ctrl-C).
. "$(dirname "$0")/lib.sh"
export TMPDIR="$TMP" # the shims' folders and sockets: ours alone, to count them
have() { "$TH_BIN" backends --json | jq -e --arg b "$1" '.[] | select(.name == $b) | .roles | length > 0' > /dev/null; }
ours() { pgrep -f "$TMP/tlsharness-shim-" | wc -l; }

"$TH_BIN" pki "$TLSHARNESS_PKI" > /dev/null

# Each shim's own self-test: a client and a server of the shim through the frames.
if command -v go > /dev/null 2>&1 && [ -f backends/shims/go/go.mod ]; then
    (cd backends/shims/go && GOCACHE="$BUILD_DIR/go-cache" GOFLAGS=-buildvcs=false go test -count=1 .) > "$TMP/gotest.out" 2>&1
    rc=$?
    is $rc 0 "go: the shim's own tests (go test)"
    [ $rc -eq 0 ] || tail -20 "$TMP/gotest.out" | sed 's/^/#   /'
fi

if command -v javac > /dev/null 2>&1 && [ -f "$BUILD_DIR/shims/java/TlsharnessShim.class" ]; then
    mkdir -p "$TMP/jt"
    javac -Xlint:all -Werror -cp "$BUILD_DIR/shims/java" -d "$TMP/jt" backends/shims/java/ShimSelfTest.java &&
        java -cp "$BUILD_DIR/shims/java:$TMP/jt" ShimSelfTest "$TLSHARNESS_PKI" > "$TMP/javatest.out" 2>&1
    rc=$?
    is $rc 0 "java: the shim's own tests (ShimSelfTest, $(tail -1 "$TMP/javatest.out"))"
    [ $rc -eq 0 ] || grep -v '^ok' "$TMP/javatest.out" | tail -20 | sed 's/^/#   /'
fi

for shim in go java; do
    if ! have "$shim"; then
        echo "# $shim: not built here ($("$TH_BIN" backends --json | jq -r --arg b "$shim" '.[] | select(.name == $b) | .version'))"
        continue
    fi
    is "$("$TH_BIN" backends --json | jq -r --arg b "$shim" '.[] | select(.name == $b) | .features | index("out_of_process") != null')" true \
        "$shim: listed as out of process"
    "$TH_BIN" run -b "$shim,openssl" -o "$TMP/$shim.json" scenarios/handshake/versions.json scenarios/cert/expired.json scenarios/cert/wrong-host.json > "$TMP/$shim.out" 2>&1
    rc=$?
    is $rc 0 "$shim: versions, expired and wrong-host against openssl, both ways, pass, xfail or skip"
    [ $rc -eq 0 ] || tail -20 "$TMP/$shim.out" | sed 's/^/#   /'
    n=$(jq --arg b "$shim" '[.cases[] | select((.client == $b or .server == $b) and .status == "pass")] | length' "$TMP/$shim.json")
    ok $([ "$n" -ge 4 ] && echo 0 || echo 1) "$shim: $n of its cases pass"
    is "$(jq -r --arg b "$shim" '.backends[] | select(.name == $b) | .out_of_process' "$TMP/$shim.json")" true \
        "$shim: the results say it ran out of process"
    is "$(ours)" 0 "$shim: no shim process left after the run"
    is "$(find "$TMP" -maxdepth 1 -name 'tlsharness-shim-*' | wc -l)" 0 "$shim: no shim folder left"
done

if have go; then
    # A rate case long enough to kill its server's shim in the middle; the next case
    # starts a new one.
    cat > "$TMP/kill.json" << 'JSON'
{ "name": "shim/kill", "kind": "handshake_rate", "clients": ["openssl"], "servers": ["go"],
  "handshakes": { "seconds": 4 }, "repeat": 1,
  "variants": [ { "name": "a" }, { "name": "b" } ] }
JSON
    "$TH_BIN" run -o "$TMP/kill-r.json" "$TMP/kill.json" > "$TMP/kill.out" 2>&1 &
    run=$!
    for _ in $(seq 100); do [ "$(ours)" -gt 0 ] && break; sleep 0.1; done
    sleep 1
    pkill -9 -f "tlsharness-shim-go $TMP/" && killed=0 || killed=1
    ok $killed "the go shim killed in the middle of a case"
    wait $run
    is $? 1 "the run ends, exit 1 (a case could not run)"
    is "$(jq -r '[.cases[].status] | join(" ")' "$TMP/kill-r.json")" "error pass" \
        "the killed case is an error, the next one passes on a new shim"
    like "$(jq -r '.cases[0].reason' "$TMP/kill-r.json")" 'shim go \(pid [0-9]+\) (was killed by signal 9|closed)' \
        "the error names the shim and how it ended"
    is "$(ours)" 0 "no shim process left"

    # ctrl-C in the middle: the run stops, its shims with it.
    "$TH_BIN" run -o "$TMP/int.json" "$TMP/kill.json" > "$TMP/int.out" 2>&1 &
    run=$!
    for _ in $(seq 100); do [ "$(ours)" -gt 0 ] && break; sleep 0.1; done
    kill -INT $run
    wait $run
    sleep 0.5
    is "$(ours)" 0 "after ctrl-C, no shim process left"
fi
done_testing
