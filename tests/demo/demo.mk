# tests/demo: the scenario generator (record/demo*.c) linked into a test
# binary that generates every scenario in process and checks its signal.
TEST_BINS += $(B)/tests/unit-demo
TDEMO_OBJS := $(call obj,tests/demo/unit-demo.c $(wildcard record/demo*.c))
$(B)/tests/unit-demo: $(TDEMO_OBJS) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm
$(B)/tests/demo/unit-demo.o: ALL_CFLAGS += -Itests -Irecord
