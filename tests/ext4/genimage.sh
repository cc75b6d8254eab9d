# genimage mode: a Buildroot-style rootfs.ext4 section (size given,
# rootpath content, genimage's options) builds, is e2fsck-clean and has
# the requested size, label, timestamp and root owner. keep-owner keeps
# source ownership (root only: needs chown).
. "$KILN_TESTLIB"
need python3 e2fsck dumpe2fs debugfs
H="$KILN_SRC/tests/ext4"
python3 "$H/gen.py" root 5 200
mkdir -p input
cat >genimage.cfg <<'C'
image rootfs.ext4 {
	ext4 {
		label = "rootfs"
		use-mke2fs = true
		fs-timestamp = "20200102030405"
		root-owner = "12:34"
		features = "^huge_file"
		extraargs = "-i 8192 -E hash_seed=0a1b2c3d-0000-4000-8000-000000000001"
	}
	size = 48M
}
C
"$GENIMAGE_KILN" --rootpath root --tmppath tmp --inputpath input --outputpath images \
	--config genimage.cfg >log 2>&1 || { cat log; fail "genimage build"; }
img=images/rootfs.ext4
[ "$(stat -c %s $img)" = $((48 * 1024 * 1024)) ] || fail "size $(stat -c %s $img)"
e2fsck -fn $img >fsck 2>&1 || { cat fsck; fail "e2fsck"; }
dumpe2fs -h $img >sb 2>/dev/null
grep -q '^Filesystem volume name: *rootfs$' sb || fail "label"
grep -q '^Filesystem created: *Thu Jan  2 03:04:05 2020$' sb || fail "fs-timestamp: $(grep created sb)"
grep -q '^Directory Hash Seed: *0a1b2c3d-0000-4000-8000-000000000001$' sb || fail "hash seed"
! grep -q 'huge_file' sb || fail "huge_file still on"
debugfs -R "stat /" $img 2>/dev/null | grep -Eq "User: +12 +Group: +34" || fail "root-owner"
python3 "$H/verify.py" $img root "$SOURCE_DATE_EPOCH" || fail "round trip"

if [ "$(id -u)" = 0 ]; then
	chown 1234:5678 root/sizes/f1
	printf 'image k.ext4 {\n\text4 { keep-owner = true }\n\tsrcpath = "root"\n}\n' >k.cfg
	"$KILN" build --outputpath out --tmppath tmp k.cfg >log 2>&1 || { cat log; fail "keep-owner build"; }
	debugfs -R "stat /sizes/f1" out/k.ext4 2>/dev/null | grep -Eq "User: +1234 +Group: +5678" ||
		fail "keep-owner"
fi

# Reserved GDT blocks as mke2fs reserves them, and resize2fs can grow
# the filesystem offline through the resize inode.
if command -v resize2fs >/dev/null && command -v mke2fs >/dev/null; then
	blk=$(dumpe2fs -h $img 2>/dev/null | sed -n 's/^Block size: *//p')
	mke2fs -q -F -t ext4 -O ^huge_file -b "$blk" ref.img 48M >/dev/null 2>&1
	want=$(dumpe2fs -h ref.img 2>/dev/null | sed -n 's/^Reserved GDT blocks: *//p')
	got=$(dumpe2fs -h $img 2>/dev/null | sed -n 's/^Reserved GDT blocks: *//p')
	[ -n "$got" ] && [ "$got" = "$want" ] || fail "reserved GDT blocks '$got', mke2fs reserves '$want'"
	cp $img grow.img && truncate -s 1G grow.img
	resize2fs grow.img >resize.log 2>&1 || { cat resize.log; fail "resize2fs"; }
	e2fsck -fn grow.img >fsck2 2>&1 || { cat fsck2; fail "e2fsck after resize2fs"; }
fi
