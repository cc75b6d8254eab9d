#!/bin/bash
# jffs2: mkfs.jffs2 on the materialised tree with the flashtype's erase
# block; jffs2dump -c lists its nodes; owners and modes go through the
# device table; two builds are identical; failures leave nothing behind.
. "$KILN_TESTLIB"
need mkfs.jffs2 jffs2dump

mkdir -p root/etc/sub in
echo hello >root/etc/hi
printf 'KILN-MARKER-%s\n' $(seq 1 2000) >root/etc/marker
ln -s hi root/etc/link
cat >j.cfg <<'CFG'
flash nor {
	pebsize = 65536
	numpebs = 256
}
image fs.jffs2 {
	jffs2 { extraargs = "-m none" }
	flashtype = "nor"
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run j.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
jffs2dump -c out/fs.jffs2 >dump 2>&1 || { cat dump; fail "jffs2dump"; }
grep -q 'Magic bitmask 0x1985' dump || grep -q 'Dirent' dump || fail "not a jffs2 image"
for n in etc hi link marker sub; do grep -q "name $n\$" dump || fail "$n missing"; done
grep -aq 'KILN-MARKER-1999' out/fs.jffs2 || fail "file data missing"
expect_no_output tmp
run j.cfg tmp out2 >/dev/null 2>&1
cmp out/fs.jffs2 out2/fs.jffs2 || fail "two builds differ"

if command -v genimage >/dev/null &&
	genimage --config j.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	jffs2dump -c gout/fs.jffs2 | grep -o 'name .*' | sort >g.names
	grep -o 'name .*' dump | sort >k.names
	diff g.names k.names || fail "genimage's jffs2 holds other names"
fi

{ echo 'config { mkfsjffs2 = "/nonexistent/mkfs.jffs2" }'; cat j.cfg; } >missing.cfg
expect_fail 1 "missing.cfg:[0-9]+: image 'fs.jffs2': (cannot run /nonexistent/mkfs.jffs2|/nonexistent/mkfs.jffs2 exited with status 127)" \
	run missing.cfg tmp2 mout
expect_no_output mout
expect_no_output tmp2
sed 's/-m none/--no-such-option/' j.cfg >bad.cfg
expect_fail 1 "bad.cfg:[0-9]+: image 'fs.jffs2': mkfs.jffs2 exited with status [0-9]+" run bad.cfg tmp3 bout
expect_no_output bout
expect_no_output tmp3
exit 0
