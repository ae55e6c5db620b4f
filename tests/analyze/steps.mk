# tests/analyze/steps.mk: unit tests of the engine's step pass (analyze/steps*.c).
TEST_BINS += $(B)/tests/unit-steps
$(B)/tests/unit-steps: $(call obj,tests/analyze/unit-steps.c) $(ENG_UNIT_OBJS) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm
