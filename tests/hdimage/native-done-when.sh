#!/bin/bash
# Done-when, natively: `kiln plan` and `kiln build` on the RPi and EFI
# configs give 1 MiB-aligned, whole-sector, sparse, reproducible disks.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need python3
mk_inputs
for cfg in rpi efi; do
	cp "$KILN_SRC/tests/hdimage/configs/$cfg.cfg" $cfg.cfg
	"$KILN" plan --inputpath in --outputpath planout $cfg.cfg >$cfg.plan || fail "plan $cfg"
	[ ! -e planout ] || fail "plan wrote output"
	(umask 077; TZ=Asia/Tokyo LC_ALL=C "$KILN" build --inputpath in --outputpath out1 $cfg.cfg) ||
		fail "build $cfg"
	mkdir -p elsewhere
	cp $cfg.cfg elsewhere/
	(cd elsewhere && umask 022 && TZ=America/Los_Angeles LC_ALL=C.UTF-8 \
		"$KILN" build --inputpath ../in --outputpath out2 $cfg.cfg) || fail "second build $cfg"
done
cat >want-rpi <<'X'
label: dos
unit: sectors
sector-size: 512

1 : start=        2048, size=       16384, type=c, bootable
2 : start=       18432, size=       49152, type=83
X
cat >want-efi <<'X'
label: gpt
unit: sectors
first-lba: 650
last-lba: 116742
sector-size: 512

1 : start=        2048, size=       32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=@, name="esp", attrs="LegacyBIOSBootable"
2 : start=       34816, size=       81920, type=B921B045-1DF0-41C3-AF44-4C6F280D3FAE, uuid=@, name="root"
X
for img in sdcard.img:rpi disk.img:efi; do
	f=out1/${img%%:*}; want=want-${img##*:}
	cmp $f elsewhere/out2/${img%%:*} || fail "$f: not reproducible across dirs/umask/TZ/locale"
	check_clean $f
	dump $f | grep -v -e '^label-id' | sed 's/uuid=[0-9A-F-]*/uuid=@/' >got
	diff -u $want got || fail "$f: unexpected table"
	size=$(stat -c %s $f)
	[ $((size % 512)) = 0 ] || fail "$f: $size bytes is not whole sectors"
	# every partition starts on a MiB and the file covers the last one
	sfdisk -J $f | python3 -c '
import json, sys
size = int(sys.argv[1])
t = json.load(sys.stdin)["partitiontable"]
for p in t["partitions"]:
    assert p["start"] * 512 % (1 << 20) == 0, p
    assert (p["start"] + p["size"]) * 512 <= size, p
' $size || fail "$f: alignment/coverage"
	# sparse: allocated blocks far below the size
	used=$(($(stat -c %b $f) * $(stat -c %B $f)))
	[ $used -lt $((size / 20)) ] || fail "$f: $used bytes allocated of $size (not sparse)"
	echo "$f: $size bytes, $used allocated"
done
# the identifiers come from the seed: non-zero, stable
grep -q 'MBR disk signature: 0x' rpi.plan || fail "plan lacks the disk signature"
! grep -q 'MBR disk signature: 0x00000000' rpi.plan || fail "native disk signature is 0"
grep -q 'GPT disk GUID: ' efi.plan || fail "plan lacks the disk GUID"
grep -q 'GPT usable LBAs: 650..116742' efi.plan || { cat efi.plan; fail "plan usable LBAs"; }
grep -Eq '^ +- +u-boot +32768 +332768 +300000 .* raw' efi.plan || { cat efi.plan; fail "plan raw blob row"; }
sig=$(sfdisk -d out1/sdcard.img | sed -n 's/^label-id: //p')
grep -q "MBR disk signature: $sig" rpi.plan || fail "plan and disk disagree on the signature ($sig)"
# --seed changes the ids
"$KILN" build --seed other --inputpath in --outputpath out3 rpi.cfg || fail "seeded build"
[ "$(sfdisk -d out3/sdcard.img | sed -n 's/^label-id: //p')" != "$sig" ] || fail "--seed ignored"
echo PASS
