# kiln flash interrupted by SIGINT/SIGTERM/SIGHUP (the test-only
# KILN_TEST_SIGNAL=flash:SIG signals kiln once the first bytes are on the
# target): exit 128+sig, one line saying what was interrupted; a target
# file this run created is removed (docs/config/flash.md), an existing file
# or a block device is said to hold a partial image.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
make_sparse img 24
"$KILN" bmap img

# check CODE SIGNAME TARGET TAIL: the last run's exit status and stderr.
check() {
	[ "$rc" = "$1" ] || { cat err; fail "$2: exit $rc, expected $1"; }
	[ "$(grep -c interrupted err)" = 1 ] || { cat err; fail "$2: expected one 'interrupted' line"; }
	tail -n 1 err | grep -Eq "^kiln: interrupted \($2\) while writing img to $3; $4$" ||
		{ cat err; fail "$2: message"; }
}
for s in INT:130:SIGINT TERM:143:SIGTERM HUP:129:SIGHUP; do
	IFS=: read -r sig code name <<<"$s"
	# A new file: removed.
	rc=0
	KILN_TEST_SIGNAL=flash:$sig "$KILN" flash img new.img 2>err || rc=$?
	check "$code" "$name" new.img "nothing was left behind"
	[ ! -e new.img ] || fail "$name: partial new target left behind"
	[ "$(grep -c . err)" = 1 ] || { cat err; fail "$name: more than one line"; }
	# An existing file: kept, and the message says it is partial.
	printf 'old contents' > old.img
	rc=0
	KILN_TEST_SIGNAL=flash:$sig "$KILN" flash --no-bmap img old.img 2>err || rc=$?
	check "$code" "$name" old.img "old.img holds a partial image"
	[ -e old.img ] || fail "$name: an existing target was removed"
done
# Uninterrupted, the same flash still works (the hook is off).
"$KILN" flash img new.img 2>/dev/null && cmp img new.img || fail "plain flash"

# A loop device (root, working losetup): interrupted mid-write.
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null &&
	l=$(losetup -f --show img 2>/dev/null); then
	losetup -d "$l"
	trap loop_cleanup EXIT
	truncate -s 32M dev
	new_loop L dev
	rc=0
	KILN_TEST_SIGNAL=flash:TERM "$KILN" flash --yes --force img "$L" 2>err || rc=$?
	check 143 SIGTERM "$L" "$L holds a partial image"
	# The device is free again: a full flash succeeds.
	"$KILN" flash --yes --force img "$L" 2>/dev/null || fail "flash after an interrupted one"
	cmp -n "$(stat -c %s img)" img "$L" || fail "$L differs after the second flash"
fi
echo "flash interrupt: ok"
