# analyze/: ingero-analyze (SQLite import + causal engine).
ANALYZE_SRCS := $(wildcard analyze/*.c)
TOOLS += $(B)/ingero-analyze
$(B)/ingero-analyze: $(call obj,$(ANALYZE_SRCS)) $(FORMATS_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm
