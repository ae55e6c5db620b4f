# merge/: ingero-merge.
MERGE_SRCS := $(wildcard merge/*.c)
TOOLS += $(B)/ingero-merge
$(B)/ingero-merge: $(call obj,$(MERGE_SRCS)) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm -lpthread
