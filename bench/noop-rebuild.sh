#!/bin/bash
# Benchmark (issue 12): a no-op rebuild of examples/rpi3 (same config,
# same inputs, warm store, outputs already there) vs its cold build
# (empty store). Goal: ≤ 5 %. Medians of REPEAT runs (default 5).
# usage: bench/noop-rebuild.sh [KILN_BINARY]   (default build/kiln)
. "$(dirname "$0")/example.inc"
c=() n=()
for i in $(seq "$REPEAT"); do c+=("$(cold)"); done
for i in $(seq "$REPEAT"); do n+=("$(build)"); done
C=$(echo "${c[*]}" | median) N=$(echo "${n[*]}" | median)
echo "cold build:     ${C} s (median of $REPEAT: ${c[*]})"
echo "no-op rebuild:  ${N} s (median of $REPEAT: ${n[*]})"
echo "no-op / cold:   $(ratio "$N" "$C")   (goal <= 0.05)"
