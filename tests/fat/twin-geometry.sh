# Twin: for the same size and mkfs.vfat flags, kiln's boot sector records
# the geometry mkfs.vfat (dosfstools) chooses: every BPB field except the
# OEM name, volume id, label and boot code. Covers FAT12/16/32, the
# automatic FAT type and cluster size, floppy sizes and the flags kiln
# honours.
. "$KILN_TESTLIB"
need mkfs.vfat python3
mkdir -p root
cases="1M 1440K 2M 4M 8M 16M 33M 64M 100M 255M 261M 300M 511M 512M 600M 2G 9G
-F|32|40M -F|32|64M -F|16|64M -F|16|300M -F|12|4M -F|12|16M -s|16|64M -S|4096|64M
-S|1024|600M -r|1024|16M -r|100|16M -f|1|32M -R|8|32M -R|3|64M -h|2048|64M
-F|32|-s|8|600M -F|16|-s|64|1G"
i=0
for c in $cases; do
	i=$((i + 1))
	size=${c##*|}
	args=""
	[ "$c" != "$size" ] && args=$(echo "${c%|*}" | tr '|' ' ')
	rm -f "m$i.img"
	truncate -s "$size" "m$i.img"
	# shellcheck disable=SC2086
	mkfs.vfat $args "m$i.img" >/dev/null 2>&1 || fail "mkfs.vfat $args ($size) failed"
	printf 'image k%d.img { vfat { extraargs = "%s" } size = %s }\n' "$i" "$args" "$size" >"k$i.cfg"
	"$KILN" build --rootpath root --outputpath out --tmppath tmp "k$i.cfg" 2>"k$i.err" ||
		{ cat "k$i.err"; fail "kiln failed for $size $args"; }
	python3 - "m$i.img" "out/k$i.img" "$size $args" <<'PY' || fail "boot sector differs from mkfs.vfat's for $size $args"
import sys
a = open(sys.argv[1], 'rb').read(1024)
b = open(sys.argv[2], 'rb').read(1024)
f32 = a[22] == 0 and a[23] == 0
rng = list(range(11, 36)) + (list(range(36, 64)) + [64, 66] if f32 else [36, 38])
diff = [(i, a[i], b[i]) for i in rng if a[i] != b[i]]
if f32:  # FSInfo free count of the empty filesystem
    ss = a[11] | a[12] << 8
    if a[ss + 488:ss + 492] != b[ss + 488:ss + 492]:
        diff.append(("fsinfo free", a[ss + 488:ss + 492].hex(), b[ss + 488:ss + 492].hex()))
if diff:
    print(sys.argv[3], diff)
    sys.exit(1)
PY
	rm -f "m$i.img" "out/k$i.img"
done
echo "twin-geometry: ok ($i cases)"
