/* Replays corpus files through a fuzz target, as TAP: one test per file, passing
 * when the target returns without a crash (the sanitizer build catches memory
 * errors). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness/vocab/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        char *buf = th_read_file(argv[i], &len);
        if (!buf) {
            printf("not ok %d - %s: cannot read\n", i, argv[i]);
            continue;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
        printf("ok %d - %s\n", i, argv[i]);
        free(buf);
    }
    printf("1..%d\n", argc - 1);
    return 0;
}
