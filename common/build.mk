# common/: the helper layer every tool links.  libingero-common.a is libc
# only (messages, allocation, durations, hash maps, CLI, safe output,
# progress); libingero-db.a adds the SQLite helpers (db.h).
COMMON_DB_SRCS := common/db.c common/analysis.c
COMMON_SRCS := $(filter-out $(COMMON_DB_SRCS),$(wildcard common/*.c))
$(COMMON_LIB): $(call obj,$(COMMON_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(COMMON_DB_LIB): $(call obj,$(COMMON_DB_SRCS))
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
