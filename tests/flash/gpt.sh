# A GPT image flashed to a larger device: the backup GPT is moved to the
# device's end and the primary header points at it (sgdisk -v clean).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
need_loop
need sgdisk cmp
truncate -s 16M img
sgdisk -n1:2048:+4M -t1:ef00 -c1:boot -n2:0:+6M -t2:8300 -c2:root img >/dev/null
head -c 100000 /dev/urandom | dd of=img bs=512 seek=2048 conv=notrunc status=none
head -c 200000 /dev/urandom | dd of=img bs=512 seek=$((2048 + 8192)) conv=notrunc status=none
sgdisk -v img | grep -q 'No problems found' || fail "test image itself is bad"
gzip -kc img > img.gz
"$KILN" bmap img

for src in img img.gz; do
	truncate -s 0 dev && truncate -s 64M dev
	new_loop L dev
	"$KILN" flash --yes --force "$src" "$L" 2>err || { cat err; fail "flash $src"; }
	grep -q 'backup GPT moved' err || { cat err; fail "$src: backup GPT not moved"; }
	sgdisk -v "$L" > v.txt 2>&1 || true
	grep -q 'No problems found' v.txt || { cat v.txt; fail "$src: sgdisk -v finds problems"; }
	last=$(( 64 * 2048 - 1 ))
	[ "$(dd if="$L" bs=512 skip=$last count=1 status=none | head -c 8)" = "EFI PART" ] ||
		fail "$src: no backup header in the device's last sector"
	sgdisk -p "$L" | grep -q "last usable sector is $((last - 33))" ||
		{ sgdisk -p "$L"; fail "$src: last usable sector not extended"; }
	# Partitions (and the primary array) are byte for byte the image's.
	cmp -i 1024 -n $((16 * 1048576 - 1024 - 33 * 512)) img "$L" || fail "$src: contents differ"
	sgdisk -i 2 "$L" | grep -q "Partition name: 'root'" || fail "$src: partition 2 lost"
	losetup -d "$L"
done
echo ok
