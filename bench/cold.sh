#!/bin/bash
# Benchmark (issue 12): a cold build of examples/rpi3 (nothing derived in
# the store: no decoded layer, no gzip'd payload, no image) by this kiln
# vs the same config built by the base, commit 3ea5991 (built -O2 in a
# worktree at $KILN_BASE, default /tmp/kiln-base, created on first use),
# in one run, alternating, medians of REPEAT (default 5). Goal: <= 0.7.
# 3ea5991 already has the store's decoded layers (not finished images),
# and with no --cache it would use the user's store and be warm after
# its first run: it builds with --no-cache, as a kiln without a store.
# The example is taken as it is in this checkout (bench/example.inc).
# usage: bench/cold.sh [KILN_BINARY] [-j N ...]   (default build/kiln, its default -j)
. "$(dirname "$0")/example.inc"
shift $(($# > 0 ? 1 : 0))
BASE=${KILN_BASE:-/tmp/kiln-base}
if [ ! -x "$BASE/build/kiln" ]; then
	[ -d "$BASE" ] || git -C "$SRC" worktree add --detach "$BASE" 3ea5991 >&2
	cmake -S "$BASE" -B "$BASE/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	ninja -C "$BASE/build" kiln >&2
fi
base() {
	local STORE=(--no-cache) BUILD_KILN=$BASE/build/kiln
	rm -rf "$W/out"
	sync
	build
}
c=() b=()
for i in $(seq "$REPEAT"); do
	c+=("$(cold "$@")")
	b+=("$(base)")
done
C=$(echo "${c[*]}" | median) B=$(echo "${b[*]}" | median)
echo "base (3ea5991, --no-cache): ${B} s (median of $REPEAT: ${b[*]})"
echo "kiln cold build:           ${C} s (median of $REPEAT: ${c[*]})"
echo "kiln / base:               $(ratio "$C" "$B")   (goal <= 0.7)"
