build-fuzz/harness/judge.o: harness/judge.c harness/runner.h \
  harness/results.h harness/../backends/backend.h \
  harness/../backends/../harness/iana.h \
  harness/../backends/../harness/outcome.h harness/outcome.h \
  harness/scenario.h harness/util.h

harness/runner.h:

harness/results.h:

harness/../backends/backend.h:

harness/../backends/../harness/iana.h:

harness/../backends/../harness/outcome.h:

harness/outcome.h:

harness/scenario.h:

harness/util.h:
