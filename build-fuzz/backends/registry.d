build-fuzz/backends/registry.o: backends/registry.c backends/backend.h \
  backends/../harness/iana.h backends/../harness/outcome.h

backends/backend.h:

backends/../harness/iana.h:

backends/../harness/outcome.h:
