#!/bin/bash
# The C sources keep to .clang-format (make format fixes them).
. "$(dirname "$0")/lib.sh"
if ! command -v clang-format > /dev/null; then
    echo "1..0 # SKIP clang-format is not installed"
    exit 0
fi
for f in harness/*/*.[ch] backends/*.[ch] tests/unit/*.c tests/tools/*.c tests/fuzz/*.c tests/*.h; do
    clang-format --dry-run -Werror "$f" > "$TMP/fmt" 2>&1
    rc=$?
    ok $rc "$f is formatted"
    [ $rc -eq 0 ] || head -5 "$TMP/fmt" | sed 's/^/#   /'
done
done_testing
