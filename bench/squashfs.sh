#!/bin/bash
# squashfs benchmark (issue 14): kiln (libsquashfs, from its tree) vs
# mksquashfs on the same trees, same compressor and block size, one run
# each after a cache-warming read.
#
# usage: bench/squashfs.sh [TREE...]
#   default trees: /usr/include (~9,000 small files) and the module tree
#   of the arm64 kernel package of examples/rpi3/kiln.lock (fetched into the
#   suite's store, bench/kernel-deb.inc; dpkg-deb -x).
#   BENCH_COMP (default gzip) and BENCH_BLOCK (default 128k; genimage's
#   default is 4096) choose the settings for both tools.
# Prints entries, MB, seconds per tool, the time ratio and the sizes.
. "$(dirname "$0")/tree.inc"
COMP=${BENCH_COMP:-gzip}
BLOCK=${BENCH_BLOCK:-128k}

trees=("$@")
if [ ${#trees[@]} = 0 ]; then
	trees=(/usr/include)
	KILN=$B/kiln
	. "$SRC/bench/kernel-deb.inc"
	dpkg-deb -x "$KDEB" "$W/linux-image"
	trees+=("$W/linux-image")
fi

mkdir -p "$W/out" "$W/tmp"
printf '%-24s %8s %7s %10s %7s %12s %12s %8s\n' tree entries MB mksquashfs kiln kiln/mksq mksq_bytes kiln_bytes
for t in "${trees[@]}"; do
	tree_stats "$t"

	rm -f "$W/m.sqfs"
	s=$(now)
	mksquashfs "$t" "$W/m.sqfs" -b "$BLOCK" -comp "$COMP" -noappend -quiet -no-progress >/dev/null
	e=$(now)
	mt=$(echo "$e - $s" | bc)

	printf 'image k.sqfs {\n\tsquashfs { compression = "%s" block-size = "%s" }\n\tsrcpath = "%s"\n}\n' \
		"$COMP" "$BLOCK" "$t" >"$W/k.cfg"
	s=$(now)
	"$B/kiln" build --no-bmap --outputpath "$W/out" --tmppath "$W/tmp" "$W/k.cfg" >/dev/null 2>&1
	e=$(now)
	kt=$(echo "$e - $s" | bc)

	printf '%-24s %8d %7d %10.2f %7.2f %12.2f %12d %12d\n' "$(basename "$t")" "$entries" \
		$((kb / 1024)) "$mt" "$kt" "$(echo "$kt / $mt" | bc -l)" \
		"$(stat -c %s "$W/m.sqfs")" "$(stat -c %s "$W/out/k.sqfs")"
	rm -f "$W/m.sqfs" "$W/out/k.sqfs"
done
