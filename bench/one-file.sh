#!/bin/bash
# Benchmark (issue 12): change one file of examples/rpi3's root tree
# (rootfs/etc/hostname) and rebuild with a warm store, vs the cold build.
# Goal: ≤ 25 % of cold. Medians of REPEAT runs (default 5).
# usage: bench/one-file.sh [KILN_BINARY]   (default build/kiln)
. "$(dirname "$0")/example.inc"
c=() o=()
for i in $(seq "$REPEAT"); do c+=("$(cold)"); done
build >/dev/null
for i in $(seq "$REPEAT"); do
	echo "bench-$i" >"$W/ex/rootfs/etc/hostname"
	o+=("$(build)")
done
C=$(echo "${c[*]}" | median) O=$(echo "${o[*]}" | median)
echo "cold build:        ${C} s (median of $REPEAT: ${c[*]})"
echo "one file changed:  ${O} s (median of $REPEAT: ${o[*]})"
echo "one-file / cold:   $(ratio "$O" "$C")   (goal <= 0.25)"
