#!/bin/bash
# jffs2/ubifs: the device table holds lines only for what the files
# cannot say (owners other than 0:0, device nodes); the tools squash the
# rest to 0:0 (-U). So names with blanks (genimage's test tree has
# "with spaces") build as long as they need no line; owners still come
# from the tree (read from the jffs2 nodes); a blanked name that needs a
# line fails with one line naming it.
. "$KILN_TESTLIB"
need mkfs.jffs2 mkfs.ubifs python3

mkdir -p "root/with spaces/3" in
echo one >"root/with spaces/3/one"
echo owned >root/owned
mkdir root/private
chmod 0500 root/private
cat >j.cfg <<CFG
flash nor {
	pebsize = 65536
	numpebs = 256
}
flash nand {
	pebsize = 16384
	lebsize = 15360
	numpebs = 4096
	minimum-io-unit-size = 512
}
tree t {
	layer { dir = "$T/root" }
	attr "owned" { uid = 5 gid = 6 }
}
image fs.jffs2 {
	jffs2 { extraargs = "-m none" }
	flashtype = "nor"
	tree = t
}
image fs.ubifs {
	ubifs { extraargs = "-x none" }
	flashtype = "nand"
	size = 8M
	tree = t
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run j.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
# Each name's mode and owner, from the jffs2 dirent and inode nodes.
python3 - out/fs.jffs2 >owners <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
names, inodes, i = {}, {}, 0
while i + 12 <= len(d):
    magic, ntype, totlen = struct.unpack_from('<HHI', d, i)
    if magic != 0x1985 or totlen < 12:
        i += 4
        continue
    if ntype == 0xe001:
        pino, ver, ino, mct, nsize, typ = struct.unpack_from('<IIIIBB', d, i + 12)
        names[d[i + 40:i + 40 + nsize].decode()] = ino
    elif ntype == 0xe002:
        ino, ver, mode, uid, gid = struct.unpack_from('<IIIHH', d, i + 12)
        inodes[ino] = (mode, uid, gid)
    i += (totlen + 3) & ~3
for n, ino in sorted(names.items()):
    m, u, g = inodes[ino]
    print(n, oct(m & 0o7777), u, g)
PY
grep -qx 'with spaces 0o755 0 0' owners || { cat owners; fail "'with spaces' missing or not 0:0"; }
grep -qx 'one 0o644 0 0' owners || fail "'with spaces/3/one'"
grep -qx 'owned 0o644 5 6' owners || { cat owners; fail "owner 5:6 from the tree lost"; }
grep -qx 'private 0o500 0 0' owners || { cat owners; fail "mode 0500 of a directory lost"; }
grep -aq 'with spaces' out/fs.ubifs || fail "ubifs: 'with spaces' missing"
expect_no_output tmp

# A name with blanks that needs a line (an owner) cannot go through.
sed 's/attr "owned"/attr "with spaces\/3\/one"/' j.cfg >bad.cfg
expect_fail 1 "image 'fs.jffs2': .*with spaces/3/one: a name with blanks cannot go into the tool's device table" \
	run bad.cfg tmp2 bout
expect_no_output bout
expect_no_output tmp2
exit 0
