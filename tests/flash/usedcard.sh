# A used card: every disk, FAT and ext variant is flashed through its bmap
# (kiln flash, then bmaptool copy) onto a loop device full of random
# bytes. Whatever a reader interprets must have been written, so: sfdisk
# -V / sgdisk -v on disks, fsck.fat -n and e2fsck -fn on every filesystem,
# the journal and the tree read back (debugfs dump/rdump, mcopy -s) equal
# the read-back of the image file itself; fw_printenv reads a flashed
# U-Boot env. Without a bmap a device gets every byte.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/flash/mkimg.inc"
need_loop
need sfdisk sgdisk fsck.fat mcopy debugfs e2fsck bmaptool fw_printenv blkid python3 xz
# The images and the random cards (one at a time, < 64 MiB) live in
# memory where they can: on a shared disk, writing and syncing them costs
# most of the run.
C=$T
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	C=$(mktemp -d /dev/shm/kiln-usedcard.XXXXXX)
	trap 'loop_cleanup; rm -rf "$C"' EXIT
fi

# fatsrc: long names, a directory of a few clusters, files whose data has
# whole zero blocks. extsrc: the same plus modes and a symlink.
python3 - <<'PY'
import os
for top in ("fatsrc", "extsrc"):
    os.makedirs(top + "/many/deeper/deepest")
    for i in range(150):
        with open("%s/many/a_rather_long_file_name_%03d.txt" % (top, i), "w") as f:
            f.write("file %d\n" % i * (i % 7))
    for d in range(12):
        os.makedirs("%s/dirs/d%02d" % (top, d))
        with open("%s/dirs/d%02d/x" % (top, d), "w") as f:
            f.write("x%d" % d)
    with open(top + "/zeros.bin", "wb") as f:  # zero blocks inside file data
        f.write(b"HEAD" + bytes(300 * 1024) + b"TAIL")
    with open(top + "/many/deeper/deepest/leaf", "w") as f:
        f.write("leaf\n")
os.symlink("many/deeper/deepest/leaf", "extsrc/link")
os.chmod("extsrc/many/deeper", 0o750)
os.chmod("extsrc/zeros.bin", 0o600)
with open("env.txt", "w") as f:
    f.write("bootcmd=run usedcard\nusedcard=echo used card\nbootdelay=0\n")
PY

cat >k.cfg <<'CFG'
image f32.vfat { srcpath = "fatsrc" size = 36M vfat { fat-type = 32 cluster-size = 512 } }
image f16.vfat { srcpath = "fatsrc" size = 8M vfat { fat-type = 16 } }
image f12.vfat { srcpath = "fatsrc" size = 3M vfat { fat-type = 12 } }
image r4.ext4 { srcpath = "extsrc" size = 24M ext4 { } }
image r3.ext3 { srcpath = "extsrc" size = 12M ext3 { } }
image r2.ext2 { srcpath = "extsrc" size = 6M ext2 { } }
image r4nj.ext4 { srcpath = "extsrc" size = 8M ext4 { features = "^has_journal,^metadata_csum" } }
image env.bin { ubootenv { file = "env.txt" } size = 0x4000 }
image mbr.img {
	hdimage { }
	partition boot { partition-type = 0xc bootable = true image = "f16.vfat" }
	partition root { partition-type = 0x83 image = "r4.ext4" }
}
image gpt.img {
	hdimage { partition-table-type = "gpt" }
	partition esp { partition-type-uuid = "U" image = "f12.vfat" }
	partition root { partition-type-uuid = "L" image = "r3.ext3" }
}
image hybrid.img {
	hdimage { partition-table-type = "hybrid" }
	partition boot { partition-type = 0xc image = "f12.vfat" }
	partition root { partition-type-uuid = "L" image = "r2.ext2" }
}
image ebr.img {
	hdimage { }
	partition p1 { partition-type = 0x83 size = 1M }
	partition p2 { partition-type = 0x83 size = 1M }
	partition p3 { partition-type = 0x83 size = 1M }
	partition p4 { partition-type = 0xe image = "f16.vfat" }
	partition p5 { partition-type = 0x83 image = "r4nj.ext4" }
}
CFG
mkdir "$C/out"
[ "$C" = "$T" ] || ln -s "$C/out" out
"$KILN" build --inputpath . --outputpath out --tmppath "$C/tmp" k.cfg 2>build.err ||
	{ cat build.err; fail "build failed"; }

