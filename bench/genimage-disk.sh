#!/bin/bash
# Whole-disk benchmark (issue 12): a Raspberry Pi style SD card in
# genimage mode, kiln vs Debian's genimage vs the floor, same config,
# same inputs. The disk (MBR): a 100 MB vfat /boot from a ~55 MB tree
# (files of the arm64 kernel .deb) and a 400 MB ext4 root from a Debian
# bookworm minbase tree, both through genimage's `rootpath` +
# `mountpoint`, both `temporary` (kiln writes them in place).
#
# The floor: what any tool must do at least: read every input byte once
# (`tar -c ROOT | cat >/dev/null`, which reads each file's data) and
# write the bytes the disk stores once, with fsync (`dd conv=fsync` of
# as many bytes as kiln's disk holds as data). Cold: the page cache is
# dropped before each run (needs root); warm: after a read of the
# inputs. Medians of REPEAT runs (default 5); kiln's store is emptied
# before every kiln run (a cold store), and kiln runs once more without
# a store (KILN_CACHE=off): what a cold store adds is hashing every input
# for the keys and copying each image into the store while hashing it
# (on -j threads; docs/store.md, "Image blobs"), which on a filesystem
# without shared extents is a second copy of the disk's data.
#
# usage: bench/genimage-disk.sh [KILN_BINARY]   (default build/kiln)
#   The minbase tree is made once with debootstrap (root, the mirror of
#   the apt sources) and kept in .cache/bench/minbase.
#   PERF=1 also records where kiln's time goes (perf report, top 25).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
KILN=$(realpath "${1:-$SRC/build/kiln}")
REPEAT=${REPEAT:-5}
CACHE=$SRC/.cache/bench
W=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-disk.XXXXXX")
trap 'rm -rf "$W"' EXIT
# kiln is genimage when called by that name.
mkdir "$W/bin"
ln -s "$KILN" "$W/bin/genimage"
export SOURCE_DATE_EPOCH=1700000000
command -v genimage >/dev/null || { echo "genimage is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (debootstrap, drop_caches)" >&2; exit 1; }

if [ ! -d "$CACHE/minbase/usr" ]; then
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)
	rm -rf "$CACHE/minbase.tmp"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase bookworm "$CACHE/minbase.tmp" "$mirror" >"$W/debootstrap.log" \
		|| { cat "$W/debootstrap.log" >&2; exit 1; }
	mv "$CACHE/minbase.tmp" "$CACHE/minbase"
fi
if [ ! -d "$CACHE/boot" ]; then
	# ~55 MB of the kernel package's files, in path order.
	rm -rf "$W/deb" "$CACHE/boot.tmp"
	. "$SRC/bench/kernel-deb.inc"
	dpkg-deb -x "$KDEB" "$W/deb"
	(cd "$W/deb" && find . -type f | sort) | python3 -c '
import os, shutil, sys
src, dst, total = sys.argv[1], sys.argv[2], 0
for p in sys.stdin.read().split("\n"):
    if not p or total >= 55_000_000:
        continue
    os.makedirs(os.path.dirname(os.path.join(dst, p)), exist_ok=True)
    shutil.copy2(os.path.join(src, p), os.path.join(dst, p))
    total += os.path.getsize(os.path.join(src, p))
' "$W/deb" "$CACHE/boot.tmp"
	rm -rf "$W/deb"
	mv "$CACHE/boot.tmp" "$CACHE/boot"
fi

# The rootpath: minbase with the boot tree in /boot (both tools read it
# where it is; genimage copies it to its tmppath first, as it always does).
R=$W/root
cp -a "$CACHE/minbase" "$R"
rm -rf "$R/boot"
cp -a "$CACHE/boot" "$R/boot"
cat >"$W/disk.cfg" <<'C'
image boot.vfat {
	vfat { label = "boot" }
	mountpoint = "/boot"
	size = 100M
	temporary = true
}
image root.ext4 {
	ext4 { use-mke2fs = true label = "root" }
	size = 400M
	temporary = true
}
image sdcard.img {
	hdimage { disk-signature = 0x4b494c4e }
	partition boot { partition-type = 0xc bootable = true image = "boot.vfat" }
	partition root { partition-type = 0x83 image = "root.ext4" }
}
C
echo "inputs: $(du -sh --apparent-size "$R" | cut -f1) in $(find "$R" | wc -l) entries (/boot: $(du -sh --apparent-size "$R/boot" | cut -f1))"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
warm() { tar -c -C "$R" . | cat >/dev/null; }

