#!/bin/bash
# The scenario reader's fuzz target over its in-repo corpus: every malformed input
# the reader knows (tests/data/bad), the shipped scenarios, and the inputs libFuzzer
# found that reach code those two do not (tests/fuzz/corpus/scenario, kept by
# `-merge=1`). `make fuzz` runs libFuzzer from the same seeds.
. "$(dirname "$0")/lib.sh"
exec "$BUILD_DIR/tests/fuzz_replay" tests/data/bad/*.json $(find scenarios -name '*.json' | sort) \
    tests/fuzz/corpus/scenario/*