# Still sparse: each disk's bmap leaves blocks unmapped.
bmap_field() { sed -n "s|.*<$1> *\([0-9]*\) *</$1>.*|\1|p" "$2"; }
for d in mbr gpt hybrid ebr; do
	m=$(bmap_field MappedBlocksCount "out/$d.img.bmap")
	n=$(bmap_field BlocksCount "out/$d.img.bmap")
	[ -n "$m" ] && [ "$m" -lt "$n" ] || fail "$d.img.bmap maps $m of $n blocks (output not sparse)"
done
for f in f32.vfat f16.vfat f12.vfat r4.ext4 r3.ext3 r2.ext2 r4nj.ext4 env.bin; do
	"$KILN" bmap "out/$f" || fail "kiln bmap out/$f"
done

# readback FSFILE TYPE DIR: the tree as a reader sees it in DIR, and as
# a listing in DIR.list.
readback() {
	local f=$1 type=$2 dir=$3
	mkdir "$dir"
	case $type in
	vfat)
		MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$f" ::/ "$dir/" 2>"$dir.err" ||
			{ cat "$dir.err"; fail "mcopy from $f"; } ;;
	ext*)
		debugfs -R "rdump / $dir" "$f" >/dev/null 2>"$dir.err" || { cat "$dir.err"; fail "rdump $f"; }
		if grep -v '^debugfs' "$dir.err" | grep -q .; then
			cat "$dir.err"
			fail "rdump $f: errors"
		fi ;;
	esac
	(cd "$dir" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort) >"$dir.list"
}

# checkfs FSFILE REFERENCE KEY WHAT: FSFILE (from the card) is clean and
# reads back as REFERENCE (from the image file, named KEY) does.
checkfs() {
	local f=$1 ref=$2 key=$3 what=$4 type
	type=$(blkid -p -o value -s TYPE "$ref" 2>/dev/null || true)
	case $type in
	vfat)
		fsck.fat -n "$f" >fsck.out 2>&1 || { tail -20 fsck.out; fail "$what: fsck.fat -n"; } ;;
	ext2 | ext3 | ext4)
		e2fsck -fn "$f" >fsck.out 2>&1 || { tail -20 fsck.out; fail "$what: e2fsck -fn"; }
		# The journal log is zero, never the card's old bytes (a stale
		# descriptor block could be replayed after a crash).
		if debugfs -R features "$ref" 2>/dev/null | grep -qw has_journal; then
			debugfs -R "dump <8> j.card" "$f" >/dev/null 2>&1
			debugfs -R "dump <8> j.img" "$ref" >/dev/null 2>&1
			[ -s j.img ] || fail "$what: no journal read from the image"
			cmp -s j.img j.card || fail "$what: the journal differs from the image's"
		fi ;;
	'') return 0 ;; # no filesystem (an empty partition)
	*) fail "$what: unexpected filesystem $type" ;;
	esac
	# The image's side is read once per filesystem, the card's every time.
	RB=$((RB + 1))
	readback "$f" "$type" "rb.card$RB"
	[ -e "rb.$key.list" ] || readback "$ref" "$type" "rb.$key"
	diff -u "rb.$key.list" "rb.card$RB.list" || fail "$what: tree listing differs from the image's"
	diff -r --no-dereference "rb.$key" "rb.card$RB" || fail "$what: file contents differ from the image's"
}
RB=0

# slice FILE OFFSET SIZE OUT
slice() {
	dd if="$1" of="$4" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none
}

