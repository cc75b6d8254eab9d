#!/bin/bash
# ubifs: mkfs.ubifs on the materialised tree with the flashtype's
# geometry. Debian 12 has no UBIFS reader: check the superblock node, the
# file data (uncompressed) and the length against genimage 16's output;
# config { mkfsubifs } is honoured; failures and an interruption leave
# no output and no materialised tree.
. "$KILN_TESTLIB"
need mkfs.ubifs od

mkdir -p root/etc/sub in
echo hello >root/etc/hi
printf 'KILN-MARKER-%s\n' $(seq 1 2000) >root/etc/marker
ln -s hi root/etc/link
cat >u.cfg <<'CFG'
flash nand {
	pebsize = 16384
	lebsize = 15360
	numpebs = 4096
	minimum-io-unit-size = 512
}
image fs.ubifs {
	ubifs { extraargs = "-x none" }
	flashtype = "nand"
	size = 8M
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run u.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
# UBIFS node magic 0x06101831, node type 6 (superblock) at offset 20.
[ "$(od -An -tx4 -N4 out/fs.ubifs | tr -d ' ')" = 06101831 ] || fail "no UBIFS magic"
[ "$(od -An -tu1 -j20 -N1 out/fs.ubifs | tr -d ' ')" = 6 ] || fail "first node is not the superblock"
# LEB size 15360 (sb offset 36) and max LEB count 8M/15360 = 546 (offset 44).
[ "$(od -An -tu4 -j36 -N4 out/fs.ubifs | tr -d ' ')" = 15360 ] || fail "leb size"
[ "$(od -An -tu4 -j44 -N4 out/fs.ubifs | tr -d ' ')" = 546 ] || fail "max leb count"
grep -aq 'KILN-MARKER-1999' out/fs.ubifs || fail "file data missing"
expect_no_output tmp

if command -v genimage >/dev/null &&
	genimage --config u.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	[ "$(stat -c %s gout/fs.ubifs)" = "$(stat -c %s out/fs.ubifs)" ] ||
		fail "length differs from genimage's: $(stat -c %s gout/fs.ubifs) vs $(stat -c %s out/fs.ubifs)"
fi

# config { mkfsubifs = ... } is the tool that runs.
cat >tool.sh <<SH
#!/bin/sh
echo "\$@" >"$T/args"
exec mkfs.ubifs "\$@"
SH
chmod +x tool.sh
{ echo "config { mkfsubifs = \"$T/tool.sh\" }"; cat u.cfg; } >tool.cfg
run tool.cfg tmp tout >/dev/null 2>&1 || fail "build with config { mkfsubifs } failed"
grep -q -- '-e 15360 -m 512 -c 546 -o .* -x none' args || fail "tool got: $(cat args)"
cmp -s <(head -c 16 tout/fs.ubifs) <(head -c 16 out/fs.ubifs) || true

# A missing tool, a failing one, no flashtype: one line, nothing left.
{ echo 'config { mkfsubifs = "/nonexistent/mkfs.ubifs" }'; cat u.cfg; } >missing.cfg
expect_fail 1 "missing.cfg:[0-9]+: image 'fs.ubifs': (cannot run /nonexistent/mkfs.ubifs|/nonexistent/mkfs.ubifs exited with status 127)" \
	run missing.cfg tmp2 mout
expect_no_output mout
expect_no_output tmp2
sed 's/-x none/-x bogus/' u.cfg >bad.cfg
expect_fail 1 "bad.cfg:[0-9]+: image 'fs.ubifs': mkfs.ubifs exited with status [0-9]+" run bad.cfg tmp3 bout
expect_no_output bout
expect_no_output tmp3
sed '/flashtype/d' u.cfg >noflash.cfg
expect_fail 1 "noflash.cfg:[0-9]+: image 'fs.ubifs': no flashtype given" run noflash.cfg tmp4 nout
expect_no_output nout

# Interrupted while the tool runs: the tool is stopped, the tree removed.
cat >slow.sh <<SH
#!/bin/sh
echo \$\$ >"$T/toolpid"
touch "$T/started"
exec sleep 600
SH
chmod +x slow.sh
{ echo "config { mkfsubifs = \"$T/slow.sh\" }"; cat u.cfg; } >slow.cfg
"$GENIMAGE_KILN" --config slow.cfg --rootpath root --tmppath tmp5 --inputpath in --outputpath iout >/dev/null 2>&1 &
pid=$!
while [ ! -e started ]; do
	kill -0 $pid 2>/dev/null || fail "kiln ended before the tool started"
	sleep 0.1
done
[ -n "$(find tmp5 -name marker)" ] || fail "the tree was not materialised under tmppath"
kill -TERM $pid
rc=0
wait $pid || rc=$?
[ "$rc" = 143 ] || fail "interrupted kiln exited $rc, expected 143"
expect_no_output tmp5
expect_no_output iout
if kill -0 "$(cat toolpid)" 2>/dev/null; then
	kill "$(cat toolpid)"
	fail "the tool still runs"
fi
exit 0
