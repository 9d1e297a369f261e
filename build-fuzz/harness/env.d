build-fuzz/harness/env.o: harness/env.c harness/env.h harness/util.h

harness/env.h:

harness/util.h:
