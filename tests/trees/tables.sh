# A genext2fs device table and an Android fs_config file applied to the
# same tree, plus attr overrides by glob; capabilities become a VFS_CAP v2
# security.capability xattr (checked in ext4 with debugfs when available).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/trees/helpers.inc"
need python3
mkdir -p input/root/bin input/root/etc input/root/usr/bin
echo ping >input/root/bin/ping
echo secret >input/root/etc/shadow
echo x >input/root/usr/bin/a
echo y >input/root/usr/bin/b
cat >input/devtab.txt <<'TAB'
# <name>	<type>	<mode>	<uid>	<gid>	<major>	<minor>	<start>	<inc>	<count>
/dev		d	755	0	0	-	-	-	-	-
/dev/mem	c	640	0	15	1	1	0	0	-
/dev/ttyS	c	666	0	5	4	64	0	1	4
/dev/mmcblk0p	b	660	0	6	179	1	1	1	2
/dev/initctl	p	600	0	0	-	-	-	-	-
/etc/shadow	f	600	0	0	-	-	-	-	-
/tmp		d	1777	0	0	-	-	-	-	-
TAB
cat >input/fs_config <<'TAB'
# Android canned fs_config
bin/ping 0 0 4755 capabilities=0x2000
/etc/shadow 0 42 0640
etc 0 0 0751
missing/file 0 0 0644
TAB
cat >kiln.cfg <<'CFG'
tree t {
	layer { dir = "root" }
	device-table = { "devtab.txt" }
	fs-config = { "fs_config" }
	attr "usr/bin/*" { mode = 0700 uid = 3 gid = 4 }
	attr "usr/bin/b" { capabilities = 0x1000 }
}
image x.cpio { cpio { } tree = t }
image x.ext4 { ext4 { } size = 4M tree = t }
CFG
"$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio >ls.txt 2>ls.err || { cat ls.err; fail "kiln ls"; }
expect_ls ls.txt /dev d 0755 0:0
expect_ls ls.txt /dev/mem c 0640 0:15
for i in 0 1 2 3; do
	expect_ls ls.txt /dev/ttyS$i c 0666 0:5
	[ "$(lsent ls.txt /dev/ttyS$i | cut -f5)" = "4,$((64 + i))" ] || fail "ttyS$i rdev"
done
expect_ls ls.txt /dev/mmcblk0p1 b 0660 0:6
[ "$(lsent ls.txt /dev/mmcblk0p2 | cut -f5)" = "179,2" ] || fail "mmcblk0p2 rdev"
grep -q '/dev/mmcblk0p3' ls.txt && fail "count not honoured"
expect_ls ls.txt /dev/initctl p 0600 0:0
expect_ls ls.txt /tmp d 1777 0:0
# fs_config comes after the device table: its mode/owner win.
expect_ls ls.txt /etc/shadow - 0640 0:42
expect_ls ls.txt /etc d 0751 0:0
expect_ls ls.txt /bin/ping - 4755 0:0
lsent ls.txt /bin/ping | grep -q 'security.capability=0x0100000200200000000000000000000000000000' ||
	fail "ping capability xattr: $(lsent ls.txt /bin/ping)"
expect_ls ls.txt /usr/bin/a - 0700 3:4
lsent ls.txt /usr/bin/b | grep -q 'security.capability=0x0100000200100000' || fail "attr capabilities"
grep -q 'fs_config: 1 entry not in the tree, ignored (first: "missing/file")' ls.err || fail "no warning for a missing fs_config path"

if "$KILN" build --inputpath input --tmppath tmp --outputpath out kiln.cfg >build.log 2>&1; then
	need debugfs e2fsck
	e2fsck -fn out/x.ext4 >/dev/null 2>&1 || fail "e2fsck"
	debugfs -R 'stat /dev/ttyS2' out/x.ext4 2>/dev/null | grep -Eq 'Device major/minor number: 0*4:0*66' || fail "ext4 ttyS2"
	debugfs -R 'ea_list /bin/ping' out/x.ext4 2>/dev/null | grep -q 'security.capability' || fail "ext4 capability xattr"
else
	grep -qi "no such option 'ext4'" build.log || { cat build.log; fail "build"; }
	echo "note: ext4 not available"
fi

# Errors name the table file and line.
printf '/dev/x c 666 0 0 1\n' >input/devtab.txt
expect_fail 1 'devtab.txt:1: (image [^ ]+: )?(tree [^ ]+: )?expected 10 fields' "$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio
printf '/dev/x q 666 0 0 1 1 0 0 0\n' >input/devtab.txt
expect_fail 1 'devtab.txt:1: (image [^ ]+: )?(tree [^ ]+: )?type "q"' "$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio
printf '# c\n/nothere f 644 0 0 - - - - -\n' >input/devtab.txt
expect_fail 1 'devtab.txt:2: (image [^ ]+: )?(tree [^ ]+: )?"/nothere": no such regular file' "$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio
printf '/dev/x c 8888 0 0 1 1 0 0 0\n' >input/devtab.txt
expect_fail 1 'devtab.txt:1: (image [^ ]+: )?(tree [^ ]+: )?mode "8888"' "$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio
: >input/devtab.txt
printf 'bin/ping 0 0 4755 caps=1\n' >input/fs_config
expect_fail 1 'fs_config:1: (tree [^ ]+: )?"caps=1": expected capabilities=0x' "$KILN" ls --inputpath input --tmppath tmp kiln.cfg x.cpio
