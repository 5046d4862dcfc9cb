# SPDX-License-Identifier: MIT
#
# ballast build. Configurations (CFG=...):
#   release  -O2, validator compiled out, no test hooks (the default; `make`)
#   debug    cheap assertions, validator and test hooks compiled in
#   full     debug + expensive whole-structure checks
#   asan     debug + AddressSanitizer and UndefinedBehaviorSanitizer
#   tsan     debug + ThreadSanitizer
#   release-lockdep  release flags + the validator (for bench_lockdep only)
# Each configuration builds into build/$(CFG)/. Top-level targets:
#   make / make all   release build of the ballast command
#   make test         install missing packages, then build and run the suite
#                     in debug, asan and tsan, and replay the fuzz corpora
#   make run          release build, then `ballast run` (default scenario)
#   make bench        release build, run bench/, write bench/results.json
#   make fuzz         long libFuzzer runs (FUZZ_SECONDS per target)
#   make clean

.DEFAULT_GOAL := all
SHELL := /bin/bash
CFG ?= release
BUILD := build/$(CFG)
NPROC := $(shell nproc 2>/dev/null || echo 2)

CC := gcc
WARNINGS := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wold-style-definition -Wundef -Wvla -Wformat=2 -Wimplicit-fallthrough \
	-Wshadow=local -Wpointer-arith -Wwrite-strings -Wno-unused-parameter
CPPFLAGS := -Iinclude -D_GNU_SOURCE
CFLAGS := -std=gnu11 -pthread -MMD -MP $(WARNINGS)
LDFLAGS := -pthread -rdynamic
LDLIBS := -ljansson -ldl

DEBUG_DEFS := -DBALLAST_DEBUG=1 -DBALLAST_LOCKDEP=1 -DBALLAST_TESTING=1
ifeq ($(CFG),release)
  CFLAGS += -O2 -g -DNDEBUG -DBALLAST_DEBUG=0 -DBALLAST_LOCKDEP=0 -DBALLAST_TESTING=0
else ifeq ($(CFG),release-lockdep)
  # release flags with the validator compiled in: bench_lockdep's baseline
  CFLAGS += -O2 -g -DNDEBUG -DBALLAST_DEBUG=0 -DBALLAST_LOCKDEP=1 -DBALLAST_TESTING=0
else ifeq ($(CFG),debug)
  CFLAGS += -O1 -g -fno-omit-frame-pointer $(DEBUG_DEFS)
else ifeq ($(CFG),full)
  CFLAGS += -O1 -g -fno-omit-frame-pointer -DBALLAST_DEBUG=2 -DBALLAST_LOCKDEP=1 -DBALLAST_TESTING=1
else ifeq ($(CFG),asan)
  SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
  CFLAGS += -O1 -g -fno-omit-frame-pointer $(SAN) $(DEBUG_DEFS)
  LDFLAGS += $(SAN)
else ifeq ($(CFG),tsan)
  SAN := -fsanitize=thread
  CFLAGS += -O1 -g -fno-omit-frame-pointer $(SAN) $(DEBUG_DEFS)
  LDFLAGS += $(SAN)
else
  $(error unknown CFG '$(CFG)': use release, debug, full, asan, tsan or release-lockdep)
endif

LIB_SRC := $(sort $(shell find src -name '*.c'))
LIB_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
LIB := $(BUILD)/libballast.a

TOOL_SRC := $(sort $(wildcard tools/ballast/*.c))
TOOL_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TOOL_SRC))
BALLAST := $(BUILD)/ballast

SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))
SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(SUPPORT_SRC))
TEST_SRC := $(sort $(wildcard tests/unit/*/test_*.c tests/stress/test_*.c tests/regress/test_*.c))
TEST_BIN := $(patsubst %.c,$(BUILD)/%,$(TEST_SRC))

# Benchmarks share the tests' balloon fixture and fragmentation helper.
BENCH_COMMON_SRC := $(sort $(wildcard bench/common/*.c)) \
	tests/support/balloon_fixture.c tests/support/fragment.c
BENCH_COMMON_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_COMMON_SRC))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(patsubst %.c,$(BUILD)/%,$(BENCH_SRC))

.SECONDARY:

.PHONY: all build tests test check-cfg deps run bench bench-build fuzz fuzz-smoke clean

all:
	@$(MAKE) --no-print-directory -j$(NPROC) CFG=release build

build: $(BALLAST)

tests: $(TEST_BIN) $(BALLAST)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC [$(CFG)] $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

$(BALLAST): $(TOOL_OBJ) $(LIB)
	@echo "  LD [$(CFG)] $@"
	@$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD [$(CFG)] $@"
	@$(CC) $(LDFLAGS) -o $@ $< $(SUPPORT_OBJ) $(LIB) -lcmocka $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_COMMON_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  LD [$(CFG)] $@"
	@$(CC) $(LDFLAGS) -o $@ $< $(BENCH_COMMON_OBJ) $(LIB) $(LDLIBS)

# Run the whole suite of one configuration (used by `make test`).
check-cfg: tests
	@tools/run-tests.sh $(CFG) $(BUILD) $(TEST_BIN)

deps:
	@tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) CFG=debug tests
	@$(MAKE) --no-print-directory CFG=debug check-cfg
	@$(MAKE) --no-print-directory -j$(NPROC) CFG=asan tests
	@$(MAKE) --no-print-directory CFG=asan check-cfg
	@$(MAKE) --no-print-directory -j$(NPROC) CFG=tsan tests
	@$(MAKE) --no-print-directory CFG=tsan check-cfg
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory bench-build
	@echo "make test: all configurations passed"

run: all
	@$(MAKE) --no-print-directory CFG=release build
	build/release/ballast run $(RUN_ARGS)

# The benchmarks' builds (release, and release with the validator for
# bench_lockdep); `make test` builds them too so they cannot rot unseen.
bench-build:
	@$(MAKE) --no-print-directory -j$(NPROC) CFG=release $(BENCH_BIN) build/release/ballast
	@$(MAKE) --no-print-directory -j$(NPROC) CFG=release-lockdep build/release-lockdep/bench/bench_lockdep

bench: bench-build
	@tools/run-bench.sh build/release $(BENCH_BIN)

# Fuzzers: clang + libFuzzer, their own build directory.
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(filter-out -Wshadow=local -Wformat=2,$(WARNINGS)) \
	-Wno-unused-command-line-argument $(DEBUG_DEFS) -DBALLAST_FUZZ=1 -pthread
FUZZ_LIB_SRC := $(LIB_SRC)
# One clang command per fuzzer, no .d files: any header may matter.
FUZZ_HDRS := $(wildcard tests/fuzz/*.h include/ballast/*.h \
	include/ballast/lib/*.h src/*/*.h)
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15

build/fuzz/%: tests/fuzz/%.c $(FUZZ_HDRS) $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	@echo "  CLANG [fuzz] $@"
	@clang $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(LDLIBS)

fuzz-smoke: $(FUZZ_BIN)
	@tools/run-fuzz.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@tools/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
