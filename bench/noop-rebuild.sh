#!/bin/bash
# Benchmark (issue 12): a no-op rebuild of examples/rpi3 (same config,
# same inputs, warm store, outputs already there) vs its cold build
# (empty store). Goal: ≤ 5 %. Medians of REPEAT runs (default 5).
# Two series of no-ops: right after the last cold build, and after a
# pause of 4 s. The store trusts a blob it hashed without reading it again
# only when the blob was written more than 3 s before that hash (as git's
# racy-index rule, docs/store.md), so the first rebuilds within 3 s of a
# cold build still check the 295 MB decoded kernel layer once more.
# usage: bench/noop-rebuild.sh [KILN_BINARY]   (default build/kiln)
. "$(dirname "$0")/example.inc"
c=() n=() p=()
for i in $(seq "$REPEAT"); do c+=("$(cold)"); done
for i in $(seq "$REPEAT"); do n+=("$(build)"); done
sleep 4
for i in $(seq "$REPEAT"); do p+=("$(build)"); done
C=$(echo "${c[*]}" | median) N=$(echo "${n[*]}" | median) P=$(echo "${p[*]}" | median)
echo "cold build:     ${C} s (median of $REPEAT: ${c[*]})"
echo "no-op rebuild, right after it:  ${N} s (median of $REPEAT: ${n[*]})"
echo "no-op rebuild, 4 s later:       ${P} s (median of $REPEAT: ${p[*]})"
echo "no-op / cold:   $(ratio "$N" "$C") right after, $(ratio "$P" "$C") later   (goal <= 0.05)"
