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
# make fuzz FUZZ_TARGETS=mcp (or make fuzz-mcp): libFuzzer over the JSON-RPC
# input, built and run by tests/fuzz/fuzz.mk with the other targets.
fuzz-mcp:
	$(MAKE) fuzz FUZZ_TARGETS=mcp
.PHONY: fuzz-mcp
