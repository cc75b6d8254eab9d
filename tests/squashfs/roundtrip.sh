# squashfs: unsquashfs extracts exactly the input tree (names, bytes,
# modes, owners, times clamped to SOURCE_DATE_EPOCH, xattrs, devices,
# FIFOs, sockets, symlinks, hard links of several types), for every
# compression libsquashfs has; the superblock says what was asked.
# Twin: mksquashfs of the same tree, as genimage runs it, holds the same
# filesystem (sqfsdiff with owners and times, unsquashfs -lln, superblock).
. "$KILN_TESTLIB"
need unsquashfs mksquashfs sqfsdiff rdsquashfs python3 setfattr setfacl getfattr
[ "$(id -u)" = 0 ] || skip "needs root to make device nodes and owners in the source tree"
list() { python3 "$KILN_SRC/tests/squashfs/treelist.py" "$@"; }

mkdir -p root/bin root/etc/deep/er root/dev root/empty root/home/u
echo hello > root/etc/hello
head -c 300001 /dev/urandom > root/bin/big; chmod 4755 root/bin/big
cp root/bin/big root/bin/dup            # a duplicate: stored once
ln root/bin/big root/bin/big-hl
ln -s ../etc/hello root/bin/link
ln root/bin/link root/bin/link-hl       # a hard-linked symlink
mkfifo root/dev/fifo; ln root/dev/fifo root/dev/fifo-hl
mknod root/dev/null c 1 3; mknod root/dev/sda b 8 0; mknod root/dev/big c 4095 1048575
python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('root/dev/sock')"
head -c 200000 /dev/zero > root/zeros    # sparse blocks
printf 'x%.0s' $(seq 5000) > root/etc/deep/er/text
chown 1000:1001 root/home/u root/etc/hello; chown 7:0 root/dev/fifo
chmod 1777 root/empty; chmod 0700 root/home/u
setfattr -n user.foo -v bar root/etc/hello
setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= root/bin/big
setfattr -n trusted.t -v 1 root/home/u
setfattr -n user.dir -v d root/etc
setfacl -m u:1234:r root/etc/deep/er/text  # system.*: squashfs cannot hold it
find root -exec touch -h -d @1600000000 {} +
touch -d @1800000000 root/etc/hello         # after the epoch: clamped

cat > k.cfg <<C
tree t { layer { dir = "$T/root" keep-owner = true xattrs = all } }
image gzip.sqfs { squashfs { } tree = t }
image xz.sqfs { squashfs { compression = "xz" block-size = "128k" } tree = t }
image zstd.sqfs { squashfs { compression = "zstd" block-size = "64k" } tree = t }
image lz4.sqfs { squashfs { compression = "lz4" extraargs = "-Xhc" } tree = t }
image none.sqfs { squashfs { compression = "none" } tree = t }
C
"$KILN" build --no-bmap k.cfg >/dev/null 2>err.txt
grep -q "extended attribute(s) dropped (e.g. system.posix_acl_access)" err.txt \
	|| { cat err.txt; fail "no warning for the ACL squashfs cannot hold"; }

setfacl -b root/etc/deep/er/text
list --epoch "$SOURCE_DATE_EPOCH" --xattrs root > want.txt
for c in gzip xz zstd none lz4; do
	img=images/$c.sqfs
	if [ $c = lz4 ]; then
		# unsquashfs 4.5 misreads libsquashfs' lz4 metadata (gensquashfs's
		# images too; the kernel mounts them), and rdsquashfs unpacks
		# hard links as copies: compare with the gzip image checked above
		# (sqfsdiff: contents, owners, modes, times, inode numbers).
		sqfsdiff -T -I -a images/gzip.sqfs -b $img > d.txt || { cat d.txt; fail "lz4 image differs"; }
		rdsquashfs -x /bin/big $img | grep -q "^security.capability=" || fail "lz4: xattr lost"
		continue
	fi
	rm -rf x; unsquashfs -q -n -d x $img >/dev/null || fail "$c: unsquashfs failed"
	list --xattrs x > got.txt
	diff want.txt got.txt || fail "$c: extracted tree differs from the input"
	[ $(( $(stat -c %s $img) % 4096 )) = 0 ] || fail "$c: not padded to 4 KiB"
	unsquashfs -s $img > super.txt
	want_comp=$c; [ $c = none ] && want_comp=gzip
	grep -qx "Compression $want_comp" super.txt || fail "$c: wrong compressor"
	grep -q "^Creation or last append time $(date -u -d @$SOURCE_DATE_EPOCH '+%a %b %e %H:%M:%S %Y')" super.txt \
		|| { cat super.txt; fail "$c: mkfs time is not SOURCE_DATE_EPOCH"; }
