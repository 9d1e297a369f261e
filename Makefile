# tlsharness — one non-recursive Makefile.
#   make            build ./tlsharness
#   make run        install what is missing, build, run the shipped scenarios (quick sizes)
#   make run-full   the same with the benchmark kinds at full size
#   make check      install what is missing, build, run every test (TAP, under prove)
#   make deps       install the Debian packages the project needs
#   make SANITIZE=address,undefined check    the sanitizer build, in its own folder
#   make V=1        show the commands
#   make WERROR=1   warnings are errors (the default when CI=true)
#   make WITHOUT='nss wolfssl'   leave out backends whose library is installed (also go, java)

CC ?= cc
CFLAGS ?= -O2 -g
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
SANITIZE ?=
PKG_CONFIG ?= pkg-config

ifneq ($(SANITIZE),)
BUILD := build-sanitize
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

Q := @
ifeq ($(V),1)
Q :=
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
# CI (CI=true) builds with WERROR=1: a new warning fails it; users' builds only warn.
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif
TH_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(WARN) -MMD -MP $(SANFLAGS) $(SANFLAGS_EXTRA)
TH_LDFLAGS := $(SANFLAGS)
LIBS := -lpthread -lm

# ---- libraries, each detected on its own ----
have = $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo yes)

ifeq ($(call have,openssl),yes)
TH_CFLAGS += -DTH_HAVE_OPENSSL $(shell $(PKG_CONFIG) --cflags openssl)
LIBS += $(shell $(PKG_CONFIG) --libs openssl)
BACKEND_SRC += $(wildcard backends/openssl*.c)
else
MISSING += libssl-dev
endif

ifeq ($(call have,jansson),yes)
TH_CFLAGS += $(shell $(PKG_CONFIG) --cflags jansson)
LIBS += $(shell $(PKG_CONFIG) --libs jansson)
else
MISSING += libjansson-dev
endif

# HTTP/2 framing for kind load and serve (harness/http/h2.c)
ifeq ($(call have,libnghttp2),yes)
TH_CFLAGS += $(shell $(PKG_CONFIG) --cflags libnghttp2)
LIBS += $(shell $(PKG_CONFIG) --libs libnghttp2)
else
MISSING += libnghttp2-dev
endif

ifneq ($(wildcard backends/gnutls.c),)
ifeq ($(call have,gnutls),yes)
TH_CFLAGS += -DTH_HAVE_GNUTLS $(shell $(PKG_CONFIG) --cflags gnutls)
LIBS += $(shell $(PKG_CONFIG) --libs gnutls)
BACKEND_SRC += $(wildcard backends/gnutls*.c)
endif
endif

# mbedTLS 2.28 ships no .pc file: look for its header.
ifneq ($(wildcard backends/mbedtls.c),)
ifneq ($(wildcard /usr/include/mbedtls/ssl.h),)
TH_CFLAGS += -DTH_HAVE_MBEDTLS
LIBS += -lmbedtls -lmbedx509 -lmbedcrypto
BACKEND_SRC += $(wildcard backends/mbedtls*.c)
endif
endif

# wolfSSL 5.5 (libwolfssl-dev) and NSS 3.87 (libnss3-dev): each its own pkg-config.
ifneq ($(wildcard backends/wolfssl.c),)
ifeq ($(call have,wolfssl),yes)
ifeq ($(filter wolfssl,$(WITHOUT)),)
TH_CFLAGS += -DTH_HAVE_WOLFSSL $(shell $(PKG_CONFIG) --cflags wolfssl)
LIBS += $(shell $(PKG_CONFIG) --libs wolfssl)
BACKEND_SRC += $(wildcard backends/wolfssl*.c)
endif
endif
endif

ifneq ($(wildcard backends/nss.c),)
ifeq ($(call have,nss),yes)
ifeq ($(filter nss,$(WITHOUT)),)
TH_CFLAGS += -DTH_HAVE_NSS $(shell $(PKG_CONFIG) --cflags nss)
LIBS += $(shell $(PKG_CONFIG) --libs nss)
BACKEND_SRC += $(wildcard backends/nss*.c)
endif
endif
endif

# Shims: stacks out of process (backends/README.md, "Shims"), each built when its
# toolchain is installed, into $(BUILD)/shims where the program finds them.
GO ?= go
JAVAC ?= javac
SHIM_BIN :=
ifneq ($(wildcard backends/shims/go/go.mod),)
ifeq ($(filter go,$(WITHOUT)),)
ifneq ($(shell command -v $(GO) 2>/dev/null),)
TH_CFLAGS += -DTH_HAVE_SHIM_GO
BACKEND_SRC += backends/shim_go.c
SHIM_BIN += $(BUILD)/shims/tlsharness-shim-go
else
SHIM_SKIPPED += go (no $(GO): make deps installs golang-go)
endif
endif
endif
ifneq ($(wildcard backends/shims/java/TlsharnessShim.java),)
ifeq ($(filter java,$(WITHOUT)),)
ifneq ($(shell command -v $(JAVAC) 2>/dev/null),)
TH_CFLAGS += -DTH_HAVE_SHIM_JAVA
BACKEND_SRC += backends/shim_java.c
SHIM_BIN += $(BUILD)/shims/java/TlsharnessShim.class
else
SHIM_SKIPPED += java (no $(JAVAC): make deps installs openjdk-17-jdk-headless)
endif
endif
endif
ifneq ($(SHIM_BIN),)
BACKEND_SRC += backends/shim.c backends/shim_proc.c backends/shim_conn.c
endif

