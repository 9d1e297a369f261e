#!/bin/bash
# The house keeps its shape: the folder graph has no cycle and calls flow one way
# (tests/tools/layers.sh), no source file grows past 800 lines, and git holds no
# build output.
. "$(dirname "$0")/lib.sh"

out=$(tests/tools/layers.sh --check 2>&1)
ok $? "the folder graph follows the rules of harness/README.md"
echo "$out" | grep violation | sed 's/^/#   /'

long=$(git ls-files '*.c' '*.h' '*.inc' '*.sh' '*.t' | xargs wc -l | awk '$2 != "total" && $1 > 800 {print $2 " (" $1 ")"}')
is "$long" "" "no source file over 800 lines"

built=$(git ls-files | grep -E '(^|/)build[^/]*/|\.(o|d|a|so)$|^tlsharness$' || true)
is "$built" "" "git holds no build output"

# the check itself can fail: a cycle drawn in a scratch copy is reported
mkdir -p "$TMP/tree/harness/a" "$TMP/tree/harness/b" "$TMP/tree/tests/tools"
cp tests/tools/layers.sh "$TMP/tree/tests/tools/"
echo '#include "harness/b/b.h"' >"$TMP/tree/harness/a/a.h"
echo '#include "harness/a/a.h"' >"$TMP/tree/harness/b/b.h"
mkdir -p "$TMP/tree/backends"
echo '#include "harness/a/a.h"' >"$TMP/tree/backends/x.h"
out=$("$TMP/tree/tests/tools/layers.sh" --check 2>&1)
ok $((! $?)) "a cycle between two folders fails the check"
like "$out" "violation: a cycle through harness/a" "the cycle is named"
like "$out" "violation: backends include harness/a" "a backend reaching past the vocabulary is named"

done_testing
