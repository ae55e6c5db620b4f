# formats/: the recording-format library every tool links, ingero-dump,
# the format tests, the benchmark and the fuzz target.
FORMATS_SRCS := $(wildcard formats/*.c)
$(FORMATS_LIB): $(call obj,$(FORMATS_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

TOOLS += $(B)/ingero-dump
$(B)/ingero-dump: $(call obj,formats/tool/dump.c) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)

# unit tests of the format library
TEST_BINS += $(B)/tests/unit-format
$(B)/tests/unit-format: $(call obj,tests/formats/unit-format.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)
$(B)/tests/formats/unit-format.o: ALL_CFLAGS += -Itests

# corpus generator (run once by hand; the outputs are committed)
TEST_BINS += $(B)/tests/gen-corpus
$(B)/tests/gen-corpus: $(call obj,tests/formats/gen_corpus.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)
$(B)/tests/formats/gen_corpus.o: ALL_CFLAGS += -Itests

# fuzz target replayed as a regression test
TEST_BINS += $(B)/tests/unit-fuzz-replay
$(B)/tests/unit-fuzz-replay: $(call obj,tests/formats/fuzz_main.c tests/formats/fuzz_reader.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)
$(B)/tests/formats/fuzz_main.o: ALL_CFLAGS += -Itests

# make fuzz [FUZZ_SECONDS=60]: libFuzzer over the reader, seeded with the
# corpus; new crash inputs land in build-fuzz/ (copy them to
# tests/formats/fuzz-corpus/ to keep them as regression tests).
FUZZ_SECONDS ?= 60
fuzz: fuzz-formats
fuzz-formats:
	@mkdir -p build-fuzz/formats-corpus
	$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Iformats \
		$(FORMATS_SRCS) tests/formats/fuzz_reader.c -o build-fuzz/fuzz-reader $(FORMATS_LDLIBS)
	build-fuzz/fuzz-reader -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/ build-fuzz/formats-corpus tests/formats/fuzz-corpus
.PHONY: fuzz-formats

# format benchmark (bench/format/run.sh)
BENCH_BINS += $(B)/bench/bench-format
$(B)/bench/bench-format: $(call obj,bench/format/bench.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm
