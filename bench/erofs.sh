#!/bin/bash
# erofs benchmark: kiln vs `mkfs.erofs` on the same trees, uncompressed
# and lz4 (`-zlz4 -E legacy-compress`, kiln's layout), one run each after
# a cache-warming read.
#
# usage: bench/erofs.sh [TREE...]      default: /usr/include /usr/share
# Prints time per tool, the ratio, image sizes, kiln's peak memory, and
# whether both images extract (fsck.erofs) to the same tree.
. "$(dirname "$0")/tree.inc"

trees=("$@")
[ ${#trees[@]} = 0 ] && trees=(/usr/include /usr/share)
printf '%-22s %-6s %8s %8s %10s %8s %9s %9s %9s %8s\n' tree mode entries MB mkfs_s kiln_s kiln/mkfs mkfs_MB kiln_MB kiln_MiB
for mode in none lz4; do
zargs=""; [ $mode = lz4 ] && zargs="-zlz4 -E legacy-compress"
for t in "${trees[@]}"; do
	tree_stats "$t"

	rm -f "$W/m.erofs"
	s=$(now)
	# shellcheck disable=SC2086 # words
	mkfs.erofs $zargs -T "$SOURCE_DATE_EPOCH" "$W/m.erofs" "$t" >/dev/null 2>&1
	sync "$W/m.erofs"
	e=$(now)
	mk=$(echo "$e - $s" | bc)

	mkdir -p "$W/out" "$W/tmp"
	printf 'image k.erofs {\n\terofs { fs-timestamp = "%s" extraargs = "%s" }\n\tsrcpath = "%s"\n}\n' \
		"$SOURCE_DATE_EPOCH" "$zargs" "$t" >"$W/k.cfg"
	s=$(now)
	/usr/bin/time -f %M -o "$W/rss" "$B/kiln" build --no-bmap --outputpath "$W/out" \
		--tmppath "$W/tmp" "$W/k.cfg" >/dev/null 2>&1
	e=$(now)
	ki=$(echo "$e - $s" | bc)

	same=same
	rm -rf "$W/xm" "$W/xk"
	fsck.erofs --extract="$W/xm" "$W/m.erofs" >/dev/null 2>&1 || same="mkfs-fsck-failed"
	fsck.erofs --extract="$W/xk" "$W/out/k.erofs" >/dev/null 2>&1 || same="kiln-fsck-failed"
	[ "$same" = same ] && ! diff -r --no-dereference "$W/xm" "$W/xk" >/dev/null 2>&1 && same=DIFFERENT
	printf '%-22s %-6s %8d %8d %10.2f %8.2f %9.2f %9d %9d %8d  %s\n' "$t" "$mode" "$entries" $((kb / 1024)) \
		"$mk" "$ki" "$(echo "$ki / $mk" | bc -l)" $(($(stat -c %s "$W/m.erofs") >> 20)) \
		$(($(stat -c %s "$W/out/k.erofs") >> 20)) $(($(cat "$W/rss") / 1024)) "$same"
	rm -rf "$W/xm" "$W/xk" "$W/m.erofs" "$W/out/k.erofs"
done
done
