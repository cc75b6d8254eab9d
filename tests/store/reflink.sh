# On a filesystem that shares extents (a loop btrfs), the store keeps and
# hands out images by sharing them (FICLONE, copy_file_range), and a disk
# whose partitions are written in place is kept as pieces there as on
# ext4: its own blob holds only the bytes around its partitions (not a
# clone of the whole disk, which made every later build a miss), and the
# next build takes it from the store. Every output is byte-identical to
# a build without the store and the disk checks clean. Needs root to
# mount the loop btrfs (skipped otherwise).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/store/store.inc"
need python3 mkfs.btrfs btrfs mount umount sfdisk e2fsck
[ "$(id -u)" = 0 ] || skip "mounting a loop btrfs needs root"
truncate -s 400M fs.img
mkfs.btrfs -q fs.img >mkfs.log 2>&1 || { cat mkfs.log; fail "mkfs.btrfs"; }
mkdir mnt
mount -o loop fs.img mnt 2>mount.err || skip "cannot mount a loop btrfs: $(cat mount.err)"
trap 'cd /; umount "$T/mnt"; rm -rf "$T" "$KILN_CACHE"' EXIT
cd mnt
in_place_disk 5 30 100000 <<'C'
image data.ext4 { ext4 { label = "data" } srcpath = "root" size = 8M }
C
build() {
	local n=$1
	shift
	"$KILN" build --explain --outputpath "out-$n" --tmppath "tmp-$n" "$@" d.cfg >"$n.log" 2>&1 ||
		{ cat "$n.log"; fail "build $n"; }
}
store=$PWD/store
build ref --no-cache
build cold --cache "$store"
build warm --cache "$store"
for f in disk.img data.ext4; do
	cmp "out-ref/$f" "out-cold/$f" || fail "$f: the cold build differs from --no-cache"
	grep -q "$f: from the build cache" warm.log || { cat warm.log; fail "$f was not a hit on btrfs"; }
	cmp "out-ref/$f" "out-warm/$f" || fail "$f from the store differs"
done
sfdisk -V out-warm/disk.img | grep -q 'No errors' || fail "sfdisk -V"
e2fsck -fn out-warm/data.ext4 >/dev/null 2>&1 || fail "e2fsck -fn data.ext4"
# The disk's own blob: the bytes around its partitions, a few MB, not the
# 40 MB disk.
disk=$(stat -c %s out-ref/disk.img)
largest=$(find "$store/img" -type f -printf '%s\n' | sort -n | tail -1)
[ "$largest" -lt "$disk" ] || fail "a blob of $largest bytes in the store: the whole $disk-byte disk"
# Shared, not copied: the output taken from the store shares its extents
# with the store's blob.
sync
shared=$(btrfs filesystem du --raw out-warm/data.ext4 | awk 'NR == 2 { print $3 }')
[ "${shared:-0}" -gt 0 ] ||
	{ btrfs filesystem du out-warm/data.ext4; fail "data.ext4 from the store shares no extent"; }
echo "reflink: ok (disk $disk bytes, largest blob $largest, data.ext4 shares $shared bytes)"
