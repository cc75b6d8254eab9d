# The example image: reproducible (two builds, same sha256), its
# partitions pass fsck, and `kiln flash` to a regular file reproduces it.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/boot/lib-boot.inc"
export KILN_TOKEN=fixed KILN_ENVTOKEN=fixed
build_example kiln.cfg a
(umask 077; TZ=Asia/Tokyo LC_ALL=C build_example kiln.cfg b)
a=$(sha256sum < a/rpi3.img) b=$(sha256sum < b/rpi3.img)
[ "$a" = "$b" ] || fail "two builds differ: $a vs $b"
cmp a/rpi3.img.bmap b/rpi3.img.bmap || fail "bmaps differ"
sfdisk -d a/rpi3.img > table.txt
grep -q 'start=        2048, size=      131072, type=c, bootable' table.txt || { cat table.txt; fail "p1 layout"; }
grep -q 'type=83' table.txt || fail "p2 type"
# Partitions through the oracles.
start2=$(sfdisk -d a/rpi3.img | awk -F'[=,]' '/rpi3.img2/ { gsub(/ /, "", $2); print $2 }')
dd if=a/rpi3.img of=p1.img bs=512 skip=2048 count=131072 status=none
dd if=a/rpi3.img of=p2.img bs=512 skip="$start2" count=262144 status=none
fsck.fat -n p1.img >fsck.txt || { cat fsck.txt; fail "fsck.fat -n"; }
e2fsck -fn p2.img >e2fsck.txt 2>&1 || { cat e2fsck.txt; fail "e2fsck -fn"; }
minfo -i p1.img :: | grep -q 'FAT32' || minfo -i p1.img :: | grep -qi 'fat32' || { minfo -i p1.img ::; fail "p1 is not FAT32"; }
for f in bootcode.bin start.elf fixup.dat config.txt u-boot.bin uboot.env boot.itb bcm2837-rpi-3-b.dtb; do
	mdir -i p1.img "::/$f" >/dev/null 2>&1 || fail "FAT lacks $f"
done
mkimage -l a-tmp/boot.itb >mkimage.txt || { cat mkimage.txt; fail "mkimage -l boot.itb"; }
# The shadow entry of u verifies against the configured password.
debugfs -R 'cat /etc/shadow' p2.img 2>/dev/null | grep '^u:' > shadow.txt
hash=$(cut -d: -f2 shadow.txt)
salt=$(echo "$hash" | cut -d'$' -f3)
[ "$(openssl passwd -6 -salt "$salt" kiln)" = "$hash" ] || fail "u's shadow hash does not verify"
debugfs -R 'stat /etc/shadow' p2.img 2>/dev/null | grep -q 'Mode:  0600' || fail "/etc/shadow mode"
# Flash to a regular file: equal to the image, and sparse.
"$KILN" flash a/rpi3.img card.img 2>flash.log || { cat flash.log; fail "kiln flash"; }
cmp a/rpi3.img card.img || fail "flashed copy differs"
echo "example: sha256 $a, $(du -k a/rpi3.img | cut -f1) KiB on disk of $(stat -c %s a/rpi3.img) bytes"
