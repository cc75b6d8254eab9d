#!/bin/bash
# MBR with more than four partitions: an extended container and an EBR
# chain, a fixed-offset logical partition. Same table as genimage's.
# EBR CHS fields: upstream genimage writes absolute CHS, v16 relative ones,
# so EBR sectors are compared through sfdisk -d only; the MBR byte for byte.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage
mk_inputs
cat >C <<'X'
image log.img {
	hdimage {
		disk-signature = 0x12345678
	}
	partition p1 { partition-type = 0x83 size = 1M }
	partition p2 { partition-type = 0x83 size = 2M bootable = true }
	partition p3 { partition-type = 0x83 size = 1M }
	partition p4 { partition-type = 0x83 image = "boot.vfat" }
	partition p5 { partition-type = 0x82 size = 3M }
	partition p6 { partition-type = 0x83 size = 1M offset = 40M }
}
X
genimage_pair C
dump og/log.img >g.dump
dump ok/log.img >k.dump
diff -u g.dump k.dump || fail "sfdisk -d differs from genimage's"
cat >want.dump <<'X'
label: dos
label-id: 0x12345678
unit: sectors
sector-size: 512

1 : start=           1, size=        2048, type=83
2 : start=        2049, size=        4096, type=83, bootable
3 : start=        6145, size=        2048, type=83
4 : start=        8193, size=       75775, type=f
5 : start=        8194, size=       16384, type=83
6 : start=       24579, size=        6144, type=82
7 : start=       81920, size=        2048, type=83
X
diff -u want.dump k.dump || fail "unexpected table"
[ "$(stat -c %s ok/log.img)" = "$(stat -c %s og/log.img)" ] || fail "file length differs"
cmp <(head -c 512 og/log.img) <(head -c 512 ok/log.img) || fail "MBR differs"
check_clean ok/log.img

# Native: 1 MiB aligned, EBR chain still valid.
"$KILN" build --inputpath in --outputpath nk C || fail "native build"
check_clean nk/log.img
dump nk/log.img >n.dump
grep -q '^5 : start=       12288, size=       16384, type=83$' n.dump || { cat n.dump; fail "native logical p5"; }
grep -q '^6 : start=       30720, size=        6144, type=82$' n.dump || { cat n.dump; fail "native logical p6"; }

# forced-primary: after the logical partitions, back to a primary slot
cat >F <<'X'
image fp.img {
	hdimage { extended-partition = 3 }
	partition p1 { size = 1M }
	partition p2 { size = 1M }
	partition l1 { size = 2M }
	partition l2 { size = 2M partition-type = 0x82 }
	partition p4 { size = 1M forced-primary = true partition-type = 0x0c }
}
X
"$KILN" build --inputpath in --outputpath fp F || fail "forced-primary build"
check_clean fp/fp.img
dump fp/fp.img | grep -E '^[0-9]' | sed 's/ : start= *\([0-9]*\), size= *\([0-9]*\), type=\([0-9a-f]*\).*/ \1 \2 \3/' >fp.got
cat >fp.want <<'X'
1 2048 2048 83
2 4096 2048 83
3 8191 10241 f
4 18432 2048 c
5 8192 4096 83
6 14336 4096 82
X
diff -u fp.want fp.got || fail "forced-primary layout"
echo PASS
