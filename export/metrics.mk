# export/metrics.mk: ingero-metrics (metrics*.c): OpenMetrics / Prometheus text
# and OTLP metrics + spans from a recording or an analysis database.
METRICS_SRCS := $(wildcard export/metrics*.c) export/perfetto_pb.c
TOOLS += $(B)/ingero-metrics
$(B)/ingero-metrics: $(call obj,$(METRICS_SRCS)) $(COMMON_DB_LIB) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ -lsqlite3 $(FORMATS_LDLIBS) -lm
