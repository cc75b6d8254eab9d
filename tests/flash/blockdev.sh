# kiln flash to block devices (loop devices): safety checks and a
# verified write. Skipped when loop devices are not available.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
need_loop
need cmp sha256sum mkfs.ext4 sgdisk
make_sparse img 16
"$KILN" bmap img
size=$(stat -c %s img)

# A non-removable device (loop devices are) is refused without --force.
head -c $((32 * 1048576)) /dev/urandom > dev1
before=$(sha256sum < dev1)
blk2000=$(dd if=dev1 bs=4096 skip=2000 count=1 status=none | sha256sum)
new_loop L1 dev1
expect_fail 1 'is not a removable device: refusing to write without --force' "$KILN" flash --yes img "$L1"
# No terminal and no --yes: refused.
expect_fail 1 'stdin is not a terminal: pass --yes' sh -c '"$0" flash --force img "$1" </dev/null' "$KILN" "$L1"
[ "$(sha256sum < "$L1")" = "$before" ] || fail "a refused flash changed the device"

# Written and verified.
"$KILN" flash --yes --force img "$L1" 2>err || { cat err; fail "flash to $L1"; }
grep -q 'verified by reading back' err || fail "not verified"
grep -q 'NOT removable' err || fail "device info (removable) not shown"
# Mapped ranges equal the image; unmapped blocks keep the device's old
# bytes (that is what a bmap means).
for r in "4096 4096" "$((1000 * 4096)) $((300 * 4096))" "$((size - 73728)) 73728"; do
	set -- $r
	cmp -i "$1:$1" -n "$2" img "$L1" || fail "$L1: bytes $1+$2 differ from the image"
done
cmp -s -n 4096 img "$L1" && fail "block 0 (a hole) should not have been written"
[ "$(dd if="$L1" bs=4096 skip=2000 count=1 status=none | sha256sum)" = "$blk2000" ] ||
	fail "$L1: unmapped block 2000 was overwritten"
# On a zeroed device the whole image is reproduced.
truncate -s 32M dev0
new_loop L0 dev0
"$KILN" flash --yes --force img "$L0" 2>/dev/null || fail "flash to $L0"
cmp -n "$size" img "$L0" || fail "$L0 differs from the image"

# Smaller than the image: refused, nothing written.
head -c $((8 * 1048576)) /dev/urandom > dev2
before=$(sha256sum < dev2)
new_loop L2 dev2
expect_fail 1 'smaller than the image.*nothing written' "$KILN" flash --yes --force img "$L2"
[ "$(sha256sum < "$L2")" = "$before" ] || fail "smaller device was written"

# Read-only device.
truncate -s 32M dev3
new_loop L3 dev3 -r
expect_fail 1 'device is read-only' "$KILN" flash --yes --force img "$L3"

# Mounted device.
truncate -s 32M dev4
new_loop L4 dev4
mkfs.ext4 -q "$L4" || fail "mkfs.ext4 $L4"
mkdir m4
if mount "$L4" m4 2>/dev/null; then
	MOUNTS+=("$T/m4")
	expect_fail 1 "refusing to write: $(basename "$L4") is mounted on $(realpath m4)" \
		"$KILN" flash --yes --force img "$L4"
	umount m4
	MOUNTS=()
else
	echo "NOTE: mount does not work here: mounted-device case not run" >&2
fi

# Active swap.
truncate -s 16M dev6
new_loop L6 dev6
if command -v mkswap >/dev/null && mkswap -q "$L6" >/dev/null 2>&1 && swapon "$L6" 2>/dev/null; then
	SWAPS+=("$L6")
	expect_fail 1 "refusing to write: $(basename "$L6") is active swap" \
		"$KILN" flash --yes --force img "$L6"
	swapoff "$L6"
	SWAPS=()
else
	echo "NOTE: swapon does not work here: active-swap case not run" >&2
fi

# A device whose partition is mounted (needs partition scanning on loop
# devices, which some sandboxes lack).
truncate -s 32M dev5
sgdisk -n1:2048:+8M -t1:8300 dev5 >/dev/null
new_loop L5 dev5 -P
p1=/sys/class/block/$(basename "$L5")p1
# No partition scanning in some sandboxes: add the partitions explicitly.
[ -e "$p1" ] || partx -a "$L5" 2>/dev/null || true
if [ -e "$p1" ] && [ -b "${L5}p1" ]; then
	mkfs.ext4 -q "${L5}p1"
	mkdir m5
	mount "${L5}p1" m5 || fail "mount ${L5}p1"
	MOUNTS+=("$T/m5")
	expect_fail 1 "refusing to write: its partition $(basename "$L5")p1 is mounted on $(realpath m5)" \
		"$KILN" flash --yes --force img "$L5"
	umount m5
	MOUNTS=()
	# Unmounted again: the whole disk is writable (and its table re-read).
	"$KILN" flash --yes --force img "$L5" 2>/dev/null || fail "flash to $L5 after umount"
	cmp -i 4096:4096 -n 4096 img "$L5" || fail "$L5: not written"
else
	echo "NOTE: loop devices get no partitions here: mounted-partition case not run" >&2
fi
echo ok
