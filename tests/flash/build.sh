# kiln build writes IMAGE.bmap next to each disk image (not with
# --no-bmap, not in genimage mode); the bmap is valid for bmaptool and
# kiln flash, and describes a GPT disk that flashes cleanly to a larger
# file-backed target.
. "$KILN_TESTLIB"
need bmaptool cmp sgdisk
mkdir -p input
head -c 300000 /dev/urandom > input/blob.bin
cat > kiln.cfg <<'CFG'
image disk.img {
	hdimage { partition-table-type = "gpt" }
	size = 32M
	partition data {
		image = "blob.bin"
		size = 4M
	}
}
CFG
"$KILN" build --inputpath input --outputpath out 2>err || { cat err; fail "kiln build"; }
[ -s out/disk.img.bmap ] || fail "no out/disk.img.bmap"
[ ! -e out/blob.bin.bmap ] || fail "a bmap for a non-disk input image"
ls -a out | grep -q 'kiln-' && fail "temporary file left in out/"
grep -q '<MappedBlocksCount>' out/disk.img.bmap || fail "not a bmap"
# Same map and checksums as kiln bmap gives for the built file.
"$KILN" bmap out/disk.img -o again.bmap
cmp out/disk.img.bmap again.bmap || fail "build's bmap differs from 'kiln bmap'"
bmaptool copy out/disk.img t1 2>/dev/null || fail "bmaptool rejects the build's bmap"
cmp out/disk.img t1 || fail "bmaptool copy differs"
"$KILN" flash out/disk.img t2 2>err || { cat err; fail "kiln flash of the built disk"; }
grep -q 'bmap out/disk.img.bmap' err || fail "flash did not pick up the build's bmap"
cmp out/disk.img t2 || fail "flash differs"
sgdisk -v t2 | grep -q 'No problems found' || fail "flashed GPT disk not clean"

rm -rf out
"$KILN" build --no-bmap --inputpath input --outputpath out 2>/dev/null
[ -s out/disk.img ] || fail "--no-bmap build made no image"
[ ! -e out/disk.img.bmap ] || fail "--no-bmap still wrote a bmap"
rm -rf out
cp kiln.cfg genimage.cfg
"$GENIMAGE_KILN" --inputpath input --outputpath out --rootpath input --tmppath tmp 2>/dev/null
[ -s out/disk.img ] || fail "genimage mode made no image"
[ ! -e out/disk.img.bmap ] || fail "genimage mode wrote a bmap (genimage does not)"
echo ok
