# Finished images from the build cache (docs/store.md, "Finished
# images"): a warm build copies every keyed image (ext4, vfat, the MBR
# disk holding them) out of the store, byte-identical to a cold build and
# to a --no-cache one, in kiln and in genimage mode; the real checkers
# accept what came out of it. Changing one input file, one option, the
# seed, the epoch or a child image rebuilds exactly the images that
# depend on it, and --explain names the change. A corrupted cached image
# is detected by its hash (warning), rebuilt and stored afresh. exec-pre
# makes an image always built; exec-post runs after a copy-out too.
. "$KILN_TESTLIB"
need sha256sum e2fsck fsck.fat sfdisk python3
mkdir -p root/etc root/usr/lib boot
echo hello >root/etc/motd
head -c 200000 /dev/urandom >root/usr/lib/blob
mkdir -p input && head -c 100000 /dev/urandom >input/blob
echo "kernel=u-boot.bin" >boot/config.txt
cat >k.cfg <<'CFG'
image boot.vfat { vfat { label = "BOOT" } size = 8M srcpath = "boot" }
image root.ext4 { ext4 { label = "root" } size = 16M srcpath = "root" }
image initrd.cpio { cpio { } srcpath = "root" }
image blob.bin { file { name = "blob" } }
image disk.img {
	hdimage { }
	partition boot { partition-type = 0xc bootable = true image = "boot.vfat" }
	partition root { partition-type = 0x83 image = "root.ext4" }
}
CFG

# kb NAME [options]: build k.cfg with --explain (stdout NAME.out) into
# out/ (--explain compares with the last build of the same output path),
# then keep a copy of out/ as NAME/.
kb() {
	local name=$1
	shift
	"$KILN" build --explain --inputpath input --outputpath out --tmppath tmp "$@" k.cfg \
		>"$name.out" 2>"$name.log" || { cat "$name.out" "$name.log" >&2; fail "build $name"; }
	rm -rf "$name"
	cp -r --sparse=always out "$name"
}
sums() { (cd "$1" && sha256sum -- * | sort -k2); }
# says NAME IMAGE PATTERN: --explain of build NAME says PATTERN for IMAGE.
says() {
	grep -q "^$2: $3" "$1.out" || { cat "$1.out"; fail "$1: $2 not '$3'"; }
}

kb cold
kb warm
kb nocache --no-cache
[ "$(sums cold)" = "$(sums warm)" ] || fail "warm build differs from the cold one"
[ "$(sums cold)" = "$(sums nocache)" ] || fail "--no-cache build differs from the cold one"
for i in boot.vfat root.ext4 disk.img; do
	says cold $i "built: not built before"
	says warm $i "from the build cache"
	says nocache $i "built: no build cache"
done
kb warm2
for i in boot.vfat root.ext4 disk.img initrd.cpio blob.bin; do says warm2 $i "from the build cache"; done
# An output still as kiln left it is not written again (same inode); one
# touched since is copied out afresh.
ino=$(stat -c %i out/disk.img)
kb warm3
[ "$(stat -c %i out/disk.img)" = "$ino" ] || fail "an unchanged output was written again"
touch out/disk.img
kb warm4
[ "$(stat -c %i out/disk.img)" != "$ino" ] || fail "a touched output was not copied out again"
says warm4 disk.img "from the build cache"
[ "$(sums warm4)" = "$(sums cold)" ] || fail "outputs copied out again differ"
# What came out of the store is a valid image, sparse like a built one.
e2fsck -fn warm/root.ext4 >/dev/null 2>&1 || fail "e2fsck rejects the cached root.ext4"
fsck.fat -n warm/boot.vfat >/dev/null 2>&1 || fail "fsck.fat rejects the cached boot.vfat"
sfdisk -V warm/disk.img >/dev/null 2>&1 || fail "sfdisk -V rejects the cached disk.img"
[ "$(du -k warm/disk.img | cut -f1)" -le "$(( $(du -k cold/disk.img | cut -f1) + 64 ))" ] ||
	fail "cached disk.img is less sparse than the built one"
cmp cold/disk.img.bmap warm/disk.img.bmap || fail "bmap of the cached disk differs"

# One input file of the root tree: root.ext4 and the disk, not boot.vfat.
echo changed >root/etc/motd
kb file
says file boot.vfat "from the build cache"
says file root.ext4 "built: changed: file /etc/motd"
says file disk.img "built: changed: child 'root.ext4'"
e2fsck -fn file/root.ext4 >/dev/null 2>&1 || fail "e2fsck rejects the rebuilt root.ext4"
kb file2
for i in boot.vfat root.ext4 disk.img; do says file2 $i "from the build cache"; done
[ "$(sums file)" = "$(sums file2)" ] || fail "rebuilt images differ from their cached copies"

