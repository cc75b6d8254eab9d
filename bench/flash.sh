#!/bin/bash
# Benchmark: writing a 2 GiB image with ~15% mapped to a regular file (and
# to a loop device when run as root where losetup works):
#   kiln flash (with read-back verification) vs dd bs=4M conv=fsync vs
#   bmaptool copy. Best of RUNS (default 3) rounds, because a shared
#   machine is noisy; prints seconds and ratios.
# usage: [RUNS=n] bench/flash.sh [KILN_BINARY]   (default build/kiln)
set -euo pipefail
KILN=${1:-${KILN:-build/kiln}}
KILN=$(realpath "$KILN")
command -v bmaptool >/dev/null || { echo "bmaptool not installed" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/var/tmp}/kiln-bench.XXXXXX")
LOOP=
cleanup() { [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"

# 2 GiB, 48 extents of 6.4 MiB spread over the image = 15% mapped.
truncate -s 2G img
head -c $((48 * 6554 * 1024)) /dev/urandom > data
for i in $(seq 0 47); do
	dd if=data of=img bs=1024 count=6554 skip=$((i * 6554)) seek=$((i * 43690)) \
		conv=notrunc status=none
done
rm data
"$KILN" bmap img
mapped=$(sed -n 's/.*<MappedBlocksCount> \([0-9]*\) .*/\1/p' img.bmap)
echo "image: 2 GiB, $((mapped * 4096 / 1048576)) MiB mapped ($((mapped * 100 / 524288))%)"

drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); awk "BEGIN{print $e - $s}"; }

RUNS=${RUNS:-3}
min() { awk "BEGIN{print ($1 < $2) ? $1 : $2}"; }
run_set() { # TARGET-KIND TARGET
	local kind=$1 tgt=$2 tk=999 tn=999 td=999 tb=999 i
	for i in $(seq "$RUNS"); do
		rm_file() { if [ "$kind" = file ]; then rm -f "$tgt"; fi; }
		rm_file; drop; tk=$(min "$(t "$KILN" flash --yes --force img "$tgt")" "$tk")
		if [ "$kind" = file ]; then cmp img "$tgt" || { echo "kiln flash: target differs" >&2; exit 1; }; fi
		rm_file; drop; tn=$(min "$(t "$KILN" flash --no-verify --yes --force img "$tgt")" "$tn")
		rm_file; drop; td=$(min "$(t dd if=img of="$tgt" bs=4M conv=fsync)" "$td")
		rm_file; drop; tb=$(min "$(t bmaptool copy --bmap img.bmap img "$tgt")" "$tb")
		rm_file
	done
	printf '%-5s kiln flash (verified) %6.2f s | kiln --no-verify %6.2f s | dd bs=4M conv=fsync %6.2f s | bmaptool copy %6.2f s\n' \
		"$kind" "$tk" "$tn" "$td" "$tb"
	printf '%-5s dd/kiln = %.1fx   bmaptool/kiln = %.2fx   bmaptool/kiln-no-verify = %.2fx\n' "$kind" \
		"$(awk "BEGIN{print $td / $tk}")" "$(awk "BEGIN{print $tb / $tk}")" "$(awk "BEGIN{print $tb / $tn}")"
	echo "      (load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs)"
}

run_set file "$W/target"
if [ "$(id -u)" = 0 ] && truncate -s 2G dev && LOOP=$(losetup -f --show dev 2>/dev/null); then
	run_set loop "$LOOP"
else
	echo "loop device: skipped (needs root and a working losetup)"
fi
