# record/: ingero-record (recorder, check, bundle, demo generator).
RECORD_SRCS := $(wildcard record/*.c)
RECORD_LDLIBS := -lbpf -lelf -lz
TOOLS += $(B)/ingero-record
$(B)/ingero-record: $(call obj,$(RECORD_SRCS)) $(FORMATS_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RECORD_LDLIBS) $(FORMATS_LDLIBS) -lm
