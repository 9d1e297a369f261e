build-fuzz/harness/iana.o: harness/iana.c harness/iana.h \
  harness/iana_suites.inc

harness/iana.h:

harness/iana_suites.inc:
