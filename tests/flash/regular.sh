# kiln flash to regular files: with/without bmap, compressed streams,
# --no-bmap; target equals the image and stays sparse.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
need cmp gzip xz zstd bzip2
make_sparse img 24
img_kib=$(alloc_kib img)

# No bmap: holes found with SEEK_DATA/SEEK_HOLE.
"$KILN" flash img t0 2>err || { cat err; fail "flash without bmap"; }
cmp img t0 || fail "t0 differs from the image"
grep -q "holes detected" err || fail "no-bmap flash did not say it detected holes"
[ "$(alloc_kib t0)" -le $((img_kib + 64)) ] || fail "t0 not sparse: $(alloc_kib t0) KiB vs $img_kib"

# With kiln's bmap found next to the image.
"$KILN" bmap img
[ -s img.bmap ] || fail "kiln bmap wrote nothing"
"$KILN" flash img t1 2>err || { cat err; fail "flash with bmap"; }
grep -q "bmap img.bmap" err || fail "img.bmap not used"
cmp img t1 || fail "t1 differs"
[ "$(alloc_kib t1)" -le $((img_kib + 64)) ] || fail "t1 not sparse"
# The writes are exactly the mapped blocks (302 blocks of 4 KiB, less the
# tail block's part past the image end: the image ends on a block edge).
written=$(sed -n 's/.*wrote \([0-9]*\) of.*/\1/p' err)
mapped=$(sed -n 's/.*<MappedBlocksCount> \([0-9]*\) .*/\1/p' img.bmap)
[ "$written" = $((mapped * 4096)) ] || fail "wrote $written bytes, bmap maps $mapped blocks"

# An existing, larger, non-sparse target becomes exactly the image.
head -c $((30 * 1048576)) /dev/urandom > t2
"$KILN" flash img t2 2>/dev/null
cmp img t2 || fail "existing target not made equal to the image"

# --no-bmap writes everything (and still equals the image).
"$KILN" flash --no-bmap img t3 2>err
cmp img t3 || fail "t3 differs"
grep -q "wrote 25165824 of 25165824" err || { cat err; fail "--no-bmap did not write every byte"; }

# Compressed streams, with and without the bmap (IMAGE.bmap is found for
# img.gz by stripping the suffix).
for z in gz xz zst bz2; do
	case $z in gz) gzip -kc img >img.$z ;; xz) xz -T1 -kc img >img.$z ;;
		zst) zstd -qc img >img.$z ;; bz2) bzip2 -kc img >img.$z ;; esac
	"$KILN" flash "img.$z" "s.$z" 2>err || { cat err; fail "flash img.$z"; }
	grep -q "bmap img.bmap" err || fail "img.$z: bmap not found by stripping .$z"
	cmp img "s.$z" || fail "s.$z differs"
	[ "$(alloc_kib s.$z)" -le $((img_kib + 64)) ] || fail "s.$z not sparse"
done
mkdir nb && cp img.xz nb/
"$KILN" flash nb/img.xz nb/out 2>err || { cat err; fail "flash xz without bmap"; }
grep -q "zero blocks skipped" err || fail "xz without bmap"
cmp img nb/out || fail "xz stream without bmap: target differs"
[ "$(alloc_kib nb/out)" -le $((img_kib + 64)) ] || fail "xz stream target not sparse"
"$KILN" flash --no-bmap nb/img.xz nb/full 2>/dev/null
cmp img nb/full || fail "--no-bmap stream differs"
echo ok
