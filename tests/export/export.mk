# tests/export: unit test of the protobuf writer, and export-mkrec, the
# deterministic recording generator the shell tests and bench/perfetto use.
TEST_BINS += $(B)/tests/unit-export-pb $(B)/tests/export-mkrec
$(B)/tests/unit-export-pb: $(call obj,tests/export/unit-pb.c export/perfetto_pb.c)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^
$(B)/tests/export/unit-pb.o: ALL_CFLAGS += -Iexport
$(B)/tests/export-mkrec: $(call obj,tests/export/mkrec.c) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm
