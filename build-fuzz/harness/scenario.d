build-fuzz/harness/scenario.o: harness/scenario.c harness/scenario.h \
  harness/../backends/backend.h harness/../backends/../harness/iana.h \
  harness/../backends/../harness/outcome.h harness/outcome.h \
  harness/util.h harness/iana.h harness/jsonpos.h harness/pki.h

harness/scenario.h:

harness/../backends/backend.h:

harness/../backends/../harness/iana.h:

harness/../backends/../harness/outcome.h:

harness/outcome.h:

harness/util.h:

harness/iana.h:

harness/jsonpos.h:

harness/pki.h:
