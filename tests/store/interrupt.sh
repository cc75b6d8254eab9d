# A build killed (SIGKILL) at any moment, while it may be writing the
# store, leaves nothing that harms the next one: the next build succeeds
# with the images of a build without the store, the store verifies, and
# its tmp/ is empty (temporaries of dead processes are removed when an
# idle store is opened). Where the kill lands varies; what is asserted
# holds wherever it lands.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum
make_inputs input
write_configs
build ref a.cfg --no-cache

for delay in 0.1 0.3 0.6 1 2; do
	"$KILN" cache clear
	"$KILN" build --inputpath input --outputpath "k$delay" --tmppath "k$delay.tmp" a.cfg \
		>/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	echo "killed at ${delay}s: $(ls -A "$KILN_CACHE/tmp" | wc -l) temporaries left"
	build "after$delay" a.cfg
	[ "$(sums ref)" = "$(sums "after$delay")" ] || fail "after a kill at ${delay}s: images differ"
	[ -z "$(ls -A "$KILN_CACHE/tmp")" ] || fail "after a kill at ${delay}s: tmp/ holds $(ls "$KILN_CACHE/tmp")"
	"$KILN" cache verify >v.out 2>&1 || { cat v.out; fail "after a kill at ${delay}s: store does not verify"; }
done
# Where no kill above landed mid-write: a dead writer's partial entry,
# as SIGKILL leaves it, is gone after the next build.
printf 'partial' >"$KILN_CACHE/tmp/4194304.0"
build tidy a.cfg
[ -z "$(ls -A "$KILN_CACHE/tmp")" ] || fail "a dead writer's temporary survived a build"
[ "$(sums ref)" = "$(sums tidy)" ] || fail "tidy: images differ"
echo "interrupt: ok"
