#!/bin/bash
# The folder graph of the driver and the backends, drawn from the #include lines:
# one line "FROM -> TO (N)" per pair of folders, N the number of includes. With
# --check, also the rules of harness/README.md, one line "violation: ..." each, and
# exit 1 when there is any:
#   - no cycle between folders;
#   - harness/vocab includes nothing outside itself; backends include only
#     harness/vocab (and each other);
#   - the run core calls nothing above it (kinds, cli, http, probe, fixture);
#   - only the CLI includes the kinds; nothing includes the CLI.
set -euo pipefail
cd "$(dirname "$0")/../.."
check=0
[ "${1:-}" = "--check" ] && check=1

edges=$(for f in $(find harness backends -name '*.[ch]' -o -name '*.inc' | sort); do
    from=$(dirname "$f")
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
        case "$inc" in
        */*) to=$(dirname "$inc") ;;
        *) to=$from ;;
        esac
        if [ "$to" != "$from" ]; then echo "$from $to"; fi
    done
done | sort | uniq -c | awk '{print $2, $3, $1}')

echo "$edges" | awk 'NF == 3 {printf "%-18s -> %-18s (%d)\n", $1, $2, $3}'
[ $check = 1 ] || exit 0

echo "$edges" | awk '
NF == 3 {
    e[$1, $2] = 1; n[$1] = 1; n[$2] = 1
    if ($1 == "harness/vocab") print "violation: harness/vocab includes " $2
    if ($1 == "backends" && $2 != "harness/vocab") print "violation: backends include " $2
    if ($1 == "harness/run" && $2 ~ /^harness\/(kinds|cli|http|probe|fixture)$/)
        print "violation: the run core includes " $2
    if ($2 == "harness/kinds" && $1 != "harness/cli") print "violation: " $1 " includes harness/kinds"
    if ($2 == "harness/cli") print "violation: " $1 " includes harness/cli"
}
END {
    for (k in n) for (i in n) for (j in n)
        if (e[i, k] && e[k, j]) e[i, j] = 1
    for (i in n) if (e[i, i]) print "violation: a cycle through " i
}' | sort | tee /dev/stderr | grep -q . && exit 1
exit 0
