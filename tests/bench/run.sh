#!/bin/bash
# The harness's own overhead, measured side by side with bare reference loops
# (tests/bench/bare_*.c: the library alone, a client and a server over an in-memory
# channel, nothing else) on the same machine in the same run. Each round runs the
# harness and the bare loop one after the other with the same sizes; each reports
# the median of REPS repetitions; the table gives the median over ROUNDS rounds and
# the ratio harness / bare (1.00 = no overhead; within 3% is the goal).
#   tests/bench/run.sh [ROUNDS] [REPS]        (make bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
REPS=${2:-5}
BIN=./tlsharness
OUT=build/bench
mkdir -p "$OUT"
T=$(mktemp -d /tmp/tlsharness-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
PKI=$T/pki
"$BIN" pki "$PKI" > /dev/null

CFLAGS="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra"
have() { "$BIN" backends --json | jq -e --arg b "$1" 'map(.name) | index($b)' > /dev/null; }
build_bare() {
    case $1 in
    openssl) cc $CFLAGS -o "$OUT/bare_openssl" tests/bench/bare_openssl.c -lssl -lcrypto ;;
    gnutls) cc $CFLAGS -o "$OUT/bare_gnutls" tests/bench/bare_gnutls.c $(pkg-config --cflags --libs gnutls) ;;
    mbedtls) cc $CFLAGS -o "$OUT/bare_mbedtls" tests/bench/bare_mbedtls.c -lmbedtls -lmbedx509 -lmbedcrypto ;;
    esac
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# harness LIB FILE VARIANT METRIC... -> one median per metric, space-separated
harness() {
    local lib=$1 file=$2 variant=$3
    shift 3
    "$BIN" run -b "$lib" --repeat "$REPS" --pki "$PKI" -o "$T/h.json" -f "bench/*@$variant/*" "$file" > "$T/h.out" 2>&1 ||
        { cat "$T/h.out" >&2; exit 1; }
    local m
    for m in "$@"; do jq -r --arg m "$m" '.cases[0].metrics[$m].median' "$T/h.json"; done | paste -sd' '
}
# bare LIB ARGS... METRICS: the medians over its REPS lines
bare() {
    local lib=$1 metrics=$2
    shift 2
    "$OUT/bare_$lib" "$@" > "$T/b.out"
    local m
    for m in $metrics; do jq -r --arg m "$m" '.[$m]' "$T/b.out" | median; done | paste -sd' '
}

row() { # label metric harness-values bare-values
    local label=$1 metric=$2 h=$3 b=$4
    local hm bm
    hm=$(printf '%s\n' $h | median)
    bm=$(printf '%s\n' $b | median)
    printf '%-40s %-26s %12.4g %12.4g %7.3f\n' "$label" "$metric" "$hm" "$bm" "$(echo "$hm $bm" | awk '{print $1/$2}')"
}

printf '%-40s %-26s %12s %12s %7s\n' case metric harness bare ratio
for lib in openssl gnutls mbedtls; do
    have "$lib" || continue
    build_bare "$lib"
    if [ "$lib" = mbedtls ]; then
        bulk_variant=tls12-aes128gcm suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ver=1.2
        hs="full-rsa2048-tls12:rsa2048:none:100 ticket-rsa2048-tls12:rsa2048:ticket:1000"
    else
        bulk_variant=tls13-aes128gcm suite=TLS_AES_128_GCM_SHA256 ver=1.3
        hs="full-rsa2048-tls13:rsa2048:none:1000 ticket-rsa2048-tls13:rsa2048:ticket:1000 full-ecdsa-p256-tls13:ecdsa-p256:none:1000 ticket-ecdsa-p256-tls13:ecdsa-p256:ticket:1000"
    fi
    hs_send="" hs_recv="" bs_send="" bs_recv=""
    for _ in $(seq "$ROUNDS"); do
        read -r s r <<< "$(harness "$lib" tests/bench/bulk.json "$bulk_variant" send_ns_per_byte recv_ns_per_byte)"
        hs_send+=" $s" hs_recv+=" $r"
        read -r s r <<< "$(bare "$lib" "send_ns_per_byte recv_ns_per_byte" bulk "$PKI" "$suite" "$ver" 16384 134217728 "$REPS")"
        bs_send+=" $s" bs_recv+=" $r"
    done
    row "$lib bulk $suite 16 KiB" send_ns_per_byte "$hs_send" "$bs_send"
    row "$lib bulk $suite 16 KiB" recv_ns_per_byte "$hs_recv" "$bs_recv"
    for h in $hs; do
        IFS=: read -r variant cert resume count <<< "$h"
        hh="" bh="" hc="" bc="" hsv="" bsv=""
        for _ in $(seq "$ROUNDS"); do
            read -r a b c <<< "$(harness "$lib" tests/bench/handshake.json "$variant" handshakes_per_s client_us_per_handshake server_us_per_handshake)"
            hh+=" $a" hc+=" $b" hsv+=" $c"
            read -r a b c <<< "$(bare "$lib" "handshakes_per_s client_us_per_handshake server_us_per_handshake" handshake "$PKI" "$cert" "$resume" "$count" "$REPS")"
            bh+=" $a" bc+=" $b" bsv+=" $c"
        done
        row "$lib handshake $variant" handshakes_per_s "$hh" "$bh"
        row "$lib handshake $variant" client_us_per_handshake "$hc" "$bc"
        row "$lib handshake $variant" server_us_per_handshake "$hsv" "$bsv"
    done
done
