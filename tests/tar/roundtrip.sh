# tar: GNU tar extracts exactly the input tree (bytes, modes, numeric
# owners, times clamped to SOURCE_DATE_EPOCH, xattrs, devices, FIFOs,
# symlinks, hard links of several types); sockets are left out with a
# warning; entries in sorted pre-order from "./" with empty user/group
# names; compression follows the image name as in genimage (gzip without
# timestamp, bzip2, xz, zstd); twin: genimage (GNU tar) on the same tree
# extracts to the same files; reproducible across directories and umasks.
. "$KILN_TESTLIB"
need tar python3 setfattr getfattr gzip xz zstd bzip2
[ "$(id -u)" = 0 ] || skip "needs root to make device nodes and owners in the source tree"
list() { python3 "$KILN_SRC/tests/squashfs/treelist.py" "$@"; }

mkdir -p root/bin root/etc/deep root/dev root/home/u input
echo hello > root/etc/hello
head -c 300001 /dev/urandom > root/bin/big; chmod 4755 root/bin/big
ln root/bin/big root/a-first-link        # sorts before its target
ln -s ../etc/hello root/bin/link; ln root/bin/link root/bin/link-hl
mkfifo root/dev/fifo; ln root/dev/fifo root/dev/fifo-hl
mknod root/dev/null c 1 3; mknod root/dev/sda b 8 0
python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('root/dev/sock')"
long=root/etc/deep/$(printf 'n%.0s' $(seq 120))   # needs a pax header
echo long > $long
chown 1000:1001 root/home/u root/etc/hello
setfattr -n user.foo -v bar root/etc/hello
setfattr -n trusted.t -v 1 root/home/u
find root -exec touch -h -d @1600000000 {} +
touch -d @1800000000 root/etc/hello         # after the epoch: clamped

cat > k.cfg <<C
tree t { layer { dir = "$T/root" keep-owner = true xattrs = { "user", "trusted" } } }
image r.tar { tar { } tree = t }
image r.tar.gz { tar { } tree = t }
image r.tgz { tar { } tree = t }
image r.tar.bz2 { tar { } tree = t }
image r.tar.xz { tar { } tree = t }
image r.tar.zst { tar { } tree = t }
C
"$KILN" build --no-bmap k.cfg >/dev/null 2>err.txt
grep -q "tar: 1 socket(s) left out (e.g. sock)" err.txt || { cat err.txt; fail "no warning for the socket"; }

# order and names
tar -tf images/r.tar > names.txt
python3 - root > want-names.txt <<'P'
import os, sys
def walk(d, rel):
    for n in sorted(os.listdir(d), key=os.fsencode):
        p = os.path.join(d, n)
        if n == 'sock':
            continue
        isdir = os.path.isdir(p) and not os.path.islink(p)
        print('./' + rel + n + ('/' if isdir else ''))
        if isdir:
            walk(p, rel + n + '/')
print('./')
walk(sys.argv[1], '')
P
diff want-names.txt names.txt || fail "entries are not in sorted pre-order from ./"
tar -tvv --numeric-owner -f images/r.tar > tv.txt
grep -q "^hrw.* ./bin/big link to ./a-first-link$" tv.txt || { cat tv.txt; fail "hard link not to the first name in order"; }
python3 - images/r.tar <<'P' || fail "user/group names are not empty"
import sys, tarfile
for m in tarfile.open(sys.argv[1]):
    assert m.uname == '' and m.gname == '', (m.name, m.uname, m.gname)
P

# extract and compare
rm root/dev/sock; touch -d @1600000000 root/dev
list --epoch "$SOURCE_DATE_EPOCH" --xattrs root > want.txt
for f in r.tar r.tar.gz r.tgz r.tar.bz2 r.tar.xz r.tar.zst; do
	rm -rf x; mkdir x
	tar -C x --xattrs --xattrs-include='*' --numeric-owner -xpf images/$f || fail "$f: tar -x failed"
	list --xattrs x > got.txt
	diff want.txt got.txt || fail "$f: extracted tree differs from the input"