# One run of each; prints seconds. $1: cold or warm; run_kiln $2: the
# store (default: a new, empty one; "off": none).
# run_kiln also leaves its CPU time (user + sys, s) in $W/k.cpu.
run_kiln() {
	rm -rf "$W/k" "$W/kt" "$W/store"
	[ "$1" = cold ] && drop || warm
	local t0 cpu
	t0=$(now)
	cpu=$({ TIMEFORMAT='%U %S'; time KILN_CACHE=${2:-$W/store} "$W/bin/genimage" --rootpath "$R" \
		--tmppath "$W/kt" --inputpath "$W" --outputpath "$W/k" --config "$W/disk.cfg" \
		>"$W/k.log" 2>&1 || { cat "$W/k.log" >&2; exit 1; }; } 2>&1) || exit 1
	since "$t0"
	awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%.3f\n", u + s }' >"$W/k.cpu"
}
run_genimage() {
	rm -rf "$W/g" "$W/gt"
	[ "$1" = cold ] && drop || warm
	local t0
	t0=$(now)
	genimage --rootpath "$R" --tmppath "$W/gt" --inputpath "$W" --outputpath "$W/g" \
		--config "$W/disk.cfg" >"$W/g.log" 2>&1 || { cat "$W/g.log" >&2; exit 1; }
	sync "$W/g/sdcard.img" # kiln fsyncs its output; so must the others
	since "$t0"
}
run_floor() {
	rm -f "$W/floor.img"
	[ "$1" = cold ] && drop || warm
	local t0
	t0=$(now)
	tar -c -C "$R" . | cat >/dev/null
	dd if=/dev/zero of="$W/floor.img" bs=1M count=$((DATA >> 20)) conv=fsync status=none
	since "$t0"
}

run_kiln warm >/dev/null
DATA=$(du -B1 "$W/k/sdcard.img" | cut -f1)
echo "kiln's disk: $(stat -c %s "$W/k/sdcard.img") bytes, $DATA of them data"
for mode in cold warm; do
	k=() n=() g=() f=() kc=() nc=()
	for i in $(seq "$REPEAT"); do
		f+=("$(run_floor $mode)")
		k+=("$(run_kiln $mode)")
		kc+=("$(cat "$W/k.cpu")")
		n+=("$(run_kiln $mode off)")
		nc+=("$(cat "$W/k.cpu")")
		g+=("$(run_genimage $mode)")
	done
	F=$(echo "${f[*]}" | median) K=$(echo "${k[*]}" | median) G=$(echo "${g[*]}" | median)
	N=$(echo "${n[*]}" | median) KC=$(echo "${kc[*]}" | median) NC=$(echo "${nc[*]}" | median)
	echo "$mode page cache (medians of $REPEAT):"
	echo "  floor              $F s   (${f[*]})"
	echo "  kiln, cold store   $K s   (${k[*]}); CPU time $KC s"
	echo "  kiln, no store     $N s   (${n[*]}); CPU time $NC s"
	echo "  genimage           $G s   (${g[*]})"
	echo "  kiln/floor $(ratio "$K" "$F") (goal <= 1.1)   genimage/kiln $(ratio "$G" "$K") (goal >= 3)"
	echo "  without the store: kiln/floor $(ratio "$N" "$F")   genimage/kiln $(ratio "$G" "$N")"
	# No schedule can take less than the CPU time spread over every CPU.
	echo "  kiln, cold store, CPU time / $(nproc) CPUs: $(ratio "$KC" "$(nproc)") s = $(ratio "$(ratio "$KC" "$(nproc)")" "$F") x floor"
done
# Both disks check clean (kiln's is not genimage's byte for byte: the
# filesystems are kiln's own, mke2fs -d and mcopy make genimage's).
sfdisk -V "$W/k/sdcard.img" | grep -q 'No errors' || echo "kiln's disk: sfdisk -V failed" >&2
if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	rm -rf "$W/k" "$W/kt" "$W/store"
	warm
	KILN_CACHE=$W/store perf record -q -g -o "$W/perf.data" "$W/bin/genimage" --rootpath "$R" \
		--tmppath "$W/kt" --inputpath "$W" --outputpath "$W/k" --config "$W/disk.cfg" \
		>/dev/null 2>&1
	perf report -i "$W/perf.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
		grep -v '^#' | grep '%' | head -25
fi
