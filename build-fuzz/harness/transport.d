build-fuzz/harness/transport.o: harness/transport.c harness/transport.h \
  harness/../backends/backend.h harness/../backends/../harness/iana.h \
  harness/../backends/../harness/outcome.h harness/util.h

harness/transport.h:

harness/../backends/backend.h:

harness/../backends/../harness/iana.h:

harness/../backends/../harness/outcome.h:

harness/util.h:
