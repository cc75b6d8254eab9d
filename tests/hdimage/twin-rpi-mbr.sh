#!/bin/bash
# Done-when 1 (genimage mode): the Raspberry Pi MBR config gives exactly
# Debian genimage's disk: same sfdisk -d, same bytes (v16 and upstream
# agree on everything an MBR image holds).
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage
mk_inputs
cp "$KILN_SRC/tests/hdimage/configs/rpi.cfg" C
genimage_pair C
dump og/sdcard.img >g.dump
dump ok/sdcard.img >k.dump
diff -u g.dump k.dump || fail "sfdisk -d differs from genimage's"
cat >want.dump <<'X'
label: dos
label-id: 0x00000000
unit: sectors
sector-size: 512

1 : start=           1, size=       16384, type=c, bootable
2 : start=       16385, size=       49152, type=83
X
diff -u want.dump k.dump || fail "unexpected table"
cmp og/sdcard.img ok/sdcard.img || fail "bytes differ from genimage's"
check_clean ok/sdcard.img
# the partitions hold the inputs
[ "$(dd if=ok/sdcard.img bs=512 skip=1 count=1 status=none | head -c 7)" = BOOTFAT ] || fail "boot.vfat not at sector 1"
[ "$(dd if=ok/sdcard.img bs=1 skip=$((16385 * 512 + 1024)) count=7 status=none)" = ROOTEXT ] || fail "rootfs.ext4 not at sector 16385"
echo PASS
