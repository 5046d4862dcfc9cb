#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Make sure the Debian packages the build and the test suite need are
# installed: install them with apt-get when run as root, otherwise print the
# exact command and fail.
set -euo pipefail

PKGS=(
	gcc make binutils           # compiler, archiver, addr2line for reports
	libcmocka-dev               # unit-test framework
	libjansson-dev              # JSON: QMP control protocol, reports, bench
	linux-libc-dev              # uapi headers: virtio ring and balloon
	clang libclang-rt-dev       # libFuzzer for the fuzz targets
)

missing=()
for p in "${PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: run: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
