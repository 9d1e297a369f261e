/* Java's JSSE (SunJSSE), out of process: backends/shims/java, compiled with OpenJDK's
 * javac into the shims folder (java/TlsharnessShim.class) and run by the `java` on
 * the PATH. A TLS 1.3 KeyUpdate is SSLEngine.beginHandshake on an established
 * connection. */
#include "shim.h"

static struct th_shim_state java_state = {.once = PTHREAD_ONCE_INIT};

static const struct th_shim_def java_def = {
    .name = "java",
    .library = "Java JSSE",
    .program = "java/TlsharnessShim.class",
    .argv = {"java", "-cp", "{dir}/java", "TlsharnessShim"},
    .state = &java_state,
};

TH_SHIM_BACKEND(java, java_def, "Java JSSE", 1);
