# formats/: the recording-format library every tool links.
FORMATS_SRCS := $(wildcard formats/*.c)
$(FORMATS_LIB): $(call obj,$(FORMATS_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
