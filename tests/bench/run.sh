#!/bin/bash
# The harness's own overhead, measured side by side with bare reference loops
# (tests/bench/bare_*.c: the library alone, a client and a server over an in-memory
# channel, nothing else) on the same machine in the same run. Each round runs the
# harness and the bare loop one after the other with the same sizes; each reports
# the median of REPS repetitions; the table gives the median over ROUNDS rounds and
# the ratio harness / bare (1.00 = no overhead; within 3% is the goal).
#   tests/bench/run.sh [ROUNDS] [REPS]        (make bench)
#   BENCH_LIBS="openssl gnutls"  only these; BENCH_TIME=0 / BENCH_CALLGRIND=0  skip a part
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
    wolfssl) cc $CFLAGS -o "$OUT/bare_wolfssl" tests/bench/bare_wolfssl.c $(pkg-config --cflags --libs wolfssl) ;;
    nss) cc $CFLAGS -o "$OUT/bare_nss" tests/bench/bare_nss.c $(pkg-config --cflags --libs nss) ;;
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

# The ratio is the median of the rounds' own ratios: each round's harness and bare
# runs are next to each other in time, so the machine's drift (this VM's speed moves
# by tens of percent from minute to minute) cancels within a round.
row() { # label metric harness-values bare-values
    local label=$1 metric=$2 h=$3 b=$4
    local hm bm ratio
    hm=$(printf '%s\n' $h | median)
    bm=$(printf '%s\n' $b | median)
    ratio=$(paste <(printf '%s\n' $h) <(printf '%s\n' $b) | awk '{print $1/$2}' | median)
    printf '%-42s %-24s %12.4g %12.4g %7.3f\n' "$label" "$metric" "$hm" "$bm" "$ratio"
}

[ "${BENCH_TIME:-1}" = 1 ] && printf '%-42s %-24s %12s %12s %7s\n' case metric harness bare ratio
for lib in ${BENCH_LIBS:-openssl gnutls mbedtls wolfssl nss}; do
    [ "${BENCH_TIME:-1}" = 1 ] || break
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

# Instructions, not seconds: valgrind's callgrind counts what each program executes,
# the same on a busy machine as on an idle one. Each side runs twice, with N1 and N2
# units of work; the difference divided by the extra work is the cost per unit with
# start-up and set-up taken out. BENCH_CALLGRIND=0 skips this part.
[ "${BENCH_CALLGRIND:-1}" = 1 ] && command -v valgrind > /dev/null || exit 0
# Total instructions executed, less the library's AEAD cost measurement (a loop that
# runs for a fixed CPU time, so its count varies and would not cancel out).
# The harness runs cases in worker processes it forks (which valgrind follows): one
# file a process (%p), summed.
instr() { # OUTFILE COMMAND... -> instructions
    rm -f "$1".*
    valgrind --tool=callgrind --callgrind-out-file="$1.%p" "${@:2}" > /dev/null 2>&1 || return 1
    local f sum=0 total aead
    for f in "$1".*; do
        total=$(awk '/^summary:/ {print $2}' "$f")
        aead=$(callgrind_annotate --inclusive=yes "$f" 2> /dev/null |
            awk '/[a-z]+_aead_cost( |$)/ {gsub(",", "", $1); print $1; exit}')
        sum=$((sum + ${total:-0} - ${aead:-0}))
    done
    echo $sum
}
per_unit() { # a1 a2 n1 n2
    echo "$1 $2 $3 $4" | awk '{printf "%.3f", ($2 - $1) / ($4 - $3)}'
}
echo
printf '%-42s %-24s %12s %12s %7s\n' "instructions (callgrind)" unit harness bare ratio
for lib in ${BENCH_LIBS:-openssl gnutls mbedtls wolfssl nss}; do
    have "$lib" || continue
    if [ "$lib" = mbedtls ]; then v=tls12-aes128gcm suite=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ver=1.2 hv=ticket-rsa2048-tls12 hcert=rsa2048 hres=ticket
    else v=tls13-aes128gcm suite=TLS_AES_128_GCM_SHA256 ver=1.3 hv=full-rsa2048-tls13 hcert=rsa2048 hres=none; fi
    # bulk: 8 and 24 MiB per repetition, one repetition after the warm-up (x2 bytes)
    for mib in 8 24; do
        sed "s/\"bytes\": 134217728/\"bytes\": $((mib << 20))/" tests/bench/bulk.json > "$T/bulk-$mib.json"
        eval "h$mib=\$(instr \$T/cg.h \$BIN run -b $lib --repeat 1 --pki \$PKI -o \$T/cg.json -f 'bench/*@$v/*' \$T/bulk-$mib.json)"
        eval "b$mib=\$(instr \$T/cg.b \$OUT/bare_$lib bulk \$PKI $suite $ver 16384 $((mib << 20)) 1)"
    done
    hb=$(per_unit "$h8" "$h24" $((16 << 20)) $((48 << 20)))
    bb=$(per_unit "$b8" "$b24" $((16 << 20)) $((48 << 20)))
    printf '%-42s %-24s %12s %12s %7.3f\n' "$lib bulk $suite" "per byte" "$hb" "$bb" "$(echo "$hb $bb" | awk '{print $1/$2}')"
    # handshakes: 10 and 30 per repetition (x2 with the warm-up)
    for n in 10 30; do
        sed "s/\"count\": 1000/\"count\": $n/; s/\"count\": 100 /\"count\": $n /" tests/bench/handshake.json > "$T/hs-$n.json"
        eval "h$n=\$(instr \$T/cg.h \$BIN run -b $lib --repeat 1 --pki \$PKI -o \$T/cg.json -f 'bench/*@$hv/*' \$T/hs-$n.json)"
        eval "b$n=\$(instr \$T/cg.b \$OUT/bare_$lib handshake \$PKI $hcert $hres $n 1)"
    done
    hh=$(per_unit "$h10" "$h30" 20 60)
    bh=$(per_unit "$b10" "$b30" 20 60)
    printf '%-42s %-24s %12s %12s %7.3f\n' "$lib handshake $hv" "per handshake" "$hh" "$bh" "$(echo "$hh $bh" | awk '{print $1/$2}')"
done
