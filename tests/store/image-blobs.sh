# Finished images are kept in img/, named by their chunk hash (the
# definition in src/store/store.h, computed independently by
# img-hash.py), and are not fsynced: every use re-hashes them, so damage
# (a data range turned into a hole, a lost tail) is a miss, warned
# about and rebuilt, and `kiln cache verify` finds it.
. "$KILN_TESTLIB"
need python3 strace fallocate
H="python3 $KILN_SRC/tests/store/img-hash.py"
mkdir -p root boot data
python3 -c '
import random
r = random.Random(12)
for i in range(40):
    open("root/f%02d" % i, "wb").write(r.randbytes(60000))
open("boot/kernel", "wb").write(r.randbytes(900000))
open("data/blob", "wb").write(r.randbytes(3000000))
'
cat >d.cfg <<'C'
image boot.vfat { vfat { } srcpath = "boot" size = 16M temporary = true }
image root.ext4 { ext4 { } srcpath = "root" size = 24M temporary = true }
image data.ext4 { ext4 { } srcpath = "data" size = 20M }
image disk.img {
	hdimage { disk-signature = 0x4b494c4e }
	partition boot { partition-type = 0xc image = "boot.vfat" }
	partition root { partition-type = 0x83 image = "root.ext4" }
}
C
build() {
	local n=$1
	shift
	"$KILN" build --explain --outputpath "$n" --tmppath "$n.tmp" "$@" d.cfg >"$n.log" 2>&1 ||
		{ cat "$n.log"; fail "build $n"; }
}
same() {
	for f in disk.img data.ext4; do
		cmp ref/$f "$1/$f" || fail "$1/$f differs from a build without the store"
	done
}
build ref --no-cache
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -y -e trace=fsync,fdatasync,renameat,renameat2,read,pread64 -o cold.trace \
	"$KILN" build --outputpath cold --tmppath cold.tmp d.cfg >cold.log 2>&1 || { cat cold.log; fail "cold build"; }
same cold

# Every image blob has the name the definition gives its bytes.
n=0
for b in $(find "$KILN_CACHE/img" -type f); do
	[ "$($H "$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "$b is not named by its chunk hash"
	n=$((n + 1))
done
# boot.vfat, root.ext4, data.ext4 and the disk's bytes around its partitions.
[ "$n" = 4 ] || { find "$KILN_CACHE" -type f; fail "$n image blobs in img/, expected 4"; }
h=$($H cold/data.ext4 | cut -d' ' -f1)
blob=$KILN_CACHE/img/${h:0:2}/$h
[ -f "$blob" ] || fail "data.ext4 is not in img/ under its chunk hash"

# No temporary that became an image blob was fsynced; the outputs were.
# Images were hashed as they were copied in, never read back: only the
# disk's blob, assembled from the bytes around its partitions, is.
python3 - cold.trace "$KILN_CACHE" <<'PY' || fail "image blobs were fsynced"
import re, sys
trace, store = open(sys.argv[1]).read(), sys.argv[2]
synced = set(re.findall(r'fsync\(\d+<[^>]*/(tmp/[0-9.]+)>', trace))
to_img = set(re.findall(r'renameat2?\(\d+<[^>]*>, "(tmp/[0-9.]+)", \d+<[^>]*>, "img/', trace))
if len(to_img) != 4:
    sys.exit("renames into img/: %d, expected 4" % len(to_img))
if synced & to_img:
    sys.exit("fsynced image blobs: %s" % sorted(synced & to_img))
read = set(re.findall(r'p?read(?:64)?\(\d+<[^>]*/(tmp/[0-9.]+)>', trace))
if len(read & to_img) > 1:
    sys.exit("image blobs read back after their copy: %d" % len(read & to_img))
if not re.search(r'fsync\(\d+<[^>]*/cold/', trace):
    sys.exit("no output was fsynced")
PY

# A data range of data.ext4's blob turned into a hole (what a crash can
# leave of a file that was not fsynced): the next build warns, rebuilds
# it, stores it afresh, same bytes.
chmod u+w "$blob"
fallocate -p -o 0 -l 8192 "$blob"
build holed
grep -q "warning: store .*$h: content does not match its hash" holed.log ||
	{ cat holed.log; fail "no warning for the holed image blob"; }
grep -q "data.ext4: built: its cached copy was missing or corrupt" holed.log ||
	{ cat holed.log; fail "data.ext4 was not rebuilt"; }
grep -q "disk.img: from the build cache" holed.log || { cat holed.log; fail "the disk was not a hit"; }
same holed
[ "$($H "$blob" | cut -d' ' -f1)" = "$h" ] || fail "data.ext4 was not stored afresh"

# A lost tail: `kiln cache verify` removes that blob alone (exit 1).
chmod u+w "$blob"
truncate -s $(($(stat -c %s "$blob") - 4096)) "$blob"
"$KILN" cache verify >verify.log 2>&1 && { cat verify.log; fail "verify passed a truncated image blob"; }
grep -q "$h: content does not match its hash" verify.log || { cat verify.log; fail "verify: no warning"; }
grep -q "^1 bad entry removed" verify.log || { cat verify.log; fail "verify: count"; }
[ ! -e "$blob" ] || fail "verify left the truncated blob"
"$KILN" cache verify >verify2.log 2>&1 || { cat verify2.log; fail "verify after removal"; }
build again
same again

# A store on another filesystem than the outputs (a tmpfs): no extents
# to share, copy_file_range may refuse (EXDEV), the bytes are written
# from the hashing buffer. Same names, same images from it.
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/kiln-test-store.XXXXXX)
	trap 'rm -rf "$T" "$KILN_CACHE" "$shm"' EXIT
	build shm1 --cache "$shm"
	same shm1
	for b in $(find "$shm/img" -type f); do
		[ -f "$KILN_CACHE/img/$(basename "$(dirname "$b")")/$(basename "$b")" ] ||
			fail "tmpfs store: $(basename "$b") is not a name the first store has"
	done
	[ "$(find "$shm/img" -type f | wc -l)" = 4 ] || fail "tmpfs store: not 4 image blobs"
	build shm2 --cache "$shm"
	grep -q "disk.img: from the build cache" shm2.log || { cat shm2.log; fail "tmpfs store: no hit"; }
	grep -q "data.ext4: from the build cache" shm2.log || { cat shm2.log; fail "tmpfs store: no hit"; }
	same shm2
fi
echo "image-blobs: ok ($n image blobs)"