done
unsquashfs -s images/gzip.sqfs | grep -qx "Block size 4096" || fail "default block size is not genimage's 4096"
unsquashfs -s images/xz.sqfs | grep -qx "Block size 131072" || fail "block-size ignored"
unsquashfs -s images/none.sqfs | grep -qx "Data is uncompressed" || fail "none: data compressed"
unsquashfs -s images/none.sqfs | grep -qx "Inodes are uncompressed" || fail "none: inodes compressed"
unsquashfs -s images/gzip.sqfs | grep -qx "Number of inodes 20" || fail "inode count (hard links share one)"
# the duplicate file's blocks are stored once
[ $(stat -c %s images/gzip.sqfs) -lt 500000 ] || fail "duplicate data stored twice"

# twin: mksquashfs exactly as genimage runs it (SOURCE_DATE_EPOCH in the
# environment sets mksquashfs's mkfs time; it does not clamp file times,
# so the one file after the epoch gets the epoch here).
touch -d @"$SOURCE_DATE_EPOCH" root/etc/hello
mksquashfs root m.sqfs -b 4096 -noappend -comp gzip -quiet -no-progress >/dev/null
cat > k2.cfg <<C
tree t { layer { dir = "$T/root" keep-owner = true xattrs = all } }
image twin.sqfs { squashfs { } tree = t }
image alltime.sqfs { squashfs { extraargs = "-all-time 1650000000" } tree = t }
image noxattr.sqfs { squashfs { extraargs = "-no-xattrs -all-root" } tree = t }
C
"$KILN" build --no-bmap k2.cfg >/dev/null 2>&1
sqfsdiff -T -a images/twin.sqfs -b m.sqfs > d.txt || { cat d.txt; fail "kiln and mksquashfs images differ (sqfsdiff)"; }
unsquashfs -lln images/twin.sqfs > a.txt; unsquashfs -lln m.sqfs > b.txt
diff a.txt b.txt || fail "unsquashfs listings of kiln's and mksquashfs's images differ"
for f in "Number of inodes" "Number of ids" "Block size" "Compression" "Creation or last" "Filesystem is exportable"; do
	[ "$(unsquashfs -s images/twin.sqfs | grep "^$f")" = "$(unsquashfs -s m.sqfs | grep "^$f")" ] \
		|| fail "superblock differs from mksquashfs's: $f"
done
unsquashfs -lln images/alltime.sqfs > a.txt
! grep -v " 2022-04-15 05:20 " a.txt || fail "-all-time did not set every time"
rm -rf x; unsquashfs -q -n -d x images/noxattr.sqfs >/dev/null
[ -z "$(getfattr -d -m - x/etc/hello 2>/dev/null)" ] || fail "-no-xattrs kept xattrs"
[ "$(stat -c %u:%g x/etc/hello)" = 0:0 ] || fail "-all-root kept owners"

# genimage mode: genimage (mksquashfs) and kiln as genimage on one rootpath
if command -v genimage >/dev/null; then
	cp -a root groot; chown -R 0:0 groot   # kiln's genimage mode: owners 0:0
	printf 'image g.sqfs {\n\tsquashfs { compression = "xz" block-size = "64k" }\n}\n' > g.cfg
	mkdir -p input
	genimage --config g.cfg --rootpath groot --outputpath gout --tmppath gtmp --inputpath input >/dev/null 2>&1 \
		|| fail "genimage failed"
	"$GENIMAGE_KILN" --config g.cfg --rootpath groot --outputpath kout --tmppath ktmp --inputpath input >/dev/null 2>&1 \
		|| fail "kiln as genimage failed"
	sqfsdiff -T -a gout/g.sqfs -b kout/g.sqfs > d.txt || { cat d.txt; fail "genimage mode: images differ"; }
	[ "$(unsquashfs -s gout/g.sqfs | grep -E '^(Compression|Block size|Creation)')" = \
	  "$(unsquashfs -s kout/g.sqfs | grep -E '^(Compression|Block size|Creation)')" ] \
		|| fail "genimage mode: superblocks differ"
fi
echo ok
