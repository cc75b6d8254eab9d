#!/bin/bash
# Raw blobs (in-partition-table = false) with holes, natively: the blob's
# bytes survive around the MBR table, the output stays sparse, and a
# sparse = false partition is fully allocated.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need python3
mk_inputs
cat >C <<'X'
image spl.img {
	file {
		name = "spl.bin"
		holes = {"(440;512)"}
	}
}
image d.img {
	size = 64M
	hdimage {
		disk-signature = 0x4c414230
	}
	partition spl {
		in-partition-table = false
		offset = 0
		image = "spl.img"
	}
	partition boot {
		partition-type = 0xc
		image = "boot.vfat"
		sparse = false
	}
	partition data {
		image = "rootfs.ext4"
		imageoffset = 1K
		size = 24M
	}
	partition big {
		autoresize = true
	}
}
X
"$KILN" build --inputpath in --outputpath o C || fail build
f=o/d.img
check_clean $f
[ "$(stat -c %s $f)" = $((64 << 20)) ] || fail "size"
cat >want <<'X'
label: dos
label-id: 0x4c414230
unit: sectors
sector-size: 512

1 : start=        2048, size=       16384, type=c
2 : start=       18432, size=       49152, type=83
3 : start=       67584, size=       63488, type=83
X
dump $f >got
diff -u want got || fail "table"
cmp <(head -c 440 $f) <(head -c 440 in/spl.bin) || fail "boot code lost"
cmp <(dd if=$f bs=512 skip=1 count=135 status=none) <(dd if=in/spl.bin bs=512 skip=1 count=135 status=none) || fail "SPL body"
# imageoffset = 1K: the ext4 marker at 1024 is the partition's first byte
[ "$(dd if=$f bs=512 skip=18432 count=1 status=none | head -c 7)" = ROOTEXT ] || fail "imageoffset"
# boot: sparse = false, its 8 MiB are allocated; the rest are holes
used=$(($(stat -c %b $f) * $(stat -c %B $f)))
[ $used -ge $((8 << 20)) ] && [ $used -lt $((10 << 20)) ] || fail "allocation $used"
# the FAT child learns where it sits (plan shows the offsets)
"$KILN" plan --inputpath in C | grep -Eq '^ +1 +boot +1048576 +9437184 ' || fail "plan row"
echo PASS
