# Read-back verification and bmap integrity: a byte changed after writing
# (test hook), a tampered bmap, a bmap of another image.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
make_sparse img 16
"$KILN" bmap img

# Test hook: flip a byte inside blocks 1000-1299 after the write.
KILN_TEST_CORRUPT_AFTER_WRITE=$((1000 * 4096 + 123)) \
	expect_fail 1 'verification FAILED: bytes 4096000-5324799 \(blocks 1000-1299\)' \
	"$KILN" flash img t1
[ ! -e t1 ] || fail "failed flash left the target file it created"
# Same hook, verification off: it is not caught (proves the hook works).
KILN_TEST_CORRUPT_AFTER_WRITE=$((1000 * 4096 + 123)) "$KILN" flash --no-verify img t2 2>/dev/null
cmp -s img t2 && fail "test hook did not change the target"
# Also caught without a bmap and for a stream.
mkdir s && gzip -kc img > s/img.gz
KILN_TEST_CORRUPT_AFTER_WRITE=5000 expect_fail 1 'verification FAILED: bytes 4096-8191 \(blocks 1-1\)' \
	"$KILN" flash s/img.gz t3
[ ! -e t3 ] || fail "target left behind"

# A range edited in the bmap: BmapFileChecksum catches it, nothing written.
sed 's/ 1000-1299 / 1000-1298 /' img.bmap > bad1.bmap
expect_fail 1 'bad1.bmap.*(BmapFileChecksum mismatch|MappedBlocksCount)' "$KILN" flash --bmap bad1.bmap img t4
python3 - <<'PY'
t = open("img.bmap").read()
i = t.index('chksum="') + 8
t = t[:i] + ("1" if t[i] != "1" else "2") + t[i + 1:]
open("bad2.bmap", "w").write(t)
PY
cmp -s img.bmap bad2.bmap && fail "tampering did not change the bmap"
expect_fail 1 'bad2.bmap: BmapFileChecksum mismatch' "$KILN" flash --bmap bad2.bmap img t4
[ ! -e t4 ] || fail "tampered bmap: target created"

# A valid bmap that belongs to another image of the same size.
cp img other && printf 'X' | dd of=other bs=1 seek=$((1100 * 4096)) conv=notrunc status=none
expect_fail 1 'does not match bmap img.bmap: bytes 4096000-5324799 \(blocks 1000-1299\)' \
	"$KILN" flash --bmap img.bmap other t5
[ ! -e t5 ] || fail "target left behind"

# Bad arguments and targets: clear errors, nothing written.
expect_fail 2 'expected IMAGE and TARGET' "$KILN" flash img
expect_fail 2 'contradict' "$KILN" flash --bmap img.bmap --no-bmap img t6
expect_fail 1 '/dev/kiln-no-such-disk: no such device' "$KILN" flash img /dev/kiln-no-such-disk
expect_fail 1 'nodir/t: cannot create target file' "$KILN" flash img nodir/t
[ ! -e nodir ] || fail "nodir created"
touch ro && chmod 444 ro
expect_fail 1 'ro: read-only file' "$KILN" flash img ro
[ ! -s ro ] || fail "read-only target written"
expect_fail 1 'the target is the image itself' "$KILN" flash img img
expect_fail 1 'image nothere: No such file' "$KILN" flash nothere t7
[ ! -e t7 ] || fail "target created for a missing image"
echo ok
