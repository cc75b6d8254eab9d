#!/bin/bash
# ext4 feature quota, written natively: user and group quota files in
# inodes 3 and 4 (project quota with -E quotatype=...prjquota), each
# owner's blocks and inodes counted. Oracles: e2fsck -fn (it recounts
# the usage and fails on any difference), debugfs lq (the listing), and
# tune2fs -O quota on the same filesystem without quota: e2fsprogs' own
# quota files, which kiln's must equal byte for byte. `-E quotatype=`
# (genimage's hdimage-sparse test) is the feature without quota files.
. "$KILN_TESTLIB"
need e2fsck debugfs dumpe2fs tune2fs

mkdir -p root/a root/b
for i in $(seq 1 40); do echo "$i" >"root/a/f$i"; done
head -c 50000 /dev/urandom >root/b/big
ln root/b/big root/b/hard
ln -s a root/l
# Owners across every level of the quota tree (id bytes 0..3) and more
# than one data block of 14 entries.
: >dt
i=0
for u in 0 1 13 14 15 255 256 1000 65535 65536 70000 16777216 4000000000 \
	20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38; do
	i=$((i + 1))
	echo "/a/f$i f 644 $u $((u / 3)) - - - - -" >>dt
done
echo "/b/big f 600 4242 77 - - - - -" >>dt
cat >q.cfg <<CFG
tree t {
	layer { dir = "$T/root" }
	device-table = { "$T/dt" }
}
image q.ext4 { ext4 { features = "quota" } size = 64M tree = t }
image q1k.ext4 { ext4 { features = "quota" extraargs = "-b 1024" } size = 16M tree = t }
image q.ext2 { ext2 { features = "quota" } size = 16M tree = t }
image plain.ext4 { ext4 { } size = 64M tree = t }
image prj.ext4 { ext4 { features = "quota" extraargs = "-E quotatype=usrquota:prjquota" } size = 64M tree = t }
image none.ext4 { ext4 { features = "quota" extraargs = "-E quotatype=" } size = 64M tree = t }
CFG
"$KILN" build --no-bmap --outputpath out q.cfg >log 2>&1 || { cat log; fail "build failed"; }
for f in q.ext4 q1k.ext4 q.ext2 prj.ext4 none.ext4; do
	e2fsck -fn "out/$f" >fsck.log 2>&1 || { cat fsck.log; fail "e2fsck -fn out/$f"; }
	dumpe2fs -h "out/$f" 2>/dev/null | grep -q '^Filesystem features:.* quota' || fail "$f: no quota feature"
done
sb() { dumpe2fs -h "$1" 2>/dev/null | sed -n "s/^$2 quota inode: *//p"; }
[ "$(sb out/q.ext4 User)" = 3 ] && [ "$(sb out/q.ext4 Group)" = 4 ] || fail "quota inodes are not 3 and 4"
[ -z "$(sb out/q.ext4 Project)" ] || fail "project quota without prjquota"
# debugfs lists each owner: inodes per uid as the tree has them.
lq() { debugfs -R "lq $2" "$1" 2>/dev/null | awk 'NR > 1 { print $1, $5 }'; }
lq out/q.ext4 user >users
grep -qx '4000000000 1' users || { cat users; fail "uid 4000000000 missing"; }
grep -qx '4242 1' users || fail "uid 4242: the hard-linked file counts once"
grep -qx '16777216 1' users || fail "uid 16777216"
[ "$(wc -l <users)" = 33 ] || { cat users; fail "$(wc -l <users) user ids, expected 33"; }
# uid 0: /, a, b, l (symlink), lost+found, f1 and f33..f40 (no table line).
grep -qx "0 14" users || { cat users; fail "uid 0 inodes"; }
space=$(debugfs -R "lq user" out/q.ext4 2>/dev/null | awk '$1 == 4242 { print $2 }')
[ "$space" = $(($(debugfs -R "stat /b/big" out/q.ext4 2>/dev/null | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p') * 512)) ] ||
	fail "space of uid 4242: $space"
lq out/q.ext4 group | grep -qx '77 1' || fail "gid 77 of /b/big"
# Byte for byte e2fsprogs' quota files for the same filesystem.
cp out/plain.ext4 tuned.ext4
tune2fs -O quota tuned.ext4 >/dev/null 2>&1 || fail "tune2fs -O quota"
e2fsck -fn tuned.ext4 >/dev/null 2>&1 || fail "e2fsck on tune2fs's result"
for ino in 3 4; do
	debugfs -R "dump <$ino> kiln.$ino" out/q.ext4 2>/dev/null
	debugfs -R "dump <$ino> e2fs.$ino" tuned.ext4 2>/dev/null
	[ -s "kiln.$ino" ] && cmp "kiln.$ino" "e2fs.$ino" || fail "quota file <$ino> differs from tune2fs's"
done
debugfs -R "stat <3>" out/q.ext4 2>/dev/null | grep -q 'Flags: 0x80010' || fail "quota inode flags (immutable, extents)"
# Project quota: its own inode after the tree, every inode in project 0.
p=$(sb out/prj.ext4 Project)
[ -n "$p" ] && [ "$p" -gt 11 ] || fail "no project quota inode"
[ -z "$(sb out/prj.ext4 Group)" ] || fail "group quota written without grpquota"
dumpe2fs -h out/prj.ext4 2>/dev/null | grep -q '^Filesystem features:.* project' || fail "no project feature"
n=$(debugfs -R "lq project" out/prj.ext4 2>/dev/null | awk 'NR > 1 && $1 == 0 { print $5 }')
[ "$n" = "$(($(lq out/q.ext4 user | awk '{ s += $2 } END { print s }')))" ] || fail "project 0 holds $n inodes"
# quotatype= empty: the feature, no quota file (as mke2fs).
[ -z "$(sb out/none.ext4 User)$(sb out/none.ext4 Group)" ] || fail "quotatype= wrote quota files"
# Bad quota type: one line naming the file, line and value; no output.
cat >bad.cfg <<'CFG'
image b.ext4 {
	ext4 {
		features = "quota"
		extraargs = "-E quotatype=usrquota:bogus"
	}
	size = 16M
}
CFG
expect_fail 1 'bad.cfg:4: .*quotatype=usrquota:bogus.*"bogus"' "$KILN" build --outputpath bout bad.cfg
expect_no_output bout
# project quota needs room for i_projid.
cat >small.cfg <<'CFG'
image s.ext4 {
	ext4 {
		features = "quota"
		extraargs = "-I 128 -E quotatype=prjquota"
	}
	size = 16M
}
CFG
expect_fail 1 "small.cfg:[0-9]+: .*project needs inodes of 256 bytes" "$KILN" build --outputpath sout small.cfg
expect_no_output sout
exit 0
