# cpio: cpio -idv extracts exactly the input tree (names, bytes, modes,
# times, symlinks, hard links), cpio -t lists in kiln's order, owners
# are 0:0, gzip is deterministic (no name, mtime 0); errors.
. "$KILN_TESTLIB"
need cpio gzip python3

mkdir -p root/bin root/etc/init.d root/lib/modules root/newroot root/a-b root/a
echo "#!/bin/sh" > root/init; chmod 755 root/init
head -c 70001 /dev/urandom > root/bin/busybox; chmod 755 root/bin/busybox
for a in sh mount insmod; do ln -s busybox root/bin/$a; done
ln root/bin/busybox root/bin/hardlinked
echo 'root:x:0:0:root:/root:/bin/sh' > root/etc/passwd
echo secret > root/etc/shadow; chmod 600 root/etc/shadow
: > root/etc/empty
echo x > root/a-b/f; echo y > root/a/f
head -c 3 /dev/urandom > root/lib/modules/odd.ko
ln -s /dev/null root/etc/init.d/null
mkfifo root/etc/fifo
find root -exec touch -h -d @1600000000 {} +

cat > k.cfg <<'C'
image initrd.cpio { cpio { } srcpath = "root" }
image initrd.cpio.gz { cpio { compress = "gzip" extraargs = "--reproducible -R 0:0" } srcpath = "root" }
C
"$KILN" build --no-bmap k.cfg >/dev/null

# order: pre-order, children sorted bytewise ("." first)
python3 - root > expect.order <<'P'
import os, sys
def walk(d, rel):
    for n in sorted(os.listdir(d), key=lambda s: s.encode()):
        p = os.path.join(rel, n) if rel else n
        print(p)
        if os.path.isdir(os.path.join(d, n)) and not os.path.islink(os.path.join(d, n)):
            walk(os.path.join(d, n), p)
print(".")
walk(sys.argv[1], "")
P
cpio -t --quiet < images/initrd.cpio > got.order
diff expect.order got.order || fail "cpio -t order differs"
cpio -tv --quiet < images/initrd.cpio | awk '$3 != "root" || $4 != "root" { print; bad=1 } END { exit bad }' \
	|| fail "owners are not root:root"

mkdir x
(cd x && cpio -idvm --quiet --no-preserve-owner < ../images/initrd.cpio 2>/dev/null)
# GNU cpio sets no symlink times and directories change as they fill:
# times are compared for files here, for everything in the headers below.
listing() { (cd "$1" && find . -mindepth 1 -printf '%p %y %m %s %l\n' -type f -printf '%p %T@\n' | LC_ALL=C sort); }
listing root > a.txt; listing x > b.txt
diff a.txt b.txt || fail "extracted tree differs (metadata)"
python3 - images/initrd.cpio <<'P' || fail "header times are not the tree's"
import sys
b = open(sys.argv[1], 'rb').read()
off = 0
while True:
    h = b[off:off + 110]
    assert h[:6] == b'070701', off
    f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    name = b[off + 110:off + 110 + f[11] - 1].decode()
    off = (off + 110 + f[11] + 3) & ~3
    if name == 'TRAILER!!!':
        break
    # the root too takes the source root's time (clamped to the epoch)
    assert f[5] == 1600000000, (name, f[5])
    assert f[2] == 0 and f[3] == 0, name
    off = (off + f[6] + 3) & ~3
P
diff -r --no-dereference -x fifo root x || fail "extracted tree differs (content)"
[ "$(stat -c %i x/bin/busybox)" = "$(stat -c %i x/bin/hardlinked)" ] || fail "hard link lost"

# gzip: same archive inside, header without name and time, deterministic
zcat images/initrd.cpio.gz | cmp - images/initrd.cpio || fail "gzip content differs"
gzip -t images/initrd.cpio.gz
[ "$(od -An -tx1 -j3 -N5 images/initrd.cpio.gz | tr -d ' ')" = 0000000000 ] \
	|| fail "gzip header has a name flag or an mtime"
sha1=$(sha256sum < images/initrd.cpio.gz)
rm -rf images; "$KILN" build --no-bmap k.cfg >/dev/null
[ "$(sha256sum < images/initrd.cpio.gz)" = "$sha1" ] || fail "gzip'd cpio not reproducible"

# kiln inspect lists both, and catches a truncated archive
"$KILN" inspect images/initrd.cpio | grep -q 'bin/busybox' || fail "inspect cpio"
"$KILN" inspect images/initrd.cpio.gz | grep -q 'result: OK' || fail "inspect cpio.gz"
head -c 5000 images/initrd.cpio > trunc.cpio
expect_fail 1 'check failed' "$KILN" inspect trunc.cpio
head -c 300 images/initrd.cpio.gz > trunc.gz
expect_fail 1 'corrupt or truncated' "$KILN" inspect trunc.gz

rm -rf images
for opt in 'format = "crc"' 'compress = "xz"' 'extraargs = "--owner=1000"'; do
	printf 'image i.cpio { cpio { %s } srcpath = "root" }\n' "$opt" > bad.cfg
	expect_fail 1 "bad.cfg:1: (image [^ ]+: )?${opt%% *} = " "$KILN" build --no-bmap bad.cfg
done
expect_no_output images
echo ok
