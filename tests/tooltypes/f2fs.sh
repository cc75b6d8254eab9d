#!/bin/bash
# f2fs: mkfs.f2fs + sload.f2fs on the materialised tree; fsck.f2fs and
# dump.f2fs read it back; two builds are identical; genimage 16 makes
# the same tree; failures leave nothing behind.
. "$KILN_TESTLIB"
need blkid mkfs.f2fs sload.f2fs fsck.f2fs dump.f2fs

mkdir -p root/etc/sub in
echo hello >root/etc/hi
head -c 300000 /dev/urandom >root/etc/big
ln root/etc/hi root/etc/hard
ln -s hi root/etc/link
cat >f.cfg <<'CFG'
image fs.f2fs {
	f2fs { label = "DATA" }
	size = 64M
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run f.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
[ "$(stat -c %s out/fs.f2fs)" = $((64 << 20)) ] || fail "size is not 64M"
fsck.f2fs --dry-run -t out/fs.f2fs >fsck.log 2>&1 || { cat fsck.log; fail "fsck.f2fs"; }
if command -v blkid >/dev/null; then
	blkid -p out/fs.f2fs | grep -q 'LABEL="DATA".*TYPE="f2fs"' || fail "label"
fi
for n in hi hard link big sub; do grep -q -- "-- $n <ino" fsck.log || fail "$n missing from the tree"; done
ino() { sed -n "s/.*-- $1 <ino = \(0x[0-9a-f]*\)>.*/\1/p" fsck.log; }
[ "$(ino hi)" = "$(ino hard)" ] || fail "hard link is not one inode"
big=$(ino big)
mkdir x && (cd x && echo y | dump.f2fs -i "$big" ../out/fs.f2fs >/dev/null 2>&1)
cmp x/lost_found/big root/etc/big || fail "content of big differs"
expect_no_output tmp

# Reproducible: the same bytes twice.
run f.cfg tmp out2 >/dev/null 2>&1
cmp out/fs.f2fs out2/fs.f2fs || fail "two builds differ"

# Real genimage on the same config: the same names.
if command -v genimage >/dev/null &&
	genimage --config f.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	fsck.f2fs --dry-run -t gout/fs.f2fs 2>&1 | grep -o -- '-- [^ ]* <ino' >g.names
	grep -o -- '-- [^ ]* <ino' fsck.log >k.names
	diff g.names k.names || fail "genimage's f2fs holds other names"
fi

# No size: one line, nothing written.
sed '/size = 64M/d' f.cfg >nosize.cfg
expect_fail 1 "nosize.cfg:1: image 'fs.f2fs': f2fs needs a size" run nosize.cfg tmp2 nout
expect_no_output nout
# The tool fails.
sed 's/label = "DATA"/extraargs = "-O no-such-feature"/' f.cfg >bad.cfg
expect_fail 1 "bad.cfg:1: image 'fs.f2fs': mkfs.f2fs exited with status [0-9]+" run bad.cfg tmp3 bout
expect_no_output bout
expect_no_output tmp3
exit 0
