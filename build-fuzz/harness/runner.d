build-fuzz/harness/runner.o: harness/runner.c harness/runner.h \
  harness/results.h harness/../backends/backend.h \
  harness/../backends/../harness/iana.h \
  harness/../backends/../harness/outcome.h harness/outcome.h \
  harness/scenario.h harness/util.h harness/pki.h harness/transport.h

harness/runner.h:

harness/results.h:

harness/../backends/backend.h:

harness/../backends/../harness/iana.h:

harness/../backends/../harness/outcome.h:

harness/outcome.h:

harness/scenario.h:

harness/util.h:

harness/pki.h:

harness/transport.h:
