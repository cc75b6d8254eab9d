#!/bin/bash
# Benchmark (issue 12): a cold build of examples/rpi3 (nothing derived in
# the store: no decoded layer, no gzip'd payload, no image) by this kiln
# vs the same config built by the base, commit 3ea5991 (built -O2 in a
# worktree at $KILN_BASE, default /tmp/kiln-base, created on first use),
# in one run, alternating, medians of REPEAT (default 5). Goal: <= 0.7.
# 3ea5991 already has the store's decoded layers (not finished images)
# and its package layers read the store (with --no-cache it cannot build
# the example): it builds cold too, from a store holding the .debs only.
# The example is the same for both: 3ea5991 cannot read `modules = { }`
# (e5d0e95 gave the example's kernel-modules tree one), so both build the
# example as of the commit before it (EXAMPLE_REV, bench/example.inc),
# whose kernel-modules tree takes the same kernel package with include
# globs; kiln.lock is this checkout's, the same file.
# KILN_BASE_BIN: another binary as the base (e.g. an earlier kiln, with
# EXAMPLE_REV=HEAD for the example as it is now).
# usage: bench/cold.sh [KILN_BINARY] [-j N ...]   (default build/kiln, its default -j)
EXAMPLE_REV=${EXAMPLE_REV:-e5d0e95^}
. "$(dirname "$0")/example.inc"
shift $(($# > 0 ? 1 : 0))
BASE=${KILN_BASE:-/tmp/kiln-base}
if [ ! -x "$BASE/build/kiln" ]; then
	[ -d "$BASE" ] || git -C "$SRC" worktree add --detach "$BASE" 3ea5991 >&2
	cmake -S "$BASE" -B "$BASE/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	ninja -C "$BASE/build" kiln >&2
fi
base() {
	local BUILD_KILN=${KILN_BASE_BIN:-$BASE/build/kiln}
	cold
}
c=() b=()
for i in $(seq "$REPEAT"); do
	c+=("$(cold "$@")")
	b+=("$(base)")
done
C=$(echo "${c[*]}" | median) B=$(echo "${b[*]}" | median)
echo "base (${KILN_BASE_BIN:-3ea5991}) cold build: ${B} s (median of $REPEAT: ${b[*]})"
echo "kiln cold build:           ${C} s (median of $REPEAT: ${c[*]})"
echo "kiln / base:               $(ratio "$C" "$B")   (goal <= 0.7)"
