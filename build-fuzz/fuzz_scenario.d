build-fuzz/fuzz_scenario: tests/fuzz/fuzz_scenario.c \
  tests/fuzz/../../harness/scenario.h \
  tests/fuzz/../../harness/../backends/backend.h \
  tests/fuzz/../../harness/../backends/../harness/iana.h \
  tests/fuzz/../../harness/../backends/../harness/outcome.h \
  tests/fuzz/../../harness/outcome.h tests/fuzz/../../harness/util.h

tests/fuzz/../../harness/scenario.h:

tests/fuzz/../../harness/../backends/backend.h:

tests/fuzz/../../harness/../backends/../harness/iana.h:

tests/fuzz/../../harness/../backends/../harness/outcome.h:

tests/fuzz/../../harness/outcome.h:

tests/fuzz/../../harness/util.h:
