# Shared helpers for shell tests.  Source it: . "$TESTS/lib.sh"
# Environment from tests/run.sh: BIN (build dir with the tools), ROOT, TESTS,
# SHARED (../shared), T_OUT (fresh scratch dir, removed afterwards).
set -u
: "${BIN:=$(pwd)/build}" "${ROOT:=$(pwd)}" "${TESTS:=$ROOT/tests}"
: "${T_OUT:=$(mktemp -d)}"
: "${SHARED:=$ROOT/../shared}"

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# ok NAME CMD... : PASS if CMD exits 0, else FAIL with its output tail.
ok() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then pass "$name"; else
		fail "$name: command failed: $*"; printf '%s\n' "$out" | tail -5 | sed 's/^/  | /'; fi
}
# fails NAME CMD... : PASS if CMD exits non-zero (and did not crash by signal).
fails() {
	local name=$1; shift
	"$@" >/dev/null 2>&1; local rc=$?
	if [ $rc -ne 0 ] && [ $rc -lt 128 ]; then pass "$name"; else fail "$name: expected failure, got rc=$rc: $*"; fi
}
# eq NAME GOT WANT
eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }
# contains NAME HAYSTACK NEEDLE
contains() { if printf '%s' "$2" | grep -qF -- "$3"; then pass "$1"; else fail "$1: output lacks '$3'"; fi; }
# need_root NAME : skip (and return 1) unless root with BPF available
need_bpf() {
	if [ "$(id -u)" -ne 0 ]; then skip "$1: needs root for BPF"; return 1; fi
	if [ ! -r /sys/kernel/btf/vmlinux ]; then skip "$1: no BTF at /sys/kernel/btf/vmlinux"; return 1; fi
	return 0
}
