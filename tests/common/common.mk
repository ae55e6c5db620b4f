# tests/common: unit tests of the helper layer and the op table.
TEST_BINS += $(B)/tests/unit-common
$(B)/tests/unit-common: $(call obj,tests/common/unit-common.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)
$(B)/tests/common/unit-common.o: ALL_CFLAGS += -Itests
