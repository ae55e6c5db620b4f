# Ingero-C: one flat Makefile that sees the whole graph (make -j works).
# Each directory contributes fragments (<dir>/*.mk, e.g. build.mk) that append to
# TOOLS / TEST_BINS and adds its own rules.  Outputs go to $(B) only.
#
#   make            build every tool into build/
#   make demo       run the built-in demo (installs missing Debian packages as root)
#   make check      run all tests, then once more under ASan+UBSan
#   make check-fast run all tests once (no sanitizer pass)
#   make bench      run the benchmarks (by hand, numbers on stdout)
#   make fuzz       build and run the libFuzzer targets for a while
#   make static     statically linked ingero-record
#   make install PREFIX=/usr/local   (tools, man pages, bash completions)
#   make man        man pages and bash completions into build/man, build/completions
#   V=1 shows commands.

.DELETE_ON_ERROR:
.SUFFIXES:
.DEFAULT_GOAL := all

B ?= build
PREFIX ?= /usr/local
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
SAN ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-D_GNU_SOURCE -fno-strict-aliasing -Iformats -Icommon -I$(B)
ifneq ($(SAN),)
CFLAGS_BASE += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1
LDFLAGS_BASE += -fsanitize=address,undefined
endif
CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS_BASE) $(LDFLAGS)

TOOLS :=
TEST_BINS :=
# every tool links the format library
FORMATS_LIB := $(B)/libingero-formats.a
FORMATS_LDLIBS := -lzstd -lmsgpackc -larchive
# the helper layer (common/): libc only, and the SQLite helpers
COMMON_LIB := $(B)/libingero-common.a
COMMON_DB_LIB := $(B)/libingero-db.a
BENCH_BINS :=
# (helpers for fragments)
define obj
$(patsubst %.c,$(B)/%.o,$(1))
endef

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# every directory's fragments (<dir>/*.mk), plus test fragments tests/<area>/*.mk
include $(sort $(wildcard */*.mk) $(wildcard tests/*/*.mk))

all: $(TOOLS) $(TEST_BINS)

deps:
	$(Q)scripts/deps.sh

deps-test:
	$(Q)scripts/deps.sh test

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(B)

check: deps-test
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh $(B)
	$(Q)$(MAKE) --no-print-directory check-asan

check-fast: all
	$(Q)tests/run.sh $(B)

check-asan:
	$(Q)$(MAKE) --no-print-directory B=build-asan SAN=1 all
	$(Q)INGERO_ASAN=1 tests/run.sh build-asan

bench: all $(BENCH_BINS)
	$(Q)bench/run.sh $(B)

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 $(COMPLETIONS) $(DESTDIR)$(PREFIX)/share/bash-completion/completions/

clean:
	rm -rf build build-asan build-fuzz build-static

.PHONY: all deps deps-test demo check check-fast check-asan bench install clean fuzz static

-include $(shell find $(B) -name '*.d' 2>/dev/null)
