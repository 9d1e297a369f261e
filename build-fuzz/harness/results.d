build-fuzz/harness/results.o: harness/results.c harness/results.h \
  harness/../backends/backend.h harness/../backends/../harness/iana.h \
  harness/../backends/../harness/outcome.h harness/outcome.h \
  harness/scenario.h harness/util.h harness/env.h harness/iana.h

harness/results.h:

harness/../backends/backend.h:

harness/../backends/../harness/iana.h:

harness/../backends/../harness/outcome.h:

harness/outcome.h:

harness/scenario.h:

harness/util.h:

harness/env.h:

harness/iana.h:
