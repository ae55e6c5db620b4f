#!/usr/bin/env bash
# ingero-record check: text and --json output, exit status, library and
# process discovery (a running fake-CUDA workload, LD_LIBRARY_PATH, a venv
# copy via INGERO_CUDA_LIB_PATH), and the unprivileged failure path.
. "$TESTS/lib.sh"
REC=$BIN/ingero-record
TD=$BIN/testdata
[ -x "$REC" ] || { skip "check: $REC not built"; exit 0; }

out=$("$REC" check 2>&1); rc=$?
contains "check: text lists kernel" "$out" "Kernel version: $(uname -r)"
contains "check: text has a summary" "$out" "checks:"
for item in "BTF" "BPF permissions" "uprobe support" "tracepoint support (tp_btf)" \
	"CUDA runtime (libcudart)" "CUDA driver (libcuda)" "NCCL (libnccl)" "CUDA processes" \
	"NVIDIA driver" "GPU" "kernel.perf_event_paranoid" "kernel.yama.ptrace_scope" "memlock rlimit"; do
	contains "check: text item $item" "$out" "$item:"
done
if [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
	contains "check: ptrace_scope value is the sysctl's" "$out" \
		"kernel.yama.ptrace_scope: $(cat /proc/sys/kernel/yama/ptrace_scope)"
else
	contains "check: no Yama: ptrace_scope says so" "$out" "kernel.yama.ptrace_scope: yama not enabled"
fi
if [ "$(id -u)" -eq 0 ] && [ -r /sys/kernel/btf/vmlinux ]; then
	eq "check: root with BTF passes (exit 0)" "$rc" 0
	contains "check: ready" "$out" "Ready to record."
fi
fails "check: unknown option is a usage error" "$REC" check --bogus
"$REC" check --bogus >/dev/null 2>&1; eq "check: usage error exits 2" "$?" 2
ok "check: --help" "$REC" check --help

json=$("$REC" check --json); jrc=$?
eq "check: --json exit equals text exit" "$jrc" "$rc"
printf '%s' "$json" >"$T_OUT/c.json"
if command -v python3 >/dev/null; then
	python3 - "$T_OUT/c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def check(name, cond, why=""):
    print(("PASS: %s" % name) if cond else ("FAIL: %s: %s" % (name, why)))
check("check: json is an array of objects", isinstance(d, list) and d and all(isinstance(x, dict) for x in d))
keys = {"name", "pass", "optional", "value", "detail", "recommendation"}
check("check: json keys are the original's", all(set(x) <= keys and "name" in x and "pass" in x for x in d),
      [sorted(x) for x in d if not set(x) <= keys])
check("check: pass is boolean", all(isinstance(x["pass"], bool) for x in d))
check("check: every failure has a recommendation",
      all(x.get("recommendation") for x in d if not x["pass"]),
      [x["name"] for x in d if not x["pass"] and not x.get("recommendation")])
names = [x["name"] for x in d]
check("check: json has the kernel item first", names[0] == "Kernel version", names[:3])
PY
else
	skip "check: json parse: no python3"
fi

# discovery: a process mapping the fake runtime, found through /proc/*/maps
if [ -x "$TD/wl-train" ]; then
	FAKECUDA_LAT="*=0,cudaStreamSynchronize=100000" "$TD/wl-train" --steps 30 >"$T_OUT/wl.out" 2>&1 &
	wl=$!
	for _ in $(seq 50); do grep -q "$TD/libcudart.so.12" /proc/$wl/maps 2>/dev/null && break; sleep 0.05; done
	j=$("$REC" check --json)
	kill $wl 2>/dev/null; wait $wl 2>/dev/null
	contains "check: CUDA process found" "$j" "$wl (wl-train, cudart)"
	contains "check: a native CUDA process has no Python" "$j" "no CUDA process maps libpython3.X"
	contains "check: mapped libcudart found" "$j" "libcudart.so.12 (mapped by pid $wl)"
	j=$(LD_LIBRARY_PATH="$TD" "$REC" check --json)
	contains "check: libnccl found through LD_LIBRARY_PATH" "$j" "$(realpath "$TD/libnccl.so.2") (LD_LIBRARY_PATH)"
	contains "check: libcuda found through LD_LIBRARY_PATH" "$j" "$(realpath "$TD/libcuda.so.1") (LD_LIBRARY_PATH)"
	V=$TD/venv/lib/python3.11/site-packages/nvidia/cuda_runtime/lib
	j=$(INGERO_CUDA_LIB_PATH="$V" "$REC" check --json)
	contains "check: venv copy found" "$j" "$V/libcudart.so.12 (INGERO_CUDA_LIB_PATH)"
else
	skip "check: discovery: testdata not built"
fi

# unprivileged: BPF permissions fail with a fix, exit 1
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	o=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$REC" check 2>&1); r=$?
	eq "check: unprivileged exits 1" "$r" 1
	contains "check: unprivileged names the missing capability" "$o" "without CAP_BPF+CAP_PERFMON"
	contains "check: unprivileged gets a fix" "$o" "Recommendation: run as root"
else
	skip "check: unprivileged path: needs root and setpriv"
fi

# Python in CUDA processes: Debian's python3 loading the fake runtime by ctypes
PY=$(command -v /usr/bin/python3 || command -v python3)
if [ -n "$PY" ] && [ -f "$TD/libcudart.so.12" ]; then
	pyv=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	"$PY" -c 'import ctypes, sys, time
rt = ctypes.CDLL(sys.argv[1])
for i in range(400):
    rt.cudaDeviceSynchronize(); time.sleep(0.01)' "$TD/libcudart.so.12" >/dev/null 2>&1 &
	pp=$!
	for _ in $(seq 100); do grep -q "$TD/libcudart.so.12" /proc/$pp/maps 2>/dev/null && break; sleep 0.05; done
	j=$("$REC" check --json)
	kill $pp 2>/dev/null; wait $pp 2>/dev/null
	contains "check: CPython $pyv found in CUDA process $pp" "$j" "$pp (python3"
	contains "check: CPython version of $pp is $pyv" "$j" "$pp (python3): CPython $pyv"
else
	skip "check: Python detection: no python3 or fake libcudart"
fi