done
[ "$(od -An -tx1 -j3 -N5 images/r.tar.gz | tr -d ' ')" = 0000000000 ] || fail "gzip header has a name or mtime"
file_is() { [ "$(od -An -tx1 -N$2 images/$1 | tr -d ' ')" = "$3" ] || fail "$1 is not $4"; }
file_is r.tgz 2 1f8b gzip; file_is r.tar.bz2 3 425a68 bzip2
file_is r.tar.xz 6 fd377a585a00 xz; file_is r.tar.zst 4 28b52ffd zstd
[ $(( $(stat -c %s images/r.tar) % 10240 )) = 0 ] || fail "plain tar not in 10240-byte records"
# Compressed, the tar stream inside is padded to 10240-byte records too (what
# `tar czf` compresses) and is the plain archive byte for byte; the file
# ends with the compressor's stream (no padding after it).
for z in "r.tar.gz gzip" "r.tar.bz2 bzip2" "r.tar.xz xz" "r.tar.zst zstd"; do
	set -- $z
	$2 -dc images/$1 > inner.tar || fail "$1: $2 -d failed"
	[ $(( $(stat -c %s inner.tar) % 10240 )) = 0 ] || fail "$1: tar stream not padded to 10240-byte records"
	cmp inner.tar images/r.tar || fail "$1: tar stream differs from r.tar"
done
# genimage's test: a tiny tree's test.tar.gz is 500..600 bytes (the zeros of
# the padded record compress to a few bytes; gzip ends at its trailer).
mkdir -p small/d; echo a > small/d/f
cat > s.cfg <<C
tree s { layer { dir = "$T/small" } }
image s.tar.gz { tar { } tree = s }
C
"$KILN" build --no-bmap s.cfg >/dev/null 2>&1 || fail "small tar.gz"
[ "$(gzip -dc images/s.tar.gz | wc -c)" = 10240 ] || fail "small tar.gz: not one 10240-byte record"
gzip -t images/s.tar.gz || fail "small tar.gz: trailing bytes after the gzip stream"
"$KILN" plan k.cfg | grep -q "tar (pax/ustar) + xz: [0-9]* entries, $(stat -c %s images/r.tar.xz) bytes" \
	|| fail "kiln plan does not give the archive's size"

# twin: genimage runs GNU tar on the same tree
if command -v genimage >/dev/null; then
	# genimage keeps the host's owners (kiln's genimage mode: 0:0, as under
	# fakeroot) and its copy of rootpath loses FIFO hard links: a tree
	# without those differences. GNU tar does not clamp times.
	cp -a root groot; chown -R 0:0 groot; rm groot/dev/fifo-hl
	touch -d @1600000000 groot/etc/hello groot/dev
	cat > g.cfg <<'C'
image g.tar { tar { } }
C
	genimage --config g.cfg --rootpath groot --outputpath gout --tmppath gtmp --inputpath input >/dev/null 2>&1 \
		|| fail "genimage failed"
	"$GENIMAGE_KILN" --config g.cfg --rootpath groot --outputpath kout --tmppath ktmp --inputpath input >/dev/null 2>&1 \
		|| fail "kiln as genimage failed"
	for o in gout kout; do
		rm -rf $o.x; mkdir $o.x
		tar -C $o.x --numeric-owner -xpf $o/g.tar
		list $o.x > $o.txt
	done
	diff gout.txt kout.txt || fail "genimage's and kiln's archives extract differently"
fi

# reproducible: another directory, another umask
mkdir o2; cp k.cfg o2/
(cd o2 && umask 077 && "$KILN" build --no-bmap k.cfg >/dev/null 2>&1)
for f in r.tar r.tar.gz r.tar.bz2 r.tar.xz r.tar.zst; do
	cmp images/$f o2/images/$f || fail "$f not reproducible"
done
echo ok
