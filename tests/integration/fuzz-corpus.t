#!/bin/bash
# The scenario loader's fuzz target over its in-repo corpus (every malformed input
# the loader knows, and the shipped scenarios). `make fuzz` runs libFuzzer on it.
. "$(dirname "$0")/lib.sh"
exec "$ROOT/$TH_BUILD/tests/fuzz_replay" tests/data/bad/*.json $(find scenarios -name '*.json' | sort)
