#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replay each fuzz target's corpus, then fuzz it for SECONDS. A target's
# own libFuzzer flags (e.g. -max_len) come from tests/fuzz/NAME.options,
# one a line, '#' starting a comment.
# Usage: run-fuzz.sh SECONDS BIN...
set -euo pipefail
secs=$1
shift
for bin in "$@"; do
	name=$(basename "$bin")
	corpus="tests/fuzz/corpus/$name"
	work="build/fuzz/corpus-$name"
	mkdir -p "$corpus" "$work"
	log="build/fuzz/$name.log"
	opts=()
	if [ -f "tests/fuzz/$name.options" ]; then
		mapfile -t opts < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' \
			-e '/^$/d' "tests/fuzz/$name.options")
	fi
	if ! "$bin" ${opts[@]+"${opts[@]}"} -max_total_time="$secs" \
		-print_final_stats=1 -artifact_prefix="build/fuzz/$name-" \
		"$work" "$corpus" >"$log" 2>&1; then
		echo "fuzz: $name FAILED"
		tail -n 60 "$log"
		exit 1
	fi
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
	echo "  fuzz  $name ok ($runs executions in ${secs}s)"
done
