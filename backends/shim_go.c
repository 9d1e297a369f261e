/* Go's crypto/tls, out of process: backends/shims/go, built with Debian's golang-go
 * (the standard library only) into the shims folder as tlsharness-shim-go. Go 1.19
 * cannot send a KeyUpdate (it answers one). */
#include "shim.h"

static struct th_shim_state go_state = {.once = PTHREAD_ONCE_INIT};

static const struct th_shim_def go_def = {
    .name = "go",
    .library = "Go crypto/tls",
    .program = "tlsharness-shim-go",
    .argv = {"{}"},
    .state = &go_state,
};

TH_SHIM_BACKEND(go, go_def, "Go crypto/tls", 0);
