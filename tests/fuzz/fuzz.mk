# tests/fuzz: libFuzzer targets for every input surface, and their corpora
# replayed as normal unit tests (gcc, no libFuzzer: tests/formats/fuzz_main.c
# feeds every file of tests/fuzz/corpus/<target>/ to the target; a crasher
# kept there fails under ASan in make check-asan).
#   reader  tests/formats/fuzz_reader.c  segment files (corpus tests/formats/fuzz-corpus/)
#   bundle  tests/fuzz/fuzz_bundle.c     tar / tar.gz / tar.zst bundles
#   db      tests/fuzz/fuzz_db.c         SQLite files: the original's DBs and ours,
#                                        as ingero-analyze imports and ingero-perfetto exports them
#   merge   tests/fuzz/fuzz_merge.c      ingero-merge on 1-3 node recordings
#   mcp     tests/mcp/fuzz_rpc.c         ingero-mcp's JSON-RPC lines (corpus tests/mcp/fuzz-corpus/)
# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="reader db"]: each target, one at a time, for
# FUZZ_SECONDS, seeded with its corpus; new inputs in build-fuzz/<t>-corpus/,
# crashers as build-fuzz/<t>-crash-*: copy them to the target's corpus
# directory to keep them as regression tests.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= reader bundle db merge mcp
FUZZ_DIR := build-fuzz
FUZZ_CC := $(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -DINGERO_LIBFUZZER -fsanitize=fuzzer,address,undefined \
	-DREAD_CHUNK=16384 -DDBUF_INIT=65536 -Iformats -Icommon -Itests/fuzz -Ianalyze -Iexport -I$(B)
FUZZ_FORMATS := $(FORMATS_SRCS)
FUZZ_COMMON := $(wildcard common/*.c)
FUZZ_PERFETTO := $(filter-out export/perfetto_main.c,$(PERFETTO_SRCS))
FUZZ_MERGE := $(filter-out merge/main.c,$(MERGE_SRCS))
FUZZ_MERGE_MAIN_FLAGS := -Dmain=ingero_merge_main -Dig_exit=fz_merge_exit -Datexit=fz_merge_atexit
FUZZ_LIBS := -lsqlite3 -ljson-c -lz $(FORMATS_LDLIBS) -lm -lpthread

# replay tests (built by make all, run by tests/run.sh)
TEST_BINS += $(B)/tests/unit-fuzz-bundle $(B)/tests/unit-fuzz-db $(B)/tests/unit-fuzz-merge
$(B)/tests/fuzz/%.o: ALL_CFLAGS += -Itests/fuzz -Ianalyze -Iexport
$(B)/tests/fuzz/fuzz_db.o: $(B)/analyze/schema_sql.h
$(B)/tests/fuzz/merge_main.o: merge/main.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(FUZZ_MERGE_MAIN_FLAGS) -MMD -MP -c $< -o $@
$(B)/tests/unit-fuzz-bundle: $(B)/tests/formats/fuzz_main.o $(B)/tests/fuzz/fuzz_bundle.o $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)
$(B)/tests/unit-fuzz-db: $(B)/tests/formats/fuzz_main.o $(B)/tests/fuzz/fuzz_db.o \
		$(call obj,$(ANALYZE_LIB_SRCS) $(FUZZ_PERFETTO)) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c -lz $(FORMATS_LDLIBS) -lm -lpthread
$(B)/tests/unit-fuzz-merge: $(B)/tests/formats/fuzz_main.o $(B)/tests/fuzz/fuzz_merge.o \
		$(B)/tests/fuzz/merge_main.o $(call obj,$(FUZZ_MERGE)) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm -lpthread

# libFuzzer builds (clang), by hand
$(FUZZ_DIR)/fuzz-reader: $(FUZZ_FORMATS) $(FUZZ_COMMON) tests/formats/fuzz_reader.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $^ -o $@ $(FUZZ_LIBS)
$(FUZZ_DIR)/fuzz-bundle: $(FUZZ_FORMATS) $(FUZZ_COMMON) tests/fuzz/fuzz_bundle.c tests/fuzz/fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter %.c,$^) -o $@ $(FUZZ_LIBS)
$(FUZZ_DIR)/fuzz-db: $(FUZZ_FORMATS) $(FUZZ_COMMON) $(ANALYZE_LIB_SRCS) $(FUZZ_PERFETTO) tests/fuzz/fuzz_db.c \
		tests/fuzz/fuzz.h $(B)/analyze/schema_sql.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter %.c,$^) -o $@ $(FUZZ_LIBS)
$(FUZZ_DIR)/merge_main.o: merge/main.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_MERGE_MAIN_FLAGS) -c $< -o $@
$(FUZZ_DIR)/fuzz-merge: $(FUZZ_FORMATS) $(FUZZ_COMMON) $(FUZZ_MERGE) tests/fuzz/fuzz_merge.c tests/fuzz/fuzz.h \
		$(FUZZ_DIR)/merge_main.o
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(filter %.c %.o,$^) -o $@ $(FUZZ_LIBS)

$(FUZZ_DIR)/fuzz-mcp: $(FUZZ_FORMATS) $(FUZZ_COMMON) $(MCP_SRCS) export/sqlguard.c tests/mcp/fuzz_rpc.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -DMCP_NO_MAIN -Imcp $(filter %.c,$^) -o $@ $(FUZZ_LIBS)

fuzz-corpus-reader := tests/formats/fuzz-corpus
fuzz-corpus-bundle := tests/fuzz/corpus/bundle
fuzz-corpus-db := tests/fuzz/corpus/db
fuzz-corpus-merge := tests/fuzz/corpus/merge
fuzz-corpus-mcp := tests/mcp/fuzz-corpus
fuzz-build: $(addprefix $(FUZZ_DIR)/fuzz-,$(FUZZ_TARGETS))
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/$$t-corpus; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		case $$t in reader) c=$(fuzz-corpus-reader);; bundle) c=$(fuzz-corpus-bundle);; \
			db) c=$(fuzz-corpus-db);; merge) c=$(fuzz-corpus-merge);; mcp) c=$(fuzz-corpus-mcp);; \
			*) echo "fuzz: unknown target '$$t' (reader bundle db merge mcp)"; exit 2;; esac; \
		ASAN_OPTIONS=quarantine_size_mb=4:max_malloc_fill_size=0:$${ASAN_OPTIONS:-} \
		$(FUZZ_DIR)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
			-timeout=20 -close_fd_mask=1 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$$t- \
			$(FUZZ_DIR)/$$t-corpus $$c 2>$(FUZZ_DIR)/$$t.log; rc=$$?; \
		grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec' $(FUZZ_DIR)/$$t.log | sed "s/^/  $$t: /"; \
		if [ $$rc -ne 0 ]; then echo "fuzz: $$t FAILED (see $(FUZZ_DIR)/$$t.log; crasher: $(FUZZ_DIR)/$$t-crash-*)"; exit 1; fi; \
	done
.PHONY: fuzz fuzz-build
