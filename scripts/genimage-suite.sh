#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Run genimage's own test suite (test/*.test of a genimage checkout) against a
# `genimage` executable - kiln's build/genimage by default - and print one line
# per test plus a summary. genimage's tests are GPL-2 and are not vendored into
# kiln: point this at a checkout you fetched yourself (docs/genimage-compat.md).
#
#   scripts/genimage-suite.sh GENIMAGE_CHECKOUT [GENIMAGE_BINARY] [TEST...]
#
# The upstream Makefile runs each .test under fakeroot from the build directory,
# where the scripts expect ./genimage; this does the same in a scratch directory.
# Exit status: 0 if no test failed, 1 otherwise.
set -u

if [ $# -lt 1 ] || [ ! -f "$1/test/test-setup.sh" ]; then
	echo "usage: $0 GENIMAGE_CHECKOUT [GENIMAGE_BINARY] [TEST...]" >&2
	echo "  (GENIMAGE_CHECKOUT must hold test/test-setup.sh)" >&2
	exit 2
fi
src=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
bin=${2:-$here/../build/genimage}
[ $# -ge 2 ] && shift 2 || shift 1
bin=$(command -v "$bin" || echo "$bin")
if [ ! -x "$bin" ]; then
	echo "$0: $bin: not an executable" >&2
	exit 2
fi
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(genimage ext filesystem flash hdimage misc)

work=$(mktemp -d "${TMPDIR:-/tmp}/genimage-suite.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A symlink keeps the name 'genimage', which is what puts kiln in genimage mode.
ln -s "$(readlink -f "$bin")" "$work/genimage"

pass=0 fail=0 skip=0
for t in "${tests[@]}"; do
	log="$work/$t.log"
	(cd "$work" && fakeroot bash "$src/test/$t.test" >"$log" 2>&1)
	# TAP: "ok N - name", "not ok N - name", "ok N # skip name"
	while IFS= read -r line; do
		case "$line" in
		"ok "*"# skip"*) skip=$((skip + 1)); echo "skip $t: ${line#*# skip }" ;;
		"ok "*) pass=$((pass + 1)); echo "pass $t: ${line#ok * - }" ;;
		"not ok "*) fail=$((fail + 1)); echo "FAIL $t: ${line#not ok * - }" ;;
		esac
	done <"$log"
done
echo "genimage suite: $pass passed, $fail failed, $skip skipped ($bin)"
[ "$fail" -eq 0 ]
