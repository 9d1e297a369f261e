# TAP helpers for the integration tests (bash). Source from a .t file.
# TH_BIN: the tlsharness binary (set by make check); TH_BUILD: the build folder.
set -u
TH_BIN=${TH_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/tlsharness}
TH_BUILD=${TH_BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# the build folder as an absolute path (TH_BUILD may be either)
case $TH_BUILD in /*) BUILD_DIR=$TH_BUILD ;; *) BUILD_DIR=$ROOT/$TH_BUILD ;; esac
cd "$ROOT"
T_N=0
T_FAIL=0
TMP=$(mktemp -d /tmp/tlsharness-test.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
# One PKI per test file, so tests never race on a shared cache.
export TLSHARNESS_PKI="$TMP/pki"

ok() { # ok CONDITION-STATUS DESCRIPTION
    local rc=$1
    shift
    T_N=$((T_N + 1))
    if [ "$rc" -eq 0 ]; then
        echo "ok $T_N - $*"
    else
        echo "not ok $T_N - $*"
        T_FAIL=$((T_FAIL + 1))
    fi
}
is() { # is GOT WANT DESCRIPTION
    local got=$1 want=$2
    shift 2
    [ "$got" = "$want" ]
    local rc=$?
    ok $rc "$*"
    [ $rc -eq 0 ] || echo "#   got '$got', want '$want'"
}
like() { # like TEXT PATTERN DESCRIPTION (grep -E)
    local text=$1 pat=$2
    shift 2
    printf '%s' "$text" | grep -Eq -- "$pat"
    local rc=$?
    ok $rc "$*"
    [ $rc -eq 0 ] || { echo "#   no match for /$pat/ in:"; printf '%s\n' "$text" | head -20 | sed 's/^/#   /'; }
}
done_testing() {
    echo "1..$T_N"
    [ "$T_FAIL" -eq 0 ]
}
# Start the never-answering server; sets HANG_PORT.
start_hang_server() {
    "$BUILD_DIR/tools/hang_server" "$TMP/hang.pid" > "$TMP/hang.port" &
    PIDS+=($!)
    for _ in $(seq 50); do [ -s "$TMP/hang.port" ] && break; sleep 0.1; done
    HANG_PORT=$(cat "$TMP/hang.port")
}
# Write a scenario file from stdin with @PORT@ replaced.
scenario_with_port() { # FILE PORT
    sed "s/@PORT@/$2/g" > "$1"
}
# Start a server on a random port and wait until it accepts: every @PORT@ in the
# command is the port. Sets PORT and SPID (killed at exit); output in LOG.PORT.
start_on_port() { # LOG COMMAND ARGS...
    local log=$1
    shift
    for _ in 1 2 3 4 5; do
        PORT=$((20000 + RANDOM % 30000))
        "${@//@PORT@/$PORT}" > "$log.$PORT" 2>&1 &
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
