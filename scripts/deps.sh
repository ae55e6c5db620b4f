#!/bin/sh
# Install the Debian 12 packages the build and tests need.  As root: installs
# whatever is missing.  Otherwise: prints the exact apt-get line and fails.
#   scripts/deps.sh          what `make` and `make demo` need
#   scripts/deps.sh test     plus what `make check` needs: the real consumers
#                            the exports are tested against (promtool and
#                            Prometheus, Google's protobuf runtime, headless
#                            Chromium, node + npm for the MCP SDK client)
PKGS="build-essential pkg-config libbpf-dev libelf-dev zlib1g-dev libzstd-dev \
libmsgpack-dev libjson-c-dev libsqlite3-dev libarchive-dev clang llvm bpftool \
zstd sqlite3 protobuf-compiler python3"
TEST_PKGS="prometheus python3-protobuf chromium nodejs npm groff-base bsdextrautils bpftrace python3-html5lib curl"
[ "${1:-}" = test ] && PKGS="$PKGS $TEST_PKGS"
missing=""
# A command already on the PATH stands for its package: a machine may carry
# Node.js and npm from elsewhere (NodeSource's nodejs bundles npm, and
# Debian's npm package then conflicts with it).
provided() {
	case "$1" in
	nodejs) command -v node >/dev/null 2>&1 ;;
	npm) command -v npm >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}
for p in $PKGS; do
	provided "$p" && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		echo "deps: apt-get install failed; run: apt-get install -y$missing" >&2; exit 1; }
	exit 0
fi
echo "deps: missing Debian packages. Run as root:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
