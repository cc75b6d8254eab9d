# A disk whose partitions are written in place is not stored twice: each
# partition image is a blob of its own, and the disk's blob holds only
# the bytes around them (docs/store.md, "Finished images"). A disk taken
# from the store is byte-identical to a build without it and checks
# clean; a missing or corrupt partition blob makes the disk a miss,
# rebuilt correctly.
. "$KILN_TESTLIB"
need sfdisk e2fsck fsck.fat python3
. "$KILN_SRC/tests/store/store.inc"
in_place_disk 7 40 50000 </dev/null
build() {
	local n=$1
	shift
	"$KILN" build --explain --outputpath "$n" --tmppath "$n.tmp" "$@" d.cfg >"$n.log" 2>&1 ||
		{ cat "$n.log"; fail "build $n"; }
}
build ref --no-cache
build cold
cmp ref/disk.img cold/disk.img || fail "cold build differs from --no-cache"
# Stored data: the two partitions once, not again inside the disk's blob.
disk_data=$(du -B1 cold/disk.img | cut -f1)
stored=$(find "$KILN_CACHE/cas" "$KILN_CACHE/img" -type f -printf '%b\n' | awk '{ s += $1 } END { print s * 512 }')
[ "$stored" -lt $((disk_data * 3 / 2)) ] ||
	fail "the store holds $stored bytes for a disk of $disk_data data bytes (stored twice?)"
grep -qa 'kiln-disk ' -r "$KILN_CACHE/ac" || fail "no disk record with pieces in the store"
# From the store: same bytes, checks clean.
build warm
grep -q "disk.img: from the build cache" warm.log || { cat warm.log; fail "the disk was not a hit"; }
cmp ref/disk.img warm/disk.img || fail "the disk from the store differs from a build without it"
sfdisk -V warm/disk.img | grep -q 'No errors' || fail "sfdisk -V"
# A corrupt partition blob (the largest one: root.ext4's): a miss,
# reported, rebuilt, still the same bytes.
big=$(find "$KILN_CACHE/img" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
chmod u+w "$big"
printf 'X' | dd of="$big" bs=1 seek=1024 conv=notrunc status=none
build again
grep -q "content does not match its hash" again.log || { cat again.log; fail "no warning for the corrupt partition blob"; }
grep -q "disk.img: from the build cache" again.log && fail "the disk was a hit with a corrupt partition blob"
cmp ref/disk.img again/disk.img || fail "rebuilt disk differs from a build without the store"
echo "disk-pieces: ok (stored $stored bytes for $disk_data data bytes)"
