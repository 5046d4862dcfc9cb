#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run test binaries of one configuration; quiet on success, the whole TAP
# log of a failing binary on failure. Usage: run-tests.sh CFG BUILD BIN...
set -uo pipefail
cfg=$1 build=$2
shift 2
logdir="$build/test-logs"
mkdir -p "$logdir"
export CMOCKA_MESSAGE_OUTPUT=TAP
export BALLAST_TEST_CFG="$cfg"
export BALLAST_BIN="$(pwd)/$build/ballast"
# TSan: fail on the first report, keep going with the rest of the suite.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 abort_on_error=1 ${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1 ${UBSAN_OPTIONS:-}"
timeout_s=${BALLAST_TEST_TIMEOUT:-600}

failed=()
total=0
start=$(date +%s)
for bin in "$@"; do
	name=${bin#"$build"/}
	log="$logdir/$(echo "$name" | tr / _).log"
	total=$((total + 1))
	t0=$(date +%s)
	if timeout --signal=ABRT "$timeout_s" "$bin" >"$log" 2>&1; then
		printf '  %-5s %-50s ok (%ds)\n' "$cfg" "$name" $(($(date +%s) - t0))
	else
		rc=$?
		printf '  %-5s %-50s FAILED (exit %d)\n' "$cfg" "$name" "$rc"
		sed 's/^/    | /' "$log"
		failed+=("$name")
	fi
done
echo "$cfg: $((total - ${#failed[@]}))/$total test programs passed in $(($(date +%s) - start))s"
if [ ${#failed[@]} -gt 0 ]; then
	echo "$cfg: failed: ${failed[*]}"
	exit 1
fi
