#!/bin/bash
# Hybrid MBR, GPT array moved to 64K, and a raw SPL at offset 0 whose
# `holes` leave room for the MBR table and the array. Equal to genimage's
# disk except the first usable LBA (upstream rule: after the array, LBA
# 160; v16: the first partition) and the header CRC.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage python3
mk_inputs
cat >C <<'X'
image bl.img {
	file {
		name = "spl.bin"
		holes = {"(440;1K)", "(64K;80K)"}
	}
}
image hyb.img {
	hdimage {
		partition-table-type = "hybrid"
		gpt-location = 64K
		disk-uuid = "11111111-2222-4333-8444-555555555555"
		disk-signature = 0xcafef00d
	}
	partition spl {
		in-partition-table = false
		offset = 0
		image = "bl.img"
	}
	partition boot {
		offset = 1M
		partition-type = 0xc
		partition-type-uuid = "F"
		partition-uuid = "11111111-2222-4333-8444-000000000001"
		bootable = true
		image = "boot.vfat"
	}
	partition data {
		partition-type-uuid = "L"
		partition-uuid = "11111111-2222-4333-8444-000000000002"
		size = 5M
	}
}
X
genimage_pair C
img=ok/hyb.img
dump og/hyb.img | grep -v '^first-lba' >g.dump
dump $img | grep -v '^first-lba' >k.dump
diff -u g.dump k.dump || fail "GPT (sfdisk -d) differs from genimage's"
[ "$(first_lba $img)" = 160 ] || fail "first-lba $(first_lba $img), want 160"
sfdisk -d --label dos $img 2>/dev/null | grep -v device >/dev/null
size=$(stat -c %s $img)
last=$((size / 512 - 1))
cmp_except og/hyb.img $img 528:532 552:560 $((last * 512 + 16)):$((last * 512 + 20)) \
	$((last * 512 + 40)):$((last * 512 + 48)) || fail "bytes differ beyond the first-usable-LBA fields"
# hybrid MBR: boot (0x0c, active) and the 0xee entry covering header+array
python3 - $img <<'PY' || fail "hybrid MBR entries"
import sys, struct
s = open(sys.argv[1], 'rb').read(512)
e = [s[446 + 16 * i: 462 + 16 * i] for i in range(4)]
assert s[440:444] == bytes.fromhex('0df0feca'), s[440:444].hex()
assert e[0][0] == 0x80 and e[0][4] == 0x0c and struct.unpack('<II', e[0][8:16]) == (2048, 16384), e[0].hex()
assert e[1][4] == 0xee and struct.unpack('<II', e[1][8:16]) == (1, 128 + 33 - 2), e[1].hex()
assert e[2] == bytes(16) and e[3] == bytes(16)
PY
# SPL bytes outside its holes survive; the MBR table went into the hole
cmp <(head -c 440 $img) <(head -c 440 in/spl.bin) || fail "SPL boot code overwritten"
cmp <(dd if=$img bs=1 skip=1024 count=$((65536 - 1024)) status=none) \
	<(dd if=in/spl.bin bs=1 skip=1024 count=$((65536 - 1024)) status=none) || fail "SPL body"
sgdisk -v $img | grep -q 'No problems found' || fail "sgdisk -v"
echo PASS