# libcurl: both flavours (libcurl.so.4 on OpenSSL, libcurl-gnutls.so.4 on GnuTLS) are
# loaded with dlopen, never linked; only the header is needed here. curl.c reads
# the TLS objects libcurl hands out with OpenSSL and GnuTLS: it needs both backends.
ifneq ($(wildcard backends/curl.c),)
ifneq ($(wildcard /usr/include/x86_64-linux-gnu/curl/curl.h)$(call have,libcurl),)
ifneq ($(filter backends/openssl.c,$(BACKEND_SRC)),)
ifneq ($(filter backends/gnutls.c,$(BACKEND_SRC)),)
TH_CFLAGS += -DTH_HAVE_CURL $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
LIBS += -ldl
BACKEND_SRC += $(wildcard backends/curl*.c)
endif
endif
endif
endif

GIT_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
TH_CFLAGS += -DTH_VERSION='"0.1.0-$(GIT_VERSION)"' -DTH_BUILD_FLAGS='"$(strip $(CFLAGS) $(SANFLAGS))"'

# the driver's rooms, one folder per concern (harness/README.md); the CLI's files make
# the program, everything else is the library the tests link too.
HARNESS_SRC := $(filter-out harness/cli/%,$(wildcard harness/*/*.c))
LIB_SRC := $(HARNESS_SRC) backends/registry.c $(BACKEND_SRC)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard harness/cli/*.c))

UNIT_SRC := $(wildcard tests/unit/test_*.c)
# a backend's tests (test_NAME.c, test_NAME_*.c) build only when that backend is compiled in
UNIT_SRC := $(filter-out $(addsuffix %.c,$(patsubst backends/%.c,tests/unit/test_%,$(filter-out $(BACKEND_SRC),$(wildcard backends/*.c)))),$(UNIT_SRC))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

# ./tlsharness is the default build's; any other build folder keeps its own program.
BIN := tlsharness
ifneq ($(BUILD),build)
BIN := $(BUILD)/tlsharness
endif

.PHONY: all run run-full check check-only deps test-bins clean install format format-check fuzz bench bench-load
all: $(BIN) $(SHIM_BIN)
ifneq ($(SHIM_SKIPPED),)
	@echo "tlsharness: shims not built: $(SHIM_SKIPPED)"
endif

# The shims, each with its own toolchain (offline: the standard library, the JDK).
$(BUILD)/shims/tlsharness-shim-go: $(wildcard backends/shims/go/*.go) backends/shims/go/go.mod
	@mkdir -p $(dir $@)
	@echo "  GO      $@"
	$(Q)cd backends/shims/go && GOCACHE=$(abspath $(BUILD))/go-cache GOFLAGS=-buildvcs=false \
	    $(GO) build -trimpath -o $(abspath $@) .

$(BUILD)/shims/java/TlsharnessShim.class: $(filter-out %Test.java,$(wildcard backends/shims/java/*.java))
	@mkdir -p $(dir $@)
	@echo "  JAVAC   $(dir $@)"
	$(Q)$(JAVAC) -Xlint:all -Werror -d $(dir $@) $^

$(BIN): $(LIB_OBJ) $(CLI_OBJ)
ifneq ($(MISSING),)
	@echo "tlsharness: missing libraries: $(MISSING) (run 'make deps')" >&2; exit 2
endif
	@echo "  LD      $@"
	$(Q)$(CC) $(TH_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Objects rebuild when the set of backends or the flags change (registry.c's
# TH_HAVE_* come from what was found), not only when a source changes.
FLAGS_STAMP := $(BUILD)/.flags
FLAGS_NOW := $(BACKEND_SRC) | $(CC) | $(CFLAGS) | $(CPPFLAGS) | $(SANFLAGS) $(SANFLAGS_EXTRA)
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(FLAGS_NOW)' | cmp -s - $@ 2>/dev/null || echo '$(FLAGS_NOW)' > $@

.PHONY: FORCE
FORCE:

# a missing library is named before anything compiles against its headers
.PHONY: missing-check
missing-check:
ifneq ($(MISSING),)
	@echo "tlsharness: missing libraries: $(MISSING) (run 'make deps')" >&2; exit 2
endif

$(BUILD)/%.o: %.c $(FLAGS_STAMP) | missing-check
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(TH_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(TH_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Itests -o $@ $< $(LIB_OBJ) $(TH_LDFLAGS) $(LDFLAGS) $(LIBS)

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(TH_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(TH_LDFLAGS) $(LDFLAGS) -lpthread

$(BUILD)/tests/fuzz_replay: tests/fuzz/replay.c tests/fuzz/fuzz_scenario.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(TH_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_scenario.c $(LIB_OBJ) $(TH_LDFLAGS) $(LDFLAGS) $(LIBS)

test-bins: $(BIN) $(SHIM_BIN) $(UNIT_BIN) $(TOOL_BIN) $(BUILD)/tests/fuzz_replay

# libFuzzer on the scenario loader, bounded: FUZZ_SECONDS (default 60).
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz \
	    SANFLAGS_EXTRA=-fsanitize=fuzzer-no-link,address,undefined build-fuzz/fuzz_scenario \
	    build-fuzz/fuzz_results
	mkdir -p build-fuzz/corpus && cp tests/data/bad/*.json tests/fuzz/corpus/scenario/* build-fuzz/corpus/
	find scenarios -name '*.json' -exec cp {} build-fuzz/corpus/ \;
	build-fuzz/fuzz_scenario -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus
	mkdir -p build-fuzz/corpus-results && cp tests/data/results/*.json build-fuzz/corpus-results/
	build-fuzz/fuzz_results -max_total_time=$(FUZZ_SECONDS) build-fuzz/corpus-results

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	$(CC) $(TH_CFLAGS) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

# run and check install what is missing first, then build in a fresh make so the
# library detection above sees what was just installed.
deps:
	$(Q)sh ci/deps.sh

# make run is the first answer, in a few minutes: every conformance case on every pair
# and fixture, the benchmark kinds at --quick size (enough to see that each case runs).
# make run-full is everything at full size: the benchmark figures worth comparing.
RUN_CMD = ./$(BIN) run $(if $(filter run,$@),--quick )-o results/latest.json \
    --junit results/latest.xml --html results/latest.html scenarios/
run run-full:
	$(Q)sh ci/deps.sh --quiet
	$(Q)$(MAKE) --no-print-directory all
	@echo '$(RUN_CMD)'
	$(Q)rc=0; $(RUN_CMD) || rc=$$?; \
	$(if $(filter run,$@),echo "benchmarks ran at quick size; at full size (about 12 minutes on 2 cores): make run-full";) \
	exit $$rc

check:
	$(Q)sh ci/deps.sh --quiet
	$(Q)$(MAKE) --no-print-directory check-only

check-only: test-bins
	$(Q)LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) TH_BUILD=$(BUILD) TH_BIN=$(abspath $(BIN)) prove -f $(UNIT_BIN) tests/integration/*.t

# The harness's overhead against bare reference loops, side by side (a benchmark,
# not a test: run it on an idle machine). BENCH_ROUNDS, BENCH_REPS.
bench: all
	tests/bench/run.sh $(or $(BENCH_ROUNDS),3) $(or $(BENCH_REPS),5)

# the load engine beside wrk and h2load against the nginx fixture
bench-load: all
	tests/bench/load.sh $(or $(BENCH_ROUNDS),5)

# The program, the shipped scenarios and the fixture templates it finds beside itself
# (PREFIX/share/tlsharness), and the man page. The scenarios folder is replaced whole:
# a scenario removed from the tree is gone from the installed set too.
SHARE := $(DESTDIR)$(PREFIX)/share/tlsharness
install: $(BIN) $(SHIM_BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tlsharness
	rm -rf $(DESTDIR)$(PREFIX)/lib/tlsharness/shims
	if [ -d $(BUILD)/shims ]; then install -d $(DESTDIR)$(PREFIX)/lib/tlsharness/shims && \
	    cd $(BUILD)/shims && find . -name go-cache -prune -o -type f -print | \
	    xargs -r -I{} install -D -m 0755 {} $(DESTDIR)$(PREFIX)/lib/tlsharness/shims/{}; fi
	install -d $(SHARE)/fixtures
	install -m 0644 harness/fixture/templates/* $(SHARE)/fixtures/
	rm -rf $(SHARE)/scenarios
	find scenarios -type f \( -name '*.json' -o -name '*.pem' -o -name README.md \) \
	    -exec install -D -m 0644 {} $(SHARE)/{} \;
	install -D -m 0644 harness/cli/tlsharness.1 $(DESTDIR)$(PREFIX)/share/man/man1/tlsharness.1

format:
	clang-format -i harness/*/*.[ch] backends/*.[ch] tests/unit/*.c tests/tools/*.c tests/fuzz/*.c tests/*.h

format-check:
	$(Q)clang-format --dry-run -Werror harness/*/*.[ch] backends/*.[ch] tests/unit/*.c tests/tools/*.c tests/fuzz/*.c tests/*.h

clean:
	rm -rf build build-sanitize build-fuzz tlsharness

# the version string names the commit
$(BUILD)/harness/cli/main.o: $(wildcard .git/index)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d)
