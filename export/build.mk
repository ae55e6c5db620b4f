# export/: ingero-perfetto (perfetto*.c, incl. the protobuf writer perfetto_pb.c)
# and ingero-sql (sql*.c).
PERFETTO_SRCS := $(wildcard export/perfetto*.c)
SQL_SRCS := $(wildcard export/sql*.c)
TOOLS += $(B)/ingero-perfetto $(B)/ingero-sql
$(B)/ingero-perfetto: $(call obj,$(PERFETTO_SRCS)) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c -lz $(FORMATS_LDLIBS) -lm -lpthread
$(B)/ingero-sql: $(call obj,$(SQL_SRCS)) $(COMMON_DB_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c -lm
