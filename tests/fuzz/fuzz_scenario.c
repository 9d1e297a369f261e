/* Fuzz target for the scenario reader: outside input, parsed strictly. Built two
 * ways: with libFuzzer (`make fuzz`, clang), and with replay.c's main (make check
 * feeds it the in-repo corpus: tests/data/bad, the shipped scenarios, and
 * tests/fuzz/corpus/scenario). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/scenario/scenario.h"
#include "harness/vocab/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore_diag(const struct th_diag *d, void *arg)
{
    (*(int *)arg)++;
    if (!th_text_is_safe(d->msg) || !th_text_is_safe(d->file))
        abort(); /* every diagnostic is one line, whatever the input held */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/th-fuzz-XXXXXX.json";
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    const char *paths[] = {path};
    struct th_plan plan;
    memset(&plan, 0, sizeof(plan));
    struct th_read_opts opts = {0};
    int diags = 0;
    int errors = th_plan_read(&plan, paths, 1, &opts, ignore_diag, &diags);
    if (errors != diags)
        abort(); /* every error counted is an error reported */
    th_plan_free(&plan);
    unlink(path);
    return 0;
}
