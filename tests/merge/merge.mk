# tests/merge: unit tests of the skew estimator and the synthetic-input tool
# (merge-synth) that the shell tests and bench/merge use.
TEST_BINS += $(B)/tests/unit-merge-skew $(B)/tests/merge-synth
$(B)/tests/unit-merge-skew: $(call obj,tests/merge/unit-skew.c merge/skew.c) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm
$(B)/tests/merge-synth: $(call obj,bench/merge/synth.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm
