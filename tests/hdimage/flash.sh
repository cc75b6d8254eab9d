#!/bin/bash
# NOR flash image: partitions end to end, padding 0xFF (written, not holes);
# genimage mode equals Debian genimage's file byte for byte.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage python3
mk_inputs
head -c 100000 in/u-boot.bin >in/bl.bin
printf 'ENV' >in/env.bin
cat >C <<'X'
flash nor-8M {
	pebsize = 64K
	numpebs = 128
	minimum-io-unit-size = 1
}
image nor.img {
	flash { }
	flashtype = "nor-8M"
	partition barebox {
		image = "bl.bin"
		size = 256K
	}
	partition env {
		image = "env.bin"
		size = 64K
	}
	partition gap {
		offset = 1M
		size = 64K
	}
	partition rest {
	}
}
X
genimage_pair C
cmp og/nor.img ok/nor.img || fail "flash image differs from genimage's"
[ "$(stat -c %s ok/nor.img)" = $((8 << 20)) ] || fail "size $(stat -c %s ok/nor.img)"
"$KILN" build --inputpath in --outputpath nk C || fail "native build"
cmp ok/nor.img nk/nor.img || fail "native flash image differs"
python3 - nk/nor.img <<'PY' || fail "layout"
import sys
d = open(sys.argv[1], 'rb').read()
bl = open('in/bl.bin', 'rb').read()
assert d[:len(bl)] == bl
assert d[len(bl):256 << 10] == b'\xff' * ((256 << 10) - len(bl))
assert d[256 << 10:(256 << 10) + 3] == b'ENV'
assert d[(256 << 10) + 3:] == b'\xff' * (len(d) - (256 << 10) - 3)
PY
# 0xFF is data: the file is fully allocated
used=$(($(stat -c %b nk/nor.img) * $(stat -c %B nk/nor.img)))
[ $used -ge $((8 << 20)) ] || fail "flash image has holes ($used bytes allocated)"
"$KILN" plan --inputpath in C | grep -q 'flash type nor-8M: 128 erase blocks of 65536 bytes' || fail "plan"
# errors: unknown flash type, partitions past the flash, unaligned size
sed 's/flashtype = "nor-8M"/flashtype = "nor-9M"/' C >C2
expect_fail 1 'flashtype = "nor-9M": no flash section' "$KILN" build --inputpath in --outputpath e2 C2
expect_no_output e2
sed '/partition env/,/}/ s/size = 64K/size = 100K/' C >C3
expect_fail 1 "partition 'env'.*multiples of the erase block size" "$KILN" build --inputpath in --outputpath e3 C3
expect_no_output e3
sed 's/offset = 1M/offset = 9M/' C >C4
expect_fail 1 'past the flash size 8388608' "$KILN" build --inputpath in --outputpath e4 C4
expect_no_output e4
echo PASS
