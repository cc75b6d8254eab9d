# squashfs, compression = "lzo": Debian's libsquashfs has no LZO, so kiln
# runs mksquashfs on the materialised tree: the tree's one owner through
# -force-uid/gid, device nodes, FIFOs, sockets and directory modes without
# owner rwx through its pseudo file (no root-owned files needed). unsquashfs extracts exactly the input tree and lists the same
# as kiln's native gzip image of it; the superblock says lzo, the block
# size and SOURCE_DATE_EPOCH; two builds (other directory, umask) are
# identical; extended attributes without -no-xattrs, several owners and a
# bad level fail with one line, leaving nothing.
. "$KILN_TESTLIB"
need unsquashfs mksquashfs python3 setfattr
[ "$(id -u)" = 0 ] || skip "needs root to make device nodes and owners in the source tree"
list() { python3 "$KILN_SRC/tests/squashfs/treelist.py" "$@"; }

mkdir -p root/bin root/etc/deep/er root/dev root/empty root/home/u "root/with blank"
echo hello > root/etc/hello
head -c 300001 /dev/urandom > root/bin/big; chmod 4755 root/bin/big
ln root/bin/big root/bin/big-hl
ln -s ../etc/hello root/bin/link
mkfifo root/dev/fifo
mknod root/dev/null c 1 3; mknod root/dev/sda b 8 0
python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('root/dev/sock')"
echo b > "root/with blank/a 'q' \"d\" \\x"
printf 'x%.0s' $(seq 5000) > root/etc/deep/er/text
chown -R 1000:1001 root      # one owner, not the build user's
chmod 1777 root/empty; chmod 0550 root/home/u; chmod 0700 root; chmod 0640 root/dev/fifo
find root -exec touch -h -d @1600000000 {} +
touch -d @1800000000 root/etc/hello         # after the epoch: clamped

cat > k.cfg <<C
tree t { layer { dir = "$T/root" keep-owner = true } }
image lzo.sqfs { squashfs { compression = "lzo" block-size = "8k" } tree = t }
image gzip.sqfs { squashfs { } tree = t }
C
"$KILN" build --no-bmap k.cfg >/dev/null 2>err.txt || { cat err.txt; fail "build failed"; }
expect_no_output tmp

list --epoch "$SOURCE_DATE_EPOCH" root > want.txt
rm -rf x; unsquashfs -q -n -d x images/lzo.sqfs >/dev/null || fail "unsquashfs failed"
list x > got.txt
diff want.txt got.txt || fail "extracted tree differs from the input"
unsquashfs -lln images/gzip.sqfs > gzip.ls; unsquashfs -lln images/lzo.sqfs > lzo.ls
diff gzip.ls lzo.ls || fail "unsquashfs -lln differs from the native image's"
unsquashfs -s images/lzo.sqfs > super.txt
grep -qx "Compression lzo" super.txt || fail "not lzo"
grep -qx "Block size 8192" super.txt || fail "block size"
grep -q "^Creation or last append time $(date -u -d @$SOURCE_DATE_EPOCH '+%a %b %e %H:%M:%S %Y')" super.txt \
	|| { cat super.txt; fail "mkfs time is not SOURCE_DATE_EPOCH"; }
"$KILN" plan k.cfg | grep -q "squashfs lzo (mksquashfs), block 8192: $(stat -c %s images/lzo.sqfs) bytes" \
	|| fail "kiln plan does not give the size"

# reproducible: another directory, another umask, files touched again
mkdir o2; cp k.cfg o2/
(cd o2 && umask 077 && "$KILN" build --no-bmap k.cfg >/dev/null 2>&1) || fail "second build"
cmp images/lzo.sqfs o2/images/lzo.sqfs || fail "lzo image not reproducible"

# errors: one line naming the file:line, nothing left
one_line() { [ "$(wc -l < "$T/.err")" = 1 ] || { cat "$T/.err"; fail "$1: not one line"; }; }
chown 7:0 root/dev/fifo
expect_fail 1 "k.cfg:2: image 'lzo.sqfs': /dev/fifo: owner 7:0, / is 1000:1001: compression \"lzo\" runs mksquashfs" \
	"$KILN" build --no-bmap --outputpath oo --tmppath ot k.cfg
one_line owner; expect_no_output oo; expect_no_output ot
chown 1000:1001 root/dev/fifo
setfattr -n user.foo -v bar root/etc/hello
expect_fail 1 "k.cfg:2: image 'lzo.sqfs': /etc/hello: extended attributes: compression \"lzo\" runs mksquashfs" \
	"$KILN" build --no-bmap --outputpath xo --tmppath xt k.cfg
one_line xattr; expect_no_output xo; expect_no_output xt
cat > x.cfg <<C
tree t { layer { dir = "$T/root" keep-owner = true xattrs = all } }
image lzo.sqfs { squashfs { compression = "lzo" extraargs = "-no-xattrs" } tree = t }
C
"$KILN" build --no-bmap --outputpath xo2 --tmppath xt2 x.cfg >/dev/null 2>&1 || fail "-no-xattrs build"
cat > lvl.cfg <<'C'
image l.sqfs {
	squashfs {
		compression = "lzo"
		extraargs = "-Xcompression-level 12"
	}
	srcpath = "root"
}
C
expect_fail 1 "lvl.cfg:4: image 'l.sqfs': .*-Xcompression-level 12: lzo takes 1..9" \
	"$KILN" build --outputpath lo --tmppath lt lvl.cfg
one_line level; expect_no_output lo
echo ok