# check IMAGE CARD WHAT
check() {
	local img=$1 card=$2 what=$3
	case $img in
	*.img)
		sfdisk -V "$card" >v.out 2>&1 || { cat v.out; fail "$what: sfdisk -V"; }
		sfdisk -d "$img" | sed -e '/^device:/d' -e 's/^[^ ]*[^0-9]\([0-9][0-9]*\) :/\1 :/' >t.img
		sfdisk -d "$card" | sed -e '/^device:/d' -e 's/^[^ ]*[^0-9]\([0-9][0-9]*\) :/\1 :/' >t.card
		diff -u t.img t.card || fail "$what: partition table differs"
		if grep -q '^label: gpt' t.img; then
			sgdisk -v "$card" >v.out 2>&1 || { cat v.out; fail "$what: sgdisk -v"; }
			grep -q 'No problems found' v.out || { cat v.out; fail "$what: sgdisk -v"; }
		fi
		# "N : start=S, size=Z, type=T, ..." -> bytes; extended containers skipped
		awk -F'[=,]' '/ : start=/ { t = $6; gsub(/ /, "", t)
			if (t != "5" && t != "f" && t != "85") printf "%d %d\n", $2 * 512, $4 * 512 }' t.img >parts
		local n=0 off size
		while read -r off size; do
			n=$((n + 1))
			slice "$img" "$off" "$size" "$C/p.img"
			slice "$card" "$off" "$size" "$C/p.card"
			checkfs "$C/p.card" "$C/p.img" "${img##*/}.p$n" "$what partition $n"
		done <parts
		[ "$n" -ge 2 ] || fail "$what: only $n partitions checked"
		;;
	*/env.bin)
		printf '%s 0x0 0x4000\n' "$L" >fw_env.config
		fw_printenv -c fw_env.config >env.card 2>&1 || { cat env.card; fail "$what: fw_printenv"; }
		printf '%s 0x0 0x4000\n' "$T/$img" >fw_env.config
		fw_printenv -c fw_env.config >env.img 2>&1 || fail "fw_printenv on the image"
		diff -u env.img env.card || fail "$what: fw_printenv output differs"
		grep -qx 'usedcard=echo used card' env.card || fail "$what: variable missing"
		;;
	*)
		checkfs "$card" "$img" "${img##*/}" "$what" ;;
	esac
}

for img in out/mbr.img out/gpt.img out/hybrid.img out/ebr.img out/f32.vfat out/f16.vfat \
	out/f12.vfat out/r4.ext4 out/r3.ext3 out/r2.ext2 out/r4nj.ext4 out/env.bin; do
	size=$(stat -c %s "$img")
	for tool in kiln bmaptool; do
		what="$img via $tool"
		head -c "$size" /dev/urandom >"$C/card"
		new_loop L "$C/card"
		case $tool in
		kiln) "$KILN" flash --yes --force --bmap "$img.bmap" "$img" "$L" 2>flash.err ||
			{ cat flash.err; fail "$what: kiln flash"; } ;;
		bmaptool) bmaptool -q copy --bmap "$img.bmap" "$img" "$L" 2>flash.err ||
			{ cat flash.err; fail "$what: bmaptool copy"; } ;;
		esac
		# The card's old bytes survive in the holes: it is not the image.
		if [ "$img" = out/env.bin ]; then
			check "$img" "$L" "$what"
			losetup -d "$L"
			continue
		fi
		if cmp -s "$img" "$L"; then
			fail "$what: every byte written (no hole left)"
		fi
		losetup -d "$L"
		check "$img" "$C/card" "$what"
	done
done

# Without a bmap a device gets every byte (a stream too).
head -c "$(stat -c %s out/hybrid.img)" /dev/urandom >"$C/card"
new_loop L "$C/card"
xz -T1 -0 -c out/hybrid.img >hybrid.img.xz
"$KILN" flash --yes --force hybrid.img.xz "$L" 2>flash.err || { cat flash.err; fail "stream flash"; }
grep -q 'every byte' flash.err || { cat flash.err; fail "stream without bmap: not every byte"; }
cmp out/hybrid.img "$L" || fail "stream without bmap: device differs from the image"
losetup -d "$L"
cp --sparse=always out/f16.vfat "$C/nobmap.vfat"
head -c "$(stat -c %s out/f16.vfat)" /dev/urandom >"$C/card"
new_loop L "$C/card"
"$KILN" flash --yes --force "$C/nobmap.vfat" "$L" 2>flash.err || { cat flash.err; fail "flash without bmap"; }
grep -q 'every byte' flash.err || { cat flash.err; fail "plain image without bmap: not every byte"; }
cmp out/f16.vfat "$L" || fail "plain image without bmap: device differs from the image"
losetup -d "$L"
echo PASS
