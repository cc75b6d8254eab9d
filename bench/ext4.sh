#!/bin/bash
# ext4 benchmark (issue 4): kiln vs `mke2fs -t ext4 -d` vs the floor
# (reading every input once and writing the data once, with fsync), on
# the same trees, one run each after a cache-warming read.
#
# usage: bench/ext4.sh [TREE...]
#   default trees: a minbase-sized one (/usr/include, ~130 MB, ~9,000
#   entries) and a large one (/usr/share, ~1.4 GB, ~67,000 entries).
#   BENCH_DEBOOTSTRAP=1 builds a real Debian minbase with debootstrap
#   first (needs root and the Debian mirror).
# Prints time per tool, the ratios, and kiln's peak memory per entry: of a
# first build with a fresh store (the default setup; what the store adds
# is the stat index and the image's key) and with --no-cache. Measured
# (release build; docs/config/trees.md says what it consists of): on
# /usr/share, 67,667 entries, ~494 B/entry (~278 with --no-cache;
# 2026-12-05, 2 CPUs: the store's input readers add a 2 MiB constant). On a
# tree as small as /usr/include the peak is mostly the constant and the
# figure varies by +-50 B/entry from run to run.
. "$(dirname "$0")/tree.inc"

trees=("$@")
if [ ${#trees[@]} = 0 ]; then
	if [ "${BENCH_DEBOOTSTRAP:-0}" = 1 ] && command -v debootstrap >/dev/null; then
		debootstrap --variant=minbase bookworm "$W/minbase" >/dev/null
		trees=("$W/minbase" /usr/share)
	else
		trees=(/usr/include /usr/share)
	fi
fi

# peak RSS in KiB of a command (GNU time)
run_timed() { # OUT_RSS_FILE CMD...
	local rss=$1
	shift
	/usr/bin/time -f %M -o "$rss" "$@"
}
# kiln CFG RSS_FILE [--no-cache]: one build, with a fresh store unless
# --no-cache (the user's store would make it a cache hit, or load the
# stat index of every file it ever hashed).
kiln_build() {
	local cfg=$1 rss=$2
	shift 2
	rm -rf "$W/store"
	[ $# = 0 ] && set -- --cache "$W/store"
	run_timed "$rss" "$B/kiln" build "$@" --outputpath "$W/out" --tmppath "$W/tmp" "$cfg" >/dev/null
}

# kiln's constant memory: a tree of one 32 MiB file (binary, libraries,
# and the write buffers, which only data touches).
mkdir -p "$W/empty" "$W/out" "$W/tmp"
head -c $((32 << 20)) /dev/urandom >"$W/empty/blob"
printf 'image e.ext4 {\n\text4 {}\n\tsrcpath = "%s"\n\tsize = 1G\n}\n' "$W/empty" >"$W/e.cfg"
kiln_build "$W/e.cfg" "$W/rss0"
kiln_build "$W/e.cfg" "$W/nrss0" --no-cache
rm -f "$W/out/e.ext4"
rss0=$(cat "$W/rss0")
nrss0=$(cat "$W/nrss0")
echo "kiln constant (one-file tree): $rss0 KiB peak RSS ($nrss0 with --no-cache)"

printf '%-22s %8s %9s %8s %8s %8s %9s %9s %12s %10s\n' tree entries MB floor_s mke2fs_s kiln_s \
	mke2fs/fl kiln/fl kiln_B/entry nocache_B/e
for t in "${trees[@]}"; do
	tree_stats "$t"
	# Room for the data and the metadata of many small files.
	size_mb=$(( (kb / 1024) * 13 / 10 + entries * 6 / 1024 + 64 ))

	# Floor: read every file once, write the bytes once, fsync.
	rm -f "$W/floor.img"
	s=$(now)
	find "$t" -xdev -type f -print0 | xargs -0 cat >"$W/floor.img" 2>/dev/null || true
	sync "$W/floor.img"
	e=$(now)
	floor=$(echo "$e - $s" | bc)
	rm -f "$W/floor.img"

	# mke2fs -d (root_owner so it does not take the caller's ids for /).
	rm -f "$W/m.img"
	s=$(now)
	mke2fs -q -F -t ext4 -d "$t" -E root_owner=0:0 "$W/m.img" "${size_mb}M" >/dev/null 2>&1
	sync "$W/m.img"
	e=$(now)
	mk=$(echo "$e - $s" | bc)
	rm -f "$W/m.img"

	# kiln (fsyncs before the rename).
	mkdir -p "$W/out" "$W/tmp"
	printf 'image k.ext4 {\n\text4 {}\n\tsrcpath = "%s"\n\tsize = %sM\n}\n' "$t" "$size_mb" >"$W/k.cfg"
	s=$(now)
	kiln_build "$W/k.cfg" "$W/rss"
	e=$(now)
	ki=$(echo "$e - $s" | bc)
	e2fsck -fn "$W/out/k.ext4" >/dev/null 2>&1 || echo "WARNING: e2fsck reports problems on kiln's image of $t"
	rm -f "$W/out/k.ext4"
	kiln_build "$W/k.cfg" "$W/nrss" --no-cache
	rm -f "$W/out/k.ext4"
	rss=$(cat "$W/rss")
	nrss=$(cat "$W/nrss")

	printf '%-22s %8d %9d %8.2f %8.2f %8.2f %9.2f %9.2f %12d %10d\n' "$t" "$entries" $((kb / 1024)) \
		"$floor" "$mk" "$ki" "$(echo "$mk / $floor" | bc -l)" "$(echo "$ki / $floor" | bc -l)" \
		$(((rss - rss0) * 1024 / entries)) $(((nrss - nrss0) * 1024 / entries))
done
echo "(B/entry = (kiln's peak RSS - the one-file constant) / entries; input tree included)"