# One option.
sed -i 's/label = "root"/label = "rootfs"/' k.cfg
kb opt
says opt boot.vfat "from the build cache"
says opt root.ext4 "built: changed: option ext4.label"
says opt disk.img "built: changed: child 'root.ext4'"
sed -i 's/label = "rootfs"/label = "root"/' k.cfg

# A child image (a file of the boot tree): the disk names its child.
echo "arm_64bit=1" >>boot/config.txt
kb child
says child boot.vfat "built: changed: file /config.txt"
says child root.ext4 "from the build cache"
says child disk.img "built: changed: child 'boot.vfat'"

# The seed and the epoch change every image.
kb seed --seed other
for i in boot.vfat root.ext4 disk.img; do says seed $i "built: .*changed: seed"; done
SOURCE_DATE_EPOCH=1600000000 kb epoch
for i in boot.vfat root.ext4 disk.img; do says epoch $i "built: .*changed: epoch"; done
# Back to the first settings: all from the store again, as built before.
kb back
for i in boot.vfat root.ext4 disk.img; do says back $i "from the build cache"; done
kb backref --no-cache
[ "$(sums back)" = "$(sums backref)" ] || fail "images from the store differ from a fresh build"

# A corrupted cached image: named by its chunk hash, found when used.
blob=$(find "$KILN_CACHE/img" -name "$(python3 "$KILN_SRC/tests/store/img-hash.py" back/root.ext4 | cut -d' ' -f1)")
[ -n "$blob" ] || fail "root.ext4 is not in the store"
chmod u+w "$blob"
python3 - "$blob" <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(1024 + 56); b = f.read(1); f.seek(1024 + 56); f.write(bytes([b[0] ^ 1]))
PY
kb corrupt
grep -q "warning: store .*$(basename "$blob"): content does not match its hash" corrupt.log ||
	{ cat corrupt.log; fail "no warning for the corrupted image"; }
says corrupt root.ext4 "built: its cached copy was missing or corrupt"
says corrupt boot.vfat "from the build cache"
[ "$(sums corrupt)" = "$(sums backref)" ] || fail "build over a corrupted image differs"
[ "$(python3 "$KILN_SRC/tests/store/img-hash.py" "$blob" | cut -d' ' -f1)" = "$(basename "$blob")" ] || fail "image not stored afresh"

# Hooks: exec-post runs after a copy-out as after a build (on the same
# bytes); exec-pre makes the image always built.
cat >>k.cfg <<CFG
image hooked.ext4 { ext4 { } size = 4M srcpath = "root" exec-post = "echo post >>$PWD/post.log" }
image pre.vfat { vfat { } size = 4M srcpath = "boot" exec-pre = "echo pre >>$PWD/pre.log" }
CFG
kb hook1
kb hook2
says hook2 hooked.ext4 "from the build cache"
says hook2 pre.vfat "built: it has an exec-pre hook"
[ "$(grep -c post post.log)" = 2 ] || fail "exec-post ran $(grep -c post post.log) times, not 2"
[ "$(grep -c pre pre.log)" = 2 ] || fail "exec-pre ran $(grep -c pre pre.log) times, not 2"
[ "$(sums hook1)" = "$(sums hook2)" ] || fail "builds with hooks differ"

# genimage mode: the same, through genimage's own layout rules.
mkdir -p gin && cp boot/config.txt gin/
cat >g.cfg <<'CFG'
image g.vfat { vfat { } size = 4M mountpoint = "/boot" }
image g.ext4 { ext4 { } size = 8M }
image g.img { hdimage { } partition a { partition-type = 0xc image = "g.vfat" }
	partition b { partition-type = 0x83 image = "g.ext4" } }
CFG
mkdir -p groot/boot && cp boot/config.txt groot/boot/ && cp root/etc/motd groot/
gb() {
	local name=$1
	shift
	"$GENIMAGE_KILN" --explain --rootpath groot --outputpath gout --tmppath gtmp \
		--inputpath gin "$@" --config g.cfg >"$name.out" 2>"$name.log" ||
		{ cat "$name.out" "$name.log" >&2; fail "genimage $name"; }
	cp -r --sparse=always gout "$name"
}
gb gcold
gb gwarm
gb gnocache --no-cache
[ "$(sums gcold)" = "$(sums gwarm)" ] || fail "genimage mode: warm build differs"
[ "$(sums gcold)" = "$(sums gnocache)" ] || fail "genimage mode: --no-cache build differs"
for i in g.vfat g.ext4 g.img; do says gwarm $i "from the build cache"; done
# The native build of the same names is another key (genimage's layout).
grep -q "built: not built before" gcold.out || fail "genimage mode hit native entries"
exit 0
