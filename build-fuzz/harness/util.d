build-fuzz/harness/util.o: harness/util.c harness/util.h

harness/util.h:
