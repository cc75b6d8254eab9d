#!/bin/bash
# Benchmark (issue 3): writing a FAT image from a tree.
#   kiln build (native writer; fsyncs its output)
#   vs mkfs.vfat + mcopy -s + sync -f (what genimage runs)
#   vs the floor: read every input once (find | xargs cat) + write the
#      image size once with fsync (dd conv=fsync)
# on two generated trees: (a) a boot partition, ~55 MB in ~80 files;
# (b) a rootfs-like tree of ~6,000 mostly small files. One run each, page
# cache dropped before every run when allowed. Prints seconds, ratios and
# peak memory (max RSS), with kiln's per 10,000 files.
# usage: bench/fat.sh [KILN_BINARY]   (default build/kiln; use a build
# without sanitizers). REPEAT=N runs each measurement N times and reports
# the median (default 1: one run, as the issue asks; use more on a busy
# machine).
set -euo pipefail
KILN=${1:-${KILN:-build/kiln}}
KILN=$(realpath "$KILN")
for t in mkfs.vfat mcopy python3; do
	command -v $t >/dev/null || { echo "$t not installed" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench-fat.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

python3 - <<'PY'
import os, random
r = random.Random(42)
def blob(path, n):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        # half random, half text-like: neither all zeros nor trivially sparse
        f.write(r.randbytes(n // 2) + bytes(r.choice(b'abcdefgh \n') for _ in range(n - n // 2)))
# (a) boot partition: kernel, initramfs, firmware, device trees, overlays
a = 'boot'
blob(f'{a}/Image', 32 * 1024 * 1024)
blob(f'{a}/initrd.img', 14 * 1024 * 1024)
blob(f'{a}/start.elf', 2900 * 1024)
blob(f'{a}/start4.elf', 2200 * 1024)
blob(f'{a}/fixup.dat', 7 * 1024)
blob(f'{a}/bootcode.bin', 52 * 1024)
blob(f'{a}/u-boot.bin', 600 * 1024)
blob(f'{a}/config.txt', 1200)
blob(f'{a}/cmdline.txt', 120)
for i in range(30):
    blob(f'{a}/bcm27{i:02d}-rpi-board-{i}.dtb', r.randint(25, 60) * 1024)
for i in range(38):
    blob(f'{a}/overlays/overlay-{i:02d}.dtbo', r.randint(1, 8) * 1024)
# (b) rootfs-like: ~6,000 files, mostly small, in a Debian-like hierarchy
b = 'rootfs'
dirs = ['usr/bin', 'usr/sbin', 'usr/lib/x86_64-linux-gnu', 'usr/share/doc', 'usr/share/locale/de/LC_MESSAGES',
        'usr/share/man/man1', 'usr/share/zoneinfo/Europe', 'etc', 'etc/default', 'var/lib/dpkg/info',
        'usr/lib/python3/dist-packages', 'usr/share/perl5', 'usr/include']
for i in range(6000):
    d = r.choice(dirs)
    if r.random() < 0.3:
        d = f'{d}/pkg{r.randint(0, 150)}'
    k = r.random()
    n = r.randint(0, 2000) if k < 0.6 else r.randint(2000, 30000) if k < 0.95 else r.randint(30000, 600000)
    blob(f'{b}/{d}/file{i:05d}.{r.choice(["so", "gz", "txt", "list", "py", "pm", "h"])}', n)
PY

drop() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true; }
# run OUTVAR CMD...: seconds (wall) and max RSS in KiB of CMD.
TIMEV=
[ -x /usr/bin/time ] && TIMEV=/usr/bin/time
measure() {
	local s e
	s=$(date +%s.%N)
	if [ -n "$TIMEV" ]; then
		"$TIMEV" -f '%M' -o rss.txt "$@" >/dev/null 2>log.txt
	else
		python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=open("rss.txt","w"))' "$@"
	fi
	e=$(date +%s.%N)
	SECS=$(echo "$e - $s" | bc)
	RSS=$(tail -1 rss.txt)
}

REPEAT=${REPEAT:-1}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench_tree() { # NAME DIR IMAGE_MIB
	local name=$1 dir=$2 mib=$3 nfiles bytes tk rk tm tf s e i
	local -a TK=() TM=() TF=()
	nfiles=$(find "$dir" -type f | wc -l)
	bytes=$(du -sb "$dir" | cut -f1)
	printf 'image %s.vfat { srcpath = "%s" size = %dM vfat { } }\n' "$name" "$W/$dir" "$mib" >k.cfg
	for i in $(seq "$REPEAT"); do
		rm -rf out && drop
		measure "$KILN" build --rootpath "$W/root" --outputpath out --tmppath tmp k.cfg
		TK+=("$SECS")
		rk=$RSS
		fsck.fat -n "out/$name.vfat" >/dev/null || { echo "kiln image not clean" >&2; exit 1; }
		rm -f m.img && drop
		s=$(date +%s.%N)
		truncate -s "${mib}M" m.img
		mkfs.vfat m.img >/dev/null
		(cd "$dir" && mcopy -s -i ../m.img ./* ::)
		sync -f m.img
		e=$(date +%s.%N)
		TM+=("$(echo "$e - $s" | bc)")
		rm -f m.img floor.img && drop
		s=$(date +%s.%N)
		find "$dir" -type f -print0 | xargs -0 cat >/dev/null
		dd if=/dev/zero of=floor.img bs=4M count=$((mib / 4)) conv=fsync status=none
		e=$(date +%s.%N)
		TF+=("$(echo "$e - $s" | bc)")
		rm -f floor.img
	done
	tk=$(median "${TK[@]}") tm=$(median "${TM[@]}") tf=$(median "${TF[@]}")
	printf '(%s) %-8s %5d files, %4d MB, %d MiB image\n' "$name" "$dir" "$nfiles" $((bytes / 1000000)) "$mib"
	printf '    kiln %6.2f s | mkfs.vfat+mcopy+sync %6.2f s | floor %6.2f s\n' "$tk" "$tm" "$tf"
	printf '    kiln/floor = %.2fx   (mkfs+mcopy)/kiln = %.2fx   peak RSS kiln %d KiB\n' \
		"$(echo "$tk / $tf" | bc -l)" "$(echo "$tm / $tk" | bc -l)" "$rk"
	LAST_RSS=$rk LAST_FILES=$nfiles
}

mkdir -p root
bench_tree a boot 80
rss_a=$LAST_RSS files_a=$LAST_FILES
bench_tree b rootfs 160
# Peak RSS is mostly constant (12 MiB of write buffers, the binary); the
# part that grows with the tree is the difference between the two runs.
printf 'kiln memory per 10,000 files (growth from (a) to (b)): %d KiB\n' \
	$(((LAST_RSS - rss_a) * 10000 / (LAST_FILES - files_a)))
