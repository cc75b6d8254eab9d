# erofs with lz4/lz4hc (mkfs.erofs -zlz4 -E legacy-compress layout):
# fsck.erofs extracts (decompresses) exactly the input, the kernel reads
# it back when the test may mount, files that compress are stored
# compressed (dump.erofs layout 1) and those that do not are not,
# mkfs.erofs on the same tree extracts to the same tree and its image is
# at most 5% smaller than kiln's, and two builds are identical.
. "$KILN_TESTLIB"
need fsck.erofs dump.erofs mkfs.erofs python3 setfattr
export SOURCE_DATE_EPOCH=1700000000

mkdir -p src/text src/bin
# ~1.5 MB of C-like text and 60 smaller files, generated from a fixed seed:
# how well the tree compresses must not depend on kiln's own sources.
python3 - <<'PY'
import random
r = random.Random(12)
words = ("static int struct const unsigned char return if else for while "
	 "uint64_t uint32_t size_t len off blk nid inode dir name buf diag "
	 "goto out err sizeof memcpy memset NULL break case switch void "
	 "erofs_ino block cluster extent write read plan tree node").split()
def text(n):
	out, size = [], 0
	while size < n:
		line = "\t" * r.randint(0, 3) + " ".join(r.choice(words) for _ in range(r.randint(2, 10))) + ";\n"
		out.append(line)
		size += len(line)
	return "".join(out)
open("src/text/all.c", "w").write(text(1500000))
for i in range(60):
	open("src/text/f%02d.c" % i, "w").write(text(r.randint(2000, 30000)))
PY
head -c 300000 /dev/urandom >src/bin/random                  # does not compress
head -c 5000 /dev/urandom >src/bin/small-random
python3 -c 'import sys; sys.stdout.write("a" * 8192)' >src/text/aligned    # exactly 2 clusters
python3 -c 'import sys; sys.stdout.write("b" * 4097)' >src/text/just-over
python3 -c 'import sys; sys.stdout.write("c" * 4096)' >src/text/one-block
head -c 3000000 /dev/zero >src/bin/zeros
cat src/bin/random src/text/all.c src/bin/small-random src/text/all.c >src/bin/mixed
# Text whose last compressed extent ends inside a cluster, then a tail
# that does not compress: the plain blocks after it start on the cluster.
for n in 1 4095 4096 4097 8000; do
	{ head -c 20000 src/text/f00.c; head -c $n src/bin/random; } >src/bin/tail-$n
done
ln src/text/all.c src/hardlink.c
setfattr -n user.kind -v source src/text/all.c 2>/dev/null || true
: >src/empty

cat >k.cfg <<'C'
image z.erofs { erofs { extraargs = "-zlz4" } srcpath = "src" }
image h.erofs { erofs { extraargs = "-zlz4hc,12 -E legacy-compress -C 4096" } srcpath = "src" }
image u.erofs { erofs { } srcpath = "src" }
C
"$KILN" build --no-bmap --inputpath . --outputpath out --tmppath tmp k.cfg 2>err || { cat err; fail "build"; }

sum() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
sum src >want.txt
for i in z h; do
	fsck.erofs --extract=x-$i out/$i.erofs >fsck.log 2>&1 || { cat fsck.log; fail "fsck.erofs $i"; }
	sum x-$i >got.txt
	diff want.txt got.txt || fail "$i.erofs: extracted bytes differ"
done
layout() { dump.erofs --path="$2" "$1" | sed -n 's/.*Layout: \([0-9]*\).*/\1/p'; }
for f in /text/all.c /text/aligned /text/just-over /bin/zeros /bin/mixed /bin/tail-4097; do
	[ "$(layout out/z.erofs $f)" = 1 ] || fail "$f is not compressed"
done
for f in /bin/random /bin/small-random /text/one-block; do
	[ "$(layout out/z.erofs $f)" != 1 ] || fail "$f is compressed but gains nothing"
done
# Twin: mkfs.erofs with the same compressor and layout.
mkfs.erofs -zlz4 -E legacy-compress out/twin.erofs src >/dev/null 2>&1 || fail "mkfs.erofs"
fsck.erofs --extract=x-twin out/twin.erofs >/dev/null 2>&1 || fail "fsck twin"
sum x-twin >twin.txt
diff want.txt twin.txt || fail "mkfs.erofs twin extracts differently"
# Extents end where lz4 stops, inside a logical cluster, as mkfs.erofs':
# kiln's image is at most 5% larger than the twin's; lz4hc no larger.
zs=$(stat -c %s out/z.erofs); hs=$(stat -c %s out/h.erofs); ts=$(stat -c %s out/twin.erofs)
us=$(stat -c %s out/u.erofs)
echo "sizes: lz4 $zs lz4hc $hs mkfs.erofs-lz4 $ts uncompressed $us" >&2
[ "$zs" -le $((ts * 105 / 100)) ] || fail "lz4 image $zs is more than 105% of mkfs.erofs' $ts"
[ "$hs" -le "$zs" ] || fail "lz4hc ($hs) larger than lz4 ($zs)"
"$KILN" inspect out/z.erofs >insp.txt || { cat insp.txt; fail "kiln inspect"; }

# The kernel decompresses both.
mkdir mnt
for i in z h; do
	if [ "$(id -u)" = 0 ] && mount -t erofs -o loop,ro out/$i.erofs mnt 2>/dev/null; then
		trap 'umount "$T/mnt" 2>/dev/null || true; rm -rf "$T"' EXIT
		sum mnt >got-m.txt
		[ "$(stat -c %i mnt/hardlink.c)" = "$(stat -c %i mnt/text/all.c)" ] ||
			{ umount mnt; fail "$i.erofs: hard link"; }
		umount mnt
		diff want.txt got-m.txt || fail "$i.erofs: the kernel reads different bytes"
		echo "kernel read $i.erofs" >&2
	else
		echo "SKIP (mount not permitted here): kernel decompression of $i.erofs" >&2
	fi
done

mkdir again && cp k.cfg again/ && ln -s ../src again/src
(cd again && umask 077 && "$KILN" build --no-bmap --inputpath . --outputpath out --tmppath tmp k.cfg 2>/dev/null) \
	|| fail "second build"
cmp out/z.erofs again/out/z.erofs || fail "z.erofs differs between builds"
cmp out/h.erofs again/out/h.erofs || fail "h.erofs differs between builds"
echo ok
