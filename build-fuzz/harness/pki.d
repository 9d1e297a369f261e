build-fuzz/harness/pki.o: harness/pki.c harness/pki.h harness/util.h

harness/pki.h:

harness/util.h:
