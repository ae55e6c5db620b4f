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

# make fuzz: see tests/fuzz/fuzz.mk (the reader target is tests/formats/fuzz_reader.c)

# format benchmark (bench/format/run.sh)
BENCH_BINS += $(B)/bench/bench-format
$(B)/bench/bench-format: $(call obj,bench/format/bench.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm
