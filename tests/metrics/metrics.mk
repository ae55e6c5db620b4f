# tests/metrics: unit test of the series engine (the shell test is t-metrics.sh)
TEST_BINS += $(B)/tests/unit-metrics-series
$(B)/tests/unit-metrics-series: $(call obj,tests/metrics/unit-series.c export/metrics_series.c export/metrics_om.c) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm
$(B)/tests/metrics/unit-series.o: ALL_CFLAGS += -Iexport
