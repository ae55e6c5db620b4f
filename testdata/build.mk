# testdata/: fake CUDA libraries (libcudart.so.12, libcuda.so.1, libnccl.so.2)
# and the workloads the recorder tests trace, all into $(B)/testdata/.
# Never sanitized (ASan in a dlopen'ed library needs an ASan executable) and
# built -O1 with frame pointers and no CET, so every probed function starts
# with `push %rbp` (emulated uprobe, ~5.5 us) -- checked with objdump.
TD := $(B)/testdata
TD_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fcf-protection=none -Wall -Wextra -Werror -D_GNU_SOURCE
TD_LIB_CFLAGS := $(TD_CFLAGS) -fPIC -shared -fvisibility=hidden
TD_HDR := testdata/fakecuda/fakecuda.h testdata/workloads/wl.h
TD_PROLOGUE := testdata/fakecuda/check-prologue.sh
TD_VENV_DIR := $(TD)/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib
# the probed symbols each library must export (and start with `push %rbp`):
# formats/ops.def's LIB/SYM columns, plus the entry points the workloads
# need that are not probed
TD_OPS_SYMS = $(shell CC="$(CC)" testdata/fakecuda/ops-syms.sh $(1))
TD_CUDART_SYMS := $(call TD_OPS_SYMS,CUDART)
TD_CUDA_SYMS := cuInit $(call TD_OPS_SYMS,CUDA)
TD_NCCL_SYMS := ncclGetUniqueId $(call TD_OPS_SYMS,NCCL)
TD_OPS_DEPS := formats/ops.def testdata/fakecuda/ops-syms.sh

TD_LIBS := $(TD)/libcudart.so.12 $(TD)/libcuda.so.1 $(TD)/libnccl.so.2
TD_WLS := $(addprefix $(TD)/,wl-train wl-threads wl-fork wl-loader wl-infer wl-dlopen wl-graph wl-nccl \
	wl-hog wl-all wl-venv wl-partial)
TD_PARTIAL := $(TD)/partial/libcudart.so.12
TEST_BINS += $(TD_LIBS) $(TD_WLS) $(TD_VENV_DIR)/libcudart.so.12 $(TD_PARTIAL)

define td_lib
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  SO      $@")
	$(Q)$(CC) $(TD_LIB_CFLAGS) -Wl,-soname,$(notdir $@) -o $@ $(1) testdata/fakecuda/common.c
	$(Q)$(TD_PROLOGUE) $@ $(2) || { rm -f $@; exit 1; }
endef

$(TD)/libcudart.so.12: testdata/fakecuda/cudart.c testdata/fakecuda/common.c $(TD_HDR) $(TD_PROLOGUE) $(TD_OPS_DEPS)
	$(call td_lib,testdata/fakecuda/cudart.c,$(TD_CUDART_SYMS))
$(TD)/libcuda.so.1: testdata/fakecuda/cuda.c testdata/fakecuda/common.c $(TD_HDR) $(TD_PROLOGUE) $(TD_OPS_DEPS)
	$(call td_lib,testdata/fakecuda/cuda.c,$(TD_CUDA_SYMS))
$(TD)/libnccl.so.2: testdata/fakecuda/nccl.c testdata/fakecuda/common.c $(TD_HDR) $(TD_PROLOGUE) $(TD_OPS_DEPS)
	$(call td_lib,testdata/fakecuda/nccl.c,$(TD_NCCL_SYMS))

# a stripped-down runtime: no cudaDeviceSynchronize, cudaMallocManaged, 2D, peer or graph entry points
$(TD_PARTIAL): testdata/fakecuda/cudart.c testdata/fakecuda/common.c $(TD_HDR) $(TD_PROLOGUE)
	$(call td_lib,-DFAKECUDA_PARTIAL testdata/fakecuda/cudart.c,cudaMalloc cudaFree \
		cudaLaunchKernel cudaMemcpy cudaStreamSynchronize)

$(TD_VENV_DIR)/libcudart.so.12: $(TD)/libcudart.so.12
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

# workloads: link the fake libraries by soname, found through $ORIGIN
$(TD)/wl-%: testdata/workloads/wl-%.c $(TD_HDR) $(TD_LIBS)
	$(if $(Q),@echo "  WL      $@")
	$(Q)$(CC) $(TD_CFLAGS) -o $@ $< -L$(TD) -Wl,--as-needed -l:libcudart.so.12 \
		-l:libcuda.so.1 -l:libnccl.so.2 -Wl,--no-as-needed -Wl,-rpath,'$$ORIGIN' -pthread

$(TD)/wl-dlopen: testdata/workloads/wl-dlopen.c $(TD_HDR) $(TD)/libcudart.so.12
	$(if $(Q),@echo "  WL      $@")
	$(Q)$(CC) $(TD_CFLAGS) -o $@ $< -ldl

$(TD)/wl-hog: testdata/workloads/wl-hog.c $(TD_HDR)
	$(if $(Q),@echo "  WL      $@")
	$(Q)$(CC) $(TD_CFLAGS) -o $@ $< -pthread

# wl-train linked against the venv copy only (like a pip-installed runtime)
$(TD)/wl-venv: testdata/workloads/wl-train.c $(TD_HDR) $(TD_VENV_DIR)/libcudart.so.12
	$(if $(Q),@echo "  WL      $@")
	$(Q)$(CC) $(TD_CFLAGS) -o $@ $< -L$(TD_VENV_DIR) -l:libcudart.so.12 \
		-Wl,-rpath,'$$ORIGIN/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib' -pthread

# wl-train linked against the partial runtime
$(TD)/wl-partial: testdata/workloads/wl-train.c $(TD_HDR) $(TD_PARTIAL)
	$(if $(Q),@echo "  WL      $@")
	$(Q)$(CC) $(TD_CFLAGS) -o $@ $< -L$(TD)/partial -l:libcudart.so.12 \
		-Wl,-rpath,'$$ORIGIN/partial' -pthread

testdata: $(TD_LIBS) $(TD_WLS) $(TD_VENV_DIR)/libcudart.so.12 $(TD_PARTIAL)
.PHONY: testdata
