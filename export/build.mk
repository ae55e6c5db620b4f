# export/: ingero-perfetto (perfetto*.c, incl. the protobuf writer perfetto_pb.c)
# and ingero-sql (sql*.c).  The read-only SQL guard (sqlguard.c) is a small
# library of its own, shared with ingero-mcp's run_sql.
PERFETTO_SRCS := $(wildcard export/perfetto*.c)
SQLGUARD_LIB := $(B)/libingero-sqlguard.a
SQLGUARD_SRCS := export/sqlguard.c
SQL_SRCS := $(filter-out $(SQLGUARD_SRCS),$(wildcard export/sql*.c))
TOOLS += $(B)/ingero-perfetto $(B)/ingero-sql
$(SQLGUARD_LIB): $(call obj,$(SQLGUARD_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/ingero-perfetto: $(call obj,$(PERFETTO_SRCS)) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c -lz $(FORMATS_LDLIBS) -lm -lpthread
$(B)/ingero-sql: $(call obj,$(SQL_SRCS)) $(SQLGUARD_LIB) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm
