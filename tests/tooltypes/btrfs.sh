#!/bin/bash
# btrfs: mkfs.btrfs --rootdir from the materialised tree; btrfs check and
# btrfs restore read it back; genimage 16 makes the same tree; a failing
# or missing tool leaves nothing behind.
. "$KILN_TESTLIB"
need mkfs.btrfs btrfs

mkdir -p root/etc/sub in tmp
echo hello >root/etc/hi
head -c 200000 /dev/urandom >root/etc/big
ln root/etc/hi root/etc/hard
ln -s hi root/etc/link
chmod 0640 root/etc/hi
cat >b.cfg <<'CFG'
image fs.btrfs {
	btrfs { label = "ROOTFS" }
	size = 128M
}
CFG
"$GENIMAGE_KILN" --config b.cfg --rootpath root --tmppath tmp --inputpath in --outputpath out >log 2>&1 ||
	{ cat log; fail "genimage mode build failed"; }
[ "$(stat -c %s out/fs.btrfs)" = $((128 << 20)) ] || fail "size is not 128M"
btrfs check out/fs.btrfs >check.log 2>&1 || { cat check.log; fail "btrfs check"; }
btrfs inspect-internal dump-super out/fs.btrfs | grep -Eq '^label[[:space:]]+ROOTFS$' || fail "label"
mkdir r
btrfs restore -S out/fs.btrfs r >/dev/null 2>&1 || fail "btrfs restore"
cmp r/etc/hi root/etc/hi && cmp r/etc/big root/etc/big || fail "content differs"
[ "$(readlink r/etc/link)" = hi ] || fail "symlink"
[ -d r/etc/sub ] || fail "empty directory missing"
# The fsid comes from the seed: the same on every build.
u1=$(btrfs inspect-internal dump-super out/fs.btrfs | awk '/^fsid/ {print $2}')
"$GENIMAGE_KILN" --config b.cfg --rootpath root --tmppath tmp --inputpath in --outputpath out2 >/dev/null 2>&1
u2=$(btrfs inspect-internal dump-super out2/fs.btrfs | awk '/^fsid/ {print $2}')
[ "$u1" = "$u2" ] || fail "fsid differs between builds: $u1 $u2"
expect_no_output tmp

# Real genimage on the same config (Debian 12's genimage 16 has no
# btrfs type yet): the same files come back.
if command -v genimage >/dev/null &&
	genimage --config b.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	mkdir g
	btrfs restore -S gout/fs.btrfs g >/dev/null 2>&1
	diff -r g r || fail "genimage's btrfs holds other files"
	[ "$(stat -c %s gout/fs.btrfs)" = "$(stat -c %s out/fs.btrfs)" ] || fail "size differs from genimage"
fi

# The tool fails (bad option): one line naming it, its status, the image.
cat >bad.cfg <<'CFG'
image fs.btrfs {
	btrfs { extraargs = "--no-such-option" }
	size = 128M
}
CFG
expect_fail 1 "bad.cfg:1: image 'fs.btrfs': mkfs.btrfs exited with status [0-9]+" \
	"$GENIMAGE_KILN" --config bad.cfg --rootpath root --tmppath tmp2 --inputpath in --outputpath bout
expect_no_output bout
expect_no_output tmp2
# The tool is missing.
expect_fail 1 "image 'fs.btrfs': (cannot run mkfs.btrfs|mkfs.btrfs exited with status 127)" \
	env PATH=/nonexistent "$GENIMAGE_KILN" --config b.cfg --rootpath root --tmppath tmp3 --inputpath in --outputpath mout
expect_no_output mout
expect_no_output tmp3
# Unterminated quote in extraargs: FILE:LINE, the image once, the option.
sed -i "s/--no-such-option/'-f/" bad.cfg
expect_fail 1 "bad.cfg:[0-9]+: image 'fs.btrfs': extraargs: unterminated quote" \
	"$GENIMAGE_KILN" --config bad.cfg --rootpath root --tmppath tmp4 --inputpath in --outputpath qout
expect_no_output qout
expect_no_output tmp4
exit 0
