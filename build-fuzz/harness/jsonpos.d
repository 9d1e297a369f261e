build-fuzz/harness/jsonpos.o: harness/jsonpos.c harness/jsonpos.h

harness/jsonpos.h:
