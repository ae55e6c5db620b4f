# formats/: the recording-format library every tool links, ingero-dump,
# the format tests, the benchmark and the fuzz target.
FORMATS_SRCS := $(wildcard formats/*.c)
$(FORMATS_LIB): $(call obj,$(FORMATS_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

TOOLS += $(B)/ingero-dump
$(B)/ingero-dump: $(call obj,formats/tool/dump.c) $(FORMATS_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)

# unit tests of the format library
TEST_BINS += $(B)/tests/unit-format
$(B)/tests/unit-format: $(call obj,tests/formats/unit-format.c) $(FORMATS_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS)
$(B)/tests/formats/unit-format.o: ALL_CFLAGS += -Itests
