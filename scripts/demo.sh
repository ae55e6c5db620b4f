#!/usr/bin/env bash
# make demo: the whole pipeline on built-in synthetic recordings.
set -euo pipefail
B=${1:-build}
echo "demo: not assembled yet"
