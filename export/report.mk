# export/report*: ingero-report (one self-contained HTML file).  The page's
# CSS and script (export/report.css, export/report.js) are embedded as C
# strings generated into $(B)/export/report_assets.c.
REPORT_SRCS := $(wildcard export/report*.c)
TOOLS += $(B)/ingero-report
$(B)/export/report_assets.c: export/report.css export/report.js export/report.mk
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  GEN     $@")
	$(Q){ echo '/* generated from export/report.css and export/report.js by export/report.mk */'; \
	  for a in css js; do echo "const char rep_asset_$$a[] ="; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' export/report.$$a; echo ';'; done; } > $@.tmp && mv $@.tmp $@
$(B)/export/report_assets.o: $(B)/export/report_assets.c
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Iexport -c $< -o $@
$(B)/ingero-report: $(call obj,$(REPORT_SRCS)) $(B)/export/report_assets.o $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 -ljson-c $(FORMATS_LDLIBS) -lz -lm -lpthread
