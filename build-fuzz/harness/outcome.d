build-fuzz/harness/outcome.o: harness/outcome.c harness/outcome.h

harness/outcome.h:
