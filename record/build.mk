# record/: ingero-record (recorder, check, bundle, demo generator).
#
# BPF side: bpf/*.bpf.c -> $(B)/bpf/*.bpf.o (clang -target bpf, CO-RE against
# a vmlinux.h dumped from this kernel's BTF) -> $(B)/bpf/*.skel.h (bpftool gen
# skeleton; the object is embedded in the header, so the binary is
# self-contained).  Every record/*.o depends on the skeletons.
RECORD_SRCS := $(wildcard record/*.c)
RECORD_LDLIBS := -lbpf -lelf -lz -ldl
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.skel.h,$(BPF_SRCS))
BPF_TMPS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.tmp.o,$(BPF_SRCS))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

TOOLS += $(B)/ingero-record
$(B)/ingero-record: $(call obj,$(RECORD_SRCS)) $(FORMATS_LIB) $(COMMON_LIB)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(RECORD_LDLIBS) $(FORMATS_LDLIBS) -lm

$(B)/bpf/vmlinux.h:
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BTF     $@")
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BPF_TMPS): $(B)/bpf/%.tmp.o: bpf/%.bpf.c bpf/ingero_bpf.h formats/ingero_ops.h formats/ops.def \
		$(B)/bpf/vmlinux.h
	$(if $(Q),@echo "  BPF     $<")
	$(Q)$(CLANG) -g -O2 -Wall -Werror -Wno-unused-function -target bpf -D__TARGET_ARCH_x86 \
		-I$(B)/bpf -Ibpf -Iformats -c $< -o $@

# bpftool gen object links and drops DWARF (BTF is kept): a smaller skeleton
$(BPF_OBJS): $(B)/bpf/%.bpf.o: $(B)/bpf/%.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $<

$(BPF_SKELS): $(B)/bpf/%.skel.h: $(B)/bpf/%.bpf.o
	$(if $(Q),@echo "  SKEL    $@")
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(call obj,$(RECORD_SRCS)): $(BPF_SKELS)

# Unit tests of the recorder's user-space pieces (no BPF needed).
REC_UNIT_SRCS := $(wildcard tests/record/unit-*.c)
REC_UNIT_BINS := $(patsubst tests/record/%.c,$(B)/tests/%,$(REC_UNIT_SRCS))
TEST_BINS += $(REC_UNIT_BINS)
REC_LIB_OBJS := $(call obj,$(wildcard record/rec_*.c))
$(B)/tests/unit-rec%: tests/record/unit-rec%.c $(REC_LIB_OBJS) $(FORMATS_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -Irecord -o $@ $^ $(RECORD_LDLIBS) $(FORMATS_LDLIBS) -lm

# A statically linked recorder (BPF objects embedded) for air-gapped nodes:
# copy build-static/ingero-record alone to the host.
STATIC_LDLIBS := -lbpf -lelf -lmsgpackc -larchive -lnettle -lxml2 -licui18n -licuuc -licudata \
	-llzma -lbz2 -lcrypto -lzstd -lz -ldl -lm -lpthread -lstdc++
static:
	$(Q)$(MAKE) --no-print-directory B=build-static build-static/ingero-record \
		RECORD_LDLIBS="-static $(STATIC_LDLIBS)" FORMATS_LDLIBS=
	@echo "  STATIC  build-static/ingero-record"
