# tests/analyze/engine.mk: unit tests of the causal engine (analyze/engine*.c).
ENG_UNIT_OBJS := $(call obj,$(wildcard analyze/engine*.c analyze/steps*.c))
TEST_BINS += $(B)/tests/unit-engine
$(B)/tests/unit-engine: $(call obj,tests/analyze/unit-engine.c) $(ENG_UNIT_OBJS) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm
