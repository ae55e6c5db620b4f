# tests/analyze/import.mk: unit test of the ingero-analyze import (imp).
IMPORT_TEST_OBJS := $(call obj,$(filter-out analyze/main.c,$(wildcard analyze/*.c)))
TEST_BINS += $(B)/tests/unit-import
$(B)/tests/unit-import: $(B)/tests/analyze/unit-import.o $(IMPORT_TEST_OBJS) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm
