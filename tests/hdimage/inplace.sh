#!/bin/bash
# Partitions written in place (plan/inplace.h): a temporary image only a
# disk partition reads is generated straight into the disk, never as a
# file (strace: nothing under tmppath is opened, created or linked); the
# disk is byte-identical to the same config with non-temporary
# partitions, built with and without the store, cold and warm, and a
# non-temporary partition image is placed by copy_file_range. A child
# with an exec-post hook is a file, its hook runs before the disk reads
# it, and --explain says why. SIGINT at any moment leaves nothing.
. "$KILN_TESTLIB"
need strace e2fsck fsck.fat sfdisk python3
export KILN_CACHE=$PWD/store
mkdir -p in src/etc src/usr
echo 'hello' >in/a.txt
python3 -c 'import random,sys; r=random.Random(3); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(3 << 20)))' >src/usr/big
echo host >src/etc/hostname

# cfg FILE TEMPORARY [HOOK]: a disk of a vfat and an ext4 partition.
cfg() {
	cat >"$1" <<X
image boot.vfat {
	vfat { files = { "a.txt" } }
	size = 8M
	temporary = $2
	${3:-}
}
image root.ext4 {
	ext4 { }
	srcpath = "src"
	size = 16M
	temporary = $2
}
image disk.img {
	hdimage { disk-signature = 0x12345678 }
	partition boot { partition-type = 0xc image = "boot.vfat" }
	partition root { partition-type = 0x83 image = "root.ext4" }
}
X
}
cfg T.cfg true
cfg F.cfg false
cfg H.cfg true 'exec-post = "printf HOOKED | dd of=\"\$IMAGEOUTFILE\" bs=1 seek=7340032 conv=notrunc status=none"'

# run NAME CONFIG [options]: build into NAME/ (tmppath NAME.tmp).
run() {
	local n=$1 c=$2
	shift 2
	"$KILN" build --inputpath in --outputpath "$n" --tmppath "$n.tmp" "$@" "$c" >"$n.log" 2>&1 \
		|| { cat "$n.log"; fail "build $n ($c $*)"; }
}

# checks DISK: the table and both filesystems check clean.
checks() {
	sfdisk -V "$1" 2>&1 | grep -q 'No errors detected' || fail "$1: sfdisk -V"
	local s
	for p in 1 2; do
		s=$(sfdisk -J "$1" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$p-1]; print(p['start'], p['size'])")
		dd if="$1" of=p$p bs=512 skip=${s% *} count=${s#* } status=none
	done
	fsck.fat -n p1 >/dev/null 2>&1 || fail "$1: fsck.fat -n on partition 1"
	e2fsck -fn p2 >/dev/null 2>&1 || fail "$1: e2fsck -fn on partition 2"
	rm -f p1 p2
}

# 1. No file of a temporary partition image, ever.
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=open,openat,creat,link,linkat,rename,renameat,renameat2 -o trace.txt \
	"$KILN" build --inputpath in --outputpath t0 --tmppath t0.tmp --no-cache T.cfg >t0.log 2>&1 \
	|| { cat t0.log; fail "build under strace"; }
if grep -F 't0.tmp' trace.txt; then
	fail "a temporary partition image was written as a file (the calls above)"
fi
[ -z "$(ls -A t0.tmp 2>/dev/null)" ] || fail "tmppath holds $(ls -A t0.tmp)"
checks t0/disk.img

# 2. The same bytes as a disk made of non-temporary partition images,
# whose images are placed in the kernel (copy_file_range), not read and
# written by kiln.
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=copy_file_range -o cfr.txt \
	"$KILN" build --inputpath in --outputpath f0 --tmppath f0.tmp --no-cache F.cfg >f0.log 2>&1 \
	|| { cat f0.log; fail "build F.cfg"; }
grep -q 'copy_file_range(' cfr.txt || fail "non-temporary partitions were not placed with copy_file_range"
cmp t0/disk.img f0/disk.img || fail "in place and from files: the disks differ"
cmp f0/boot.vfat <(dd if=t0/disk.img bs=1M skip=1 count=8 status=none) \
	|| fail "the in-place boot partition differs from boot.vfat"

# 3. With the store, cold and warm: same disk; --explain says so.
run t1 T.cfg --explain
cmp t0/disk.img t1/disk.img || fail "cold store: the disk differs"
grep -qx "boot.vfat: built: written in place into 'disk.img': not built before" t1.log \
	|| { cat t1.log; fail "explain (cold)"; }
rm -rf t1
run t1 T.cfg --explain
cmp t0/disk.img t1/disk.img || fail "warm store: the disk differs"
grep -qx "disk.img: from the build cache" t1.log || { cat t1.log; fail "explain (warm disk)"; }
grep -qx "root.ext4: from the build cache" t1.log || { cat t1.log; fail "explain (warm root)"; }

# One file changes: the root is built again in place, the boot
# partition is copied from the store into its window.
echo changed >src/etc/hostname
run t1 T.cfg --explain
grep -qx "boot.vfat: from the build cache" t1.log || { cat t1.log; fail "explain (boot from the store)"; }
grep -q "^root.ext4: built: written in place into 'disk.img': changed: file /etc/hostname" t1.log \
	|| { cat t1.log; fail "explain (root changed)"; }
run t2 T.cfg --no-cache
cmp t1/disk.img t2/disk.img || fail "a partition copied from the store: the disk differs"
checks t1/disk.img
[ -z "$(find t1.tmp t2.tmp -mindepth 1)" ] || fail "tmppath holds $(find t1.tmp t2.tmp -mindepth 1)"

# 4. An exec-post hook: a file, hooked before the disk reads it.
run h H.cfg --explain
grep -qx "boot.vfat: built: not built before; not written in place: it has an exec-post hook (which runs on its file)" h.log \
	|| { cat h.log; fail "explain (exec-post)"; }
[ -f h.tmp/boot.vfat ] || fail "boot.vfat with exec-post: no file"
[ "$(dd if=h/disk.img bs=1 skip=$((1048576 + 7340032)) count=6 status=none)" = HOOKED ] \
	|| fail "the disk was not made of the hooked boot.vfat"

# 5. SIGINT wherever it lands: no output, no temporary, and the next
# build is the same disk.
for delay in 0.05 0.2 0.5 1; do
	rm -rf "$KILN_CACHE" k k.tmp
	"$KILN" build --inputpath in --outputpath k --tmppath k.tmp T.cfg >k.log 2>&1 &
	pid=$!
	sleep "$delay"
	kill -INT "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" = 0 ]; then
		cmp t2/disk.img k/disk.img || fail "SIGINT at ${delay}s (too late): the disk differs"
	else
		[ "$rc" = 130 ] || { cat k.log; fail "SIGINT at ${delay}s: exit $rc"; }
		[ -z "$(ls -A k 2>/dev/null)" ] || fail "SIGINT at ${delay}s: k/ holds $(ls -A k)"
	fi
	[ -z "$(ls -A k.tmp 2>/dev/null)" ] || fail "SIGINT at ${delay}s: k.tmp/ holds $(ls -A k.tmp)"
	run k T.cfg
	cmp t2/disk.img k/disk.img || fail "after SIGINT at ${delay}s: the disk differs"
done
echo "inplace: ok"
