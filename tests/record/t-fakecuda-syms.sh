#!/usr/bin/env bash
# The fake CUDA libraries and formats/ops.def agree: every symbol ops.def
# says the recorder probes (LIB/SYM columns, aliases with a PROBE value) is
# exported by the fake library of that LIB, and every CUDA/NCCL API function
# a fake library exports is either probed (in ops.def) or one of the
# deliberately unprobed helpers the workloads call, listed below.  Adding a
# probe = one ops.def row + one fake symbol; this test names the one missing.
. "$TESTS/lib.sh"
TD=$BIN/testdata
OPS_SYMS=$ROOT/testdata/fakecuda/ops-syms.sh
command -v nm >/dev/null || { skip "fakecuda-syms: no nm (binutils)"; exit 0; }

# exported on purpose, never probed (setup, teardown, queries, errors)
HELPERS_CUDART="cudaGetDevice cudaGetDeviceCount cudaGetErrorString cudaGetLastError
	cudaGraphDestroy cudaGraphExecDestroy cudaPeekAtLastError cudaSetDevice cudaStreamCreate
	cudaStreamDestroy"
HELPERS_CUDA="cuInit cuMemFree_v2"
HELPERS_NCCL="ncclGetUniqueId ncclCommCount ncclCommUserRank ncclGetErrorString"

exports() { # LIBFILE: exported function names that look like CUDA/NCCL API
	nm -D --defined-only "$1" | awk '$2 == "T" {print $3}' | grep -E '^(cuda|cu[A-Z]|nccl)' | sort -u
}

# compare NAME WANT HAVE HELPERS [SUBSET]: WANT (probed) must all be in HAVE,
# HAVE must be in WANT + HELPERS; with SUBSET, only the second rule
compare() {
	local name=$1 want=$2 have=$3 helpers=$4 subset=${5:-} missing extra
	missing=$(comm -23 <(printf '%s\n' $want | sort -u) <(printf '%s\n' $have | sort -u))
	extra=$(comm -13 <(printf '%s\n' $want $helpers | sort -u) <(printf '%s\n' $have | sort -u))
	if [ -z "$subset" ]; then
		if [ -z "$missing" ]; then pass "$name: exports every probe of ops.def"
		else fail "$name: ops.def probes $(echo $missing) but the fake library lacks it"; fi
	fi
	if [ -z "$extra" ]; then pass "$name: exports no API function ops.def lacks"
	else fail "$name: exports $(echo $extra): add an ops.def row or list it as a helper"; fi
}

want_all=$("$OPS_SYMS") || { fail "fakecuda-syms: ops-syms.sh failed"; exit 0; }
n=$(printf '%s\n' "$want_all" | grep -c .)
if [ "$n" -ge 30 ]; then pass "fakecuda-syms: ops.def names $n probed symbols"
else fail "fakecuda-syms: ops.def names only $n probed symbols"; fi

for spec in CUDART:libcudart.so.12 CUDA:libcuda.so.1 NCCL:libnccl.so.2; do
	lib=${spec%%:*} file=$TD/${spec#*:}
	[ -f "$file" ] || { skip "fakecuda-syms: $file not built (make testdata)"; continue; }
	h=HELPERS_$lib
	compare "fakecuda-syms: ${spec#*:}" "$("$OPS_SYMS" "$lib")" "$(exports "$file")" "${!h}"
done
# the stripped-down runtime exports a subset, and nothing unknown
if [ -f "$TD/partial/libcudart.so.12" ]; then
	compare "fakecuda-syms: partial/libcudart.so.12" "$("$OPS_SYMS" CUDART)" \
		"$(exports "$TD/partial/libcudart.so.12")" "$HELPERS_CUDART" subset
fi

# the comparison can fail: a probe the library lacks, an export ops.def lacks
out=$(compare x "cudaMalloc cudaNoSuchCall" "cudaMalloc" "")
contains "fakecuda-syms: detects a probe the library lacks" "$out" "FAIL: x: ops.def probes cudaNoSuchCall"
out=$(compare x "cudaMalloc" "cudaMalloc cudaUnknownExtra" "")
contains "fakecuda-syms: detects an unknown export" "$out" "FAIL: x: exports cudaUnknownExtra"
