#!/bin/bash
# Done-when 2 (genimage mode): GPT EFI disk, ESP + root-arm64 and a raw
# U-Boot blob at 32K. Equal to Debian genimage's disk except where
# upstream genimage (v19+) changed the rules: the header's first usable
# LBA (upstream: just after the last raw data in front of the first
# partition; v16: the first partition's start) and so the header CRC.
# v16 does not know "esp"/"root-arm64": its copy of the config uses the
# GUIDs those shortcuts stand for.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage python3
mk_inputs
sed -e 's/"root-arm64"/"b921b045-1df0-41c3-af44-4c6f280d3fae"/' -e 's/"esp"/"U"/' \
	-e 's/partition-table-type = "gpt"/&\n\t\tdisk-uuid = "5b7b3a9e-1a55-4c2e-9d3c-0d7a0c6f2a11"/' \
	-e 's/partition-type-uuid = "U"/&\n\t\tpartition-uuid = "0e1b6f4c-7a3d-4f57-8a51-3b2c9d1e6f70"/' \
	-e 's/partition-type-uuid = "b921[^"]*"/&\n\t\tpartition-uuid = "a1b2c3d4-e5f6-4789-8abc-def012345678"/' \
	"$KILN_SRC/tests/hdimage/configs/efi.cfg" >C16
# kiln gets the shortcuts themselves
sed -e 's/"b921b045-1df0-41c3-af44-4c6f280d3fae"/"root-arm64"/' -e 's/"U"/"esp"/' C16 >C
grep -q root-arm64 C && grep -q '"esp"' C || fail "config rewrite failed"
rm -rf og ok
genimage --rootpath root --tmppath tg --inputpath in --outputpath og --config C16 >g.log 2>&1 ||
	{ cat g.log; fail "genimage failed"; }
"$GENIMAGE_KILN" --rootpath root --tmppath tk --inputpath in --outputpath ok --config C ||
	fail "kiln failed"
img=ok/disk.img
size=$(stat -c %s $img)
[ "$size" = "$(stat -c %s og/disk.img)" ] || fail "size differs from genimage's"
dump og/disk.img | grep -v '^first-lba' >g.dump
dump $img | grep -v '^first-lba' >k.dump
diff -u g.dump k.dump || fail "sfdisk -d differs from genimage's"
grep -q '^1 : start=        2048, size=       32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=0E1B6F4C-7A3D-4F57-8A51-3B2C9D1E6F70, name="esp", attrs="LegacyBIOSBootable"$' k.dump ||
	fail "ESP entry"
grep -q '^2 : start=       34816, size=       81920, type=B921B045-1DF0-41C3-AF44-4C6F280D3FAE, uuid=A1B2C3D4-E5F6-4789-8ABC-DEF012345678, name="root"$' k.dump ||
	fail "root entry"
# upstream rule: the U-Boot blob [32K, 32K+300000) ends in sector 649
[ "$(first_lba $img)" = 650 ] || fail "first-lba $(first_lba $img), want 650"
[ "$(first_lba og/disk.img)" = 2048 ] || fail "v16 changed? first-lba $(first_lba og/disk.img)"
last=$((size / 512 - 1))
cmp_except og/disk.img $img 528:532 552:560 $((last * 512 + 16)):$((last * 512 + 20)) \
	$((last * 512 + 40)):$((last * 512 + 48)) || fail "bytes differ beyond the first-usable-LBA fields"
check_clean $img
cmp <(dd if=$img bs=1 skip=32768 count=300000 status=none) in/u-boot.bin || fail "U-Boot blob not at 32K"
echo PASS
