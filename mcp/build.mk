# mcp/: ingero-mcp, the MCP server (JSON-RPC 2.0 over stdio) over an
# analysis database; run_sql goes through ingero-sql's guard (libingero-sqlguard.a).
MCP_SRCS := $(wildcard mcp/*.c)
TOOLS += $(B)/ingero-mcp
$(B)/ingero-mcp: $(call obj,$(MCP_SRCS)) $(SQLGUARD_LIB) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm -lpthread
# the fuzz target replayed over tests/mcp/fuzz-corpus as a unit test
MCP_LIB_OBJS := $(call obj,$(filter-out mcp/main.c,$(MCP_SRCS))) $(B)/tests/mcp/main-nomain.o
$(B)/tests/mcp/main-nomain.o: mcp/main.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -DMCP_NO_MAIN -MMD -MP -c $< -o $@
TEST_BINS += $(B)/tests/unit-mcp-fuzz
$(B)/tests/unit-mcp-fuzz: $(call obj,tests/mcp/fuzz_rpc.c tests/mcp/fuzz_replay.c) $(MCP_LIB_OBJS) $(SQLGUARD_LIB) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm -lpthread
$(B)/tests/mcp/fuzz_rpc.o: ALL_CFLAGS += -Imcp
$(B)/tests/mcp/fuzz_replay.o: ALL_CFLAGS += -Itests
# make fuzz-mcp [FUZZ_SECONDS=60]: libFuzzer over the JSON-RPC input; crash
# inputs land in build-fuzz/ (copy them to tests/mcp/fuzz-corpus/).
fuzz: fuzz-mcp
fuzz-mcp:
	@mkdir -p build-fuzz/mcp-corpus build-fuzz/mcp
	$(CLANG) -g -O1 -std=gnu11 -D_GNU_SOURCE -DMCP_NO_MAIN -fsanitize=fuzzer,address,undefined -Iformats -Icommon -Imcp \
		$(MCP_SRCS) export/sqlguard.c $(COMMON_SRCS) $(COMMON_DB_SRCS) $(FORMATS_SRCS) tests/mcp/fuzz_rpc.c \
		-o build-fuzz/fuzz-mcp -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm -lpthread
	build-fuzz/fuzz-mcp -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -timeout=30 \
		-artifact_prefix=build-fuzz/mcp- build-fuzz/mcp-corpus tests/mcp/fuzz-corpus
.PHONY: fuzz-mcp
