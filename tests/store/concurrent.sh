# Two kiln processes building the same config with one store at the same
# time both succeed with identical outputs (flock, atomic renames): from
# an empty store (both decode and store the same layers), then from the
# store they filled. Nothing is left in the store's tmp/.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum
make_inputs input
write_configs
build ref a.cfg --no-cache

for round in 1 2 3; do
	[ $round = 3 ] || "$KILN" cache clear
	pids=()
	for p in x y; do
		build $p$round a.cfg &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || fail "round $round: a concurrent build failed"
	done
	for p in x y; do
		[ "$(sums ref)" = "$(sums $p$round)" ] || fail "round $round: $p differs from the reference"
		! grep -q warning $p$round.log || { cat $p$round.log; fail "round $round: $p warned"; }
	done
	[ -z "$(ls -A "$KILN_CACHE/tmp")" ] || fail "round $round: left in tmp/: $(ls "$KILN_CACHE/tmp")"
	"$KILN" cache verify >v.out 2>&1 || { cat v.out; fail "round $round: store does not verify"; }
done
# Round 3 started from a full store: both builds replayed everything.
! grep -q 'reading archive' x3.log y3.log || fail "round 3 decompressed"
echo "concurrent: ok"
