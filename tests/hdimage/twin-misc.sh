#!/bin/bash
# More layouts against Debian genimage: no table, fill + explicit
# extended-partition + autoresize, GPT with align 4K, read-only and
# autoresize, a GPT whose first partition starts at LBA 34.
. "$KILN_TESTLIB"
. "$KILN_SRC/tests/hdimage/helpers.bash"
need genimage python3
mk_inputs
cat >C <<'X'
image none.img {
	hdimage { partition-table-type = "none" }
	partition a { image = "spl.bin" }
	partition b { image = "u-boot.bin" offset = 128K }
	partition c { image = "spl.bin" }
}
image fill.img {
	size = 64M
	hdimage { fill = true extended-partition = 2 disk-signature = 7 }
	partition a { image = "spl.bin" partition-type = 0x83 }
	partition b { size = 1M partition-type = 0x83 }
	partition c { image = "boot.vfat" partition-type = 0x83 }
	partition d { autoresize = true partition-type = 0x83 }
}
image gaut.img {
	size = 32M
	hdimage { partition-table-type = "gpt" align = 4K disk-uuid = "33333333-2222-4333-8444-555555555555" }
	partition a { image = "spl.bin" partition-uuid = "33333333-2222-4333-8444-000000000001" read-only = true }
	partition b { autoresize = true partition-uuid = "33333333-2222-4333-8444-000000000002" }
}
image gnos.img {
	hdimage { partition-table-type = "gpt" disk-uuid = "33333333-2222-4333-8444-555555555556" }
	partition a { image = "spl.bin" partition-uuid = "33333333-2222-4333-8444-000000000003" }
}
X
genimage_pair C
cmp og/none.img ok/none.img || fail "none.img differs"
cmp og/gnos.img ok/gnos.img || fail "gnos.img differs (first usable LBA 34 in both versions)"
for f in fill gaut; do
	diff -u <(dump og/$f.img | grep -v first-lba) <(dump ok/$f.img | grep -v first-lba) || fail "$f.img table"
	[ "$(stat -c %s og/$f.img)" = "$(stat -c %s ok/$f.img)" ] || fail "$f.img length"
done
cmp <(head -c 512 og/fill.img) <(head -c 512 ok/fill.img) || fail "fill.img MBR"
last=$(($(stat -c %s ok/gaut.img) / 512 - 1))
cmp_except og/gaut.img ok/gaut.img 528:532 552:560 $((last * 512 + 16)):$((last * 512 + 20)) \
	$((last * 512 + 40)):$((last * 512 + 48)) || fail "gaut.img beyond the first-usable-LBA fields"
[ "$(first_lba ok/gaut.img)" = 34 ] || fail "gaut first-lba"
dump ok/gaut.img | grep -q 'name="a", attrs="GUID:60"' || fail "read-only attribute"
for f in fill gaut; do check_clean ok/$f.img; done
echo PASS
