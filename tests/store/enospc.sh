# A full disk while writing the store never fails the build and leaves no
# partial entry: the store is a 2 MiB tmpfs, the decoded root layer is
# larger (3 MiB of random bytes), and so is the root filesystem image. The build succeeds with a warning and
# the images of a build without the store; tmp/ is empty and every entry
# that made it in verifies. Needs root to mount (skipped otherwise).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 sha256sum mount umount
[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
mkdir small
mount -t tmpfs -o size=2m kiln-store-test small 2>mount.err || skip "cannot mount a tmpfs: $(cat mount.err)"
trap 'umount "$T/small"; rm -rf "$T" "$KILN_CACHE"' EXIT
make_inputs input
write_configs
build ref a.cfg --no-cache

for run in 1 2; do
	build full$run a.cfg --cache "$T/small"
	grep -q 'warning: .*rootfs.tar.xz: not kept in the build cache: .*No space left on device' full$run.log ||
		{ cat full$run.log; fail "run $run: no warning about the full store"; }
	# An image too (kept on a thread with -j > 1: the failure is reported
	# when the build settles it).
	grep -q 'warning: .*root.ext4: not kept in the build cache: .*No space left on device' full$run.log ||
		{ cat full$run.log; fail "run $run: no warning about root.ext4 on the full store"; }
	[ "$(sums ref)" = "$(sums full$run)" ] || fail "run $run: build on a full store differs"
	[ -z "$(ls -A small/tmp)" ] || fail "run $run: partial entries left in tmp/: $(ls small/tmp)"
	"$KILN" cache --cache "$T/small" verify >v.out 2>&1 || { cat v.out; fail "run $run: store does not verify"; }
	# Smaller layers did fit.
	grep -q 'decoded layer kept in the build cache\|decoded layer from the cache' full$run.log ||
		{ cat full$run.log; fail "run $run: nothing was kept at all"; }
done
echo "enospc: ok"
