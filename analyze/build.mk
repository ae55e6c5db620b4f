# analyze/: ingero-analyze (SQLite import + causal engine).
# schema.sql is the source of truth; it is embedded into the binary as a
# generated C array ($(B)/analyze/schema_sql.h, NUL-terminated).
ANALYZE_SRCS := $(wildcard analyze/*.c)
ANALYZE_LIB_SRCS := $(filter-out analyze/main.c,$(ANALYZE_SRCS))
TOOLS += $(B)/ingero-analyze
$(B)/analyze/schema_sql.h: analyze/schema.sql
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  GEN     $@")
	$(Q){ echo 'static const unsigned char analyze_schema_sql[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; } > $@.tmp && mv $@.tmp $@
$(B)/analyze/db.o: $(B)/analyze/schema_sql.h
$(B)/ingero-analyze: $(call obj,$(ANALYZE_SRCS)) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lm

# bench/analyze: synthetic recording generator (benchmark + import tests)
ANALYZE_GEN := $(B)/bench/analyze-gen
BENCH_BINS += $(ANALYZE_GEN)
TEST_BINS += $(ANALYZE_GEN)
$(ANALYZE_GEN): $(B)/bench/analyze/gen.o $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FORMATS_LDLIBS) -lm
