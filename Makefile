# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# sockwatch: one entry point for deps, build, run, test, bench and install.

OUTPUT ?= build
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h
CLANG ?= clang
# Debian's bpftool is in /usr/sbin, which a user's PATH may not have
BPFTOOL ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
CC ?= cc
PREFIX ?= /usr/local

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# What `sockwatch --version` prints: `git describe` of the tree it is built from
# (`make SW_VERSION=1.2.3` for a build outside git, e.g. a package).
SW_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)

CFLAGS ?= -O2 -g
# Warnings are bugs: CI builds with WERROR=-Werror (.ci/run), so any warning fails it.
WERROR ?=
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration $(WERROR)
CPPFLAGS += -Iinclude -Isrc -I$(OUTPUT) -D_GNU_SOURCE
LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz
CURSES_LIBS := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
THREAD_LIBS := -lpthread
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Iinclude -I$(dir $(VMLINUX)) \
	-Wall -Wno-unused-function $(WERROR)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

# main.c holds only the verb table; everything else is the library that the
# binary, the unit tests and the integration tests link.
LIB_SRCS := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/libsockwatch.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
ITEST_SRCS := $(wildcard tests/integration/*.c) tests/tools/tpcount_lib.c tests/tools/canary.c
TEST_HDRS := $(wildcard tests/integration/*.h tests/tools/*.h src/*.h include/*.h)
# The tpcount oracle: a minimal BPF counter on the state tracepoint (tests/tools).
TPCOUNT_SKEL := $(OUTPUT)/tests/tpcount.skel.h
TPCOUNT := $(OUTPUT)/tests/tpcount
ITEST := $(OUTPUT)/tests/itest

# The library again, built by clang with AddressSanitizer, UndefinedBehaviorSanitizer and
# libFuzzer's coverage: the unit tests run against it a second time, and the fuzz targets
# (tests/fuzz) link it.
SAN_CC ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS := -O1 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter $(WERROR) $(SAN_FLAGS)
SAN_OBJS := $(patsubst src/%.c,$(OUTPUT)/san/obj/%.o,$(LIB_SRCS))
SAN_LIB := $(OUTPUT)/san/libsockwatch.a
SAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/san/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/fuzz/%,$(FUZZ_SRCS))

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)
.PHONY: FORCE all deps vmlinux run test test-unit test-integration test-vm test-vm-run bench \
	install clean format check-format tests-build fuzz

all: $(OUTPUT)/sockwatch

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/obj $(OUTPUT)/tests $(OUTPUT)/san/obj $(OUTPUT)/san/tests $(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

vmlinux:
	$(call msg,GEN,$(VMLINUX))
	$(Q)mkdir -p $(dir $(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp && \
		mv $(VMLINUX).tmp $(VMLINUX) || { rm -f $(VMLINUX).tmp; exit 1; }

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/*.h) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# -MMD makes every header a dependency; skeletons must exist before any C is
# compiled because the loader includes them.
$(OUTPUT)/obj/%.o: src/%.c $(SKELS) | $(OUTPUT)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# Rewritten only when the version changes, so that main.o is rebuilt only then.
$(OUTPUT)/version.h: FORCE | $(OUTPUT)
	$(Q)printf '#define SW_VERSION "%s"\n' '$(SW_VERSION)' > $@.tmp && \
		{ cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@; }

$(OUTPUT)/obj/main.o: $(OUTPUT)/version.h

FORCE:

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/sockwatch: $(OUTPUT)/obj/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) $(CURSES_LIBS) $(THREAD_LIBS) -o $@

$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP $< $(LIB) -lcmocka $(LIBS) $(CURSES_LIBS) \
		$(THREAD_LIBS) -o $@

$(OUTPUT)/san/obj/%.o: src/%.c $(SKELS) | $(OUTPUT)/san/obj
	$(call msg,CC-SAN,$@)
	$(Q)$(SAN_CC) $(CPPFLAGS) $(SAN_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(SAN_LIB): $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/san/tests/test_%: tests/unit/test_%.c $(SAN_LIB) | $(OUTPUT)/san/tests
	$(call msg,CC-SAN,$@)
	$(Q)$(SAN_CC) $(CPPFLAGS) $(SAN_CFLAGS) -MMD -MP $< $(SAN_LIB) -lcmocka $(LIBS) \
		$(CURSES_LIBS) $(THREAD_LIBS) -o $@

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/check.c $(wildcard tests/fuzz/*.h) $(SAN_LIB) \
		| $(OUTPUT)/fuzz
	$(call msg,CC-FUZZ,$@)
	$(Q)$(SAN_CC) $(CPPFLAGS) -Itests/fuzz $(SAN_CFLAGS) -fsanitize=fuzzer $< tests/fuzz/check.c \
		$(SAN_LIB) $(LIBS) $(THREAD_LIBS) -o $@

$(OUTPUT)/tests/tpcount.bpf.o: tests/tools/tpcount.bpf.c $(VMLINUX) | $(OUTPUT)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(TPCOUNT_SKEL): $(OUTPUT)/tests/tpcount.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tpcount_bpf > $@

$(TPCOUNT): tests/tools/tpcount.c tests/tools/tpcount_lib.c tests/tools/canary.c $(TPCOUNT_SKEL) $(LIB) \
		$(TEST_HDRS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/tools -I$(OUTPUT)/tests $(CFLAGS) tests/tools/tpcount.c \
		tests/tools/tpcount_lib.c tests/tools/canary.c $(LIB) $(LIBS) -o $@

# One compiler run for many sources writes one dependency file: the headers are listed.
$(ITEST): $(ITEST_SRCS) $(TPCOUNT_SKEL) $(LIB) $(TEST_HDRS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/integration -Itests/tools -I$(OUTPUT)/tests $(CFLAGS) $(ITEST_SRCS) $(LIB) \
		$(LIBS) $(CURSES_LIBS) $(THREAD_LIBS) -o $@

# Statically linked integration tests for the qemu kernel matrix.
$(OUTPUT)/tests/itest-static: $(ITEST_SRCS) $(TPCOUNT_SKEL) $(LIB) $(TEST_HDRS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests/integration -Itests/tools -I$(OUTPUT)/tests $(CFLAGS) -static $(ITEST_SRCS) $(LIB) \
		-lbpf -lelf -lz -lzstd $(THREAD_LIBS) -o $@

# run, test and bench install missing packages first, then build in a fresh make so that
# pkg-config answers for what was just installed.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUTPUT)/sockwatch $(ARGS)

tests-build: all $(UNIT_BINS) $(ITEST) $(TPCOUNT) $(SAN_UNIT_BINS) $(FUZZ_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory tests-build
	$(Q)scripts/run-tests.sh $(OUTPUT)

test-unit: $(UNIT_BINS) $(SAN_UNIT_BINS) $(FUZZ_BINS)
	$(Q)SW_ONLY=unit scripts/run-tests.sh $(OUTPUT)

test-integration: all $(ITEST)
	$(Q)SW_ONLY=integration scripts/run-tests.sh $(OUTPUT)

# The qemu kernel matrix: Debian 5.10, 6.1 and 6.12 kernels x fentry, kprobe, tracepoint.
test-vm: deps
	$(Q)$(MAKE) --no-print-directory test-vm-run

test-vm-run: $(OUTPUT)/tests/itest-static
	$(Q)scripts/vm/matrix.sh $(OUTPUT)

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/run.sh $(OUTPUT)

# Longer fuzzing than make test does: FUZZ_SECS per target (default 60), findings in
# $(OUTPUT)/fuzz/findings.
fuzz: $(FUZZ_BINS)
	$(Q)scripts/fuzz.sh $(OUTPUT) $${FUZZ_SECS:-60}

install: all
	install -D -m 0755 $(OUTPUT)/sockwatch $(DESTDIR)$(PREFIX)/sbin/sockwatch

format:
	clang-format -i $(wildcard src/*.[ch] include/*.h bpf/*.[ch] tests/*/*.[ch] bench/*.c)

check-format:
	clang-format --dry-run -Werror $(wildcard src/*.[ch] include/*.h bpf/*.[ch] tests/*/*.[ch] bench/*.c)

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/obj/*.d $(OUTPUT)/tests/*.d $(OUTPUT)/san/obj/*.d $(OUTPUT)/san/tests/*.d)
