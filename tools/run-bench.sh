#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every benchmark; each adds its figures to bench/results.json.
# Usage: run-bench.sh BUILD BIN...
set -euo pipefail
build=$1
shift
export BALLAST_BENCH_RESULTS=${BALLAST_BENCH_RESULTS:-bench/results.json}
export BALLAST_BIN="$build/ballast"
rm -f "$BALLAST_BENCH_RESULTS"
for bin in "$@"; do
	echo "== $(basename "$bin")"
	"$bin"
done
echo "figures written to $BALLAST_BENCH_RESULTS"
