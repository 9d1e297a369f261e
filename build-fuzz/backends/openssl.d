build-fuzz/backends/openssl.o: backends/openssl.c backends/backend.h \
  backends/../harness/iana.h backends/../harness/outcome.h \
  backends/../harness/util.h

backends/backend.h:

backends/../harness/iana.h:

backends/../harness/outcome.h:

backends/../harness/util.h:
