# genimage's vfat type: files (files and whole directories), file DEST
# sections (nested directories created), label, extraargs, an image
# produced by another section, and the vfat inside an hdimage gets
# hidden-sectors = its partition start. Debian's genimage (mkdosfs +
# mcopy) is the twin: both images extract to the same tree.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/fat/fat-lib.inc"
need fsck.fat mcopy minfo

mkdir -p input/overlays/sub root tmp
head -c 300000 /dev/urandom >input/zImage
head -c 20000 /dev/urandom >input/board.dtb
echo "dtoverlay" >input/overlays/README
head -c 5000 /dev/urandom >input/overlays/sub/vc4-kms-v3d.dtbo
printf 'label linux\n  kernel /zImage\n' >input/extlinux.conf
echo "inner" >input/inner.txt
cat >genimage.cfg <<'CFG'
image inner.vfat {
	vfat { files = { "inner.txt" } }
	size = 1M
	temporary = true
}
image boot.vfat {
	vfat {
		label = "BOOT"
		extraargs = "-F 16 -s 4"
		files = { "zImage", "board.dtb", "overlays" }
		file extlinux/extlinux.conf { image = "extlinux.conf" }
		file a/b/c/nested.img { image = "inner.vfat" }
	}
	size = 16M
}
image disk.img {
	hdimage { }
	partition boot {
		partition-type = 0xC
		bootable = true
		image = "boot.vfat"
		offset = 1M
	}
}
CFG

"$GENIMAGE_KILN" --rootpath root --tmppath tmp --inputpath input --outputpath out --config genimage.cfg 2>err ||
	{ cat err; fail "genimage-mode build failed"; }

# Expected tree: what the config asks for.
mkdir -p want/extlinux want/a/b/c
cp -r input/zImage input/board.dtb input/overlays want/
cp input/extlinux.conf want/extlinux/
cp tmp/inner.vfat want/a/b/c/nested.img
fat_check out/boot.vfat want 16 4
minfo -i out/boot.vfat :: | grep -q 'disk label="BOOT' || fail "label missing"
mdir -i out/boot.vfat :: | grep -q 'Volume in drive : is BOOT' || fail "volume label entry missing from the root directory"
mkdir -p want-inner && cp input/inner.txt want-inner/
fat_check tmp/inner.vfat want-inner 12

# Placed in the disk at 1 MiB, the filesystem records hidden sectors =
# the partition start (2048); one placed nowhere records 0.
minfo -i tmp/inner.vfat :: | grep -q '^hidden sectors: 0$' || fail "unplaced vfat: hidden sectors not 0"
minfo -i out/boot.vfat :: | grep -q '^hidden sectors: 2048$' || fail "placed vfat: hidden sectors not 2048"
minfo -i out/disk.img@@1M :: | grep -q '^hidden sectors: 2048$' || { minfo -i out/disk.img@@1M :: | grep hidden >&2; fail "vfat in hdimage: hidden sectors is not the partition start"; }
fsck_out=$(dd if=out/disk.img bs=1M skip=1 count=16 status=none of=part.img && fsck.fat -n part.img) || fail "partition fsck failed: $fsck_out"
cmp -s part.img out/boot.vfat || fail "partition content differs from boot.vfat"

# The twin: Debian's genimage on the same config gives the same files.
if command -v genimage >/dev/null && command -v mkdosfs >/dev/null; then
	mkdir -p twin/tmp twin/out
	if genimage --rootpath root --tmppath twin/tmp --inputpath input --outputpath twin/out --config genimage.cfg >twin/log 2>&1; then
		rm -rf y && mkdir y
		mcopy -s -n -m -i twin/out/boot.vfat ::/ y/
		# genimage's nested image is its own mkdosfs output: compare names only there.
		diff -r -x nested.img want y || fail "genimage's vfat holds other files than kiln's"
		[ -f y/a/b/c/nested.img ] || fail "genimage twin lacks the nested image"
		minfo -i twin/out/boot.vfat :: | grep -E '^(sector size|cluster size|reserved|fats|max available|small size|sectors per fat|media)' >twin.geo
		minfo -i out/boot.vfat :: | grep -E '^(sector size|cluster size|reserved|fats|max available|small size|sectors per fat|media)' >kiln.geo
		diff twin.geo kiln.geo || fail "geometry differs from genimage's"
	else
		echo "note: Debian genimage failed here, twin comparison skipped:" >&2
		tail -3 twin/log >&2
	fi
fi
echo "genimage: ok"
