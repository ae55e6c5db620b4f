# mcp/: ingero-mcp, the MCP server (JSON-RPC 2.0 over stdio) over an
# analysis database; run_sql goes through ingero-sql's guard (libingero-sqlguard.a).
MCP_SRCS := $(wildcard mcp/*.c)
TOOLS += $(B)/ingero-mcp
$(B)/ingero-mcp: $(call obj,$(MCP_SRCS)) $(SQLGUARD_LIB) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm -lpthread
