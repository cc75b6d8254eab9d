# erofs in genimage mode, as genimage runs mkfs.erofs 1.5: the file is the
# filesystem's own size (`size` is a limit and what a partition reserves,
# never padding); SOURCE_DATE_EPOCH, when set, is the build time and every
# mtime is the tree's clamped to it, even with `fs-timestamp` (-T); without
# it `fs-timestamp` is the build time and every inode's time. Native mode
# keeps its documented rules: padding to `size`, `fs-timestamp` wins.
# Oracles: fsck.erofs (check and --extract), dump.erofs, sfdisk.
. "$KILN_TESTLIB"
need fsck.erofs dump.erofs python3 sfdisk
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC0

mkdir -p src/dir/sub
echo hello >src/old
echo new >src/dir/future
head -c 5000 /dev/urandom >src/dir/sub/data
find src -exec touch -h -d @1650000000 {} +
touch -d '@1600000000' src/old
touch -d '@1800000000' src/dir/future      # clamped to the epoch
touch -d '@1550000000' src/dir/sub

cat >g.cfg <<'C'
image e.erofs {
	erofs {
		fs-timestamp = "1400000000"
		extraargs = "-U 83d9e40a-fb96-469e-abb9-24fb3c3bd0ff"
	}
	size = 4M
}
image d.img {
	hdimage { partition-table-type = "mbr" }
	partition root { image = "e.erofs" partition-type = 0x83 }
}
C

# mtimes of a tree, one "path seconds" line each (directories too).
times() {
	python3 - "$1" "${2:-}" <<'P'
import os, sys
root, fixed = sys.argv[1], sys.argv[2]
epoch = int(os.environ['SOURCE_DATE_EPOCH'])
for d, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        t = int(fixed) if fixed else min(int(os.lstat(p).st_mtime), epoch)
        print(os.path.relpath(p, root), t)
P
}
created() { dump.erofs -s "$1" | sed -n 's/^Filesystem created: *//p'; }
when() { date -d "@$1" '+%a %b %e %H:%M:%S %Y'; }
check() { # IMAGE LABEL
	fsck.erofs "$1" >fsck.log 2>&1 || { cat fsck.log; fail "$2: fsck.erofs"; }
	rm -rf x && fsck.erofs --extract=x "$1" >fsck.log 2>&1 || { cat fsck.log; fail "$2: extract"; }
}
fs_bytes() { echo $(($(dump.erofs -s "$1" | sed -n 's/^Filesystem blocks: *//p') * 4096)); }

# genimage mode under SOURCE_DATE_EPOCH.
"$GENIMAGE_KILN" --rootpath src --inputpath . --outputpath g --tmppath tmp --config g.cfg 2>err \
	|| { cat err; fail "genimage mode build"; }
check g/e.erofs genimage
bytes=$(stat -c %s g/e.erofs)
[ "$bytes" = "$(fs_bytes g/e.erofs)" ] || fail "genimage: file is $bytes bytes, the filesystem $(fs_bytes g/e.erofs)"
[ "$bytes" -lt 4194304 ] || fail "genimage: padded to size ($bytes bytes)"
[ "$(created g/e.erofs)" = "$(when 1700000000)" ] \
	|| fail "genimage: build time $(created g/e.erofs), want SOURCE_DATE_EPOCH's"
times src >want.txt; times x >got.txt
diff want.txt got.txt || fail "genimage: extracted mtimes are not the tree's clamped to the epoch"
grep -qx 'dir/future 1700000000' got.txt || fail "genimage: future mtime not clamped"
# The partition reserves `size`, as genimage's hdimage does; it holds the filesystem.
psize=$(sfdisk -J g/d.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["size"])')
[ "$psize" = 8192 ] || fail "genimage: partition is $psize sectors, want 8192 (size = 4M)"
start=$(sfdisk -J g/d.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"])')
dd if=g/d.img of=part.erofs bs=512 skip="$start" count=8192 status=none
cmp -n "$bytes" part.erofs g/e.erofs || fail "genimage: partition does not hold e.erofs"
check part.erofs partition

# genimage mode without SOURCE_DATE_EPOCH: fs-timestamp (-T) decides.
env -u SOURCE_DATE_EPOCH "$GENIMAGE_KILN" --rootpath src --inputpath . --outputpath n \
	--tmppath tmp --config g.cfg 2>err || { cat err; fail "genimage mode build without epoch"; }
check n/e.erofs no-epoch
[ "$(created n/e.erofs)" = "$(when 1400000000)" ] || fail "no epoch: build time $(created n/e.erofs)"
times src 1400000000 >want.txt; times x >got.txt
diff want.txt got.txt || fail "no epoch: mtimes are not fs-timestamp"

# Native mode: padded to size, fs-timestamp over SOURCE_DATE_EPOCH.
"$KILN" build --no-bmap --rootpath src --inputpath . --outputpath k --tmppath tmp g.cfg 2>err \
	|| { cat err; fail "native build"; }
check k/e.erofs native
[ "$(stat -c %s k/e.erofs)" = 4194304 ] || fail "native: not padded to size"
[ "$(created k/e.erofs)" = "$(when 1400000000)" ] || fail "native: build time $(created k/e.erofs)"
times src 1400000000 >want.txt; times x >got.txt
diff want.txt got.txt || fail "native: mtimes are not fs-timestamp"

# `size` stays a limit in genimage mode: too small names its own line.
printf 'image e.erofs {\n\terofs { }\n\tsize = 4096\n}\n' >s.cfg
rm -rf s
expect_fail_clean "s.cfg:3: image 'e.erofs': size = 4096: erofs needs [0-9]+ bytes" s \
	"$GENIMAGE_KILN" --rootpath src --inputpath . --outputpath s --tmppath tmp --config s.cfg
echo ok
