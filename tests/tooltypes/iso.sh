#!/bin/bash
# iso: genisoimage (genimage's argv: -input-charset, -R -hide-rr-moved,
# -b + bootargs, -V, extraargs) on the materialised tree. isoinfo reads
# back the volume id, the Rock Ridge names, contents, owners and the El
# Torito boot record; a tree with several owners, a bad option, a missing
# tool and a too long volume id fail with one line and leave nothing.
# Reproducible: genisoimage stamps its clock (volume descriptors, Rock
# Ridge atime/ctime, the relocated-directory record) and local time zone;
# two builds in other directories, umasks, time zones and seconds are
# identical, the volume's date (blkid's UUID) is SOURCE_DATE_EPOCH.
. "$KILN_TESTLIB"
need genisoimage isoinfo blkid

mkdir -p root/etc/deep/er/still root/boot in tmp
echo hello >root/etc/hi
head -c 300000 /dev/urandom >root/etc/big
echo deep >root/etc/deep/er/still/a-long-file-name-rock-ridge-keeps.txt
ln -s hi root/etc/link
head -c 2048 /dev/zero >root/boot/eltorito.img
cat >iso.cfg <<'CFG'
image test.iso {
	iso {
		volume-id = "iso-test"
	}
}
CFG
run() { "$GENIMAGE_KILN" --config "$1" --rootpath root --tmppath "$2" --inputpath in --outputpath "$3"; }
run iso.cfg tmp out >log 2>&1 || { cat log; fail "build failed"; }
isoinfo -d -i out/test.iso >info || fail "isoinfo -d"
grep -q '^Volume id: iso-test$' info || { cat info; fail "volume id"; }
grep -q 'Rock Ridge signatures version' info || fail "no Rock Ridge"
# Every path comes back with its Rock Ridge name.
isoinfo -R -f -i out/test.iso | sort >got
(cd root && find . -mindepth 1 | sed 's;^\.;;' | sort) >want
diff want got || fail "file list differs"
isoinfo -R -x /etc/big -i out/test.iso >big && cmp big root/etc/big || fail "content of /etc/big"
isoinfo -R -x /etc/deep/er/still/a-long-file-name-rock-ridge-keeps.txt -i out/test.iso | grep -qx deep ||
	fail "content of the long name"
# Owners are the tree's (0:0 from rootpath), not the build user's.
isoinfo -R -l -i out/test.iso | awk 'NF >= 9 && $1 ~ /^[-dl]/ && ($3 != 0 || $4 != 0)' >owners
[ ! -s owners ] || { cat owners; fail "owners other than 0:0"; }
isoinfo -R -l -i out/test.iso | grep -q -- '-> hi' || fail "symlink not kept"
expect_no_output tmp
# genimage's test: the same tree of its own is 300000..400000 bytes;
# here the size is what the tool made, known to kiln plan already.
sz=$(stat -c %s out/test.iso)
[ $((sz % 2048)) = 0 ] && [ "$sz" -gt 300000 ] || fail "size $sz"
if command -v genimage >/dev/null &&
	genimage --config iso.cfg --rootpath root --tmppath gtmp --inputpath in --outputpath gout >glog 2>&1; then
	isoinfo -R -f -i gout/test.iso | sort >ggot
	diff ggot got || fail "genimage's iso holds other files"
	[ "$(stat -c %s gout/test.iso)" = "$sz" ] || fail "size differs from genimage's"
fi

# El Torito: boot-image with genimage's default bootargs (the catalog is
# hidden).
cat >boot.cfg <<'CFG'
image boot.iso {
	iso {
		boot-image = "boot/eltorito.img"
		volume-id = "BOOT"
	}
}
CFG
run boot.cfg tmp bootout >log 2>&1 || { cat log; fail "boot build failed"; }
isoinfo -d -i bootout/boot.iso | grep -q 'El Torito' || fail "no El Torito boot record"
isoinfo -R -f -i bootout/boot.iso | grep -q boot.cat && fail "boot.cat not hidden"

# Files of several owners cannot be recorded rootless: refused.
cat >own.cfg <<'CFG'
tree t { file /etc/a { content = "x" uid = 5 } }
image own.iso { iso { } tree = t }
CFG
expect_fail 1 "own.cfg:2: image 'own.iso': iso: the tree's files have several owners" \
	run own.cfg tmp2 oout
expect_no_output oout
expect_no_output tmp2
# The tool fails: one line naming it and the image.
sed 's/volume-id = "iso-test"/extraargs = "--no-such-option"/' iso.cfg >bad.cfg
expect_fail 1 "bad.cfg:1: image 'test.iso': genisoimage exited with status [0-9]+" \
	run bad.cfg tmp3 bout
expect_no_output bout
expect_no_output tmp3
expect_fail 1 "image 'test.iso': (cannot run genisoimage|genisoimage exited with status 127)" \
	env PATH=/nonexistent "$GENIMAGE_KILN" --config iso.cfg --rootpath root --tmppath tmp4 --inputpath in --outputpath mout
expect_no_output mout
expect_no_output tmp4
# ISO 9660 volume ids hold 32 characters: a longer one is refused on its line.
printf 'image v.iso {\n\tiso {\n\t\tvolume-id = "%s"\n\t}\n}\n' 0123456789abcdef0123456789abcdefX >vol.cfg
expect_fail 1 "vol.cfg:3: image 'v.iso': .*volume-id .*longer than 32" run vol.cfg tmp5 vout
expect_no_output vout

# Reproducible. Deeper than 8 levels (genisoimage relocates into
# .rr_moved, a directory it dates itself), a name long enough for a Rock
# Ridge continuation area, Joliet's volume descriptor and tree too.
mkdir -p root/a/b/c/d/e/f/g/h/i/j
echo deep >root/a/b/c/d/e/f/g/h/i/j/f
echo long >root/etc/$(printf 'L%.0s' $(seq 200))
cat >rep.cfg <<'CFG'
image rep.iso {
	iso {
		volume-id = "REP"
		extraargs = "-J -joliet-long"
	}
}
CFG
run rep.cfg rtmp1 rout1 >log 2>&1 || { cat log; fail "reproducible build 1 failed"; }
sleep 1 # genisoimage's clock has whole seconds: the second build's is another
(umask 077 && TZ=Asia/Kolkata run rep.cfg rtmp2 rout2) >log 2>&1 || { cat log; fail "build 2 failed"; }
cmp rout1/rep.iso rout2/rep.iso || fail "two builds of the iso differ"
[ "$(blkid -p -s UUID -o value rout1/rep.iso)" = "$(date -u -d @$SOURCE_DATE_EPOCH +%Y-%m-%d-%H-%M-%S-00)" ] ||
	fail "volume date is not SOURCE_DATE_EPOCH: $(blkid -p -s UUID -o value rout1/rep.iso)"
isoinfo -d -i rout1/rep.iso | grep -q 'Joliet' || fail "no Joliet"
want_date=$(LC_ALL=C date -u -d @$SOURCE_DATE_EPOCH '+%b %e %Y')
LC_ALL=C isoinfo -R -l -i rout1/rep.iso | grep -q "$want_date.*\.rr_moved" ||
	fail ".rr_moved is not dated SOURCE_DATE_EPOCH"
isoinfo -R -f -i rout1/rep.iso | grep -q '^/etc/LLLLLLLLLL*$' || fail "long name not listed"
isoinfo -R -x /.rr_moved/h/i/j/f -i rout1/rep.iso | grep -qx deep || fail "relocated file"
exit 0
