# export/metrics.mk: ingero-metrics (metrics*.c): OpenMetrics / Prometheus text
# and OTLP metrics + spans from a recording or an analysis database.
METRICS_SRCS := $(wildcard export/metrics*.c) export/perfetto_pb.c
TOOLS += $(B)/ingero-metrics
$(B)/ingero-metrics: $(call obj,$(METRICS_SRCS)) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 $(FORMATS_LDLIBS) -lm
# bench/metrics: the series engine alone (bench/metrics/run.sh)
BENCH_BINS += $(B)/bench/bench-metrics
$(B)/bench/bench-metrics: $(call obj,bench/metrics/bench.c export/metrics_series.c export/metrics_om.c) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm
$(B)/bench/metrics/bench.o: ALL_CFLAGS += -Iexport
